// Spur dashboard — top journey paths.
//
// The view state lives in the URL query (?site=&from=&to=&limit=) so a view can be shared.
// Step names come from tracked pages and are user-controlled: the DOM is built with
// createElement/textContent only, never innerHTML.

(function () {
  "use strict";

  var API = "/api/v1/reports/paths";
  var DEFAULT_SITE = "demo";
  var DEFAULT_LIMIT = 10;
  var MAX_LIMIT = 100;
  var MAX_RANGE_DAYS = 366;
  var DAY_MS = 86400000;
  var CHIP_COLOURS = 8;

  var numberFormat = new Intl.NumberFormat(document.documentElement.lang || "en");
  var percentFormat = new Intl.NumberFormat(document.documentElement.lang || "en", { style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1 });
  var dateFormat = new Intl.DateTimeFormat(document.documentElement.lang === "de" ? "de-DE" : "en-GB", { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });

  var els = {};
  var report = null; // the last report rendered, for the CSV export
  var requestSeq = 0;
  var controller = null;

  // ---------- Dates (UTC, YYYY-MM-DD) ----------

  function isoDate(ms) {
    return new Date(ms).toISOString().slice(0, 10);
  }

  function todayUtc() {
    return isoDate(Date.now());
  }

  function daysAgo(n) {
    return isoDate(Date.now() - n * DAY_MS);
  }

  function parseDate(value) {
    if (typeof value !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return null;
    var ms = Date.parse(value + "T00:00:00Z");
    if (isNaN(ms) || isoDate(ms) !== value) return null;
    return ms;
  }

  function formatDate(value) {
    var ms = parseDate(value);
    return ms === null ? String(value) : dateFormat.format(new Date(ms));
  }

  // ---------- State <-> URL <-> form ----------

  // Optional filters every report takes, kept in the URL when set.
  var FILTERS = ["device", "channel", "stage", "segment"];

  function defaults() {
    var range = window.spurDashboard.defaultRange();
    return { site: DEFAULT_SITE, from: range.from, to: range.to, limit: DEFAULT_LIMIT };
  }

  function stateFromUrl() {
    var params = new URLSearchParams(window.location.search);
    var state = defaults();
    var site = params.get("site");
    if (site !== null && site.trim() !== "") state.site = site.trim();
    if (parseDate(params.get("from")) !== null) state.from = params.get("from");
    if (parseDate(params.get("to")) !== null) state.to = params.get("to");
    var limit = parseInt(params.get("limit"), 10);
    if (limit >= 1 && limit <= MAX_LIMIT) state.limit = limit;
    FILTERS.forEach(function (name) {
      var value = (params.get(name) || "").trim();
      if (value) state[name] = value;
    });
    return state;
  }

  function query(state) {
    var params = new URLSearchParams();
    params.set("site", state.site);
    params.set("from", state.from);
    params.set("to", state.to);
    params.set("limit", String(state.limit));
    FILTERS.forEach(function (name) {
      if (state[name]) params.set(name, state[name]);
    });
    return params.toString();
  }

  function fillForm(state) {
    els.site.value = state.site;
    els.from.value = state.from;
    els.to.value = state.to;
    els.limit.value = String(state.limit);
    FILTERS.forEach(function (name) {
      els[name].value = state[name] || "";
    });
  }

  // Returns {state} or {error, field}.
  function readForm() {
    var site = els.site.value.trim();
    var from = els.from.value;
    var to = els.to.value;
    var limitText = els.limit.value.trim();
    var limit = Number(limitText);
    if (!site) return { error: "Enter a site id, for example “demo”.", field: els.site };
    if (parseDate(from) === null) return { error: "Choose a valid “From” date.", field: els.from };
    if (parseDate(to) === null) return { error: "Choose a valid “To” date.", field: els.to };
    if (parseDate(from) > parseDate(to)) return { error: "“From” must not be after “To”.", field: els.from };
    if ((parseDate(to) - parseDate(from)) / DAY_MS >= MAX_RANGE_DAYS) {
      return { error: "The range may span at most " + MAX_RANGE_DAYS + " days.", field: els.from };
    }
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > MAX_LIMIT) {
      return { error: "“Top” must be a whole number from 1 to " + MAX_LIMIT + ".", field: els.limit };
    }
    var state = { site: site, from: from, to: to, limit: limit };
    FILTERS.forEach(function (name) {
      var value = els[name].value.trim();
      if (value) state[name] = value;
    });
    return { state: state };
  }

  function setFormError(message, field) {
    [els.site, els.from, els.to, els.limit].forEach(function (input) {
      input.removeAttribute("aria-invalid");
    });
    if (message) {
      els.formError.textContent = message;
      show(els.formError);
      if (field) {
        field.setAttribute("aria-invalid", "true");
        field.focus();
      }
    } else {
      els.formError.textContent = "";
      hide(els.formError);
    }
  }

  // ---------- Small DOM helpers ----------

  function show(el) {
    el.classList.remove("is-hidden");
  }

  function hide(el) {
    el.classList.add("is-hidden");
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function showOnly(which) {
    ["loading", "empty", "error", "table"].forEach(function (name) {
      var node = name === "table" ? els.tableWrap : els["state" + name.charAt(0).toUpperCase() + name.slice(1)];
      if (name === which) show(node);
      else hide(node);
    });
    els.results.setAttribute("aria-busy", which === "loading" ? "true" : "false");
  }

  // One colour per step name within a report, assigned in order of first appearance, so the
  // same touchpoint looks the same in every row and neighbours rarely share a colour.
  var colours = Object.create(null);
  var coloursUsed = 0;

  function resetColours() {
    colours = Object.create(null);
    coloursUsed = 0;
  }

  function colourClass(name) {
    if (!(name in colours)) colours[name] = coloursUsed++ % CHIP_COLOURS;
    return "c" + colours[name];
  }

  // ---------- Loading ----------

  function load(state) {
    var seq = ++requestSeq;
    if (controller) controller.abort();
    controller = typeof AbortController === "function" ? new AbortController() : null;

    report = null;
    els.exportCsv.disabled = true;
    hide(els.stats);
    els.summary.textContent = "Site " + state.site + " · " + formatDate(state.from) + " – " + formatDate(state.to);
    showOnly("loading");

    var options = { headers: { Accept: "application/json" }, cache: "no-store" };
    if (controller) options.signal = controller.signal;

    fetch(API + "?" + query(state), options)
      .catch(function (error) {
        if (error && error.name === "AbortError") throw error;
        var message = error && error.message ? " (" + error.message + ")" : "";
        throw new Error("Could not reach the Spur collector" + message + ". Check that it is running and try again.");
      })
      .then(function (response) {
        return response.text().then(function (body) {
          return { response: response, body: body };
        });
      })
      .then(function (result) {
        if (seq !== requestSeq) return;
        if (result.response.status === 401) {
          signedOut();
          return;
        }
        var data = null;
        try {
          data = result.body ? JSON.parse(result.body) : null;
        } catch (e) {
          data = null;
        }
        if (!result.response.ok) {
          throw new Error(apiErrorMessage(result.response, data));
        }
        data = fromApi(data);
        if (!isReport(data)) {
          throw new Error("The server sent a response the dashboard does not understand.");
        }
        render(state, data);
        loadFlow(state);
      })
      .catch(function (error) {
        if (seq !== requestSeq || (error && error.name === "AbortError")) return;
        els.errorMessage.textContent = error && error.message ? error.message : String(error);
        showOnly("error");
      });
  }

  // ---------- Journey flow (Sankey) and exploring from a touchpoint ----------

  var FLOW_STEPS = 5;
  var FLOW_TOP = 6;
  var EXPLORE_STEPS = 3;

  function base(state) {
    var params = { site: state.site, from: state.from, to: state.to };
    FILTERS.forEach(function (name) {
      if (state[name]) params[name] = state[name];
    });
    return params;
  }

  function loadFlow(state) {
    var seq = requestSeq;
    hide(els.explore);
    hide(els.flowError);
    if (!window.spurCharts) return;
    var params = base(state);
    params.steps = FLOW_STEPS;
    params.top = FLOW_TOP;
    window.spurDashboard.report("transitions", params)
      .then(function (result) {
        if (seq !== requestSeq) return;
        if (!result.nodes.length) {
          hide(els.flowCard);
          return;
        }
        show(els.flowCard);
        window.spurCharts.sankey(els.flow, result, function (label) {
          els.exploreFrom.value = label;
          explore(state, label);
        });
        // The chart's nodes as a list too: for the keyboard and screen readers.
        clear(els.exploreFrom);
        els.exploreFrom.appendChild(el("option", "", "Choose a touchpoint"));
        els.exploreFrom.firstChild.value = "";
        var seen = {};
        result.nodes.forEach(function (node) {
          if (seen[node.label] || /^\((other|exit)\)$/.test(node.label)) return;
          seen[node.label] = true;
          var option = el("option", "", node.label);
          option.value = node.label;
          els.exploreFrom.appendChild(option);
        });
        els.exploreFrom.onchange = function () {
          if (els.exploreFrom.value) explore(state, els.exploreFrom.value);
          else hide(els.explore);
        };
      })
      .catch(function (error) {
        if (seq !== requestSeq) return;
        show(els.flowCard);
        els.flowError.textContent = "Could not load the journey flow: " + error.message;
        show(els.flowError);
      });
  }

  // Where sessions went after `touchpoint` (forward) or came from before it (backward).
  // Only the latest request's answer is shown.
  var exploreSeq = 0;
  function explore(state, touchpoint, direction) {
    var seq = ++exploreSeq;
    direction = direction || "forward";
    var params = base(state);
    params.start = touchpoint;
    params.direction = direction;
    params.steps = EXPLORE_STEPS;
    params.top = 5;
    var title = (direction === "forward" ? "After “" : "Before “") + touchpoint + "”";
    els.exploreTitle.textContent = title;
    els.exploreForward.setAttribute("aria-pressed", String(direction === "forward"));
    els.exploreBackward.setAttribute("aria-pressed", String(direction === "backward"));
    els.exploreForward.onclick = function () {
      explore(state, touchpoint, "forward");
    };
    els.exploreBackward.onclick = function () {
      explore(state, touchpoint, "backward");
    };
    clear(els.exploreSteps);
    show(els.explore);
    window.spurDashboard.report("explore", params)
      .then(function (result) {
        if (seq !== exploreSeq) return;
        els.exploreTitle.textContent = title + " (" + numberFormat.format(result.sessions) + " sessions)";
        result.steps.forEach(function (step) {
          var item = el("li", "explore-step");
          item.appendChild(el("span", "explore-label", "Step " + step.step + ":"));
          step.top.forEach(function (next) {
            var chip = el("span", "chip " + colourClass(next.touchpoint), next.touchpoint);
            chip.appendChild(el("span", "chip-count", " " + numberFormat.format(next.count)));
            item.appendChild(chip);
          });
          if (step.other && step.other.count) {
            // (Chips are not translated as the page is: touchpoints are the sites' names.)
            item.appendChild(el("span", "chip chip-muted", translated("other " + numberFormat.format(step.other.count))));
          }
          if (step.end) {
            item.appendChild(el("span", "chip chip-muted",
              translated((direction === "forward" ? "ended " : "started ") + numberFormat.format(step.end))));
          }
          els.exploreSteps.appendChild(item);
        });
      })
      .catch(function (error) {
        if (seq !== exploreSeq) return;
        els.exploreSteps.appendChild(el("li", "form-error", error.message));
      });
  }

  var SESSION = "/api/v1/session";

  // The page's language (i18n.js, loaded first), for the title set here.
  function translated(text) {
    return window.spurTr ? window.spurTr(text) : text;
  }
  var pageTitle;

  function signedOut() {
    document.body.classList.add("signed-out");
    pageTitle = pageTitle || document.title;
    document.title = translated("Sign in to Spur") + " — Spur";
    var email = document.getElementById("email");
    if (email) email.focus();
  }

  function signedIn() {
    document.body.classList.remove("signed-out");
    if (pageTitle) document.title = pageTitle;
    load(stateFromUrl());
    // The form is gone: the focus goes to the page's (first shown) heading.
    var heading = [].filter.call(document.querySelectorAll("main h1"), function (h) {
      return h.offsetParent !== null;
    })[0];
    if (heading) {
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  function json(method, body) {
    var options = { method: method, headers: { Accept: "application/json" }, cache: "no-store" };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(SESSION, options);
  }

  function signIn(event) {
    event.preventDefault();
    var error = document.getElementById("signin-error");
    var email = document.getElementById("email");
    var password = document.getElementById("password");
    error.textContent = "";
    // Empty fields are named, not sent.
    var missing = [email, password].filter(function (input) { return !input.value.trim(); });
    [email, password].forEach(function (input) {
      input.setAttribute("aria-invalid", String(missing.indexOf(input) >= 0));
    });
    if (missing.length) {
      error.textContent = missing.length === 2 ? "Enter your email and password." :
        missing[0] === email ? "Enter your email." : "Enter your password.";
      missing[0].focus();
      return;
    }
    json("POST", {
      email: email.value,
      password: password.value
    })
      .then(function (response) {
        if (response.ok) {
          password.value = "";
          signedIn();
        } else if (response.status === 401) {
          [email, password].forEach(function (input) { input.setAttribute("aria-invalid", "true"); });
          error.textContent = "Wrong email or password.";
        } else if (response.status === 429) {
          error.textContent = "Too many attempts. Try again in a minute.";
        } else {
          error.textContent = "Signing in failed (HTTP " + response.status + "). Try again.";
        }
      })
      .catch(function () {
        error.textContent = "Could not reach the Spur collector. Check that it is running.";
      });
  }

  function apiErrorMessage(response, data) {
    if (data && data.error && typeof data.error.message === "string" && data.error.message) {
      return data.error.message;
    }
    var status = response.status + (response.statusText ? " " + response.statusText : "");
    if (response.status >= 500) return "The collector had a problem answering (HTTP " + status + "). Try again in a moment.";
    return "The request failed (HTTP " + status + ").";
  }

  // The paths report counts `total` units, each path ending with the explicit "(exit)"
  // step; the table shows sessions and leaves the exit implied.
  function fromApi(data) {
    if (!data || typeof data !== "object" || typeof data.total !== "number" || !Array.isArray(data.paths)) {
      return null;
    }
    var other = data.other && typeof data.other === "object" ? data.other : {};
    return {
      sessions: data.total,
      paths: data.paths.map(function (row) {
        var steps = Array.isArray(row && row.steps) ? row.steps.slice() : null;
        if (steps && steps[steps.length - 1] === "(exit)") steps.pop();
        return { steps: steps, sessions: row && row.count, share: row && row.share };
      }),
      other: { paths: other.paths, sessions: other.count }
    };
  }

  function isReport(data) {
    if (!data || typeof data !== "object" || typeof data.sessions !== "number" || !Array.isArray(data.paths)) {
      return false;
    }
    return data.paths.every(function (row) {
      return row && Array.isArray(row.steps) && typeof row.sessions === "number";
    });
  }

  // ---------- Rendering ----------

  function share(part, total) {
    return total > 0 ? part / total : 0;
  }

  function otherOf(data) {
    var other = data.other && typeof data.other === "object" ? data.other : {};
    return { paths: Number(other.paths) || 0, sessions: Number(other.sessions) || 0 };
  }

  function render(state, data) {
    var other = otherOf(data);
    var from = data.from || state.from;
    var to = data.to || state.to;
    var site = data.site || state.site;

    if (data.sessions === 0) {
      els.summary.textContent = "0 sessions on " + site + " from " + formatDate(from) + " to " + formatDate(to) + ".";
      showOnly("empty");
      return;
    }

    report = { site: site, from: from, to: to, sessions: data.sessions, paths: data.paths, other: other };

    var sessionsWord = data.sessions === 1 ? " session" : " sessions";
    var summary = numberFormat.format(data.sessions) + sessionsWord + " on " + site + " from " +
      formatDate(from) + " to " + formatDate(to) + " · top " + data.paths.length +
      (data.paths.length === 1 ? " path" : " paths");
    if (other.paths > 0) {
      summary += ", " + numberFormat.format(other.paths) + " more in “Other”";
    }
    els.summary.textContent = summary + ".";

    els.statSessions.textContent = numberFormat.format(data.sessions);
    els.statPaths.textContent = numberFormat.format(data.paths.length + other.paths);
    els.statTop.textContent = data.paths.length ? percentFormat.format(rowShare(data.paths[0], data.sessions)) : "–";
    show(els.stats);

    clear(els.body);
    resetColours();
    var maxShare = 0;
    data.paths.forEach(function (row) {
      maxShare = Math.max(maxShare, rowShare(row, data.sessions));
    });
    if (other.paths > 0) maxShare = Math.max(maxShare, share(other.sessions, data.sessions));

    data.paths.forEach(function (row, index) {
      els.body.appendChild(pathRow(index + 1, row, data.sessions, maxShare));
    });
    if (other.paths > 0) {
      els.body.appendChild(otherRow(other, data.sessions, maxShare));
    }

    clear(els.foot);
    var total = el("tr");
    total.appendChild(el("td", "col-rank"));
    total.appendChild(el("th", "col-path", "Total"));
    total.lastChild.setAttribute("scope", "row");
    total.appendChild(el("td", "col-num", numberFormat.format(data.sessions)));
    total.appendChild(el("td", "col-share total-share", percentFormat.format(1)));
    els.foot.appendChild(total);

    showOnly("table");
    els.exportCsv.disabled = false;
  }

  // From the counts: the API's `share` is rounded to four places, and a percentage with
  // one decimal made from it is rounded twice (4/21 = 0.1905 would show as 19.1 %).
  function rowShare(row, total) {
    return typeof row.sessions === "number" && total > 0 ? share(row.sessions, total) : row.share;
  }

  function pathRow(rank, row, total, maxShare) {
    var tr = el("tr");
    tr.appendChild(el("td", "col-rank", rank));

    var pathCell = el("td", "col-path");
    var list = el("ol", "path");
    list.setAttribute("aria-label", "Path of " + row.steps.length + (row.steps.length === 1 ? " step" : " steps"));
    row.steps.forEach(function (step) {
      var name = String(step);
      var item = el("li", "path-step");
      var chip = el("span", "step " + colourClass(name), name === "" ? "(empty)" : name);
      chip.title = name;
      item.appendChild(chip);
      list.appendChild(item);
    });
    pathCell.appendChild(list);
    tr.appendChild(pathCell);

    tr.appendChild(el("td", "col-num", numberFormat.format(row.sessions)));
    tr.appendChild(shareCell(rowShare(row, total), maxShare, false));
    return tr;
  }

  function otherRow(other, total, maxShare) {
    var tr = el("tr", "row-other");
    tr.appendChild(el("td", "col-rank", "…"));
    var cell = el("td", "col-path");
    cell.appendChild(el("span", "other-label", "Other"));
    cell.appendChild(el("span", "other-detail",
      numberFormat.format(other.paths) + (other.paths === 1 ? " less frequent path" : " less frequent paths")));
    tr.appendChild(cell);
    tr.appendChild(el("td", "col-num", numberFormat.format(other.sessions)));
    tr.appendChild(shareCell(share(other.sessions, total), maxShare, true));
    return tr;
  }

  function shareCell(value, maxShare, muted) {
    var td = el("td", "col-share");
    var wrap = el("div", "share");
    var track = el("div", "bar" + (muted ? " bar-muted" : ""));
    track.setAttribute("aria-hidden", "true");
    var fill = el("div", "bar-fill");
    // Scale bars to the largest row so small shares stay visible; the label keeps the true value.
    var width = maxShare > 0 ? Math.max(0, Math.min(1, value / maxShare)) * 100 : 0;
    fill.style.width = width.toFixed(2) + "%";
    track.appendChild(fill);
    wrap.appendChild(track);
    wrap.appendChild(el("span", "share-value", percentFormat.format(value)));
    td.appendChild(wrap);
    return td;
  }

  // ---------- CSV export ----------

  function csvField(value) {
    var text = value === null || value === undefined ? "" : String(value);
    // Keep spreadsheets from evaluating user-controlled step names as formulas.
    if (/^[=+\-@\t\r]/.test(text)) text = "'" + text;
    if (/[",\r\n]/.test(text) || /^\s|\s$/.test(text)) text = '"' + text.replace(/"/g, '""') + '"';
    return text;
  }

  function buildCsv(data) {
    var lines = [["rank", "path", "steps", "sessions", "share"]];
    data.paths.forEach(function (row, index) {
      lines.push([
        index + 1,
        row.steps.map(String).join(" > "),
        row.steps.length,
        row.sessions,
        rowShare(row, data.sessions).toFixed(4)
      ]);
    });
    if (data.other.paths > 0) {
      lines.push(["other", "(" + data.other.paths + " other paths)", "", data.other.sessions,
        share(data.other.sessions, data.sessions).toFixed(4)]);
    }
    lines.push(["total", "", "", data.sessions, "1.0000"]);
    return lines.map(function (fields) {
      return fields.map(csvField).join(",");
    }).join("\r\n") + "\r\n";
  }

  function safeFilePart(text) {
    return String(text).replace(/[^A-Za-z0-9_-]+/g, "_").slice(0, 60) || "site";
  }

  function exportCsv() {
    if (!report) return;
    var csv = "\ufeff" + buildCsv(report); // BOM so spreadsheet apps read UTF-8
    var blob = new Blob([csv], { type: "text/csv;charset=utf-8" });
    var url = URL.createObjectURL(blob);
    var link = document.createElement("a");
    link.href = url;
    link.download = "spur-paths_" + safeFilePart(report.site) + "_" + report.from + "_" + report.to + ".csv";
    document.body.appendChild(link);
    link.click();
    document.body.removeChild(link);
    setTimeout(function () {
      URL.revokeObjectURL(url);
    }, 1000);
  }

  // ---------- Events ----------

  function submit(event) {
    if (event) event.preventDefault();
    var result = readForm();
    if (result.error) {
      setFormError(result.error, result.field);
      return;
    }
    setFormError(null);
    var search = "?" + query(result.state);
    if (search !== window.location.search) {
      window.history.pushState(null, "", window.location.pathname + search);
    }
    load(result.state);
  }

  function preset(event) {
    var days = parseInt(event.currentTarget.getAttribute("data-days"), 10);
    els.from.value = daysAgo(days - 1);
    els.to.value = todayUtc();
    submit();
  }

  function init() {
    els = {
      form: document.getElementById("filters"),
      site: document.getElementById("site"),
      from: document.getElementById("from"),
      to: document.getElementById("to"),
      limit: document.getElementById("limit"),
      device: document.getElementById("device"),
      channel: document.getElementById("channel"),
      stage: document.getElementById("stage"),
      segment: document.getElementById("segment"),
      formError: document.getElementById("form-error"),
      results: document.getElementById("results"),
      summary: document.getElementById("summary"),
      exportCsv: document.getElementById("export-csv"),
      stateLoading: document.getElementById("state-loading"),
      stateEmpty: document.getElementById("state-empty"),
      stateError: document.getElementById("state-error"),
      errorMessage: document.getElementById("error-message"),
      retry: document.getElementById("retry"),
      tableWrap: document.getElementById("table-wrap"),
      body: document.getElementById("paths-body"),
      foot: document.getElementById("paths-foot"),
      stats: document.getElementById("stats"),
      statSessions: document.getElementById("stat-sessions"),
      statPaths: document.getElementById("stat-paths"),
      statTop: document.getElementById("stat-top"),
      flowCard: document.getElementById("flow-card"),
      flow: document.getElementById("flow"),
      flowError: document.getElementById("flow-error"),
      explore: document.getElementById("explore"),
      exploreTitle: document.getElementById("explore-title"),
      exploreSteps: document.getElementById("explore-steps"),
      exploreForward: document.getElementById("explore-forward"),
      exploreBackward: document.getElementById("explore-backward"),
      exploreFrom: document.getElementById("explore-from")
    };

    els.form.addEventListener("submit", submit);
    document.getElementById("signin-form").addEventListener("submit", signIn);
    els.exportCsv.addEventListener("click", exportCsv);
    els.retry.addEventListener("click", function () {
      submit();
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-days]"), function (button) {
      button.addEventListener("click", preset);
    });
    window.addEventListener("popstate", function () {
      var state = stateFromUrl();
      fillForm(state);
      setFormError(null);
      load(state);
    });

    var state = stateFromUrl();
    fillForm(state);
    // Reports need a signed-in marketer: ask who is signed in first.
    json("GET")
      .then(function (response) {
        if (response.ok) load(state);
        else signedOut();
      })
      .catch(function () {
        load(state);
      });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
