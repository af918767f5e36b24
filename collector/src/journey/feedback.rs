//! Satisfaction: the answers to rating widgets, per touchpoint, stage, channel and day;
//! their comments; what preceded low and high ratings; how often widgets get answered.
//!
//! A rating belongs to the session it was given in (from the session's first touch until
//! the next session's), so it carries that session's channel and the path that led to it;
//! the journeys' filters apply to it through its session.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Channel, Journeys, Label, Rating, collapse, ratio, round4};
use crate::event::Stage;
use crate::feedback::{Band, Widget};

/// What a feedback report looks at beyond the journeys' filters.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Only this widget.
    pub widget: Option<Widget>,
    /// Only comments of this band.
    pub band: Option<Band>,
    /// Site-defined themes to count in comments (e.g. delivery, price, Lieferung).
    pub themes: Vec<String>,
    /// How many comments to list.
    pub comments: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FeedbackResult {
    /// Every widget (kind and touchpoint): shown, answered, dismissed.
    pub widgets: Vec<WidgetRow>,
    pub overall: Scores,
    pub by_touchpoint: Vec<Keyed>,
    pub by_stage: Vec<Keyed>,
    pub by_channel: Vec<Keyed>,
    /// UTC days.
    pub by_day: Vec<Keyed>,
    pub comments: Comments,
    pub preceded: Preceded,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct WidgetRow {
    pub widget: Widget,
    pub touchpoint: String,
    pub shown: u64,
    pub answered: u64,
    pub dismissed: u64,
    /// `answered / shown` (0 when never shown).
    pub response_rate: f64,
}

/// Scores of the answers of one group, per widget kind (absent: no answers of it).
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Scores {
    pub nps: Option<Nps>,
    pub csat: Option<Csat>,
    pub ces: Option<Ces>,
    pub thumbs: Option<Thumbs>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Keyed {
    pub key: String,
    #[serde(flatten)]
    pub scores: Scores,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Nps {
    pub responses: u64,
    /// 9–10.
    pub promoters: u64,
    /// 7–8.
    pub passives: u64,
    /// 0–6.
    pub detractors: u64,
    /// Percent promoters minus percent detractors, −100 to 100.
    pub score: f64,
    /// Answers per score, 0 to 10.
    pub distribution: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Csat {
    pub responses: u64,
    /// Share of 4s and 5s.
    pub satisfied: f64,
    pub mean: f64,
    /// Answers per score, 1 to 5.
    pub distribution: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Ces {
    pub responses: u64,
    /// 1 (very difficult) to 7 (very easy).
    pub mean: f64,
    /// Answers per score, 1 to 7.
    pub distribution: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Thumbs {
    pub responses: u64,
    pub up: u64,
    pub down: u64,
    /// `up / responses`.
    pub up_ratio: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comments {
    /// Comments in the band asked for (all bands when none).
    pub total: u64,
    /// The newest ones.
    pub listed: Vec<Comment>,
    /// Words that recur (in at least two comments), stop words removed.
    pub keywords: Vec<Term>,
    /// Two-word phrases that recur.
    pub phrases: Vec<Term>,
    /// The site's themes: comments mentioning each (a word starting with it).
    pub themes: Vec<Term>,
}

/// A comment: plain text, never markup.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Comment {
    pub ts: i64,
    pub widget: Widget,
    pub touchpoint: String,
    pub score: u8,
    pub band: Band,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Term {
    pub term: String,
    /// Comments it occurs in.
    pub comments: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Preceded {
    /// Answers in the low band (detractors, CSAT 1–2, CES 1–3, thumbs down).
    pub low: u64,
    /// Answers in the high band (promoters, CSAT 4–5, CES 5–7, thumbs up).
    pub high: u64,
    /// The most common paths of the session up to a low answer.
    pub low_paths: Vec<PrecedingPath>,
    pub high_paths: Vec<PrecedingPath>,
    /// Touchpoints on the way to more of the low answers than of the high ones, by the
    /// difference of the shares.
    pub over_represented: Vec<Representation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct PrecedingPath {
    pub steps: Vec<String>,
    pub count: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Representation {
    pub touchpoint: String,
    /// Share of the low answers whose session passed through it before the answer.
    pub low_share: f64,
    pub high_share: f64,
}

/// How many preceding paths and over-represented touchpoints are listed.
const TOP: usize = 5;
const TOP_TERMS: usize = 10;

/// Score counts of one group: per widget, answers per score.
#[derive(Default, Clone)]
struct Tally([Vec<u64>; 4]);

impl Tally {
    fn add(&mut self, widget: Widget, score: u8) {
        let counts = &mut self.0[widget as usize];
        if counts.is_empty() {
            counts.resize(usize::from(*widget.scale().end()) + 1, 0);
        }
        counts[usize::from(score)] += 1;
    }

    fn scores(&self) -> Scores {
        let of = |w: Widget| {
            let counts = &self.0[w as usize];
            let scale = w.scale();
            let distribution: Vec<u64> = scale
                .clone()
                .map(|s| counts.get(usize::from(s)).copied().unwrap_or(0))
                .collect();
            let responses: u64 = distribution.iter().sum();
            let sum: u64 = scale
                .clone()
                .zip(&distribution)
                .map(|(s, n)| u64::from(s) * n)
                .sum();
            let in_band = |band: Band| -> u64 {
                scale
                    .clone()
                    .zip(&distribution)
                    .filter(|(s, _)| w.band(*s) == band)
                    .map(|(_, n)| n)
                    .sum()
            };
            let bands = [in_band(Band::Low), in_band(Band::Mid), in_band(Band::High)];
            (responses > 0).then_some((responses, sum, distribution, bands[0], bands[1], bands[2]))
        };
        Scores {
            nps: of(Widget::Nps).map(|(responses, _, distribution, low, mid, high)| Nps {
                responses,
                promoters: high,
                passives: mid,
                detractors: low,
                score: round4(100.0 * (high as f64 - low as f64) / responses as f64),
                distribution,
            }),
            csat: of(Widget::Csat).map(|(responses, sum, distribution, _, _, high)| Csat {
                responses,
                satisfied: ratio(high as f64, responses as f64),
                mean: ratio(sum as f64, responses as f64),
                distribution,
            }),
            ces: of(Widget::Ces).map(|(responses, sum, distribution, ..)| Ces {
                responses,
                mean: ratio(sum as f64, responses as f64),
                distribution,
            }),
            thumbs: of(Widget::Thumbs).map(|(responses, _, distribution, ..)| Thumbs {
                responses,
                up: distribution[1],
                down: distribution[0],
                up_ratio: ratio(distribution[1] as f64, responses as f64),
            }),
        }
    }
}

pub fn feedback(journeys: &Journeys, options: &Options) -> FeedbackResult {
    let table = journeys.table();
    let mut widgets: BTreeMap<(Widget, Label), [u64; 3]> = BTreeMap::new();
    let mut overall = Tally::default();
    let mut by_touchpoint: BTreeMap<Label, Tally> = BTreeMap::new();
    let mut by_stage: BTreeMap<Stage, Tally> = BTreeMap::new();
    let mut by_channel: BTreeMap<Channel, Tally> = BTreeMap::new();
    let mut by_day: BTreeMap<i64, Tally> = BTreeMap::new();
    // (ts, rating) of every comment in the band asked for.
    let mut comments: Vec<(&Rating, Label)> = Vec::new();
    let mut paths: [BTreeMap<Vec<Label>, u64>; 2] = Default::default();
    let mut passed: [Vec<u64>; 2] = [
        vec![0; journeys.labels_len()],
        vec![0; journeys.labels_len()],
    ];
    let mut answers_in = [0u64; 2];
    journeys.for_each_visitor(|visitor| {
        for session in visitor.sessions() {
            for rating in session.ratings {
                if options.widget.is_some_and(|w| w != rating.widget) {
                    continue;
                }
                let label = journeys.label_of(rating.touchpoint);
                let counts = widgets.entry((rating.widget, label)).or_default();
                counts[rating.outcome as usize] += 1;
                let Some(score) = rating.score else { continue };
                overall.add(rating.widget, score);
                by_touchpoint
                    .entry(label)
                    .or_default()
                    .add(rating.widget, score);
                // Its own stage, else the stage of the session's last staged touch before it.
                let stage = rating.stage.or_else(|| {
                    session
                        .touches
                        .iter()
                        .take_while(|t| t.ts <= rating.ts)
                        .filter_map(|t| t.stage)
                        .last()
                });
                if let Some(stage) = stage {
                    by_stage.entry(stage).or_default().add(rating.widget, score);
                }
                by_channel
                    .entry(session.channel)
                    .or_default()
                    .add(rating.widget, score);
                by_day
                    .entry(rating.ts.div_euclid(86_400_000))
                    .or_default()
                    .add(rating.widget, score);
                let band = rating.widget.band(score);
                if rating.comment.is_some() && options.band.is_none_or(|b| b == band) {
                    comments.push((rating, label));
                }
                let side = match band {
                    Band::Low => 0,
                    Band::High => 1,
                    Band::Mid => continue,
                };
                answers_in[side] += 1;
                let before = session
                    .touches
                    .iter()
                    .take_while(|t| t.ts <= rating.ts)
                    .count();
                let path = collapse(session.labels[..before].iter().copied());
                let distinct: BTreeSet<Label> = path.iter().copied().collect();
                for label in distinct {
                    passed[side][label.index()] += 1;
                }
                *paths[side].entry(path).or_default() += 1;
            }
        }
    });
    let keyed = |key: String, tally: &Tally| Keyed {
        key,
        scores: tally.scores(),
    };
    let mut by_touchpoint: Vec<Keyed> = by_touchpoint
        .iter()
        .map(|(label, tally)| keyed(journeys.name(*label).to_owned(), tally))
        .collect();
    by_touchpoint.sort_by(|a, b| a.key.cmp(&b.key));
    let preceding = |paths: &BTreeMap<Vec<Label>, u64>| -> Vec<PrecedingPath> {
        let mut named: Vec<PrecedingPath> = paths
            .iter()
            .map(|(path, count)| PrecedingPath {
                steps: path.iter().map(|l| journeys.name(*l).to_owned()).collect(),
                count: *count,
            })
            .collect();
        named.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.steps.cmp(&b.steps)));
        named.truncate(TOP);
        named
    };
    let mut over_represented: Vec<Representation> = (0..journeys.labels_len())
        .map(|i| Representation {
            touchpoint: journeys.name(Label::from_index(i)).to_owned(),
            low_share: ratio(passed[0][i] as f64, answers_in[0] as f64),
            high_share: ratio(passed[1][i] as f64, answers_in[1] as f64),
        })
        .filter(|r| r.low_share > r.high_share)
        .collect();
    over_represented.sort_by(|a, b| {
        (b.low_share - b.high_share)
            .total_cmp(&(a.low_share - a.high_share))
            .then_with(|| a.touchpoint.cmp(&b.touchpoint))
    });
    over_represented.truncate(TOP);
    comments.sort_by(|(a, _), (b, _)| {
        b.ts.cmp(&a.ts)
            .then_with(|| table.rating_id(a).cmp(table.rating_id(b)))
    });
    let texts: Vec<&str> = comments
        .iter()
        .filter_map(|(r, _)| r.comment.map(|c| table.text(c)))
        .collect();
    let terms = terms(&texts, &options.themes);
    FeedbackResult {
        widgets: widgets
            .into_iter()
            .map(
                |((widget, label), [shown, answered, dismissed])| WidgetRow {
                    widget,
                    touchpoint: journeys.name(label).to_owned(),
                    shown,
                    answered,
                    dismissed,
                    response_rate: ratio(answered as f64, shown as f64),
                },
            )
            .collect(),
        overall: overall.scores(),
        by_touchpoint,
        by_stage: by_stage
            .iter()
            .map(|(stage, tally)| keyed(stage.as_str().to_owned(), tally))
            .collect(),
        by_channel: by_channel
            .iter()
            .map(|(channel, tally)| keyed(channel.as_str().to_owned(), tally))
            .collect(),
        by_day: by_day
            .iter()
            .map(|(day, tally)| {
                let date = jiff::Timestamp::from_millisecond(day * 86_400_000)
                    .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date().to_string())
                    .unwrap_or_default();
                keyed(date, tally)
            })
            .collect(),
        comments: Comments {
            total: comments.len() as u64,
            listed: comments
                .iter()
                .take(options.comments)
                .filter_map(|(r, label)| {
                    let score = r.score?;
                    Some(Comment {
                        ts: r.ts,
                        widget: r.widget,
                        touchpoint: journeys.name(*label).to_owned(),
                        score,
                        band: r.widget.band(score),
                        text: table.text(r.comment?).to_owned(),
                    })
                })
                .collect(),
            keywords: terms.keywords,
            phrases: terms.phrases,
            themes: terms.themes,
        },
        preceded: Preceded {
            low: answers_in[0],
            high: answers_in[1],
            low_paths: preceding(&paths[0]),
            high_paths: preceding(&paths[1]),
            over_represented,
        },
    }
}

struct Terms {
    keywords: Vec<Term>,
    phrases: Vec<Term>,
    themes: Vec<Term>,
}

/// Recurring words and two-word phrases of comments (German and English stop words
/// and words shorter than three letters left out), and how many comments mention each
/// theme.
fn terms(comments: &[&str], themes: &[String]) -> Terms {
    use unicode_segmentation::UnicodeSegmentation;
    let stop: BTreeSet<&str> = stop_words::get("en")
        .iter()
        .chain(stop_words::get("de"))
        .copied()
        .collect();
    let mut words: BTreeMap<String, u64> = BTreeMap::new();
    let mut pairs: BTreeMap<String, u64> = BTreeMap::new();
    let mut mentioned = vec![0u64; themes.len()];
    let themes_lower: Vec<String> = themes.iter().map(|t| t.to_lowercase()).collect();
    for comment in comments {
        let all: Vec<String> = comment.unicode_words().map(str::to_lowercase).collect();
        let kept: Vec<&str> = all
            .iter()
            .map(String::as_str)
            .filter(|w| {
                w.chars().count() >= 3 && !stop.contains(w) && !w.chars().all(|c| c.is_numeric())
            })
            .collect();
        for word in kept.iter().copied().collect::<BTreeSet<&str>>() {
            *words.entry(word.to_owned()).or_default() += 1;
        }
        let bigrams: BTreeSet<String> = kept
            .windows(2)
            .map(|w| format!("{} {}", w[0], w[1]))
            .collect();
        for pair in bigrams {
            *pairs.entry(pair).or_default() += 1;
        }
        for (i, theme) in themes_lower.iter().enumerate() {
            if all.iter().any(|w| w.starts_with(theme.as_str())) {
                mentioned[i] += 1;
            }
        }
    }
    let recurring = |counts: BTreeMap<String, u64>| -> Vec<Term> {
        let mut terms: Vec<Term> = counts
            .into_iter()
            .filter(|(_, n)| *n >= 2)
            .map(|(term, comments)| Term { term, comments })
            .collect();
        terms.sort_by(|a, b| {
            b.comments
                .cmp(&a.comments)
                .then_with(|| a.term.cmp(&b.term))
        });
        terms.truncate(TOP_TERMS);
        terms
    };
    Terms {
        keywords: recurring(words),
        phrases: recurring(pairs),
        themes: themes
            .iter()
            .zip(mentioned)
            .map(|(term, comments)| Term {
                term: term.clone(),
                comments,
            })
            .collect(),
    }
}
