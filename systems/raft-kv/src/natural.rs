//! Each planted bug's natural mix: the nemeses, and the knobs, under which
//! the bug shows within a few seeds. The detection matrix and the golden
//! tests run these; `harness run --scenario` runs any of them from a file.

use super::bugs::Bug;
use harness::Scenario;
use nemeses::{Kind, NemesisConfig};
use workloads::WorkloadConfig;

/// The nemeses that make `bug` show, and their mean interval (ms).
pub fn kinds(bug: Bug) -> (&'static [Kind], u64) {
    match bug {
        Bug::StaleFollowerRead => (&[Kind::Partition], 300),
        Bug::LeaseReadSkew => (&[Kind::Clock, Kind::Partition], 300),
        Bug::LeaseReadPause => (&[Kind::Pause, Kind::Partition], 150),
        Bug::AckBeforeCommit => (&[Kind::Partition, Kind::Crash], 300),
        Bug::OldTermCommit => (&[Kind::Partition], 50),
        Bug::RetryDuplicate => (&[Kind::Delay, Kind::Pause], 200),
        Bug::AckBeforeFsync => (&[Kind::Crash], 200),
        // A slowdown shows in `compare`, never as a violation; no mix is
        // tuned for it (it is not in `Bug::ALL`).
        Bug::SlowAppend => (&[], 200),
    }
}

/// The client deadline (ms) of `bug`'s natural mix, if not the default. A
/// stale lease read needs clients that give up on the old leader fast and
/// come back to it, so that one of them reads there after a write went
/// through the new leader.
pub fn deadline_ms(bug: Bug) -> Option<u64> {
    match bug {
        Bug::LeaseReadSkew | Bug::LeaseReadPause => Some(300),
        _ => None,
    }
}

/// The workload of `bug`'s natural mix, if not the default: mostly reads
/// (80%) and 100 values, for the bugs that show as a stale read. A read
/// then tells which write it saw (with 5 values some timed-out write of the
/// same value can nearly always explain a stale one), and fewer writes
/// leave fewer timed-out ones for the checker to place. Figure 8
/// (`old-term-commit`) also needs the read to come before any write of the
/// new leader's term reaches a follower.
pub fn workload(bug: Bug) -> Option<WorkloadConfig> {
    match bug {
        Bug::OldTermCommit | Bug::LeaseReadSkew | Bug::LeaseReadPause => Some(WorkloadConfig {
            values: 100,
            reads_pct: 80,
            ..WorkloadConfig::default()
        }),
        _ => None,
    }
}

/// The nemesis of `bug`'s natural mix, with the knobs that make it show:
/// - `lease-read-skew`: the leader is cut off (`isolate-leader`) while its
///   wall clock jumps back (a bump, or a strobe's return) by up to 2 s;
/// - `lease-read-pause`: the leader is paused for about a second (long
///   enough for a new leader to take writes) while it is cut off, so no
///   message of the new term reaches it before the reads that queued up
///   during the pause;
/// - `old-term-commit`: the leader is cut off often and briefly (every
///   50 ms, for 200–400 ms), so leaders come and go with uncommitted
///   entries of different terms, as in figure 8 of the Raft paper.
pub fn nemesis(bug: Bug) -> NemesisConfig {
    let mut nemesis = untuned(bug);
    match bug {
        Bug::LeaseReadSkew => {
            nemesis.partition.shapes = vec!["isolate-leader".into()];
            (nemesis.partition.ms_min, nemesis.partition.ms_max) = (300, 1_500);
            nemesis.clock.bump_ms_max = 2_000;
            nemesis.clock.drift_ppm_max = 1_000;
            (nemesis.clock.ms_min, nemesis.clock.ms_max) = (500, 2_000);
        }
        Bug::LeaseReadPause => {
            nemesis.partition.shapes = vec!["isolate-leader".into()];
            (nemesis.partition.ms_min, nemesis.partition.ms_max) = (1_000, 3_000);
            nemesis.pause.leader_pct = 100;
            (nemesis.pause.ms_min, nemesis.pause.ms_max) = (800, 2_500);
            nemesis.pause.tail_pct = 30;
        }
        Bug::OldTermCommit => {
            nemesis.partition.shapes = vec!["isolate-leader".into()];
            (nemesis.partition.ms_min, nemesis.partition.ms_max) = (200, 400);
        }
        _ => {}
    }
    nemesis
}

/// True if the natural mix of `bug` changes knobs beyond the nemeses and
/// their interval.
pub fn is_tuned(bug: Bug) -> bool {
    nemesis(bug) != untuned(bug) || deadline_ms(bug).is_some() || workload(bug).is_some()
}

/// The nemeses of `bug`'s natural mix at their interval, every other knob
/// at its default.
fn untuned(bug: Bug) -> NemesisConfig {
    let (kinds, interval_ms) = kinds(bug);
    NemesisConfig {
        interval_ms,
        ..NemesisConfig::with_kinds(kinds)
    }
}

/// One line for tables: `pause+partition every 150 ms, tuned knobs, deadline 300 ms`
/// (and the workload, when not the default).
pub fn describe(bug: Bug) -> String {
    let (kinds, interval_ms) = kinds(bug);
    let names: Vec<&str> = kinds.iter().map(|k| k.name()).collect();
    let mut line = format!("{} every {interval_ms} ms", names.join("+"));
    if is_tuned(bug) {
        line.push_str(", tuned knobs");
    }
    if let Some(ms) = deadline_ms(bug) {
        line.push_str(&format!(", deadline {ms} ms"));
    }
    if let Some(w) = workload(bug) {
        line.push_str(&format!(", {}% reads, {} values", w.reads_pct, w.values));
    }
    line
}

/// The scenario of `seed` with `bug` switched on under its natural mix,
/// `ops` client operations, and the defaults for everything else.
pub fn scenario(bug: Bug, seed: u64, ops: usize) -> Scenario {
    let base = Scenario::without_faults(seed);
    let scenario = Scenario {
        ops,
        workload: workload(bug).unwrap_or(base.workload.clone()),
        nemesis: nemesis(bug),
        deadline_ms: deadline_ms(bug).unwrap_or(base.deadline_ms),
        ..base
    };
    crate::with_bugs(scenario, [bug])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_natural_scenario_is_valid_and_names_its_bug() {
        for bug in Bug::ALL {
            let s = scenario(bug, 7, 100);
            assert_eq!(s.validate(), Ok(()), "{bug}");
            assert_eq!(
                crate::config_of(&s).unwrap().bugs,
                [bug].into_iter().collect()
            );
            assert!(describe(bug).contains(" every "), "{bug}");
        }
        assert!(describe(Bug::LeaseReadPause).contains("tuned knobs, deadline 300 ms, 80% reads"));
        assert!(!is_tuned(Bug::AckBeforeFsync));
    }
}
