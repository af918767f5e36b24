// Northwind Coffee — page behaviour for the Spur demo shop.
// Page views and clicks on [data-touchpoint] elements are captured by the tracker (/spur.js);
// this file only sends the custom events (purchase, review, recommend, support-request)
// and drives the fake forms. It must work whether or not the tracker has loaded.

// Standard stub: calls made before /spur.js has loaded are queued for the tracker.
window.spur = window.spur || { q: [] };
["track", "feedback"].forEach(function (m) {
  if (!window.spur[m]) {
    window.spur[m] = function () {
      (window.spur.q = window.spur.q || []).push([m, [].slice.call(arguments)]);
    };
  }
});

(function () {
  "use strict";

  var PRODUCT = "Autumn Harvest Box";
  var PRICE = 49.9;

  // The texts this file writes, in the page's language (the German shop is in de/).
  var TEXTS = {
    en: {
      question: "How satisfied are you with your order so far?",
      stars: { 1: "poor", 2: "fair", 3: "good", 4: "very good", 5: "excellent" },
      of: " of 5 — ",
      recommended: "Thanks for recommending us!"
    },
    de: {
      question: "Wie zufrieden sind Sie bisher mit Ihrer Bestellung?",
      stars: { 1: "schlecht", 2: "m\u00e4\u00dfig", 3: "gut", 4: "sehr gut", 5: "hervorragend" },
      of: " von 5 — ",
      recommended: "Danke f\u00fcr Ihre Empfehlung!"
    }
  };
  var T = TEXTS[document.documentElement.lang] || TEXTS.en;

  function track(name, props) {
    try {
      if (window.spur && typeof window.spur.track === "function") {
        if (props === undefined) window.spur.track(name);
        else window.spur.track(name, props);
      }
    } catch (e) {
      // Analytics must never break the shop.
    }
  }

  function $(id) {
    return document.getElementById(id);
  }

  function show(el) {
    if (el) el.classList.remove("is-hidden");
  }

  function hide(el) {
    if (el) el.classList.add("is-hidden");
  }

  function focus(el) {
    if (!el) return;
    try {
      el.focus({ preventScroll: true });
    } catch (e) {
      el.focus();
    }
    el.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  // Landing page: greet visitors from the autumn newsletter campaign.
  function campaignNote() {
    var note = $("campaign-note");
    if (!note) return;
    var params = new URLSearchParams(window.location.search);
    if (params.get("utm_campaign") === "autumn" || params.get("utm_source") === "newsletter") {
      show(note);
    }
  }

  // Checkout: no real payment — record the purchase and show the confirmation inline.
  function checkout() {
    var form = $("checkout-form");
    var confirmation = $("order-confirmation");
    if (!form || !confirmation) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      track("purchase", { revenue: PRICE, currency: "EUR", product: PRODUCT });
      hide(form);
      show(confirmation);
      focus(confirmation);
      // The after-sales question, as a polite popover (asked once per visitor).
      try {
        window.spur.feedback({
          kind: "csat",
          touchpoint: "checkout",
          question: T.question
        });
      } catch (e) {}
    });
  }

  // Review: star rating with a live caption, then the review event.
  function review() {
    var form = $("review-form");
    if (!form) return;
    var caption = $("star-caption");
    var error = $("review-error");
    var words = T.stars;

    function stars() {
      var checked = form.querySelector('input[name="stars"]:checked');
      return checked ? parseInt(checked.value, 10) : 0;
    }

    form.addEventListener("change", function (event) {
      if (event.target && event.target.name === "stars") {
        var n = stars();
        if (caption) caption.textContent = n + T.of + words[n];
        hide(error);
      }
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var n = stars();
      if (!n) {
        show(error);
        return;
      }
      track("review", { stars: n });
      hide(form);
      var thanks = $("review-thanks");
      show(thanks);
      focus(thanks);
    });
  }

  // Advocacy: "Recommend to a friend".
  function recommend() {
    var button = $("recommend");
    if (!button) return;
    button.addEventListener("click", function () {
      track("recommend");
      show($("recommend-thanks"));
      button.textContent = T.recommended;
    });
  }

  // Support: a fake contact form.
  function support() {
    var form = $("support-form");
    if (!form) return;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var topic = form.elements.topic ? form.elements.topic.value : "other";
      track("support-request", { topic: topic });
      hide(form);
      var thanks = $("support-thanks");
      show(thanks);
      focus(thanks);
    });
  }

  function init() {
    campaignNote();
    checkout();
    review();
    recommend();
    support();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
