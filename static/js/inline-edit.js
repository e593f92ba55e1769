// Click-to-edit (templates/_macros/fields.html): Enter opens an editor, Enter or leaving the
// editor saves, Escape puts the display back. No inline handlers: the CSP forbids them.
(function () {
  "use strict";

  function editorOf(el) {
    return el && el.closest ? el.closest("form.ie-editor") : null;
  }

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
        cancel(editor);
      } else if (event.key === "Enter" && event.target.matches("input")) {
        event.preventDefault();
        save(editor);
      }
      return;
    }
    var display = event.target.closest && event.target.closest(".ie-display[hx-get]");
    if (display && event.key === "Enter" && event.target === display) {
      event.preventDefault();
      // htmx.ajax, not a click: a display swapped in a moment ago may not be wired up yet.
      htmx.ajax("GET", display.getAttribute("hx-get"), { target: display, swap: "outerHTML" });
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

  // A new editor (or one back with its message, 422) gets the focus; a saved display flashes.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) return;
    var fresh = document.getElementById(target.id) || target;
    var focus = fresh.querySelector && (fresh.matches("form.ie-editor") ? fresh : null);
    if (focus) {
      var input = focus.querySelector("[autofocus]") || focus.querySelector("input:not([type=hidden]), select");
      if (input) {
        input.focus();
        if (input.type === "text") input.select();
      }
    } else if (fresh.matches && fresh.matches(".ie-display") && event.detail.requestConfig &&
               event.detail.requestConfig.verb !== "get") {
      fresh.classList.add("ie-saved");
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
