// Feedback: scores, widgets, comments and what preceded low and high ratings, from
// /api/v1/reports/feedback. The filters live in the URL so a view can be shared.
// Comments, touchpoints and paths are user-controlled: the DOM is built with
// createElement/textContent only, never innerHTML.
(function () {
  "use strict";

  var API = "/api/v1/reports/feedback";
  var DAY_MS = 86400000;
  var percent = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent", maximumFractionDigits: 1 });
  var decimal = new Intl.NumberFormat(document.documentElement.lang || "en", { maximumFractionDigits: 2 });

  function $(id) {
    return document.getElementById(id);
  }

  function day(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function stateFromUrl() {
    var q = new URLSearchParams(location.search);
    var range = window.spurDashboard.defaultRange();
    return {
      site: q.get("site") || "demo",
      from: q.get("from") || range.from,
      to: q.get("to") || range.to,
      band: q.get("band") || "",
      themes: q.get("themes") || "",
      device: q.get("device") || "",
      channel: q.get("channel") || "",
      stage: q.get("stage") || "",
      segment: q.get("segment") || ""
    };
  }

  // The form's fields: the page's own (`fb-` ids) and the shared filters (frame.js).
  var OWN = ["site", "from", "to", "band", "themes"];
  var FILTERS = ["device", "channel", "stage", "segment"];

  function field(k) {
    return OWN.indexOf(k) >= 0 ? $("fb-" + k) : $(k);
  }

  function query(state) {
    var q = new URLSearchParams();
    Object.keys(state).forEach(function (k) {
      if (state[k]) q.set(k, state[k]);
    });
    return q.toString();
  }

  function text(el, value) {
    el.textContent = value;
    return el;
  }

  function element(tag, value) {
    return text(document.createElement(tag), value === undefined ? "" : value);
  }

  function row(cells) {
    var tr = document.createElement("tr");
    cells.forEach(function (c) {
      tr.appendChild(element("td", c));
    });
    return tr;
  }

  function fill(id, rows) {
    var body = $(id);
    body.textContent = "";
    rows.forEach(function (r) {
      body.appendChild(r);
    });
  }

  function score(s, kind) {
    if (!s || !s[kind]) return "–";
    var v = s[kind];
    if (kind === "nps") return decimal.format(v.score);
    if (kind === "csat") return percent.format(v.satisfied);
    if (kind === "ces") return decimal.format(v.mean);
    return percent.format(v.up_ratio);
  }

  function answers(n) {
    return n + (n === 1 ? " answer" : " answers");
  }

  function note(s, kind) {
    if (!s || !s[kind]) return "no answers";
    var v = s[kind];
    if (kind === "nps") {
      return count(v.promoters, "promoter") + " · " + count(v.passives, "passive") + " · " + count(v.detractors, "detractor");
    }
    if (kind === "csat") return answers(v.responses) + " · mean " + decimal.format(v.mean);
    if (kind === "ces") return answers(v.responses);
    return v.up + " up · " + v.down + " down";
  }

  // "1 promoter", "2 promoters" (German in i18n.js).
  function count(n, word) {
    return n + " " + word + (n === 1 ? "" : "s");
  }

  // The gauge, the distributions and the trend; a chart without answers says so.
  function charts(r) {
    var c = window.spurCharts;
    if (!c) return;
    var none = function (id) {
      var el = $(id);
      el.textContent = "";
      el.appendChild(element("p", "no answers")).className = "muted";
    };
    var nps = r.overall.nps, csat = r.overall.csat, ces = r.overall.ces, thumbs = r.overall.thumbs;
    if (nps) c.gauge($("fb-gauge"), nps.score);
    else none("fb-gauge");
    if (nps) c.distribution($("fb-nps-dist"), nps.distribution, 0);
    else none("fb-nps-dist");
    if (csat) c.distribution($("fb-csat-dist"), csat.distribution, 1);
    else none("fb-csat-dist");
    if (ces) c.distribution($("fb-ces-dist"), ces.distribution, 1);
    else none("fb-ces-dist");
    // Drawn on a canvas, which the page's translation does not reach: named here.
    var updown = window.spurLang === "de" ? ["runter", "hoch"] : ["down", "up"];
    if (thumbs) c.distribution($("fb-thumbs-dist"), [thumbs.down, thumbs.up], 0, updown);
    else none("fb-thumbs-dist");
    // Every day of the range, those without NPS answers as gaps.
    var scores = {};
    r.by_day.forEach(function (d) { if (d.nps) scores[d.key] = d.nps.score; });
    if (Object.keys(scores).length) {
      var labels = [];
      for (var t = Date.parse(r.from + "T00:00:00Z"), end = Date.parse(r.to + "T00:00:00Z"); t <= end; t += 86400000) {
        labels.push(new Date(t).toISOString().slice(0, 10));
      }
      c.trend($("fb-trend"), labels.map(function (d) { return d in scores ? scores[d] : null; }), labels, -100, 100);
    } else none("fb-trend");
  }

  function render(r) {
    ["nps", "csat", "ces", "thumbs"].forEach(function (kind) {
      text($("fb-" + kind), score(r.overall, kind));
      text($("fb-" + kind + "-note"), note(r.overall, kind));
    });
    charts(r);
    fill("fb-touchpoints", r.by_touchpoint.map(function (k) {
      return row([k.key, score(k, "nps"), score(k, "csat"), score(k, "ces"), score(k, "thumbs")]);
    }));
    fill("fb-widgets", r.widgets.map(function (w) {
      return row([w.widget.toUpperCase() + " · " + w.touchpoint, String(w.shown), String(w.answered), String(w.dismissed),
        // Never shown (answers from a page that did not report the showing): no rate.
        w.shown ? percent.format(w.response_rate) : "—"]);
    }));
    var chips = $("fb-keywords");
    chips.textContent = "";
    r.comments.keywords.concat(r.comments.themes).forEach(function (t) {
      chips.appendChild(element("span", t.term + " · " + t.comments)).className = "chip";
    });
    fill("fb-comments", r.comments.listed.map(function (c) {
      var li = document.createElement("li");
      li.className = "fb-comment fb-" + c.band;
      li.appendChild(element("p", c.text)).className = "fb-comment-text";
      li.appendChild(element("span", c.widget.toUpperCase() + " " + c.score + " · " + c.touchpoint + " · " + day(c.ts))).className = "fb-comment-meta";
      return li;
    }));
    if (!r.comments.listed.length) fill("fb-comments", [element("li", "No comments in this range.")]);
    var paths = function (list) {
      return list.map(function (p) {
        return element("li", p.steps.join(" › ") + " — " + p.count);
      });
    };
    fill("fb-low-paths", paths(r.preceded.low_paths));
    fill("fb-high-paths", paths(r.preceded.high_paths));
    fill("fb-over", r.preceded.over_represented.map(function (o) {
      return element("li", o.touchpoint + ": " + percent.format(o.low_share) + " of low vs " + percent.format(o.high_share) + " of high");
    }));
  }

  function load(state) {
    $("fb-error").hidden = true;
    // The report's tables as CSV, straight from the API (the session cookie signs it).
    $("fb-csv").href = API + "?" + query(state) + "&format=csv";
    fetch(API + "?" + query(state), { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          window.spurDashboard.signedOut();
          return null;
        }
        return response.json().then(function (data) {
          if (!response.ok) throw new Error(data && data.error ? data.error.message : "HTTP " + response.status);
          return data;
        });
      })
      .then(function (data) {
        if (data) render(data);
      })
      .catch(function (error) {
        text($("fb-error"), "The feedback report failed: " + error.message);
        $("fb-error").hidden = false;
      });
  }

  function init() {
    var state = stateFromUrl();
    OWN.concat(FILTERS).forEach(function (k) {
      field(k).value = state[k];
    });
    $("fb-filters").addEventListener("submit", function (event) {
      event.preventDefault();
      var next = {};
      OWN.concat(FILTERS).forEach(function (k) {
        next[k] = field(k).value.trim();
      });
      history.pushState(null, "", "?" + query(next));
      load(next);
    });
    window.addEventListener("popstate", function () {
      load(stateFromUrl());
    });
    load(state);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
