//! Per-seed histograms (`seeds.hdr`) and the comparison of two samples of
//! seeds: round trips, merging, bounded reading of bad files, intervals.

use base64::Engine;
use results::compare::{compare_seeds, Change, Mode, Options};
use results::latency::by_fault::FaultLatencies;
use results::latency::seeds::SeedLatencies;
use results::latency::{Latencies, Outcome};

const MS: u64 = 1_000_000;

/// Seeds `seeds`, each with 300 reads spread over a per-seed scale and 40
/// writes, times `slow`; seed 5 adds a `pause` group.
fn sample(seeds: std::ops::Range<u64>, slow: f64) -> SeedLatencies {
    let mut out = SeedLatencies::new();
    for seed in seeds {
        let mut lat = FaultLatencies::default();
        for i in 0..300u64 {
            let ns = ((1 + i % 17) * MS + seed % 7 * MS / 3) as f64 * slow;
            lat.all.record("read", Outcome::Ok, ns as u64);
        }
        for i in 0..40u64 {
            lat.all.record("write", Outcome::Ok, (5 + i % 3) * MS);
        }
        let mut paused = Latencies::new();
        paused.record("read", Outcome::Ok, 700 * MS);
        lat.add_group(if seed == 5 { "pause" } else { "none" }, &paused);
        out.insert(seed, lat);
    }
    out
}

#[test]
fn merged_per_seed_histograms_equal_the_merged_histogram() {
    let seeds = sample(0..20, 1.0);
    let mut merged = Latencies::new();
    for seed in seeds.seeds() {
        merged.merge(&seeds.get(seed).unwrap().all);
    }
    assert_eq!(seeds.merged().all, merged);
    let back = SeedLatencies::from_hdr(&seeds.to_hdr(), "seeds.hdr").unwrap();
    assert_eq!(back, seeds);
    assert_eq!(back.merged().all, merged);
    assert_eq!(back.len(), 20);
    assert_eq!(
        back.get(5)
            .unwrap()
            .group("pause")
            .unwrap()
            .get("read", Outcome::Ok)
            .unwrap()
            .len(),
        1
    );
    // Written in seed order, byte for byte the same each time.
    assert!(seeds.to_hdr() == sample(0..20, 1.0).to_hdr());
}

fn err(bytes: &[u8]) -> String {
    SeedLatencies::from_hdr(bytes, "s.hdr")
        .unwrap_err()
        .to_string()
}

fn line(tag: &str, payload: &[u8]) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(payload);
    format!("Tag={tag},0.000,0.000,1.000,{b64}\n").into_bytes()
}

#[test]
fn bad_files_give_errors_naming_file_and_line_and_allocate_nothing_large() {
    assert!(err(b"#c\nnot a line\n").contains("s.hdr"));
    let good = sample(0..1, 1.0).to_hdr();
    let text = String::from_utf8(good).unwrap();
    let untagged = text.replacen("Tag=0/all/", "Tag=x/all/", 1);
    let e = err(untagged.as_bytes());
    assert!(e.contains("expected a tag `Tag=<seed>/"), "{e}");
    assert!(e.contains("s.hdr"), "{e}");

    // A V2 header whose payload length says 4 GiB: refused before any
    // allocation, with the line named.
    let mut v2 = vec![0x1c, 0x84, 0x93, 0x13, 0xff, 0xff, 0xff, 0xff];
    v2.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 3]);
    v2.extend_from_slice(&1u64.to_be_bytes());
    v2.extend_from_slice(&u64::MAX.to_be_bytes());
    v2.extend_from_slice(&1f64.to_be_bytes());
    let mut file = b"#header\n".to_vec();
    file.extend(line("3/all/read.ok", &v2));
    let e = err(&file);
    assert!(
        e.contains("payload length says 4294967295 bytes") && e.contains(":2"),
        "{e}"
    );

    // Too many significant digits (a counts array of hundreds of MB).
    let mut wide = v2.clone();
    wide[4..8].copy_from_slice(&0u32.to_be_bytes());
    wide[15] = 5;
    let e = err(&line("3/all/read.ok", &wide));
    assert!(e.contains("5 significant digits"), "{e}");

    // A deflated length beyond the bytes present.
    let mut deflate = vec![0x1c, 0x84, 0x93, 0x14, 0x7f, 0xff, 0xff, 0xff, 1, 2, 3];
    let e = err(&line("3/all/read.ok", &deflate));
    assert!(e.contains("deflated length says"), "{e}");
    deflate.truncate(4);
    assert!(err(&line("3/all/read.ok", &deflate)).contains("deflated length"));
}

#[test]
fn two_samples_of_one_version_show_no_significant_change() {
    let a = sample(0..30, 1.0);
    for (b, paired) in [(sample(0..30, 1.0), true), (sample(30..60, 1.0), false)] {
        let cmp = compare_seeds(&a, &b, &Options::default());
        assert_eq!(matches!(cmp.mode, Mode::Paired { seeds: 30 }), paired);
        for t in &cmp.tables {
            for r in &t.rows {
                assert!(
                    !r.worse,
                    "{} {} {}: {:?}",
                    t.f, t.outcome, r.label, r.interval
                );
                if let Some((lo, hi)) = r.interval {
                    assert!(lo <= 1.0 && 1.0 <= hi, "{} {}: [{lo}, {hi}]", t.f, r.label);
                }
            }
        }
        assert!(cmp.gate(1.1, &["p99"]).failures.is_empty());
        // The same inputs, the same text.
        assert_eq!(
            cmp.to_text("a", "b"),
            compare_seeds(&a, &b, &Options::default()).to_text("a", "b")
        );
    }
}

#[test]
fn a_slowdown_is_worse_and_fails_the_gate() {
    let a = sample(0..30, 1.0);
    let b = sample(30..60, 1.5);
    let cmp = compare_seeds(&a, &b, &Options::default());
    let read = cmp.tables.iter().find(|t| t.f == "read").unwrap();
    let p99 = read.row("p99").unwrap();
    assert_eq!(p99.change, Change::Worse, "{:?}", p99.interval);
    assert!(matches!(
        read.row("max").unwrap().change,
        Change::NoInterval(_)
    ));
    let write = cmp.tables.iter().find(|t| t.f == "write").unwrap();
    // 40 writes a seed: p99.9 has too few ops beyond it (1.2 per 1,200).
    assert!(matches!(
        write.row("p99.9").unwrap().change,
        Change::NoInterval(_)
    ));
    let gate = cmp.gate(1.1, &["p99"]);
    assert_eq!(gate.tested, 2);
    assert!((gate.row_confidence - 0.975).abs() < 1e-9);
    let failed: Vec<&str> = gate.failures.iter().map(|f| f.table.f.as_str()).collect();
    assert_eq!(failed, ["read"]);
    let text = cmp.to_text("a", "b");
    assert!(
        text.contains("unpaired: A has 30 seeds, B has 30"),
        "{text}"
    );
    assert!(
        text.contains("<< worse") && text.contains("no significant change"),
        "{text}"
    );
    // A faster B is better, never a failure.
    let back = compare_seeds(&b, &a, &Options::default());
    assert_eq!(back.tables[0].row("p99").unwrap().change, Change::Better);
    assert!(back.gate(1.0, &["p99"]).failures.is_empty());
}
