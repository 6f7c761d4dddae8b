// Select the whole value of read-only fields marked data-select-on-focus (the citizen's private
// link), so it can be copied in one gesture. A static file: the Content-Security-Policy allows
// no inline scripts or event handlers.
document.addEventListener("focusin", function (event) {
  var field = event.target;
  if (field && field.matches && field.matches("input[data-select-on-focus]")) {
    field.select();
  }
});
