//! A seeded mutation fuzzer over every parser of `results`: JSONL
//! histories, Jepsen EDN, Jepsen logs, Porcupine kv logs (each read, then
//! checked), and `latency.hdr`. Each case mutates a valid sample (flip,
//! insert, delete or repeat bytes, splice samples) and must give a value or
//! an error, never a panic. `FUZZ_CASES=100000` runs longer by hand
//! (default 3,000 per parser); `FUZZ_SEED` picks another sequence.

use results::formats::{load, Format};
use results::latency::by_fault::FaultLatencies;
use results::latency::seeds::SeedLatencies;
use results::latency::{Latencies, Outcome};
use results::{check::check_events, CheckOptions};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::time::Duration;

/// splitmix64: a tiny seeded rng, so the test needs no rand.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

const JSONL: &str = r#"{"index":0,"time":1,"process":0,"type":"invoke","f":"write","key":"x","value":3}
{"index":1,"time":2,"process":0,"type":"ok","f":"write","key":"x","value":3}
{"index":2,"time":3,"process":1,"type":"invoke","f":"cas","key":"x","value":[3,4]}
{"index":3,"time":4,"process":1,"type":"info","f":"cas","key":"x","value":[3,4],"error":"timeout"}
{"index":4,"time":5,"process":"nemesis","type":"info","f":"pause-start","value":{"node":"n2","ms":800}}
{"index":5,"time":6,"process":2,"type":"invoke","f":"read","key":"x","value":null}
{"index":6,"time":7,"process":2,"type":"ok","f":"read","key":"x","value":4}
"#;

const EDN: &str = r#"{:type :invoke, :f :write, :value 3, :process 0, :time 1, :index 0}
{:type :ok, :f :write, :value 3, :process 0, :time 2, :index 1}
{:type :invoke, :f :cas, :value [3 4], :process 1, :time 3, :index 2}
{:type :fail, :f :cas, :value [3 4], :process 1, :time 4, :index 3, :error :cas-mismatch}
{:type :invoke, :f :read, :value nil, :process 2, :time 5, :index 4}
{:type :ok, :f :read, :value #_ 9 3, :process 2, :time 6, :index 5, :x #{1 "a\"b" \c}}
"#;

const JEPSEN_LOG: &str = "INFO  jepsen.util - 0\t:invoke\t:write\t1
INFO  jepsen.util - 1\t:invoke\t:cas\t[1 2]
INFO  jepsen.util - 0\t:ok\t:write\t1
INFO  jepsen.util - 1\t:fail\t:cas\t[1 2]
INFO  jepsen.util - 2\t:invoke\t:read\tnil
INFO  jepsen.util - 2\t:ok\t:read\t1
INFO  jepsen.util - 3\t:invoke\t:write\t4
INFO  jepsen.util - 3\t:info\t:write\t:timed-out
";

const PORCUPINE_KV: &str = r#"{:process 0, :type :invoke, :f :put, :key "1", :value "a"}
{:process 1, :type :invoke, :f :get, :key "1", :value nil}
{:process 0, :type :ok, :f :put, :key "1", :value "a"}
{:process 1, :type :ok, :f :get, :key "1", :value "a"}
{:process 2, :type :invoke, :f :append, :key "1", :value "b"}
{:process 2, :type :ok, :f :append, :key "1", :value "b"}
"#;

fn mutate(rng: &mut Rng, input: &[u8], samples: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() as u64 + 1) as usize;
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(
                at,
                b"[]{}()#_\"\\:,; \n\t0123456789-.eE+nil\xff\xc3"[rng.below(36) as usize],
            ),
            2 if at < out.len() => {
                let end = (at + 1 + rng.below(16) as usize).min(out.len());
                out.drain(at..end);
            }
            3 if at < out.len() => {
                // Repeat a chunk many times (deep nesting, long lines).
                let end = (at + 1 + rng.below(4) as usize).min(out.len());
                let chunk = out[at..end].to_vec();
                for _ in 0..rng.below(2_000) {
                    out.splice(at..at, chunk.iter().copied());
                }
            }
            4 => {
                let other = samples[rng.below(samples.len() as u64) as usize];
                let from = rng.below(other.len() as u64) as usize;
                let end = (from + rng.below(64) as usize).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            5 if at < out.len() => out.truncate(at),
            _ => {
                let digits = rng.next_u64().to_string();
                out.splice(at..at, digits.bytes());
            }
        }
    }
    out
}

/// Feeds `cases` mutations of `seed` to `parse`; panics name the case.
fn fuzz(name: &str, seed_input: &[u8], samples: &[&[u8]], parse: impl Fn(&[u8])) {
    let cases = env("FUZZ_CASES", 3_000);
    // Each parser its own stream: FNV-1a of the name (its length alone
    // gave "jsonl-forced" and "porcupine-kv" the same one).
    let name_hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut rng = Rng::new(env("FUZZ_SEED", 12) ^ name_hash);
    for case in 0..cases {
        let input = mutate(&mut rng, seed_input, samples);
        if catch_unwind(AssertUnwindSafe(|| parse(&input))).is_err() {
            panic!(
                "{name} case {case} panicked on {} bytes: {:?}",
                input.len(),
                String::from_utf8_lossy(&input[..input.len().min(400)])
            );
        }
    }
}

fn history_parser(format: Option<Format>) -> impl Fn(&[u8]) {
    move |bytes| {
        let text = String::from_utf8_lossy(bytes);
        if let Ok(loaded) = load(&text, "fuzz", format) {
            let opts = CheckOptions {
                timeout: Some(Duration::from_millis(200)),
                threads: 1,
                ..CheckOptions::default()
            };
            let _ = check_events(loaded.history.events(), &loaded.source(), &opts);
        }
    }
}

fn hdr_sample() -> Vec<u8> {
    let mut lat = Latencies::new();
    lat.record("read", Outcome::Ok, 1_000_000);
    lat.record("write", Outcome::Info, 5_000_000);
    lat.to_hdr()
}

#[test]
fn no_parser_panics_on_mutated_input() {
    let hdr = hdr_sample();
    let samples: Vec<&[u8]> = vec![
        JSONL.as_bytes(),
        EDN.as_bytes(),
        JEPSEN_LOG.as_bytes(),
        PORCUPINE_KV.as_bytes(),
        &hdr,
    ];
    fuzz("jsonl", JSONL.as_bytes(), &samples, history_parser(None));
    fuzz(
        "jsonl-forced",
        JSONL.as_bytes(),
        &samples,
        history_parser(Some(Format::Jsonl)),
    );
    fuzz("edn", EDN.as_bytes(), &samples, history_parser(None));
    fuzz(
        "jepsen-log",
        JEPSEN_LOG.as_bytes(),
        &samples,
        history_parser(None),
    );
    fuzz(
        "porcupine-kv",
        PORCUPINE_KV.as_bytes(),
        &samples,
        history_parser(None),
    );
    fuzz("latency.hdr", &hdr, &samples, |bytes| {
        let _ = Latencies::from_hdr(bytes, "fuzz.hdr");
    });
    let mut lat = FaultLatencies::default();
    lat.add_group("all", &Latencies::from_hdr(&hdr, "sample.hdr").unwrap());
    let mut seeds = SeedLatencies::new();
    seeds.insert(7, lat);
    let seeds_hdr = seeds.to_hdr();
    fuzz("seeds.hdr", &seeds_hdr, &samples, |bytes| {
        let _ = SeedLatencies::from_hdr(bytes, "fuzz-seeds.hdr");
    });
}
