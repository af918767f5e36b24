//! Feedback: what a visitor answered to a rating widget, and what the scores mean.
//!
//! A widget's answer arrives as an event of type `feedback` whose `name` is the widget's
//! touchpoint and whose properties say which widget it was, what happened (shown,
//! answered, dismissed), the score and an optional comment. This module is the one place
//! that knows the widgets' scales.

use serde::Serialize;

/// The longest comment kept, in characters.
pub const MAX_COMMENT_CHARS: usize = 1000;

/// The kinds of rating widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Widget {
    /// Net Promoter Score: "How likely are you to recommend …?" 0–10.
    Nps,
    /// Customer satisfaction: 1–5.
    Csat,
    /// Customer effort: "How easy was it …?" 1 (very difficult) – 7 (very easy).
    Ces,
    /// Thumbs: 0 (down) or 1 (up).
    Thumbs,
}

impl Widget {
    pub const ALL: [Widget; 4] = [Widget::Nps, Widget::Csat, Widget::Ces, Widget::Thumbs];

    pub fn as_str(self) -> &'static str {
        match self {
            Widget::Nps => "nps",
            Widget::Csat => "csat",
            Widget::Ces => "ces",
            Widget::Thumbs => "thumbs",
        }
    }

    pub fn parse(s: &str) -> Option<Widget> {
        Widget::ALL.into_iter().find(|w| w.as_str() == s)
    }

    /// The scores this widget's scale has.
    pub fn scale(self) -> std::ops::RangeInclusive<u8> {
        match self {
            Widget::Nps => 0..=10,
            Widget::Csat => 1..=5,
            Widget::Ces => 1..=7,
            Widget::Thumbs => 0..=1,
        }
    }

    /// Whether a score is low (a detractor, dissatisfied, high effort, thumbs down),
    /// in the middle, or high.
    pub fn band(self, score: u8) -> Band {
        match (self, score) {
            (Widget::Nps, 0..=6) | (Widget::Csat, 1..=2) | (Widget::Ces, 1..=3) => Band::Low,
            (Widget::Thumbs, 0) => Band::Low,
            (Widget::Nps, 9..) | (Widget::Csat, 4..) | (Widget::Ces, 5..) => Band::High,
            (Widget::Thumbs, _) => Band::High,
            _ => Band::Mid,
        }
    }
}

/// Where a score lies on its widget's scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Low,
    Mid,
    High,
}

impl Band {
    pub fn parse(s: &str) -> Option<Band> {
        Some(match s {
            "low" => Band::Low,
            "mid" => Band::Mid,
            "high" => Band::High,
            _ => return None,
        })
    }
}

/// What happened to a widget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    Shown,
    Answered,
    Dismissed,
}

impl Outcome {
    pub fn parse(s: &str) -> Option<Outcome> {
        Some(match s {
            "shown" => Outcome::Shown,
            "answered" => Outcome::Answered,
            "dismissed" => Outcome::Dismissed,
            _ => return None,
        })
    }
}

/// A feedback event's properties, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub widget: Widget,
    pub outcome: Outcome,
    /// Set exactly when answered.
    pub score: Option<u8>,
    pub comment: Option<String>,
}

impl Answer {
    /// Reads and checks a feedback event's properties; the error says what is wrong.
    pub fn from_props(
        props: &serde_json::Map<String, serde_json::Value>,
    ) -> Result<Answer, &'static str> {
        let text = |key: &str| props.get(key).and_then(|v| v.as_str());
        let widget = text("widget")
            .and_then(Widget::parse)
            .ok_or("props.widget must be one of nps, csat, ces, thumbs")?;
        let outcome = text("outcome")
            .and_then(Outcome::parse)
            .ok_or("props.outcome must be one of shown, answered, dismissed")?;
        let score = match (outcome, props.get("score")) {
            (Outcome::Answered, Some(score)) => Some(
                score
                    .as_u64()
                    .and_then(|s| u8::try_from(s).ok())
                    .filter(|s| widget.scale().contains(s))
                    .ok_or(
                        "props.score must be a whole number on the widget's scale \
                         (nps 0-10, csat 1-5, ces 1-7, thumbs 0-1)",
                    )?,
            ),
            (Outcome::Answered, None) => return Err("props.score is required when answered"),
            (_, Some(_)) => return Err("props.score is only sent with an answer"),
            (_, None) => None,
        };
        let comment = match props.get("comment") {
            None => None,
            Some(serde_json::Value::String(c)) if outcome == Outcome::Answered => {
                let c = c.trim();
                if c.chars().count() > MAX_COMMENT_CHARS {
                    return Err("props.comment must be at most 1000 characters");
                }
                (!c.is_empty()).then(|| c.to_owned())
            }
            Some(_) => return Err("props.comment must be text, sent with an answer"),
        };
        Ok(Answer {
            widget,
            outcome,
            score,
            comment,
        })
    }

    /// From stored properties (already checked at ingest).
    pub fn from_stored(props: &str) -> Option<Answer> {
        let props: serde_json::Map<String, serde_json::Value> = serde_json::from_str(props).ok()?;
        Answer::from_props(&props).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(json: &str) -> Result<Answer, &'static str> {
        Answer::from_props(&serde_json::from_str(json).unwrap())
    }

    #[test]
    fn scales_and_bands() {
        let bands = |w: Widget| -> Vec<Band> { w.scale().map(|s| w.band(s)).collect() };
        use Band::{High as H, Low as L, Mid as M};
        assert_eq!(bands(Widget::Nps), [L, L, L, L, L, L, L, M, M, H, H]);
        assert_eq!(bands(Widget::Csat), [L, L, M, H, H]);
        assert_eq!(bands(Widget::Ces), [L, L, L, M, H, H, H]);
        assert_eq!(bands(Widget::Thumbs), [L, H]);
    }

    #[test]
    fn answers_are_checked() {
        assert_eq!(
            answer(r#"{"widget":"nps","outcome":"answered","score":9,"comment":" fast "}"#),
            Ok(Answer {
                widget: Widget::Nps,
                outcome: Outcome::Answered,
                score: Some(9),
                comment: Some("fast".into()),
            })
        );
        assert_eq!(
            answer(r#"{"widget":"thumbs","outcome":"dismissed"}"#).map(|a| a.score),
            Ok(None)
        );
        for bad in [
            r#"{"widget":"stars","outcome":"answered","score":3}"#,
            r#"{"widget":"csat","outcome":"answered","score":0}"#,
            r#"{"widget":"csat","outcome":"answered","score":2.5}"#,
            r#"{"widget":"csat","outcome":"answered"}"#,
            r#"{"widget":"csat","outcome":"shown","score":3}"#,
            r#"{"widget":"csat","outcome":"clicked"}"#,
            r#"{"widget":"csat","outcome":"dismissed","comment":"no"}"#,
        ] {
            assert!(answer(bad).is_err(), "{bad}");
        }
    }
}
