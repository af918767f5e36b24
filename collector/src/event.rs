//! Domain types shared by ingest, the store and the journey engine.
//!
//! These are what the collector believes after validation; they are not the wire
//! format (see [`crate::ingest::wire`]). The enums serialise as their lowercase names,
//! which is how reports show them.

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
    /// The class of device, from the user agent (which itself is not kept).
    pub device: Device,
}

#[cfg(test)]
impl Event {
    /// For tests: a desktop page view of `landing` on site `demo`, received when it
    /// happened.
    pub(crate) fn landing(id: &str, visitor: u64, ts: i64) -> Event {
        Event {
            site: "demo".into(),
            id: id.into(),
            visitor,
            ts,
            received_at: ts,
            kind: EventKind::Pageview,
            touchpoint: "landing".into(),
            stage: None,
            url: "https://shop.example/".into(),
            referrer: None,
            utm: Utm::default(),
            props: None,
            device: Device::Desktop,
        }
    }
}

/// The class of device an event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
pub enum Device {
    Desktop,
    Mobile,
    Tablet,
}

impl Device {
    pub const ALL: [Device; 3] = [Device::Desktop, Device::Mobile, Device::Tablet];

    pub fn as_str(self) -> &'static str {
        match self {
            Device::Desktop => "desktop",
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
        }
    }

    pub fn parse(s: &str) -> Option<Device> {
        Device::ALL.into_iter().find(|d| d.as_str() == s)
    }

    /// The device class of a browser's user agent (parsed by `woothee`); tablets are
    /// told apart by their platform (iPad, Android without "Mobile").
    pub fn of_user_agent(user_agent: &str) -> Device {
        let Some(ua) = woothee::parser::Parser::new().parse(user_agent) else {
            return Device::Desktop;
        };
        let tablet = ua.os == "iPad"
            || (ua.os == "Android" && !user_agent.contains("Mobile"))
            || user_agent.contains("Tablet");
        match ua.category {
            _ if tablet => Device::Tablet,
            "smartphone" | "mobilephone" => Device::Mobile,
            _ => Device::Desktop,
        }
    }
}

impl serde::Serialize for Device {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EventKind {
    Pageview,
    Click,
    Custom,
    /// A rating widget was shown, answered or dismissed (see [`crate::feedback`]).
    Feedback,
    /// How a page view went, sent once when the page is left: visible and focused
    /// time (`ms`) and the deepest scroll (`scroll`, percent). Not a touch: it is in no
    /// path or session, only in the touchpoint scorecard.
    Engagement,
    /// A sign that a touchpoint does not work: a rage click, a dead click, a
    /// JavaScript error or a failed form (its name, see [`FRICTION`]). A touch.
    Friction,
}

/// The names a friction event may have.
pub const FRICTION: [&str; 4] = ["rage-click", "dead-click", "error", "form-error"];

impl EventKind {
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Pageview => "pageview",
            EventKind::Click => "click",
            EventKind::Custom => "custom",
            EventKind::Feedback => "feedback",
            EventKind::Engagement => "engagement",
            EventKind::Friction => "friction",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pageview" => EventKind::Pageview,
            "click" => EventKind::Click,
            "custom" => EventKind::Custom,
            "feedback" => EventKind::Feedback,
            "engagement" => EventKind::Engagement,
            "friction" => EventKind::Friction,
            _ => return None,
        })
    }
}

/// The five stages of a customer journey, in journey order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, utoipa::ToSchema)]
#[schema(rename_all = "lowercase")]
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

impl serde::Serialize for Stage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
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

/// Whether `s` is 16 to 64 characters of `A-Z`, `a-z`, `0-9`, `-` or `_`: the shape of
/// event ids and of the tracker's first-party visitor ids.
pub fn is_token(s: &str) -> bool {
    (16..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Milliseconds since the Unix epoch, on the collector's clock.
pub fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}
