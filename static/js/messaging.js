// Messaging pages: live segment counter, compose pre-check, broadcast progress, quick
// replies. Every page works without this script; the server's count is authoritative.
(function () {
  "use strict";

  // --- segments: mirrors messaging/segments.py --------------------------------------------
  var GSM7_BASIC =
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  var GSM7_EXTENSION = "\f^{}\\[~]|€";
  var SINGLE = { "GSM-7": 160, "UCS-2": 70 };
  var MULTI = { "GSM-7": 153, "UCS-2": 67 };

  function chars(text) {
    return Array.from(text); // code points, like Python's str
  }

  function segmentInfo(text) {
    var list = chars(text);
    var gsm = list.every(function (ch) {
      return GSM7_BASIC.indexOf(ch) !== -1 || GSM7_EXTENSION.indexOf(ch) !== -1;
    });
    var encoding = gsm ? "GSM-7" : "UCS-2";
    var sizes = list.map(function (ch) {
      if (gsm) { return GSM7_EXTENSION.indexOf(ch) !== -1 ? 2 : 1; }
      return ch.codePointAt(0) > 0xffff ? 2 : 1;
    });
    var units = sizes.reduce(function (a, b) { return a + b; }, 0);
    if (units <= SINGLE[encoding]) {
      return { encoding: encoding, units: units, segments: 1, per_segment: SINGLE[encoding],
        remaining: SINGLE[encoding] - units };
    }
    var size = MULTI[encoding], segments = 1, used = 0;
    sizes.forEach(function (width) {
      if (used + width > size) { segments += 1; used = 0; }
      used += width;
    });
    return { encoding: encoding, units: units, segments: segments, per_segment: size,
      remaining: size - used };
  }
  window.cycSegmentInfo = segmentInfo; // for the browser tests

  function describe(info) {
    var text = info.segments + " segment" + (info.segments === 1 ? "" : "s") + " · " +
      info.encoding + " · " + info.remaining + " left in this segment";
    if (info.encoding === "UCS-2") {
      text += " (a character outside the GSM alphabet, e.g. an emoji or curly quote, " +
        "makes every segment hold 70 instead of 160)";
    }
    return text;
  }

  document.querySelectorAll("textarea[data-segment-counter]").forEach(function (area) {
    var out = document.getElementById(area.getAttribute("data-segment-counter"));
    if (!out) { return; }
    area.setAttribute("aria-describedby",
      ((area.getAttribute("aria-describedby") || "") + " " + out.id).trim());
    function update() { out.textContent = describe(segmentInfo(area.value)); }
    area.addEventListener("input", update);
    update();
  });

  // --- compose: schedule fields and the live pre-check --------------------------------------
  var compose = document.getElementById("compose-form");
  if (compose) {
    var schedule = document.getElementById("schedule-fields");
    var whenInputs = compose.querySelectorAll("input[name=when]");
    function toggleSchedule() {
      var later = compose.querySelector("input[name=when]:checked");
      schedule.hidden = !(later && later.value === "later");
    }
    whenInputs.forEach(function (input) { input.addEventListener("change", toggleSchedule); });
    if (schedule) { toggleSchedule(); }

    var live = document.getElementById("live-check");
    var token = compose.querySelector("input[name=csrfmiddlewaretoken]");
    var timer = null;
    function field(name) {
      var el = compose.querySelector("[name=" + name + "]");
      return el ? el.value : "";
    }
    function render(result) {
      var verdicts = {
        allow: ["ok", "Ready to send"],
        defer: ["warn", "Will wait for quiet hours to end"],
        review: ["warn", "Will be held for review"],
        block: ["bad", "Will not be sent"]
      };
      var v = verdicts[result.verdict] || verdicts.block;
      live.textContent = "";
      var p = document.createElement("p");
      var badge = document.createElement("span");
      badge.className = "badge " + v[0];
      badge.textContent = v[1];
      p.appendChild(badge);
      p.appendChild(document.createTextNode(" " + describe(result.segments) +
        (result.from_number ? " · from " + result.from_number : "")));
      live.appendChild(p);
      var ul = document.createElement("ul");
      result.gates.forEach(function (g) {
        var li = document.createElement("li");
        var gate = g.gate.charAt(0).toUpperCase() + g.gate.slice(1);
        li.textContent = (g.ok ? "✓ " : "✗ ") + gate + ": " + g.message;
        ul.appendChild(li);
      });
      live.appendChild(ul);
    }
    function check() {
      if (!field("body").trim() || !field("to").trim()) { live.textContent = ""; return; }
      fetch(compose.getAttribute("data-check-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": token ? token.value : "" },
        body: JSON.stringify({ to: field("to"), body: field("body"), kind: field("kind"),
          from_number: field("from_number") })
      }).then(function (response) {
        return response.json().then(function (data) { return [response.ok, data]; });
      }).then(function (pair) {
        if (pair[0]) { render(pair[1]); return; }
        var err = pair[1].error || {};
        var msgs = [];
        Object.keys(err.fields || {}).forEach(function (k) { msgs = msgs.concat(err.fields[k]); });
        live.textContent = msgs.join(" ") || err.message || "";
      }).catch(function () { live.textContent = ""; });
    }
    ["to", "body", "kind", "from_number"].forEach(function (name) {
      var el = compose.querySelector("[name=" + name + "]");
      if (!el) { return; }
      el.addEventListener(el.tagName === "SELECT" ? "change" : "input", function () {
        clearTimeout(timer);
        timer = setTimeout(check, 500);
      });
    });
  }

  // --- compose: pictures and cards (previews, count and size, the MMS price) -----------------
  var fileInput = compose && compose.querySelector("input[type=file][name=attachments]");
  var preview = document.getElementById("media-preview");
  if (fileInput && preview) {
    var body = compose.querySelector("[name=body]");
    var maxCount = Number(preview.getAttribute("data-max-count"));
    var maxBytes = Number(preview.getAttribute("data-max-bytes"));
    var priceSms = Number(preview.getAttribute("data-price-sms"));
    var priceMms = Number(preview.getAttribute("data-price-mms"));
    function size(bytes) {
      return bytes >= 1e6 ? (bytes / 1e6).toFixed(1) + " MB" : Math.ceil(bytes / 1e3) + " KB";
    }
    function showFiles() {
      preview.textContent = "";
      var files = Array.from(fileInput.files || []);
      if (!files.length) { return; }
      var list = document.createElement("ul");
      list.className = "media-list";
      var total = 0;
      files.forEach(function (file, i) {
        total += file.size;
        var li = document.createElement("li");
        if (/^image\//.test(file.type)) {
          var img = document.createElement("img");
          img.className = "media-thumb";
          img.alt = "Preview of " + file.name;
          var reader = new FileReader();  // a data: URL (the page's CSP allows no blob:)
          reader.onload = function () { img.src = reader.result; };
          reader.readAsDataURL(file);
          li.appendChild(img);
        }
        li.appendChild(document.createTextNode(" " + file.name + " · " + size(file.size)));
        list.appendChild(li);
      });
      preview.appendChild(list);
      var segments = segmentInfo(body ? body.value : "").segments;
      var p = document.createElement("p");
      p.id = "media-summary";
      var over = files.length > maxCount || total > maxBytes;
      p.className = over ? "errorlist" : "help";
      p.textContent = files.length + " file" + (files.length === 1 ? "" : "s") + ", " +
        size(total) + (over ? " — over the limit of " + maxCount + " files and " +
        size(maxBytes) + "." : " (large pictures are made smaller before sending).") +
        " Sent as one MMS: $" + priceMms.toFixed(4) + " instead of " + segments +
        " SMS segment" + (segments === 1 ? "" : "s") + " at $" + priceSms.toFixed(4) +
        " = $" + (segments * priceSms).toFixed(4) + ".";
      preview.appendChild(p);
    }
    fileInput.addEventListener("change", showFiles);
    if (body) { body.addEventListener("input", function () { if (fileInput.files.length) { showFiles(); } }); }
  }

  // --- compose: the contact picker (a combobox with a listbox) -------------------------------
  // Type part of a name, email or number; pick with the arrow keys and Enter, or a click.
  // Picking fills "To" with the number and the hidden contact field with its id.
  var picker = document.querySelector("[data-contact-picker]");
  if (picker && compose) {
    var search = picker.querySelector("input[role=combobox]");
    var listbox = document.getElementById(search.getAttribute("aria-controls"));
    var picked = picker.querySelector("[data-picked]");
    var toField = compose.querySelector("[name=to]");
    var contactField = compose.querySelector("[name=contact]");
    var options = [];
    var active = -1;
    var asked = 0;
    var wait = null;
    picker.hidden = false;

    function close() {
      listbox.hidden = true;
      listbox.textContent = "";
      search.setAttribute("aria-expanded", "false");
      search.removeAttribute("aria-activedescendant");
      options = [];
      active = -1;
    }
    function highlight(index) {
      options.forEach(function (li, i) {
        li.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      active = index;
      if (index >= 0) {
        search.setAttribute("aria-activedescendant", options[index].id);
        options[index].scrollIntoView({ block: "nearest" });
      } else {
        search.removeAttribute("aria-activedescendant");
      }
    }
    function pick(li) {
      toField.value = li.getAttribute("data-phone");
      if (contactField) { contactField.value = li.getAttribute("data-uuid"); }
      search.value = li.getAttribute("data-name") || li.getAttribute("data-phone");
      picked.textContent = "To: " + li.textContent + ".";
      close();
      toField.dispatchEvent(new Event("input"));  // the live pre-check follows
    }
    function show(results) {
      listbox.textContent = "";
      options = [];
      active = -1;
      if (!results.length) {
        var none = document.createElement("li");
        none.className = "picker-empty";
        none.textContent = "No contact matches.";
        listbox.appendChild(none);
      }
      results.forEach(function (c, i) {
        var li = document.createElement("li");
        li.id = "contact-option-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-uuid", c.uuid);
        li.setAttribute("data-phone", c.phone);
        li.setAttribute("data-name", c.name);
        li.textContent = c.name ? c.name + " · " + c.phone : c.phone;
        // mousedown, not click: it comes before the search field loses focus
        li.addEventListener("mousedown", function (event) { event.preventDefault(); pick(li); });
        listbox.appendChild(li);
        options.push(li);
      });
      listbox.hidden = false;
      search.setAttribute("aria-expanded", "true");
    }
    function lookup() {
      var q = search.value.trim();
      if (q.length < 2) { close(); return; }
      var mine = ++asked;
      var url = picker.getAttribute("data-url") + "?q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.json(); })
        .then(function (data) { if (mine === asked) { show(data.results || []); } })
        .catch(function () { close(); });
    }
    search.addEventListener("input", function () {
      clearTimeout(wait);
      wait = setTimeout(lookup, 150);
    });
    search.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!options.length) { return; }
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + options.length) % options.length);
      } else if (event.key === "Enter") {
        if (!listbox.hidden) { event.preventDefault(); }  // never submits the form from here
        if (active >= 0) { pick(options[active]); }
      } else if (event.key === "Escape") {
        close();
      }
    });
    search.addEventListener("blur", close);
  }

  // --- broadcast progress: poll while running -------------------------------------------------
  var box = document.getElementById("broadcast-progress");
  if (box && box.getAttribute("data-status") === "RUNNING") {
    var url = box.getAttribute("data-progress-url");
    var bar = box.querySelector("[data-field=bar]");
    var summary = box.querySelector("[data-field=summary]");
    var statusEl = box.querySelector("[data-field=status]");
    var poll = function () {
      fetch(url, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (p) {
          if (bar) { bar.value = p.percent; bar.textContent = p.percent + "%"; }
          if (summary) {
            summary.textContent = p.done + " of " + p.recipients + " done (" + p.percent +
              "%): " + p.sent + " sent, " + p.skipped + " skipped, " + p.failed +
              " failed, " + p.pending + " waiting" +
              (p.deferred ? " (" + p.deferred + " deferred for quiet hours or schedule)" : "") + ".";
          }
          if (p.status !== "RUNNING") {
            if (statusEl) { statusEl.textContent = p.status.charAt(0) + p.status.slice(1).toLowerCase(); }
            return;
          }
          setTimeout(poll, 2000);
        })
        .catch(function () { setTimeout(poll, 5000); });
    };
    setTimeout(poll, 2000);
  }

  // --- quick replies: put the text in the reply box ---------------------------------------------
  document.querySelectorAll("[data-quick-reply]").forEach(function (button) {
    button.addEventListener("click", function () {
      var target = document.getElementById(button.getAttribute("data-target"));
      if (!target) { return; }
      target.value = button.getAttribute("data-quick-reply");
      target.dispatchEvent(new Event("input"));
      target.focus();
    });
  });
})();
