//! Domain types shared by ingest, the store and the journey engine.
//!
//! These are what the collector believes after validation; they are neither the wire
//! format (see [`crate::ingest::wire`]) nor report views (see [`crate::reports`]), and
//! they deliberately do not derive `Serialize`.

use std::fmt;

/// A validated event, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub site: String,
    /// The tracker's id for the event; unique per site, so a re-sent event is stored once.
    pub id: String,
    /// Pseudonymous visitor id (see [`crate::visitor`]).
    pub visitor: u64,
    /// When it happened, in milliseconds since the epoch, on the collector's clock
    /// (the client's clock skew is removed using the batch's send time).
    pub ts: i64,
    /// When the collector received it, in milliseconds since the epoch.
    pub received_at: i64,
    pub kind: EventKind,
    /// The touchpoint this event stands for: the name the site gave it, or the URL path.
    pub touchpoint: String,
    pub stage: Option<Stage>,
    pub url: String,
    pub referrer: Option<String>,
    pub utm: Utm,
    /// Custom properties, as a JSON object text (validated, bounded).
    pub props: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    Pageview,
    Click,
    Custom,
}

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Pageview => "pageview",
            EventKind::Click => "click",
            EventKind::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pageview" => EventKind::Pageview,
            "click" => EventKind::Click,
            "custom" => EventKind::Custom,
            _ => return None,
        })
    }
}

/// The five stages of a customer journey, in journey order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    Awareness,
    Consideration,
    Purchase,
    Retention,
    Advocacy,
}

impl Stage {
    pub const ALL: [Stage; 5] = [
        Stage::Awareness,
        Stage::Consideration,
        Stage::Purchase,
        Stage::Retention,
        Stage::Advocacy,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Awareness => "awareness",
            Stage::Consideration => "consideration",
            Stage::Purchase => "purchase",
            Stage::Retention => "retention",
            Stage::Advocacy => "advocacy",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Stage::ALL.into_iter().find(|stage| stage.as_str() == s)
    }
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Campaign parameters taken from the page URL's query string.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Utm {
    pub source: Option<String>,
    pub medium: Option<String>,
    pub campaign: Option<String>,
    pub term: Option<String>,
    pub content: Option<String>,
}

/// Milliseconds since the Unix epoch, on the collector's clock.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
