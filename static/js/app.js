/* Behaviour every page shares. No page carries inline script (the Content-Security-Policy
 * allows scripts from static files only), so handlers are attached here. */
(function () {
  "use strict";
  // <select data-submit-on-change>: choosing an option submits its form (the language switch).
  document.querySelectorAll("select[data-submit-on-change]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
  });
})();

// <button data-history-back> on the error pages: back to the page the reader came from.
document.querySelectorAll("[data-history-back]").forEach(function (button) {
  button.addEventListener("click", function () {
    window.history.back();
  });
});

// The navbar marks the page the reader is on (and the menu that holds it): the longest link
// whose path starts the current path wins, so /town/vacancies/12/ lights "空缺企业".
(function () {
  var here = window.location.pathname;
  var best = null;
  document.querySelectorAll("#nav a.nav-link[href], #nav a.dropdown-item[href]").forEach(function (link) {
    // A menu's toggle (href="#") is no page: its pathname is the current page's own, which
    // made it the longest match and lit the first menu on every page no earlier link named.
    if (link.getAttribute("href").charAt(0) === "#" || link.classList.contains("dropdown-toggle")) return;
    var path = link.pathname;
    if (!path || path === "/") return;
    if (here === path || here.indexOf(path) === 0) {
      if (!best || path.length > best.pathname.length) best = link;
    }
  });
  if (best) {
    best.classList.add("active");
    best.setAttribute("aria-current", "page");
    var menu = best.closest(".dropdown");
    if (menu) {
      var toggle = menu.querySelector(".dropdown-toggle");
      if (toggle) toggle.classList.add("active");
    }
  }
})();

// <button data-copy-target="ID">: copies the value of the field #ID (the API token page's
// secret). The clipboard API needs a secure context; on a plain-HTTP intranet address the
// field is selected and copied the old way.
document.querySelectorAll("[data-copy-target]").forEach(function (button) {
  button.addEventListener("click", function () {
    var field = document.getElementById(button.getAttribute("data-copy-target"));
    if (!field) return;
    var done = function () {
      button.textContent = button.getAttribute("data-copied-label") || button.textContent;
    };
    field.select();
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        if (document.execCommand("copy")) done();
      });
    } else if (document.execCommand("copy")) {
      done();
    }
  });
});
