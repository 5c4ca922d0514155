/* The admin export page's "select all" box (django-import-export defines the handler in
 * export_selectable_fields.js; the page may not attach it inline under the site's CSP). */
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var toggle = document.querySelector("input.select-toggle");
  if (toggle && typeof onSelectToggleChange === "function") {
    toggle.addEventListener("change", onSelectToggleChange);
  }
});
