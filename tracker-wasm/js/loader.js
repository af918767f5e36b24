// Spur's loader: the JS half of spur.js. build.sh puts it, together with the
// wasm-bindgen `--target no-modules` glue (which defines `wasm_bindgen`), inside one
// function, so nothing but `window.spur` reaches the page's globals.
//
//   <script async src="https://collector.example/spur.js" data-site="demo"
//           data-api="https://collector.example" data-consent="required"></script>
//   spur.track("purchase", { revenue: 49.9, currency: "EUR" }); spur.flush();
//   spur.consent(true);
//   spur.feedback({ kind: "nps", touchpoint: "after-delivery", question: "…" });
//   spur.stage("purchase");  // the page's stage until the next page view (null: its data-stage)
//   spur.identify("c-4711");  // the signed-in customer (this page; null: signed out)
//
// The page may define a stub before the script arrives; its calls are replayed in order:
//   window.spur = window.spur || { q: [] };
//   ["track", "flush", "consent", "feedback"].forEach(function (m) {
//     spur[m] = spur[m] || function () { spur.q.push([m, [].slice.call(arguments)]); };
//   });
//
// Two jobs besides loading the module:
// - `host`: the browser calls the module imports (src/host.rs says what each does). It
//   only does I/O; the module decides. Every host function is wrapped so that it never
//   throws, and none calls back into the module synchronously: answers (locks, fetch,
//   timers) come back later through the module's exports `granted`, `answered`, `tick`.
// - the page's listeners, which report to the module's exports: a capture-phase click
//   on a `[data-touchpoint]` element (`click`), `visibilitychange` (`hidden`),
//   `pagehide`, `online`, and history changes and a `pageshow` from the back/forward
//   cache (`navigated`).
// - the rating widgets: a module of their own, fetched only when the page has a
//   `[data-spur-feedback]` element or calls spur.feedback.
//
// "Quiet" mode (nothing sent or stored before spur.consent(true)) is decided here:
// data-consent="required", Global Privacy Control, or Do Not Track.
//
// Rules: ES5 syntax; never throw into the page (every call into the module is in
// try/catch, so is the whole bundle, and a browser without WebAssembly, or a CSP that
// blocks it, leaves a `spur` whose calls do nothing); load at most once.
// The module itself is in this file: build.sh writes its bytes in the place of
// "__SPUR_WASM_BYTES__" (js/inline.js), and the glue compiles them synchronously, so
// the tracker is ready in the task that runs its script. __SPUR_WIDGETS_HASH__ becomes
// the first 12 hex digits of the widget bundle's sha256, so a new loader never gets an
// old cached widget module.

// Read by the glue's imports (`js_namespace = host`); set below.
var host;

(function (w, d) {
  var s = d.currentScript;
  var old = w.spur;
  var site = s && s.getAttribute("data-site");
  // Loaded twice (or no usable script tag / site): leave the first tracker alone.
  if (!site || (old && old._spur)) return;
  var api = s.getAttribute("data-api") || new URL(s.src, location.href).origin;
  var n = navigator;
  var quiet =
    s.getAttribute("data-consent") == "required" ||
    n.globalPrivacyControl === true ||
    n.doNotTrack == "1" ||
    w.doNotTrack == "1";
  var queue = (old && old.q) || [];
  var ready = false;
  // The page's stage as `spur.stage` set it (until the next page view), in the place of
  // its `data-stage`.
  var staged = null;
  // Automatic capture, unless the script tag opts out: data-exclude="outbound download
  // engagement friction" (any of them); data-downloads="pdf,zip" replaces the list of
  // file extensions that make a link a download.
  var off = (s.getAttribute("data-exclude") || "").split(/[\s,]+/);
  var auto = function (k) {
    return off.indexOf(k) < 0;
  };
  var exts = (
    s.getAttribute("data-downloads") ||
    "pdf,zip,gz,7z,rar,dmg,exe,msi,pkg,apk,doc,docx,xls,xlsx,ppt,pptx,odt,csv,txt,epub,mp3,mp4,mov"
  )
    .toLowerCase()
    .split(",");
  // What the tracker keeps on the device for later pages besides its queue: the variants
  // (`spur:xp`) and the widgets' answers (`spur:fb:<touchpoint>`). In quiet mode, until
  // the visitor consents (here, or on an earlier page: a stored `spur:uid`), in memory
  // only; `consent(true)` stores them, `consent(false)` in quiet mode removes them all.
  // `store(k)` reads, `store(k, v)` writes.
  var mem = {};
  var keep = !quiet;
  var store = function (k, v) {
    try {
      if (v === void 0) return k in mem ? mem[k] : localStorage.getItem(k);
      mem[k] = v;
      keep && localStorage.setItem(k, v);
    } catch (e) {}
  };
  var consented = function (yes) {
    keep = yes || !quiet;
    try {
      Object.keys(keep ? mem : localStorage).forEach(function (k) {
        keep ? localStorage.setItem(k, mem[k]) : /^spur:(xp|fb:)/.test(k) && localStorage.removeItem(k);
      });
    } catch (e) {}
  };
  // Experiment variants the visitor was shown: experiment -> variant, kept for later
  // pages; every event carries them.
  var xp = {};
  try {
    keep = keep || !!localStorage.getItem("spur:uid");
    xp = (keep && JSON.parse(store("spur:xp"))) || {};
  } catch (e) {}
  // As props: {"xp:<experiment>": variant}.
  var lines = function () {
    var p = {};
    Object.keys(xp).forEach(function (k) {
      p["xp:" + k] = xp[k];
    });
    return p;
  };
  var variant = function (e, v) {
    e = String(e).trim();
    v = String(v).trim();
    if (!e || !v || e.length > 60 || v.length > 100 || xp[e] == v) return;
    xp[e] = v;
    store("spur:xp", JSON.stringify(xp));
    if (ready) call("variants", [lines()]);
  };
  // `data-variant="experiment:variant"` on the page or any element.
  var marked = function () {
    [].forEach.call(d.querySelectorAll("[data-variant]"), function (el) {
      var m = /^([^:]+):(.+)$/.exec(el.getAttribute("data-variant"));
      if (m) variant(m[1], m[2]);
    });
  };
  // A call into the module; whatever it throws stays here.
  var call = function (name, args) {
    try {
      return wasm_bindgen[name].apply(null, args);
    } catch (e) {}
  };
  var run = function (name, args) {
    // Before the module is ready (or if it never gets ready): keep a bounded queue.
    if (!ready) return queue.length < 100 && queue.push([name, args]);
    // Only the public calls reach the module, whatever a stub queued.
    if (name == "track" || name == "flush" || name == "consent" || name == "identify") call(name, args);
    if (name == "consent" && typeof args[0] == "boolean") consented(args[0]);
    if (name == "feedback") widgets("open", args);
    if (name == "variant") variant(args[0], args[1]);
    if (name == "stage") {
      var v = args[0];
      // An unknown name changes nothing; null goes back to the page's data-stage.
      staged = /^(awareness|consideration|purchase|retention|advocacy)$/.test(v) ? v : v == null ? null : staged;
      if (page) page[2] = host.page_attr("data-stage");
    }
  };
  // The widget module, fetched the first time a page needs it: spur-widgets.js runs
  // `spur._w(its wasm_bindgen)`; its events go to the tracker's `rated` export.
  var loading, started;
  // The page is being left: a score chosen in a widget and not sent yet goes now, before
  // the tracker sends what is queued.
  var leave = function () {
    try {
      started && started.leave();
    } catch (e) {}
  };
  var widgets = function (name, args) {
    loading =
      loading ||
      new Promise(function (done) {
        spur._w = done;
        var t = d.createElement("script");
        t.src = new URL("spur-widgets.js?v=__SPUR_WIDGETS_HASH__", s.src);
        d.head.appendChild(t);
      }).then(function (m) {
        m.start(function () {
          call("rated", [].slice.call(arguments));
        });
        return (started = m);
      });
    loading
      .then(function (m) {
        m[name].apply(null, args);
      })
      ["catch"](function () {});
  };
  // Widgets declared in the page's markup (now, or after a route change).
  var scan = function () {
    if (d.querySelector("[data-spur-feedback]")) widgets("scan", []);
    marked();
    failed();
  };
  var api_fn = function (name) {
    return function () {
      run(name, [].slice.call(arguments));
    };
  };
  var spur = (w.spur = {
    _spur: 1,
    // The widget module's storage.
    _s: store,
    track: api_fn("track"),
    flush: api_fn("flush"),
    consent: api_fn("consent"),
    feedback: api_fn("feedback"),
    variant: api_fn("variant"),
    stage: api_fn("stage"),
    identify: api_fn("identify"),
    // A link to `url` (default: this page) carrying a new referral code of this
    // visitor (`spur_ref`), recorded as a `share` event; `url` itself when not tracking.
    shareLink: function (url) {
      url = url || location.href;
      try {
        if (!ready) return url;
        var b = new Uint8Array(8);
        crypto.getRandomValues(b);
        var code = [].map
          .call(b, function (x) {
            return (x + 256).toString(16).slice(1);
          })
          .join("");
        var l = new URL(url, location.href);
        l.searchParams.set("spur_ref", code);
        call("track", ["share", { code: code }]);
        return l.href;
      } catch (e) {
        return url;
      }
    }
  });
  spur.q = queue;
  if (!w.WebAssembly) return;

  // --- host ---------------------------------------------------------------------
  var area = function (session) {
    return session ? w.sessionStorage : w.localStorage;
  };
  var attr = function (el, name) {
    return el && el.getAttribute(name);
  };
  // The queue's texts (src/queue.rs): each queued event's JSON, oldest first. The module
  // keeps their sizes and says when they go; the texts never enter wasm memory.
  var texts = [];
  var utf8 = new TextEncoder();
  // A text's size in UTF-8 bytes (an ASCII one's is its length: no copy made).
  var size = function (t) {
    return /[^\0-\x7f]/.test(t) ? utf8.encode(t).length : t.length;
  };
  // A body: the header's JSON, then the events' texts (each one JSON object) as its
  // `events`, last.
  var body = function (head, from, count) {
    return JSON.stringify(head).slice(0, -1) + ',"events":[' + texts.slice(from, from + count).join() + "]}";
  };
  host = {
    clean: function (s, n) {
      return typeof s == "string" && Array.from(s.replace(/[\0-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, "").replace(/^\s+/, "")).slice(0, n).join("").replace(/\s+$/, "") || void 0;
    },
    href: function () {
      return location.href;
    },
    referrer: function () {
      return d.referrer;
    },
    page_attr: function (name) {
      if (name == "data-stage" && staged) return staged;
      var v = attr(d.body, name);
      return v != null ? v : attr(d.documentElement, name);
    },
    random: function (bytes) {
      var c = w.crypto;
      if (c && c.getRandomValues) c.getRandomValues(bytes);
      else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.random() * 256;
    },
    // One event's JSON (src/host.rs), appended to the texts; `undefined` fields are
    // left out. Its size in bytes.
    event: function (id, ts, type, url, ref, name, stage, props) {
      var t = JSON.stringify({ id: id, ts: ts, type: type, url: url, ref: ref, name: name, stage: stage, props: props });
      var n = size(t);
      texts.push(t);
      return n;
    },
    drop_oldest: function (count) {
      texts.splice(0, count);
    },
    insert: function (at, line) {
      var n = size(line);
      texts.splice(at, 0, line);
      return n;
    },
    save: function (session, key, dropped) {
      area(session).setItem(key, dropped + "\n" + texts.join("\n"));
      return true;
    },
    storage: function (session) {
      return !!area(session);
    },
    get: function (session, key) {
      return area(session).getItem(key);
    },
    set: function (session, key, value) {
      area(session).setItem(key, value);
      return true;
    },
    remove: function (session, key) {
      area(session).removeItem(key);
    },
    keys: function () {
      var a = area(), out = "";
      for (var i = 0; i < a.length; i++) out += a.key(i) + "\n";
      return out;
    },
    lock: function (name, hold) {
      n.locks
        .request(name, hold ? { ifAvailable: true } : {}, function (lock) {
          call("granted", [name, !!lock]);
          // Held: a promise that never settles keeps the lock for the page's lifetime.
          if (lock && hold) return new Promise(function () {});
        })
        ["catch"](function () {
          call("granted", [name, false]);
        });
      return true;
    },
    post: function (url, head, count, id, ms) {
      var timeout = w.AbortSignal && AbortSignal.timeout;
      var answer = function (r) {
        var ok = r instanceof Response;
        call("answered", [id, ok ? r.status : 0, ok ? r.headers.get("retry-after") : null]);
      };
      // A page's replacement of fetch may return something that is not a promise:
      // then `.then` throws, and the request counts as never started.
      fetch(url, {
        method: "POST",
        body: body(head, 0, count),
        headers: { "content-type": "text/plain" },
        keepalive: true,
        signal: timeout ? AbortSignal.timeout(ms) : void 0
      }).then(answer, answer);
      return true;
    },
    beacon: function (url, head, from, count) {
      return n.sendBeacon(url, body(head, from, count));
    },
    timer: function (ms, id) {
      var f = function () {
        call("tick", [id]);
      };
      ms ? setTimeout(f, ms) : queueMicrotask(f);
    }
  };
  // Never throw: a failing call returns undefined, which the module reads as "nothing"
  // (None, false, an empty string).
  Object.keys(host).forEach(function (k) {
    var f = host[k];
    host[k] = function () {
      try {
        return f.apply(null, arguments);
      } catch (e) {}
    };
  });

  // --- listeners ----------------------------------------------------------------
  // Every listener and observer callback of ours: whatever the page's DOM makes it throw
  // (an SVG link has no `pathname`, a detached node no style) stays here.
  var safe = function (f) {
    return function (e) {
      try {
        f(e);
      } catch (x) {}
    };
  };
  var listen = function (target, type, f, capture) {
    target.addEventListener(type, safe(f), capture);
  };
  // What an element is, for friction events: its touchpoint, else its tag, id and first
  // class (never its text: no user data).
  var describe = function (el) {
    var tp = el.closest && el.closest("[data-touchpoint]:not(body):not(html)");
    if (tp) return attr(tp, "data-touchpoint");
    var c = typeof el.className == "string" && el.className.trim().split(/\s+/)[0];
    return (el.tagName || "").toLowerCase() + (el.id ? "#" + el.id : c ? "." + c : "");
  };
  var friction = function (name, el, message, source) {
    // 1 rage-click, 2 dead-click, 3 error, 4 form-error.
    if (auto("friction")) call("observed", [name, { target: el && describe(el), message: message, source: source }]);
  };
  // Failed forms, as the site marks them: an element given `data-spur-failed`.
  var failed = function () {
    [].forEach.call(d.querySelectorAll("[data-spur-failed]"), function (el) {
      if (!el._spur) friction(4, el);
      el._spur = 1;
    });
  };
  // Engagement of the current page view: visible and focused time, deepest scroll.
  var shown, since, depth, sent, page;
  var active = function () {
    return !d.hidden && d.hasFocus();
  };
  var clock = function () {
    var now = Date.now();
    if (since) shown += now - since;
    since = active() ? now : 0;
  };
  var scrolled = function () {
    var h = Math.max(d.documentElement.scrollHeight, d.body ? d.body.scrollHeight : 0);
    var p = h <= innerHeight ? 100 : Math.round(((scrollY + innerHeight) / h) * 100);
    depth = Math.max(depth, Math.min(100, p));
  };
  var fresh = function () {
    shown = depth = 0;
    sent = false;
    since = active() ? Date.now() : 0;
    // Address, touchpoint and stage of this page view.
    page = [location.href, host.page_attr("data-touchpoint"), host.page_attr("data-stage")];
    // The first reading after a frame has been drawn: read now, the page's height would
    // force a layout of a page that is still loading (1.5-4 ms of the tracker's start
    // on the demo shop).
    requestAnimationFrame(function () {
      setTimeout(safe(scrolled), 0);
    });
  };
  var engaged = function () {
    if (sent || !auto("engagement")) return;
    clock();
    sent = true;
    call("observed", [0, { ms: Math.round(shown), scroll: depth }].concat(page));
  };
  var left = false;
  // Rage clicks: three clicks on one element within a second (once per burst).
  var rage = { el: null, at: [], told: false };
  // A change of the fragment alone (an in-page link to `#reviews`) is no new page view,
  // unless the site's routes live there (`#/cart`): `data-hash` on the script tag.
  var hashes = s.hasAttribute("data-hash");
  var address = function (u) {
    return hashes ? u : u.split("#")[0];
  };
  var nav = function () {
    // After the router's own listeners and DOM updates (the page's touchpoint
    // attributes may change with the route).
    setTimeout(safe(function () {
      // A new page view: the last one's engagement first (it names its own address).
      if (address(location.href) != address(page[0])) {
        engaged();
        staged = null;
        call("navigated", [0]);
        fresh();
      }
      scan();
    }), 0);
  };
  marked();
  // This browser is not counted (the site's own people): `?spur_ignore=1` on a page of
  // the site once, `?spur_ignore=0` to be counted again; kept in localStorage
  // (`spur:ignore`). Then, as where WebAssembly is blocked, `spur` does nothing.
  var ignored;
  try {
    var flag = /[?&]spur_ignore=([01])/.exec(location.search);
    flag && localStorage.setItem("spur:ignore", flag[1]);
    ignored = localStorage.getItem("spur:ignore") == "1";
  } catch (e) {}
  if (ignored) throw 0;
  // The module, from this file's own bytes: compiled and instantiated now, in this task.
  // (Where WebAssembly is blocked, by a Content-Security-Policy without
  // 'wasm-unsafe-eval', this throws, and `spur` keeps queueing calls, harmlessly.)
  wasm_bindgen("__SPUR_WASM_BYTES__");
  var begin = function () {
    if (!wasm_bindgen.start(site, api, quiet, lines())) return;
    fresh();
    // Capture phase: the page's own handlers cannot stop the click from being seen.
    // <body>/<html> carry the page's touchpoint, not a clickable one.
    listen(
      d,
      "click",
      function (e) {
        var t = e.target;
        // (A rating widget's clicks are its answer, not touches or friction.)
        if (!t || !t.closest || t.closest("[data-spur-widget]")) return;
        var el = t.closest("[data-touchpoint]:not(body):not(html)");
        // An element's own stage; else the page's (the module asks for it).
        var stage = attr(t.closest("[data-stage]:not(body):not(html)"), "data-stage");
        var a = t.closest("a[href]");
        var sh = t.closest("[data-spur-share]");
        if (el) {
          call("click", [attr(el, "data-touchpoint"), stage]);
        } else if (a && /^https?:$/.test(a.protocol)) {
          // Downloads and outbound links, as touchpoints.
          var file = a.pathname.split("/").pop();
          var ext = file.indexOf(".") > 0 && file.split(".").pop().toLowerCase();
          if (auto("download") && (a.hasAttribute("download") || exts.indexOf(ext) >= 0)) {
            call("click", ["download:" + decodeURIComponent(file), stage]);
          } else if (auto("outbound") && a.host != location.host) {
            call("click", ["outbound:" + a.hostname, stage]);
          }
        }
        if (sh) {
          var link = spur.shareLink(attr(sh, "data-spur-share") || location.href);
          sh.setAttribute("data-spur-link", link);
          n.clipboard && n.clipboard.writeText(link)["catch"](function () {});
        }
        // Rage clicks.
        var now = Date.now();
        if (t != rage.el || now - rage.at[rage.at.length - 1] > 1000) rage = { el: t, at: [], told: false };
        rage.at.push(now);
        if (rage.at.length >= 3 && now - rage.at[rage.at.length - 3] <= 1000 && !rage.told) {
          rage.told = true;
          friction(1, t);
        }
        // Dead clicks: something that looks clickable, and nothing changes (the page,
        // the address, the focus) within 1.5 s. Links to other pages do not count.
        var i = t.closest("button,[role=button],[role=link],input[type=submit],input[type=button],summary,[onclick],a[href]");
        var away = a && a.href.split("#")[0] != location.href.split("#")[0];
        if (!i && getComputedStyle(t).cursor == "pointer") i = t;
        // One watch per element at a time: a burst of clicks is one dead click (and a
        // rage click).
        if (i && !i._spurDead && !away && !sh && w.MutationObserver && auto("friction")) {
          i._spurDead = 1;
          var changed = false;
          var href = location.href;
          var focus = d.activeElement;
          var mo = new MutationObserver(function () {
            changed = true;
          });
          mo.observe(d.documentElement, { subtree: true, childList: true, attributes: true, characterData: true });
          setTimeout(safe(function () {
            mo.disconnect();
            i._spurDead = 0;
            if (!changed && !left && location.href == href && d.activeElement == focus) friction(2, i);
          }), 1500);
        }
      },
      true
    );
    listen(d, "visibilitychange", function () {
      clock();
      if (d.hidden) {
        engaged();
        leave();
      }
      call("hidden", [d.hidden]);
    });
    listen(w, "pagehide", function () {
      left = true;
      engaged();
      leave();
      call("pagehide", []);
    });
    // Back from the back/forward cache: the same document, shown again, is a page view
    // again (with an engagement of its own).
    listen(w, "pageshow", function (e) {
      if (e.persisted) {
        left = false;
        call("navigated", [1]);
        fresh();
      }
    });
    listen(w, "focus", clock);
    listen(w, "blur", clock);
    listen(w, "scroll", scrolled, { passive: true });
    // JavaScript errors: the message (cut) and the script's address without its query;
    // at most ten a page.
    var errors = 0;
    var error = function (message, source) {
      if (message && errors++ < 10) friction(3, null, String(message).slice(0, 200), (source || "").split(/[?#]/)[0]);
    };
    listen(w, "error", function (e) {
      error(e.message, e.filename);
    });
    listen(w, "unhandledrejection", function (e) {
      var r = e.reason;
      error((r && r.message) || r, r && r.stack && location.href);
    });
    w.MutationObserver &&
      new MutationObserver(safe(failed)).observe(d.documentElement, {
        subtree: true,
        attributes: true,
        attributeFilter: ["data-spur-failed"]
      });
    listen(w, "online", function () {
      call("online", []);
    });
    var h = history;
    ["pushState", "replaceState"].forEach(function (m) {
      var orig = h[m];
      h[m] = function () {
        var r = orig.apply(this, arguments);
        nav();
        return r;
      };
    });
    listen(w, "popstate", nav);
    scan();
    ready = true;
    // For the site's own measurements (and the tracker benchmark).
    performance.mark("spur:ready");
    for (var i = 0; i < queue.length; i++) run(queue[i][0], queue[i][1]);
    queue.length = 0;
  };
  // The first page view is named by <body>'s attributes: a script that runs before the
  // parser reached <body> (an async script from the cache, in <head>) waits for it.
  var go = function () {
    d.body ? begin() : listen(d, "DOMContentLoaded", begin);
  };
  // A page the browser prerenders (speculation rules) is no page view until the visitor
  // is shown it: the tracker starts when the page is activated, so that the page view
  // comes after the click that led to it.
  d.prerendering ? listen(d, "prerenderingchange", go) : go();
})(window, document);
