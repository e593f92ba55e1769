// Tasks (templates/tasks/_macros.html): after the one-line add form saved, it is emptied for
// the next task, the cursor back in its title; settling leaves `style` alone.
(function () {
  "use strict";

  // A completion redraws /tasks' sections (or the home list) whole. Settling would copy each
  // old input's `style` attribute (Chromium leaves style="" on inputs) onto its namesake in the
  // new content: an inline style the CSP refuses. Class and size still settle.
  htmx.config.attributesToSettle = ["class", "width", "height"];

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
