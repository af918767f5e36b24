// Overview: the key figures of the range with a sparkline each and the change against
// the period of the same length just before it, and the five stages at a glance.
// The view is in the URL (?site=&from=&to=). Values are set as text, never as markup.
(function () {
  "use strict";

  var DAY_MS = 86400000;
  var number = new Intl.NumberFormat(document.documentElement.lang || "en");
  var money = new Intl.NumberFormat(document.documentElement.lang || "en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var percent = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent", maximumFractionDigits: 1 });
  var els = {};
  var report = window.spurDashboard.report;

  function iso(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  // The same number of days, ending the day before `from`.
  function previous(p) {
    var from = Date.parse(p.from + "T00:00:00Z");
    var to = Date.parse(p.to + "T00:00:00Z");
    var before = {};
    Object.keys(p).forEach(function (k) {
      before[k] = p[k];
    });
    before.from = iso(from - (to - from) - DAY_MS);
    before.to = iso(from - DAY_MS);
    return before;
  }

  function kpi(name, value, text, before, series, labels, better) {
    var card = document.querySelector('[data-kpi="' + name + '"]');
    card.querySelector(".stat-value").textContent = value === null ? "–" : text(value);
    var trend = card.querySelector(".kpi-trend");
    trend.className = "kpi-trend";
    if (value === null) {
      trend.textContent = "no answers yet";
    } else if (before === null || before === undefined) {
      trend.textContent = "no earlier figure to compare";
    } else if (better === "points") {
      var d = value - before;
      trend.textContent = (d >= 0 ? "+" : "") + Math.round(d * 10) / 10 + " vs. the period before";
      trend.classList.add(d >= 0 ? "up" : "down");
    } else if (before === 0) {
      trend.textContent = value ? "new in this period" : "none in either period";
    } else {
      var change = (value - before) / before;
      trend.textContent = (change >= 0 ? "+" : "") + percent.format(change) + " vs. the period before";
      trend.classList.add(change >= 0 ? "up" : "down");
    }
    if (window.spurCharts) window.spurCharts.spark(card.querySelector(".kpi-spark"), series, labels);
  }

  // Per-day values of a feedback score, on the overview's days (null where none).
  function scoreByDay(feedback, days, pick) {
    var byDay = {};
    feedback.by_day.forEach(function (d) {
      byDay[d.key] = pick(d);
    });
    return days.map(function (d) {
      var v = byDay[d];
      return v === undefined ? null : v;
    });
  }

  function nps(scores) {
    return scores && scores.nps ? scores.nps.score : null;
  }

  function csat(scores) {
    return scores && scores.csat ? scores.csat.satisfied * 100 : null;
  }

  var FILTERS = ["device", "channel", "stage", "segment"];

  function load(push) {
    var p = { site: els.site.value.trim(), from: els.from.value, to: els.to.value };
    FILTERS.forEach(function (name) {
      var value = document.getElementById(name).value.trim();
      if (value) p[name] = value;
    });
    if (push) history.pushState(null, "", "?" + new URLSearchParams(p));
    els.error.classList.add("is-hidden");
    var before = previous(p);
    Promise.all([
      report("overview", p),
      report("overview", before),
      report("feedback", p),
      report("feedback", before),
      report("stages", p)
    ])
      .then(function (r) {
        var now = r[0], then = r[1], fb = r[2], fbThen = r[3], stages = r[4];
        var days = now.days.map(function (d) { return d.date; });
        var series = function (key) {
          return now.days.map(function (d) { return d[key]; });
        };
        kpi("visitors", now.totals.visitors, number.format, then.totals.visitors, series("visitors"), days);
        kpi("sessions", now.totals.sessions, number.format, then.totals.sessions, series("sessions"), days);
        kpi("conversions", now.totals.conversions, function (v) {
          var rate = now.totals.sessions ? " (" + percent.format(v / now.totals.sessions) + " of sessions)" : "";
          return number.format(v) + rate;
        }, then.totals.conversions, series("conversions"), days);
        kpi("revenue", now.totals.revenue, money.format, then.totals.revenue, series("revenue"), days);
        kpi("nps", nps(fb.overall), function (v) { return String(Math.round(v)); }, nps(fbThen.overall),
          scoreByDay(fb, days, nps), days, "points");
        kpi("csat", csat(fb.overall), function (v) { return Math.round(v) + "%"; }, csat(fbThen.overall),
          scoreByDay(fb, days, csat), days, "points");
        if (window.spurCharts) {
          window.spurCharts.bars(els.stages, stages.stages.map(function (s) {
            return { name: window.spurDashboard.term(s.stage), value: s.visitors };
          }));
        }
      })
      .catch(function (e) {
        els.error.textContent = e.message;
        els.error.classList.remove("is-hidden");
      });
  }

  function init() {
    els.site = document.getElementById("site");
    els.from = document.getElementById("from");
    els.to = document.getElementById("to");
    els.error = document.getElementById("overview-error");
    els.stages = document.getElementById("overview-stages");
    var q = new URLSearchParams(location.search);
    els.site.value = q.get("site") || "demo";
    var range = window.spurDashboard.defaultRange();
    els.to.value = q.get("to") || range.to;
    els.from.value = q.get("from") || range.from;
    FILTERS.forEach(function (name) {
      document.getElementById(name).value = q.get(name) || "";
    });
    document.getElementById("overview-form").addEventListener("submit", function (event) {
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
