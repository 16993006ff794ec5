/*
 * Usage analytics, served only to visitors who agreed to analytics (templates/base.html).
 *
 * Sends two kinds of beacons to the same-origin endpoint named by data-endpoint:
 *  - the time the page was visible, when it is hidden or left (the server adds it to the
 *    page view it recorded, named by data-page-event);
 *  - a followed link to another site, as origin and path only.
 * No cookies, no identifiers of its own, no third parties.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !navigator.sendBeacon) {
    return;
  }
  var endpoint = script.getAttribute("data-endpoint");
  var pageEvent = script.getAttribute("data-page-event");
  if (!endpoint) {
    return;
  }

  function send(payload) {
    try {
      // A string is sent as text/plain, which needs no CORS preflight.
      navigator.sendBeacon(endpoint, JSON.stringify(payload));
    } catch (error) {
      // Analytics must never break the page.
    }
  }

  // --- Time on page: visible time only, summed over every visible stretch. ---
  var visibleSince = document.visibilityState === "visible" ? performance.now() : null;
  var visibleMs = 0;
  var lastSentMs = -1;
  var MAX_MS = 6 * 60 * 60 * 1000;

  function reportTime() {
    if (visibleSince !== null) {
      visibleMs += performance.now() - visibleSince;
      visibleSince = null;
    }
    var ms = Math.min(Math.round(visibleMs), MAX_MS);
    if (!pageEvent || ms <= 0 || ms === lastSentMs) {
      return;
    }
    lastSentMs = ms;
    send({ kind: "time", page_event: pageEvent, ms: ms });
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") {
      reportTime();
    } else if (visibleSince === null) {
      visibleSince = performance.now();
    }
  });
  window.addEventListener("pagehide", reportTime);

  // --- Links to other sites. ---
  document.addEventListener(
    "click",
    function (event) {
      var link = event.target && event.target.closest ? event.target.closest("a[href]") : null;
      if (!link) {
        return;
      }
      var url;
      try {
        url = new URL(link.href, window.location.href);
      } catch (error) {
        return;
      }
      if ((url.protocol !== "http:" && url.protocol !== "https:") || url.origin === window.location.origin) {
        return;
      }
      send({ kind: "outbound_click", path: window.location.pathname, target: url.origin + url.pathname });
    },
    true
  );
})();
