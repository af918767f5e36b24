//! The journey engine: what a marketer asks of the data, answered from a site's touches.
//!
//! Pure and deterministic: no clock, no I/O, no `HashMap` order reaching a result. This
//! module is the oracle for every backend: whatever store the touches come from, the
//! reports are defined by what it computes (and checked against an independent
//! computation on the golden dataset in `tests/fixtures/golden`).
//!
//! The pipeline: [`Touch`]es → a [`Table`] (compact, ordered, kept up to date by the
//! reports' cache) → [`prepare`] (time range, device and segment filters, sessions, the
//! session filters, grouping rules) → [`Journeys`], read one visitor at a time → one
//! function per report. A report is one pass over the table: no sorting, no strings per
//! touch, nothing kept per touch beyond the visitor at hand.
//!
//! Invariants (property-tested):
//! - every distinct event id lands in exactly one session;
//! - a session is one visitor's touches, ordered by time, with every gap `< gap`;
//! - every report's counts add up (listed + other + end == total, at every step);
//! - results do not depend on the order touches arrive in, nor on duplicates.

pub mod channel;
pub mod experiments;
pub mod feedback;
pub mod funnel;
pub mod health;
pub mod overview;
pub mod paths;
pub mod people;
#[cfg(test)]
mod properties;
mod sessions;
pub mod table;

use rustc_hash::FxHashMap as HashMap;
use std::ops::Range;

use serde::Serialize;

pub use channel::Channel;

/// Tables with fewer rows are read by one thread: below this, starting threads costs
/// more than it saves.
const PARALLEL_FROM_ROWS: usize = 200_000;
pub use sessions::DEFAULT_SESSION_GAP_MS;
pub use table::{Rating, Row, Table, Text};

/// The journeys of `table`'s touches in `range` under `rules`.
pub fn prepare(table: &Table, range: Range<i64>, rules: Rules) -> Journeys<'_> {
    Journeys::new(table, range, rules)
}

pub use crate::event::Device;
use crate::event::{EventKind, Stage};

/// What the engine needs of a stored event.
#[derive(Debug, Clone, PartialEq)]
pub struct Touch {
    pub visitor: u64,
    /// Milliseconds since the epoch.
    pub ts: i64,
    pub id: String,
    pub kind: EventKind,
    /// The event's name, or the URL path of an unnamed page view.
    pub touchpoint: String,
    pub stage: Option<Stage>,
    pub url: String,
    pub referrer: Option<String>,
    pub utm_source: Option<String>,
    pub utm_medium: Option<String>,
    pub device: Device,
    /// The `revenue` number property of a custom event.
    pub revenue: Option<f64>,
    /// Custom properties as JSON object text.
    pub props: Option<String>,
}

impl Default for Touch {
    fn default() -> Touch {
        Touch {
            visitor: 0,
            ts: 0,
            id: String::new(),
            kind: EventKind::Pageview,
            touchpoint: String::new(),
            stage: None,
            url: String::new(),
            referrer: None,
            utm_source: None,
            utm_medium: None,
            device: Device::Desktop,
            revenue: None,
            props: None,
        }
    }
}

impl Touch {
    /// The engine's view of a stored event.
    pub fn of(event: crate::event::Event) -> Touch {
        let revenue = (event.kind == EventKind::Custom)
            .then(|| revenue(event.props.as_deref()))
            .flatten();
        Touch {
            visitor: event.visitor,
            ts: event.ts,
            id: event.id,
            kind: event.kind,
            touchpoint: event.touchpoint,
            stage: event.stage,
            url: event.url,
            referrer: event.referrer,
            utm_source: event.utm.source,
            utm_medium: event.utm.medium,
            device: event.device,
            revenue,
            props: event.props,
        }
    }
}

/// The `revenue` number of a custom event's properties.
pub fn revenue(props: Option<&str>) -> Option<f64> {
    let props: serde_json::Map<String, serde_json::Value> = serde_json::from_str(props?).ok()?;
    // (Ingest refuses larger amounts; a store written before it did may hold some.)
    props
        .get("revenue")?
        .as_f64()
        .filter(|r| r.abs() <= MAX_REVENUE)
}

/// The largest amount, either way, that a conversion's `revenue` may have.
pub const MAX_REVENUE: f64 = 1e12;

/// Renames touchpoints before paths are built: `/product/*` → `product`.
#[derive(Debug, Clone, Default)]
pub struct Grouping {
    rules: Vec<(globset::GlobMatcher, String)>,
}

impl Grouping {
    /// Rules as `glob:name`; `*` matches any run of characters, `/` included.
    pub fn parse(rules: &[String]) -> Result<Grouping, String> {
        let mut parsed = Vec::new();
        for rule in rules {
            let (glob, name) = rule
                .rsplit_once(':')
                .filter(|(g, n)| !g.is_empty() && !n.is_empty())
                .ok_or_else(|| format!("a grouping rule is `pattern:name`, not `{rule}`"))?;
            let glob = globset::GlobBuilder::new(glob)
                .literal_separator(false)
                .build()
                .map_err(|e| format!("bad pattern `{glob}`: {e}"))?
                .compile_matcher();
            parsed.push((glob, name.to_owned()));
        }
        Ok(Grouping { rules: parsed })
    }

    /// No rules: every touchpoint is its own label.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The label of a touchpoint: the first matching rule's name, else itself.
    pub fn label<'a>(&'a self, touchpoint: &'a str) -> &'a str {
        self.rules
            .iter()
            .find(|(glob, _)| glob.is_match(touchpoint))
            .map_or(touchpoint, |(_, name)| name.as_str())
    }
}

/// Which journeys a report looks at.
#[derive(Debug, Clone, Default)]
pub struct Filters {
    /// Sessions whose channel is this.
    pub channel: Option<Channel>,
    /// Touches from this class of device.
    pub device: Option<Device>,
    /// Sessions with a touch of this stage.
    pub stage: Option<Stage>,
    /// Sessions that pass through this touchpoint (after grouping).
    pub touchpoint: Option<String>,
    /// Visitors who did this (a touchpoint, after grouping) at any time in the window.
    pub segment: Option<String>,
}

/// How touches become journeys.
#[derive(Debug, Clone)]
pub struct Rules {
    pub session_gap_ms: i64,
    pub grouping: Grouping,
    /// The touchpoint that counts as a conversion (default `purchase`).
    pub goal: String,
    pub filters: Filters,
}

impl Rules {
    pub fn new(session_gap_ms: i64) -> Rules {
        Rules {
            session_gap_ms,
            grouping: Grouping::default(),
            goal: "purchase".into(),
            filters: Filters::default(),
        }
    }
}

/// What a pass over the visitors gives the report ([`Journeys::fold`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Every visitor with a kept session: touches cut into sessions, with the
    /// sessions' paths and ratings, the session filters applied.
    Sessions,
    /// Every visitor's touches in the range and their labels, not cut into sessions
    /// ([`Journeys::fold_visitor_touches`]).
    Touches,
    /// [`Pass::Sessions`] for the visitors with a rating in the range only.
    Rated,
}

/// A touchpoint's name after the grouping rules, as a small number: reports count by
/// label and look the name up at the end ([`Journeys::name`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(u32);

impl Label {
    pub fn index(self) -> usize {
        self.0 as usize
    }

    pub fn from_index(index: usize) -> Label {
        Label(index as u32)
    }
}

/// A site's journeys in a time range under the [`Rules`]: read one visitor at a time
/// ([`Journeys::for_each_visitor`]), in one pass over the table, without sorting and
/// without building anything per touch beyond the visitor at hand.
pub struct Journeys<'a> {
    table: &'a Table,
    range: Range<i64>,
    /// Each touchpoint's label, by [`Text::index`].
    label_of: Vec<Option<Label>>,
    /// Label names, by [`Label::index`].
    names: Vec<String>,
    goal: Option<Label>,
    pub rules: Rules,
    /// How many parts [`Journeys::fold_visitors`] cuts the visitors into; `None`: one
    /// per core for a large table, else one.
    parts: Option<usize>,
}

/// One visitor's sessions that pass the filters: their touches in (ts, id) order, split
/// into sessions, each with its channel and path.
#[derive(Default)]
pub struct Visitor<'a> {
    pub id: u64,
    touches: Vec<&'a Row>,
    labels: Vec<Label>,
    sessions: Vec<SessionSpan>,
    path_labels: Vec<Label>,
    ratings: Vec<&'a Rating>,
}

struct SessionSpan {
    touches: Range<usize>,
    path: Range<usize>,
    ratings: Range<usize>,
    channel: Channel,
}

/// One session of a [`Visitor`].
#[derive(Clone, Copy)]
pub struct Session<'v, 'a> {
    pub touches: &'v [&'a Row],
    /// One per touch.
    pub labels: &'v [Label],
    /// Labels in order, consecutive repeats collapsed.
    pub path: &'v [Label],
    /// The feedback given during the session (from its first touch until the next
    /// session's), in time order.
    pub ratings: &'v [&'a Rating],
    pub channel: Channel,
}

impl<'a> Visitor<'a> {
    /// Their touches in the kept sessions, in time order.
    pub fn touches(&self) -> &[&'a Row] {
        &self.touches
    }

    /// One per touch.
    pub fn labels(&self) -> &[Label] {
        &self.labels
    }

    pub fn sessions(&self) -> impl Iterator<Item = Session<'_, 'a>> {
        self.sessions.iter().map(|s| Session {
            touches: &self.touches[s.touches.clone()],
            labels: &self.labels[s.touches.clone()],
            path: &self.path_labels[s.path.clone()],
            ratings: &self.ratings[s.ratings.clone()],
            channel: s.channel,
        })
    }

    pub fn sessions_len(&self) -> usize {
        self.sessions.len()
    }

    fn clear(&mut self) {
        self.touches.clear();
        self.labels.clear();
        self.sessions.clear();
        self.path_labels.clear();
        self.ratings.clear();
    }
}

impl<'a> Journeys<'a> {
    /// The journeys of `table`'s touches with `range.start <= ts < range.end`.
    pub fn new(table: &'a Table, range: Range<i64>, rules: Rules) -> Journeys<'a> {
        let mut label_of = vec![None; table.texts()];
        let mut names: Vec<String> = Vec::new();
        let mut named: HashMap<&str, Label> = HashMap::default();
        for &touchpoint in table.touchpoints() {
            let name = rules.grouping.label(table.text(touchpoint));
            let label = *named.entry(name).or_insert_with(|| {
                names.push(name.to_owned());
                Label(names.len() as u32 - 1)
            });
            label_of[touchpoint.index()] = Some(label);
        }
        let goal = named.get(rules.goal.as_str()).copied();
        Journeys {
            table,
            range,
            label_of,
            names,
            goal,
            rules,
            parts: None,
        }
    }

    /// Cuts the visitors into `n` parts (at most) whatever the table's size: for tests
    /// that reports do not depend on the cut.
    #[cfg(test)]
    pub(crate) fn split_into(mut self, n: usize) -> Journeys<'a> {
        self.parts = Some(n);
        self
    }

    /// Calls `f` for every visitor with a session that passes the filters, by visitor id.
    pub fn for_each_visitor(&self, f: impl FnMut(&Visitor<'a>)) {
        self.visit(self.table.rows(), self.table.ratings(), Pass::Sessions, f);
    }

    /// [`Journeys::for_each_visitor`] for the one visitor `id` (found by binary search,
    /// not by a pass over the table): `f` is called once, or not at all when no session
    /// of theirs passes the filters.
    pub fn for_visitor(&self, id: u64, f: impl FnMut(&Visitor<'a>)) {
        let (rows, ratings) = self.table.part(&table::Part::visitor(id));
        self.visit(rows, ratings, Pass::Sessions, f);
    }

    /// Like [`Journeys::for_each_visitor`], split over the machine's cores: the visitors
    /// are cut into parts (in id order), each part folds into a state of its own from
    /// `init`, and `merge` adds each part's state to the first one's, in visitor order.
    /// A small table is one part.
    pub fn fold_visitors<S: Send>(
        &self,
        init: impl Fn() -> S + Sync,
        fold: impl Fn(&mut S, &Visitor<'a>) + Sync,
        merge: impl Fn(&mut S, S),
    ) -> S {
        self.fold(Pass::Sessions, init, fold, merge)
    }

    /// [`Journeys::fold_visitors`] for the visitors with a rating in the range only, for
    /// reports that read nothing but ratings ([`Session::ratings`]) and what preceded
    /// them. The other visitors' rows are skipped, not read.
    pub fn fold_rated_visitors<S: Send>(
        &self,
        init: impl Fn() -> S + Sync,
        fold: impl Fn(&mut S, &Visitor<'a>) + Sync,
        merge: impl Fn(&mut S, S),
    ) -> S {
        self.fold(Pass::Rated, init, fold, merge)
    }

    /// [`Journeys::fold_visitors`] for reports that read only a visitor's touches and
    /// labels ([`Visitor::touches`], [`Visitor::labels`]), which are the same either
    /// way. Without a session filter (channel, stage, touchpoint) every session is
    /// kept, so the touches are not cut into sessions at all: [`Visitor::sessions`] is
    /// then empty, and the visitor's ratings are not gathered.
    pub fn fold_visitor_touches<S: Send>(
        &self,
        init: impl Fn() -> S + Sync,
        fold: impl Fn(&mut S, &Visitor<'a>) + Sync,
        merge: impl Fn(&mut S, S),
    ) -> S {
        let filters = &self.rules.filters;
        let sessions =
            filters.channel.is_some() || filters.stage.is_some() || filters.touchpoint.is_some();
        let pass = if sessions {
            Pass::Sessions
        } else {
            Pass::Touches
        };
        self.fold(pass, init, fold, merge)
    }

    /// [`Journeys::fold_visitors`], with what `pass` gives.
    fn fold<S: Send>(
        &self,
        pass: Pass,
        init: impl Fn() -> S + Sync,
        fold: impl Fn(&mut S, &Visitor<'a>) + Sync,
        merge: impl Fn(&mut S, S),
    ) -> S {
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
        let parts = self.table.parts(self.parts.unwrap_or(
            if self.table.rows().size_hint().0 < PARALLEL_FROM_ROWS {
                1
            } else {
                threads
            },
        ));
        let run = |part: &table::Part| {
            let (rows, ratings) = self.table.part(part);
            let mut state = init();
            self.visit(rows, ratings, pass, |v| fold(&mut state, v));
            state
        };
        if parts.len() == 1 {
            return run(&parts[0]);
        }
        std::thread::scope(|scope| {
            let running: Vec<_> = parts[1..]
                .iter()
                .map(|part| scope.spawn(move || run(part)))
                .collect();
            let mut state = run(&parts[0]);
            for part in running {
                merge(
                    &mut state,
                    part.join().unwrap_or_else(|e| std::panic::resume_unwind(e)),
                );
            }
            state
        })
    }

    /// Calls `f` with each visitor as `pass` says.
    fn visit(
        &self,
        mut rows: table::Rows<'a>,
        ratings: &'a [Rating],
        pass: Pass,
        mut f: impl FnMut(&Visitor<'a>),
    ) {
        let filters = &self.rules.filters;
        let segment = filters.segment.as_deref().map(|s| self.label_named(s));
        let touchpoint = filters.touchpoint.as_deref().map(|t| self.label_named(t));
        if segment == Some(None) || touchpoint == Some(None) {
            // Nobody did what does not occur.
            return;
        }
        // Engagement events say how a page view went; they are not touches.
        let keep = |r: &Row| {
            self.range.contains(&r.ts)
                && filters.device.is_none_or(|d| r.device == d)
                && r.kind != EventKind::Engagement
        };
        let mut ratings = ratings.iter().peekable();
        let mut pending: Vec<&Rating> = Vec::new();
        let mut v = Visitor::default();
        loop {
            v.clear();
            if pass == Pass::Rated {
                // On to the next visitor with a rating in the range.
                while ratings.next_if(|r| !self.range.contains(&r.ts)).is_some() {}
                let Some(next) = ratings.peek() else { break };
                rows.skip_to(next.visitor);
            }
            let Some(id) = rows.next_visitor(&mut v.touches, keep) else {
                break;
            };
            if v.touches.is_empty() {
                continue;
            }
            v.id = id;
            if pass == Pass::Touches {
                v.labels
                    .extend(v.touches.iter().map(|t| self.label_of(t.touchpoint)));
                if segment.is_none_or(|s| s.is_some_and(|s| v.labels.contains(&s))) {
                    f(&v);
                }
                continue;
            }
            // The visitor's ratings in the range (both are ordered by visitor).
            pending.clear();
            while ratings.next_if(|r| r.visitor < v.id).is_some() {}
            while let Some(rating) = ratings.next_if(|r| r.visitor == v.id) {
                if self.range.contains(&rating.ts) {
                    pending.push(rating);
                }
            }
            let mut pending_at = 0;
            v.labels
                .extend(v.touches.iter().map(|t| self.label_of(t.touchpoint)));
            if let Some(Some(segment)) = segment
                && !v.labels.contains(&segment)
            {
                continue;
            }
            // Sessions, and the session filters; kept sessions move to the front.
            let (mut start, mut kept) = (0, 0);
            for end in 1..=v.touches.len() {
                if end < v.touches.len()
                    && v.touches[end].ts - v.touches[end - 1].ts < self.rules.session_gap_ms
                {
                    continue;
                }
                let session = start..end;
                start = end;
                // Ratings from this session's first touch until the next session's.
                let first_rating = pending[pending_at..]
                    .iter()
                    .position(|r| r.ts >= v.touches[session.start].ts)
                    .map_or(pending.len(), |i| pending_at + i);
                let until = v.touches.get(end).map_or(i64::MAX, |next| next.ts);
                let after_rating = pending[first_rating..]
                    .iter()
                    .position(|r| r.ts >= until)
                    .map_or(pending.len(), |i| first_rating + i);
                pending_at = after_rating;
                let t = &v.touches[session.clone()];
                let l = &v.labels[session.clone()];
                let channel = t[0].channel;
                let passes = filters.channel.is_none_or(|c| channel == c)
                    && filters
                        .stage
                        .is_none_or(|st| t.iter().any(|t| t.stage == Some(st)))
                    && touchpoint.is_none_or(|tp| tp.is_some_and(|tp| l.contains(&tp)));
                if !passes {
                    continue;
                }
                let len = session.len();
                let rated = v.ratings.len();
                v.ratings
                    .extend_from_slice(&pending[first_rating..after_rating]);
                if kept != session.start {
                    v.touches.copy_within(session.clone(), kept);
                    v.labels.copy_within(session, kept);
                }
                let path = v.path_labels.len();
                for i in kept..kept + len {
                    if i == kept || v.labels[i - 1] != v.labels[i] {
                        v.path_labels.push(v.labels[i]);
                    }
                }
                v.sessions.push(SessionSpan {
                    touches: kept..kept + len,
                    path: path..v.path_labels.len(),
                    ratings: rated..v.ratings.len(),
                    channel,
                });
                kept += len;
            }
            if kept > 0 {
                v.touches.truncate(kept);
                v.labels.truncate(kept);
                f(&v);
            }
        }
    }

    /// The label of a touchpoint (of a touch or a rating).
    pub fn label_of(&self, touchpoint: Text) -> Label {
        self.label_of[touchpoint.index()].expect("every touchpoint is labelled")
    }

    /// How many labels there are; every [`Label::index`] is below this.
    pub fn labels_len(&self) -> usize {
        self.names.len()
    }

    pub fn name(&self, label: Label) -> &str {
        &self.names[label.index()]
    }

    /// The label with this name, if any touch has it.
    pub fn label_named(&self, name: &str) -> Option<Label> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| Label(i as u32))
    }

    pub fn is_goal(&self, label: Label) -> bool {
        Some(label) == self.goal
    }

    /// The range of touch times the journeys cover (ms since the epoch, end excluded).
    pub fn range(&self) -> Range<i64> {
        self.range.clone()
    }

    /// Every row of the table in the range that passes the device filter, engagement
    /// included, in (visitor, ts, id) order: for the passes that read more than touches
    /// (the scorecard's engagement and friction, experiments) and to which the session
    /// filters do not apply.
    pub fn all_rows(&self) -> impl Iterator<Item = &'a Row> + '_ {
        let device = self.rules.filters.device;
        self.table
            .rows()
            .filter(move |r| self.range.contains(&r.ts) && device.is_none_or(|d| r.device == d))
    }

    /// The table the touches are read from: ids, URLs, codes and revenue of a touch.
    pub fn table(&self) -> &'a Table {
        self.table
    }
}

/// Items in order with consecutive repeats collapsed.
pub fn collapse<T: PartialEq>(items: impl Iterator<Item = T>) -> Vec<T> {
    let mut path: Vec<T> = Vec::new();
    for item in items {
        if path.last() != Some(&item) {
            path.push(item);
        }
    }
    path
}

/// A share rounded to four decimals (correctly rounded, half to even on exact ties).
pub fn round4(x: f64) -> f64 {
    format!("{x:.4}").parse().unwrap_or(0.0)
}

/// `part / whole`, 0 when `whole` is 0, rounded to four decimals.
pub fn ratio(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        0.0
    } else {
        round4(part / whole)
    }
}

/// The median of whole milliseconds: the mean of the two middle values for an even
/// count, rounded down. `None` for no values.
pub fn median_ms(mut values: Vec<i64>) -> Option<i64> {
    match middle(&mut values, i64::cmp)? {
        (lower, None) => Some(lower),
        (lower, Some(upper)) => Some((lower + upper).div_euclid(2)),
    }
}

/// The median as a real number (mean of the two middle values), four decimals.
pub fn median_f64(mut values: Vec<f64>) -> Option<f64> {
    match middle(&mut values, f64::total_cmp)? {
        (lower, None) => Some(round4(lower)),
        (lower, Some(upper)) => Some(round4((lower + upper) / 2.0)),
    }
}

/// The middle value of `values` in the order `cmp`, or for an even count the two middle
/// values. Found by selection, not by sorting: the stages report takes medians of a
/// million values at 10 M events, and sorting them was a third of its time.
fn middle<T: Copy>(
    values: &mut [T],
    cmp: impl Fn(&T, &T) -> std::cmp::Ordering,
) -> Option<(T, Option<T>)> {
    let n = values.len();
    if n == 0 {
        return None;
    }
    let (below, upper, _) = values.select_nth_unstable_by(n / 2, &cmp);
    let upper = *upper;
    if n % 2 == 1 {
        return Some((upper, None));
    }
    // The lower middle value is the largest of the values below the upper one.
    let lower = below.iter().copied().max_by(|a, b| cmp(a, b))?;
    Some((lower, Some(upper)))
}

/// Counts ranked by count (descending), then name: the top `k`, and the rest summed.
pub fn top_k(counts: std::collections::BTreeMap<String, u64>, k: usize) -> (Vec<Count>, Other) {
    let mut ranked: Vec<(String, u64)> = counts.into_iter().collect();
    // Stable sort over name order: ties stay by name.
    ranked.sort_by_key(|(_, n)| std::cmp::Reverse(*n));
    let rest = ranked.split_off(k.min(ranked.len()));
    (
        ranked
            .into_iter()
            .map(|(touchpoint, count)| Count { touchpoint, count })
            .collect(),
        Other {
            touchpoints: rest.len() as u64,
            count: rest.iter().map(|(_, n)| n).sum(),
        },
    )
}

/// A touchpoint and how often it occurs.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Count {
    pub touchpoint: String,
    pub count: u64,
}

/// What lies beyond a top-k list: how many distinct entries, and their count.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Other {
    pub touchpoints: u64,
    pub count: u64,
}

/// The label paths end with.
pub const EXIT: &str = "(exit)";
pub const OTHER: &str = "(other)";

/// Visitor ids as reports show them.
pub fn visitor_hex(visitor: u64) -> String {
    format!("{visitor:016x}")
}

#[cfg(test)]
mod tests {
    use super::{median_f64, median_ms, round4};
    use proptest::prelude::*;

    proptest! {
        /// The medians found by selection equal the middle of the sorted values.
        #[test]
        fn medians_equal_the_middle_of_the_sorted_values(
            values in prop::collection::vec(-50i64..50, 0..40),
        ) {
            let mut sorted = values.clone();
            sorted.sort_unstable();
            let n = sorted.len();
            let expected = (n > 0).then(|| {
                if n % 2 == 1 {
                    (sorted[n / 2], sorted[n / 2] as f64)
                } else {
                    let (a, b) = (sorted[n / 2 - 1], sorted[n / 2]);
                    ((a + b).div_euclid(2), (a + b) as f64 / 2.0)
                }
            });
            prop_assert_eq!(median_ms(values.clone()), expected.map(|e| e.0));
            let reals = values.iter().map(|&v| v as f64).collect();
            prop_assert_eq!(median_f64(reals), expected.map(|e| round4(e.1)));
        }
    }
}
