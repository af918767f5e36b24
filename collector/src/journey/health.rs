//! How each touchpoint works for the people who reach it: engaged time and scroll depth
//! (from engagement events) and friction (rage clicks, dead clicks, errors, failed forms)
//! per page and per stage, and the pages whose friction rose most in the period.
//!
//! A friction event counts for the page it happened on: the visitor's last page view
//! before it. Rates are friction events per page view of that page. The period is
//! halved: a page's rise is its rate in the second half minus its rate in the first.
//! Only the time range and the device filter apply here (engagement events are not
//! part of sessions).

use serde::Serialize;

use super::{Journeys, Label, median_ms};
use crate::event::{EventKind, Stage};

/// A page's (or a stage's) engagement and friction.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Health {
    pub page_views: u64,
    /// Page views that reported their engagement.
    pub engaged_views: u64,
    /// Median visible, focused time of a page view.
    pub median_engaged_ms: Option<i64>,
    /// Median deepest scroll of a page view, percent of the page.
    pub median_scroll: Option<i64>,
    pub rage_clicks: u64,
    pub dead_clicks: u64,
    pub errors: u64,
    pub form_errors: u64,
    /// Friction events per page view (0 without page views).
    pub friction_rate: f64,
    /// Rage clicks, dead clicks and errors per page view.
    pub rage_click_rate: f64,
    pub dead_click_rate: f64,
    pub error_rate: f64,
}

/// A page whose friction rose within the period.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Rising {
    pub touchpoint: String,
    /// Friction per page view in the first half of the period.
    pub before: f64,
    /// In the second half.
    pub after: f64,
    pub change: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct StageHealth {
    pub stage: Stage,
    #[serde(flatten)]
    pub health: Health,
}

#[derive(Default, Clone)]
struct Counts {
    page_views: u64,
    half_views: [u64; 2],
    engaged_ms: Vec<i64>,
    scroll: Vec<i64>,
    friction: [u64; 4],
    half_friction: [u64; 2],
}

impl Counts {
    fn health(self) -> Health {
        let friction: u64 = self.friction.iter().sum();
        Health {
            page_views: self.page_views,
            engaged_views: self.engaged_ms.len() as u64,
            median_engaged_ms: median_ms(self.engaged_ms),
            median_scroll: median_ms(self.scroll),
            rage_clicks: self.friction[0],
            dead_clicks: self.friction[1],
            errors: self.friction[2],
            form_errors: self.friction[3],
            friction_rate: super::ratio(friction as f64, self.page_views as f64),
            rage_click_rate: super::ratio(self.friction[0] as f64, self.page_views as f64),
            dead_click_rate: super::ratio(self.friction[1] as f64, self.page_views as f64),
            error_rate: super::ratio(self.friction[2] as f64, self.page_views as f64),
        }
    }

    fn is_empty(&self) -> bool {
        self.page_views == 0 && self.engaged_ms.is_empty() && self.friction == [0; 4]
    }
}

/// What [`health`] found: per label, per stage, and the rising pages.
pub struct Found {
    pub by_label: Vec<Option<Health>>,
    pub stages: Vec<StageHealth>,
    pub rising: Vec<Rising>,
}

/// How many rising pages are listed.
const RISING: usize = 5;

/// One pass over the table's rows in the range; `None` when the site never sent an
/// engagement or friction event.
pub fn health(journeys: &Journeys) -> Option<Found> {
    let table = journeys.table();
    if !table.has_health() {
        return None;
    }
    let n = journeys.labels_len();
    let mut pages = vec![Counts::default(); n];
    let mut stages = vec![Counts::default(); Stage::ALL.len()];
    let range = journeys.range();
    let middle = range.start + (range.end - range.start) / 2;
    let mut visitor = None;
    let mut last_page: Option<(Label, Option<Stage>)> = None;
    let stage_index = |s: Stage| Stage::ALL.iter().position(|x| *x == s);
    for row in journeys.all_rows() {
        if visitor != Some(row.visitor) {
            visitor = Some(row.visitor);
            last_page = None;
        }
        let half = usize::from(row.ts >= middle);
        let label = journeys.label_of(row.touchpoint);
        match row.kind {
            EventKind::Pageview => {
                let page = &mut pages[label.index()];
                page.page_views += 1;
                page.half_views[half] += 1;
                if let Some(i) = row.stage.and_then(stage_index) {
                    stages[i].page_views += 1;
                }
                last_page = Some((label, row.stage));
            }
            EventKind::Engagement => {
                let Some((ms, scroll)) = table.engagement(row) else {
                    continue;
                };
                let stage = row.stage.and_then(stage_index);
                for counts in
                    std::iter::once(&mut pages[label.index()]).chain(stage.map(|i| &mut stages[i]))
                {
                    counts.engaged_ms.push(i64::from(ms));
                    counts.scroll.push(i64::from(scroll));
                }
            }
            EventKind::Friction => {
                let Some(kind) = crate::event::FRICTION
                    .iter()
                    .position(|f| *f == table.text(row.touchpoint))
                else {
                    continue;
                };
                let Some((page, stage)) = last_page else {
                    continue;
                };
                let counts = &mut pages[page.index()];
                counts.friction[kind] += 1;
                counts.half_friction[half] += 1;
                if let Some(i) = stage.and_then(stage_index) {
                    stages[i].friction[kind] += 1;
                }
            }
            _ => {}
        }
    }
    let mut rising: Vec<Rising> = pages
        .iter()
        .enumerate()
        .filter(|(_, c)| c.half_views[0] > 0 && c.half_views[1] > 0)
        .map(|(i, c)| {
            let rate = |h: usize| super::ratio(c.half_friction[h] as f64, c.half_views[h] as f64);
            Rising {
                touchpoint: journeys.name(Label::from_index(i)).to_owned(),
                before: rate(0),
                after: rate(1),
                change: rate(1) - rate(0),
            }
        })
        .filter(|r| r.change > 0.0)
        .collect();
    rising.sort_by(|a, b| {
        b.change
            .total_cmp(&a.change)
            .then_with(|| a.touchpoint.cmp(&b.touchpoint))
    });
    rising.truncate(RISING);
    Some(Found {
        by_label: pages
            .into_iter()
            .map(|c| (!c.is_empty()).then(|| c.health()))
            .collect(),
        stages: Stage::ALL
            .iter()
            .zip(stages)
            .filter(|(_, c)| !c.is_empty())
            .map(|(stage, c)| StageHealth {
                stage: *stage,
                health: c.health(),
            })
            .collect(),
        rising,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journey::{Rules, Table, Touch, people, prepare};

    const MINUTE: i64 = 60_000;

    fn touch(visitor: u64, minute: i64, kind: EventKind, name: &str, props: &str) -> Touch {
        Touch {
            visitor,
            ts: minute * MINUTE,
            id: format!("{visitor:08}-{minute:06}-{name}"),
            kind,
            touchpoint: name.into(),
            stage: match name {
                "product" => Some(Stage::Consideration),
                "cart" => Some(Stage::Purchase),
                _ => None,
            },
            url: "https://shop.example/".into(),
            props: (!props.is_empty()).then(|| props.to_owned()),
            ..Touch::default()
        }
    }

    /// Worked out by hand: the period is minutes 0–120 (halves at 60).
    /// product: viewed at 1 (first half) and 70 (second); engaged 30 s / 80 % and
    /// 10 s / 20 % → medians 20 000 ms and 50 %; a rage click and an error after the
    /// first view (first half: 2 per view), a dead click after the second (second
    /// half: 1 per view); rate 3/2 = 1.5, change −1 (not rising).
    /// cart: viewed at 72, engaged 5 s / 100 %, a failed form at 73 and at 10 a view
    /// in the first half without friction → rate 1/2, rising from 0 to 1.
    fn fixture() -> Vec<Touch> {
        use EventKind::{Engagement as E, Friction as F, Pageview as P};
        vec![
            touch(1, 1, P, "product", ""),
            touch(1, 2, E, "product", r#"{"ms":30000,"scroll":80}"#),
            touch(1, 3, F, "rage-click", r#"{"target":"add-to-cart"}"#),
            touch(1, 4, F, "error", r#"{"message":"x is undefined"}"#),
            touch(3, 10, P, "cart", ""),
            touch(2, 70, P, "product", ""),
            touch(2, 71, F, "dead-click", ""),
            touch(2, 71, E, "product", r#"{"ms":10000,"scroll":20}"#),
            touch(2, 72, P, "cart", ""),
            touch(2, 73, F, "form-error", ""),
            touch(2, 74, E, "cart", r#"{"ms":5000,"scroll":100}"#),
            // Outside the period.
            touch(2, 500, F, "rage-click", ""),
        ]
    }

    #[test]
    fn fixture_gives_the_figures_worked_out_by_hand() {
        let table = Table::of(fixture());
        let journeys = prepare(&table, 0..120 * MINUTE, Rules::new(30 * MINUTE));
        let result = people::touchpoints(&journeys);
        let health = |name: &str| {
            result
                .touchpoints
                .iter()
                .find(|t| t.touchpoint == name)
                .and_then(|t| t.health.clone())
                .unwrap_or_else(|| panic!("{name}: {result:?}"))
        };
        assert_eq!(
            health("product"),
            Health {
                page_views: 2,
                engaged_views: 2,
                median_engaged_ms: Some(20_000),
                median_scroll: Some(50),
                rage_clicks: 1,
                dead_clicks: 1,
                errors: 1,
                form_errors: 0,
                friction_rate: 1.5,
                rage_click_rate: 0.5,
                dead_click_rate: 0.5,
                error_rate: 0.5,
            }
        );
        assert_eq!(
            health("cart"),
            Health {
                page_views: 2,
                engaged_views: 1,
                median_engaged_ms: Some(5_000),
                median_scroll: Some(100),
                rage_clicks: 0,
                dead_clicks: 0,
                errors: 0,
                form_errors: 1,
                friction_rate: 0.5,
                rage_click_rate: 0.0,
                dead_click_rate: 0.0,
                error_rate: 0.0,
            }
        );
        assert_eq!(
            result.friction_rising,
            [Rising {
                touchpoint: "cart".into(),
                before: 0.0,
                after: 1.0,
                change: 1.0,
            }]
        );
        let stages: Vec<(Stage, u64, u64)> = result
            .stages
            .iter()
            .map(|s| {
                (
                    s.stage,
                    s.health.page_views,
                    s.health.rage_clicks + s.health.errors,
                )
            })
            .collect();
        assert_eq!(
            stages,
            [(Stage::Consideration, 2, 2), (Stage::Purchase, 2, 0)]
        );
        // Friction events are touches (in paths and timelines); engagement is not.
        let sessions: Vec<Vec<&str>> = {
            let mut all = Vec::new();
            journeys.for_each_visitor(|v| {
                for s in v.sessions() {
                    all.push(s.touches.iter().map(|t| table.text(t.touchpoint)).collect());
                }
            });
            all
        };
        assert_eq!(
            sessions,
            [
                vec!["product", "rage-click", "error"],
                vec!["product", "dead-click", "cart", "form-error"],
                vec!["cart"],
            ]
        );
    }

    #[test]
    fn sites_without_engagement_or_friction_get_no_health() {
        let table = Table::of(vec![touch(1, 1, EventKind::Pageview, "product", "")]);
        let journeys = prepare(&table, 0..120 * MINUTE, Rules::new(30 * MINUTE));
        let result = people::touchpoints(&journeys);
        assert_eq!(result.touchpoints[0].health, None);
        assert!(result.stages.is_empty() && result.friction_rising.is_empty());
    }
}
