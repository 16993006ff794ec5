/* Download my data: while a copy is being prepared, ask the server for its progress every
   couple of seconds and show it; reload the page when it is ready (the download button
   appears) or failed. Without JavaScript the page works the same: reloading it shows the
   progress. Only the member's own exports are polled (the server checks that too). */
(function () {
  "use strict";
  var table = document.getElementById("export-list");
  if (!table || !window.fetch) {
    return;
  }
  var interval = parseInt(table.dataset.pollInterval, 10) || 2000;
  var rows = Array.prototype.slice.call(table.querySelectorAll("[data-export-status-url]"));
  if (!rows.length) {
    return;
  }

  function field(row, name) {
    return row.querySelector('[data-export-field="' + name + '"]');
  }

  function show(row, state) {
    var bar = field(row, "progress");
    var text = field(row, "progress_text");
    var status = field(row, "status_label");
    if (bar) {
      bar.value = state.progress;
      bar.textContent = state.progress + "%";
    }
    if (text) {
      text.textContent = state.progress + "%";
    }
    if (status && status.textContent !== state.status_label) {
      status.textContent = state.status_label;
    }
  }

  function poll() {
    var requests = rows.map(function (row) {
      return fetch(row.dataset.exportStatusUrl, {
        headers: { Accept: "application/json" },
        credentials: "same-origin",
        cache: "no-store"
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("status " + response.status);
        }
        return response.json();
      }).then(function (state) {
        show(row, state);
        return state.running;
      });
    });
    Promise.all(requests).then(function (running) {
      if (running.every(function (still) { return !still; })) {
        window.location.reload();
      } else {
        window.setTimeout(poll, interval);
      }
    }).catch(function () {
      // Signed out, offline or a server error: stop; a reload still shows the progress.
    });
  }

  window.setTimeout(poll, interval);
})();
