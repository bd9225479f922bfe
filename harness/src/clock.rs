//! A node's wall clock: a pure function of true simulated time, which the
//! clock nemesis can skew (jump, strobe, drift) without touching
//! `tokio::time`, which stays truthful for timers.

use serde::{Deserialize, Serialize};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

/// Where every node's wall clock starts: 2026-01-01T00:00:00Z, in ns since
/// the Unix epoch. Fixed so that runs replay.
pub const EPOCH_NS: i64 = 1_767_225_600_000_000_000;

/// The skew applied to one node's clock.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClockSkew {
    /// True simulated time (ns) at which `anchor_offset_ns` was set.
    pub anchor_sim_ns: i64,
    /// Offset from true time (ns) at the anchor.
    pub anchor_offset_ns: i64,
    /// Rate error in parts per million: +100 runs 100 µs/s fast.
    pub drift_ppm: i64,
    /// While set, the clock flaps by `strobe_ns` every `strobe_period_ns`.
    pub strobe_ns: i64,
    /// Half-period of the strobe (0 = no strobe).
    pub strobe_period_ns: i64,
}

impl ClockSkew {
    /// Offset from true time at true time `sim_ns`.
    pub fn offset_at(&self, sim_ns: i64) -> i64 {
        let dt = sim_ns - self.anchor_sim_ns;
        let drift = (i128::from(dt) * i128::from(self.drift_ppm) / 1_000_000) as i64;
        let strobe = if self.strobe_period_ns > 0 && (sim_ns / self.strobe_period_ns) % 2 == 1 {
            self.strobe_ns
        } else {
            0
        };
        self.anchor_offset_ns + drift + strobe
    }
}

/// A node's skewable wall clock, shared between the node (which reads it)
/// and the driver (which skews it). Cloning shares the same clock.
#[derive(Clone, Debug, Default)]
pub struct SkewClock {
    skew: Rc<RefCell<ClockSkew>>,
}

impl SkewClock {
    /// A clock that tells true time.
    pub fn new() -> Self {
        Self::default()
    }

    /// The wall clock in ns since the Unix epoch at true simulated time
    /// `sim`.
    pub fn wall_at(&self, sim: Duration) -> i64 {
        let sim_ns = sim.as_nanos() as i64;
        EPOCH_NS + sim_ns + self.skew.borrow().offset_at(sim_ns)
    }

    /// The wall clock now (inside the simulation).
    pub fn now_ns(&self) -> i64 {
        self.wall_at(sim_now())
    }

    /// The clock's offset from true time now, in ns.
    pub fn offset_ns(&self, sim: Duration) -> i64 {
        self.skew.borrow().offset_at(sim.as_nanos() as i64)
    }

    /// Re-anchors at `sim` so that later changes apply from here on.
    fn reanchor(&self, sim: Duration) -> std::cell::RefMut<'_, ClockSkew> {
        let sim_ns = sim.as_nanos() as i64;
        let mut skew = self.skew.borrow_mut();
        let strobe_free = ClockSkew {
            strobe_ns: 0,
            strobe_period_ns: 0,
            ..skew.clone()
        };
        skew.anchor_offset_ns = strobe_free.offset_at(sim_ns);
        skew.anchor_sim_ns = sim_ns;
        skew
    }

    /// Jumps the clock by `delta_ns` (forward if positive) at true time `sim`.
    pub fn bump(&self, sim: Duration, delta_ns: i64) {
        self.reanchor(sim).anchor_offset_ns += delta_ns;
    }

    /// From `sim` on, the clock runs `drift_ppm` parts per million fast.
    pub fn set_drift(&self, sim: Duration, drift_ppm: i64) {
        self.reanchor(sim).drift_ppm = drift_ppm;
    }

    /// Starts (or, with a zero period, stops) a strobe: every
    /// `period` the clock flips between its offset and offset + `delta_ns`.
    pub fn set_strobe(&self, sim: Duration, delta_ns: i64, period: Duration) {
        let mut skew = self.reanchor(sim);
        skew.strobe_ns = delta_ns;
        skew.strobe_period_ns = period.as_nanos() as i64;
    }

    /// Back to true time, no drift, no strobe.
    pub fn reset(&self) {
        *self.skew.borrow_mut() = ClockSkew::default();
    }
}

/// True simulated time since the run began; zero outside a simulation.
pub fn sim_now() -> Duration {
    turmoil::sim_elapsed().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn an_unskewed_clock_tells_true_time() {
        let clock = SkewClock::new();
        assert_eq!(clock.wall_at(ms(300)), EPOCH_NS + 300 * MS);
    }

    #[test]
    fn bump_drift_strobe_and_reset() {
        let clock = SkewClock::new();
        clock.bump(ms(100), 5_000 * MS);
        assert_eq!(clock.offset_ns(ms(300)), 5_000 * MS);

        clock.set_drift(ms(1_000), 500_000); // +50%
        assert_eq!(clock.offset_ns(ms(1_200)), 5_000 * MS + 100 * MS);

        clock.set_drift(ms(1_200), 0);
        clock.bump(ms(1_200), -5_100 * MS);
        assert_eq!(clock.offset_ns(ms(2_000)), 0);

        clock.set_strobe(ms(2_000), 200 * MS, ms(10));
        let offsets: Vec<i64> = [2_000, 2_010, 2_020, 2_035]
            .map(|t| clock.offset_ns(ms(t)))
            .into();
        assert_eq!(offsets, vec![0, 200 * MS, 0, 200 * MS]);

        clock.reset();
        assert_eq!(clock.wall_at(ms(2_035)), EPOCH_NS + 2_035 * MS);
    }
}
