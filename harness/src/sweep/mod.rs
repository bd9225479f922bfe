//! Many seeds at once, the library half of `harness sweep`.
//!
//! - [`shard`]: which seeds (a range, and one shard of it for a CI matrix);
//! - [`pool`]: worker threads, one whole simulation per thread;
//! - [`verdict`]: what one seed came to;
//! - [`summary`]: counts, exit code, the printed summary and `sweep.json`;
//! - [`junit`]: the JUnit XML report.
//!
//! ```
//! use harness::sweep::shard::{SeedRange, Shard};
//!
//! let range: SeedRange = "0..10".parse().unwrap();
//! let shard: Shard = "2/3".parse().unwrap();
//! assert_eq!(shard.seeds(range).collect::<Vec<_>>(), [1, 4, 7]);
//! ```

pub mod junit;
pub mod merge;
pub mod pool;
pub mod shard;
pub mod summary;
pub mod verdict;
