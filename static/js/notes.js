// Notes (templates/notes/_macros.html). A note's Pin, Edit and Delete are sent from here, from
// the note's <li id="note-<id>" data-version> and its list's data-notes-url, so the notes carry
// no request attributes of their own. Ctrl+Enter (Cmd+Enter on a Mac) saves the note being
// written or edited, Escape cancels an edit (app.js empties the add form after a save).
(function () {
  "use strict";

  var ACTIONS = {
    "note-pin": function (note) {
      // Pinning moves the note: the whole list comes back, in its new order.
      var values = { pinned: note.matches(".note-pinned") ? "0" : "1", version: note.dataset.version };
      return ["POST", "pin", note.closest("ul"), values];
    },
    "note-edit": function (note) { return ["GET", "edit", note, {}]; },
    "note-delete": function (note) { return ["POST", "delete", note, {}]; },
  };

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".note-actions button");
    var note = button && button.closest("li.note-item");
    var list = note && note.closest("ul[data-notes-url]");
    if (!list) return;
    var name = Object.keys(ACTIONS).find(function (c) { return button.classList.contains(c); });
    if (!name) return;
    var request = ACTIONS[name](note);
    var url = list.dataset.notesUrl + note.id.slice("note-".length) + "/" + request[1];
    htmx.ajax(request[0], url, { source: button, target: request[2], swap: "outerHTML", values: request[3] });
  });

  document.addEventListener("keydown", function (event) {
    var area = event.target;
    if (!area.matches || !area.matches("form.note-form textarea")) return;
    var form = area.form;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      form.requestSubmit();
    } else if (event.key === "Escape" && form.matches(".note-editor")) {
      event.preventDefault();
      var cancel = form.querySelector(".note-cancel");
      if (cancel) cancel.click();
    }
  });
})();
