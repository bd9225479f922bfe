//! The pause nemesis: stop-the-world pauses of one node, long-tailed like
//! garbage-collector pauses (many short, a few of seconds).

use crate::draw;
use crate::fault::Fault;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Knobs of the pause nemesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PauseKnobs {
    /// Shortest pause (default 10 ms).
    pub ms_min: u64,
    /// Longest pause (default 5,000 ms).
    pub ms_max: u64,
    /// Chance, in percent, that a pause doubles again (default 60: half the
    /// pauses are under 25 ms, about 2% last 2.5 s or more).
    pub tail_pct: u32,
    /// Chance, in percent, that a pause hits whichever node leads when it
    /// starts rather than a random one (default 0).
    pub leader_pct: u32,
}

impl Default for PauseKnobs {
    fn default() -> Self {
        PauseKnobs {
            ms_min: 10,
            ms_max: 5_000,
            tail_pct: 60,
            leader_pct: 0,
        }
    }
}

impl PauseKnobs {
    /// Draws one pause of a node of `0..nodes`.
    pub fn draw(&self, nodes: usize, rng: &mut impl Rng) -> Fault {
        let node = rng.random_range(0..nodes);
        let ms = draw::long_tail_ms(rng, self.ms_min, self.ms_max, self.tail_pct);
        let leader = draw::chance(rng, self.leader_pct);
        Fault::Pause { node, ms, leader }
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        if self.ms_min == 0 || self.ms_min > self.ms_max {
            return Err(format!(
                "pause: need 1 <= ms_min <= ms_max, got {} and {}",
                self.ms_min, self.ms_max
            ));
        }
        if self.tail_pct > 99 {
            return Err(format!(
                "pause: tail_pct must be 0 to 99, got {}",
                self.tail_pct
            ));
        }
        draw::check_pct("pause", "leader_pct", self.leader_pct)
    }
}
