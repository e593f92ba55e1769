// The pipeline board: drag a card (SortableJS) or press Alt+Arrow / [ ] on a focused card to
// move it to another stage. Every move is an htmx request, so the CSRF header from <body>
// is sent; the server answers with the card (swapped in place) and out-of-band column totals.
(function () {
  "use strict";

  var pendingFocus = null;
  // Settling copies `style` (a CSP violation) and `class` (a stale "is-saving", which would
  // hold back the next key press) from the old card to its replacement for a moment. Not here.
  htmx.config.attributesToSettle = ["width", "height"];

  function lists() {
    return Array.prototype.slice.call(document.querySelectorAll(".column-cards"));
  }

  function announce(text) {
    var status = document.getElementById("board-status");
    if (status) status.textContent = text;
  }

  function sendMove(card, stage, from) {
    card.dataset.from = from;
    // SortableJS leaves a (now empty) style attribute; htmx would copy it onto the swapped-in
    // card, which the CSP forbids.
    card.removeAttribute("style");
    card.classList.add("is-saving");
    var url = card.closest(".board").dataset.dealsUrl + "/" + card.id.slice("deal-".length) + "/stage";
    htmx.ajax("POST", url + window.location.search, {
      source: card,
      target: card,
      swap: "outerHTML",
      values: { stage: stage, version: card.dataset.version },
    });
  }

  function firstCard(list) {
    return list.querySelector(".deal-card");
  }

  // A card whose stage is not its column's (a refused move) goes back where it belongs.
  function settle(card) {
    var list = card.closest(".column-cards");
    if (!list || list.dataset.stage === card.dataset.stage) return;
    var home = lists().filter(function (l) { return l.dataset.stage === card.dataset.stage; })[0];
    if (home) home.insertBefore(card, firstCard(home));
  }

  // Steps pressed while a card's previous move is still saving: sent once it has its new version.
  var queued = {};

  function moveBy(card, step) {
    if (card.classList.contains("is-saving")) {
      queued[card.id] = (queued[card.id] || 0) + step;
      return;
    }
    var all = lists();
    var index = all.indexOf(card.closest(".column-cards"));
    var target = all[index + step];
    if (!target) {
      announce(step < 0 ? "Already in the first stage." : "Already in the last stage.");
      return;
    }
    // A card moved into a collapsed column would vanish with the keyboard focus: open it.
    var column = target.closest(".column");
    if (column.classList.contains("collapsed")) column.querySelector(".collapse-toggle").click();
    var from = card.closest(".column-cards").dataset.stage;
    target.insertBefore(card, firstCard(target));
    pendingFocus = card.id;
    card.focus();
    sendMove(card, target.dataset.stage, from);
  }

  // A user who may not move deals (a viewer) gets a board to read: nothing to drag.
  function readOnly(el) {
    return !!el.closest("[data-readonly]");
  }

  function initSortable(list) {
    if (list.dataset.sortable || readOnly(list)) return;
    list.dataset.sortable = "1";
    Sortable.create(list, {
      group: "pipeline",
      draggable: ".deal-card",
      filter: ".load-more",
      sort: false, // a column is ordered by close date, not by hand: only moves between columns
      forceFallback: true, // pointer events: works the same with a mouse, a pen or a test driver
      fallbackTolerance: 3,
      animation: 150,
      onEnd: function (evt) {
        if (evt.from !== evt.to) sendMove(evt.item, evt.to.dataset.stage, evt.from.dataset.stage);
      },
    });
  }

  function initCollapse(button) {
    if (button.dataset.ready) return;
    button.dataset.ready = "1";
    var key = "crm.board.collapsed." + button.dataset.collapseKey;
    var column = button.closest(".column");
    function apply(collapsed) {
      column.classList.toggle("collapsed", collapsed);
      button.setAttribute("aria-expanded", collapsed ? "false" : "true");
      button.textContent = collapsed ? "Expand" : "Collapse";
    }
    apply(window.localStorage.getItem(key) === "1");
    button.addEventListener("click", function () {
      var collapsed = !column.classList.contains("collapsed");
      window.localStorage.setItem(key, collapsed ? "1" : "0");
      apply(collapsed);
    });
  }

  function init(root) {
    root.querySelectorAll(".column-cards").forEach(initSortable);
    root.querySelectorAll(".collapse-toggle").forEach(initCollapse);
  }

  document.addEventListener("keydown", function (evt) {
    var card = evt.target;
    if (!card.classList || !card.classList.contains("deal-card")) return;
    if (readOnly(card) && evt.key !== "Enter") return;
    if ((evt.altKey && evt.key === "ArrowRight") || evt.key === "]") {
      evt.preventDefault();
      moveBy(card, 1);
    } else if ((evt.altKey && evt.key === "ArrowLeft") || evt.key === "[") {
      evt.preventDefault();
      moveBy(card, -1);
    } else if (evt.key === "Enter") {
      var link = card.querySelector(".card-title");
      if (link) link.click();
    }
  });

  // A refused move (409 conflict, 422 bad stage) still carries the card to show: swap it.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var status = evt.detail.xhr.status;
    if ((status === 409 || status === 422) && evt.detail.target.closest(".deal-card")) {
      evt.detail.shouldSwap = true;
      evt.detail.isError = false;
    }
  });

  document.addEventListener("htmx:afterSettle", function (evt) {
    var swapped = evt.detail.elt;
    if (swapped.classList.contains("deal-card") && !swapped.classList.contains("is-saving")) {
      settle(swapped);
    }
    // Keep the keyboard user's place: the swapped-in card takes the focus back.
    var moved = pendingFocus && document.getElementById(pendingFocus);
    if (moved && !moved.classList.contains("is-saving")) {
      pendingFocus = null;
      moved.focus();
    }
    Object.keys(queued).forEach(function (id) {
      var waiting = document.getElementById(id);
      if (!waiting || waiting.classList.contains("is-saving")) return;
      var steps = queued[id];
      delete queued[id];
      var all = lists();
      var index = all.indexOf(waiting.closest(".column-cards"));
      var target = Math.max(0, Math.min(all.length - 1, index + steps));
      if (target !== index) moveBy(waiting, target - index);
    });
  });

  // No answer to show (deal deleted meanwhile, server or network down): put the card back.
  function moveFailed(evt) {
    var card = evt.detail.elt;
    if (!card.classList || !card.classList.contains("deal-card")) return;
    card.classList.remove("is-saving");
    card.dataset.stage = card.dataset.from || card.dataset.stage;
    settle(card);
    announce("The move could not be saved; the card is back where it was. Reload the board.");
  }
  document.addEventListener("htmx:responseError", moveFailed);
  document.addEventListener("htmx:sendError", moveFailed);

  document.addEventListener("htmx:load", function (evt) {
    var elt = evt.detail.elt;
    // A card moved into this column earlier may come again with the column's next page.
    if (elt.classList && elt.classList.contains("deal-card")) {
      var twins = document.querySelectorAll("#" + CSS.escape(elt.id));
      if (twins.length > 1 && twins[0] !== elt) elt.remove();
      return;
    }
    init(elt);
  });
  document.addEventListener("DOMContentLoaded", function () { init(document); });
})();
