// Visitor timeline: the `visitor` report, session by session. The view is in the URL
// (?site=&id=&from=&to=). Touchpoint names come from tracked pages: the DOM is built
// with createElement/textContent only, never innerHTML.
(function () {
  "use strict";

  var DAY_MS = 86400000;
  var time = new Intl.DateTimeFormat(document.documentElement.lang === "de" ? "de-DE" : "en-GB", {
    day: "numeric", month: "short", hour: "2-digit", minute: "2-digit", second: "2-digit", timeZone: "UTC"
  });
  var els = {};

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function plural(n, one, many) {
    return n + " " + (n === 1 ? one : many || one + "s");
  }

  function params() {
    return { site: els.site.value.trim(), id: els.id.value.trim(), from: els.from.value, to: els.to.value };
  }

  function render(result) {
    els.sessions.textContent = "";
    var touches = 0;
    result.sessions.forEach(function (session, i) {
      var item = el("li", "timeline-session");
      var head = el("p", "timeline-head");
      head.appendChild(el("strong", "", "Session " + (i + 1)));
      head.appendChild(el("span", "chip", window.spurDashboard.term(session.channel)));
      head.appendChild(el("span", "muted", time.format(new Date(session.start)) + " – " + time.format(new Date(session.end))));
      item.appendChild(head);
      var list = el("ol", "timeline-touches");
      session.touches.forEach(function (touch) {
        touches++;
        var line = el("li", "timeline-touch");
        line.appendChild(el("span", "muted", time.format(new Date(touch.ts))));
        line.appendChild(el("span", "timeline-kind", window.spurDashboard.term(touch.kind)));
        line.appendChild(el("span", "chip", touch.touchpoint));
        if (touch.stage) line.appendChild(el("span", "chip chip-muted", window.spurDashboard.term(touch.stage)));
        list.appendChild(line);
      });
      item.appendChild(list);
      els.sessions.appendChild(item);
    });
    els.summary.textContent = result.sessions.length
      ? plural(result.sessions.length, "session") + ", " + plural(touches, "touch", "touches") + "."
      : "No sessions of this visitor in this range: widen the range or check the id.";
  }

  function load(push) {
    var p = params();
    els.error.classList.add("is-hidden");
    if (!p.id) return;
    if (push) history.pushState(null, "", "?" + new URLSearchParams(p));
    var csv = document.getElementById("visitor-csv");
    csv.href = "/api/v1/reports/visitor?" + new URLSearchParams(p) + "&format=csv";
    csv.hidden = false;
    window.spurDashboard.report("visitor", p)
      .then(render)
      .catch(function (e) {
        els.error.textContent = e.message;
        els.error.classList.remove("is-hidden");
      });
  }

  function init() {
    ["site", "id", "from", "to"].forEach(function (name) {
      els[name] = document.getElementById(name);
    });
    els.form = document.getElementById("visitor-form");
    els.sessions = document.getElementById("visitor-sessions");
    els.summary = document.getElementById("visitor-summary");
    els.error = document.getElementById("visitor-error");
    var q = new URLSearchParams(location.search);
    els.site.value = q.get("site") || "demo";
    els.id.value = q.get("id") || "";
    els.to.value = q.get("to") || new Date().toISOString().slice(0, 10);
    els.from.value = q.get("from") || new Date(Date.now() - 89 * DAY_MS).toISOString().slice(0, 10);
    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      load(true);
    });
    window.addEventListener("popstate", function () {
      location.reload();
    });
    load(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
