// Small progressive enhancements; every page works without them.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () { select.form.submit(); });
    var button = select.form.querySelector("button");
    if (button) { button.hidden = true; }
  });
  // Phone menu: on a narrow screen the portal and account menus fold behind one button
  // (CSS decides the width; this only adds the button's behaviour).
  var toggle = document.querySelector("[data-menu-toggle]");
  if (toggle) {
    var root = document.documentElement;
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      root.classList.toggle("menu-open", open);
    };
    root.classList.add("menu-foldable");
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && root.classList.contains("menu-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }
  // Confirm before anything irreversible: <form data-confirm="Really?">
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
  // Copy buttons: <button data-copy="#id">
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.querySelector(button.getAttribute("data-copy"));
      if (!target) { return; }
      var text = target.value !== undefined ? target.value : target.textContent;
      if (navigator.clipboard) { navigator.clipboard.writeText(text); }
      button.textContent = "Copied";
    });
  });
  // A page waiting for something that happens elsewhere (the processor's webhook saving a
  // card, the carrier's receipt for a text) marks it with data-refresh-when-done: we look at
  // the page again every 2 s, for a minute at most, and reload it once the mark is gone.
  if (document.querySelector("[data-refresh-when-done]")) {
    var tries = 0;
    var look = function () {
      tries += 1;
      fetch(window.location.href, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : ""; })
        .then(function (html) {
          if (html && html.indexOf("data-refresh-when-done") < 0) { window.location.reload(); }
          else if (tries < 30) { setTimeout(look, 2000); }
        })
        .catch(function () { if (tries < 30) { setTimeout(look, 5000); } });
    };
    setTimeout(look, 2000);
  }
})();
