// Global search: the top bar's drop-down and the command palette (base.html). HTMX fetches the
// lists (search.views); this moves through their options with the arrow keys, opens one with
// Enter, opens the palette on Ctrl/Cmd+K or "/", and remembers recently opened records.
(function () {
  "use strict";

  var RECENT_KEY = "crm-recent-records";
  var RECENT_MAX = 6;
  var RECORD_PATH = /^\/(contacts|companies|deals)\/[0-9a-f-]{36}$/;
  var KIND_LABEL = { contacts: "Contact", companies: "Company", deals: "Deal" };

  function options(list) {
    return list ? Array.prototype.slice.call(list.querySelectorAll("[role='option']")) : [];
  }

  function activate(input, list, option) {
    options(list).forEach(function (o) { o.setAttribute("aria-selected", o === option ? "true" : "false"); });
    if (option) {
      input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function current(list) {
    return list && list.querySelector("[role='option'][aria-selected='true']");
  }

  // Arrow keys move, Enter opens the chosen option (or, with none chosen, does what it did).
  function navigate(input, list, event) {
    var all = options(list);
    var at = all.indexOf(current(list));
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!all.length) return;
      event.preventDefault();
      var next = event.key === "ArrowDown" ? Math.min(at + 1, all.length - 1) : Math.max(at - 1, 0);
      activate(input, list, all[next]);
    } else if (event.key === "Enter" && at >= 0 && all[at].dataset.url) {
      event.preventDefault();
      window.location.assign(all[at].dataset.url);
    }
  }

  // -- the top bar -------------------------------------------------------------------------
  function setupTopbar() {
    var input = document.getElementById("global-search");
    var popup = document.getElementById("global-search-results");
    if (!input || !popup) return;
    function show(open) {
      popup.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (!open) activate(input, popup, null);
    }
    input.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !popup.hidden) {
        event.stopPropagation();
        show(false);
        return;
      }
      if (!popup.hidden) navigate(input, popup, event);
    });
    input.addEventListener("input", function () {
      if (!input.value.trim()) show(false);
    });
    input.addEventListener("focus", function () {
      if (input.value.trim() && popup.children.length) show(true);
    });
    // Clicks inside the drop-down keep it open long enough to follow the link.
    document.addEventListener("click", function (event) {
      if (!popup.hidden && event.target !== input && !popup.contains(event.target)) show(false);
    });
    popup.addEventListener("htmx:afterSwap", function () {
      var first = options(popup)[0];
      show(Boolean(input.value.trim()) && document.activeElement === input);
      activate(input, popup, first || null);
    });
  }

  // -- the palette -------------------------------------------------------------------------
  function recent() {
    try {
      return JSON.parse(window.localStorage.getItem(RECENT_KEY) || "[]");
    } catch (error) {
      return [];
    }
  }

  // A record page remembers itself (its title and address) for the palette's "Recent".
  function rememberThisRecord() {
    var match = RECORD_PATH.exec(window.location.pathname);
    if (!match) return;
    var heading = document.querySelector("main h1");
    var title = heading ? heading.textContent.trim() : document.title;
    var entry = { url: window.location.pathname, title: title, kind: KIND_LABEL[match[1]] };
    var list = recent().filter(function (item) { return item.url !== entry.url; });
    list.unshift(entry);
    try {
      window.localStorage.setItem(RECENT_KEY, JSON.stringify(list.slice(0, RECENT_MAX)));
    } catch (error) { /* storage full or off: no recent list */ }
  }

  function recentGroup() {
    var items = recent();
    if (!items.length) return null;
    var section = document.createElement("section");
    section.className = "search-group";
    var head = document.createElement("h2");
    head.className = "search-group-head";
    head.id = "palette-recent";
    head.textContent = "Recent";
    var list = document.createElement("ul");
    list.className = "search-results";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-labelledby", "palette-recent");
    items.forEach(function (item, i) {
      var li = document.createElement("li");
      li.className = "search-result";
      li.id = "palette-recent-" + i;
      li.setAttribute("role", "option");
      li.setAttribute("aria-selected", "false");
      li.dataset.url = item.url;
      var a = document.createElement("a");
      a.href = item.url;
      a.tabIndex = -1;
      var title = document.createElement("span");
      title.className = "search-title";
      title.textContent = item.title;
      var detail = document.createElement("span");
      detail.className = "search-detail";
      detail.textContent = item.kind || "";
      a.append(title, detail);
      li.append(a);
      list.append(li);
    });
    section.append(head, list);
    return section;
  }

  function setupPalette() {
    var dialog = document.getElementById("palette");
    if (!dialog) return;
    var input = document.getElementById("palette-input");
    var results = document.getElementById("palette-results");
    var opener = null;

    function open() {
      if (dialog.open) return;
      opener = document.activeElement;
      input.value = "";
      results.replaceChildren();
      dialog.showModal();
      input.focus();
      htmx.trigger(input, "palette-open");
    }
    dialog.addEventListener("close", function () {
      if (opener && typeof opener.focus === "function" && opener.isConnected) opener.focus();
      opener = null;
    });
    // A click on the backdrop (outside the box) closes it.
    dialog.addEventListener("click", function (event) {
      if (event.target === dialog) dialog.close();
    });
    input.addEventListener("keydown", function (event) { navigate(input, results, event); });
    results.addEventListener("htmx:afterSwap", function () {
      if (!input.value.trim()) {
        var group = recentGroup();
        if (group) results.append(group);
      }
      activate(input, results, options(results)[0] || null);
    });

    document.addEventListener("keydown", function (event) {
      var key = event.key && event.key.toLowerCase();
      if (key === "k" && (event.ctrlKey || event.metaKey) && !event.altKey) {
        event.preventDefault();
        if (dialog.open) dialog.close(); else open();
        return;
      }
      if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey || dialog.open) return;
      var active = document.activeElement;
      if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
      event.preventDefault();
      open();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    rememberThisRecord();
    setupTopbar();
    setupPalette();
  });
})();
