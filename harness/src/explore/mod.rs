//! Guided exploration: a corpus of runs that reached something new, and new
//! runs made by mutating their fault schedules.
//!
//! Blind swarm testing draws every seed afresh. Guided exploration starts
//! the same way, then keeps each run whose history shows a feature no
//! earlier run had ([`features`]: a fault kind, two kinds overlapping, a
//! node event under a fault, a fault point firing, hit counts) as its
//! explicit schedule ([`crate::faults::with_explicit_schedule`]), and
//! spends most later runs on mutants of those schedules
//! ([`mutate::mutate`]): the same seed's workload and network, with faults
//! moved, stretched, re-aimed, duplicated, dropped or spliced in from
//! another corpus run. A share of runs stay fresh blind seeds.
//!
//! Runs go in batches of a fixed size, judged in batch order, and all
//! choices come from the start seed's own stream, so an exploration gives
//! the same runs, corpus and first failure on any number of cores.

pub mod features;
pub mod mutate;

use crate::faults::with_explicit_schedule;
use crate::scenario::Scenario;
use crate::seeds::Seeds;
use crate::sweep::pool;
use crate::sweep::verdict::SeedVerdict;
use rand::Rng;
use results::History;
use std::collections::BTreeSet;
use std::sync::atomic::AtomicBool;

/// Runs judged together; fixed, so results do not depend on the cores.
const BATCH: usize = 8;
/// Runs that are blind seeds before any mutant is tried.
const INITIAL_BLIND: u64 = 8;

/// How an exploration runs.
#[derive(Clone, Debug)]
pub struct Options {
    /// The first blind seed (later ones count up) and the seed of every
    /// choice the exploration makes.
    pub start: u64,
    /// Runs to try in all, blind and mutated.
    pub runs: u64,
    /// Simulations at once.
    pub jobs: usize,
    /// Once the corpus has runs, the share (percent) of fresh blind seeds.
    pub blind_pct: u32,
}

/// The first failing run.
#[derive(Clone, Debug)]
pub struct Found {
    /// Which run it was, counting from 1.
    pub run: u64,
    /// Its scenario (a blind seed's, or a mutant with an explicit schedule).
    pub scenario: Scenario,
    /// What was wrong.
    pub verdict: SeedVerdict,
    /// `seed N`, or `mutant of seed N` (through how many mutations).
    pub origin: String,
}

/// Where an exploration stands.
#[derive(Clone, Debug, Default)]
pub struct Explored {
    /// Runs done.
    pub runs: u64,
    /// Of which blind seeds.
    pub blind: u64,
    /// Runs kept in the corpus.
    pub corpus: usize,
    /// Distinct features reached.
    pub features: usize,
    /// The first failure, which ends the exploration.
    pub found: Option<Found>,
}

/// A failure, as exploration counts one: anything but linearizable and
/// unknown (a checker out of budget).
pub fn is_failure(verdict: &SeedVerdict) -> bool {
    !verdict.is_pass() && verdict.label() != "unknown"
}

struct Entry {
    scenario: Scenario,
    weight: usize,
    origin: String,
    depth: u32,
}

struct Candidate {
    scenario: Scenario,
    origin: String,
    depth: u32,
    blind: bool,
}

/// Explores from `options.start`: `base(seed)` is a blind seed's scenario,
/// `run` runs and judges one scenario (on any thread). `progress` sees the
/// state after every batch. Stops at the first failure or the budget.
pub fn explore(
    options: &Options,
    base: &(dyn Fn(u64) -> Scenario + Sync),
    run: &(dyn Fn(&Scenario) -> (SeedVerdict, History) + Sync),
    progress: &mut dyn FnMut(&Explored),
) -> Explored {
    let mut rng = Seeds::new(options.start).stream("explore", 0);
    let mut state = Explored::default();
    let mut corpus: Vec<Entry> = Vec::new();
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut next_seed = options.start;
    while state.runs < options.runs && state.found.is_none() {
        let size = BATCH.min((options.runs - state.runs) as usize);
        let mut batch = Vec::with_capacity(size);
        for k in 0..size as u64 {
            let early = state.runs + k < INITIAL_BLIND;
            let mutant =
                !early && !corpus.is_empty() && rng.random_range(0..100) >= options.blind_pct;
            let child = mutant
                .then(|| {
                    let parent = pick_weighted(&corpus, &mut rng);
                    let donor = &corpus[rng.random_range(0..corpus.len())];
                    mutate::mutate(&parent.scenario, &donor.scenario, &mut rng).map(|s| Candidate {
                        scenario: s,
                        origin: parent.origin.clone(),
                        depth: parent.depth + 1,
                        blind: false,
                    })
                })
                .flatten();
            batch.push(child.unwrap_or_else(|| {
                let seed = next_seed;
                next_seed += 1;
                Candidate {
                    scenario: base(seed),
                    origin: format!("seed {seed}"),
                    depth: 0,
                    blind: true,
                }
            }));
        }
        let index: Vec<u64> = (0..batch.len() as u64).collect();
        let mut results: Vec<Option<(SeedVerdict, History)>> = vec![None; batch.len()];
        let work = |i: u64| run(&batch[i as usize].scenario);
        pool::run(
            &index,
            options.jobs.max(1),
            &AtomicBool::new(false),
            work,
            |i, r| results[i as usize] = Some(r),
        );
        for (candidate, result) in batch.into_iter().zip(results) {
            let Some((verdict, history)) = result else {
                continue;
            };
            state.runs += 1;
            state.blind += u64::from(candidate.blind);
            let origin = match candidate.depth {
                0 => candidate.origin.clone(),
                1 => format!("mutant of {}", candidate.origin),
                d => format!("mutant of {} ({d} mutations deep)", candidate.origin),
            };
            if is_failure(&verdict) {
                state.found = Some(Found {
                    run: state.runs,
                    scenario: candidate.scenario,
                    verdict,
                    origin,
                });
                break;
            }
            let reached = features::features(&history);
            let new = reached.difference(&seen).count();
            if new > 0 {
                seen.extend(reached);
                corpus.push(Entry {
                    scenario: with_explicit_schedule(&candidate.scenario, &history),
                    weight: new,
                    origin: candidate.origin,
                    depth: candidate.depth,
                });
            }
        }
        state.corpus = corpus.len();
        state.features = seen.len();
        progress(&state);
    }
    state
}

/// A corpus entry, chosen with odds by how many new features it brought.
fn pick_weighted<'a>(corpus: &'a [Entry], rng: &mut impl Rng) -> &'a Entry {
    let total: usize = corpus.iter().map(|e| e.weight).sum();
    let mut at = rng.random_range(0..total.max(1));
    for entry in corpus {
        if at < entry.weight {
            return entry;
        }
        at -= entry.weight;
    }
    &corpus[corpus.len() - 1]
}
