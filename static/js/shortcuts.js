// Record pages' keyboard shortcuts (the dialog: notes/_macros.html shortcuts_help): `t` puts the
// cursor in the add-task title, `n` in the add-note box, `?` lists them. Only when the user is
// not typing in a field, and never with Ctrl, Alt or Cmd (those are the browser's).
(function () {
  "use strict";

  var TARGETS = { t: ".task-add-title", n: ".note-add-text" };
  var opener = null; // what had the focus before the dialog opened: it gets it back

  function typing(element) {
    return element.closest && element.closest("input, textarea, select, [contenteditable]");
  }

  function openHelp(dialog) {
    if (dialog.open) return;
    opener = document.activeElement;
    dialog.showModal(); // modal: the page behind is inert, so focus stays inside
  }

  document.addEventListener("keydown", function (event) {
    var dialog = document.getElementById("shortcuts-help");
    if (!dialog || dialog.open || event.defaultPrevented) return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    if (event.key === "?") {
      event.preventDefault();
      openHelp(dialog);
      return;
    }
    var field = TARGETS[event.key] && document.querySelector(TARGETS[event.key]);
    if (!field) return;
    event.preventDefault(); // the letter is a command, not the first letter of the text
    field.scrollIntoView({ block: "center" });
    field.focus();
  });

  document.addEventListener("click", function (event) {
    var dialog = document.getElementById("shortcuts-help");
    if (!dialog) return;
    if (event.target.closest("[data-shortcuts-open]")) openHelp(dialog);
    else if (event.target === dialog) dialog.close(); // a click on the backdrop
  });

  document.addEventListener(
    "close",
    function (event) {
      if (event.target.id !== "shortcuts-help") return;
      if (opener && opener.isConnected) opener.focus();
      opener = null;
    },
    true
  );
})();
