// The policy pre-check on the policy page: posts the draft, shows the reasons.
(function () {
  "use strict";
  var form = document.getElementById("policy-check-form");
  if (!form) return;
  var out = document.getElementById("policy-check-result");
  function show(data) {
    out.textContent = "";
    var p = document.createElement("p");
    var badge = document.createElement("span");
    var labels = { allow: ["ok", "Passes the policy"], review: ["warn", "Would be held for review"], block: ["bad", "Would be blocked"] };
    var l = labels[data.decision] || ["warn", data.decision];
    badge.className = "badge " + l[0];
    badge.textContent = l[1];
    p.appendChild(badge);
    out.appendChild(p);
    if (data.reasons && data.reasons.length) {
      var ul = document.createElement("ul");
      data.reasons.forEach(function (r) {
        var li = document.createElement("li");
        li.textContent = r.message + " (" + r.category + ")";
        ul.appendChild(li);
      });
      out.appendChild(ul);
    }
  }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
    fetch(form.dataset.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ body: form.body.value, kind: form.kind.value })
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.error) {
        out.textContent = data.error.message;
        Object.keys(data.error.fields || {}).forEach(function (f) { out.textContent += " " + data.error.fields[f].join(" "); });
      } else {
        show(data);
      }
    }).catch(function () { out.textContent = "The check could not run; try again."; });
  });
})();
