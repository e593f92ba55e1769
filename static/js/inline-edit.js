// Click-to-edit (templates/_macros/fields.html): Enter opens an editor, Enter or leaving the
// editor saves, Escape puts the display back. No inline handlers: the CSP forbids them.
// A list's cells are plain <td> in rows <tr data-version> of a <table data-edit-url>
// whose editable columns name their field once, on the header (<th data-field>): each cell of
// such a column takes its field here (unless its row's record may not change it: <td
// data-locked>), and the listeners below build each cell's editor request, so the 300 cells of
// a list page carry no attributes; the arrow keys move the one tabbable cell (a roving
// tabindex, as in the WAI-ARIA grid pattern).
(function () {
  "use strict";

  function editorOf(el) {
    return el && el.closest ? el.closest("form.ie-editor") : null;
  }

  function cellOf(el) {
    var cell = el && el.closest ? el.closest("td[data-field]") : null;
    return cell && cell.closest("table[data-edit-url]") ? cell : null;
  }

  // A row's record id: its data-id, or (contacts, companies) its bulk checkbox's value, which
  // every row the user may edit has, so the id is written once (crm_web/core/display.py).
  function rowId(row) {
    return row.dataset.id || row.querySelector("input[name=ids]").value;
  }

  // The cell's editor, swapped inside it (the cell, its row and the list stay).
  function openCell(cell) {
    if (cell.querySelector(".ie-editor, .ie-conflict")) return;
    var row = cell.parentElement;
    var url = cell.closest("table").dataset.editUrl + rowId(row) + "/fields/" +
      cell.dataset.field + "/edit?compact=1&seen=" + row.dataset.version;
    htmx.ajax("GET", url, { source: cell, target: cell, swap: "innerHTML" });
  }

  // `cell` becomes the one cell of its table that Tab reaches.
  function rove(cell, focus) {
    cell.closest("table").querySelectorAll("td[data-field][tabindex]").forEach(function (other) {
      if (other !== cell) other.removeAttribute("tabindex");
    });
    cell.tabIndex = 0;
    if (focus) cell.focus();
  }

  // The cells of a header's editable column become <td data-field> (idempotent: a table is
  // looked at again after every swap).
  function nameCells(table) {
    if (!table.tHead || !table.tBodies.length) return;
    var fields = Array.prototype.map.call(table.tHead.rows[0].cells, function (th) {
      return th.dataset.field;
    });
    Array.prototype.forEach.call(table.tBodies[0].rows, function (row) {
      Array.prototype.forEach.call(row.cells, function (cell, at) {
        if (fields[at] && !cell.dataset.field && !cell.hasAttribute("data-locked")) {
          cell.dataset.field = fields[at];
        }
      });
    });
  }

  function firstTabbableCells() {
    document.querySelectorAll("table[data-edit-url]").forEach(function (table) {
      nameCells(table);
      var cell = table.querySelector("td[data-field]");
      if (cell && !table.querySelector("td[data-field][tabindex]")) cell.tabIndex = 0;
    });
  }

  // The cell an arrow key (Home, End) moves to from `cell`, or null.
  function neighbour(cell, key) {
    var row = cell.parentElement;
    if (key === "ArrowUp" || key === "ArrowDown") {
      var selector = 'td[data-field="' + cell.dataset.field + '"]';
      var next = row;
      do {
        next = key === "ArrowDown" ? next.nextElementSibling : next.previousElementSibling;
      } while (next && !next.querySelector(selector));
      return next && next.querySelector(selector);
    }
    var cells = Array.prototype.slice.call(row.querySelectorAll("td[data-field]"));
    var at = cells.indexOf(cell);
    var index = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: cells.length - 1 }[key];
    return index === undefined ? null : cells[index] || null;
  }

  // A task's fields (crm_web/activities/display.py) are <span class="ie-display" data-field>
  // in a row <li data-fields="/tasks/<id>/fields/">: the editor's URL is built here, so the
  // hundred fields of a record page or /tasks carry no request attributes. Other displays
  // carry their own hx-get.
  function editUrl(display) {
    if (display.hasAttribute("hx-get")) return display.getAttribute("hx-get");
    var row = display.dataset.field && display.closest("[data-fields]");
    if (!row) return null;
    return row.dataset.fields + display.dataset.field + "/edit" + ("list" in row.dataset ? "?list=1" : "");
  }

  function openDisplay(display) {
    // htmx.ajax, not a click: a display swapped in a moment ago may not be wired up yet.
    htmx.ajax("GET", editUrl(display), { source: display, target: display, swap: "outerHTML" });
  }

  document.addEventListener("click", function (event) {
    var display = event.target.closest && event.target.closest(".ie-display[data-field]:not([hx-get])");
    // Its link (the task's record) is followed (the capture listener below); its ✎ button opens.
    if (display && editUrl(display) && !event.target.closest("a")) openDisplay(display);
  });

  document.addEventListener("DOMContentLoaded", firstTabbableCells);
  document.addEventListener("htmx:afterSettle", firstTabbableCells);

  document.addEventListener("click", function (event) {
    var cell = cellOf(event.target);
    // A link (mailto:, tel:, the company) is followed, and an open editor's controls work.
    // (The cells are inside the bulk form: not a plain "form" here.)
    if (!cell || event.target.closest("a, button, input, select, label, .ie-editor, .ie-conflict")) return;
    rove(cell, false);
    openCell(cell);
  });

  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches("td[data-field]")) rove(event.target, false);
  });

  function cancel(editor) {
    editor.dataset.done = "1";
    htmx.ajax("GET", editor.dataset.displayUrl, { target: editor, swap: "outerHTML" });
  }

  function save(editor) {
    if (editor.dataset.done || !editor.isConnected) return;
    editor.dataset.done = "1";
    htmx.trigger(editor, "submit");
  }

  document.addEventListener("keydown", function (event) {
    var editor = editorOf(event.target);
    if (editor) {
      if (event.key === "Escape") {
        event.preventDefault();
        editor.dataset.refocus = "1";
        cancel(editor);
      } else if (event.key === "Enter" && event.target.matches("input")) {
        event.preventDefault();
        editor.dataset.refocus = "1";
        save(editor);
      }
      return;
    }
    var cell = cellOf(event.target);
    if (cell && event.target === cell) {
      var next = event.key === "Enter" || event.key === "F2" ? null : neighbour(cell, event.key);
      if (next) {
        event.preventDefault();
        rove(next, true);
      } else if (event.key === "Enter" || event.key === "F2") {
        event.preventDefault();
        openCell(cell);
      }
      return;
    }
    var display = event.target.closest && event.target.closest(".ie-display");
    if (display && event.key === "Enter" && event.target === display && editUrl(display)) {
      event.preventDefault();
      openDisplay(display);
    }
  });

  // Leaving the editor (focus moves outside it) saves, unless Escape or a save already ran.
  document.addEventListener("focusout", function (event) {
    var editor = editorOf(event.target);
    if (!editor || editor.dataset.done) return;
    var next = event.relatedTarget;
    if (next && editor.contains(next)) return;
    // A click on the editor's own buttons moves focus to them; wait for that to settle.
    setTimeout(function () {
      if (editor.contains(document.activeElement)) return;
      save(editor);
    }, 0);
  });

  // A new editor (or one back with its message, 422) gets the focus; a saved display flashes
  // (in a list, its cell), and its row takes the record's new version. A list cell closed from
  // the keyboard (Enter, Escape) gets the focus back.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var fresh = (target.id && document.getElementById(target.id)) || target;
    if (!fresh.matches) return;
    var focus = fresh.matches("form.ie-editor") ? fresh : null;
    if (!focus && fresh.matches("td[data-field]")) focus = fresh.querySelector("form.ie-editor");
    var cell = cellOf(fresh);
    var row = cell && fresh.dataset.version ? cell.parentElement : null;
    if (row) row.dataset.version = fresh.dataset.version;
    if (cell && !focus && target.dataset.refocus) rove(cell, true);
    if (focus) {
      var input = focus.querySelector("[autofocus]") || focus.querySelector("input:not([type=hidden]), select");
      if (input) {
        input.focus();
        if (input.type === "text") input.select();
      }
    } else if (fresh.matches && fresh.matches(".ie-display") && event.detail.requestConfig &&
               event.detail.requestConfig.verb !== "get") {
      (cell || fresh).classList.add("ie-saved");
    }
  });

  // Lists of emails and phones: add and remove items inside an editor or a form.
  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-ie-add]");
    var remove = event.target.closest("[data-ie-remove]");
    if (add) {
      var list = add.closest("[data-ie-list]");
      var items = list.querySelectorAll(".ie-list-item");
      var item = items[items.length - 1].cloneNode(true);
      var input = item.querySelector("input");
      input.value = "";
      input.removeAttribute("autofocus");
      input.setAttribute("aria-label", input.getAttribute("aria-label").replace(/\d+$/, String(items.length + 1)));
      list.insertBefore(item, add);
      htmx.process(item);
      input.focus();
    } else if (remove) {
      var row = remove.closest(".ie-list-item");
      var owner = row.closest("[data-ie-list]");
      var input2 = row.querySelector("input");
      if (owner.querySelectorAll(".ie-list-item").length > 1) {
        row.remove();
      } else {
        input2.value = "";
      }
      var first = owner.querySelector("input");
      if (first) first.focus();
    }
  });

  // A link inside a display (mailto:, tel:, the company) is followed, not edited.
  document.addEventListener("click", function (event) {
    if (event.target.closest(".ie-display a")) event.stopPropagation();
  }, true);

  // A select saves as soon as a choice is made.
  document.addEventListener("change", function (event) {
    var editor = editorOf(event.target);
    if (editor && event.target.matches("select")) save(editor);
  });
})();
