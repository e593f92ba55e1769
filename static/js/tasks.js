// A task row's checkbox (complete, reopen) and its × (delete). The row, <li data-fields
// data-version> (crm_web/activities/display.py), holds its URL and version, so the fifty rows
// of /tasks carry no request attributes of their own. On /tasks and the home page the whole
// list comes back (the task moves to the section it now belongs in); elsewhere the row alone.
(function () {
  "use strict";

  var LISTS = { task_sections: "tasks", "home-task-list": "home" };

  function act(control, action, values) {
    var row = control.closest("li[data-fields]");
    if (!row) return;
    var list = row.closest("#task_sections, #home-task-list");
    values.version = row.dataset.version;
    if ("list" in row.dataset) values.list = "1";
    if (list) values.view = LISTS[list.id];
    htmx.ajax("POST", row.dataset.fields.replace(/fields\/$/, action), {
      source: control, target: list || row, swap: "outerHTML", values: values,
    });
  }

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
})();
