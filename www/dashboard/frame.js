// What every dashboard page shares, built here once: the top bar (brand, navigation with
// the current page marked, sign-out) in <header class="topbar">, the filters every
// report takes (device, channel, stage, segment) wherever a page has an element with
// `data-filters`, quick date ranges under every form with dates, and a loading bar. Loaded first, before the page's own script, so both exist when it runs.
(function () {
  "use strict";

  var PAGES = [
    ["/dashboard/overview.html", "Overview"],
    ["/", "Journeys"],
    ["/dashboard/funnels.html", "Funnels"],
    ["/dashboard/report.html?report=stages", "Stages"],
    ["/dashboard/report.html?report=touchpoints", "Touchpoints"],
    ["/dashboard/report.html?report=channels", "Channels"],
    ["/dashboard/report.html?report=referrals", "Referrals"],
    ["/dashboard/report.html?report=experiments", "Experiments"],
    ["/dashboard/feedback.html", "Feedback"],
    ["/dashboard/sites.html", "Sites"]
  ];

  var FILTERS = [
    ["device", "Device", [["", "All"], ["desktop", "Desktop"], ["mobile", "Mobile"], ["tablet", "Tablet"]]],
    ["channel", "Channel", [["", "All"], ["paid", "Paid"], ["email", "Email"], ["social", "Social"],
      ["review", "Review"], ["search", "Search"], ["referral", "Referral"], ["direct", "Direct"]]],
    ["stage", "Stage", [["", "All"], ["awareness", "Awareness"], ["consideration", "Consideration"],
      ["purchase", "Purchase"], ["retention", "Retention"], ["advocacy", "Advocacy"]]],
    ["segment", "Visitors who did", null]
  ];

  // The names pages show for the API's values of devices, channels and stages (the
  // filters' options) and of kinds of touches.
  var NAMES = { pageview: "Page view", click: "Click", custom: "Event", feedback: "Feedback",
    friction: "Friction", engagement: "Engagement" };
  FILTERS.forEach(function (filter) {
    (filter[2] || []).forEach(function (option) {
      if (option[0]) NAMES[option[0]] = option[1];
    });
  });

  function el(tag, attributes, text) {
    var node = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (name) {
      node.setAttribute(name, attributes[name]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Whether `href` is this page (a report page by its `report` parameter).
  function current(href) {
    var url = new URL(href, location.href);
    var report = url.searchParams.get("report");
    return url.pathname === location.pathname &&
      (!report || report === new URLSearchParams(location.search).get("report"));
  }

  // The view every report page shares: the site, the range and the filters. Links to
  // the other pages carry them from this page's address (kept current as the page
  // changes it), so a range or a filter chosen on one page holds on the next.
  var DEFAULT_DAYS = 30;
  var SHARED = ["site", "from", "to", "device", "channel", "stage", "segment"];

  function carried(href) {
    var url = new URL(href, location.href);
    var here = new URLSearchParams(location.search);
    SHARED.forEach(function (name) {
      var value = here.get(name);
      if (value) url.searchParams.set(name, value);
    });
    return url.pathname + url.search;
  }

  var links = [];
  function refreshLinks() {
    links.forEach(function (link) {
      link.setAttribute("href", carried(link.getAttribute("data-page")));
    });
  }

  function topbar(header) {
    var inner = el("div", { "class": "wrap topbar-inner" });
    var brand = el("a", { "class": "brand", href: "/" });
    brand.appendChild(el("img", { src: "/dashboard/logo.svg", alt: "", width: "32", height: "32" }));
    brand.appendChild(el("span", { "class": "brand-name" }, "Spur"));
    brand.appendChild(el("span", { "class": "brand-tag" }, "Customer-journey analytics"));
    inner.appendChild(brand);
    var nav = el("nav", { "class": "topnav", "aria-label": "Reports" });
    PAGES.forEach(function (page) {
      var link = el("a", { href: page[0], "data-page": page[0] }, page[1]);
      if (current(page[0])) link.setAttribute("aria-current", "page");
      links.push(link);
      nav.appendChild(link);
    });
    nav.appendChild(el("a", { href: "/demo/" }, "Demo shop ↗"));
    var out = el("button", { id: "sign-out", "class": "chip-btn signed-in-only", type: "button" }, "Sign out");
    out.addEventListener("click", function () {
      fetch("/api/v1/session", { method: "DELETE", headers: { Accept: "application/json" } })
        .catch(function () {})
        .then(function () {
          location.assign("/");
        });
    });
    nav.appendChild(out);
    inner.appendChild(nav);
    header.appendChild(inner);
  }

  function filters(place) {
    FILTERS.forEach(function (filter) {
      var field = el("div", { "class": "field" });
      field.appendChild(el("label", { "for": filter[0] }, filter[1]));
      var input;
      if (filter[2]) {
        input = el("select", { id: filter[0], name: filter[0] });
        filter[2].forEach(function (option) {
          input.appendChild(el("option", { value: option[0] }, option[1]));
        });
      } else {
        input = el("input", {
          id: filter[0], name: filter[0], type: "text", placeholder: "e.g. purchase",
          autocomplete: "off", spellcheck: "false"
        });
      }
      field.appendChild(input);
      place.parentNode.insertBefore(field, place);
    });
    place.parentNode.removeChild(place);
  }

  // Quick date ranges (UTC) for a form with `from` and `to` fields and no presets of its
  // own: they set both dates and submit the form.
  function presets(form) {
    var from = form.querySelector("#from, [name=from]");
    var to = form.querySelector("#to, [name=to]");
    if (!from || !to || form.querySelector(".presets")) return;
    var group = el("div", { "class": "presets", role: "group", "aria-label": "Quick date ranges" });
    group.appendChild(el("span", { "class": "presets-label" }, "Quick range (UTC):"));
    [[1, "Today"], [7, "Last 7 days"], [30, "Last 30 days"], [90, "Last 90 days"]].forEach(function (p) {
      var button = el("button", { "class": "chip-btn", type: "button" }, p[1]);
      button.addEventListener("click", function () {
        var day = function (n) {
          return new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
        };
        from.value = day(p[0] - 1);
        to.value = day(0);
        if (form.requestSubmit) form.requestSubmit();
        else form.dispatchEvent(new Event("submit", { cancelable: true }));
      });
      group.appendChild(button);
    });
    form.appendChild(group);
  }

  // Every page shows that it is loading while a report request is on its way: a bar
  // along the top, and `aria-busy` on <main> for screen readers.
  var pending = 0;
  var original = window.fetch;
  function busy(delta) {
    pending += delta;
    document.body.classList.toggle("loading", pending > 0);
    var main = document.querySelector("main");
    if (main) main.setAttribute("aria-busy", String(pending > 0));
  }
  if (original) {
    window.fetch = function () {
      busy(1);
      return original.apply(this, arguments).then(
        function (response) {
          busy(-1);
          return response;
        },
        function (error) {
          busy(-1);
          throw error;
        }
      );
    };
  }

  // Helpers the pages share (`window.spurDashboard`).
  window.spurDashboard = {
    // The name of an API value of a device, channel, stage or kind of touch, in the page's
    // language ("email" → "Email", German "E-Mail"), in tables, charts and chips as in the
    // filters. Anything else (a touchpoint, which a site named) comes back as it is.
    term: function (value) {
      if (!Object.prototype.hasOwnProperty.call(NAMES, value)) return value;
      return window.spurTr ? window.spurTr(NAMES[value]) : NAMES[value];
    },
    // Not signed in (a 401): the page's sign-in notice (the element whose id ends in
    // "-signin") shows, and there is nobody to sign out.
    signedOut: function () {
      var notice = document.querySelector("[id$='-signin']");
      if (notice) notice.hidden = false;
      var out = document.getElementById("sign-out");
      if (out) out.hidden = true;
    },
    // GET /api/v1/reports/<kind>?<params> as JSON. A 401 shows the page's sign-in
    // notice (the element whose id ends in "-signin"); any failure rejects with a message
    // a marketer can read (the API's own, when it sent one).
    report: function (kind, params) {
      return fetch("/api/v1/reports/" + kind + "?" + new URLSearchParams(params), {
        headers: { Accept: "application/json" },
        cache: "no-store"
      }).then(function (response) {
        if (response.status === 401) {
          window.spurDashboard.signedOut();
          throw new Error("Sign in to see reports.");
        }
        return response.json().catch(function () { return null; }).then(function (data) {
          if (!response.ok) {
            throw new Error((data && data.error && data.error.message) || "The collector answered " + response.status + ".");
          }
          return data;
        });
      });
    },
    // The range a report page opens with when its address names none: the last 30 days
    // (UTC, today included), the same on every page.
    defaultRange: function () {
      var day = function (n) {
        return new Date(Date.now() - n * 86400000).toISOString().slice(0, 10);
      };
      return { from: day(DEFAULT_DAYS - 1), to: day(0) };
    },
    // Downloads `rows` (arrays of cells) as a UTF-8 CSV file with a BOM.
    csv: function (filename, rows) {
      var field = function (value) {
        var text = String(value === null || value === undefined ? "" : value);
        // A leading =, +, - or @ would be a formula in a spreadsheet.
        if (/^[=+\-@]/.test(text)) text = "'" + text;
        return /[",\n\r]/.test(text) ? '"' + text.replace(/"/g, '""') + '"' : text;
      };
      var text = "\ufeff" + rows.map(function (r) { return r.map(field).join(","); }).join("\r\n") + "\r\n";
      var link = document.createElement("a");
      link.href = URL.createObjectURL(new Blob([text], { type: "text/csv;charset=utf-8" }));
      link.download = filename;
      document.body.appendChild(link);
      link.click();
      link.remove();
    },
    // A duration in ms as a person reads it ("—" for none).
    duration: function (ms) {
      if (ms === null || ms === undefined) return "—";
      var s = Math.round(ms / 1000);
      if (s < 60) return s + " s";
      if (s < 3600) return Math.round(s / 60) + " min";
      if (s < 86400) return Math.round(s / 360) / 10 + " h";
      return Math.round(s / 8640) / 10 + " d";
    }
  };

  var header = document.querySelector("header.topbar");
  if (header && !header.firstChild) topbar(header);
  // Links of a page's own to another report page (marked `data-carry`) carry the view too.
  Array.prototype.forEach.call(document.querySelectorAll("a[data-carry]"), function (link) {
    link.setAttribute("data-page", link.getAttribute("href"));
    links.push(link);
  });
  refreshLinks();
  // The pages keep their view in the address with pushState (and go back with popstate).
  var pushState = history.pushState;
  history.pushState = function () {
    var result = pushState.apply(this, arguments);
    refreshLinks();
    return result;
  };
  window.addEventListener("popstate", refreshLinks);
  // The first Tab stop: past the navigation to the page's content.
  var main = document.querySelector("main");
  if (header && main) {
    main.id = main.id || "content";
    main.tabIndex = -1;
    header.parentNode.insertBefore(el("a", { "class": "skip-link", href: "#" + main.id }, "Skip to content"), header);
  }
  Array.prototype.forEach.call(document.querySelectorAll("[data-filters]"), filters);
  Array.prototype.forEach.call(document.querySelectorAll("main form"), presets);
})();
