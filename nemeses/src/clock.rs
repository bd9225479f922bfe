//! The clock nemesis: skew one node's wall clock (bump it forward or back,
//! strobe it between two offsets, or make it drift), then reset it to true
//! time. Only wall clocks move: timers (`tokio::time`) stay truthful.

use crate::crash::check_range;
use crate::draw;
use crate::fault::Host;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// How a clock is skewed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "kebab-case", deny_unknown_fields)]
pub enum ClockChange {
    /// Jump by `delta_ms` (forward if positive).
    Bump {
        /// The jump.
        delta_ms: i64,
    },
    /// Flip between true time and true time + `delta_ms` every `period_ms`.
    Strobe {
        /// The second offset.
        delta_ms: i64,
        /// Time spent at each offset.
        period_ms: u64,
    },
    /// Run `ppm` parts per million fast (slow if negative).
    Drift {
        /// The rate error.
        ppm: i64,
    },
}

/// One node's clock skewed for `ms`, then reset.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockFault {
    /// The node whose clock is skewed.
    pub node: usize,
    /// The skew.
    #[serde(flatten)]
    pub change: ClockChange,
    /// How long until its clock is reset.
    pub ms: u64,
    /// Skew whichever node leads when the fault starts instead (`node` is
    /// the fallback).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub leader: bool,
}

impl ClockFault {
    /// The fault as JSON for the history.
    pub fn describe(&self, name: &dyn Fn(Host) -> String) -> Value {
        let mut value = serde_json::to_value(self.change).unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("node".into(), json!(name(Host::Node(self.node))));
            map.insert("ms".into(), json!(self.ms));
            if self.leader {
                map.insert("target".into(), json!("leader"));
            }
        }
        value
    }
}

/// Knobs of the clock nemesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClockKnobs {
    /// Largest bump, either way (default 5,000 ms).
    pub bump_ms_max: u64,
    /// Largest strobe offset, either way (default 2,000 ms).
    pub strobe_ms_max: u64,
    /// Longest time at each strobe offset (default 50 ms).
    pub strobe_period_ms_max: u64,
    /// Largest drift, either way (default 100,000 ppm: 10%).
    pub drift_ppm_max: u64,
    /// Shortest skew before the reset (default 500 ms).
    pub ms_min: u64,
    /// Longest skew before the reset (default 5,000 ms).
    pub ms_max: u64,
    /// Chance, in percent, that a skew hits whichever node leads when it
    /// starts rather than a random one (default 0).
    pub leader_pct: u32,
}

impl Default for ClockKnobs {
    fn default() -> Self {
        ClockKnobs {
            bump_ms_max: 5_000,
            strobe_ms_max: 2_000,
            strobe_period_ms_max: 50,
            drift_ppm_max: 100_000,
            ms_min: 500,
            ms_max: 5_000,
            leader_pct: 0,
        }
    }
}

impl ClockKnobs {
    /// Draws one skew of a node of `0..nodes`: a bump, a strobe or a drift,
    /// equally likely, forward or back.
    pub fn draw(&self, nodes: usize, rng: &mut impl Rng) -> ClockFault {
        let node = rng.random_range(0..nodes);
        let sign = if rng.random_bool(0.5) { 1 } else { -1 };
        let signed = |rng: &mut _, max: u64| sign * draw::between(rng, 1, max.max(1)) as i64;
        let change = match rng.random_range(0..3) {
            0 => ClockChange::Bump {
                delta_ms: signed(rng, self.bump_ms_max),
            },
            1 => ClockChange::Strobe {
                delta_ms: signed(rng, self.strobe_ms_max),
                period_ms: draw::between(rng, 1, self.strobe_period_ms_max.max(1)),
            },
            _ => ClockChange::Drift {
                ppm: signed(rng, self.drift_ppm_max),
            },
        };
        let ms = draw::between(rng, self.ms_min, self.ms_max);
        let leader = draw::chance(rng, self.leader_pct);
        ClockFault {
            node,
            change,
            ms,
            leader,
        }
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        check_range("clock", self.ms_min, self.ms_max)?;
        draw::check_pct("clock", "leader_pct", self.leader_pct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_fault_is_flat_json() {
        let fault = ClockFault {
            node: 0,
            change: ClockChange::Bump { delta_ms: -300 },
            ms: 900,
            leader: false,
        };
        let text = serde_json::to_string(&fault).unwrap();
        assert_eq!(
            text,
            r#"{"node":0,"change":"bump","delta_ms":-300,"ms":900}"#
        );
        assert_eq!(serde_json::from_str::<ClockFault>(&text).unwrap(), fault);
        let described = fault.describe(&|_| "n1".into());
        assert_eq!(described["node"], "n1");
        assert_eq!(described["delta_ms"], -300);
    }
}
