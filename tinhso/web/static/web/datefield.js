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
// The labels flatpickr reads out (month, year) and the message for a text that is no date come
// translated from the page, as data attributes of this script's tag (web/base.html).
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

  // A date typed day first (04/12/2026, 4-12-2026, 4.12.2026) is read on either page, as is the form's
  // ISO value, and a day, a month's English name and a year (04 Dec 2026, the English field's own
  // format). Nothing else: flatpickr by itself reads what it can and fills in the rest ("2026" became
  // 20 January, 31/02 the 3rd of March), a date the reader did not mean. A text that is no date is
  // answered by invalid() below.
  function day(year, month, date) {
    var value = new Date(year, month - 1, date);
    var exists = value.getFullYear() === year && value.getMonth() === month - 1 && value.getDate() === date;
    return exists ? value : undefined;
  }

  function monthNamed(name) {
    var months = window.flatpickr.l10ns.default.months, lower = name.toLowerCase();
    for (var i = 0; i < 12; i++) {
      if (months.shorthand[i].toLowerCase() === lower || months.longhand[i].toLowerCase() === lower) return i + 1;
    }
    return 0;
  }

  function parse(text) {
    var typed = text.trim().replace(/\s+/g, " ");
    var m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})$/.exec(typed);
    if (m) return day(+m[3], +m[2], +m[1]);
    m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(typed);
    if (m) return day(+m[1], +m[2], +m[3]);
    m = /^(\d{1,2}) ([A-Za-z]+)\.? (\d{4})$/.exec(typed);
    return m && monthNamed(m[2]) ? day(+m[3], monthNamed(m[2]), +m[1]) : undefined;
  }

  // A text the field cannot read stays in the field, marked invalid, with how to write a date beside
  // it: the browser then refuses to send the form (the field's validity), instead of sending it with
  // the date missing or changed. (flatpickr would empty the field.)
  function invalid(picker, shown) {
    var typed = "";
    var note = document.createElement("span");
    note.className = "error";
    note.id = "date-error-" + shown.getAttribute("data-date-field");
    note.setAttribute("role", "alert");
    var described = shown.getAttribute("aria-describedby");  // the page's own description, kept

    function mark(wrong) {
      shown.setCustomValidity(wrong ? data.invalid : "");
      if (wrong) {
        shown.setAttribute("aria-invalid", "true");
        shown.setAttribute("aria-describedby", (described ? described + " " : "") + note.id);
        note.textContent = data.invalid;
        shown.insertAdjacentElement("afterend", note);
      } else if (note.parentNode) {
        shown.removeAttribute("aria-invalid");
        if (described) shown.setAttribute("aria-describedby", described);
        else shown.removeAttribute("aria-describedby");
        note.remove();
      }
    }
    shown.addEventListener("input", function () { typed = shown.value; });
    // After flatpickr's own handlers (registered first), which read the text or empty the field.
    shown.addEventListener("blur", function () {
      var wrong = typed.trim() !== "" && !picker.selectedDates.length;
      if (wrong) shown.value = typed;
      mark(wrong);
    });
    picker.config.onChange.push(function (dates) {  // a day picked in the calendar
      if (dates.length) mark(false);
    });
    // A form marked novalidate (it shows the server's own messages) skips the browser's check: the
    // field refuses the sending itself.
    if (shown.form) {
      shown.form.addEventListener("submit", function (event) {
        if (!shown.validationMessage) return;
        event.preventDefault();
        shown.focus();
        shown.reportValidity();
      });
    }
  }

  function enhance() {
    var language = locale();
    fields.forEach(function (input) {
      var picker = window.flatpickr(input, {
        altInput: true, altFormat: vi ? "d/m/Y" : "d M Y", dateFormat: "Y-m-d", ariaDateFormat: "j F Y",
        allowInput: true, parseDate: parse, errorHandler: function () {}, locale: language, altInputClass: (input.className + " date-field").trim(),
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
      if (!picker.mobileInput) invalid(picker, shown);
    });
    document.documentElement.setAttribute("data-date-fields", "ready");
  }

  load("link", { rel: "stylesheet", href: data.css });
  load("script", { src: data.library })
    .then(function () { return vi ? load("script", { src: data.l10n }) : null; })
    .then(enhance)
    .catch(function () { /* the native date fields stay as they are */ });
})();
