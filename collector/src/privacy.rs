//! A visitor's rights: find their events, export them, delete them.
//!
//! A visitor is named either by the id reports show (16 hex digits) or by the
//! first-party id the tracker keeps after consent (`spur.consent(true)`), which the
//! collector turns into the same visitor id it stored.

use serde::Serialize;

use crate::event::Event;
use crate::journey::visitor_hex;
use crate::store::Store;
use crate::visitor;

/// How a request names a visitor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Who {
    /// The visitor id as reports show it.
    Id(u64),
    /// The tracker's first-party id (consent mode).
    Uid(String),
    /// The site's reference for a customer it identified (`spur.identify`).
    Customer(String),
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum WhoError {
    #[error("give exactly one of `id` (16 hex digits), `uid` and `customer`")]
    NeitherOrBoth,
    #[error("`id` must be 16 hex digits")]
    BadId,
    #[error("`uid` must be 16 to 64 characters of A-Z, a-z, 0-9, '-' or '_'")]
    BadUid,
    #[error("`customer` must be 1 to 128 characters, not blank, without control characters")]
    BadCustomer,
}

impl Who {
    pub fn parse(
        id: Option<&str>,
        uid: Option<&str>,
        customer: Option<&str>,
    ) -> Result<Who, WhoError> {
        match (id, uid, customer) {
            (Some(id), None, None) => parse_visitor_id(id).map(Who::Id).ok_or(WhoError::BadId),
            (None, Some(uid), None) if visitor::valid_uid(uid) => Ok(Who::Uid(uid.to_owned())),
            (None, Some(_), None) => Err(WhoError::BadUid),
            (None, None, Some(c)) if visitor::valid_customer(c) => Ok(Who::Customer(c.to_owned())),
            (None, None, Some(_)) => Err(WhoError::BadCustomer),
            _ => Err(WhoError::NeitherOrBoth),
        }
    }
}

pub fn parse_visitor_id(text: &str) -> Option<u64> {
    if text.len() != 16 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u64::from_str_radix(text, 16).ok()
}

/// The stored visitor id `who` stands for on `site`.
pub fn resolve(store: &dyn Store, site: &str, who: &Who) -> anyhow::Result<u64> {
    Ok(match who {
        Who::Id(id) => *id,
        Who::Uid(uid) => visitor::consented_id(&store.secret(visitor::SECRET_NAME)?, site, uid),
        Who::Customer(customer) => {
            visitor::identified_id(&store.secret(visitor::SECRET_NAME)?, site, customer)
        }
    })
}

/// Everything stored about one visitor of one site.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Export {
    pub site: String,
    pub visitor: String,
    pub events: Vec<ExportedEvent>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ExportedEvent {
    pub id: String,
    /// RFC 3339, UTC.
    pub time: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub touchpoint: String,
    pub stage: Option<&'static str>,
    pub url: String,
    pub referrer: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub utm_campaign: Option<String>,
    pub utm_term: Option<String>,
    pub utm_content: Option<String>,
    pub props: Option<serde_json::Value>,
}

impl From<Event> for ExportedEvent {
    fn from(e: Event) -> ExportedEvent {
        let time = jiff::Timestamp::from_millisecond(e.ts)
            .map(|t| t.to_string())
            .unwrap_or_default();
        ExportedEvent {
            id: e.id,
            time,
            kind: e.kind.as_str(),
            touchpoint: e.touchpoint,
            stage: e.stage.map(|s| s.as_str()),
            url: e.url,
            referrer: e.referrer,
            utm_source: e.utm.source,
            utm_medium: e.utm.medium,
            utm_campaign: e.utm.campaign,
            utm_term: e.utm.term,
            utm_content: e.utm.content,
            props: e.props.and_then(|p| serde_json::from_str(&p).ok()),
        }
    }
}

pub fn export(store: &dyn Store, site: &str, visitor: u64) -> anyhow::Result<Export> {
    Ok(Export {
        site: site.to_owned(),
        visitor: visitor_hex(visitor),
        events: store
            .visitor_events(site, visitor)?
            .into_iter()
            .map(ExportedEvent::from)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visitor_ids_round_trip_and_who_is_strict() {
        for id in [0, 1, u64::MAX, 0x0123_4567_89ab_cdef] {
            assert_eq!(parse_visitor_id(&visitor_hex(id)), Some(id));
        }
        assert_eq!(parse_visitor_id("123"), None);
        assert_eq!(parse_visitor_id("zzzzzzzzzzzzzzzz"), None);
        assert_eq!(parse_visitor_id("+123456789abcdef"), None);
        assert_eq!(Who::parse(None, None, None), Err(WhoError::NeitherOrBoth));
        assert_eq!(
            Who::parse(Some("0000000000000001"), Some("abcdefghijklmnop"), None),
            Err(WhoError::NeitherOrBoth)
        );
        assert_eq!(
            Who::parse(None, Some("abcdefghijklmnop"), Some("c-1")),
            Err(WhoError::NeitherOrBoth)
        );
        assert_eq!(Who::parse(Some("1"), None, None), Err(WhoError::BadId));
        assert_eq!(Who::parse(None, Some("short"), None), Err(WhoError::BadUid));
        assert_eq!(
            Who::parse(None, Some("abcdefghijklmnop"), None),
            Ok(Who::Uid("abcdefghijklmnop".into()))
        );
        assert_eq!(
            Who::parse(None, None, Some("Kunde 4711")),
            Ok(Who::Customer("Kunde 4711".into()))
        );
        assert_eq!(
            Who::parse(None, None, Some("  ")),
            Err(WhoError::BadCustomer)
        );
        assert_eq!(
            Who::parse(None, None, Some("a\nb")),
            Err(WhoError::BadCustomer)
        );
    }
}
