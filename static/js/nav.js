// The main navigation on a phone: a Menu button (base.html) folds the links away and opens them
// below the top bar. On wider screens CSS hides the button and always shows the links.
(function () {
  "use strict";

  function setOpen(button, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.querySelector(".nav-toggle");
    if (!button) return;
    button.hidden = false; // without this script the links stay in view and wrap
    button.addEventListener("click", function () {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
    });
  });

  // Escape closes an open menu and puts the focus back on its button.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var button = document.querySelector(".nav-toggle[aria-expanded='true']");
    if (!button) return;
    setOpen(button, false);
    button.focus();
  });
})();
