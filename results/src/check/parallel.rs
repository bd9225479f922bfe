//! Checking many keys fairly, on any number of threads.
//!
//! Keys take turns: a shared queue hands out one key at a time, which runs
//! for a slice of search steps and, if still undecided, goes to the back
//! of the queue with a slice twice as long. A key that needs `n` steps is so
//! decided after at most about `4 n` steps of every other key, whatever they
//! need: no hard key starves the rest, and a violation (which stops the
//! others) is found about as fast as the easiest violated key allows. On
//! one thread the order of turns, and so every verdict, is deterministic.

use std::collections::VecDeque;
use std::sync::Mutex;

/// Threads to use: `requested`, or one per core when 0, never more than
/// there are items.
pub(crate) fn threads(requested: usize, items: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if requested == 0 { cores } else { requested };
    wanted.min(items).max(1)
}

/// The search steps of a task's first turn.
pub(crate) const FIRST_SLICE: u64 = 1 << 12;

/// Runs every task to its end on `threads` threads, in turns:
/// `turn(task, steps)` advances `task` by at most `steps` and gives its
/// result once it has one. Results come in the tasks' order.
pub(crate) fn run_fair<T: Send, R: Send>(
    tasks: Vec<T>,
    threads: usize,
    turn: impl Fn(&mut T, u64) -> Option<R> + Sync,
) -> Vec<R> {
    let n = tasks.len();
    let queue: Mutex<VecDeque<(usize, T, u64)>> = Mutex::new(
        tasks
            .into_iter()
            .enumerate()
            .map(|(i, t)| (i, t, FIRST_SLICE))
            .collect(),
    );
    let done: Mutex<Vec<Option<R>>> = Mutex::new((0..n).map(|_| None).collect());
    let work = || loop {
        // A worker leaves when the queue is empty: every task still out is
        // held by a worker that puts it back and takes it again.
        let Some((i, mut task, slice)) =
            queue.lock().expect("no panics under the lock").pop_front()
        else {
            return;
        };
        match turn(&mut task, slice) {
            Some(r) => done.lock().expect("no panics under the lock")[i] = Some(r),
            None => queue.lock().expect("no panics under the lock").push_back((
                i,
                task,
                slice.saturating_mul(2),
            )),
        }
    };
    if threads <= 1 {
        work();
    } else {
        std::thread::scope(|s| {
            for _ in 0..threads {
                s.spawn(work);
            }
        });
    }
    done.into_inner()
        .expect("no panics under the lock")
        .into_iter()
        .map(|r| r.expect("every task ran to its end"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_task_order() {
        for threads in [1, 2, 4] {
            // Task i needs i * 5000 steps.
            let tasks: Vec<(u64, u64)> = (0..50).map(|i| (i, i * 5000)).collect();
            let out = run_fair(tasks, threads, |(i, left), steps| {
                *left = left.saturating_sub(steps);
                (*left == 0).then_some(*i * 2)
            });
            assert_eq!(out, (0..50).map(|x| x * 2).collect::<Vec<_>>());
        }
    }

    #[test]
    fn an_easy_task_is_not_starved_by_a_hard_one() {
        // One thread: a task of 10^12 steps before one of 10^5 steps.
        let tasks = vec![(0, 1_000_000_000_000u64), (1, 100_000)];
        let spent = std::sync::atomic::AtomicU64::new(0);
        let order = Mutex::new(Vec::new());
        run_fair(tasks, 1, |(i, left), steps| {
            let used = steps.min(*left);
            *left -= used;
            spent.fetch_add(used, std::sync::atomic::Ordering::Relaxed);
            if *left > 0 {
                return None;
            }
            order
                .lock()
                .unwrap()
                .push((*i, spent.load(std::sync::atomic::Ordering::Relaxed)));
            Some(())
        });
        let order = order.into_inner().unwrap();
        assert_eq!(order[0].0, 1);
        assert!(order[0].1 <= 4 * 100_000 + 2 * FIRST_SLICE, "{order:?}");
    }
}
