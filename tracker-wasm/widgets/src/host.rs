//! The widget module's host: the DOM calls it makes, all through `js/widgets.js` (the
//! same arrangement as the tracker's `host.rs`: this module decides, the host does the
//! I/O). A widget is a number, its index in the module's list; the host keeps its
//! element and Shadow DOM and reports what happens in it through the `event` export.
//! Nothing here throws: a failing call does nothing and returns the "nothing" value.

use js_sys::Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Every `[data-spur-feedback]` element not rendered yet (marked as rendered now),
    /// each as `[element, kind, touchpoint, question, stage, days, lang]` (its
    /// `data-spur-feedback`, `data-touchpoint`, `data-question`, `data-stage`,
    /// `data-days` and `data-lang` attributes; `null` where absent).
    #[wasm_bindgen(js_namespace = host)]
    pub fn declared() -> Array;

    #[wasm_bindgen(js_namespace = host, js_name = lang)]
    fn lang_value() -> JsValue;

    #[wasm_bindgen(js_namespace = host, js_name = get)]
    fn get_value(key: &str) -> JsValue;

    #[wasm_bindgen(js_namespace = host, js_name = clean)]
    fn clean_value(value: &JsValue, max: u32, lines: bool) -> JsValue;

    /// Stores `value` under `key` as the loader stores what it keeps (`localStorage`,
    /// or memory in quiet mode before consent): the number as JavaScript writes it
    /// (Rust's float formatting would cost the bundle ~10 KB).
    #[wasm_bindgen(js_namespace = host)]
    pub fn set(key: &str, value: f64);

    /// Renders widget `id` in an open Shadow DOM of `element` (or, for `null`, of a new
    /// fixed popover at the bottom right of the page): `css` as a constructed style
    /// sheet, `html` as its markup, `question` as the text of `#q`; then reports its
    /// `click`, `keydown` and `submit` events to the `event` export. `false`: nothing
    /// was rendered.
    #[wasm_bindgen(js_namespace = host)]
    pub fn mount(id: u32, element: &JsValue, css: &str, html: &str, question: &str) -> bool;

    /// Sets attribute `name` to `value` (or removes it, for `None`) on every element of
    /// widget `id` that `selector` matches.
    #[wasm_bindgen(js_namespace = host)]
    pub fn attr(id: u32, selector: &str, name: &str, value: Option<&str>);

    /// Focuses the first element of widget `id` that `selector` matches.
    #[wasm_bindgen(js_namespace = host)]
    pub fn focus(id: u32, selector: &str);

    /// Sets the text of the first element of widget `id` that `selector` matches.
    #[wasm_bindgen(js_namespace = host)]
    pub fn text(id: u32, selector: &str, text: &str);

    /// Removes widget `id`'s element (`remove`: the popover) or hides it.
    #[wasm_bindgen(js_namespace = host)]
    pub fn close(id: u32, remove: bool);
}

// The strings come back as JS values, turned into Rust strings here by one function of
// wasm-bindgen's, as in the tracker's host.

/// The page's language: `<html lang>`, else `navigator.language`.
pub fn lang() -> String {
    lang_value().as_string().unwrap_or_default()
}

/// What [`set`] stored under `key`.
pub fn get(key: &str) -> Option<String> {
    get_value(key).as_string()
}

/// A text the page gave (a string, or a number as JavaScript writes it): control
/// characters and the controls of text direction removed (kept with `lines`, for a
/// comment's line breaks and right-to-left text), white space
/// trimmed, cut to `max` code points; `None` when nothing is left. The browser's
/// regular expressions and `trim` do it in a few bytes of script, where Rust's Unicode
/// tables and UTF-8 handling cost the module several hundred.
pub fn clean(value: &JsValue, max: u32, lines: bool) -> Option<String> {
    clean_value(value, max, lines).as_string()
}
