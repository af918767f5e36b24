//! A site's touches in a compact, ordered table: what the engine reads.
//!
//! A [`Touch`] owns its strings (about half a kilobyte with the heap); a [`Row`] is 32
//! bytes, what a pass over every touch reads, and the rest of the event (id, URL, codes,
//! revenue) lies in a side table read for few touches. Repeated texts (touchpoints, URLs,
//! codes) are interned once per table, event ids live in one arena, and what every
//! report would otherwise recompute per touch (the channel of its referrer and campaign,
//! the referral code in its URL, the code a share event shared) is derived once, when
//! the row is inserted.
//!
//! Rows are kept ordered by (visitor, time, id), the order sessions are read in, so a
//! report is one pass over the table without sorting. New rows go to a small sorted
//! `recent` run that is merged into the main run once it grows past an eighth of it:
//! an insert costs a sort of what is new plus, amortised, a constant number of copies
//! per row.

use rustc_hash::FxHashMap as HashMap;
use std::cmp::Ordering;
use std::num::NonZeroU32;

use super::channel::{self, Channel};
use super::{Touch, people};
use crate::event::{Device, EventKind, Stage};
use crate::feedback::{Answer, Outcome, Widget};

/// A string interned in a [`Table`]: equal texts of one table have equal handles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Text(NonZeroU32);

impl Text {
    /// Its position below [`Table::texts`], for tables indexed by text.
    pub fn index(self) -> usize {
        self.0.get() as usize - 1
    }
}

/// One stored event: what a pass over every touch reads (32 bytes). The rest, read for a
/// few touches only, is in the table's details.
#[derive(Debug, Clone)]
pub struct Row {
    pub visitor: u64,
    /// Milliseconds since the epoch.
    pub ts: i64,
    /// Where the rest of the event is in the table's details.
    detail: u32,
    pub touchpoint: Text,
    pub kind: EventKind,
    pub stage: Option<Stage>,
    pub device: Device,
    /// The channel this touch gives a session it starts (from its referrer, campaign
    /// parameters and click ids).
    pub channel: Channel,
}

/// A feedback event: a rating widget shown, answered or dismissed.
#[derive(Debug, Clone)]
pub struct Rating {
    pub visitor: u64,
    pub ts: i64,
    detail: u32,
    /// The widget's touchpoint.
    pub touchpoint: Text,
    pub widget: Widget,
    pub outcome: Outcome,
    /// Set exactly when answered.
    pub score: Option<u8>,
    pub stage: Option<Stage>,
    pub comment: Option<Text>,
}

/// The rest of an event.
#[derive(Debug, Clone)]
struct Detail {
    /// Where the id starts in the id arena.
    id_at: usize,
    id_len: u8,
    url: Text,
    /// The referral code the URL carries (`spur_ref`).
    arrived_by: Option<Text>,
    /// The referral code a `share` event shared.
    shared: Option<Text>,
    /// The `revenue` number property of a custom event.
    revenue: Option<f64>,
    /// An engagement event's visible time (ms) and deepest scroll (percent).
    engagement: Option<(u32, u8)>,
    /// The experiment variants the event carries (`xp:<experiment>` props), as
    /// `experiment=variant` lines in experiment order.
    variants: Option<Text>,
}

/// The prefix of the props that name an experiment's variant: `{"xp:checkout": "green"}`.
pub const VARIANT_PREFIX: &str = "xp:";

/// The `(experiment, variant)` pairs of an event's props, by experiment.
pub fn variants_of(props: &str) -> Vec<(String, String)> {
    if !props.contains("\"xp:") {
        return Vec::new();
    }
    let Ok(map) = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(props) else {
        return Vec::new();
    };
    // A map: ordered by key, so by experiment.
    map.into_iter()
        .filter_map(|(k, v)| {
            let experiment = k.strip_prefix(VARIANT_PREFIX)?;
            let variant = v.as_str()?;
            (!experiment.is_empty() && !variant.is_empty())
                .then(|| (experiment.to_owned(), variant.to_owned()))
        })
        .collect()
}

#[derive(Default)]
struct Texts {
    strings: Vec<Box<str>>,
    index: HashMap<Box<str>, Text>,
}

impl Texts {
    fn intern(&mut self, s: &str) -> Text {
        if let Some(text) = self.index.get(s) {
            return *text;
        }
        self.strings.push(s.into());
        let text = Text(
            u32::try_from(self.strings.len())
                .ok()
                .and_then(NonZeroU32::new)
                .expect("fewer than 4 billion distinct texts"),
        );
        self.index.insert(s.into(), text);
        text
    }
}

/// A site's touches: each distinct event once, ordered by (visitor, ts, id).
#[derive(Default)]
pub struct Table {
    texts: Texts,
    /// The texts that are some touch's touchpoint.
    touchpoints: Vec<Text>,
    is_touchpoint: Vec<bool>,
    ids: String,
    /// In arrival order; rows point into it.
    details: Vec<Detail>,
    rows: Vec<Row>,
    recent: Vec<Row>,
    /// Feedback events, by (visitor, ts, id); not touches, so not in `rows`.
    ratings: Vec<Rating>,
    /// The channel of each (url, referrer, utm source, utm medium) seen.
    channels: HashMap<[Option<Text>; 4], Channel>,
    /// Whether an engagement or friction event was added (the scorecard reads them).
    health: bool,
}

impl Table {
    /// A table of `touches` in any order; an id seen twice counts once (its earliest
    /// copy).
    pub fn of(mut touches: Vec<Touch>) -> Table {
        touches.sort_unstable_by(|a, b| (&a.id, a.ts, a.visitor).cmp(&(&b.id, b.ts, b.visitor)));
        touches.dedup_by(|later, earlier| later.id == earlier.id);
        let mut table = Table::default();
        table.insert(touches);
        table
    }

    /// Adds touches whose ids the table does not hold yet (a store's ids are unique).
    pub fn insert(&mut self, touches: Vec<Touch>) {
        if touches.is_empty() {
            return;
        }
        let (feedback, touches): (Vec<Touch>, Vec<Touch>) = touches
            .into_iter()
            .partition(|t| t.kind == EventKind::Feedback);
        self.insert_ratings(feedback);
        let mut new: Vec<Row> = touches.into_iter().map(|t| self.row(t)).collect();
        let key = Key(self);
        new.sort_unstable_by(|a, b| key.order(a, b));
        let recent = std::mem::take(&mut self.recent);
        self.recent = Key(self).merge(recent, new);
        if self.recent.len() * 8 > self.rows.len() {
            let (rows, recent) = (
                std::mem::take(&mut self.rows),
                std::mem::take(&mut self.recent),
            );
            self.rows = Key(self).merge(rows, recent);
        }
    }

    fn insert_ratings(&mut self, feedback: Vec<Touch>) {
        let mut new: Vec<Rating> = feedback
            .into_iter()
            .filter_map(|t| {
                // Checked at ingest; a stored event that does not parse is not a rating.
                let answer = Answer::from_stored(t.props.as_deref()?)?;
                let detail = self.detail(&t);
                let touchpoint = self.touchpoint(&t.touchpoint);
                let texts = &mut self.texts;
                Some(Rating {
                    visitor: t.visitor,
                    ts: t.ts,
                    detail,
                    touchpoint,
                    widget: answer.widget,
                    outcome: answer.outcome,
                    score: answer.score,
                    stage: t.stage,
                    comment: answer.comment.map(|c| texts.intern(&c)),
                })
            })
            .collect();
        if new.is_empty() {
            return;
        }
        let key = Key(self);
        new.sort_unstable_by(|a, b| {
            key.order_by(a.visitor, a.ts, a.detail, b.visitor, b.ts, b.detail)
        });
        let mut all = std::mem::take(&mut self.ratings);
        all.extend(new);
        // Both halves are sorted: a stable sort merges them in linear time.
        let key = Key(self);
        all.sort_by(|a, b| key.order_by(a.visitor, a.ts, a.detail, b.visitor, b.ts, b.detail));
        self.ratings = all;
    }

    /// Keeps what few reports read of an event; returns where.
    fn detail(&mut self, touch: &Touch) -> u32 {
        let engagement = (touch.kind == EventKind::Engagement)
            .then(|| {
                let props: serde_json::Map<String, serde_json::Value> =
                    serde_json::from_str(touch.props.as_deref()?).ok()?;
                let ms = u32::try_from(props.get("ms")?.as_u64()?).ok()?;
                let scroll = u8::try_from(props.get("scroll")?.as_u64()?.min(100)).ok()?;
                Some((ms, scroll))
            })
            .flatten();
        if matches!(touch.kind, EventKind::Engagement | EventKind::Friction) {
            self.health = true;
        }
        let texts = &mut self.texts;
        let variants = touch.props.as_deref().map(variants_of).and_then(|pairs| {
            let mut lines = String::new();
            for (experiment, variant) in pairs {
                if !lines.is_empty() {
                    lines.push('\n');
                }
                lines.push_str(&experiment);
                lines.push('=');
                lines.push_str(&variant);
            }
            (!lines.is_empty()).then(|| texts.intern(&lines))
        });
        let url = texts.intern(&touch.url);
        self.details.push(Detail {
            id_at: self.ids.len(),
            id_len: u8::try_from(touch.id.len()).expect("ids are at most 64 characters"),
            url,
            arrived_by: touch
                .url
                .contains(people::REFERRAL_PARAM)
                .then(|| people::referral_code(&touch.url))
                .flatten()
                .map(|c| texts.intern(&c)),
            shared: people::shared_code(touch).map(|c| texts.intern(&c)),
            revenue: touch.revenue,
            engagement,
            variants,
        });
        self.ids.push_str(&touch.id);
        u32::try_from(self.details.len() - 1).expect("fewer than 4 billion events")
    }

    /// Interns a touchpoint (of a touch or a rating) and notes it as one.
    fn touchpoint(&mut self, name: &str) -> Text {
        let text = self.texts.intern(name);
        if self.is_touchpoint.len() < self.texts.strings.len() {
            self.is_touchpoint.resize(self.texts.strings.len(), false);
        }
        if !std::mem::replace(&mut self.is_touchpoint[text.index()], true) {
            self.touchpoints.push(text);
        }
        text
    }

    fn row(&mut self, touch: Touch) -> Row {
        let texts = &mut self.texts;
        let url = texts.intern(&touch.url);
        let key = [
            Some(url),
            touch.referrer.as_deref().map(|r| texts.intern(r)),
            touch.utm_source.as_deref().map(|s| texts.intern(s)),
            touch.utm_medium.as_deref().map(|m| texts.intern(m)),
        ];
        let channel = *self
            .channels
            .entry(key)
            .or_insert_with(|| channel::of_touch(&touch));
        let detail = self.detail(&touch);
        let touchpoint = self.touchpoint(&touch.touchpoint);
        Row {
            visitor: touch.visitor,
            ts: touch.ts,
            detail,
            touchpoint,
            kind: touch.kind,
            stage: touch.stage,
            device: touch.device,
            channel,
        }
    }

    /// Every row, in (visitor, ts, id) order.
    pub fn rows(&self) -> Rows<'_> {
        Rows {
            key: Key(self),
            a: &self.rows,
            b: &self.recent,
        }
    }

    /// The rows and ratings of the visitors in `part`, in order.
    pub fn part(&self, part: &Part) -> (Rows<'_>, &[Rating]) {
        let rows = Rows {
            key: Key(self),
            a: part.slice(&self.rows, |r| r.visitor),
            b: part.slice(&self.recent, |r| r.visitor),
        };
        (rows, part.slice(&self.ratings, |r| r.visitor))
    }

    /// Cuts the visitors into at most `n` parts of about equal rows, in visitor order;
    /// no visitor is in two parts.
    pub fn parts(&self, n: usize) -> Vec<Part> {
        // The larger run decides (both are ordered by visitor).
        let run = if self.rows.len() >= self.recent.len() {
            &self.rows
        } else {
            &self.recent
        };
        let mut cuts: Vec<u64> = (1..n.max(1))
            .filter_map(|i| run.get(run.len() * i / n).map(|r| r.visitor))
            .collect();
        cuts.dedup();
        let mut parts = Vec::with_capacity(cuts.len() + 1);
        let mut from = 0;
        for cut in cuts {
            if cut > from {
                parts.push(Part {
                    from,
                    to: Some(cut),
                });
                from = cut;
            }
        }
        parts.push(Part { from, to: None });
        parts
    }

    pub fn text(&self, text: Text) -> &str {
        &self.texts.strings[text.index()]
    }

    /// How many distinct texts there are; every [`Text::index`] is below this.
    pub fn texts(&self) -> usize {
        self.texts.strings.len()
    }

    /// The distinct touchpoints (of touches and of ratings).
    pub fn touchpoints(&self) -> &[Text] {
        &self.touchpoints
    }

    fn detail_of(&self, row: &Row) -> &Detail {
        &self.details[row.detail as usize]
    }

    pub fn id(&self, row: &Row) -> &str {
        Key(self).id(row)
    }

    pub fn url(&self, row: &Row) -> &str {
        self.text(self.detail_of(row).url)
    }

    /// The referral code the touch's URL carries.
    pub fn arrived_by(&self, row: &Row) -> Option<&str> {
        self.detail_of(row).arrived_by.map(|c| self.text(c))
    }

    /// The referral code a `share` event shared.
    pub fn shared(&self, row: &Row) -> Option<&str> {
        self.detail_of(row).shared.map(|c| self.text(c))
    }

    pub fn revenue(&self, row: &Row) -> Option<f64> {
        self.detail_of(row).revenue
    }

    /// An engagement event's visible time (ms) and deepest scroll (percent).
    pub fn engagement(&self, row: &Row) -> Option<(u32, u8)> {
        self.detail_of(row).engagement
    }

    /// The experiment variants a touch carries: `experiment=variant` lines.
    pub fn variants(&self, row: &Row) -> Option<&str> {
        self.detail_of(row).variants.map(|t| self.text(t))
    }

    /// The experiment variants a rating carries.
    pub fn rating_variants(&self, rating: &Rating) -> Option<&str> {
        self.details[rating.detail as usize]
            .variants
            .map(|t| self.text(t))
    }

    /// Whether any engagement or friction event was ever added.
    pub fn has_health(&self) -> bool {
        self.health
    }

    /// Every rating, by (visitor, ts, id).
    pub fn ratings(&self) -> &[Rating] {
        &self.ratings
    }

    pub fn rating_id(&self, rating: &Rating) -> &str {
        let d = &self.details[rating.detail as usize];
        &self.ids[d.id_at..d.id_at + d.id_len as usize]
    }
}

/// The visitors with ids from `from` up to `to` (excluded; `None`: all the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Part {
    from: u64,
    to: Option<u64>,
}

impl Part {
    /// The one visitor `visitor`.
    pub fn visitor(visitor: u64) -> Part {
        Part {
            from: visitor,
            to: visitor.checked_add(1),
        }
    }

    /// The items of `sorted` (ordered by visitor) whose visitor is in the part.
    fn slice<'t, T>(&self, sorted: &'t [T], visitor: impl Fn(&T) -> u64) -> &'t [T] {
        let start = sorted.partition_point(|t| visitor(t) < self.from);
        let end = self.to.map_or(sorted.len(), |to| {
            sorted.partition_point(|t| visitor(t) < to)
        });
        &sorted[start..end.max(start)]
    }
}

/// What rows are ordered by.
#[derive(Clone, Copy)]
struct Key<'a>(&'a Table);

impl<'a> Key<'a> {
    fn id(self, row: &Row) -> &'a str {
        let d = &self.0.details[row.detail as usize];
        &self.0.ids[d.id_at..d.id_at + d.id_len as usize]
    }

    fn order(self, a: &Row, b: &Row) -> Ordering {
        self.order_by(a.visitor, a.ts, a.detail, b.visitor, b.ts, b.detail)
    }

    /// By visitor, then time, then id (the ids' details given).
    fn order_by(self, av: u64, at: i64, ad: u32, bv: u64, bt: i64, bd: u32) -> Ordering {
        let id = |detail: u32| {
            let d = &self.0.details[detail as usize];
            &self.0.ids[d.id_at..d.id_at + d.id_len as usize]
        };
        (av, at).cmp(&(bv, bt)).then_with(|| id(ad).cmp(id(bd)))
    }

    fn merge(self, a: Vec<Row>, b: Vec<Row>) -> Vec<Row> {
        if a.is_empty() {
            return b;
        }
        if b.is_empty() {
            return a;
        }
        let mut out = Vec::with_capacity(a.len() + b.len());
        out.extend(
            Rows {
                key: self,
                a: &a,
                b: &b,
            }
            .cloned(),
        );
        out
    }
}

/// The rows of a table's two sorted runs, merged.
pub struct Rows<'a> {
    key: Key<'a>,
    a: &'a [Row],
    b: &'a [Row],
}

impl<'a> Rows<'a> {
    /// Moves past the next visitor's rows, pushing those that pass `keep` onto `out` in
    /// order, and returns the visitor (`None` at the end). Faster than [`Iterator::next`]
    /// row by row: a visitor's rows are mostly all in one run, read as a slice.
    pub fn next_visitor(
        &mut self,
        out: &mut Vec<&'a Row>,
        keep: impl Fn(&Row) -> bool,
    ) -> Option<u64> {
        let visitor = match (self.a.first(), self.b.first()) {
            (Some(a), Some(b)) => a.visitor.min(b.visitor),
            (Some(r), None) | (None, Some(r)) => r.visitor,
            (None, None) => return None,
        };
        let of_visitor = |run: &[Row]| run.first().is_some_and(|r| r.visitor == visitor);
        match (of_visitor(self.a), of_visitor(self.b)) {
            (true, false) => take_visitor(&mut self.a, visitor, out, keep),
            (false, true) => take_visitor(&mut self.b, visitor, out, keep),
            _ => {
                let a = split_visitor(&mut self.a, visitor);
                let b = split_visitor(&mut self.b, visitor);
                out.extend(
                    Rows {
                        key: self.key,
                        a,
                        b,
                    }
                    .filter(|r| keep(r)),
                );
            }
        }
        Some(visitor)
    }

    /// Skips the rows of the visitors before `visitor`, by galloping: a few looks per
    /// skipped stretch rather than one per row.
    pub fn skip_to(&mut self, visitor: u64) {
        for run in [&mut self.a, &mut self.b] {
            *run = &run[gallop(run, |r| r.visitor < visitor)..];
        }
    }
}

/// The first index of `sorted` where `before` is false (`before` must be true up to a
/// point and false from there), found by doubling steps from the front and then a
/// binary search: cheap when that index is near the front.
fn gallop<T>(sorted: &[T], before: impl Fn(&T) -> bool) -> usize {
    let mut end = 1;
    while end < sorted.len() && before(&sorted[end - 1]) {
        end *= 2;
    }
    let end = end.min(sorted.len());
    let start = end / 2;
    start + sorted[start..end].partition_point(before)
}

/// Takes `visitor`'s rows off the front of `run`, pushing those that pass `keep` onto
/// `out`.
fn take_visitor<'a>(
    run: &mut &'a [Row],
    visitor: u64,
    out: &mut Vec<&'a Row>,
    keep: impl Fn(&Row) -> bool,
) {
    let mut len = 0;
    for row in *run {
        if row.visitor != visitor {
            break;
        }
        len += 1;
        if keep(row) {
            out.push(row);
        }
    }
    *run = &run[len..];
}

/// Takes `visitor`'s rows off the front of `run`.
fn split_visitor<'a>(run: &mut &'a [Row], visitor: u64) -> &'a [Row] {
    let len = run
        .iter()
        .position(|r| r.visitor != visitor)
        .unwrap_or(run.len());
    let (mine, rest) = run.split_at(len);
    *run = rest;
    mine
}

impl<'a> Iterator for Rows<'a> {
    type Item = &'a Row;

    fn next(&mut self) -> Option<&'a Row> {
        let take_a = match (self.a.first(), self.b.first()) {
            (Some(a), Some(b)) => self.key.order(a, b) != Ordering::Greater,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let run = if take_a { &mut self.a } else { &mut self.b };
        let (first, rest) = run.split_first()?;
        *run = rest;
        Some(first)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.a.len() + self.b.len();
        (n, Some(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn touch(id: &str, visitor: u64, ts: i64) -> Touch {
        Touch {
            id: id.into(),
            visitor,
            ts,
            touchpoint: "landing".into(),
            url: "https://shop.example/?spur_ref=abc".into(),
            ..Touch::default()
        }
    }

    fn ids(table: &Table) -> Vec<&str> {
        table.rows().map(|r| table.id(r)).collect()
    }

    #[test]
    fn rows_stay_ordered_through_inserts_and_merges() {
        assert_eq!(std::mem::size_of::<Row>(), 32);
        let mut table = Table::of(vec![touch("c", 2, 5), touch("a", 1, 9), touch("a", 1, 3)]);
        assert_eq!(ids(&table), ["a", "c"]);
        assert_eq!(
            table.rows().next().unwrap().ts,
            3,
            "the earliest copy counts"
        );
        // Many small inserts: the recent run is merged into the main one on the way.
        for i in 0..100 {
            table.insert(vec![touch(&format!("x{i:03}"), 1 + i % 3, 100 - i as i64)]);
        }
        let rows: Vec<&Row> = table.rows().collect();
        assert_eq!(rows.len(), 102);
        assert!(
            rows.windows(2)
                .all(|w| Key(&table).order(w[0], w[1]) == Ordering::Less)
        );
        let first = rows[0];
        assert_eq!(table.text(first.touchpoint), "landing");
        assert_eq!(table.arrived_by(first), Some("abc"));
        assert_eq!(table.url(first), "https://shop.example/?spur_ref=abc");
        assert_eq!(table.touchpoints(), [first.touchpoint]);
        assert_eq!(table.texts(), 3);
    }

    #[test]
    fn parts_hold_every_row_once_and_no_visitor_twice() {
        let touches: Vec<Touch> = (0..200)
            .map(|i| touch(&format!("id{i:04}"), (i * 7 % 23) as u64, i64::from(i)))
            .collect();
        let mut table = Table::of(touches[..150].to_vec());
        table.insert(touches[150..].to_vec());
        let all: Vec<(u64, i64)> = table.rows().map(|r| (r.visitor, r.ts)).collect();
        for n in 1..=7 {
            let parts = table.parts(n);
            assert!(!parts.is_empty() && parts.len() <= n);
            let mut joined = Vec::new();
            let mut last_visitor = None;
            for part in &parts {
                let (rows, _) = table.part(part);
                let rows: Vec<(u64, i64)> = rows.map(|r| (r.visitor, r.ts)).collect();
                assert!(rows.first().map(|r| r.0) > last_visitor || last_visitor.is_none());
                last_visitor = rows.last().map(|r| r.0).or(last_visitor);
                joined.extend(rows);
            }
            assert_eq!(joined, all, "{n} parts");
        }
        assert!(table.parts(4).len() > 1);
    }
}
