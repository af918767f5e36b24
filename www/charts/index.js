// The dashboard's charts: ECharts (from npm, pinned in www/package-lock.json), only the
// parts the pages use, bundled by www/build.sh into dashboard/build/charts.js, which
// defines `window.spurCharts`. Canvas rendering: nothing here writes inline style
// attributes, so the pages' strict Content-Security-Policy holds.
//
// Every label that reaches a chart comes from tracked pages (touchpoint names) and is
// drawn as canvas text, never parsed as HTML; tooltips are formatted here as text nodes
// through `formatText`.
import * as echarts from "echarts/core";
import { SankeyChart, BarChart, LineChart, GaugeChart } from "echarts/charts";
import { TooltipComponent, GridComponent, LegendComponent } from "echarts/components";
import { CanvasRenderer } from "echarts/renderers";

echarts.use([SankeyChart, BarChart, LineChart, GaugeChart, TooltipComponent, GridComponent, LegendComponent, CanvasRenderer]);

const PALETTE = ["#8a5a2b", "#2f6f73", "#b5651d", "#5b7f3a", "#7a4e8a", "#a03f3f", "#3d5a99", "#8c7a2b"];
const MUTED = "#b9b2a8";

// Numbers and words the way the page's language writes them (<html lang> and the
// dashboard's translations, both set by i18n.js first).
const lang = document.documentElement.lang || "en";
const number = new Intl.NumberFormat(lang);
const percent = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
const tr = (text) => (window.spurTr ? window.spurTr(text) : text);

// Escapes text for ECharts' HTML tooltips (the only place ECharts takes markup).
function escape(text) {
  return String(text).replace(/[&<>"']/g, (c) => "&#" + c.charCodeAt(0) + ";");
}

function chart(el) {
  const existing = echarts.getInstanceByDom(el);
  if (existing) existing.dispose();
  const instance = echarts.init(el, null, { renderer: "canvas" });
  const resize = () => instance.resize();
  window.addEventListener("resize", resize);
  return instance;
}

// A Sankey of the `transitions` report: one column per step. Node ids are
// "<step>\u0000<label>" (labels repeat across steps); `onNode(label, step)` is called
// when a node that is a touchpoint is clicked.
function sankey(el, result, onNode) {
  const instance = chart(el);
  const id = (step, label) => step + "\u0000" + label;
  const special = (label) => label === "(exit)" || label === "(other)";
  const colours = new Map();
  const colour = (label) => {
    if (special(label)) return MUTED;
    if (!colours.has(label)) colours.set(label, PALETTE[colours.size % PALETTE.length]);
    return colours.get(label);
  };
  const data = result.nodes.map((n) => ({
    name: id(n.step, n.label),
    value: n.value,
    label: n.label,
    // "(exit)" and "(other)" are the report's words, shown in the page's language.
    shown: special(n.label) ? tr(n.label) : n.label,
    step: n.step,
    depth: n.step,
    itemStyle: { color: colour(n.label) },
  }));
  const links = result.links.map((l) => ({
    source: id(l.step, l.source),
    target: id(l.step + 1, l.target),
    value: l.value,
  }));
  instance.setOption({
    animation: false,
    tooltip: {
      trigger: "item",
      formatter: (p) =>
        p.dataType === "edge"
          ? escape(p.data.source.split("\u0000")[1]) + " → " + escape(p.data.target.split("\u0000")[1]) +
            ": " + number.format(p.data.value)
          : escape(p.data.shown) + " (" + tr("step") + " " + (p.data.step + 1) + "): " + number.format(p.data.value),
    },
    series: [
      {
        type: "sankey",
        data,
        links,
        left: 8,
        right: 120,
        top: 8,
        bottom: 8,
        nodeWidth: 14,
        nodeGap: 10,
        nodeAlign: "left",
        layoutIterations: 0,
        emphasis: { focus: "adjacency" },
        lineStyle: { color: "gradient", opacity: 0.35, curveness: 0.5 },
        // Cut to the room before the next column (the whole name is in the tooltip).
        label: {
          formatter: (p) => p.data.shown,
          color: "#3b342c",
          fontSize: 12,
          width: 110,
          overflow: "truncate",
        },
      },
    ],
  });
  instance.on("click", (p) => {
    if (p.dataType === "node" && !special(p.data.label)) onNode(p.data.label, p.data.step);
  });
  return instance;
}

// Where the centre of the Sankey node `label` at `step` is, in page pixels relative to
// the chart's element (for the end-to-end tests, which click it with a real mouse).
function nodeCentre(el, label, step) {
  const instance = echarts.getInstanceByDom(el);
  if (!instance) return null;
  const series = instance.getModel().getSeriesByIndex(0);
  // Node layouts are relative to the series' box (its left/top margins).
  const box = series.layoutInfo || { x: 0, y: 0 };
  const data = series.getData();
  for (let i = 0; i < data.count(); i++) {
    const item = data.getRawDataItem(i);
    if (item.label === label && item.step === step) {
      const l = data.getItemLayout(i);
      return [box.x + l.x + l.dx / 2, box.y + l.y + l.dy / 2];
    }
  }
  return null;
}

// The Sankey's nodes as drawn: [step, label, value], in the report's order (for the
// end-to-end tests, which compare them with the API).
function nodes(el) {
  const instance = echarts.getInstanceByDom(el);
  if (!instance) return null;
  const data = instance.getModel().getSeriesByIndex(0).getData();
  const out = [];
  for (let i = 0; i < data.count(); i++) {
    const item = data.getRawDataItem(i);
    out.push([item.step, item.label, item.value]);
  }
  return out;
}

// Horizontal bars of a funnel: visitors per step, labelled with the share of the first.
function funnel(el, steps) {
  const instance = chart(el);
  const names = steps.map((s, i) => i + 1 + ". " + s.touchpoint);
  instance.setOption({
    animation: false,
    grid: { left: 8, right: 96, top: 8, bottom: 8, containLabel: true },
    tooltip: {
      trigger: "item",
      formatter: (p) => escape(names[p.dataIndex]) + ": " + number.format(p.value) + " " + tr("visitors"),
    },
    xAxis: { type: "value", show: false },
    yAxis: { type: "category", data: names, inverse: true, axisTick: { show: false } },
    series: [
      {
        type: "bar",
        data: steps.map((s) => s.visitors),
        barMaxWidth: 28,
        itemStyle: { color: PALETTE[0], borderRadius: 4 },
        label: {
          show: true,
          position: "right",
          formatter: (p) =>
            number.format(p.value) + " · " + percent.format(steps[p.dataIndex].conversion),
        },
      },
    ],
  });
  return instance;
}

// Where the visitors who dropped out of a funnel went next: a stacked bar per step they
// left after (the funnel report's `next_after_drop`), one colour per destination,
// leaving the site (`(exit)`) greyed, the destinations beyond the report's top as
// "other". The bars' segments add up to the step's `dropped`.
function dropoffs(el, steps) {
  const rows = steps
    .map((s, i) => ({ name: tr("after") + " " + (i + 1) + ". " + s.touchpoint, step: s }))
    .filter((r) => r.step.dropped > 0 && r.step.next_after_drop);
  el.style.height = Math.max(120, rows.length * 44 + 64) + "px";
  const instance = chart(el);
  // Destinations by their total over the steps, largest first; "other" last.
  const totals = new Map();
  for (const r of rows) {
    for (const t of r.step.next_after_drop.top) totals.set(t.touchpoint, (totals.get(t.touchpoint) || 0) + t.count);
  }
  const names = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || (a < b ? -1 : 1));
  const count = (r, name) => (r.step.next_after_drop.top.find((t) => t.touchpoint === name) || { count: 0 }).count;
  const series = names.map((name, i) => ({
    name: name === "(exit)" ? tr(name) : name,
    data: rows.map((r) => count(r, name)),
    color: name === "(exit)" ? MUTED : PALETTE[i % PALETTE.length],
  }));
  series.push({ name: tr("other"), data: rows.map((r) => r.step.next_after_drop.other.count), color: "#ddd6cc" });
  instance.setOption({
    animation: false,
    grid: { left: 8, right: 16, top: 8, bottom: 40, containLabel: true },
    legend: { bottom: 0, type: "scroll" },
    tooltip: { trigger: "item", formatter: (p) => escape(p.seriesName) + ": " + number.format(p.value) },
    xAxis: { type: "value", show: false },
    yAxis: { type: "category", data: rows.map((r) => r.name), inverse: true, axisTick: { show: false } },
    series: series.map((s) => ({
      type: "bar",
      stack: "dropped",
      name: s.name,
      data: s.data,
      barMaxWidth: 26,
      itemStyle: { color: s.color },
    })),
  });
  return instance;
}

// The points of a trend that are drawn, as [label, value] (for the end-to-end tests).
function points(el) {
  const instance = echarts.getInstanceByDom(el);
  if (!instance) return null;
  const data = instance.getModel().getSeriesByIndex(0).getData();
  const option = instance.getOption();
  const out = [];
  for (let i = 0; i < data.count(); i++) {
    const symbol = data.getItemGraphicEl(i);
    if (symbol && !symbol.invisible && !symbol.ignore) out.push([option.xAxis[0].data[i], option.series[0].data[i]]);
  }
  return out;
}

// A stacked bar chart's segments as drawn: [row, series, value] for every segment over
// zero (for the end-to-end tests, which compare them with the API).
function segments(el) {
  const instance = echarts.getInstanceByDom(el);
  if (!instance) return null;
  const option = instance.getOption();
  const rows = option.yAxis[0].data;
  const out = [];
  for (const s of option.series) {
    s.data.forEach((v, i) => {
      if (v > 0) out.push([rows[i], s.name, v]);
    });
  }
  return out;
}

// Horizontal bars of `items` ({name, value}), largest first as given, at most 15.
function bars(el, items) {
  const shown = items.slice(0, 15);
  // A bar's worth of height per row (through the CSSOM, which the CSP allows).
  el.style.height = Math.max(120, shown.length * 34 + 24) + "px";
  const instance = chart(el);
  instance.setOption({
    animation: false,
    grid: { left: 8, right: 64, top: 8, bottom: 8, containLabel: true },
    tooltip: { trigger: "item", formatter: (p) => escape(p.name) + ": " + number.format(p.value) },
    xAxis: { type: "value", show: false },
    yAxis: { type: "category", data: shown.map((i) => i.name), inverse: true, axisTick: { show: false } },
    series: [
      {
        type: "bar",
        data: shown.map((i) => i.value),
        barMaxWidth: 22,
        itemStyle: { color: PALETTE[1], borderRadius: 4 },
        label: { show: true, position: "right", formatter: (p) => number.format(p.value) },
      },
    ],
  });
  return instance;
}

// A sparkline: `values` (numbers or null for no data) as a small line, no axes.
function spark(el, values, labels) {
  const instance = chart(el);
  instance.setOption({
    animation: false,
    grid: { left: 2, right: 2, top: 4, bottom: 4 },
    tooltip: {
      trigger: "axis",
      formatter: (p) => escape(labels[p[0].dataIndex]) + ": " + (p[0].value === null ? "—" : number.format(p[0].value)),
    },
    xAxis: { type: "category", show: false, data: labels, boundaryGap: false },
    yAxis: { type: "value", show: false, scale: true },
    series: [
      {
        type: "line",
        data: values,
        connectNulls: true,
        // A single day is a dot, not an invisible line.
        symbol: values.filter((v) => v !== null).length > 1 ? "none" : "circle",
        symbolSize: 6,
        lineStyle: { width: 2, color: PALETTE[0] },
        areaStyle: { color: "rgba(138,90,43,0.12)" },
      },
    ],
  });
  return instance;
}

// A score per day (`values`: a number, or null for a day without answers) with its
// axes: every day of the range in `labels` (UTC dates, shown as MM-DD), the score from
// `min` to `max`. Days without answers are gaps, not joined to their neighbours.
function trend(el, values, labels, min, max) {
  const instance = chart(el);
  instance.setOption({
    animation: false,
    grid: { left: 4, right: 12, top: 12, bottom: 4, containLabel: true },
    tooltip: {
      trigger: "axis",
      formatter: (p) => escape(labels[p[0].dataIndex]) + ": " + (p[0].value === null || p[0].value === undefined ? tr("no answers") : number.format(p[0].value)),
    },
    xAxis: {
      type: "category",
      data: labels,
      axisTick: { alignWithLabel: true },
      axisLabel: { fontSize: 10, color: "#6b645b", formatter: (day) => day.slice(5) },
    },
    yAxis: {
      type: "value",
      min,
      max,
      interval: (max - min) / 4,
      axisLabel: { fontSize: 10, color: "#6b645b" },
      splitLine: { lineStyle: { color: "#ece6dc" } },
    },
    series: [
      {
        type: "line",
        data: values,
        connectNulls: false,
        symbol: "circle",
        symbolSize: 6,
        // Every day's dot, not every few days' (ECharts' default when space is short):
        // a day between two days without answers has no line to show it.
        showAllSymbol: true,
        lineStyle: { width: 2, color: PALETTE[0] },
        itemStyle: { color: PALETTE[0] },
      },
    ],
  });
  return instance;
}

// The NPS as a gauge from −100 to 100: detractor red below 0, amber to 50, green above.
function gauge(el, score) {
  const instance = chart(el);
  instance.setOption({
    animation: false,
    series: [
      {
        type: "gauge",
        min: -100,
        max: 100,
        startAngle: 200,
        endAngle: -20,
        splitNumber: 4,
        radius: "95%",
        center: ["50%", "62%"],
        axisLine: { lineStyle: { width: 14, color: [[0.5, "#b3403a"], [0.75, "#d9a13b"], [1, "#2e7d4f"]] } },
        pointer: { width: 5, length: "60%", itemStyle: { color: "#3b342c" } },
        axisTick: { show: false },
        splitLine: { length: 10, lineStyle: { color: "#fff", width: 2 } },
        axisLabel: { distance: 18, fontSize: 10, color: "#6b645b" },
        detail: { valueAnimation: false, fontSize: 22, offsetCenter: [0, "35%"], formatter: (v) => String(Math.round(v)) },
        data: [{ value: score }],
      },
    ],
  });
  return instance;
}

// Answers per score (`counts[i]` for score `first + i`, or named `names[i]`) as columns.
function distribution(el, counts, first, names) {
  const instance = chart(el);
  instance.setOption({
    animation: false,
    grid: { left: 4, right: 4, top: 16, bottom: 4, containLabel: true },
    tooltip: { trigger: "item", formatter: (p) => (names ? "" : tr("Score") + " ") + p.name + ": " + number.format(p.value) },
    xAxis: { type: "category", data: names || counts.map((_, i) => String(first + i)), axisTick: { show: false } },
    yAxis: { type: "value", show: false },
    series: [
      {
        type: "bar",
        data: counts,
        itemStyle: { color: PALETTE[0], borderRadius: [3, 3, 0, 0] },
        label: { show: true, position: "top", fontSize: 10, formatter: (p) => (p.value ? number.format(p.value) : "") },
      },
    ],
  });
  return instance;
}

window.spurCharts = { sankey, nodes, nodeCentre, funnel, dropoffs, segments, points, bars, spark, trend, gauge, distribution };
