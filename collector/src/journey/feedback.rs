//! Satisfaction: the answers to rating widgets, per touchpoint, stage, channel and day;
//! their comments; what preceded low and high ratings; how often widgets get answered.
//!
//! A rating belongs to the session it was given in (from the session's first touch until
//! the next session's), so it carries that session's channel and the path that led to it;
//! the journeys' filters apply to it through its session.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap as HashMap;

use serde::Serialize;

use super::paths::{PathTally, add, add_rows, top_counted};
use super::{Channel, Journeys, Label, Rating, ratio, round4};
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
    /// Every widget (kind and touchpoint): shown, answered, dismissed; by kind (NPS, CSAT,
    /// CES, thumbs), then touchpoint name.
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
pub struct Tally([Vec<u64>; 4]);

impl Tally {
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(Vec::is_empty)
    }

    pub fn add(&mut self, widget: Widget, score: u8) {
        let counts = &mut self.0[widget as usize];
        if counts.is_empty() {
            counts.resize(usize::from(*widget.scale().end()) + 1, 0);
        }
        counts[usize::from(score)] += 1;
    }

    /// Adds another tally's counts to this one.
    pub fn merge(&mut self, other: &Tally) {
        for (into, from) in self.0.iter_mut().zip(&other.0) {
            if into.len() < from.len() {
                into.resize(from.len(), 0);
            }
            for (a, b) in into.iter_mut().zip(from) {
                *a += b;
            }
        }
    }

    pub fn scores(&self) -> Scores {
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

/// What [`feedback`] counts, per part of the visitors.
struct Counts<'t> {
    widgets: BTreeMap<(Widget, Label), [u64; 3]>,
    overall: Tally,
    by_touchpoint: BTreeMap<Label, Tally>,
    by_stage: BTreeMap<Stage, Tally>,
    by_channel: BTreeMap<Channel, Tally>,
    by_day: BTreeMap<i64, Tally>,
    /// Every comment in the band asked for, with its touchpoint's label.
    comments: Vec<(&'t Rating, Label)>,
    /// Paths before low (0) and high (1) answers.
    paths: [Vec<PathTally>; 2],
    passed: [Vec<u64>; 2],
    answers_in: [u64; 2],
    /// Scratch space, reused from rating to rating: the path before one, and which
    /// labels it passed (`seen[label] == stamp`).
    path: Vec<Label>,
    seen: Vec<u64>,
    stamp: u64,
}

impl<'t> Counts<'t> {
    fn new(labels: usize) -> Counts<'t> {
        Counts {
            widgets: BTreeMap::new(),
            overall: Tally::default(),
            by_touchpoint: BTreeMap::new(),
            by_stage: BTreeMap::new(),
            by_channel: BTreeMap::new(),
            by_day: BTreeMap::new(),
            comments: Vec::new(),
            paths: [
                vec![PathTally::keeping_all()],
                vec![PathTally::keeping_all()],
            ],
            passed: [vec![0; labels], vec![0; labels]],
            answers_in: [0; 2],
            path: Vec::new(),
            seen: vec![0; labels],
            stamp: 0,
        }
    }

    /// Adds the counts of the next part of the visitors (in visitor order).
    fn merge(&mut self, next: Counts<'t>) {
        fn tallies<K: Ord>(into: &mut BTreeMap<K, Tally>, from: BTreeMap<K, Tally>) {
            for (key, tally) in from {
                into.entry(key).or_default().merge(&tally);
            }
        }
        for (key, counts) in next.widgets {
            add(self.widgets.entry(key).or_default(), &counts);
        }
        self.overall.merge(&next.overall);
        tallies(&mut self.by_touchpoint, next.by_touchpoint);
        tallies(&mut self.by_stage, next.by_stage);
        tallies(&mut self.by_channel, next.by_channel);
        tallies(&mut self.by_day, next.by_day);
        self.comments.extend(next.comments);
        for (side, paths) in next.paths.into_iter().enumerate() {
            self.paths[side].extend(paths);
        }
        add_rows(&mut self.passed, &next.passed);
        add(&mut self.answers_in, &next.answers_in);
    }
}

pub fn feedback(journeys: &Journeys, options: &Options) -> FeedbackResult {
    let table = journeys.table();
    let all = journeys.fold_rated_visitors(
        || Counts::new(journeys.labels_len()),
        |counts, visitor| {
            let Counts {
                widgets,
                overall,
                by_touchpoint,
                by_stage,
                by_channel,
                by_day,
                comments,
                paths,
                passed,
                answers_in,
                path,
                seen,
                stamp,
            } = counts;
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
                    path.clear();
                    for &label in &session.labels[..before] {
                        if path.last() != Some(&label) {
                            path.push(label);
                        }
                    }
                    *stamp += 1;
                    for label in path.iter() {
                        if seen[label.index()] != *stamp {
                            seen[label.index()] = *stamp;
                            passed[side][label.index()] += 1;
                        }
                    }
                    paths[side][0].add(path);
                }
            }
        },
        Counts::merge,
    );
    let Counts {
        widgets,
        overall,
        by_touchpoint,
        by_stage,
        by_channel,
        by_day,
        mut comments,
        paths,
        passed,
        answers_in,
        ..
    } = all;
    let keyed = |key: String, tally: &Tally| Keyed {
        key,
        scores: tally.scores(),
    };
    let mut by_touchpoint: Vec<Keyed> = by_touchpoint
        .iter()
        .map(|(label, tally)| keyed(journeys.name(*label).to_owned(), tally))
        .collect();
    by_touchpoint.sort_by(|a, b| a.key.cmp(&b.key));
    let [low_paths, high_paths] = paths.map(|paths| top_preceding(paths, |l| journeys.name(l)));
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
    // Newest first (ties by id); only the listed ones need their order (the terms
    // below are counted over all comments, in any order).
    let newest_first = |(a, _): &(&Rating, Label), (b, _): &(&Rating, Label)| {
        b.ts.cmp(&a.ts)
            .then_with(|| table.rating_id(a).cmp(table.rating_id(b)))
    };
    if options.comments < comments.len() {
        comments.select_nth_unstable_by(options.comments, newest_first);
        comments[..options.comments].sort_unstable_by(newest_first);
    } else {
        comments.sort_unstable_by(newest_first);
    }
    let texts: Vec<&str> = comments
        .iter()
        .filter_map(|(r, _)| r.comment.map(|c| table.text(c)))
        .collect();
    let terms = terms(&texts, &options.themes);
    // By kind, then touchpoint name: labels are numbered in the order the store
    // delivered the touchpoints, which differs between stores.
    let mut widgets: Vec<WidgetRow> = widgets
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
        .collect();
    widgets.sort_by(|a, b| (a.widget, &a.touchpoint).cmp(&(b.widget, &b.touchpoint)));
    FeedbackResult {
        widgets,
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
            low_paths,
            high_paths,
            over_represented,
        },
    }
}

/// The [`TOP`] most common of `paths`, ties by their names: only the paths that can
/// make the top are named and compared.
fn top_preceding<'n>(paths: Vec<PathTally>, name: impl Fn(Label) -> &'n str) -> Vec<PrecedingPath> {
    let names = |path: &[Label]| path.iter().map(|l| name(*l)).collect::<Vec<_>>();
    let (top, _) = top_counted(paths, TOP, |a, b| names(a).cmp(&names(b)))
        .expect("the tallies keep every path's labels");
    top.into_iter()
        .map(|(path, count)| PrecedingPath {
            steps: path.iter().map(|l| name(*l).to_owned()).collect(),
            count,
        })
        .collect()
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
    use std::ops::Range;
    use unicode_segmentation::UnicodeSegmentation;
    let stop: rustc_hash::FxHashSet<&str> = stop_words::get("en")
        .iter()
        .chain(stop_words::get("de"))
        .copied()
        .collect();
    // Equal comments ("fast delivery") have equal terms: each text is read once and
    // counted as often as it was written.
    let mut texts: HashMap<&str, u64> = HashMap::default();
    for comment in comments {
        *texts.entry(comment).or_default() += 1;
    }
    let mut words: HashMap<String, u64> = HashMap::default();
    let mut pairs: HashMap<String, u64> = HashMap::default();
    // Counts a term once per comment; allocates only for a term not seen before.
    let count = |counts: &mut HashMap<String, u64>, term: &str, n: u64| match counts.get_mut(term) {
        Some(count) => *count += n,
        None => {
            counts.insert(term.to_owned(), n);
        }
    };
    let mut mentioned = vec![0u64; themes.len()];
    let themes_lower: Vec<String> = themes.iter().map(|t| t.to_lowercase()).collect();
    // Scratch space, reused from text to text: the lower-cased text; its words, the
    // kept ones, the distinct ones and the distinct pairs, as ranges of it.
    let (mut lower, mut all, mut kept) = (String::new(), Vec::new(), Vec::new());
    let (mut distinct, mut bigrams) = (Vec::new(), Vec::new());
    let mut pair = String::new();
    for (comment, &n) in &texts {
        lower.clear();
        all.clear();
        for word in comment.unicode_words() {
            let start = lower.len();
            if word.chars().any(char::is_uppercase) {
                lower.push_str(&word.to_lowercase());
            } else {
                lower.push_str(word);
            }
            all.push(start..lower.len());
        }
        let word = |w: &Range<usize>| &lower[w.clone()];
        kept.clear();
        kept.extend(
            all.iter()
                .filter(|w| {
                    let w = word(w);
                    w.chars().nth(2).is_some()
                        && !stop.contains(w)
                        && !w.chars().all(char::is_numeric)
                })
                .cloned(),
        );
        distinct.clear();
        distinct.extend(kept.iter().cloned());
        distinct.sort_unstable_by(|a, b| word(a).cmp(word(b)));
        distinct.dedup_by(|a, b| word(a) == word(b));
        for w in &distinct {
            count(&mut words, word(w), n);
        }
        bigrams.clear();
        bigrams.extend(kept.windows(2).map(|w| (w[0].clone(), w[1].clone())));
        let pair_of = |(a, b): &(Range<usize>, Range<usize>)| (word(a), word(b));
        bigrams.sort_unstable_by(|x, y| pair_of(x).cmp(&pair_of(y)));
        bigrams.dedup_by(|x, y| pair_of(x) == pair_of(y));
        for p in &bigrams {
            let (a, b) = pair_of(p);
            pair.clear();
            pair.push_str(a);
            pair.push(' ');
            pair.push_str(b);
            count(&mut pairs, &pair, n);
        }
        for (i, theme) in themes_lower.iter().enumerate() {
            if all.iter().any(|w| word(w).starts_with(theme.as_str())) {
                mentioned[i] += n;
            }
        }
    }
    let recurring = |counts: HashMap<String, u64>| -> Vec<Term> {
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

#[cfg(test)]
mod tests {
    //! A small fixture whose every figure is computed by hand in the comments.

    use super::*;
    use crate::event::EventKind;
    use crate::journey::{Rules, Table, Touch, prepare};

    /// The top preceding paths are those of a full sort, with many ties at the cut.
    #[test]
    fn top_preceding_paths_equal_a_full_sort() {
        let names = ["b", "a", "c", "d"];
        let name = |l: Label| names[l.index()];
        for distinct in [0, 1, TOP - 1, TOP, TOP + 1, 60] {
            let paths: Vec<(Vec<Label>, u64)> = (0..distinct)
                .map(|i| {
                    let path = (0..=i / 4)
                        .map(|j| Label::from_index((i + j) % 4))
                        .collect();
                    (path, 1 + (i as u64 * 7) % 3)
                })
                .collect();
            // Counted on two parts, as two threads would.
            let mut tallies = vec![PathTally::keeping_all(), PathTally::keeping_all()];
            for (i, (path, n)) in paths.iter().enumerate() {
                for k in 0..*n {
                    tallies[(i + k as usize) % 2].add(path);
                }
            }
            let mut all: Vec<PrecedingPath> = paths
                .iter()
                .map(|(p, n)| PrecedingPath {
                    steps: p.iter().map(|l| name(*l).to_owned()).collect(),
                    count: *n,
                })
                .collect();
            all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.steps.cmp(&b.steps)));
            all.truncate(TOP);
            assert_eq!(top_preceding(tallies, name), all, "{distinct} paths");
        }
    }

    const MIN: i64 = 60_000;
    const HOUR: i64 = 60 * MIN;

    fn page(visitor: u64, minute: i64, path: &str, stage: Stage) -> Touch {
        Touch {
            visitor,
            ts: visitor as i64 * HOUR + minute * MIN,
            id: format!("p{visitor}-{minute}"),
            touchpoint: path.into(),
            stage: Some(stage),
            url: format!("https://shop.example{path}"),
            ..Touch::default()
        }
    }

    fn rating(visitor: u64, minute: i64, touchpoint: &str, props: &str, n: u8) -> Touch {
        Touch {
            visitor,
            ts: visitor as i64 * HOUR + minute * MIN,
            id: format!("r{visitor}-{minute}-{n}"),
            kind: EventKind::Feedback,
            touchpoint: touchpoint.into(),
            url: "https://shop.example/".into(),
            props: Some(props.into()),
            ..Touch::default()
        }
    }

    fn answered(widget: &str, score: u8, comment: Option<&str>) -> String {
        let comment = comment.map_or(String::new(), |c| format!(r#","comment":"{c}""#));
        format!(r#"{{"widget":"{widget}","outcome":"answered","score":{score}{comment}}}"#)
    }

    fn shown(widget: &str) -> String {
        format!(r#"{{"widget":"{widget}","outcome":"shown"}}"#)
    }

    /// Five visitors, an hour apart, all on one day.
    fn fixture() -> Vec<Touch> {
        use Stage::*;
        let mut t = vec![
            // 1, direct: / > /product > /cart, then NPS 3 (retention, said so).
            page(1, 0, "/", Awareness),
            page(1, 1, "/product", Consideration),
            page(1, 2, "/cart", Purchase),
            rating(1, 3, "after-delivery", &shown("nps"), 0),
            rating(
                1,
                3,
                "after-delivery",
                &answered("nps", 3, Some("Delivery was late and the price too high")),
                1,
            ),
            // 2, from Google: / > /product, then NPS 10.
            Touch {
                referrer: Some("https://www.google.com/".into()),
                ..page(2, 0, "/", Awareness)
            },
            page(2, 1, "/product", Consideration),
            rating(2, 2, "after-delivery", &shown("nps"), 0),
            rating(
                2,
                2,
                "after-delivery",
                &answered("nps", 10, Some("Fast delivery, great coffee")),
                1,
            ),
            // ... and CES 7 (high).
            rating(2, 3, "support", &shown("ces"), 0),
            rating(2, 3, "support", &answered("ces", 7, None), 1),
            // 3, direct: / > /faq > /cart, then NPS 5 and CSAT 2 (stage: purchase, of /cart).
            page(3, 0, "/", Awareness),
            page(3, 1, "/faq", Consideration),
            page(3, 2, "/cart", Purchase),
            rating(3, 3, "after-delivery", &shown("nps"), 0),
            rating(
                3,
                3,
                "after-delivery",
                &answered("nps", 5, Some("Lieferung kam zu spät, delivery late")),
                1,
            ),
            rating(3, 4, "checkout", &shown("csat"), 0),
            rating(3, 4, "checkout", &answered("csat", 2, None), 1),
            // 4, direct: / > /product, then CSAT 5 and thumbs up (stage: consideration).
            page(4, 0, "/", Awareness),
            page(4, 1, "/product", Consideration),
            rating(4, 2, "checkout", &shown("csat"), 0),
            rating(
                4,
                2,
                "checkout",
                &answered("csat", 5, Some("great coffee")),
                1,
            ),
            rating(4, 3, "/faq", &shown("thumbs"), 0),
            rating(4, 3, "/faq", &answered("thumbs", 1, None), 1),
            // 5: shown NPS, dismissed.
            page(5, 0, "/", Awareness),
            rating(5, 1, "after-delivery", &shown("nps"), 0),
            rating(
                5,
                1,
                "after-delivery",
                r#"{"widget":"nps","outcome":"dismissed"}"#,
                1,
            ),
            // ... and CES 4 (in the middle).
            rating(5, 2, "support", &shown("ces"), 0),
            rating(5, 2, "support", &answered("ces", 4, None), 1),
        ];
        t[4].stage = Some(Retention);
        t
    }

    fn report(options: Options) -> FeedbackResult {
        let table = Table::of(fixture());
        let journeys = prepare(&table, i64::MIN..i64::MAX, Rules::new(30 * MIN));
        feedback(&journeys, &options)
    }

    #[test]
    fn widgets_are_listed_by_kind_then_touchpoint_name() {
        // The touchpoints' labels are numbered as the store delivers them: `zeta` first.
        let mut touches = vec![
            rating(1, 1, "zeta", &shown("csat"), 0),
            rating(1, 2, "alpha", &shown("csat"), 0),
            rating(1, 3, "beta", &shown("nps"), 0),
        ];
        for (i, t) in touches.iter_mut().enumerate() {
            t.id = format!("{i}");
        }
        touches.push(page(1, 0, "/", Stage::Awareness));
        let table = Table::of(touches);
        let journeys = prepare(&table, i64::MIN..i64::MAX, Rules::new(30 * MIN));
        let listed: Vec<(Widget, String)> = feedback(&journeys, &all())
            .widgets
            .into_iter()
            .map(|w| (w.widget, w.touchpoint))
            .collect();
        assert_eq!(
            listed,
            [
                (Widget::Nps, "beta".to_owned()),
                (Widget::Csat, "alpha".to_owned()),
                (Widget::Csat, "zeta".to_owned()),
            ]
        );
    }

    #[test]
    fn the_figures_do_not_depend_on_how_the_visitors_are_cut() {
        let table = Table::of(fixture());
        let whole = feedback(
            &prepare(&table, i64::MIN..i64::MAX, Rules::new(30 * MIN)),
            &all(),
        );
        assert!(whole.comments.total > 1 && whole.overall.nps.is_some());
        for parts in 2..=5 {
            assert!(table.parts(parts).len() > 1, "the fixture is cut");
            let journeys =
                prepare(&table, i64::MIN..i64::MAX, Rules::new(30 * MIN)).split_into(parts);
            assert_eq!(feedback(&journeys, &all()), whole, "{parts} parts");
        }
    }

    fn all() -> Options {
        Options {
            comments: 10,
            themes: vec!["delivery".into(), "price".into(), "Lieferung".into()],
            ..Options::default()
        }
    }

    #[test]
    fn scores_by_widget_touchpoint_stage_channel_and_day() {
        let r = report(all());
        // NPS 3, 10, 5: one promoter, two detractors: (1 - 2) / 3 = -33.3333.
        let nps = r.overall.nps.clone().unwrap();
        assert_eq!(
            (nps.responses, nps.promoters, nps.passives, nps.detractors),
            (3, 1, 0, 2)
        );
        assert_eq!(nps.score, -33.3333);
        assert_eq!(nps.distribution, [0, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1]);
        // CSAT 2 and 5: half satisfied, mean 3.5.
        let csat = r.overall.csat.clone().unwrap();
        assert_eq!((csat.responses, csat.satisfied, csat.mean), (2, 0.5, 3.5));
        assert_eq!(csat.distribution, [0, 1, 0, 0, 1]);
        // CES 7 and 4: mean 5.5.
        let ces = r.overall.ces.clone().unwrap();
        assert_eq!((ces.responses, ces.mean), (2, 5.5));
        assert_eq!(ces.distribution, [0, 0, 0, 1, 0, 0, 1]);
        let thumbs = r.overall.thumbs.clone().unwrap();
        assert_eq!((thumbs.up, thumbs.down, thumbs.up_ratio), (1, 0, 1.0));
        // Shown 4 times, answered 3, dismissed once.
        let widgets: Vec<(Widget, &str, u64, u64, u64, f64)> = r
            .widgets
            .iter()
            .map(|w| {
                (
                    w.widget,
                    w.touchpoint.as_str(),
                    w.shown,
                    w.answered,
                    w.dismissed,
                    w.response_rate,
                )
            })
            .collect();
        assert_eq!(
            widgets,
            [
                (Widget::Nps, "after-delivery", 4, 3, 1, 0.75),
                (Widget::Csat, "checkout", 2, 2, 0, 1.0),
                (Widget::Ces, "support", 2, 2, 0, 1.0),
                (Widget::Thumbs, "/faq", 1, 1, 0, 1.0),
            ]
        );
        let nps_of = |rows: &[Keyed]| -> Vec<(String, f64)> {
            rows.iter()
                .filter_map(|k| Some((k.key.clone(), k.scores.nps.as_ref()?.score)))
                .collect()
        };
        // Stages: 1 said retention; 2's last staged touch is /product, 3's /cart.
        assert_eq!(
            nps_of(&r.by_stage),
            [
                ("consideration".into(), 100.0),
                ("purchase".into(), -100.0),
                ("retention".into(), -100.0)
            ]
        );
        assert_eq!(
            nps_of(&r.by_channel),
            [("search".into(), 100.0), ("direct".into(), -100.0)]
        );
        assert_eq!(nps_of(&r.by_day), [("1970-01-01".into(), -33.3333)]);
        let keys: Vec<&str> = r.by_touchpoint.iter().map(|k| k.key.as_str()).collect();
        assert_eq!(keys, ["/faq", "after-delivery", "checkout", "support"]);
    }

    #[test]
    fn comments_keywords_phrases_and_themes() {
        let r = report(all());
        let c = &r.comments;
        assert_eq!(c.total, 4);
        // Newest first (visitor 4's came last).
        let listed: Vec<(&str, u8)> = c
            .listed
            .iter()
            .map(|c| (c.text.as_str(), c.score))
            .collect();
        assert_eq!(
            listed,
            [
                ("great coffee", 5),
                ("Lieferung kam zu spät, delivery late", 5),
                ("Fast delivery, great coffee", 10),
                ("Delivery was late and the price too high", 3),
            ]
        );
        // Kept words (stop words "was", "and", "the", "too", "high", "great", "kam", "zu"
        // out): [delivery late price] [fast delivery coffee] [lieferung spät delivery
        // late] [coffee]: delivery in 3 comments, coffee and late in 2.
        let terms = |t: &[Term]| -> Vec<(String, u64)> {
            t.iter().map(|t| (t.term.clone(), t.comments)).collect()
        };
        assert_eq!(
            terms(&c.keywords),
            [
                ("delivery".into(), 3),
                ("coffee".into(), 2),
                ("late".into(), 2)
            ]
        );
        assert_eq!(terms(&c.phrases), [("delivery late".into(), 2)]);
        assert_eq!(
            terms(&c.themes),
            [
                ("delivery".into(), 3),
                ("price".into(), 1),
                ("Lieferung".into(), 1)
            ]
        );
        // Low band only: NPS 3 and 5.
        let low = report(Options {
            band: Some(Band::Low),
            ..all()
        });
        assert_eq!(low.comments.total, 2);
    }

    #[test]
    fn what_preceded_low_and_high_ratings() {
        let p = report(all()).preceded;
        // Low: NPS 3 (1), NPS 5 and CSAT 2 (3). High: NPS 10 and CES 7 (2), CSAT 5 and
        // thumbs up (4). (CES 4 is in the middle.)
        assert_eq!((p.low, p.high), (3, 4));
        let paths = |paths: &[PrecedingPath]| -> Vec<(String, u64)> {
            paths
                .iter()
                .map(|p| (p.steps.join(" > "), p.count))
                .collect()
        };
        assert_eq!(
            paths(&p.low_paths),
            [
                ("/ > /faq > /cart".into(), 2),
                ("/ > /product > /cart".into(), 1)
            ]
        );
        assert_eq!(paths(&p.high_paths), [("/ > /product".into(), 4)]);
        // /cart: before 3 of 3 low answers, 0 of 4 high; /faq: 2 of 3 and 0.
        let over: Vec<(&str, f64, f64)> = p
            .over_represented
            .iter()
            .map(|r| (r.touchpoint.as_str(), r.low_share, r.high_share))
            .collect();
        assert_eq!(over, [("/cart", 1.0, 0.0), ("/faq", 0.6667, 0.0)]);
    }

    #[test]
    fn the_touchpoint_scorecard_carries_ratings() {
        let table = Table::of(fixture());
        let journeys = prepare(&table, i64::MIN..i64::MAX, Rules::new(30 * MIN));
        let rows = crate::journey::people::touchpoints(&journeys).touchpoints;
        let row = |name: &str| rows.iter().find(|r| r.touchpoint == name).unwrap();
        // Visited by visitor 3, thumbs up from visitor 4.
        assert_eq!(row("/faq").visitors, 1);
        assert_eq!(
            row("/faq")
                .ratings
                .as_ref()
                .and_then(|r| r.thumbs.as_ref())
                .map(|t| t.up),
            Some(1)
        );
        // A widget's own touchpoint, never visited as a page.
        assert_eq!(row("after-delivery").visitors, 0);
        assert_eq!(
            row("after-delivery")
                .ratings
                .as_ref()
                .and_then(|r| r.nps.as_ref())
                .map(|n| n.score),
            Some(-33.3333)
        );
        assert_eq!(row("/").ratings, None);
    }

    #[test]
    fn filters_reach_ratings_through_their_sessions() {
        let table = Table::of(fixture());
        let mut rules = Rules::new(30 * MIN);
        rules.filters.channel = Some(Channel::Search);
        let journeys = prepare(&table, i64::MIN..i64::MAX, rules);
        let r = feedback(&journeys, &all());
        assert_eq!(r.overall.nps.map(|n| n.responses), Some(1));
        assert_eq!(r.overall.csat, None);
        let only_csat = report(Options {
            widget: Some(Widget::Csat),
            ..all()
        });
        assert_eq!(only_csat.overall.nps, None);
        assert_eq!(only_csat.widgets.len(), 1);
    }
}
