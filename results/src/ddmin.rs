//! Delta debugging (Zeller and Hildebrandt's ddmin) over a list, with each
//! round's candidates tested as one batch, so they can run in parallel.

/// Shrinks `items` to a 1-minimal list that still fails (as far as the
/// budget allows). `test` is given a batch of candidate lists and returns
/// the position of the first one that fails, in batch order (`None` if none
/// does, or the budget ran out). Batches list the chunks first, then their
/// complements, so the result does not depend on which candidate finished
/// first.
///
/// ```
/// use results::ddmin::ddmin;
///
/// // Fails while it holds both 3 and 7.
/// let fails = |c: &[u32]| c.contains(&3) && c.contains(&7);
/// let found = ddmin((0..10).collect(), &mut |batch: &[Vec<u32>]| {
///     batch.iter().position(|c| fails(c))
/// });
/// assert_eq!(found, [3, 7]);
/// ```
pub fn ddmin<T: Clone>(
    mut items: Vec<T>,
    test: &mut dyn FnMut(&[Vec<T>]) -> Option<usize>,
) -> Vec<T> {
    let mut n = 2usize;
    while items.len() >= 2 {
        let chunks = split(&items, n);
        let mut batch: Vec<Vec<T>> = chunks.clone();
        if n > 2 {
            batch.extend((0..chunks.len()).map(|i| complement(&chunks, i)));
        }
        match test(&batch) {
            Some(i) if i < chunks.len() => {
                items = batch.swap_remove(i);
                n = 2;
            }
            Some(i) => {
                items = batch.swap_remove(i);
                n = (n - 1).max(2);
            }
            None if n < items.len() => n = (2 * n).min(items.len()),
            None => break,
        }
    }
    if items.len() == 1 && test(&[Vec::new()]) == Some(0) {
        items.clear();
    }
    items
}

/// `items` cut into `n` chunks of nearly equal length, in order.
fn split<T: Clone>(items: &[T], n: usize) -> Vec<Vec<T>> {
    let n = n.clamp(1, items.len().max(1));
    (0..n)
        .map(|i| items[i * items.len() / n..(i + 1) * items.len() / n].to_vec())
        .collect()
}

/// Every chunk but chunk `skip`, concatenated.
fn complement<T: Clone>(chunks: &[Vec<T>], skip: usize) -> Vec<T> {
    chunks
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != skip)
        .flat_map(|(_, c)| c.iter().cloned())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_one_minimal_failing_subset() {
        let fails = |c: &[u32]| c.contains(&1) && c.contains(&13) && c.contains(&14);
        let mut tests = 0;
        let found = ddmin((0..40).collect(), &mut |batch: &[Vec<u32>]| {
            tests += batch.len();
            batch.iter().position(|c| fails(c))
        });
        assert_eq!(found, [1, 13, 14]);
        assert!(tests < 200, "{tests} tests");
    }

    #[test]
    fn an_empty_list_can_fail_too() {
        let found = ddmin(vec![5], &mut |batch: &[Vec<u32>]| Some(batch.len() - 1));
        assert!(found.is_empty());
        let kept = ddmin(vec![5, 6], &mut |_: &[Vec<u32>]| None);
        assert_eq!(kept, [5, 6], "nothing smaller fails: all is kept");
    }
}
