/* The count of a drill-down list, fetched after the page has shown its rows
 * (templates/reports/explain.html, issue 11): the list's page does not wait for the count of
 * a date without a snapshot. Asks the count URL for JSON, then writes the summary sentence
 * (HTML rendered by the server), the table's caption and the page's "page n of N". On
 * failure the "显示总数" link stays usable. Vanilla JS, no dependencies. */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, function (match, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? values[name] : match;
    });
  }

  function show(box, data) {
    box.innerHTML = data.summary;
    box.setAttribute("data-count-loaded", String(data.count));
    document.querySelectorAll("[data-count-caption]").forEach(function (caption) {
      caption.textContent = format(caption.dataset.text, { count: data.count });
    });
    document.querySelectorAll("[data-count-pages]").forEach(function (pages) {
      var size = parseInt(pages.dataset.pageSize, 10) || 1;
      var atLeast = parseInt(pages.dataset.atLeast, 10) || 1;
      var total = Math.max(Math.ceil(data.count / size), atLeast, 1);
      pages.textContent = format(pages.dataset.text, { total: total });
    });
  }

  function load(box) {
    var link = box.querySelector("[data-count-link]");
    var linkText = link ? link.textContent : "";
    if (link) {
      link.textContent = box.dataset.textLoading;
      link.setAttribute("aria-busy", "true");
    }
    fetch(box.dataset.countUrl, {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        show(box, data);
      })
      .catch(function () {
        // Leave the link: following it counts on a page of its own.
        if (link) {
          link.textContent = linkText;
          link.removeAttribute("aria-busy");
          link.title = box.dataset.textFailed;
        }
      });
  }

  document.querySelectorAll("[data-count-url]").forEach(load);
})();
