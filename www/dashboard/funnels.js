// Funnels: build a funnel by clicking touchpoints, then the `funnel` report as bars and a
// table (with CSV export). The view lives in the URL (?site=&from=&to=&steps=a,b&window=)
// so a funnel can be shared. Touchpoint names come from tracked pages: the DOM is built
// with createElement/textContent only, never innerHTML.
(function () {
  "use strict";

  var MIN_STEPS = 2;
  var MAX_STEPS = 20;
  var number = new Intl.NumberFormat(document.documentElement.lang || "en");
  var percent = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent", maximumFractionDigits: 1 });

  var els = {};
  var steps = [];
  var shown = null; // the report on screen, for the CSV export

  var report = window.spurDashboard.report;
  var duration = window.spurDashboard.duration;

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // The range and the optional filters every report takes.
  var FILTERS = ["device", "channel", "stage", "segment"];

  function range() {
    var p = { site: els.site.value.trim(), from: els.from.value, to: els.to.value };
    FILTERS.forEach(function (name) {
      var value = document.getElementById(name).value.trim();
      if (value) p[name] = value;
    });
    return p;
  }

  function error(message) {
    els.error.textContent = message || "";
    els.error.classList.toggle("is-hidden", !message);
  }

  // ---------- The steps being built ----------

  function renderSteps() {
    els.steps.textContent = "";
    // A funnel shown for other steps is not this one's.
    els.result.classList.add("is-hidden");
    steps.forEach(function (name, i) {
      var item = el("li", "funnel-step");
      item.appendChild(el("span", "chip", name));
      var remove = el("button", "chip-btn", "×");
      remove.type = "button";
      remove.setAttribute("aria-label", "Remove step " + (i + 1) + ", " + name);
      remove.addEventListener("click", function () {
        steps.splice(i, 1);
        renderSteps();
        // The list is new: the focus goes to the step now in this place (else the one
        // before it, else the first touchpoint to add).
        var buttons = els.steps.querySelectorAll("button");
        var next = buttons[Math.min(i, buttons.length - 1)] || els.touchpoints.querySelector("button");
        if (next) next.focus();
      });
      item.appendChild(remove);
      els.steps.appendChild(item);
    });
    if (!steps.length) els.steps.appendChild(el("li", "muted", "No steps yet: click touchpoints below."));
    els.show.disabled = steps.length < MIN_STEPS;
  }

  function add(name) {
    if (steps.length >= MAX_STEPS) return;
    steps.push(name);
    renderSteps();
  }

  function loadTouchpoints() {
    els.touchpoints.textContent = "";
    return report("touchpoints", range())
      .then(function (result) {
        if (!result.touchpoints.length) {
          els.touchpoints.appendChild(
            el("span", "muted", "No touchpoints in this range yet: open the demo shop and click around.")
          );
        }
        result.touchpoints.forEach(function (t) {
          var chip = el("button", "chip-btn", t.touchpoint);
          chip.type = "button";
          chip.setAttribute("data-touchpoint", t.touchpoint);
          chip.title = number.format(t.visitors) + " visitors";
          chip.addEventListener("click", function () {
            add(t.touchpoint);
          });
          els.touchpoints.appendChild(chip);
        });
      })
      .catch(function (e) {
        error(e.message);
      });
  }

  // ---------- The funnel ----------

  function nextAfterDrop(step) {
    var cell = el("td");
    var chips = el("div", "funnel-next");
    cell.appendChild(chips);
    var next = step.next_after_drop;
    if (!step.dropped || !next) return cell;
    next.top.forEach(function (t) {
      // "(exit)" is the report's word, not a site's touchpoint: it is translated.
      var exit = t.touchpoint === "(exit)";
      var chip = el("span", exit ? "chip chip-muted" : "chip", exit ? window.spurTr("(exit)") : t.touchpoint);
      chip.appendChild(el("span", "chip-count", " " + number.format(t.count)));
      chips.appendChild(chip);
    });
    if (next.other && next.other.count) {
      // (The table is not translated as a whole: its names are the sites'.)
      chips.appendChild(el("span", "chip chip-muted", window.spurTr("other") + " " + number.format(next.other.count)));
    }
    return cell;
  }

  function render(result) {
    shown = result;
    els.result.classList.remove("is-hidden");
    els.summary.textContent =
      number.format(result.visitors) + " visitors entered the funnel; " +
      number.format(result.steps[result.steps.length - 1].visitors) + " reached the last step.";
    if (window.spurCharts) window.spurCharts.funnel(els.chart, result.steps);
    var dropped = result.steps.some(function (s) { return s.dropped > 0; });
    els.dropoffsPart.classList.toggle("is-hidden", !dropped);
    if (window.spurCharts && dropped) window.spurCharts.dropoffs(els.dropoffs, result.steps);
    els.body.textContent = "";
    result.steps.forEach(function (step, i) {
      var row = el("tr");
      row.appendChild(el("td", "nowrap", i + 1 + ". " + step.touchpoint));
      row.appendChild(el("td", "col-num", number.format(step.visitors)));
      // A share of nobody is no share: "—", where the API writes 0.
      row.appendChild(el("td", "col-num", result.visitors ? percent.format(step.conversion) : "—"));
      var before = i ? result.steps[i - 1].visitors : result.visitors;
      row.appendChild(el("td", "col-num", before ? percent.format(step.step_conversion) : "—"));
      row.appendChild(el("td", "col-num", number.format(step.dropped)));
      row.appendChild(el("td", "col-num", i ? duration(step.median_ms_from_previous) : "—"));
      row.appendChild(nextAfterDrop(step));
      els.body.appendChild(row);
    });
  }

  function query() {
    var params = range();
    params.steps = steps.join(",");
    params.window = els.window.value;
    return params;
  }

  function show(push) {
    error(null);
    if (steps.length < MIN_STEPS) return;
    var params = query();
    if (push) history.pushState(null, "", "?" + new URLSearchParams(params));
    report("funnel", params)
      .then(render)
      .catch(function (e) {
        error("Could not build the funnel: " + e.message);
      });
  }

  // ---------- CSV ----------

  function exportCsv() {
    if (!shown) return;
    var lines = [["step", "touchpoint", "visitors", "conversion", "step_conversion", "dropped", "median_ms_from_previous"]];
    shown.steps.forEach(function (s, i) {
      lines.push([i + 1, s.touchpoint, s.visitors, s.conversion, s.step_conversion, s.dropped, s.median_ms_from_previous]);
    });
    var p = range();
    window.spurDashboard.csv("spur-funnel_" + p.site.replace(/[^A-Za-z0-9_-]/g, "_") + "_" + p.from + "_" + p.to + ".csv", lines);
  }

  // ---------- Start ----------

  function fromUrl() {
    var q = new URLSearchParams(location.search);
    els.site.value = q.get("site") || "demo";
    var range = window.spurDashboard.defaultRange();
    els.to.value = q.get("to") || range.to;
    els.from.value = q.get("from") || range.from;
    if (q.get("window")) els.window.value = q.get("window");
    FILTERS.forEach(function (name) {
      document.getElementById(name).value = q.get(name) || "";
    });
    steps = (q.get("steps") || "").split(",").filter(Boolean).slice(0, MAX_STEPS);
    renderSteps();
  }

  function init() {
    els = {
      form: document.getElementById("funnel-form"),
      site: document.getElementById("site"),
      from: document.getElementById("from"),
      to: document.getElementById("to"),
      window: document.getElementById("window"),
      show: document.getElementById("show-funnel"),
      steps: document.getElementById("funnel-steps"),
      touchpoints: document.getElementById("funnel-touchpoints"),
      error: document.getElementById("funnel-error"),
      result: document.getElementById("funnel-result"),
      summary: document.getElementById("funnel-summary"),
      chart: document.getElementById("funnel-chart"),
      dropoffs: document.getElementById("funnel-dropoffs"),
      dropoffsPart: document.getElementById("funnel-dropoffs-part"),
      body: document.getElementById("funnel-body")
    };
    els.form.addEventListener("submit", function (event) {
      event.preventDefault();
      show(true);
    });
    ["site", "from", "to"].concat(FILTERS).forEach(function (name) {
      document.getElementById(name).addEventListener("change", loadTouchpoints);
    });
    document.getElementById("funnel-csv").addEventListener("click", exportCsv);
    window.addEventListener("popstate", function () {
      fromUrl();
      show(false);
    });
    fromUrl();
    loadTouchpoints();
    show(false);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
