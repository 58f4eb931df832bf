// Cookie consent: the banner's "Customise" panel, and the gate for cookies set from JS.
// Every part works without this script (Customise then opens the settings page).
(function () {
  "use strict";
  var stateNode = document.getElementById("cookie-consent-state");
  var state = {};
  try { state = stateNode ? JSON.parse(stateNode.textContent) : {}; } catch (e) { state = {}; }

  // window.cycCookies.allowed("performance") before loading analytics;
  // window.cycCookies.set(name, value, category, days) refuses without consent.
  window.cycCookies = {
    allowed: function (category) {
      return category === "essential" || state[category] === true;
    },
    set: function (name, value, category, days) {
      if (category === "essential" || !window.cycCookies.allowed(category)) { return false; }
      var expires = new Date(Date.now() + (days || 180) * 864e5).toUTCString();
      document.cookie = encodeURIComponent(name) + "=" + encodeURIComponent(value) +
        "; expires=" + expires + "; path=/; SameSite=Lax";
      return true;
    }
  };

  var toggle = document.getElementById("cookie-customise");
  var panel = document.getElementById("cookie-panel");
  if (toggle && panel) {
    toggle.setAttribute("role", "button");
    toggle.addEventListener("click", function (event) {
      event.preventDefault();
      var open = panel.hidden;
      panel.hidden = !open;
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      if (open) {
        var first = panel.querySelector("input");
        if (first) { first.focus(); }
      }
    });
    toggle.addEventListener("keydown", function (event) {
      if (event.key === " ") { event.preventDefault(); toggle.click(); }
    });
  }
})();
