// The collapsing menu of narrow screens: without JavaScript the menu simply stays open.
(function () {
  var bar = document.querySelector(".topbar");
  var button = bar && bar.querySelector(".menu-toggle");
  if (!button) return;
  bar.classList.add("has-menu");
  button.addEventListener("click", function () {
    var open = bar.classList.toggle("menu-open");
    button.setAttribute("aria-expanded", open ? "true" : "false");
  });
})();
