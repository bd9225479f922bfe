//! A seeded mutation fuzzer over every parser of `results`: JSONL
//! histories, Jepsen EDN, Jepsen logs, Porcupine kv logs (each read, then
//! checked), and `latency.hdr`. Each case mutates a valid sample (flip,
//! insert, delete or repeat bytes, splice samples) and must give a value or
//! an error, never a panic. `FUZZ_CASES=100000` runs longer by hand
//! (default 3,000 per parser); `FUZZ_SEED` picks another sequence.

mod mutate;

use mutate::fuzz;
use results::formats::{load, Format};
use results::latency::by_fault::FaultLatencies;
use results::latency::seeds::SeedLatencies;
use results::latency::{Latencies, Outcome};
use results::{check::check_events, CheckOptions};
use std::time::Duration;

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

/// Knossos-style: a lock, no keys, and a transaction at the end.
const MUTEX_EDN: &str = r#"[{:type :invoke, :f :acquire, :process 0}
 {:type :ok, :f :acquire, :process 0}
 {:type :invoke, :f :release, :process 0}
 {:type :info, :f :release, :process 0}
 {:type :invoke, :f :acquire, :process 1}
 {:type :fail, :f :acquire, :process 1, :error :held}
 {:type :invoke, :f :txn, :value [[:read :x nil] [:write :y 2]], :process 2}]
"#;

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
        MUTEX_EDN.as_bytes(),
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
    fuzz(
        "mutex-edn",
        MUTEX_EDN.as_bytes(),
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
