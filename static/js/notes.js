// Notes (templates/notes/_macros.html): Ctrl+Enter (Cmd+Enter on a Mac) saves the note being
// written or edited, Escape cancels an edit (app.js empties the add form after a save).
(function () {
  "use strict";

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
