//! The worker pool: one simulation per thread.
//!
//! A turmoil `Sim` is `!Send`, so each seed runs start to finish on one
//! thread. `jobs` threads take the next seed from a shared counter; results
//! come back over a channel to the calling thread, which sees them one at a
//! time (for the progress bar, the tally, `--fail-fast`).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Runs `work` on every seed with `jobs` threads and hands each result to
/// `done` on the calling thread, in the order they finish.
///
/// Once `stop` is set (by Ctrl-C, or by `done` itself for `--fail-fast`),
/// no further seed is started; seeds already running finish and are
/// reported (at most `jobs` seeds start after the result that made `done`
/// stop). Returns the seeds that were never started, in order.
pub fn run<T: Send>(
    seeds: &[u64],
    jobs: usize,
    stop: &AtomicBool,
    work: impl Fn(u64) -> T + Sync,
    mut done: impl FnMut(u64, T),
) -> Vec<u64> {
    let next = AtomicUsize::new(0);
    let started: Vec<AtomicBool> = seeds.iter().map(|_| AtomicBool::new(false)).collect();
    std::thread::scope(|scope| {
        // A rendezvous channel: a worker waits until its result is taken, so
        // no seed starts after `done` has set `stop`, beyond one per thread.
        let (tx, rx) = mpsc::sync_channel(0);
        for _ in 0..jobs.clamp(1, seeds.len().max(1)) {
            let tx = tx.clone();
            let (next, started, work) = (&next, &started, &work);
            scope.spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(&seed) = seeds.get(i) else { break };
                    started[i].store(true, Ordering::SeqCst);
                    if tx.send((seed, work(seed))).is_err() {
                        break; // the receiving thread is gone: nothing to report to
                    }
                }
            });
        }
        drop(tx);
        for (seed, result) in rx {
            done(seed, result);
        }
    });
    seeds
        .iter()
        .zip(&started)
        .filter(|(_, s)| !s.load(Ordering::SeqCst))
        .map(|(&seed, _)| seed)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::run;
    use std::sync::atomic::{AtomicBool, Ordering};

    #[test]
    fn every_seed_runs_once() {
        let seeds: Vec<u64> = (0..100).collect();
        let mut seen = Vec::new();
        let not_run = run(
            &seeds,
            4,
            &AtomicBool::new(false),
            |s| s * 2,
            |s, r| {
                assert_eq!(r, s * 2);
                seen.push(s);
            },
        );
        seen.sort();
        assert_eq!(seen, seeds);
        assert!(not_run.is_empty());
    }

    #[test]
    fn a_stop_from_done_starts_no_more_seeds() {
        let seeds: Vec<u64> = (0..1000).collect();
        let stop = AtomicBool::new(false);
        let mut seen = Vec::new();
        let not_run = run(
            &seeds,
            2,
            &stop,
            |s| s,
            |s, _| {
                seen.push(s);
                if seen.len() == 3 {
                    stop.store(true, Ordering::SeqCst);
                }
            },
        );
        assert!(seen.len() >= 3 && seen.len() <= 5, "{} ran", seen.len());
        assert_eq!(seen.len() + not_run.len(), seeds.len());
        assert!(not_run.iter().all(|s| !seen.contains(s)));
    }
}
