//! Shards of a seed range are a partition: across the N shards of a CI
//! matrix every seed of the range runs exactly once.

use harness::sweep::shard::{SeedRange, Shard};
use proptest::prelude::*;

proptest! {
    #[test]
    fn the_shards_of_a_range_partition_it(start in 0u64..1_000_000, len in 1u64..2_000, n in 1u64..40) {
        let range = SeedRange { start, end: start + len };
        let mut runs = vec![0u32; len as usize];
        for k in 1..=n {
            let shard = Shard::new(k, n).unwrap();
            let mut last = None;
            for seed in shard.seeds(range) {
                prop_assert!(range.start <= seed && seed < range.end, "{seed} outside {range}");
                prop_assert!(shard.contains(range, seed));
                prop_assert!(last < Some(seed), "shard {shard} lists {seed} out of order");
                last = Some(seed);
                runs[(seed - start) as usize] += 1;
            }
        }
        for (i, count) in runs.iter().enumerate() {
            prop_assert_eq!(*count, 1, "seed {} ran {} times across {} shards", start + i as u64, count, n);
        }
    }

    #[test]
    fn shard_sizes_differ_by_at_most_one(len in 1u64..5_000, n in 1u64..64) {
        let range = SeedRange { start: 7, end: 7 + len };
        let sizes: Vec<usize> = (1..=n).map(|k| Shard::new(k, n).unwrap().seeds(range).count()).collect();
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        prop_assert!(max - min <= 1, "{sizes:?}");
    }
}

#[test]
fn the_cli_forms_parse() {
    let range: SeedRange = "100..=199".parse().unwrap();
    assert_eq!(range.len(), 100);
    let shard: Shard = "3/4".parse().unwrap();
    let seeds: Vec<u64> = shard.seeds(range).take(3).collect();
    assert_eq!(seeds, [102, 106, 110]);
    assert!("4/3".parse::<Shard>().unwrap_err().contains("1 <= K <= N"));
}
