/* Recompute a snapshot and show its progress (templates/reports/_recompute.html).
 * Posts the form with fetch (asking for JSON), then polls the run's progress URL until the
 * run is done or failed. Vanilla JS, no dependencies. */
(function () {
  "use strict";

  var POLL_MS = 1000;

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  function setup(form) {
    var card = form.closest(".card-body");
    var status = card.querySelector("[data-recompute-status]");
    var bar = status.querySelector(".progress-bar");
    var track = status.querySelector(".progress");
    var message = status.querySelector("[data-recompute-message]");
    var link = status.querySelector("[data-recompute-link]");
    var text = {
      queued: status.dataset.textQueued,
      running: status.dataset.textRunning,
      done: status.dataset.textDone,
      failed: status.dataset.textFailed,
      error: status.dataset.textError,
    };
    var button = form.querySelector("button[type=submit]");

    function show(run) {
      var percent = Math.max(0, Math.min(100, run.progress || 0));
      status.classList.remove("d-none");
      bar.style.width = percent + "%";
      bar.textContent = percent + "%";
      track.setAttribute("aria-valuenow", String(percent));
      bar.classList.toggle("bg-danger", run.status === "failed");
      bar.classList.toggle("bg-success", run.status === "done");
      bar.classList.toggle("progress-bar-animated", !run.finished);
      if (run.status === "failed") {
        message.textContent = text.failed + (run.error || "");
      } else if (run.status === "done") {
        message.textContent = format(text.done, run);
        link.href = run.dashboard_url;
        link.classList.remove("d-none");
      } else if (run.status === "running") {
        message.textContent = format(text.running, run);
      } else {
        message.textContent = text.queued;
      }
    }

    function fail() {
      status.classList.remove("d-none");
      message.textContent = text.error;
      button.disabled = false;
    }

    function poll(url) {
      fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (run) {
          show(run);
          if (run.finished) {
            button.disabled = false;
          } else {
            window.setTimeout(function () { poll(url); }, POLL_MS);
          }
        })
        .catch(fail);
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      link.classList.add("d-none");
      var data = new FormData(form);
      fetch(form.action, {
        method: "POST",
        body: data,
        credentials: "same-origin",
        headers: { Accept: "application/json", "X-CSRFToken": data.get("csrfmiddlewaretoken") },
      })
        .then(function (response) {
          if (!response.ok) throw new Error(response.status);
          return response.json();
        })
        .then(function (run) {
          show(run);
          if (run.finished) {
            button.disabled = false;
          } else {
            poll(run.progress_url);
          }
        })
        .catch(fail);
    });
  }

  document.querySelectorAll("[data-recompute-form]").forEach(setup);
})();
