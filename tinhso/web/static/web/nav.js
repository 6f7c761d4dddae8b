/* The collapsing menu on narrow screens: the nav folds behind a "Menu" button (shown only when this
 * script runs, so without JavaScript the links simply stay visible). */
(function () {
  "use strict";
  var bar = document.querySelector(".topbar"), button = document.getElementById("menu-toggle");
  if (!bar || !button) { return; }
  bar.classList.add("collapsible");
  button.hidden = false;
  button.addEventListener("click", function () {
    var open = !bar.classList.contains("open");
    bar.classList.toggle("open", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
  document.addEventListener("keydown", function (e) {
    if (e.key === "Escape" && bar.classList.contains("open")) {
      bar.classList.remove("open");
      button.setAttribute("aria-expanded", "false");
      button.focus();
    }
  });
})();
