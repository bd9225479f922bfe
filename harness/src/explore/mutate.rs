//! New fault schedules from old ones: the mutations of guided exploration.
//!
//! A schedule is a scenario's explicit script (`nemesis.script`, each entry
//! `{at_ms, fault}`), edited as JSON so that any fault kind, today's or a
//! future one, is edited the same way: its start moves, any `ms` field
//! (how long) stretches or shrinks, any `node` field is re-aimed, an entry
//! is duplicated nearby, dropped, or taken over from another run of the
//! corpus. A mutated scenario that does not validate is not run.

use crate::scenario::Scenario;
use rand::Rng;
use serde_json::Value;

/// Most edits in one mutation.
const EDITS_MAX: usize = 3;
/// Most faults in a mutated schedule.
const FAULTS_MAX: usize = 200;

/// A mutant of `parent` (a scenario with an explicit schedule), with faults
/// from `donor` available to splice in; `None` if no valid mutant came of
/// a few tries.
pub fn mutate(parent: &Scenario, donor: &Scenario, rng: &mut impl Rng) -> Option<Scenario> {
    let horizon = horizon_ms(parent);
    for _ in 0..4 {
        let mut script: Vec<Value> = parent
            .nemesis
            .script
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect();
        let donors: Vec<Value> = donor
            .nemesis
            .script
            .iter()
            .filter_map(|t| serde_json::to_value(t).ok())
            .collect();
        for _ in 0..rng.random_range(1..=EDITS_MAX) {
            edit(&mut script, &donors, parent.nodes, horizon, rng);
        }
        script.truncate(FAULTS_MAX);
        script.sort_by_key(|t| t.get("at_ms").and_then(Value::as_u64).unwrap_or(0));
        let Ok(script) = serde_json::from_value(Value::Array(script)) else {
            continue;
        };
        let mut child = parent.clone();
        child.nemesis.script = script;
        if child.nemesis.script.is_empty() || child.validate().is_err() {
            continue;
        }
        return Some(child);
    }
    None
}

/// About how long the run's faults have to land in: up to the last fault
/// start, plus a second (at least 2 s).
fn horizon_ms(s: &Scenario) -> u64 {
    let last = s.nemesis.script.iter().map(|t| t.at_ms).max().unwrap_or(0);
    (last + 1_000).max(2_000)
}

/// One random edit of `script`.
fn edit(script: &mut Vec<Value>, donors: &[Value], nodes: usize, horizon: u64, rng: &mut impl Rng) {
    let choice = rng.random_range(0..6);
    if script.is_empty() || choice == 5 {
        if let Some(d) = pick(donors, rng) {
            script.push(d.clone());
        }
        return;
    }
    let i = rng.random_range(0..script.len());
    match choice {
        0 => {
            // Move the start by up to half a second either way.
            let at = script[i].get("at_ms").and_then(Value::as_u64).unwrap_or(0);
            let delta = rng.random_range(0..=500);
            let at = if rng.random_bool(0.5) {
                at.saturating_sub(delta)
            } else {
                (at + delta).min(horizon)
            };
            script[i]["at_ms"] = Value::from(at);
        }
        1 => scale_ms(&mut script[i], rng.random_range(25..=400)),
        2 => retarget(&mut script[i], nodes, rng),
        3 => {
            let mut copy = script[i].clone();
            let at = copy.get("at_ms").and_then(Value::as_u64).unwrap_or(0);
            copy["at_ms"] = Value::from((at + rng.random_range(0..=300)).min(horizon));
            script.push(copy);
        }
        _ => {
            if script.len() > 1 {
                script.remove(i);
            }
        }
    }
}

fn pick<'a, T>(items: &'a [T], rng: &mut impl Rng) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.random_range(0..items.len())])
}

/// Multiplies every `ms` field inside `value` by `pct` percent (at least
/// 1 ms).
fn scale_ms(value: &mut Value, pct: u64) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                match v.as_u64() {
                    Some(ms) if key == "ms" => *v = Value::from((ms * pct / 100).max(1)),
                    _ => scale_ms(v, pct),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| scale_ms(v, pct)),
        _ => {}
    }
}

/// Aims every `node` field inside `value` at one random node.
fn retarget(value: &mut Value, nodes: usize, rng: &mut impl Rng) {
    let node = rng.random_range(0..nodes.max(1));
    set_nodes(value, node);
}

fn set_nodes(value: &mut Value, node: usize) {
    match value {
        Value::Object(map) => {
            for (key, v) in map.iter_mut() {
                if key == "node" && v.is_u64() {
                    *v = Value::from(node);
                } else {
                    set_nodes(v, node);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| set_nodes(v, node)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nemeses::{Fault, Timed};
    use rand::SeedableRng;

    fn scripted(faults: Vec<Timed>) -> Scenario {
        let mut s = Scenario::without_faults(1);
        s.nemesis.script = faults;
        s
    }

    #[test]
    fn mutants_are_valid_different_and_repeatable() {
        let parent = scripted(vec![
            Timed {
                at_ms: 100,
                fault: Fault::Crash {
                    node: 0,
                    ms: 300,
                    leader: false,
                },
            },
            Timed {
                at_ms: 900,
                fault: Fault::Pause {
                    node: 2,
                    ms: 500,
                    leader: true,
                },
            },
        ]);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
        let mut changed = 0;
        for _ in 0..50 {
            let child = mutate(&parent, &parent, &mut rng).expect("a valid mutant");
            child.validate().unwrap();
            assert!(child
                .nemesis
                .script
                .windows(2)
                .all(|w| w[0].at_ms <= w[1].at_ms));
            changed += usize::from(child != parent);
        }
        assert!(
            changed >= 40,
            "only {changed} of 50 mutants changed anything"
        );
        let again = |seed| {
            mutate(
                &parent,
                &parent,
                &mut rand_chacha::ChaCha8Rng::seed_from_u64(seed),
            )
        };
        assert_eq!(again(3), again(3));
    }
}
