// A task row's checkbox (complete, reopen) and its × (delete). The row holds what the request
// needs, so the fifty rows of /tasks carry no request attributes of their own: on a record page
// and at home an <li data-fields data-version> (its fields' URL), on /tasks a grid's <tr data-id
// data-version> (the table's data-edit-url is the tasks' URL). On /tasks and the home page the
// whole list comes back (the task moves to the section it now belongs in); elsewhere the row.
(function () {
  "use strict";

  var LISTS = { task_sections: "tasks", "home-task-list": "home" };

  function act(control, action, values) {
    var row = control.closest("li[data-fields], tr[data-id]");
    if (!row) return;
    var list = row.closest("#task_sections, #home-task-list");
    var url = row.dataset.fields
      ? row.dataset.fields.replace(/fields\/$/, action)
      : row.closest("table").dataset.editUrl + row.dataset.id + "/" + action;
    values.version = row.dataset.version;
    if ("list" in row.dataset || row.dataset.id) values.list = "1";
    if (list) values.view = LISTS[list.id];
    htmx.ajax("POST", url, { source: control, target: list || row, swap: "outerHTML", values: values });
  }

  // A list redrawn whole after a change leaves the keyboard's focus nowhere: it goes to the
  // changed task's checkbox where the task now is or, deleted, to the Undo that brings it back.
  document.addEventListener("htmx:afterSettle", function (event) {
    var list = event.detail.target;
    if (!list || !(list.id in LISTS) || document.activeElement !== document.body) return;
    var redrawn = document.getElementById(list.id);
    var next = redrawn && (
      redrawn.querySelector(".task-changed .task-checkbox, li:has(.task-notice) .task-checkbox") ||
      redrawn.querySelector(".task-banner button, .task-removed button"));
    if (next) next.focus();
  });

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (box.matches && box.matches(".task-checkbox")) {
      act(box, "status", { status: box.checked ? "closed" : "open" });
    }
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button.task-delete");
    if (button) act(button, "delete", {});
  });

  // A title saved in a /tasks cell: its row's checkbox and × are named after it again.
  document.addEventListener("htmx:afterSwap", function (event) {
    var shown = event.detail.target.id && document.getElementById(event.detail.target.id);
    var cell = shown && shown.matches(".ie-display") && shown.closest('td[data-field="description"]');
    if (!cell) return;
    var title = cell.textContent.trim();
    var box = cell.parentElement.querySelector(".task-checkbox");
    var remove = cell.parentElement.querySelector(".task-delete");
    if (box) box.setAttribute("aria-label", (box.checked ? "Reopen: " : "Complete: ") + title);
    if (remove) remove.setAttribute("aria-label", "Delete task: " + title);
  });
})();
