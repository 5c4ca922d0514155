/* The progress bar of an import running in the background (templates/importing/job_detail.html).
 * Polls the job's progress URL every second; when the job is no longer running, reloads the
 * page, which then shows the check's or the import's result. Vanilla JS, no dependencies. */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function setup(box) {
    var bar = box.querySelector(".progress-bar");
    var track = box.querySelector(".progress");
    var message = box.querySelector("[data-import-message]");

    function show(state) {
      var percent = Math.max(0, Math.min(100, state.percent || 0));
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
      track.setAttribute("aria-valuenow", String(percent));
      message.textContent = box.dataset.textRunning
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

  document.querySelectorAll("[data-import-progress]").forEach(setup);
})();
