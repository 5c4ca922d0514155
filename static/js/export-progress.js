/* The progress bar of a background export (templates/exports/run.html). Polls the run's
 * progress URL every second; once the run is done or failed, reloads the page, which then
 * shows the download or the error. Vanilla JS, no dependencies. */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function setup(box) {
    var bar = box.querySelector(".progress-bar");
    var track = box.querySelector(".progress");
    var message = box.querySelector("[data-export-message]");

    function show(run) {
      var percent = Math.max(0, Math.min(100, run.progress || 0));
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
      track.setAttribute("aria-valuenow", String(percent));
      message.textContent = run.status === "pending"
        ? box.dataset.textQueued
        : box.dataset.textRunning
            .replace("{done}", String(run.done))
            .replace("{total}", String(run.total));
    }

    function poll() {
      fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (run) {
          if (run.finished) {
            window.location.reload();
            return;
          }
          show(run);
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          message.textContent = box.dataset.textError;
          window.setTimeout(poll, POLL_MS * 5);
        });
    }

    poll();
  }

  document.querySelectorAll("[data-export-progress]").forEach(setup);
})();
