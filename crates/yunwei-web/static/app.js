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
