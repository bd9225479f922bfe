//! The timeout nemesis: black-hole one node's replies to clients for longer
//! than the client deadline, so clients record `info` ops and retry; when
//! the link is released, the held requests and replies arrive late, in a
//! burst.

use crate::draw;
use crate::fault::Fault;
use rand::Rng;
use serde::{Deserialize, Serialize};

/// Knobs of the timeout nemesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TimeoutKnobs {
    /// The link is held for the client deadline plus up to this much
    /// (default 1,000 ms; at least 1 ms past the deadline).
    pub extra_ms_max: u64,
}

impl Default for TimeoutKnobs {
    fn default() -> Self {
        TimeoutKnobs {
            extra_ms_max: 1_000,
        }
    }
}

impl TimeoutKnobs {
    /// Draws one black-hole of a node of `0..nodes`, held longer than
    /// `deadline_ms`.
    pub fn draw(&self, nodes: usize, deadline_ms: u64, rng: &mut impl Rng) -> Fault {
        let node = rng.random_range(0..nodes);
        let ms = deadline_ms + draw::between(rng, 1, self.extra_ms_max.max(1));
        Fault::Timeout { node, ms }
    }
}
