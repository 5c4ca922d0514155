/* The periodic task admin form (django-celery-beat): shows the chosen crontab in words under
 * the crontab field. Moved here from the package's inline script (the site's CSP allows
 * scripts from static files only); the crontab text is inserted as text, not HTML. */
(function ($) {
  "use strict";
  var readableCrontabs = JSON.parse(document.getElementById("readable-crontabs").textContent);
  var originalHelp = JSON.parse(document.getElementById("crontab-help").textContent);

  function updateCrontabHelp(additional) {
    var help = $(".field-crontab .help");
    help.text(originalHelp);
    help.append("<br>");
    help.append(document.createTextNode("Translation: " + (additional || "")));
  }

  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    updateCrontabHelp(readableCrontabs[$("#id_crontab").val()]);
  });
})(django.jQuery);
