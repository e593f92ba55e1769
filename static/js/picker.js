// Company pickers (templates/companies/_macros.html): search as you type, then choosing an
// option fills the hidden id and fires "change" on it, so a form can react (refresh a
// dependent field, re-filter a list). In a click-to-edit editor, choosing saves at once.
(function () {
  "use strict";

  document.addEventListener("click", function (event) {
    var option = event.target.closest(".picker-option");
    if (!option) return;
    var picker = option.closest("[data-picker]");
    var hidden = picker.querySelector("[data-picker-value]");
    hidden.value = option.dataset.value;
    var search = picker.querySelector(".picker-search");
    search.value = option.dataset.label;
    picker.querySelector(".picker-options").innerHTML = "";
    hidden.dispatchEvent(new Event("change", { bubbles: true }));
    var editor = picker.closest("form.ie-editor");
    if (picker.hasAttribute("data-picker-submit") && editor && !editor.dataset.done) {
      editor.dataset.done = "1";
      htmx.trigger(editor, "submit");
    } else {
      search.focus();
    }
  });
})();
