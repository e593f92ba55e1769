// Notes (templates/notes/_macros.html): Ctrl+Enter (Cmd+Enter on a Mac) saves the note being
// written or edited, Escape cancels an edit; after an add the form is emptied for the next note.
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

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form.note-add") || !event.detail.successful) return;
    form.reset();
    var error = form.querySelector(".note-add-error");
    if (error) error.remove();
    var area = form.querySelector("textarea");
    area.removeAttribute("aria-invalid");
    area.removeAttribute("aria-describedby");
    area.focus();
  });
})();
