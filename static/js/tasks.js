// Tasks (templates/tasks/_macros.html): after the one-line add form saved, it is emptied for
// the next task, the cursor back in its title.
(function () {
  "use strict";

  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form.task-add") || !event.detail.successful) return;
    form.reset();
    var error = form.querySelector(".task-add-error");
    if (error) error.remove();
    form.querySelectorAll("[aria-invalid]").forEach(function (input) { input.removeAttribute("aria-invalid"); });
    form.querySelector(".task-add-title").focus();
  });
})();
