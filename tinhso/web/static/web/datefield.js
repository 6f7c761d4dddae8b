// Date fields in the page's language and the local order of day, month and year.
//
// A native <input type="date"> shows its date in the browser's own locale, not the page's: on an
// English-US browser a Vietnamese page shows 12/04/2026 for 4 December, which a Vietnamese reader
// takes for 12 April. Where the page has date fields, this loads flatpickr (vendored from npm by
// frontend/assets.mjs) and shows each field as dd/mm/yyyy on a Vietnamese page ("04 Dec 2026" on an
// English one), with a calendar in the page's language, Monday first. What the form sends does not
// change: the original field keeps its name and an ISO date (yyyy-mm-dd), so links and the server
// read the same values, and without JavaScript the native field stays. On a phone flatpickr keeps
// the phone's own date picker, which follows the phone's language.
//
// The labels flatpickr reads out (month, year) come translated from the page, as data attributes of
// this script's tag (web/base.html).
(function () {
  "use strict";
  var script = document.currentScript;
  var fields = Array.prototype.slice.call(document.querySelectorAll('input[type="date"]'));
  if (!script || !fields.length) return;
  var data = script.dataset;
  var vi = (document.documentElement.lang || "vi").slice(0, 2) === "vi";

  function load(tag, attributes) {
    return new Promise(function (resolve, reject) {
      var element = document.createElement(tag);
      Object.keys(attributes).forEach(function (name) { element.setAttribute(name, attributes[name]); });
      element.onload = resolve;
      element.onerror = reject;
      document.head.appendChild(element);
    });
  }

  function locale() {
    var l10ns = window.flatpickr.l10ns;
    var base = vi && l10ns.vn ? l10ns.vn : l10ns.default;
    // A date-only field shows no clock, week numbers or range: of flatpickr's labels only these two.
    var out = Object.assign({}, base, { firstDayOfWeek: 1, yearAriaLabel: data.year, monthAriaLabel: data.month });
    if (vi) {
      // "Tháng 1" … "Tháng 12", as Vietnamese pages and forms name months (the locale file spells
      // them out: "Tháng mười hai").
      var longhand = [];
      for (var m = 1; m <= 12; m++) longhand.push(data.month + " " + m);
      out.months = { shorthand: base.months.shorthand, longhand: longhand };
    }
    return out;
  }

  // A date typed day first (04/12/2026, 4-12-2026, 4.12.2026) is read on either page; anything else in
  // the field's own format ("04 Dec 2026", or the form's ISO value).
  function parse(text, format) {
    var m = /^\s*(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})\s*$/.exec(text);
    if (m) return new Date(+m[3], +m[2] - 1, +m[1]);
    return window.flatpickr.parseDate(text, format);
  }

  function enhance() {
    var language = locale();
    fields.forEach(function (input) {
      var picker = window.flatpickr(input, {
        altInput: true, altFormat: vi ? "d/m/Y" : "d M Y", dateFormat: "Y-m-d", ariaDateFormat: "j F Y",
        allowInput: true, parseDate: parse, locale: language, altInputClass: (input.className + " date-field").trim(),
        minDate: input.min || null, maxDate: input.max || null,
      });
      // The field the reader sees: on a phone the native one flatpickr adds (its text field is then
      // hidden), else flatpickr's text field.
      var shown = picker.mobileInput || picker.altInput;
      if (picker.mobileInput) shown.removeAttribute("tabindex");  // flatpickr sets 1: keep the page's order
      else shown.placeholder = vi ? "dd/mm/yyyy" : "dd Mon yyyy";
      shown.setAttribute("autocomplete", "off");
      // <label for=…> and aria-describedby name the field the reader sees.
      if (input.id) {
        var id = input.id;
        input.removeAttribute("id");
        shown.id = id;
      }
      ["aria-describedby", "aria-invalid", "title"].forEach(function (name) {
        if (input.hasAttribute(name)) shown.setAttribute(name, input.getAttribute(name));
      });
      shown.setAttribute("data-date-field", input.name);
    });
    document.documentElement.setAttribute("data-date-fields", "ready");
  }

  load("link", { rel: "stylesheet", href: data.css });
  load("script", { src: data.library })
    .then(function () { return vi ? load("script", { src: data.l10n }) : null; })
    .then(enhance)
    .catch(function () { /* the native date fields stay as they are */ });
})();
