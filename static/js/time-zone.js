// Loaded only while the signed-in user has no time zone (base.html): sends the browser's one
// (an IANA name such as "Europe/Berlin") once, so the next pages show times as their clock reads.
// The server validates it and never overrides a zone the user chose on their profile.
(function () {
  "use strict";

  var script = document.currentScript;
  var url = script && script.dataset.url;
  var zone = window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!url || !zone) return;

  function send() {
    // The CSRF token travels in the header the page gives htmx (hx-headers on <body>).
    var headers = { "Content-Type": "application/x-www-form-urlencoded" };
    try {
      var fromPage = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      Object.keys(fromPage).forEach(function (name) { headers[name] = fromPage[name]; });
    } catch (ignored) {
      return;
    }
    fetch(url, {
      method: "POST",
      headers: headers,
      body: "time_zone=" + encodeURIComponent(zone),
      credentials: "same-origin",
    }).catch(function () {
      // Offline or signed out meanwhile: the next page load tries again.
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", send);
  } else {
    send();
  }
})();
