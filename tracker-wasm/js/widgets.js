// The widget module's host: the DOM work of the rating widgets (widgets/src/host.rs says
// what each function does; the module decides everything else). build.sh puts this,
// with the module's wasm-bindgen glue, in one function that ends by handing the glue's
// `wasm_bindgen` to the tracker's loader (`spur._w`).
//
// Rules as in loader.js: ES5, never throw into the page (every host function is
// wrapped), user-controlled text only ever set as text.

// Read by the glue's imports (`js_namespace = host`).
var host;

(function (w, d) {
  // Widget id -> [element, shadow root].
  var widgets = [];
  var all = function (id, selector) {
    return widgets[id][1].querySelectorAll(selector);
  };
  var FIELDS = ["data-spur-feedback", "data-touchpoint", "data-question", "data-stage", "data-days", "data-lang"];
  host = {
    declared: function () {
      var out = [];
      [].forEach.call(d.querySelectorAll("[data-spur-feedback]:not([data-spur-ready])"), function (el) {
        el.setAttribute("data-spur-ready", "");
        out.push(
          [el].concat(
            FIELDS.map(function (name) {
              return el.getAttribute(name);
            })
          )
        );
      });
      return out;
    },
    lang: function () {
      return d.documentElement.getAttribute("lang") || navigator.language || "";
    },
    // Through the loader, which keeps them in memory while it may store nothing.
    get: function (key) {
      return w.spur._s(key);
    },
    set: function (key, value) {
      w.spur._s(key, String(value));
    },
    clean: function (v, n, lines) {
      if (typeof v == "number") v = String(v);
      return typeof v == "string" && Array.from((lines ? v : v.replace(/[\0-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/g, "")).trim()).slice(0, n).join("") || void 0;
    },
    mount: function (id, el, css, html, question) {
      if (!el) {
        el = d.createElement("div");
        // Through the CSSOM, which a CSP that forbids inline styles allows.
        el.style.cssText =
          "all:initial;display:block;position:fixed;right:16px;bottom:16px;left:auto;top:auto;" +
          "z-index:2147483647;width:min(380px,calc(100vw - 32px));" +
          "box-shadow:0 8px 28px rgba(0,0,0,.18);border-radius:var(--spur-radius,10px)";
        d.body.appendChild(el);
      }
      // The loader's listeners leave the widget's clicks alone (the answer is its event).
      el.setAttribute("data-spur-widget", "");
      var root = el.attachShadow({ mode: "open" });
      // A constructed style sheet: a page whose CSP forbids inline styles still styles it.
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
      root.innerHTML = html;
      root.getElementById("q").textContent = question;
      widgets[id] = [el, root];
      // Not passive: keys and the form's submission can be kept from their defaults.
      ["click", "keydown", "submit"].forEach(function (type) {
        root.addEventListener(type, function (e) {
          var t = e.target;
          var button = t.closest && t.closest("button");
          var value =
            type == "click"
              ? button && (button.className == "x" ? "x" : button.getAttribute("data-v"))
              : type == "keydown"
              ? e.key
              : root.getElementById("c").value;
          var at = [].indexOf.call(all(id, "[role=radio]"), root.activeElement);
          var prevent = false;
          try {
            prevent = wasm_bindgen.event(id, type, value, at);
          } catch (x) {}
          if (prevent) e.preventDefault();
        });
      });
      return true;
    },
    attr: function (id, selector, name, value) {
      [].forEach.call(all(id, selector), function (el) {
        if (value == null) el.removeAttribute(name);
        else el.setAttribute(name, value);
      });
    },
    focus: function (id, selector) {
      all(id, selector)[0].focus();
    },
    text: function (id, selector, text) {
      all(id, selector)[0].textContent = text;
    },
    close: function (id, remove) {
      var el = widgets[id][0];
      if (remove) el.remove();
      else {
        el.hidden = true;
        el.style.display = "none";
      }
    }
  };
  Object.keys(host).forEach(function (k) {
    var f = host[k];
    host[k] = function () {
      try {
        return f.apply(null, arguments);
      } catch (e) {}
    };
  });
})(window, document);
