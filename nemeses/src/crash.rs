//! The crash nemesis: kill a node (unsynced writes are lost) and restart it
//! from its disk after a while.

use crate::draw;
use crate::fault::Fault;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Knobs of the crash nemesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CrashKnobs {
    /// Shortest time a node stays down (default 50 ms).
    pub ms_min: u64,
    /// Longest time a node stays down (default 3,000 ms).
    pub ms_max: u64,
    /// Chance, in percent, that a crash hits whichever node leads when it
    /// starts rather than a random one (default 0).
    pub leader_pct: u32,
}

impl Default for CrashKnobs {
    fn default() -> Self {
        CrashKnobs {
            ms_min: 50,
            ms_max: 3_000,
            leader_pct: 0,
        }
    }
}

impl CrashKnobs {
    /// Draws one crash of a node of `0..nodes`.
    pub fn draw(&self, nodes: usize, rng: &mut impl Rng) -> Fault {
        let node = rng.random_range(0..nodes);
        let ms = draw::between(rng, self.ms_min, self.ms_max);
        let leader = draw::chance(rng, self.leader_pct);
        Fault::Crash { node, ms, leader }
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        check_range("crash", self.ms_min, self.ms_max)?;
        draw::check_pct("crash", "leader_pct", self.leader_pct)
    }
}

/// `1 <= min <= max`, or an error naming the nemesis.
pub(crate) fn check_range(nemesis: &str, min: u64, max: u64) -> Result<(), String> {
    if min == 0 || min > max {
        return Err(format!(
            "{nemesis}: need 1 <= ms_min <= ms_max, got {min} and {max}"
        ));
    }
    Ok(())
}
