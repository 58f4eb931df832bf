// Contact Your Client — opt-in form embed script and the portal's form-builder preview.
// Embed on any page:
//   <div data-cyc-optin="FORM-UUID"></div>
//   <script src="https://HOST/static/js/consent.js" async></script>
// The form HTML comes from HOST (the same rendering kept as consent evidence); it is posted
// back as JSON with a signed single-use token. Only origins the business allowed get it.
(function () {
  "use strict";
  var script = document.currentScript;
  var base = script ? new URL(script.src, window.location.href).origin : "";

  function showErrors(form, body) {
    form.querySelectorAll(".cyc-error[data-js]").forEach(function (el) { el.remove(); });
    var error = (body && body.error) || { message: "Something went wrong. Please try again." };
    var fields = error.fields || {};
    Object.keys(fields).forEach(function (name) {
      var input = form.querySelector("[name='" + name + "']");
      if (!input) { return; }
      var p = document.createElement("p");
      p.className = "cyc-error";
      p.setAttribute("data-js", "");
      p.textContent = fields[name][0];
      input.parentNode.appendChild(p);
    });
    var top = document.createElement("p");
    top.className = "cyc-error";
    top.setAttribute("data-js", "");
    top.setAttribute("role", "alert");
    top.textContent = error.message;
    form.insertBefore(top, form.firstChild.nextSibling);
  }

  // The honeypot stays out of sight on pages without our style sheet (CSSOM, not markup,
  // so a strict Content-Security-Policy on the host page allows it).
  function hideHoneypot(root) {
    root.querySelectorAll(".cyc-hp").forEach(function (el) {
      el.style.position = "absolute";
      el.style.left = "-5000px";
      el.style.width = "1px";
      el.style.height = "1px";
      el.style.overflow = "hidden";
    });
  }

  function setToken(form, token) {
    var input = form.querySelector("input[name=token]");
    if (!input) {
      input = document.createElement("input");
      input.type = "hidden";
      input.name = "token";
      form.appendChild(input);
    }
    input.value = token;
  }

  function mount(el) {
    var uuid = el.getAttribute("data-cyc-optin");
    var configUrl = base + "/f/" + uuid + "/config.json";
    fetch(configUrl, { mode: "cors", credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
      .then(function (config) {
        el.innerHTML = config.html;
        hideHoneypot(el);
        var form = el.querySelector("form.cyc-optin");
        setToken(form, config.token);
        form.querySelector("input[name=page_url]").value = window.location.href;
        form.addEventListener("submit", function (event) {
          event.preventDefault();
          var data = {};
          new FormData(form).forEach(function (value, key) { data[key] = value; });
          data.consent = form.querySelector("input[name=consent]").checked;
          data.age_confirmed = form.querySelector("input[name=age_confirmed]").checked;
          var button = form.querySelector("button[type=submit]");
          button.disabled = true;
          fetch(config.submit_url, {
            method: "POST",
            mode: "cors",
            credentials: "omit",
            headers: { "Content-Type": "application/json" },
            body: JSON.stringify(data)
          })
            .then(function (r) { return r.json().then(function (b) { return { ok: r.ok, body: b }; }); })
            .then(function (result) {
              if (result.ok) {
                var done = document.createElement("p");
                done.className = "cyc-done";
                done.setAttribute("role", "status");
                done.textContent = result.body.message;
                form.replaceWith(done);
                return;
              }
              showErrors(form, result.body);
              // tokens are single use: fetch a fresh one for the next attempt
              return fetch(configUrl, { mode: "cors", credentials: "omit" })
                .then(function (r) { return r.json(); })
                .then(function (c) { setToken(form, c.token); button.disabled = false; });
            })
            .catch(function () { showErrors(form, null); button.disabled = false; });
        });
      })
      .catch(function () {
        el.textContent = "This sign-up form is not available on this site.";
      });
  }

  document.querySelectorAll("[data-cyc-optin]").forEach(mount);

  // --- portal: import progress ----------------------------------------------------------
  var progress = document.querySelector("[data-import-progress]");
  if (progress) {
    var poll = function () {
      fetch(progress.getAttribute("data-import-progress"), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          progress.querySelector("progress").value = p.percent;
          progress.querySelector("[data-progress-text]").textContent =
            p.processed + " of about " + p.total + " rows";
          if (p.status === "DONE" || p.status === "FAILED") { window.location.reload(); return; }
          window.setTimeout(poll, 1500);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    };
    window.setTimeout(poll, 1000);
  }

  // --- portal: live preview of the form builder -------------------------------------------
  var builder = document.querySelector("form[data-form-builder]");
  if (!builder) { return; }
  var preview = document.querySelector("[data-form-preview]");
  if (preview) { hideHoneypot(preview); }
  function value(name) {
    var input = builder.querySelector("[name=" + name + "]");
    return input ? input.value.trim() : "";
  }
  function checked(name) {
    var input = builder.querySelector("[name=" + name + "]");
    return input ? input.checked : false;
  }
  function update() {
    if (!preview) { return; }
    var brand = preview.getAttribute("data-brand");
    var program = value("program_name") || brand;
    var what = value("message_description").replace(/\.$/, "");
    var freq = value("frequency").replace(/\.$/, "");
    // as consent/disclosure.py: the brand in brackets only beside a program name of its own
    var sender = program.toLowerCase() === brand.trim().toLowerCase() ? program : program + " (" + brand + ")";
    var text = "By checking this box, I agree to receive recurring automated text messages from " +
      sender + " about " + what + " at the phone number provided. " + freq +
      ". Msg & data rates may apply. Reply STOP to cancel, HELP for help. Consent is not a " +
      "condition of purchase. Terms: " + value("terms_url") + " Privacy: " + value("privacy_url");
    if (value("disclosure_extra")) { text += " " + value("disclosure_extra"); }
    var headline = preview.querySelector(".cyc-headline");
    if (headline) { headline.textContent = value("headline"); }
    var label = preview.querySelector("input[name=consent] + label");
    if (label) { label.textContent = text; }
    var name = preview.querySelector("input[name=name]");
    if (name) { name.closest(".cyc-field").hidden = !checked("collect_name"); }
    var email = preview.querySelector("input[name=email]");
    if (email) { email.closest(".cyc-field").hidden = !checked("collect_email"); }
  }
  builder.addEventListener("input", update);
  builder.addEventListener("change", update);
  update();
})();
