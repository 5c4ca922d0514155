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

    function json(url, options) {
      var init = Object.assign({ credentials: "same-origin" }, options);
      init.headers = Object.assign({ Accept: "application/json" }, init.headers);
      return fetch(url, init).then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.json();
      });
    }

    // Show the run the request answers; when it is not finished, go on with next(run).
    function follow(request, next) {
      request
        .then(function (run) {
          show(run);
          if (run.finished) {
            button.disabled = false;
          } else {
            next(run);
          }
        })
        .catch(fail);
    }

    function poll(url) {
      follow(json(url), function () {
        window.setTimeout(function () { poll(url); }, POLL_MS);
      });
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      button.disabled = true;
      link.classList.add("d-none");
      var data = new FormData(form);
      var request = json(form.action, {
        method: "POST",
        body: data,
        headers: { "X-CSRFToken": data.get("csrfmiddlewaretoken") },
      });
      follow(request, function (run) { poll(run.progress_url); });
    });
  }

  document.querySelectorAll("[data-recompute-form]").forEach(setup);
})();
