//! Reports ClickHouse computes itself: paths, funnels and the overview are pushed down
//! into SQL, so that they need neither the site's events in the collector's memory nor
//! the first load of them (see [`report`]). The other reports run in the journey engine
//! over the in-memory table, as with the embedded store.
//!
//! The SQL follows the engine's definitions to the letter (`crate::journey`): touches are
//! a site's events in the window other than feedback and engagement, of the device asked
//! for, each labelled by the grouping rules (computed here, over the site's distinct
//! touchpoints, and sent as one `transform`); a visitor's touches are ordered by
//! `(ts, id)`, an id once (copies that two collectors stored at the same moment are
//! dropped in the sorted array); a session ends at a gap of at least the session gap; the segment filter
//! keeps visitors with a touch of that label, and the stage and touchpoint filters keep
//! sessions. Each visitor becomes one row of parallel arrays (labels, times, stages,
//! revenue, session numbers, kept sessions) built with `groupArray`, and every report is
//! array functions over those rows, then an aggregation on the server. What comes back is
//! small: the top paths with the total and the number of distinct paths, a funnel's
//! counts and medians, one row per day. `tests/integration/clickhouse.rs` checks every report against the engine.
//!
//! Written for ClickHouse 18.16 and valid on current versions: no window functions, no
//! `arraySplit`/`arrayFold`, no query parameters. One quirk of 18.16 shapes the text: a
//! column a subquery returns that the outer query uses only inside a lambda nested in
//! another lambda is dropped from the subquery ("Unknown identifier"), so every such
//! column is also named in the outer query's `WHERE` (`notEmpty(…)`, true for the rows
//! that reach it).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use serde::Deserialize;

use super::{ClickHouseStore, quote};
use crate::journey::funnel::{self, FunnelResult};
use crate::journey::overview::{self, OverviewResult};
use crate::journey::paths::{self, OtherPaths, PathsResult, Unit};
use crate::journey::{EXIT, Rules};
use crate::reports::{Options, ReportResult, Request};

/// The largest grouping `transform` sent (the text of the touchpoints the rules rename):
/// a query may be 256 KiB. Beyond it the report runs in the engine instead.
const MAX_MAPPING_BYTES: usize = 128 * 1024;

/// The report for `request` computed by ClickHouse, or `None` for the reports and
/// options it does not compute (the caller runs the engine): the channel filter (a
/// session's channel is derived from its referrer, campaign and click ids by the engine's
/// rules, not stored), and grouping rules that rename too many touchpoints to send.
pub fn report(store: &ClickHouseStore, request: &Request) -> anyhow::Result<Option<ReportResult>> {
    if !matches!(
        request.options,
        Options::Paths { .. } | Options::Funnel { .. } | Options::Overview
    ) || request.rules.filters.channel.is_some()
    {
        return Ok(None);
    }
    let Some(scope) = Scope::new(store, request)? else {
        return Ok(None);
    };
    let result = match &request.options {
        Options::Paths { unit, limit } => {
            ReportResult::Paths(paths_report(store, &scope, *unit, *limit)?)
        }
        Options::Funnel { steps, window_ms } => {
            ReportResult::Funnel(funnel_report(store, &scope, steps, *window_ms)?)
        }
        Options::Overview => ReportResult::Overview(overview_report(store, &scope, request)?),
        _ => return Ok(None),
    };
    Ok(Some(result))
}

/// What a report looks at, as SQL: one row per visitor with a kept session.
struct Scope {
    /// `visitor, ls, tss, st, rv, sn, kept`: labels, times, stages and revenue of the
    /// visitor's touches in `(ts, id)` order, each touch's session number (from 0), and
    /// the numbers of the sessions that pass the session filters.
    visitors: String,
}

impl Scope {
    fn new(store: &ClickHouseStore, request: &Request) -> anyhow::Result<Option<Scope>> {
        let rules = &request.rules;
        let (from, to) = request.window.millis();
        let site = quote(&request.site);
        let Some(label) = label_expression(store, &site, rules)? else {
            return Ok(None);
        };
        let device = match rules.filters.device {
            Some(device) => format!(" AND device = {}", quote(device.as_str())),
            None => String::new(),
        };
        let segment = match &rules.filters.segment {
            Some(segment) => format!("WHERE has(ls, {})", quote(segment)),
            None => String::new(),
        };
        // A session is kept if it has a touch of the stage and one with the label asked
        // for (`k`: its number).
        let mut conditions = Vec::new();
        if let Some(stage) = rules.filters.stage {
            conditions.push(format!(
                "arrayExists((x, s) -> s = k AND x = {}, st, sn)",
                quote(stage.as_str())
            ));
        }
        if let Some(touchpoint) = &rules.filters.touchpoint {
            conditions.push(format!(
                "arrayExists((x, s) -> s = k AND x = {}, ls, sn)",
                quote(touchpoint)
            ));
        }
        let sessions = "range(toUInt64(sn[length(sn)]) + 1)";
        let kept = if conditions.is_empty() {
            sessions.to_owned()
        } else {
            format!("arrayFilter(k -> {}, {sessions})", conditions.join(" AND "))
        };
        let gap = rules.session_gap_ms;
        let stage = if rules.filters.stage.is_some() {
            "ifNull(stage, '')"
        } else {
            "''"
        };
        let revenue = if matches!(request.options, Options::Overview) {
            "if(kind = 'custom', toFloat64OrZero(visitParamExtractRaw(ifNull(props, ''), 'revenue')), 0)"
        } else {
            "0."
        };
        // Each visitor's touches sorted by (ts, id) as one array of tuples; a copy of an
        // id (two collectors storing it at once, until ClickHouse merges them) is dropped
        // there, the earliest kept, instead of reading the table with `FINAL` (which
        // took twice as long on 18.16).
        let visitors = format!(
            "SELECT visitor, ls, tss, st, rv, sn, {kept} AS kept FROM (
               SELECT visitor, ls, tss, st, rv,
                 arrayCumSum(arrayMap(d -> d >= {gap}, arrayDifference(tss))) AS sn
               FROM (
                 SELECT visitor, arrayMap(x -> x.3, a) AS ls, arrayMap(x -> x.1, a) AS tss,
                   arrayMap(x -> x.4, a) AS st, arrayMap(x -> x.5, a) AS rv
                 FROM (
                   SELECT visitor,
                     arrayFilter((x, u) -> u = 1, g, arrayEnumerateUniq(arrayMap(x -> x.2, g))) AS a
                   FROM (
                     SELECT visitor, arraySort(groupArray((ts, id, {label}, {stage}, {revenue}))) AS g
                     FROM events
                     WHERE site = {site} AND ts >= {from} AND ts < {to}
                       AND kind NOT IN ('feedback', 'engagement'){device}
                     GROUP BY visitor
                   )
                 )
               )
               {segment}
             )
             WHERE notEmpty(ls) AND notEmpty(st) AND notEmpty(sn)"
        );
        Ok(Some(Scope { visitors }))
    }
}

/// The label of a touch as SQL over `touchpoint`: the grouping rules applied in Rust to
/// the site's distinct touchpoints, the renamed ones sent as one `transform`. `None`
/// when that would make the query too long.
fn label_expression(
    store: &ClickHouseStore,
    site: &str,
    rules: &Rules,
) -> anyhow::Result<Option<String>> {
    #[derive(Deserialize)]
    struct Touchpoint {
        touchpoint: String,
    }
    if rules.grouping.is_empty() {
        return Ok(Some("touchpoint".into()));
    }
    let touchpoints: Vec<Touchpoint> = store.rows(&format!(
        "SELECT DISTINCT touchpoint FROM events WHERE site = {site}"
    ))?;
    let (mut from, mut to) = (String::new(), String::new());
    for Touchpoint { touchpoint } in &touchpoints {
        let label = rules.grouping.label(touchpoint);
        if label != touchpoint {
            let sep = if from.is_empty() { "" } else { ", " };
            write!(from, "{sep}{}", quote(touchpoint))?;
            write!(to, "{sep}{}", quote(label))?;
        }
    }
    if from.is_empty() {
        return Ok(Some("touchpoint".into()));
    }
    if from.len() + to.len() > MAX_MAPPING_BYTES {
        return Ok(None);
    }
    Ok(Some(format!(
        "transform(touchpoint, [{from}], [{to}], touchpoint)"
    )))
}

/// Paths: per kept session its labels with repeats collapsed (`fl` marks a touch whose
/// label differs from the one before in its session), or per visitor the labels of all
/// kept sessions collapsed again; counted on the server, ranked here.
fn paths_report(
    store: &ClickHouseStore,
    scope: &Scope,
    unit: Unit,
    limit: usize,
) -> anyhow::Result<PathsResult> {
    let visitors = &scope.visitors;
    let sql = match unit {
        Unit::Session => format!(
            "SELECT arrayJoin(arrayMap(k -> arrayFilter((x, s, f) -> s = k AND f, ls, sn, fl), kept)) AS path
               FROM (
                 SELECT ls, sn, kept,
                   arrayMap((x, s, i) -> i = 1 OR x != ls[i - 1] OR s != sn[i - 1], ls, sn, arrayEnumerate(ls)) AS fl
                 FROM ({visitors})
               )
               WHERE notEmpty(ls) AND notEmpty(sn) AND notEmpty(fl)"
        ),
        Unit::Visitor => format!(
            "SELECT arrayFilter((x, i) -> i = 1 OR x != v[i - 1], v, arrayEnumerate(v)) AS path
             FROM (
               SELECT arrayFilter((x, s) -> has(kept, s), ls, sn) AS v
               FROM ({visitors})
               WHERE notEmpty(kept)
             )
             WHERE notEmpty(v)"
        ),
    };
    // Counted by one string per path, its names and `(exit)` joined by NUL (stored texts
    // never hold control characters): grouping by a string is cheaper than by an array
    // of strings, and the string orders as the engine ranks ties — name by name, a
    // shorter path first where one is the other's beginning, since NUL is the smallest
    // byte. Ranked on the server: only the top paths come back. The distinct paths are
    // grouped once more, one row each, so that `WITH TOTALS` — an aggregation over all
    // the rows, before `ORDER BY` and `LIMIT` — counts them (`count()`) and adds up the
    // total (`sum(n)`). (`rows_before_limit_at_least` would not do: current versions
    // call it a lower estimate.)
    let sql = format!(
        "SELECT key, sum(c) AS n, count() AS paths
         FROM (
           SELECT arrayStringConcat(arrayPushBack(path, {exit}), '\\0') AS key, count() AS c
           FROM ({sql})
           GROUP BY key
         )
         GROUP BY key WITH TOTALS ORDER BY n DESC, key LIMIT {limit} FORMAT JSON",
        exit = quote(EXIT)
    );
    #[derive(Deserialize)]
    struct Row {
        key: String,
        n: u64,
        paths: u64,
    }
    #[derive(Deserialize)]
    struct Answer {
        data: Vec<Row>,
        totals: Option<Row>,
    }
    let answer: Answer = serde_json::from_str(&store.run(&sql)?)?;
    let (total, distinct) = answer.totals.map_or((0, 0), |t| (t.n, t.paths));
    let listed: u64 = answer.data.iter().map(|r| r.n).sum();
    let shown = answer.data.len() as u64;
    let top: Vec<(Vec<String>, u64)> = answer
        .data
        .into_iter()
        .map(|r| {
            let mut names: Vec<String> = r.key.split('\0').map(str::to_owned).collect();
            names.pop(); // `(exit)`
            (names, r.n)
        })
        .collect();
    let other = OtherPaths {
        paths: distinct.saturating_sub(shown),
        count: total.saturating_sub(listed),
    };
    Ok(paths::top_paths(top, other))
}

/// A funnel: per visitor (the touches of their kept sessions), every touch of the first
/// step starts an attempt that takes the next touch of each following step within the
/// window (one subquery per step, `m<k>`: the index of the matched touch per attempt, 0
/// once the attempt stopped); the furthest attempt counts, the earliest on ties. Counted
/// on the server: visitors by the step they reached and where they went next, and the
/// median gap before each step.
fn funnel_report(
    store: &ClickHouseStore,
    scope: &Scope,
    steps: &[String],
    window_ms: i64,
) -> anyhow::Result<FunnelResult> {
    let n = steps.len();
    let visitors = &scope.visitors;
    // m1: the attempts' starts; lv: how far each got.
    let mut sql = format!(
        "SELECT fl, ft, m1, arrayMap(j -> 1, m1) AS lv FROM (
           SELECT fl, ft, arrayFilter((i, x) -> x = {first}, arrayEnumerate(fl), fl) AS m1 FROM (
             SELECT arrayFilter((x, s) -> has(kept, s), ls, sn) AS fl,
                    arrayFilter((t, s) -> has(kept, s), tss, sn) AS ft
             FROM ({visitors})
             WHERE notEmpty(kept)
           )
         )
         WHERE notEmpty(m1)",
        first = quote(&steps[0])
    );
    let mut columns = "fl, ft, m1".to_owned();
    for (k, step) in steps.iter().enumerate().skip(1) {
        let (previous, this) = (k, k + 1);
        sql = format!(
            "SELECT {columns}, m{this}, arrayMap((l, m) -> l + (m > 0), lvp, m{this}) AS lv FROM (
               SELECT {columns}, lv AS lvp,
                 arrayMap((j, p) -> if(p = 0, 0,
                   arrayFirstIndex((x, t, i) -> i > p AND x = {step} AND t - ft[j] <= {window_ms},
                                   fl, ft, arrayEnumerate(fl))),
                   m1, m{previous}) AS m{this}
               FROM ({sql})
               WHERE notEmpty(fl) AND notEmpty(ft) AND notEmpty(m1) AND notEmpty(lv)
             )",
            step = quote(step),
        );
        write!(columns, ", m{this}")?;
    }
    // Per visitor: the best attempt's matched indices `mb`, its level, where they went.
    let matched: Vec<String> = (1..=n).map(|k| format!("m{k}[b]")).collect();
    let best = format!(
        "SELECT fl, ft, level, mb,
           if(level = {n}, '',
              if(after = 0, {exit}, fl[after])) AS went
         FROM (
           SELECT fl, ft, level, mb,
             arrayFirstIndex((x, i) -> i > mb[level] AND x != fl[mb[level]], fl, arrayEnumerate(fl)) AS after
           FROM (
             SELECT fl, ft, lv[b] AS level, [{matched}] AS mb
             FROM (
               SELECT *, indexOf(lv, arrayReduce('max', lv)) AS b FROM ({sql})
             )
           )
           WHERE notEmpty(fl) AND notEmpty(mb)
         )",
        exit = quote(EXIT),
        matched = matched.join(", "),
    );
    // One pass: per visitor a row (0, level, where they went) and per step they reached
    // after the first a row (1, step, gap before it); counted, and each step's gaps
    // reduced to their median (the mean of the two middle ones for an even count).
    #[derive(Deserialize)]
    struct Row {
        what: u8,
        step: usize,
        went: String,
        n: u64,
        median: i64,
    }
    let rows: Vec<Row> = store.rows(&format!(
        "SELECT what, step, went, n,
           if(n % 2 = 1, g[intDiv(n, 2) + 1], intDiv(g[intDiv(n, 2)] + g[intDiv(n, 2) + 1], 2)) AS median
         FROM (
           SELECT r.1 AS what, r.2 AS step, r.3 AS went, toUInt32(count()) AS n,
             arraySort(groupArrayIf(r.4, r.1 = 1)) AS g
           FROM (
             SELECT arrayJoin(arrayConcat(
               [(toUInt8(0), toUInt64(level), went, toInt64(0))],
               arrayMap(i -> (toUInt8(1), toUInt64(i + 2), '', ft[mb[i + 2]] - ft[mb[i + 1]]),
                        range(toUInt64(level - 1))))) AS r
             FROM ({best})
             WHERE notEmpty(ft) AND notEmpty(mb)
           )
           GROUP BY what, step, went
         )"
    ))?;
    let mut gaps: HashMap<usize, i64> = HashMap::new();
    let mut reached_rows = Vec::new();
    for row in rows {
        match row.what {
            0 => reached_rows.push(row),
            _ => {
                gaps.insert(row.step, row.median);
            }
        }
    }
    let mut reached = vec![0u64; n];
    let mut went = vec![BTreeMap::<String, u64>::new(); n];
    for row in reached_rows {
        let level = row.step;
        for r in &mut reached[..level.min(n)] {
            *r += row.n;
        }
        if level < n && level > 0 {
            *went[level - 1].entry(row.went).or_default() += row.n;
        }
    }
    let medians = (1..=n).map(|k| gaps.get(&k).copied()).collect();
    Ok(funnel::assemble(steps, &reached, medians, went))
}

/// The overview: per kept session the day of its first touch, whether it has a goal
/// touch and the revenue of its goal touches; summed per day and, with `WITH TOTALS`,
/// over the range (a visitor counted once).
fn overview_report(
    store: &ClickHouseStore,
    scope: &Scope,
    request: &Request,
) -> anyhow::Result<OverviewResult> {
    let goal = quote(&request.rules.goal);
    let sql = format!(
        "SELECT s.1 AS day, toUInt32(uniqExact(visitor)) AS visitors, toUInt32(count()) AS sessions,
                toUInt32(sum(s.2)) AS conversions, sum(s.3) AS revenue
         FROM (
           SELECT visitor, arrayJoin(arrayMap(k -> (
               toInt64(floor(tss[indexOf(sn, k)] / {day})),
               arrayExists((x, s) -> s = k AND x = {goal}, ls, sn),
               arraySum(arrayMap((x, s, r) -> if(s = k AND x = {goal}, r, 0), ls, sn, rv))
             ), kept)) AS s
           FROM ({visitors})
           WHERE notEmpty(tss) AND notEmpty(ls) AND notEmpty(sn) AND notEmpty(rv)
         )
         GROUP BY day WITH TOTALS
         FORMAT JSON",
        day = overview::DAY_MS,
        visitors = scope.visitors,
    );
    #[derive(Deserialize)]
    struct Answer {
        data: Vec<Day>,
        totals: Option<Day>,
    }
    #[derive(Deserialize)]
    struct Day {
        day: i64,
        visitors: u64,
        sessions: u64,
        conversions: u64,
        revenue: f64,
    }
    let answer: Answer = serde_json::from_str(&store.run(&sql)?)?;
    let counts = |d: &Day| overview::Counts {
        visitors: d.visitors,
        sessions: d.sessions,
        conversions: d.conversions,
        revenue: d.revenue,
    };
    let (from, to) = request.window.millis();
    let totals = answer.totals.as_ref().map(counts).unwrap_or_default();
    let days = answer.data.iter().map(|d| (d.day, counts(d))).collect();
    Ok(overview::assemble(from..to, totals, days))
}
