//! The scenario loader under the seeded mutation fuzzer of `results`'
//! parsers: mutated `config.json` texts go through `Scenario::from_json`
//! and, when they parse, `validate`; each must give a value or an error,
//! never a panic (a size that passes validation is bounded, so nothing
//! here allocates by it). `FUZZ_CASES=100000` runs longer by hand (default
//! 3,000 per sample); `FUZZ_SEED` picks another sequence.

#[path = "../../results/tests/mutate/mod.rs"]
mod mutate;

use harness::Scenario;

/// Loads `bytes` as a run's `config.json` would be loaded.
fn load(bytes: &[u8]) {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(scenario) = Scenario::from_json(&text) {
        if scenario.validate().is_ok() {
            // What a run reads of it before it starts.
            let _ = scenario.node_names();
            let _ = serde_json::to_string(&scenario);
        }
    }
}

#[test]
fn the_scenario_loader_never_panics_on_mutated_input() {
    // Samples as a run writes them: one with the default swarm faults,
    // one without faults (pretty-printed, as config.json is).
    let swarm = serde_json::to_string_pretty(&Scenario::with_seed(7)).unwrap();
    let quiet = serde_json::to_string_pretty(&Scenario::without_faults(3)).unwrap();
    for text in [&swarm, &quiet] {
        let back = Scenario::from_json(text).expect("a sample loads");
        back.validate().expect("a sample is valid");
    }
    let samples: Vec<&[u8]> = vec![swarm.as_bytes(), quiet.as_bytes()];
    mutate::fuzz("scenario-swarm", swarm.as_bytes(), &samples, load);
    mutate::fuzz("scenario-quiet", quiet.as_bytes(), &samples, load);
}
