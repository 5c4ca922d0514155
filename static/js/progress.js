/* The progress bar of a job running in the background: an export (templates/exports/run.html)
 * or an import (templates/importing/job_detail.html). Each box [data-progress] names its
 * progress URL (data-url), which answers {status, running, percent, done, total}, and its
 * texts: data-text-running ("{done}" and "{total}" filled in), data-text-error, and
 * data-text-queued (optional) while the status is "pending". Polls every second; once the job
 * is no longer running, reloads the page, which then shows the result. Vanilla JS, no
 * dependencies. */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function setup(box) {
    var bar = box.querySelector(".progress-bar");
    var track = box.querySelector(".progress");
    var message = box.querySelector("[data-progress-message]");

    function show(state) {
      var percent = Math.max(0, Math.min(100, state.percent || 0));
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
      track.setAttribute("aria-valuenow", String(percent));
      message.textContent = state.status === "pending" && box.dataset.textQueued
        ? box.dataset.textQueued
        : box.dataset.textRunning
            .replace("{done}", String(state.done))
            .replace("{total}", String(state.total));
    }

    function poll() {
      fetch(box.dataset.url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (state) {
          if (!state.running) {
            window.location.reload();
            return;
          }
          show(state);
          window.setTimeout(poll, POLL_MS);
        })
        .catch(function () {
          message.textContent = box.dataset.textError;
          window.setTimeout(poll, POLL_MS * 5);
        });
    }

    poll();
  }

  document.querySelectorAll("[data-progress]").forEach(setup);
})();
