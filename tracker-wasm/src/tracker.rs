//! The tracker: the one piece of state, and the wiring from page events to capture,
//! queue and transport.
//!
//! Pipeline: [`crate::capture`] → [`crate::queue`] → [`crate::transport`], with the
//! wire types in [`crate::wire`]. [`crate::lib`](crate) is only the `#[wasm_bindgen]`
//! boundary.
//!
//! Invariants:
//! - the state sits in one `thread_local` `RefCell` and is reached only through
//!   [`with`], which uses `try_borrow_mut`: a re-entrant call is dropped instead of
//!   panicking (a panic aborts the module and would surface in the page);
//! - page events are read (DOM, the page's objects) *before* the state is borrowed, so a
//!   throwing getter on the page cannot leave a borrow behind;
//! - listeners live as long as the page (`forget`); the flush timer is cancelled by
//!   dropping it whenever a flush happens for another reason.

use std::cell::RefCell;

use gloo_events::{EventListener, EventListenerOptions};
use gloo_timers::callback::Timeout;
use wasm_bindgen::JsValue;
use web_sys::VisibilityState;

use crate::capture;
use crate::queue::{Due, FLUSH_AFTER_MS, Queue};
use crate::transport::{Mode, Transport};
use crate::wire::Event;

thread_local! {
    /// `None` until [`start`]; the wasm module is single-threaded.
    static TRACKER: RefCell<Option<Tracker>> = const { RefCell::new(None) };
}

/// Why [`start`] did nothing. Reported to the loader as a short code, never thrown at
/// the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StartError {
    /// No window, document or location: not running in a page.
    NoPage,
    /// `data-site` was empty.
    NoSite,
    /// A tracker already runs in this module.
    Started,
}

impl StartError {
    pub fn code(self) -> &'static str {
        match self {
            StartError::NoPage => "no-page",
            StartError::NoSite => "no-site",
            StartError::Started => "started",
        }
    }
}

struct Tracker {
    queue: Queue,
    transport: Transport,
    /// The URL of the last page view, to skip a navigation that did not change it.
    last_url: String,
    /// Armed while events wait; dropping it cancels the timeout.
    timer: Option<Timeout>,
}

/// Starts tracking: records the first page view and installs the page listeners.
pub fn start(site: String, api: &str) -> Result<(), StartError> {
    if site.is_empty() {
        return Err(StartError::NoSite);
    }
    let window = crate::capture::window().ok_or(StartError::NoPage)?;
    let document = window.document().ok_or(StartError::NoPage)?;
    let url = capture::current_url().ok_or(StartError::NoPage)?;
    let installed = TRACKER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_some() {
            return None;
        }
        *slot = Some(Tracker {
            queue: Queue::default(),
            transport: Transport::new(site, api),
            last_url: String::new(),
            timer: None,
        });
        Some(())
    });
    installed.ok_or(StartError::Started)?;

    // Capture phase: the page's own handlers cannot stop the click from being seen.
    EventListener::new_with_options(
        &document,
        "click",
        EventListenerOptions::run_in_capture_phase(),
        |event| {
            if let Some(event) = event.target().and_then(|target| capture::click(&target)) {
                with(|t| t.record(event));
            }
        },
    )
    .forget();
    let doc = document.clone();
    EventListener::new(&document, "visibilitychange", move |_| {
        if doc.visibility_state() == VisibilityState::Hidden {
            with(|t| t.flush(Mode::Beacon));
        }
    })
    .forget();
    EventListener::new(&window, "pagehide", |_| with(|t| t.flush(Mode::Beacon))).forget();

    with(|t| t.page_view(url));
    Ok(())
}

/// A custom event from `spur.track`. Invalid names are dropped silently.
pub fn track(name: &JsValue, props: &JsValue) {
    if let Some(event) = capture::custom(name, props) {
        with(|t| t.record(event));
    }
}

/// The page's history changed (pushState, replaceState, popstate): a page view if the
/// URL differs from the last one.
pub fn navigated() {
    if let Some(url) = capture::current_url() {
        with(|t| {
            if t.last_url != url {
                t.page_view(url);
            }
        });
    }
}

/// Sends whatever is queued now (`spur.flush()`).
pub fn flush() {
    with(|t| t.flush(Mode::Fetch));
}

/// Runs `f` on the started tracker; does nothing before [`start`] or on re-entry.
fn with(f: impl FnOnce(&mut Tracker)) {
    TRACKER.with(|cell| {
        if let Ok(mut slot) = cell.try_borrow_mut() {
            if let Some(tracker) = slot.as_mut() {
                f(tracker);
            }
        }
    });
}

impl Tracker {
    fn page_view(&mut self, url: String) {
        let event = capture::page_view(url.clone());
        self.last_url = url;
        self.record(event);
    }

    fn record(&mut self, event: Event) {
        match self.queue.push(event) {
            Due::Now => self.flush(Mode::Fetch),
            Due::Later => {
                self.timer = Some(Timeout::new(FLUSH_AFTER_MS, || {
                    with(|t| t.flush(Mode::Fetch))
                }));
            }
            Due::Pending => {}
        }
    }

    fn flush(&mut self, mode: Mode) {
        // Dropping the timer cancels it (harmless when it is the one firing now).
        self.timer = None;
        let events = self.queue.take();
        if events.is_empty() {
            return;
        }
        // Delivery is best effort for now: retries (re-queueing the events of a failed
        // part) come with the retry/offline work.
        let _ = self.transport.send(&events, mode);
    }
}
