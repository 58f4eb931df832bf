// Campaign wizard: live validation against the server's rules, and a phone-like preview.
(function () {
  "use strict";
  var form = document.getElementById("campaign-form");
  if (!form) { return; }
  var status = document.getElementById("live-status");
  var preview = document.getElementById("sample-preview");
  var GSM = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM_EXT = "^{}\\[~]|€";

  function segments(text) {
    var gsm = true, units = 0;
    for (var i = 0; i < text.length; i++) {
      var ch = text.charAt(i);
      if (GSM.indexOf(ch) >= 0) { units += 1; }
      else if (GSM_EXT.indexOf(ch) >= 0) { units += 2; }
      else { gsm = false; break; }
    }
    if (!gsm) { units = Array.from(text).length; return { enc: "UCS-2", n: units <= 70 ? 1 : Math.ceil(units / 67) }; }
    return { enc: "GSM-7", n: units <= 160 ? 1 : Math.ceil(units / 153) };
  }

  function field(name) { return form.elements[name]; }

  function renderPreview() {
    var names = ["sample1", "sample2", "sample3", "sample4", "sample5", "optin_message", "help_message", "optout_message"];
    var captions = { optin_message: "After opt-in", help_message: "Reply to HELP", optout_message: "Reply to STOP" };
    preview.textContent = "";
    var any = false;
    names.forEach(function (name) {
      var el = field(name);
      if (!el || !el.value.trim()) { return; }
      any = true;
      var bubble = document.createElement("div");
      bubble.className = "sms";
      if (captions[name]) {
        var cap = document.createElement("span");
        cap.className = "muted";
        cap.textContent = captions[name];
        bubble.appendChild(cap);
      }
      var p = document.createElement("p");
      p.textContent = el.value;  // textContent: never interpreted as HTML
      bubble.appendChild(p);
      var seg = segments(el.value);
      var meta = document.createElement("span");
      meta.className = "muted";
      meta.textContent = el.value.length + " characters · " + seg.n + " segment" + (seg.n > 1 ? "s" : "") + " (" + seg.enc + ")";
      bubble.appendChild(meta);
      preview.appendChild(bubble);
    });
    if (!any) {
      var empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "Type a sample message to see it here.";
      preview.appendChild(empty);
    }
  }

  function containerFor(name) {
    var el = document.getElementById("id_" + name);
    return el ? el.closest(".field") : null;
  }

  var touched = {};  // fields edited since the page loaded

  function showErrors(fields) {
    form.querySelectorAll("ul.live-errors").forEach(function (ul) { ul.remove(); });
    // After a refused save the server listed its errors under the fields: the live check
    // says the same (they showed twice) or, once the field is edited, is newer.
    form.querySelectorAll(".field ul.errorlist").forEach(function (ul) {
      var input = ul.closest(".field").querySelector("[name]");
      if (input && (fields[input.name] || touched[input.name])) { ul.remove(); }
    });
    var general = [];
    Object.keys(fields).forEach(function (name) {
      var box = containerFor(name);
      var list = document.createElement("ul");
      list.className = "errorlist live-errors";
      list.id = "id_" + name + "_error";  // the id the field's aria-describedby names
      fields[name].forEach(function (msg) {
        var li = document.createElement("li");
        li.textContent = msg;
        list.appendChild(li);
      });
      if (box) { box.appendChild(list); } else { general.push(name + ": " + fields[name].join(" ")); }
    });
    var count = Object.keys(fields).length;
    status.textContent = count === 0 ? "Every rule we check passes." :
      count + " field" + (count > 1 ? "s need" : " needs") + " attention." + (general.length ? " " + general.join(" ") : "");
  }

  var timer = null, inflight = null;
  function validate() {
    var data = new FormData(form);
    if (inflight) { inflight.abort(); }
    inflight = new AbortController();
    fetch(form.getAttribute("data-validate-url"), {
      method: "POST", body: data, credentials: "same-origin", signal: inflight.signal,
      headers: { "X-Requested-With": "fetch" }
    }).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (body) { if (body) { showErrors(body.fields || {}); } })
      .catch(function () { /* offline or aborted: the server checks again on save */ });
  }
  function schedule(event) {
    if (event && event.target && event.target.name) { touched[event.target.name] = true; }
    renderPreview();
    clearTimeout(timer);
    timer = setTimeout(validate, 400);
  }
  form.addEventListener("input", schedule);
  form.addEventListener("change", schedule);
  renderPreview();
  if (field("sample1") && field("sample1").value) { validate(); }
})();
