// The table-and-chart report pages (Stages, Touchpoints, Channels, Referrals,
// Experiments): one page,
// report.html?report=<name>, and REPORTS below says how to show each report. Filters live in the URL (?site=&from=&to=&device=&channel=&stage=&segment=, plus
// the report's own), so a view can be shared; every table sorts by a click on its
// header and exports CSV. Names come from tracked pages: the DOM is built with
// createElement/textContent only, never innerHTML.
(function () {
  "use strict";

  var number = new Intl.NumberFormat(document.documentElement.lang || "en");
  var decimal = new Intl.NumberFormat(document.documentElement.lang || "en", { maximumFractionDigits: 2 });
  // Revenue as the overview writes it: two decimals (no currency: sites may mix them).
  var money = new Intl.NumberFormat(document.documentElement.lang || "en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  var percent = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent", maximumFractionDigits: 1 });
  var FILTERS = ["device", "channel", "stage", "segment"];
  var duration = window.spurDashboard.duration;
  var term = window.spurDashboard.term;

  function pct(v) {
    return v === null || v === undefined ? "—" : percent.format(v);
  }

  // The ratings of widgets placed at a touchpoint, in a few words.
  function ratings(r) {
    if (!r) return "—";
    var parts = [];
    if (r.nps) parts.push("NPS " + Math.round(r.nps.score) + " (" + r.nps.responses + ")");
    if (r.csat) parts.push("CSAT " + percent.format(r.csat.satisfied) + " (" + r.csat.responses + ")");
    if (r.ces) parts.push("CES " + decimal.format(r.ces.mean) + " (" + r.ces.responses + ")");
    if (r.thumbs) parts.push("👍 " + percent.format(r.thumbs.up_ratio) + " (" + r.thumbs.responses + ")");
    return parts.join(" · ");
  }

  // Per report: where its rows are, its columns (label, value for sorting and CSV, text
  // shown), the bar chart's measure, and a one-line summary.
  // Texts of a report's page; `guidance` is what the empty state says, in parts:
  // strings, {code: text} and {link: [href, text]}; `empty(result)`: whether a result
  // with rows still has nothing to show.
  var REPORTS = {
    stages: {
      title: "Stages",
      description: "The five-stage journey: how many visitors reach each stage, how many move on from the one before, how long they stay, and where journeys end.",
      guidance: ["No visitor reached a stage yet. Stages come from", " ", { code: "data-stage" }, " ", "on a page's", " ",
        { code: "<body>" }, " ",
        "or on its touchpoints (awareness, consideration, purchase, retention, advocacy): the demo shop at", " ",
        { link: ["/demo/", "/demo/"] }, " ", "has them. Or widen the range and clear the filters."],
      rows: function (r) { return r.stages; },
      key: "stage",
      columns: [
        { label: "Stage", value: function (s) { return s.stage; }, text: term },
        { label: "Visitors", value: function (s) { return s.visitors; }, num: true },
        { label: "From the previous stage", value: function (s) { return s.conversion_from_previous; }, num: true, text: pct },
        { label: "Median time in stage", value: function (s) { return s.median_ms_in_stage; }, num: true, text: duration },
        { label: "Journeys ending here", value: function (s) { return s.ended_here; }, num: true }
      ],
      measure: "visitors",
      // Nobody reached a stage: the pages carry no data-stage yet.
      empty: function (r) { return !r.visitors; },
      summary: function (r) { return number.format(r.visitors) + " visitors reached at least one stage."; }
    },
    touchpoints: {
      title: "Touchpoints",
      description: "The scorecard: every touchpoint with its visitors and sessions, how many converting visitors passed it before converting, where it sits in the path, how often sessions end there (friction), and what its rating widgets say. Click a column to sort.",
      rows: function (r) { return r.touchpoints; },
      key: "touchpoint",
      columns: [
        { label: "Touchpoint", value: function (t) { return t.touchpoint; } },
        { label: "Visitors", value: function (t) { return t.visitors; }, num: true },
        { label: "Sessions", value: function (t) { return t.sessions; }, num: true },
        { label: "Converters who passed it", value: function (t) { return t.conversion_share; }, num: true, text: pct },
        { label: "Median position", value: function (t) { return t.median_position; }, num: true, text: function (v) { return v === null || v === undefined ? "—" : decimal.format(v); } },
        { label: "Exit rate (sessions ending here)", value: function (t) { return t.exit_rate; }, num: true, text: pct },
        { label: "Ratings", value: function (t) { return ratings(t.ratings); } },
        { label: "Engaged time (median)", value: function (t) { return t.health ? t.health.median_engaged_ms : null; }, num: true, text: duration },
        { label: "Scroll depth (median)", value: function (t) { return t.health && t.health.median_scroll !== null ? t.health.median_scroll / 100 : null; }, num: true, text: pct },
        { label: "Friction per view", value: function (t) { return t.health ? t.health.friction_rate : null; }, num: true, text: function (v) { return v === null || v === undefined ? "—" : decimal.format(v); } }
      ],
      measure: "visitors",
      summary: function (r) {
        var rising = (r.friction_rising || []).map(function (p) {
          return p.touchpoint + " (" + decimal.format(p.before) + " → " + decimal.format(p.after) + ")";
        });
        return r.touchpoints.length + " touchpoints." +
          (rising.length ? " Friction rose most on: " + rising.join(", ") + "." : "");
      }
    },
    channels: {
      title: "Channels & attribution",
      description: "Sessions, visitors, conversions and revenue per channel, and the conversions and revenue attributed over each visitor’s sessions up to the conversion.",
      fields: [["model", "Attribution", [["first", "First touch"], ["last", "Last touch"], ["linear", "Linear"],
        ["position", "Position-based (40/20/40)"]]]],
      params: { model: "position" },
      rows: function (r) {
        var attributed = {};
        r.attribution.channels.forEach(function (c) { attributed[c.channel] = c; });
        return r.channels.map(function (c) {
          var a = attributed[c.channel] || { conversions: 0, revenue: 0 };
          return {
            channel: c.channel, sessions: c.sessions, visitors: c.visitors, conversions: c.conversions,
            revenue: c.revenue, attributed_conversions: a.conversions, attributed_revenue: a.revenue
          };
        });
      },
      key: "channel",
      columns: [
        { label: "Channel", value: function (c) { return c.channel; }, text: term },
        { label: "Sessions", value: function (c) { return c.sessions; }, num: true },
        // Each visitor once, under the channel of their first session (the channel
        // filter counts everyone with a session through it).
        { label: "Visitors (first session)", value: function (c) { return c.visitors; }, num: true },
        { label: "Conversions in session", value: function (c) { return c.conversions; }, num: true },
        { label: "Revenue in session", value: function (c) { return c.revenue; }, num: true, text: function (v) { return money.format(v); } },
        { label: "Attributed conversions", value: function (c) { return c.attributed_conversions; }, num: true, text: function (v) { return decimal.format(v); } },
        { label: "Attributed revenue", value: function (c) { return c.attributed_revenue; }, num: true, text: function (v) { return money.format(v); } }
      ],
      measure: "sessions",
      summary: function (r) {
        // The model by the name its choice has in the form.
        var model = REPORTS.channels.fields[0][2].filter(function (o) { return o[0] === r.attribution.model; })[0];
        return "Attribution model: " + (model ? model[1] : r.attribution.model) + ".";
      }
    }
  };

  REPORTS.referrals = {
    title: "Referrals",
    description: "Recommendations that brought customers: codes from shared links (?spur_ref=), who shared them, how many visitors arrived through each and how many of those converted. Click a sharer to see their journey.",
    guidance: ["No shared links were followed in this range. A customer shares with a", " ", { code: "share" }, " ",
      "event carrying", " ", { code: "{code}" }, ", and the link they share carries", " ", { code: "?spur_ref=<code>" }, "."],
    rows: function (r) { return r.codes; },
    key: "code",
    columns: [
      { label: "Code", value: function (c) { return c.code; } },
      { label: "Shared by", value: function (c) { return c.owner || ""; }, link: function (v) {
        return v ? "/dashboard/visitor.html?" + new URLSearchParams({ site: els.site.value.trim(), id: v }) : null;
      } },
      { label: "Arrivals", value: function (c) { return c.arrivals; }, num: true },
      { label: "Conversions", value: function (c) { return c.conversions; }, num: true }
    ],
    measure: "arrivals",
    summary: function (r) {
      return [
        r.codes.length + (r.codes.length === 1 ? " shared code" : " shared codes"),
        "longest chain " + r.max_depth + (r.max_depth === 1 ? " referral deep" : " referrals deep"),
        decimal.format(r.spread) + (r.spread === 1 ? " new visitor per referrer" : " new visitors per referrer")
      ].join(" · ");
    }
  };

  REPORTS.experiments = {
    title: "Experiments",
    description: "Per experiment and variant: the visitors who saw it, how many reached the goal afterwards, how satisfied they were, and the difference from the control with an interval that stays valid however often you look.",
    guidance: ["No experiment in this range. Mark a page or element with", " ", { code: "data-variant=\"experiment:variant\"" },
      " ", "or call", " ", { code: "spur.variant(experiment, variant)" }, "."],
    fields: [["goal", "Goal (a touchpoint)", null]],
    params: { goal: "purchase" },
    // Every visitor exposed counts, whatever their sessions: the API refuses the others.
    filters: ["device"],
    rows: function (r) {
      var rows = [];
      r.experiments.forEach(function (e) {
        e.variants.forEach(function (v) {
          var c = v.comparison;
          rows.push({
            key: e.experiment + " · " + v.variant, experiment: e.experiment,
            // (The table holds the sites' names and is not translated as a whole: the
            // report's own words are translated here.)
            variant: v.variant + (v.variant === e.control && v.variant !== "control" ? " (" + window.spurTr("control") + ")" : ""),
            visitors: v.visitors, conversions: v.conversions, conversion_rate: v.conversion_rate,
            satisfaction: v.satisfaction, difference: c ? c.difference : null,
            // Below the sample a verdict needs, the interval says nothing yet.
            interval: c && c.verdict !== "not_enough_data" && c.interval, verdict: c ? window.spurTr(VERDICTS[c.verdict]) : ""
          });
        });
      });
      return rows;
    },
    key: "key",
    columns: [
      { label: "Experiment", value: function (v) { return v.experiment; } },
      { label: "Variant", value: function (v) { return v.variant; } },
      { label: "Visitors", value: function (v) { return v.visitors; }, num: true },
      { label: "Conversions", value: function (v) { return v.conversions; }, num: true },
      { label: "Conversion rate", value: function (v) { return v.conversion_rate; }, num: true, text: pct },
      { label: "Satisfied (high ratings)", value: function (v) { return v.satisfaction; }, num: true, text: pct },
      { label: "Difference to control", value: function (v) { return v.difference; }, num: true, text: function (d) {
        return d === null || d === undefined ? "—" : (d > 0 ? "+" : "") + decimal.format(d * 100) + " " + window.spurTr("pts");
      } },
      { label: "95 % interval", value: function (v) {
        return v.interval ? decimal.format(v.interval[0] * 100) + " " + window.spurTr("to") + " " +
          decimal.format(v.interval[1] * 100) + " " + window.spurTr("pts") : "";
      } },
      { label: "Verdict", value: function (v) { return v.verdict; } }
    ],
    measure: "visitors",
    // Each comparison's verdict in words, then the method.
    summary: function (r) {
      var said = [];
      r.experiments.forEach(function (e) {
        e.variants.forEach(function (v) {
          if (v.comparison) said.push(e.experiment + ": " + v.comparison.text);
        });
      });
      // One sentence per text node: each is translated on its own (i18n.js).
      return said.concat([r.method]);
    }
  };
  var VERDICTS = {
    not_enough_data: "Not enough data yet",
    better: "Better",
    worse: "Worse",
    no_difference_yet: "No difference yet"
  };

  var els = {};
  var spec = null;
  var report = new URLSearchParams(location.search).get("report");
  var rows = [];
  var sort = { column: null, descending: true };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showState(name) {
    ["loading", "empty", "error", "table"].forEach(function (state) {
      els[state].classList.toggle("is-hidden", state !== name);
    });
  }

  // The filters this report takes (most take all).
  function filters() {
    return spec.filters || FILTERS;
  }

  function params() {
    var p = { site: els.site.value.trim(), from: els.from.value, to: els.to.value };
    filters().concat(Object.keys(spec.params || {})).forEach(function (name) {
      var input = document.getElementById(name);
      if (input && input.value) p[name] = input.value.trim();
    });
    return p;
  }

  function fromUrl() {
    var q = new URLSearchParams(location.search);
    els.site.value = q.get("site") || "demo";
    var range = window.spurDashboard.defaultRange();
    els.to.value = q.get("to") || range.to;
    els.from.value = q.get("from") || range.from;
    filters().concat(Object.keys(spec.params || {})).forEach(function (name) {
      var input = document.getElementById(name);
      if (input) input.value = q.get(name) || (spec.params && spec.params[name]) || "";
    });
  }

  function load(push) {
    var p = params();
    if (push) {
      var q = new URLSearchParams(p);
      q.set("report", report);
      history.pushState(null, "", "?" + q);
    }
    showState("loading");
    window.spurDashboard.report(report, p)
      .then(function (result) {
        rows = spec.rows(result);
        var summary = spec.summary(result);
        els.summary.textContent = "";
        [].concat(summary).forEach(function (sentence, i) {
          els.summary.appendChild(document.createTextNode((i ? " " : "") + sentence));
        });
        if (!rows.length || (spec.empty && spec.empty(result))) {
          showState("empty");
          return;
        }
        showState("table");
        render();
        if (window.spurCharts) window.spurCharts.bars(els.chart, rows.map(function (r) {
          // The bar's name as the table's first column shows it.
          var first = spec.columns[0];
          return { name: first.text ? first.text(r[spec.key]) : r[spec.key], value: r[spec.measure] };
        }));
      })
      .catch(function (error) {
        els.errorMessage.textContent = error.message;
        showState("error");
      });
  }

  function sorted() {
    if (sort.column === null) return rows;
    var value = spec.columns[sort.column].value;
    return rows.slice().sort(function (a, b) {
      var x = value(a), y = value(b);
      var order = x === y ? 0 : x === null || x === undefined ? 1 : y === null || y === undefined ? -1 : x < y ? -1 : 1;
      return sort.descending ? -order : order;
    });
  }

  function render() {
    els.head.textContent = "";
    var tr = el("tr");
    spec.columns.forEach(function (column, i) {
      var th = el("th", column.num ? "col-num" : "");
      th.scope = "col";
      th.setAttribute("aria-sort", sort.column === i ? (sort.descending ? "descending" : "ascending") : "none");
      var button = el("button", "sort-btn", column.label);
      button.type = "button";
      button.addEventListener("click", function () {
        sort.descending = sort.column === i ? !sort.descending : true;
        sort.column = i;
        render();
        // The header is new: the focus goes back to this column's button.
        els.head.querySelectorAll(".sort-btn")[i].focus();
      });
      th.appendChild(button);
      tr.appendChild(th);
    });
    els.head.appendChild(tr);
    els.body.textContent = "";
    sorted().forEach(function (row) {
      var line = el("tr");
      spec.columns.forEach(function (column) {
        var v = column.value(row);
        var text = column.text ? column.text(v) : column.num ? number.format(v) : String(v);
        var cell = el("td", column.num ? "col-num" : "");
        var href = column.link && column.link(v);
        if (href) {
          var a = el("a", "", text);
          a.href = href;
          cell.appendChild(a);
        } else {
          cell.textContent = text;
        }
        line.appendChild(cell);
      });
      els.body.appendChild(line);
    });
  }

  function exportCsv() {
    var lines = [spec.columns.map(function (c) { return c.label; })];
    sorted().forEach(function (row) {
      lines.push(spec.columns.map(function (c) { return c.value(row); }));
    });
    var p = params();
    window.spurDashboard.csv("spur-" + report + "_" + p.site.replace(/[^A-Za-z0-9_-]/g, "_") + "_" + p.from + "_" + p.to + ".csv", lines);
  }

  var DEFAULT_GUIDANCE = ["No visits match yet — open the demo shop at", " ", { link: ["/demo/", "/demo/"] }, " ",
    "and click around, or widen the range and clear the filters."];

  // The page's texts and the report's own fields, from its spec.
  function page(kind) {
    document.title = (window.spurTr ? window.spurTr(spec.title) : spec.title) + " — Spur";
    document.getElementById("report-h1").textContent = spec.title;
    document.getElementById("report-title").textContent = spec.title;
    document.getElementById("report-description").textContent = spec.description;
    document.getElementById("report-source").textContent = "/api/v1/reports/" + kind;
    els.chart.setAttribute("aria-label", spec.title + ": the main measure per row");
    var empty = document.getElementById("report-empty-text");
    (spec.guidance || DEFAULT_GUIDANCE).forEach(function (part) {
      if (typeof part === "string") empty.appendChild(document.createTextNode(part));
      else if (part.code) empty.appendChild(el("code", "", part.code));
      else {
        var a = el("a", "", part.link[1]);
        a.href = part.link[0];
        empty.appendChild(a);
      }
    });
    // Filters this report does not take are not offered.
    FILTERS.forEach(function (name) {
      if (filters().indexOf(name) < 0) {
        var field = document.getElementById(name).parentNode;
        field.parentNode.removeChild(field);
      }
    });
    // Fields of this report only (the channels' attribution model), before the filters.
    var before = document.getElementById("device").parentNode;
    (spec.fields || []).forEach(function (f) {
      var field = el("div", "field");
      var label = el("label", "", f[1]);
      label.htmlFor = f[0];
      field.appendChild(label);
      // A choice, or (without options) free text.
      var select = el(f[2] ? "select" : "input");
      select.id = f[0];
      select.name = f[0];
      (f[2] || []).forEach(function (o) {
        var option = el("option", "", o[1]);
        option.value = o[0];
        select.appendChild(option);
      });
      field.appendChild(select);
      before.parentNode.insertBefore(field, before);
    });
  }

  function init() {
    var kind = new URLSearchParams(location.search).get("report");
    spec = REPORTS[kind];
    ["form", "site", "from", "to", "summary", "chart", "head", "body", "loading", "empty", "error", "table"].forEach(
      function (name) {
        els[name] = document.getElementById("report-" + name);
      }
    );
    els.site = document.getElementById("site");
    els.from = document.getElementById("from");
    els.to = document.getElementById("to");
    els.errorMessage = document.getElementById("report-error-message");
    if (!spec) {
      els.errorMessage.textContent = "No such report.";
      showState("error");
      return;
    }
    page(kind);
    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      load(true);
    });
    document.getElementById("report-csv").addEventListener("click", exportCsv);
    window.addEventListener("popstate", function () {
      fromUrl();
      load(false);
    });
    fromUrl();
    load(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
