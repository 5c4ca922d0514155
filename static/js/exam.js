/* The candidate's paper (templates/exams/paper.html, issue 20). Each answer is posted as it
 * is given; an answer that cannot be sent (no connection) is kept in localStorage and sent
 * again when the connection is back, on the next change, every few seconds, and when the
 * page is opened again — so a dropped connection or a reload loses nothing. The countdown
 * only shows the server's deadline: at zero the paper is submitted, and the server refuses
 * answers after the deadline whatever this script does.
 *
 * Two layouts of the same page (issue 20): all questions on one page, or one question at a
 * time with previous/next buttons. The sitting chooses the one the page opens in
 * (data-layout); the candidate may switch, and the choice and the question being shown are
 * kept in localStorage, so a reload comes back to the same question. The answer card
 * (#overview) shows each question answered, unanswered or not saved yet, and jumps to it.
 * Without this script the page is all questions on one page and the card's links are plain
 * anchors. Vanilla JS, no dependencies. */
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
    card(position, state);
  }
  function apply(position, letters) {
    var box = fieldset(position);
    if (!box) { return; }
    box.querySelectorAll("input").forEach(function (input) {
      input.checked = letters.indexOf(input.value) !== -1;
    });
  }

  // --- The answer card and the layout --------------------------------------------------------
  var questions = Array.prototype.slice.call(root.querySelectorAll(".question"));
  var overview = document.getElementById("overview");
  var overviewCount = document.getElementById("overview-count");
  var nav = document.getElementById("question-nav");
  var counter = document.getElementById("question-counter");
  var prevButton = document.getElementById("prev-question");
  var nextButton = document.getElementById("next-question");
  var switcher = document.getElementById("layout-switch");
  var layoutKey = "exam-layout-" + root.dataset.paper;
  var currentKey = "exam-current-" + root.dataset.paper;
  var layout = root.dataset.layout === "one" ? "one" : "all";
  var current = 0;

  function stored(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function store(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }
  function format(text, values) {
    return text.replace(/%\((\w+)\)s/g, function (all, name) { return values[name]; });
  }
  function item(position) {
    return overview.querySelector('.overview-item[data-position="' + position + '"]');
  }
  function countAnswered() {
    var answered = overview.querySelectorAll(".overview-item.filled").length;
    overviewCount.textContent = format(overviewCount.dataset.text,
      { done: answered, count: questions.length });
    return answered;
  }
  // The card's square for one question: answered or not, and not saved yet.
  function card(position, state) {
    var square = item(position);
    if (!square) { return; }
    square.classList.toggle("filled", chosen(position).length > 0);
    square.classList.toggle("pending", state === "pending");
    countAnswered();
  }
  function show(index, scroll) {
    current = Math.max(0, Math.min(questions.length - 1, index));
    questions.forEach(function (box, i) { box.classList.toggle("current", i === current); });
    Array.prototype.forEach.call(overview.querySelectorAll(".overview-item"), function (square, i) {
      square.classList.toggle("current", i === current);
      if (i === current) {
        square.setAttribute("aria-current", "step");
        // A long card scrolls inside itself (one at a time): keep the current square in it.
        if (square.offsetTop < overview.scrollTop ||
            square.offsetTop + square.offsetHeight > overview.scrollTop + overview.clientHeight) {
          overview.scrollTop = square.offsetTop - 4;
        }
      } else {
        square.removeAttribute("aria-current");
      }
    });
    counter.textContent = format(root.dataset.counterText,
      { position: current + 1, count: questions.length });
    prevButton.disabled = current === 0;
    nextButton.disabled = current === questions.length - 1;
    store(currentKey, String(current));
    if (scroll && layout === "one") {
      var top = questions[current].getBoundingClientRect().top;
      if (top < 0 || top > window.innerHeight / 2) { questions[current].scrollIntoView({ block: "start" }); }
    }
  }
  function setLayout(chosenLayout) {
    layout = chosenLayout === "one" ? "one" : "all";
    root.classList.toggle("one-at-a-time", layout === "one");
    nav.hidden = layout !== "one";
    Array.prototype.forEach.call(switcher.querySelectorAll("button"), function (button) {
      var on = button.dataset.layout === layout;
      button.classList.toggle("active", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
    store(layoutKey, layout);
    show(current, false);
  }
  if (questions.length) {
    current = parseInt(stored(currentKey), 10) || 0;
    switcher.hidden = false;
    switcher.addEventListener("click", function (event) {
      var button = event.target.closest("button[data-layout]");
      if (button) { setLayout(button.dataset.layout); }
    });
    prevButton.addEventListener("click", function () { show(current - 1, true); });
    nextButton.addEventListener("click", function () { show(current + 1, true); });
    overview.addEventListener("click", function (event) {
      var square = event.target.closest(".overview-item");
      if (!square) { return; }
      var index = questions.indexOf(fieldset(square.dataset.position));
      if (layout === "one") {
        event.preventDefault();
        show(index, true);
      } else {
        show(index, false);  // the link scrolls to the question itself
      }
    });
    setLayout(stored(layoutKey) || layout);
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
    var question = document.getElementById("submit-paper").dataset.confirm;
    var unanswered = questions.length - countAnswered();
    if (unanswered > 0) {
      question = format(root.dataset.blankText, { count: unanswered }) + "\n" + question;
    }
    if (!window.confirm(question)) { return; }
    closed = true;
    // A paper is handed in only with every answer on the server: an answer that could not be
    // sent (a dropped connection) would be lost once the paper is closed. The candidate is told
    // and hands in again when the connection is back; at the deadline (tick) the paper is
    // handed in whatever happens, as the server closes it then anyway.
    flush().then(function () {
      var unsaved = Object.keys(pending).length;
      if (unsaved) {
        closed = false;
        status.textContent = format(root.dataset.unsavedText, { count: unsaved });
        window.alert(status.textContent);
        return;
      }
      submitForm.submit();
    });
  });
})();
