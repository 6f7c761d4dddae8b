// A form sent back with errors (GOV.UK's error summary): keyboard focus goes to the summary at the
// top, so a screen reader reads it and Tab reaches its links; a link moves focus to its field.
(function () {
  "use strict";
  var summary = document.querySelector("[data-error-summary]");
  if (!summary) { return; }
  summary.focus();
  summary.addEventListener("click", function (event) {
    var link = event.target.closest("a[href^='#']");
    if (!link) { return; }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) { return; }
    event.preventDefault();
    // The field's label (or its box) in view as well as the field itself.
    var holder = target.closest(".field, fieldset") || target;
    holder.scrollIntoView({ block: "start" });
    if (typeof target.focus === "function") {
      if (!target.matches("input, select, textarea, button, a[href], [tabindex]")) { target.setAttribute("tabindex", "-1"); }
      target.focus({ preventScroll: true });
    }
  });
})();
