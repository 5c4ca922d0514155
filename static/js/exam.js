/* The candidate's paper (templates/exams/paper.html, issue 20). Each answer is posted as it
 * is given; an answer that cannot be sent (no connection) is kept in localStorage and sent
 * again when the connection is back, on the next change, every few seconds, and when the
 * page is opened again — so a dropped connection or a reload loses nothing. The countdown
 * only shows the server's deadline: at zero the paper is submitted, and the server refuses
 * answers after the deadline whatever this script does. Vanilla JS, no dependencies. */
(function () {
  "use strict";

  var RETRY_MS = 5000;
  var root = document.getElementById("paper");
  if (!root) { return; }
  var storeKey = "exam-pending-" + root.dataset.paper;
  var csrf = document.querySelector("[name=csrfmiddlewaretoken]").value;
  var status = document.getElementById("save-status");
  var timer = document.getElementById("timer");
  var submitForm = document.getElementById("submit-form");
  var closed = false;

  function loadPending() {
    try { return JSON.parse(window.localStorage.getItem(storeKey) || "{}"); } catch (e) { return {}; }
  }
  function savePending(pending) {
    try { window.localStorage.setItem(storeKey, JSON.stringify(pending)); } catch (e) { /* private mode */ }
  }
  var pending = loadPending();

  function fieldset(position) {
    return root.querySelector('.question[data-position="' + position + '"]');
  }
  function chosen(position) {
    var boxes = fieldset(position).querySelectorAll("input:checked");
    return Array.prototype.map.call(boxes, function (box) { return box.value; });
  }
  function mark(position, state) {
    var box = fieldset(position);
    if (!box) { return; }
    box.classList.remove("saved", "pending");
    box.classList.add(state);
    box.querySelector(".state").textContent =
      state === "saved" ? root.dataset.savedText : root.dataset.pendingText;
  }
  function apply(position, letters) {
    var box = fieldset(position);
    if (!box) { return; }
    box.querySelectorAll("input").forEach(function (input) {
      input.checked = letters.indexOf(input.value) !== -1;
    });
  }
  function finish() {
    if (closed) { return; }
    closed = true;
    window.location.href = root.dataset.resultUrl;
  }

  function send(position) {
    var letters = pending[position];
    var body = new URLSearchParams();
    body.append("position", position);
    letters.forEach(function (letter) { body.append("choice", letter); });
    return fetch(root.dataset.answerUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, "Accept": "application/json" },
      body: body
    }).then(function (response) {
      return response.json().then(function (data) { return { response: response, data: data }; });
    }).then(function (result) {
      if (result.response.ok) {
        if (JSON.stringify(pending[position]) === JSON.stringify(letters)) {
          delete pending[position];
          savePending(pending);
          mark(position, "saved");
        }
        if (typeof result.data.remaining === "number") { setRemaining(result.data.remaining); }
      } else if (result.response.status === 409 || result.data.signed_out) {
        delete pending[position];
        savePending(pending);
        status.textContent = result.data.error || root.dataset.closedText;
        finish();
      } else {
        // A refused answer (a bad letter) is not retried.
        delete pending[position];
        savePending(pending);
        status.textContent = result.data.error || "";
      }
    }).catch(function () {
      mark(position, "pending");
    });
  }

  function flush() {
    return Promise.all(Object.keys(pending).map(send));
  }

  root.addEventListener("change", function (event) {
    var box = event.target.closest(".question");
    if (!box) { return; }
    var position = box.dataset.position;
    pending[position] = chosen(position);
    savePending(pending);
    mark(position, "pending");
    send(position);
  });

  // Answers given while offline, kept from before a reload: shown, then sent.
  Object.keys(pending).forEach(function (position) {
    apply(position, pending[position]);
    mark(position, "pending");
  });
  flush();
  window.addEventListener("online", flush);
  window.setInterval(function () { if (Object.keys(pending).length) { flush(); } }, RETRY_MS);

  // The countdown.
  var deadline = Date.now() + parseInt(timer.dataset.remaining, 10) * 1000;
  function setRemaining(seconds) { deadline = Date.now() + seconds * 1000; }
  function tick() {
    var left = Math.max(0, Math.round((deadline - Date.now()) / 1000));
    var minutes = Math.floor(left / 60);
    var seconds = left % 60;
    timer.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
    timer.classList.toggle("urgent", left < 300);
    if (left === 0 && !closed) {
      closed = true;
      flush().then(function () { submitForm.submit(); }, function () { submitForm.submit(); });
    }
  }
  tick();
  window.setInterval(tick, 1000);

  submitForm.addEventListener("submit", function (event) {
    if (closed) { return; }
    event.preventDefault();
    if (!window.confirm(document.getElementById("submit-paper").dataset.confirm)) { return; }
    closed = true;
    flush().then(function () { submitForm.submit(); }, function () { submitForm.submit(); });
  });
})();
