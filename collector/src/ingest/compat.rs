//! Drop-in ingestion: events in the shapes Plausible's and Umami's scripts send, turned
//! into a batch of Spur's wire format, so that a site can point its existing script at
//! Spur while it switches. From there on they take the tracker's path (site and origin
//! checks, rate limits, bots, the daily visitor hash, validation, the writer).
//!
//! - Plausible, `POST /api/event`: `{"name", "url", "domain", "referrer", "props",
//!   "revenue": {"amount", "currency"}, "interactive"}`, or the script's short keys
//!   (`n`, `u`, `d`, `r`, `p`, `$`, `i`, `h`). `domain` names the Spur site (a
//!   comma-separated list: the first that is a site).
//! - Umami, `POST /api/send` (`{"type": "event", "payload": {…}}`) and `POST /api/batch`
//!   (an array of those): `payload.website` names the Spur site; `hostname` + `url`
//!   make the page's URL; `name` + `data` a custom event, no name a page view;
//!   `timestamp` (seconds) when a server sends past events.
//!
//! What is lost (see the README's *Drop-in ingestion*): these events have no id of
//! their own, so a retried request is counted twice; Plausible's `engagement` events and
//! Umami's `identify` calls are accepted and dropped; Umami's title, screen, language and
//! tag are not kept; no stage is known (the site's touchpoint rules still apply).

use serde::Deserialize;
use serde_json::{Map, Value};

use super::IngestError;
use super::wire::{Batch, VERSION, WireEvent};

/// Why a body in another tool's shape was not turned into a batch.
fn malformed(tool: &str, error: impl std::fmt::Display) -> IngestError {
    IngestError::Malformed(format!("not a {tool} event: {error}"))
}

#[derive(Deserialize)]
struct PlausibleEvent {
    #[serde(alias = "n")]
    name: String,
    #[serde(alias = "u")]
    url: String,
    #[serde(alias = "d")]
    domain: String,
    #[serde(alias = "r", default)]
    referrer: Option<String>,
    #[serde(alias = "p", alias = "m", alias = "meta", default)]
    props: Option<Map<String, Value>>,
    #[serde(alias = "$", default)]
    revenue: Option<PlausibleRevenue>,
}

#[derive(Deserialize)]
struct PlausibleRevenue {
    amount: Value,
    currency: String,
}

/// A Plausible event; `None` for an event Spur does not keep (`engagement`). `is_site`
/// picks the site among the domains a Plausible script may list.
pub fn plausible(
    body: &[u8],
    now_ms: i64,
    is_site: impl Fn(&str) -> bool,
) -> Result<Option<Batch>, IngestError> {
    let event: PlausibleEvent = super::from_json(body).map_err(|e| malformed("Plausible", e))?;
    if event.name == "engagement" {
        return Ok(None);
    }
    let mut domains = event.domain.split(',').map(str::trim);
    let first = domains.clone().next().unwrap_or_default();
    let site = domains.find(|d| is_site(d)).unwrap_or(first).to_owned();
    let mut props = event.props.unwrap_or_default();
    if let Some(revenue) = event.revenue {
        let amount = match &revenue.amount {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => s.trim().parse::<f64>().ok(),
            _ => None,
        };
        let amount =
            amount.ok_or_else(|| malformed("Plausible", "revenue.amount is not a number"))?;
        props.insert("revenue".into(), Value::from(amount));
        props.insert("currency".into(), Value::from(revenue.currency));
    }
    let (kind, name) = if event.name == "pageview" {
        ("pageview", None)
    } else {
        ("custom", Some(event.name))
    };
    Ok(Some(batch(
        site,
        now_ms,
        vec![wire_event(
            new_id(0),
            now_ms,
            kind,
            event.url,
            event.referrer,
            name,
            props,
        )],
    )))
}

#[derive(Deserialize)]
struct UmamiCall {
    #[serde(rename = "type", default = "event_type")]
    kind: String,
    payload: UmamiPayload,
}

fn event_type() -> String {
    "event".into()
}

#[derive(Deserialize)]
struct UmamiPayload {
    website: String,
    #[serde(default)]
    hostname: Option<String>,
    url: String,
    #[serde(default)]
    referrer: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    data: Option<Map<String, Value>>,
    /// Seconds since the epoch, for events sent later by a server.
    #[serde(default)]
    timestamp: Option<i64>,
}

/// One Umami call (`/api/send`); `None` for an `identify` call.
pub fn umami(body: &[u8], now_ms: i64) -> Result<Option<Batch>, IngestError> {
    let call: UmamiCall = super::from_json(body).map_err(|e| malformed("Umami", e))?;
    umami_calls(vec![call], now_ms)
}

/// Umami's `/api/batch`: an array of calls, all for one website.
pub fn umami_batch(body: &[u8], now_ms: i64) -> Result<Option<Batch>, IngestError> {
    let calls: Vec<UmamiCall> = super::from_json(body).map_err(|e| malformed("Umami batch", e))?;
    umami_calls(calls, now_ms)
}

fn umami_calls(calls: Vec<UmamiCall>, now_ms: i64) -> Result<Option<Batch>, IngestError> {
    let mut site: Option<String> = None;
    let mut events = Vec::new();
    let ids = rand::random::<u128>();
    for (index, call) in calls.into_iter().enumerate() {
        let payload = call.payload;
        match &site {
            Some(s) if *s != payload.website => {
                return Err(IngestError::InvalidBatch {
                    field: "website",
                    reason: "a batch holds the events of one website",
                });
            }
            _ => site = Some(payload.website.clone()),
        }
        if call.kind != "event" {
            continue;
        }
        let url = if payload.url.starts_with("http://") || payload.url.starts_with("https://") {
            payload.url
        } else {
            // A path on the page's host. Without a host that is one (missing, or with a
            // path in it) the event has no address and is rejected as such, rather than
            // stored under a made-up one.
            match payload
                .hostname
                .as_deref()
                .filter(|h| !h.is_empty() && url::Host::parse(h).is_ok())
            {
                Some(host) if payload.url.starts_with('/') => {
                    format!("https://{host}{}", payload.url)
                }
                Some(host) => format!("https://{host}/{}", payload.url),
                None => payload.url,
            }
        };
        let referrer = payload.referrer.filter(|r| !r.is_empty());
        let ts = payload.timestamp.map_or(now_ms, |s| s.saturating_mul(1000));
        let (kind, name) = match payload.name {
            Some(name) => ("custom", Some(name)),
            None => ("pageview", None),
        };
        events.push(wire_event(
            batch_id(ids, index),
            ts,
            kind,
            url,
            referrer,
            name,
            payload.data.unwrap_or_default(),
        ));
    }
    Ok(site
        .filter(|_| !events.is_empty())
        .map(|site| batch(site, now_ms, events)))
}

fn batch(site: String, now_ms: i64, events: Vec<WireEvent>) -> Batch {
    Batch {
        v: VERSION,
        site,
        sent_at: now_ms,
        events,
        uid: None,
        customer: None,
        dropped: None,
    }
}

/// The other tools' events carry no id: one is made here (so a retry of the same request
/// is stored twice, as it would be by those tools). The events of one request share a
/// random prefix and end in their position, so that events stamped in the same
/// millisecond keep the request's order (a journey is ordered by time, then id).
fn batch_id(random: u128, index: usize) -> String {
    format!("{:024x}{:08x}", random >> 32, index)
}

fn new_id(index: usize) -> String {
    batch_id(rand::random(), index)
}

fn wire_event(
    id: String,
    ts: i64,
    kind: &str,
    url: String,
    referrer: Option<String>,
    name: Option<String>,
    props: Map<String, Value>,
) -> WireEvent {
    WireEvent {
        id,
        ts,
        kind: kind.to_owned(),
        url,
        referrer: referrer.filter(|r| !r.is_empty()),
        name,
        stage: None,
        props: (!props.is_empty()).then_some(props),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000;

    #[test]
    fn plausible_long_and_short_keys() {
        let long = br#"{"name":"pageview","url":"https://shop.example/cart?utm_source=news","domain":"other.example,demo","referrer":"https://www.google.com/"}"#;
        let batch = plausible(long, NOW, |d| d == "demo").unwrap().unwrap();
        assert_eq!(batch.site, "demo");
        assert_eq!(batch.sent_at, NOW);
        let e = &batch.events[0];
        assert_eq!(
            (e.kind.as_str(), e.url.as_str(), e.referrer.as_deref(), e.ts),
            (
                "pageview",
                "https://shop.example/cart?utm_source=news",
                Some("https://www.google.com/"),
                NOW
            )
        );
        assert!(crate::event::is_token(&e.id));

        let short = br#"{"n":"Purchase","u":"https://shop.example/checkout","d":"demo","r":null,"p":{"plan":"box"},"$":{"amount":"49.90","currency":"EUR"}}"#;
        let batch = plausible(short, NOW, |_| false).unwrap().unwrap();
        let e = &batch.events[0];
        assert_eq!(
            (e.kind.as_str(), e.name.as_deref()),
            ("custom", Some("Purchase"))
        );
        let props = e.props.as_ref().unwrap();
        assert_eq!(props["plan"], "box");
        assert_eq!(props["revenue"], 49.9);
        assert_eq!(props["currency"], "EUR");

        let engagement =
            br#"{"n":"engagement","u":"https://shop.example/","d":"demo","sd":80,"e":12000}"#;
        assert!(plausible(engagement, NOW, |_| true).unwrap().is_none());
        for bad in [
            &b"{}"[..],
            b"[]",
            br#"{"n":"x","u":"https://a/","d":"demo","$":{"amount":"lots","currency":"EUR"}}"#,
        ] {
            assert!(matches!(
                plausible(bad, NOW, |_| true),
                Err(IngestError::Malformed(_))
            ));
        }
    }

    #[test]
    fn umami_send_and_batch() {
        let send = br#"{"type":"event","payload":{"website":"demo","hostname":"shop.example","screen":"1920x1080","language":"de-DE","title":"Cart","url":"/cart?x=1","referrer":""}}"#;
        let batch = umami(send, NOW).unwrap().unwrap();
        let e = &batch.events[0];
        assert_eq!(batch.site, "demo");
        assert_eq!(
            (e.kind.as_str(), e.url.as_str()),
            ("pageview", "https://shop.example/cart?x=1")
        );
        assert_eq!(e.referrer, None);

        let many = br#"[
            {"type":"event","payload":{"website":"demo","hostname":"shop.example","url":"/","referrer":"https://t.co/x"}},
            {"type":"identify","payload":{"website":"demo","url":"/","data":{"plan":"pro"}}},
            {"type":"event","payload":{"website":"demo","hostname":"shop.example","url":"/checkout","name":"purchase","data":{"revenue":12.5},"timestamp":1789990000}}
        ]"#;
        let batch = umami_batch(many, NOW).unwrap().unwrap();
        assert_eq!(batch.events.len(), 2, "identify is dropped");
        let purchase = &batch.events[1];
        assert_eq!(
            (purchase.kind.as_str(), purchase.name.as_deref()),
            ("custom", Some("purchase"))
        );
        assert_eq!(purchase.ts, 1_789_990_000_000);
        assert_eq!(purchase.props.as_ref().unwrap()["revenue"], 12.5);

        // A path needs the page's host: without one, or with one that is no host name,
        // the address stays relative (and ingest rejects the event for it).
        for (payload, url) in [
            (r#""url":"/cart""#, "/cart"),
            (r#""hostname":"","url":"/cart""#, "/cart"),
            (r#""hostname":"evil.example/x?","url":"/cart""#, "/cart"),
            (
                r#""hostname":"shop.example","url":"cart""#,
                "https://shop.example/cart",
            ),
        ] {
            let body = format!(r#"{{"type":"event","payload":{{"website":"demo",{payload}}}}}"#);
            let batch = umami(body.as_bytes(), NOW).unwrap().unwrap();
            assert_eq!(batch.events[0].url, url, "{body}");
        }

        let identify = br#"{"type":"identify","payload":{"website":"demo","url":"/"}}"#;
        assert!(umami(identify, NOW).unwrap().is_none());
        let mixed =
            br#"[{"payload":{"website":"a","url":"/"}},{"payload":{"website":"b","url":"/"}}]"#;
        assert!(matches!(
            umami_batch(mixed, NOW),
            Err(IngestError::InvalidBatch {
                field: "website",
                ..
            })
        ));
        assert!(matches!(
            umami(b"{\"payload\":{}}", NOW),
            Err(IngestError::Malformed(_))
        ));
    }
}
