// Record lists: row selection for bulk actions, confirmations, and keeping
// the filter form's sort in step with the list (whose state lives in the URL).
(function () {
  "use strict";

  function updateBulkBar(root) {
    var form = root.querySelector("#bulk");
    if (!form) return;
    var ticked = form.querySelectorAll("input[name=ids]:checked").length;
    var bar = form.querySelector("[data-bulk-bar]");
    if (!bar) return;
    bar.classList.toggle("has-selection", ticked > 0);
    bar.querySelector("[data-selected-count]").textContent = ticked + " selected";
  }

  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (all) {
      var form = all.closest("form");
      form.querySelectorAll("input[name=ids]").forEach(function (box) { box.checked = all.checked; });
    }
    if (event.target.matches("input[name=ids], [data-select-all]")) updateBulkBar(document);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var list = document.querySelector(".record-list[data-sort]");
    var filters = document.getElementById("list-filters");
    if (list && filters) {
      // An empty data-sort: no sort picked yet, so none is sent (a search sorts by relevance).
      ["sort", "dir"].forEach(function (name) {
        var input = filters.querySelector("[name=" + name + "]");
        input.value = list.dataset[name];
        input.disabled = !list.dataset[name];
      });
    }
    updateBulkBar(document);
  });

  // Forms that destroy data ask first.
  document.addEventListener("submit", function (event) {
    var message = event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) event.preventDefault();
  }, true);
})();
