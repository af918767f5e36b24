// Spur's loader: the JS half of spur.js. build.sh puts it, together with the
// wasm-bindgen `--target no-modules` glue (which defines `wasm_bindgen`), inside one
// function, so nothing but `window.spur` reaches the page's globals.
//
//   <script async src="https://collector.example/spur.js" data-site="demo"
//           data-api="https://collector.example" data-consent="required"></script>
//   spur.track("purchase", { revenue: 49.9, currency: "EUR" }); spur.flush();
//   spur.consent(true);
//   spur.feedback({ kind: "nps", touchpoint: "after-delivery", question: "…" });
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
//   `pagehide`, `online`, and history changes (`navigated`).
// - the rating widgets: a module of their own, fetched only when the page has a
//   `[data-spur-feedback]` element or calls spur.feedback.
//
// "Quiet" mode (nothing sent or stored before spur.consent(true)) is decided here:
// data-consent="required", Global Privacy Control, or Do Not Track.
//
// Rules: ES5 syntax; never throw into the page (every call into the module is in
// try/catch, the load promise has a catch, and a browser without WebAssembly, or a
// CSP that blocks it, leaves a `spur` whose calls do nothing); load at most once.
// __SPUR_WASM_HASH__ is replaced by build.sh with the first 12 hex digits of the
// module's sha256, so a new module is never mixed with an old cached loader.

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
    if (name == "track" || name == "flush" || name == "consent") call(name, args);
    if (name == "feedback") widgets("open", args);
  };
  // The widget module, fetched the first time a page needs it: spur-widgets.js runs
  // `spur._w(its wasm_bindgen)`; its events go to the tracker's `rated` export.
  var loading;
  var widgets = function (name, args) {
    loading =
      loading ||
      new Promise(function (done) {
        spur._w = done;
        var t = d.createElement("script");
        t.src = new URL("spur-widgets.js?v=__SPUR_WIDGETS_HASH__", s.src);
        d.head.appendChild(t);
      }).then(function (m) {
        return m({ module_or_path: new URL("spur-widgets.wasm?v=__SPUR_WIDGETS_HASH__", s.src) }).then(
          function () {
            m.start(function () {
              call("rated", [].slice.call(arguments));
            });
            return m;
          }
        );
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
  };
  var api_fn = function (name) {
    return function () {
      run(name, [].slice.call(arguments));
    };
  };
  var spur = (w.spur = {
    _spur: 1,
    track: api_fn("track"),
    flush: api_fn("flush"),
    consent: api_fn("consent"),
    feedback: api_fn("feedback")
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
  host = {
    href: function () {
      return location.href;
    },
    referrer: function () {
      return d.referrer;
    },
    page_attr: function (name) {
      var v = attr(d.body, name);
      return v != null ? v : attr(d.documentElement, name);
    },
    random: function (bytes) {
      var c = w.crypto;
      if (c && c.getRandomValues) c.getRandomValues(bytes);
      else for (var i = 0; i < bytes.length; i++) bytes[i] = Math.random() * 256;
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
    post: function (url, body, id, ms) {
      var timeout = w.AbortSignal && AbortSignal.timeout;
      var answer = function (r) {
        var ok = r instanceof Response;
        call("answered", [id, ok ? r.status : 0, ok ? r.headers.get("retry-after") : null]);
      };
      // A page's replacement of fetch may return something that is not a promise:
      // then `.then` throws, and the request counts as never started.
      fetch(url, {
        method: "POST",
        body: body,
        headers: { "content-type": "text/plain" },
        keepalive: true,
        signal: timeout ? AbortSignal.timeout(ms) : void 0
      }).then(answer, answer);
      return true;
    },
    beacon: function (url, body) {
      return n.sendBeacon(url, body);
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
  var listen = function (target, type, f, capture) {
    target.addEventListener(type, f, capture);
  };
  var nav = function () {
    // After the router's own listeners and DOM updates (the page's touchpoint
    // attributes may change with the route).
    setTimeout(function () {
      call("navigated", []);
      scan();
    }, 0);
  };
  wasm_bindgen({ module_or_path: new URL("spur.wasm?v=__SPUR_WASM_HASH__", s.src) })
    .then(function () {
      if (!wasm_bindgen.start(site, api, quiet)) return;
      // Capture phase: the page's own handlers cannot stop the click from being seen.
      // <body>/<html> carry the page's touchpoint, not a clickable one.
      listen(
        d,
        "click",
        function (e) {
          var t = e.target;
          var el = t && t.closest && t.closest("[data-touchpoint]:not(body):not(html)");
          if (el) {
            call("click", [attr(el, "data-touchpoint"), attr(el.closest("[data-stage]"), "data-stage")]);
          }
        },
        true
      );
      listen(d, "visibilitychange", function () {
        call("hidden", [d.hidden]);
      });
      listen(w, "pagehide", function () {
        call("pagehide", []);
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
    })
    ["catch"](function () {});
})(window, document);
