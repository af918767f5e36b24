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
// "Quiet" mode (nothing sent or stored before spur.consent(true)) is decided here:
// data-consent="required", Global Privacy Control, or Do Not Track.
//
// Rules: ES5 syntax; never throw into the page (every call into the module is in
// try/catch, the load promise has a catch, and a browser without WebAssembly, or a
// CSP that blocks it, leaves a `spur` whose calls do nothing); load at most once.
// __SPUR_WASM_HASH__ is replaced by build.sh with the first 12 hex digits of the
// module's sha256, so a new module is never mixed with an old cached loader.
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
  var run = function (name, args) {
    // Before the module is ready (or if it never gets ready): keep a bounded queue.
    if (!ready) return queue.length < 100 && queue.push([name, args]);
    // Only the public calls reach the module, whatever a stub queued.
    if (name == "track" || name == "flush" || name == "consent" || name == "feedback") {
      try {
        wasm_bindgen[name].apply(null, args);
      } catch (e) {}
    }
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
  var nav = function () {
    // After the router's own listeners and DOM updates (the page's touchpoint
    // attributes may change with the route).
    setTimeout(function () {
      try {
        wasm_bindgen.navigated();
      } catch (e) {}
    }, 0);
  };
  wasm_bindgen({ module_or_path: new URL("spur.wasm?v=__SPUR_WASM_HASH__", s.src) })
    .then(function () {
      wasm_bindgen.start(site, api, quiet);
      var h = history;
      ["pushState", "replaceState"].forEach(function (m) {
        var orig = h[m];
        h[m] = function () {
          var r = orig.apply(this, arguments);
          nav();
          return r;
        };
      });
      w.addEventListener("popstate", nav);
      ready = true;
      for (var i = 0; i < queue.length; i++) run(queue[i][0], queue[i][1]);
      queue.length = 0;
    })
    ["catch"](function () {});
})(window, document);
