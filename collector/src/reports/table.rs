//! Reports as tables: one header and rows of cells, for CSV downloads and the terminal.

use super::{Report, ReportResult};

/// A report flattened into rows.
pub struct Table {
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<String>>,
}

fn opt<T: ToString>(value: Option<T>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

impl Table {
    pub fn of(report: &Report) -> Table {
        let mut rows = Vec::new();
        let header = match &report.result {
            ReportResult::Overview(r) => {
                for d in &r.days {
                    rows.push(vec![
                        d.date.clone(),
                        d.counts.visitors.to_string(),
                        d.counts.sessions.to_string(),
                        d.counts.conversions.to_string(),
                        d.counts.revenue.to_string(),
                    ]);
                }
                rows.push(vec![
                    "(total)".into(),
                    r.totals.visitors.to_string(),
                    r.totals.sessions.to_string(),
                    r.totals.conversions.to_string(),
                    r.totals.revenue.to_string(),
                ]);
                vec!["date", "visitors", "sessions", "conversions", "revenue"]
            }
            ReportResult::Paths(r) => {
                for (i, p) in r.paths.iter().enumerate() {
                    rows.push(vec![
                        (i + 1).to_string(),
                        p.steps.join(" > "),
                        p.count.to_string(),
                        p.share.to_string(),
                    ]);
                }
                rows.push(vec![
                    String::new(),
                    format!("(other: {} paths)", r.other.paths),
                    r.other.count.to_string(),
                    String::new(),
                ]);
                vec!["rank", "path", "count", "share"]
            }
            ReportResult::Explore(r) => {
                for step in &r.steps {
                    for c in &step.top {
                        rows.push(vec![
                            step.step.to_string(),
                            c.touchpoint.clone(),
                            c.count.to_string(),
                        ]);
                    }
                    rows.push(vec![
                        step.step.to_string(),
                        "(other)".into(),
                        step.other.count.to_string(),
                    ]);
                    rows.push(vec![
                        step.step.to_string(),
                        "(end)".into(),
                        step.end.to_string(),
                    ]);
                }
                vec!["step", "touchpoint", "sessions"]
            }
            ReportResult::Transitions(r) => {
                for l in &r.links {
                    rows.push(vec![
                        l.step.to_string(),
                        l.source.clone(),
                        l.target.clone(),
                        l.value.to_string(),
                    ]);
                }
                vec!["step", "source", "target", "sessions"]
            }
            ReportResult::Funnel(r) => {
                for (i, s) in r.steps.iter().enumerate() {
                    rows.push(vec![
                        (i + 1).to_string(),
                        s.touchpoint.clone(),
                        s.visitors.to_string(),
                        s.conversion.to_string(),
                        s.step_conversion.to_string(),
                        s.dropped.to_string(),
                        opt(s.median_ms_from_previous),
                    ]);
                }
                vec![
                    "step",
                    "touchpoint",
                    "visitors",
                    "conversion",
                    "step_conversion",
                    "dropped",
                    "median_ms_from_previous",
                ]
            }
            ReportResult::Stages(r) => {
                for s in &r.stages {
                    rows.push(vec![
                        s.stage.to_string(),
                        s.visitors.to_string(),
                        opt(s.conversion_from_previous),
                        opt(s.median_ms_in_stage),
                        s.ended_here.to_string(),
                    ]);
                }
                vec![
                    "stage",
                    "visitors",
                    "conversion_from_previous",
                    "median_ms_in_stage",
                    "ended_here",
                ]
            }
            ReportResult::Feedback(r) => {
                let mut push = |group: &str, key: &str, s: &crate::journey::feedback::Scores| {
                    rows.push(vec![
                        group.to_owned(),
                        key.to_owned(),
                        opt(s.nps.as_ref().map(|n| n.responses)),
                        opt(s.nps.as_ref().map(|n| n.score)),
                        opt(s.csat.as_ref().map(|c| c.responses)),
                        opt(s.csat.as_ref().map(|c| c.satisfied)),
                        opt(s.csat.as_ref().map(|c| c.mean)),
                        opt(s.ces.as_ref().map(|c| c.responses)),
                        opt(s.ces.as_ref().map(|c| c.mean)),
                        opt(s.thumbs.as_ref().map(|t| t.responses)),
                        opt(s.thumbs.as_ref().map(|t| t.up_ratio)),
                    ]);
                };
                push("overall", "", &r.overall);
                for (group, keyed) in [
                    ("touchpoint", &r.by_touchpoint),
                    ("stage", &r.by_stage),
                    ("channel", &r.by_channel),
                    ("day", &r.by_day),
                ] {
                    for k in keyed {
                        push(group, &k.key, &k.scores);
                    }
                }
                vec![
                    "group",
                    "key",
                    "nps_responses",
                    "nps",
                    "csat_responses",
                    "csat_satisfied",
                    "csat_mean",
                    "ces_responses",
                    "ces_mean",
                    "thumbs_responses",
                    "thumbs_up_ratio",
                ]
            }
            ReportResult::Touchpoints(r) => {
                for t in &r.touchpoints {
                    rows.push(vec![
                        t.touchpoint.clone(),
                        t.visitors.to_string(),
                        t.sessions.to_string(),
                        t.conversion_share.to_string(),
                        opt(t.median_position),
                        t.exits.to_string(),
                        t.exit_rate.to_string(),
                        opt(t.health.as_ref().and_then(|h| h.median_engaged_ms)),
                        opt(t.health.as_ref().and_then(|h| h.median_scroll)),
                        opt(t.health.as_ref().map(|h| h.friction_rate)),
                    ]);
                }
                vec![
                    "touchpoint",
                    "visitors",
                    "sessions",
                    "conversion_share",
                    "median_position",
                    "exits",
                    "exit_rate",
                    "median_engaged_ms",
                    "median_scroll",
                    "friction_rate",
                ]
            }
            ReportResult::Experiments(r) => {
                for e in &r.experiments {
                    for v in &e.variants {
                        let c = v.comparison.as_ref();
                        rows.push(vec![
                            e.experiment.clone(),
                            v.variant.clone(),
                            (v.variant == e.control).to_string(),
                            v.visitors.to_string(),
                            v.conversions.to_string(),
                            v.conversion_rate.to_string(),
                            v.ratings.to_string(),
                            opt(v.satisfaction),
                            opt(c.map(|c| c.difference)),
                            opt(c.and_then(|c| c.interval).map(|i| i[0])),
                            opt(c.and_then(|c| c.interval).map(|i| i[1])),
                            c.map(|c| c.text.clone()).unwrap_or_default(),
                        ]);
                    }
                }
                vec![
                    "experiment",
                    "variant",
                    "control",
                    "visitors",
                    "conversions",
                    "conversion_rate",
                    "ratings",
                    "satisfaction",
                    "difference",
                    "interval_low",
                    "interval_high",
                    "verdict",
                ]
            }
            ReportResult::Channels(r) => {
                for c in &r.channels {
                    let credited = r
                        .attribution
                        .channels
                        .iter()
                        .find(|a| a.channel == c.channel);
                    rows.push(vec![
                        c.channel.as_str().into(),
                        c.sessions.to_string(),
                        c.visitors.to_string(),
                        c.conversions.to_string(),
                        c.revenue.to_string(),
                        credited.map_or("0".into(), |a| a.conversions.to_string()),
                        credited.map_or("0".into(), |a| a.revenue.to_string()),
                    ]);
                }
                vec![
                    "channel",
                    "sessions",
                    "visitors",
                    "conversions",
                    "revenue",
                    "attributed_conversions",
                    "attributed_revenue",
                ]
            }
            ReportResult::Referrals(r) => {
                for c in &r.codes {
                    rows.push(vec![
                        c.code.clone(),
                        opt(c.owner.clone()),
                        c.arrivals.to_string(),
                        c.conversions.to_string(),
                    ]);
                }
                vec!["code", "owner", "arrivals", "conversions"]
            }
            ReportResult::Visitor(r) => {
                for (i, s) in r.sessions.iter().enumerate() {
                    for t in &s.touches {
                        rows.push(vec![
                            r.visitor.clone(),
                            (i + 1).to_string(),
                            s.channel.as_str().into(),
                            t.id.clone(),
                            t.ts.to_string(),
                            t.kind.into(),
                            t.touchpoint.clone(),
                            opt(t.stage),
                            t.url.clone(),
                        ]);
                    }
                }
                vec![
                    "visitor",
                    "session",
                    "channel",
                    "id",
                    "ts",
                    "type",
                    "touchpoint",
                    "stage",
                    "url",
                ]
            }
        };
        Table { header, rows }
    }

    /// RFC 4180 CSV. Cells a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab,
    /// carriage return first) get a leading `'`: names come from websites' visitors.
    pub fn csv(&self) -> String {
        let mut out = csv::Writer::from_writer(Vec::new());
        let _ = out.write_record(&self.header);
        for row in &self.rows {
            let _ = out.write_record(row.iter().map(|cell| defuse(cell).into_owned()));
        }
        String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
    }
}

fn defuse(cell: &str) -> std::borrow::Cow<'_, str> {
    let numeric = cell.parse::<f64>().is_ok();
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') if !numeric => format!("'{cell}").into(),
        _ => cell.into(),
    }
}
