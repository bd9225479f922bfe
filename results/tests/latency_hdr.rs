//! Latency histograms from histories, and the `latency.hdr` / `latency.json`
//! files: round trips, merging, and errors for malformed files.

use results::latency::{completed_ops, Latencies, Outcome};
use results::{Event, History, Process};
use serde_json::{json, Value};

const MS: u64 = 1_000_000;

fn invoke(p: u64, f: &str) -> Event {
    Event::invoke(Process::Client(p), f, "x", Value::Null)
}
fn ok(p: u64, f: &str) -> Event {
    Event::ok(Process::Client(p), f, "x", json!(1))
}
fn info(p: u64, f: &str) -> Event {
    Event::info(Process::Client(p), f, "x", json!(1), "timeout")
}
fn fail(p: u64, f: &str) -> Event {
    Event::fail(Process::Client(p), f, "x", json!(1), "cas mismatch")
}

fn sample_history() -> History {
    let mut h = History::new();
    #[rustfmt::skip]
    let rows: [(u64, Event); 10] = [
        (0,          invoke(0, "read")),
        (MS,         invoke(1, "write")),
        (2 * MS,     Event::nemesis("pause-start", json!({"node": "n1"}))),
        (3 * MS,     ok(0, "read")),            // read ok: 3 ms
        (4 * MS,     invoke(2, "cas")),
        (9 * MS,     fail(2, "cas")),           // cas fail: 5 ms
        (10 * MS,    Event::nemesis("pause-end", json!({"node": "n1"}))),
        (12 * MS,    invoke(0, "read")),        // never completes
        (1001 * MS,  info(1, "write")),         // write info: 1000 ms
        (1002 * MS,  ok(7, "read")),            // no invoke: ignored
    ];
    for (t, e) in rows {
        h.push(t, e);
    }
    h
}

#[test]
fn a_history_gives_one_latency_per_completed_op() {
    let h = sample_history();
    let ops = completed_ops(&h);
    let got: Vec<(u64, &str, Outcome, u64)> = ops
        .iter()
        .map(|o| (o.process, o.f.as_str(), o.outcome, o.latency_ns()))
        .collect();
    assert_eq!(
        got,
        vec![
            (0, "read", Outcome::Ok, 3 * MS),
            (2, "cas", Outcome::Fail, 5 * MS),
            (1, "write", Outcome::Info, 1000 * MS),
        ]
    );
    let lat = Latencies::from_history(&h);
    assert_eq!(lat.kinds(), vec!["cas", "read", "write"]);
    assert_eq!(lat.get("read", Outcome::Ok).unwrap().len(), 1);
    assert!(lat.get("read", Outcome::Info).is_none());
    assert!(lat.get("pause-start", Outcome::Info).is_none());
}

#[test]
fn hdr_round_trip_keeps_every_histogram() {
    let mut lat = Latencies::new();
    for i in 1..=10_000u64 {
        lat.record("read", Outcome::Ok, i * 1_000);
        if i % 10 == 0 {
            lat.record("write", Outcome::Info, 1_000 * MS + i);
        }
    }
    lat.record("odd, name %", Outcome::Fail, 0);
    let bytes = lat.to_hdr();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("Tag=read.ok,"), "{text}");
    assert!(text.contains("Tag=odd%2C%20name%20%25.fail,"), "{text}");

    let back = Latencies::from_hdr(&bytes, "latency.hdr").unwrap();
    assert_eq!(back, lat);
    let read = back.get("read", Outcome::Ok).unwrap();
    assert_eq!(read.len(), 10_000);
    assert_eq!(read.max(), lat.get("read", Outcome::Ok).unwrap().max());
    assert_eq!(back.get("odd, name %", Outcome::Fail).unwrap().len(), 1);
}

#[test]
fn merging_adds_counts_and_a_repeated_tag_is_merged_on_read() {
    let mut a = Latencies::new();
    a.record("read", Outcome::Ok, 2 * MS);
    let mut b = Latencies::new();
    b.record("read", Outcome::Ok, 4 * MS);
    b.record("write", Outcome::Ok, 6 * MS);

    let mut merged = a.clone();
    merged.merge(&b);
    assert_eq!(merged.get("read", Outcome::Ok).unwrap().len(), 2);
    assert_eq!(merged.get("write", Outcome::Ok).unwrap().len(), 1);

    // Two logs concatenated (as `cat run*/latency.hdr`) read as the merge.
    let mut both = a.to_hdr();
    both.extend(b.to_hdr());
    assert_eq!(Latencies::from_hdr(&both, "cat.hdr").unwrap(), merged);
}

#[test]
fn latency_json_has_percentiles_in_ms() {
    let mut lat = Latencies::new();
    for ms in 1..=100 {
        lat.record("read", Outcome::Ok, ms * MS);
    }
    let json: Value = serde_json::from_str(&lat.to_json()).unwrap();
    let read_ok = &json["read"]["ok"];
    assert_eq!(read_ok["count"], 100);
    let near = |field: &str, want: f64| {
        let got = read_ok[field].as_f64().unwrap();
        assert!(
            (got - want).abs() / want < 0.001,
            "{field}: {got} vs {want}"
        );
    };
    near("mean_ms", 50.5);
    near("p50_ms", 50.0);
    near("p90_ms", 90.0);
    near("p99_ms", 99.0);
    near("p99_9_ms", 100.0);
    near("max_ms", 100.0);
}

#[test]
fn write_files_writes_both_files() {
    let dir = std::env::temp_dir().join(format!("latency_files_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let lat = Latencies::from_history(&sample_history());
    lat.write_files(&dir).unwrap();
    let back = Latencies::read_hdr_file(&dir.join("latency.hdr")).unwrap();
    assert_eq!(back, lat);
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("latency.json")).unwrap()).unwrap();
    assert_eq!(json["write"]["info"]["count"], 1);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn malformed_hdr_files_give_errors_naming_the_line() {
    let good = {
        let mut lat = Latencies::new();
        lat.record("read", Outcome::Ok, MS);
        String::from_utf8(lat.to_hdr()).unwrap()
    };
    let hist_line = good.lines().position(|l| l.starts_with("Tag=")).unwrap() + 1;
    let cases: Vec<(String, usize, &str)> = vec![
        ("not a histogram log\n".into(), 1, "expected a `#` comment"),
        (
            good.replace("Tag=read.ok", "Tag=read.maybe"),
            hist_line,
            "Tag=<f>.<ok|fail|info>",
        ),
        (
            good.replace("Tag=read.ok,", ""),
            hist_line,
            "Tag=<f>.<ok|fail|info>",
        ),
        (
            {
                let cut = good.rfind(',').unwrap();
                format!("{}!!!!\n", &good[..=cut])
            },
            hist_line,
            "base64",
        ),
        (
            {
                let cut = good.rfind(',').unwrap();
                format!("{}AAAAAAAA\n", &good[..=cut])
            },
            hist_line,
            "V2",
        ),
        (
            good.trim_end().to_string(),
            hist_line,
            "ending in a newline",
        ),
    ];
    for (text, line, expected) in cases {
        let err = Latencies::from_hdr(text.as_bytes(), "run/latency.hdr").unwrap_err();
        assert_eq!(
            (err.file.as_str(), err.line),
            ("run/latency.hdr", line),
            "{err}"
        );
        assert!(
            err.to_string().contains(expected),
            "{err} should mention {expected}"
        );
    }
    let missing = Latencies::read_hdr_file(std::path::Path::new("/nonexistent/latency.hdr"));
    assert!(missing
        .unwrap_err()
        .to_string()
        .contains("/nonexistent/latency.hdr"));
}

/// A histogram whose length fields claim gigabytes is refused before
/// anything is allocated (a 364-byte file once made the decoder allocate
/// 4.2 GB).
#[test]
fn length_fields_are_checked_before_allocation() {
    use base64::Engine;
    let mut plain = Vec::new();
    plain.extend_from_slice(&0x1c84_9313u32.to_be_bytes());
    plain.extend_from_slice(&0xffff_fff0u32.to_be_bytes()); // payload length
    plain.extend_from_slice(&0u32.to_be_bytes());
    plain.extend_from_slice(&3u32.to_be_bytes());
    plain.extend_from_slice(&1u64.to_be_bytes());
    plain.extend_from_slice(&1_000_000_000_000u64.to_be_bytes());
    plain.extend_from_slice(&1.0f64.to_be_bytes());
    plain.extend_from_slice(&[2, 0]);
    let mut deflated = Vec::new();
    deflated.extend_from_slice(&0x1c84_9314u32.to_be_bytes());
    deflated.extend_from_slice(&0xffff_ffffu32.to_be_bytes()); // compressed length
    deflated.extend_from_slice(&[0x78, 0x9c, 1, 2, 3]);
    for bytes in [plain, deflated] {
        let encoded = base64::engine::general_purpose::STANDARD.encode(&bytes);
        let text = format!("Tag=read.ok,0.000,1.000,1.000,{encoded}\n");
        let err = Latencies::from_hdr(text.as_bytes(), "latency.hdr").unwrap_err();
        assert!(
            err.to_string().contains(" says ") && err.to_string().contains("bytes"),
            "{err}"
        );
        assert_eq!(err.line, 1);
    }
}
