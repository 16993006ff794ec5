/* Cookie banner: "Customise" opens the choices in place instead of going to the settings
   page (which is what the button does without JavaScript), and moves focus into them. */
(function () {
  "use strict";
  var banner = document.getElementById("consent-banner");
  if (!banner) { return; }
  var toggle = banner.querySelector("[data-consent-toggle]");
  var panel = toggle && document.getElementById(toggle.getAttribute("data-consent-toggle"));
  if (!panel) { return; }
  toggle.setAttribute("aria-controls", panel.id);
  toggle.setAttribute("aria-expanded", "false");
  toggle.addEventListener("click", function (event) {
    event.preventDefault();
    var opening = panel.hidden;
    panel.hidden = !opening;
    toggle.setAttribute("aria-expanded", opening ? "true" : "false");
    if (opening) {
      var first = panel.querySelector("input:not([disabled])") || panel.querySelector("button");
      if (first) { first.focus(); }
    }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      panel.hidden = true;
      toggle.setAttribute("aria-expanded", "false");
      toggle.focus();
    }
  });
})();
