//! Checking keys on several threads: a shared counter hands out keys,
//! largest first, so one big key does not start last.

use std::sync::atomic::{AtomicUsize, Ordering};

/// Threads to use: `requested`, or one per core when 0, never more than
/// there are items.
pub(crate) fn threads(requested: usize, items: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let wanted = if requested == 0 { cores } else { requested };
    wanted.min(items).max(1)
}

/// `f` applied to every item on `threads` threads, items taken in order of
/// decreasing `size`; results in the items' order.
pub(crate) fn map_largest_first<T: Sync, R: Send>(
    items: &[T],
    size: &[usize],
    threads: usize,
    f: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let mut order: Vec<usize> = (0..items.len()).collect();
    order.sort_by_key(|&i| std::cmp::Reverse(size[i]));
    if threads <= 1 {
        let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
        for &i in &order {
            out[i] = Some(f(&items[i]));
        }
        return out
            .into_iter()
            .map(|r| r.expect("every item was mapped"))
            .collect();
    }
    let next = AtomicUsize::new(0);
    let done: Vec<Vec<(usize, R)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                        mine.push((i, f(&items[i])));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("checker threads catch their own panics"))
            .collect()
    });
    let mut out: Vec<Option<R>> = (0..items.len()).map(|_| None).collect();
    for (i, r) in done.into_iter().flatten() {
        out[i] = Some(r);
    }
    out.into_iter()
        .map(|r| r.expect("every item was mapped"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_keep_item_order() {
        let items: Vec<u64> = (0..50).collect();
        let sizes: Vec<usize> = (0..50).map(|i| (i * 7) % 13).collect();
        for threads in [1, 2, 4] {
            assert_eq!(
                map_largest_first(&items, &sizes, threads, |x| x * 2),
                (0..50).map(|x| x * 2).collect::<Vec<_>>()
            );
        }
    }
}
