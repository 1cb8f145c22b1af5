// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Ask before destructive actions (buttons carry data-confirm) — only once the form's own field
  // checks pass: a form the browser will refuse anyway (a required field empty) is not confirmed.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-confirm]");
    if (b && b.form && b.type === "submit" && !b.form.noValidate && !b.form.checkValidity()) { return; }
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
  // Live updates: follow this page's record and, when someone else changes it, offer a reload.
  // The banner's words come from the page (data-live-text, data-live-reload) in its language.
  var live = document.querySelector("[data-live-topic]");
  if (live && window.EventSource) {
    var me = live.getAttribute("data-live-me");
    var source = new EventSource("/api/v1/events/stream?topic=" + encodeURIComponent(live.getAttribute("data-live-topic")));
    var banner = null;
    var show = function (actor) {
      if (!banner) {
        banner = document.createElement("div");
        banner.className = "live-banner";
        banner.setAttribute("role", "status");
        var text = document.createElement("span");
        var link = document.createElement("a");
        link.href = window.location.pathname + window.location.search;
        link.textContent = live.getAttribute("data-live-reload");
        banner.appendChild(text);
        banner.appendChild(document.createTextNode(" — "));
        banner.appendChild(link);
        live.insertBefore(banner, live.firstChild);
      }
      banner.firstChild.textContent = live.getAttribute("data-live-text").replace("{actor}", actor || "");
    };
    var onEvent = function (e) {
      var data = {};
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (String(data.actor_id) !== me) { show(data.actor); }
    };
    ["incident.created", "incident.assigned", "incident.state_changed", "incident.commented", "incident.escalated",
      "incident.major_declared", "incident.major_phase_changed", "incident.major_update_posted", "incident.sla_warning", "incident.sla_breached", "service_request.approval_requested",
      "service_request.approved", "service_request.rejected", "service_request.task_assigned", "service_request.fulfilled",
      "service_request.state_changed", "service_request.commented", "service_request.approver_missing"].forEach(function (t) { source.addEventListener(t, onEvent); });
    source.addEventListener("resync", function () { show(""); });
  }
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

  // Knowledge articles that match what is being typed on the incident report and the portal's
  // request form (GET /api/v1/knowledge/suggest: published ones the reader may see). Links
  // open beside the form, so nothing typed is lost.
  var kbForm = document.querySelector("#form-report, #form-request-new");
  var kbInputs = kbForm ? kbForm.querySelectorAll("input[name=title], textarea[name=description], input[type=text][name^='answers.'], textarea[name^='answers.']") : [];
  if (kbInputs.length) {
    var zh = (document.documentElement.lang || "").indexOf("zh") === 0;
    var kbBox = document.createElement("aside");
    kbBox.className = "kb-suggest";
    kbBox.setAttribute("aria-live", "polite");
    kbBox.hidden = true;
    kbForm.insertBefore(kbBox, kbForm.querySelector(".field") || kbForm.firstChild);
    var kbTimer = null, kbLast = "";
    var kbAsk = function () {
      var q = Array.prototype.map.call(kbInputs, function (i) { return i.value; }).join(" ").trim().slice(0, 200);
      if (q === kbLast) { return; }
      kbLast = q;
      if (q.length < 2) { kbBox.hidden = true; return; }
      fetch("/api/v1/knowledge/suggest?limit=5&q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) {
          if (!j || q !== kbLast) { return; }
          kbBox.textContent = "";
          kbBox.hidden = j.items.length === 0;
          var h = document.createElement("strong");
          h.textContent = zh ? "可能有帮助的知识文章：" : "Knowledge articles that may help:";
          kbBox.appendChild(h);
          var ul = document.createElement("ul");
          j.items.forEach(function (a) {
            var li = document.createElement("li");
            var link = document.createElement("a");
            link.href = a.path;
            link.target = "_blank";
            link.rel = "noopener";
            link.textContent = a.title;
            li.appendChild(link);
            if (a.snippet) { var s = document.createElement("span"); s.textContent = " — " + a.snippet; li.appendChild(s); }
            ul.appendChild(li);
          });
          kbBox.appendChild(ul);
        })
        .catch(function () {});
    };
    Array.prototype.forEach.call(kbInputs, function (i) {
      i.addEventListener("input", function () { clearTimeout(kbTimer); kbTimer = setTimeout(kbAsk, 250); });
    });
  }
})();
