// crm_web's own behaviour, loaded on every page (no inline scripts: the CSP forbids them).
(function () {
  "use strict";

  // htmx under the CSP: no eval, no injected <style>, no history snapshots (pages hold customer
  // data), requests to this site only; 422 (invalid input) and 409 (conflict) fragments are
  // swapped like 200s, other errors swap nothing (flash below). Set here, before htmx starts
  // (on DOMContentLoaded, after the deferred scripts): as a <meta> it was 0.4 KB on every page.
  Object.assign(htmx.config, {
    allowEval: false,
    allowScriptTags: false,
    includeIndicatorStyles: false,
    historyCacheSize: 0,
    defaultSettleDelay: 0,
    selfRequestsOnly: true,
    responseHandling: [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "422", swap: true },
      { code: "409", swap: true },
      { code: "[45]..", swap: false, error: true },
    ],
  });

  // A swap that redraws a list whole (e.g. /tasks' sections after a completion) settles its new
  // content from the old: that would copy each old input's `style` attribute (Chromium leaves
  // style="" on inputs) onto its namesake, an inline style the CSP refuses. Class and size
  // still settle.
  htmx.config.attributesToSettle = ["class", "width", "height"];

  // Make every CSP violation loud: Chromium already logs most, this covers the rest, and the
  // browser tests fail on any console error.
  document.addEventListener("securitypolicyviolation", function (event) {
    console.error("CSP violation: " + event.violatedDirective + " blocked " + (event.blockedURI || "inline"));
  });

  // A failed HTMX request (403, 404, 500, network) swaps nothing (responseHandling above);
  // tell the user instead of leaving them wondering.
  function flash(message, category) {
    var box = document.getElementById("flashes");
    if (!box) return;
    var p = document.createElement("p");
    p.className = "flash flash-" + (category || "error");
    p.setAttribute("role", "alert");
    p.textContent = message;
    box.replaceChildren(p);
  }
  var STATUS_MESSAGES = {
    403: "You are not allowed to do that.",
    404: "That record no longer exists.",
    429: "Too many requests. Wait a moment and try again.",
  };
  // The error page's own sentence, when it has one: a 503 after a lost COMMIT says the change
  // "may have been saved: reload to check", and "try again" would be the wrong advice there.
  function pageMessage(xhr) {
    var type = xhr && xhr.getResponseHeader("Content-Type");
    if (!type || type.indexOf("text/html") !== 0) return "";
    var page = new DOMParser().parseFromString(xhr.responseText, "text/html");
    var message = page.getElementById("error-message");
    return message ? message.textContent.trim() : "";
  }
  document.addEventListener("htmx:responseError", function (event) {
    var xhr = event.detail.xhr;
    var status = xhr ? xhr.status : 0;
    var message = STATUS_MESSAGES[status] || pageMessage(xhr) ||
      "Something went wrong (" + status + "). Please try again.";
    // A server-side failure: the reference finds its log line (X-Request-ID).
    var reference = status >= 500 && xhr.getResponseHeader("X-Request-ID");
    flash(reference ? message + " Reference: " + reference : message);
  });
  document.addEventListener("htmx:sendError", function () {
    flash("The server could not be reached. Check your connection and try again.");
  });

  // After a refused form (422), put the cursor on the first field that needs attention: on
  // page load, and inside a form HTMX just swapped back in answer to its own submission. Never
  // on any other swap (the duplicate check, a picker's options, a list): those arrive while the
  // user types, and moving the cursor then sends their next keys into the wrong field.
  function focusFirstInvalid(root) {
    var field = root && root.querySelector("[aria-invalid='true']");
    if (field && typeof field.focus === "function") field.focus();
  }
  document.addEventListener("DOMContentLoaded", function () {
    focusFirstInvalid(document);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var detail = event.detail;
    var config = detail.requestConfig;
    if (!config || config.verb === "get" || !detail.xhr || detail.xhr.status !== 422) return;
    var target = detail.target;
    // An outerHTML swap replaced the target: look for its successor by id.
    var fresh = target.isConnected ? target : target.id && document.getElementById(target.id);
    focusFirstInvalid(fresh);
  });

  // "/" jumps to the search box from anywhere but a text field (as on GitHub and Gmail), unless
  // the command palette (static/js/search.js) is on the page: then "/" opens it.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (document.getElementById("palette")) return;
    var active = document.activeElement;
    if (active && (active.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(active.tagName))) return;
    var search = document.getElementById("global-search");
    if (search && !search.disabled) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });

  // The user menu is a <details>: close it on Escape or a click elsewhere.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.removeAttribute("open");
    });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      menu.removeAttribute("open");
      menu.querySelector("summary").focus();
    });
  });

  // An add form that saved (a task's, a note's: form[data-add-form]) is emptied for the next
  // one: its message gone, the cursor back in its first field.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (!form.matches || !form.matches("form[data-add-form]") || !event.detail.successful) return;
    form.reset();
    form.querySelectorAll("[role=alert]").forEach(function (message) { message.remove(); });
    form.querySelectorAll("[aria-invalid]").forEach(function (input) {
      input.removeAttribute("aria-invalid");
      input.removeAttribute("aria-describedby");
    });
    form.querySelector("input:not([type=hidden]), textarea").focus();
  });
})();
