//! Spur's rating widgets: CSAT (faces), NPS (0–10), CES (1–7) and thumbs, each with an
//! optional comment and a thank-you state.
//!
//! A module of its own (`spur-widgets.js`, the module inside): the tracker's loader
//! fetches it only when a page has a widget or calls `spur.feedback`, so pages without
//! widgets do not pay for them. The loader calls [`start`] with a function that hands
//! each widget event to the tracker (its `rated` export), then [`scan`] and [`open`].
//!
//! Declared in markup and rendered where they stand:
//!
//! ```html
//! <div data-spur-feedback="nps" data-touchpoint="after-delivery"
//!      data-question="…" data-stage="retention" data-days="90" data-lang="de"></div>
//! ```
//!
//! or opened from code as a dismissible popover: `spur.feedback({kind, touchpoint,
//! question})`. Each widget lives in its own Shadow DOM, so the page's CSS cannot break
//! it and its CSS cannot leak out; the page themes it through CSS custom properties
//! (`--spur-accent`, `--spur-bg`, `--spur-fg`, `--spur-radius`, `--spur-font`).
//!
//! Accessible: a radio group with arrow keys, Home/End, Enter or Space to choose;
//! Escape dismisses; the thank-you is announced (`role=status`) and focused.
//!
//! Never asks twice: an answer or a dismissal is remembered per touchpoint in
//! `localStorage` (`spur:fb:<touchpoint>`), and the widget stays away for `data-days`
//! days (default 90). What the visitor does is sent as `feedback` events: `shown`,
//! then `answered` (score, comment) or `dismissed`. A chosen score is the answer as soon
//! as the visitor sends the form, closes the widget or leaves the page ([`leave`]),
//! whichever comes first: the comment is optional, and so is pressing "Send".

use std::cell::RefCell;

use js_sys::{Array, Function, Reflect};
use wasm_bindgen::prelude::*;

mod host;

thread_local! {
    /// Hands a widget's event to the tracker; set by [`start`].
    static EMIT: RefCell<Option<Function>> = const { RefCell::new(None) };
    /// The widgets rendered on this page; a widget's id is its index.
    static WIDGETS: RefCell<Vec<Widget>> = const { RefCell::new(Vec::new()) };
}

/// Called once by the tracker's loader: `emit(touchpoint, stage, props)` queues a
/// widget's event in the tracker (`props`: `widget`, `outcome`, and with an answer
/// `score` and `comment`).
#[wasm_bindgen]
pub fn start(emit: Function) {
    EMIT.with(|e| *e.borrow_mut() = Some(emit));
}

/// The longest touchpoint name, in characters (the collector's limit).
const MAX_NAME_CHARS: u32 = 100;
/// The longest custom question shown, in characters.
const MAX_QUESTION_CHARS: u32 = 300;
/// Enough for any kind, stage, period or language tag.
const SHORT_CHARS: u32 = 40;

/// How long a widget stays away after an answer or a dismissal, by default.
const DEFAULT_DAYS: u32 = 90;
const DAY_MS: f64 = 86_400_000.0;
/// The longest comment sent, in characters: the collector's limit, and the textarea's
/// `maxlength` in [`render`] (the tracker cuts it too).
const MAX_COMMENT_CHARS: u32 = 1000;

#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Csat,
    Nps,
    Ces,
    Thumbs,
}

impl Kind {
    fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "csat" => Kind::Csat,
            "nps" => Kind::Nps,
            "ces" => Kind::Ces,
            "thumbs" => Kind::Thumbs,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Kind::Csat => "csat",
            Kind::Nps => "nps",
            Kind::Ces => "ces",
            Kind::Thumbs => "thumbs",
        }
    }

    /// The first and last score.
    fn scale(self) -> (u8, u8) {
        match self {
            Kind::Csat => (1, 5),
            Kind::Nps => (0, 10),
            Kind::Ces => (1, 7),
            Kind::Thumbs => (0, 1),
        }
    }
}

/// The built-in texts of one language.
struct Texts {
    /// Per kind, in [`Kind`] order.
    questions: [&'static str; 4],
    nps_ends: [&'static str; 2],
    ces_ends: [&'static str; 2],
    faces: [&'static str; 5],
    thumbs: [&'static str; 2],
    comment: &'static str,
    send: &'static str,
    close: &'static str,
    thanks: &'static str,
}

const EN: Texts = Texts {
    questions: [
        "How satisfied are you?",
        "How likely are you to recommend us to a friend or colleague?",
        "How easy was it to get what you needed?",
        "Was this helpful?",
    ],
    nps_ends: ["Not likely", "Very likely"],
    ces_ends: ["Very difficult", "Very easy"],
    faces: [
        "Very dissatisfied",
        "Dissatisfied",
        "Neutral",
        "Satisfied",
        "Very satisfied",
    ],
    thumbs: ["No", "Yes"],
    comment: "Anything you would like to add? (optional)",
    send: "Send",
    close: "Close",
    thanks: "Thank you for your feedback!",
};

const DE: Texts = Texts {
    questions: [
        "Wie zufrieden sind Sie?",
        "Wie wahrscheinlich ist es, dass Sie uns einem Freund oder Kollegen empfehlen?",
        "Wie einfach war es, zu erledigen, was Sie vorhatten?",
        "War das hilfreich?",
    ],
    nps_ends: ["Unwahrscheinlich", "Sehr wahrscheinlich"],
    ces_ends: ["Sehr schwierig", "Sehr einfach"],
    faces: [
        "Sehr unzufrieden",
        "Unzufrieden",
        "Neutral",
        "Zufrieden",
        "Sehr zufrieden",
    ],
    thumbs: ["Nein", "Ja"],
    comment: "Möchten Sie noch etwas ergänzen? (optional)",
    send: "Senden",
    close: "Schließen",
    thanks: "Danke für Ihr Feedback!",
};

/// The mouth of each CSAT face, from very dissatisfied to very satisfied: the
/// quadratic curve's ends' and control point's heights.
const MOUTHS: [(u8, u8); 5] = [(17, 13), (16, 14), (15, 15), (14, 17), (14, 19)];
/// A thumb (up; turned for down).
const THUMB: &str = "M1 21h4V9H1v12zm22-11c0-1.1-.9-2-2-2h-6.31l.95-4.57.03-.32c0-.41-.17-.79-.44-1.06L14.17 1 7.59 7.59C7.22 7.95 7 8.45 7 9v10c0 1.1.9 2 2 2h9c.83 0 1.54-.5 1.84-1.22l3.02-7.05c.09-.23.14-.47.14-.73v-2z";

/// Markup built by appending (no `format!`: `core::fmt` costs the module ~1.5 KB brotli).
struct Html(String);

impl Html {
    fn add(&mut self, parts: &[&str]) -> &mut Html {
        for part in parts {
            self.0.push_str(part);
        }
        self
    }

    /// A score (0–10) in decimal.
    fn number(&mut self, n: u8) -> &mut Html {
        if n >= 10 {
            self.0.push(char::from(b'0' + n / 10));
        }
        self.0.push(char::from(b'0' + n % 10));
        self
    }
}

/// Drawn, not emoji: the faces look the same with or without an emoji font. `false`
/// for the kinds shown as numbers.
fn icon(out: &mut Html, kind: Kind, score: u8) -> bool {
    const SVG: &str =
        "<svg viewBox=\"0 0 24 24\" width=26 height=26 aria-hidden=true focusable=false>";
    match kind {
        Kind::Csat => {
            let (end, mid) = MOUTHS[usize::from(score - 1)];
            out.add(&[
                SVG,
                "<g fill=none stroke=currentColor stroke-width=1.8 stroke-linecap=round>\
                 <circle cx=12 cy=12 r=10 /><path d=\"M8 ",
            ])
            .number(end)
            .add(&["Q12 "])
            .number(mid)
            .add(&[" 16 "])
            .number(end)
            .add(&["\"/></g><circle cx=9 cy=9.5 r=1.3 fill=currentColor />\
                 <circle cx=15 cy=9.5 r=1.3 fill=currentColor /></svg>"]);
            true
        }
        Kind::Thumbs => {
            let turn = if score == 0 {
                " transform=\"rotate(180 12 12)\""
            } else {
                ""
            };
            out.add(&[
                SVG,
                "<path fill=currentColor d=\"",
                THUMB,
                "\"",
                turn,
                "/></svg>",
            ]);
            true
        }
        _ => false,
    }
}

// `.w` starts from `all:initial`, and left to right (`all` leaves `direction`): what
// the page's elements pass on (letter spacing, upper case, centring, right-to-left
// direction, …) stops at the widget. (On `:host` it would not: the page's own rules
// for the host element win over `:host`.)
const STYLE: &str = "\
:host{display:block}\
.w{all:initial;direction:ltr;display:block;box-sizing:border-box;font:15px/1.4 var(--spur-font,system-ui,sans-serif);color:var(--spur-fg,#222);\
background:var(--spur-bg,#fff);border:1px solid var(--spur-border,#ddd);border-radius:var(--spur-radius,10px);\
padding:14px 16px;position:relative;max-width:560px}\
.q{margin:0 28px 10px 0;font-weight:600}\
.s{display:flex;flex-wrap:wrap;gap:6px}\
button{font:inherit;color:inherit;cursor:pointer;border:1px solid var(--spur-border,#ccc);\
background:var(--spur-bg,#fff);border-radius:calc(var(--spur-radius,10px) - 4px);min-width:36px;min-height:36px;padding:4px 8px}\
button:focus-visible,textarea:focus-visible{outline:3px solid var(--spur-accent,#8a5a2b);outline-offset:2px}\
[role=radio][aria-checked=true]{background:var(--spur-accent,#8a5a2b);color:var(--spur-on-accent,#fff);border-color:var(--spur-accent,#8a5a2b)}\
.f{display:inline-flex;align-items:center;justify-content:center;padding:4px}svg{display:block}\
.n{display:flex;justify-content:space-between;font-size:12px;opacity:.75;margin-top:4px}\
.x{position:absolute;top:6px;right:6px;border:0;background:none;font-size:20px;min-width:32px;min-height:32px}\
form{margin-top:10px;display:grid;gap:6px}\
textarea{font:inherit;box-sizing:border-box;width:100%;border:1px solid var(--spur-border,#ccc);border-radius:6px;padding:6px}\
form button{justify-self:start;background:var(--spur-accent,#8a5a2b);color:var(--spur-on-accent,#fff);border-color:var(--spur-accent,#8a5a2b)}\
[hidden]{display:none!important}\
.t{margin:0;font-weight:600}";

/// The built-in name of `score` for the kinds whose choices have one (faces, thumbs).
fn kind_label(kind: Kind, t: &Texts, score: u8) -> Option<&'static str> {
    match kind {
        Kind::Csat => Some(t.faces[usize::from(score - 1)]),
        Kind::Thumbs => Some(t.thumbs[usize::from(score)]),
        _ => None,
    }
}

/// What to ask, and where the answer belongs.
struct Ask {
    kind: Kind,
    touchpoint: String,
    question: Option<String>,
    /// `data-stage` as written; the tracker parses it.
    stage: Option<String>,
    days: u32,
    german: bool,
}

/// Renders every widget declared in the page that is not rendered yet.
#[wasm_bindgen]
pub fn scan() {
    for found in host::declared().iter() {
        let found: Array = found.unchecked_into();
        let text = |i: u32| found.get(i);
        let Some(ask) = ask(text(1), text(2), text(3), text(4), text(5), text(6)) else {
            continue;
        };
        if !asked_recently(&ask) {
            render(found.get(0), ask);
        }
    }
}

/// `spur.feedback({kind, touchpoint, question, stage, days, lang})`: the popover.
#[wasm_bindgen]
pub fn open(options: &JsValue) {
    let field = |key: &str| Reflect::get(options, &JsValue::from_str(key)).unwrap_or_default();
    let Some(ask) = ask(
        field("kind"),
        field("touchpoint"),
        field("question"),
        field("stage"),
        field("days"),
        field("lang"),
    ) else {
        return;
    };
    if !asked_recently(&ask) {
        render(JsValue::NULL, ask);
    }
}

/// What to ask, from the attributes or the options as the page gave them (strings, or
/// numbers where a page writes `days: 30`), each cleaned by the host (see
/// [`host::clean`]).
fn ask(
    kind: JsValue,
    touchpoint: JsValue,
    question: JsValue,
    stage: JsValue,
    days: JsValue,
    lang: JsValue,
) -> Option<Ask> {
    let line = |value: &JsValue, max| host::clean(value, max, false);
    let kind = Kind::parse(&line(&kind, SHORT_CHARS)?)?;
    let touchpoint = line(&touchpoint, MAX_NAME_CHARS)?;
    let lang = line(&lang, SHORT_CHARS).unwrap_or_else(host::lang);
    Some(Ask {
        kind,
        touchpoint,
        question: line(&question, MAX_QUESTION_CHARS),
        stage: line(&stage, SHORT_CHARS),
        days: line(&days, SHORT_CHARS)
            .and_then(|d| d.parse().ok())
            .unwrap_or(DEFAULT_DAYS),
        german: lang.to_ascii_lowercase().starts_with("de"),
    })
}

fn memory_key(touchpoint: &str) -> String {
    let mut key = String::from("spur:fb:");
    key.push_str(touchpoint);
    key
}

/// Whether the visitor answered or dismissed this touchpoint's widget within its period.
fn asked_recently(ask: &Ask) -> bool {
    let at = host::get(&memory_key(&ask.touchpoint))
        .map(|v| js_sys::parse_float(&v))
        .filter(|at| !at.is_nan());
    at.is_some_and(|at| js_sys::Date::now() - at < f64::from(ask.days) * DAY_MS)
}

fn remember(touchpoint: &str) {
    host::set(&memory_key(touchpoint), js_sys::Date::now());
}

/// One rendered widget.
struct Widget {
    ask: Ask,
    popover: bool,
    chosen: Option<u8>,
    done: bool,
}

/// Renders `ask` into `el`, a declared widget's element, or (`null`) a popover.
fn render(el: JsValue, ask: Ask) {
    let t = if ask.german { &DE } else { &EN };
    let (first, last) = ask.kind.scale();
    let ends = match ask.kind {
        Kind::Nps => Some(t.nps_ends),
        Kind::Ces => Some(t.ces_ends),
        _ => None,
    };
    let mut html = Html(String::new());
    let popover = el.is_null();
    let role = if popover { "dialog" } else { "group" };
    html.add(&[
        "<div class=w part=widget role=",
        role,
        " aria-labelledby=q><p class=q id=q></p><div class=s role=radiogroup aria-labelledby=q>",
    ]);
    for score in first..=last {
        // Faces and thumbs say what they mean; the ends of a number scale say theirs
        // (shown under the scale, read with the first and last number). Only numbers
        // and the built-in texts go into markup; the page's texts are set as text.
        let named = match kind_label(ask.kind, t, score) {
            Some(name) => Some((None, name)),
            None => match ends {
                Some([lo, _]) if score == first => Some((Some(score), lo)),
                Some([_, hi]) if score == last => Some((Some(score), hi)),
                _ => None,
            },
        };
        html.add(&[
            "<button type=button role=radio aria-checked=false tabindex=",
            if score == first { "0" } else { "-1" },
            " data-v=",
        ])
        .number(score);
        if matches!(ask.kind, Kind::Csat | Kind::Thumbs) {
            html.add(&[" class=f"]);
        }
        if let Some((number, name)) = named {
            for attribute in [" aria-label=\"", "\" title=\""] {
                html.add(&[attribute]);
                if let Some(number) = number {
                    html.number(number).add(&[", "]);
                }
                html.add(&[name]);
            }
            html.add(&["\""]);
        }
        html.add(&[">"]);
        if !icon(&mut html, ask.kind, score) {
            html.number(score);
        }
        html.add(&["</button>"]);
    }
    html.add(&["</div>"]);
    if let Some([lo, hi]) = ends {
        html.add(&[
            "<div class=n aria-hidden=true><span>",
            lo,
            "</span><span>",
            hi,
            "</span></div>",
        ]);
    }
    html.add(&[
        "<form hidden><label for=c>",
        t.comment,
        "</label><textarea id=c rows=3 maxlength=1000 dir=auto></textarea><button type=submit>",
        t.send,
        "</button></form><p class=t role=status aria-live=polite tabindex=-1></p>\
         <button type=button class=x aria-label=\"",
        t.close,
        "\" title=\"",
        t.close,
        "\">×</button></div>",
    ]);
    let question = ask
        .question
        .as_deref()
        .unwrap_or(t.questions[ask.kind as usize]);
    let id = WIDGETS.with(|w| w.borrow().len() as u32);
    if !host::mount(id, &el, STYLE, &html.0, question) {
        return;
    }
    let widget = Widget {
        ask,
        popover,
        chosen: None,
        done: false,
    };
    widget.send(Outcome::Shown);
    WIDGETS.with(|w| w.borrow_mut().push(widget));
}

/// What happened in widget `id`: `click` (`value`: the clicked button's score, or `x` for
/// close), `keydown` (`value`: the key; `at`: the index of the focused choice, or −1)
/// or `submit` (`value`: the comment). `true`: the host prevents the event's default.
#[wasm_bindgen]
pub fn event(id: u32, kind: JsValue, value: JsValue, at: i32) -> bool {
    // (Strings read here rather than passed as `&str`: smaller glue and module.)
    let (kind, raw) = (kind.as_string().unwrap_or_default(), value);
    WIDGETS.with(|w| {
        let Ok(mut widgets) = w.try_borrow_mut() else {
            return false;
        };
        let Some(widget) = widgets.get_mut(id as usize) else {
            return false;
        };
        let value = raw.as_string().unwrap_or_default();
        match kind.as_str() {
            "click" => {
                if value == "x" {
                    widget.dismiss(id);
                } else if let Ok(score) = value.parse() {
                    widget.choose(id, score);
                }
                false
            }
            "keydown" => widget.key(id, &value, at),
            _ => {
                widget.submit(id, host::clean(&raw, MAX_COMMENT_CHARS, true));
                true
            }
        }
    })
}

/// The page is being left (hidden, or going away; the tracker's loader calls this before
/// it sends what is queued): a score that was chosen and not sent yet is sent now,
/// without a comment. Most visitors pick a score and move on without the optional
/// comment; their answer must not wait for a "Send" they never press.
#[wasm_bindgen]
pub fn leave() {
    WIDGETS.with(|w| {
        if let Ok(mut widgets) = w.try_borrow_mut() {
            for (id, widget) in widgets.iter_mut().enumerate() {
                if widget.chosen.is_some() {
                    widget.submit(id as u32, None);
                }
            }
        }
    });
}

enum Outcome {
    Shown,
    Answered(u8, Option<String>),
    Dismissed,
}

/// `[data-v="<score>"]`: the choice of `score`.
fn choice(score: u8) -> String {
    let mut selector = Html(String::from("[data-v=\""));
    selector.number(score).add(&["\"]"]);
    selector.0
}

impl Widget {
    fn send(&self, outcome: Outcome) {
        let (name, score, comment) = match outcome {
            Outcome::Shown => ("shown", None, None),
            Outcome::Answered(score, comment) => ("answered", Some(score), comment),
            Outcome::Dismissed => ("dismissed", None, None),
        };
        let props = js_sys::Object::new();
        let set = |key: &str, value: JsValue| {
            let _ = Reflect::set(&props, &JsValue::from_str(key), &value);
        };
        set("widget", JsValue::from_str(self.ask.kind.as_str()));
        set("outcome", JsValue::from_str(name));
        if let Some(score) = score {
            set("score", JsValue::from(score));
        }
        if let Some(comment) = comment {
            set("comment", JsValue::from_str(&comment));
        }
        let stage = self
            .ask
            .stage
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str);
        let args = Array::of3(&JsValue::from_str(&self.ask.touchpoint), &stage, &props);
        EMIT.with(|emit| {
            if let Some(emit) = emit.borrow().as_ref() {
                let _ = emit.apply(&JsValue::NULL, &args);
            }
        });
    }

    /// Arrow keys, Home and End move between the choices (a roving tab stop); Enter or
    /// Space chooses; Escape dismisses.
    fn key(&mut self, id: u32, key: &str, at: i32) -> bool {
        if key == "Escape" {
            self.dismiss(id);
            return true;
        }
        let Ok(at) = u8::try_from(at) else {
            return false;
        };
        let (first, last) = self.ask.kind.scale();
        let count = last - first;
        let to = match key {
            "ArrowRight" | "ArrowDown" => (at + 1).min(count),
            "ArrowLeft" | "ArrowUp" => at.saturating_sub(1),
            "Home" => 0,
            "End" => count,
            "Enter" | " " => {
                self.choose(id, first + at);
                return true;
            }
            _ => return false,
        };
        host::attr(id, "[role=radio]", "tabindex", Some("-1"));
        host::attr(id, &choice(first + to), "tabindex", Some("0"));
        host::focus(id, &choice(first + to));
        true
    }

    /// A score was chosen: mark it, then offer the comment.
    fn choose(&mut self, id: u32, score: u8) {
        let (first, last) = self.ask.kind.scale();
        if self.done || !(first..=last).contains(&score) {
            return;
        }
        self.chosen = Some(score);
        host::attr(id, "[role=radio]", "aria-checked", Some("false"));
        host::attr(id, "[role=radio]", "tabindex", Some("-1"));
        host::attr(id, &choice(score), "aria-checked", Some("true"));
        host::attr(id, &choice(score), "tabindex", Some("0"));
        host::attr(id, "form", "hidden", None);
        host::focus(id, "textarea");
    }

    /// Sends the chosen score with `comment` (already trimmed and cut by the host).
    fn submit(&mut self, id: u32, comment: Option<String>) {
        let Some(score) = self.chosen else {
            return;
        };
        if std::mem::replace(&mut self.done, true) {
            return;
        }
        self.send(Outcome::Answered(score, comment));
        remember(&self.ask.touchpoint);
        host::attr(id, "form,.s,.n,#q", "hidden", Some(""));
        let t = if self.ask.german { &DE } else { &EN };
        host::text(id, ".t", t.thanks);
        host::focus(id, ".t");
    }

    /// Escape or the close button. After a score was chosen, that score is the answer
    /// (the visitor declined the comment, not the question): an inline widget thanks
    /// for it, and closes at the next Escape or close.
    fn dismiss(&mut self, id: u32) {
        if self.chosen.is_some() && !self.done {
            self.submit(id, None);
            if !self.popover {
                return;
            }
        } else if !std::mem::replace(&mut self.done, true) {
            self.send(Outcome::Dismissed);
            remember(&self.ask.touchpoint);
        }
        host::close(id, self.popover);
    }
}

/// The same small allocator as the tracker's.
#[cfg(target_arch = "wasm32")]
#[global_allocator]
static ALLOCATOR: lol_alloc::LockedAllocator<lol_alloc::FreeListAllocator> =
    lol_alloc::LockedAllocator::new(lol_alloc::FreeListAllocator::new());
