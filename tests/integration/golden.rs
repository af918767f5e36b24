//! The engine against the golden dataset: every report, for every query in
//! `tests/fixtures/golden/expected/`, must equal what an independent computation
//! (`tests/fixtures/golden/generate.py`, written from the report definitions and sharing
//! no code with the engine) produced.

use spur::event::{Device, EventKind, Stage};
use spur::journey::{Table, Touch};
use spur::reports::{self, Kind, Request};

pub(crate) fn golden(path: &str) -> serde_json::Value {
    let path = spur_tests::repo_root()
        .join("tests/fixtures/golden")
        .join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

fn touches() -> Vec<Touch> {
    let string = |v: &serde_json::Value| v.as_str().map(str::to_owned);
    golden("events.json")
        .as_array()
        .unwrap()
        .iter()
        .map(|e| Touch {
            visitor: e["visitor"].as_u64().unwrap(),
            ts: e["ts"].as_i64().unwrap(),
            id: string(&e["id"]).unwrap(),
            kind: EventKind::parse(e["kind"].as_str().unwrap()).unwrap(),
            touchpoint: string(&e["touchpoint"]).unwrap(),
            stage: e["stage"].as_str().and_then(Stage::parse),
            url: string(&e["url"]).unwrap(),
            referrer: string(&e["referrer"]),
            utm_source: string(&e["utm_source"]),
            utm_medium: string(&e["utm_medium"]),
            device: Device::parse(e["device"].as_str().unwrap()).unwrap(),
            revenue: e["revenue"].as_f64(),
            props: (!e["props"].is_null()).then(|| e["props"].to_string()),
        })
        .collect()
}

/// The report as the oracle writes it: the result alone, without what is only
/// presentation (the echo of the query, URLs in the timeline).
fn canonical(report: &reports::Report) -> serde_json::Value {
    canonical_json(serde_json::to_value(report).unwrap())
}

/// [`canonical`] of a report already turned into JSON.
pub(crate) fn canonical_json(mut json: serde_json::Value) -> serde_json::Value {
    let object = json.as_object_mut().unwrap();
    for key in ["site", "from", "to", "report"] {
        object.remove(key);
    }
    if let Some(sessions) = object.get_mut("sessions").and_then(|s| s.as_array_mut()) {
        for session in sessions {
            for touch in session["touches"].as_array_mut().into_iter().flatten() {
                touch.as_object_mut().unwrap().remove("url");
            }
        }
    }
    json
}

/// Every golden query: its file's name, the request, and the oracle's result.
pub(crate) fn requests() -> Vec<(String, Request, serde_json::Value)> {
    let dir = spur_tests::repo_root().join("tests/fixtures/golden/expected");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| {
            let name = file.file_stem().unwrap().to_str().unwrap().to_owned();
            let expected = golden(&format!("expected/{name}.json"));
            let kind = Kind::parse(name.split('_').next().unwrap()).unwrap();
            let pairs: Vec<(String, String)> = expected["query"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect();
            let today = "2026-10-07".parse().unwrap();
            let request = Request::parse(kind, &pairs, today, 30 * 60 * 1000)
                .unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, request, expected["result"].clone())
        })
        .collect()
}

#[test]
fn every_report_matches_the_independent_computation() {
    let table = Table::of(touches());
    let requests = requests();
    assert!(requests.len() >= 20, "{} expected files", requests.len());
    let mut failures = Vec::new();
    for (name, request, expected) in &requests {
        let got = canonical(&reports::compute(&table, request));
        if got != *expected {
            failures.push(format!("{name}:\n  expected {expected}\n  got      {got}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} reports differ:\n{}",
        failures.len(),
        requests.len(),
        failures.join("\n")
    );
}
