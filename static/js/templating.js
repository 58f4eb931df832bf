// The compose page's template picker: copies the chosen template's text and kind into the
// form (the server fills the merge fields in for the recipient when it is sent).
(function () {
  "use strict";
  document.querySelectorAll("[data-template-picker]").forEach(function (picker) {
    picker.addEventListener("change", function () {
      var option = picker.options[picker.selectedIndex];
      if (!option || !option.value) return;
      var body = document.querySelector(picker.dataset.body);
      var kind = document.querySelector(picker.dataset.kind);
      if (body) {
        body.value = option.dataset.body || "";
        body.dispatchEvent(new Event("input", { bubbles: true }));
      }
      if (kind && option.dataset.kind) {
        kind.value = option.dataset.kind;
        kind.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  });
})();
