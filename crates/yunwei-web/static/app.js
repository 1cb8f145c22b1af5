// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions (buttons carry data-confirm).
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-confirm]");
    if (b && b.getAttribute("data-confirm") && !window.confirm(b.getAttribute("data-confirm"))) {
      e.preventDefault();
    }
  });
  // Print buttons (the emergency report).
  document.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-print]")) { window.print(); }
  });
  // Files on request forms travel as JSON in a hidden field (the forms are url-encoded).
  document.addEventListener("change", function (e) {
    var input = e.target;
    if (!input.matches || !input.matches('input[type=file][name^="upload."]')) { return; }
    var hidden = input.form && input.form.querySelector('input[name="attach.' + input.name.slice(7) + '"]');
    var file = input.files && input.files[0];
    if (!hidden) { return; }
    if (!file) { hidden.value = ""; return; }
    var reader = new FileReader();
    reader.onload = function () {
      var data = String(reader.result);
      hidden.value = JSON.stringify({ filename: file.name, content_type: file.type || "application/octet-stream", content_base64: data.slice(data.indexOf(",") + 1) });
    };
    reader.readAsDataURL(file);
  });
  // Keep the bell's unread count fresh.
  var badge = document.querySelector("[data-unread]");
  if (badge && window.fetch) {
    setInterval(function () {
      fetch("/api/v1/notifications/unread-count", { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { if (j) { badge.textContent = String(j.unread); } })
        .catch(function () {});
    }, 30000);
  }
})();
