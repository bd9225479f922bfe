//! What the system under test tells the harness: events its nodes report
//! through [`NodeCtx::event`](crate::NodeCtx::event) (`became-leader`,
//! `persisted`, …), and its seeded fault points,
//! [`NodeCtx::buggify`](crate::NodeCtx::buggify).
//!
//! Both land in the history (process `"nemesis"`, the harness's side of
//! the run: `f` is `event` or `buggify`, the value names the node), so a
//! run directory shows what the system did next to the faults it met. The
//! fault executor reads the events to fire event-triggered nemeses
//! ([`nemeses::Trigger`]).

use crate::seeds::Seeds;
use nemeses::BuggifyKnobs;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use results::{Event, History};
use serde_json::{json, Value};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// One event a node reported, waiting for the fault executor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeEvent {
    /// The node it happened to.
    pub node: usize,
    /// Its name (`became-leader`, …).
    pub name: String,
}

/// Where the nodes' events and fault points go; shared by every node of a
/// run and the fault executor.
#[derive(Clone)]
pub struct EventSink {
    state: Rc<RefCell<SinkState>>,
}

#[derive(Default)]
struct SinkState {
    history: Option<Rc<RefCell<History>>>,
    names: Vec<String>,
    pending: Vec<NodeEvent>,
    /// Whether the fault executor takes the events (else they are only
    /// recorded, and `pending` stays empty).
    listening: bool,
    buggify: Option<Buggify>,
    /// Set at the final heal: fault points stop firing.
    healed: bool,
}

/// The run's fault points: which named points are active (decided on first
/// use from the point's own stream), and one firing stream per node.
struct Buggify {
    knobs: BuggifyKnobs,
    seeds: Seeds,
    active: BTreeMap<String, bool>,
    fire: Vec<ChaCha8Rng>,
}

impl std::fmt::Debug for EventSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EventSink")
    }
}

impl EventSink {
    /// The sink of a run: events go into `history` (and, if `listening`,
    /// to the fault executor), nodes are named `names`; fault points
    /// follow `buggify`, drawn from `seeds`.
    pub(crate) fn new(
        history: Rc<RefCell<History>>,
        names: Vec<String>,
        (buggify, seeds): (&BuggifyKnobs, Seeds),
        listening: bool,
    ) -> Self {
        let buggify = buggify.is_on().then(|| Buggify {
            knobs: buggify.clone(),
            seeds,
            active: BTreeMap::new(),
            fire: (0..names.len())
                .map(|node| seeds.stream("buggify-fire", node as u64))
                .collect(),
        });
        EventSink {
            state: Rc::new(RefCell::new(SinkState {
                history: Some(history),
                names,
                pending: Vec::new(),
                listening,
                buggify,
                healed: false,
            })),
        }
    }

    /// Records `name` (with `detail`, a JSON object or null) for `node`.
    pub(crate) fn emit(&self, node: usize, name: &str, detail: Value) {
        let mut state = self.state.borrow_mut();
        let Some(node_name) = state.names.get(node).cloned() else {
            return;
        };
        let mut value = json!({ "node": node_name, "event": name });
        if let (Value::Object(map), Value::Object(more)) = (&mut value, detail) {
            map.extend(more);
        }
        state.record("event", value);
        if !state.listening {
            return;
        }
        state.pending.push(NodeEvent {
            node,
            name: name.to_string(),
        });
    }

    /// Whether fault point `name` fires now on `node`; a firing is
    /// recorded in the history.
    pub(crate) fn buggify(&self, node: usize, name: &str) -> bool {
        let mut state = self.state.borrow_mut();
        if state.healed {
            return false;
        }
        let Some(b) = state.buggify.as_mut() else {
            return false;
        };
        let (seeds, sites_pct) = (b.seeds, b.knobs.sites_pct);
        // Looked up first: a fault point is consulted on every pass of its
        // code, and only its first consultation draws (and allocates).
        let active = match b.active.get(name) {
            Some(&active) => active,
            None => {
                let mut rng = seeds.stream("buggify-site", site_id(name));
                let active = rng.random_range(0..100) < sites_pct;
                b.active.insert(name.to_string(), active);
                active
            }
        };
        let fires = active
            && b.fire
                .get_mut(node)
                .is_some_and(|rng| rng.random_range(0..100) < b.knobs.fire_pct);
        if fires {
            let node_name = state.names[node].clone();
            state.record("buggify", json!({ "node": node_name, "point": name }));
        }
        fires
    }

    /// The final heal: from now on no fault point fires.
    pub(crate) fn heal(&self) {
        self.state.borrow_mut().healed = true;
    }

    /// The events reported since the last call, in order.
    pub(crate) fn take(&self) -> Vec<NodeEvent> {
        std::mem::take(&mut self.state.borrow_mut().pending)
    }
}

impl SinkState {
    fn record(&self, f: &str, value: Value) {
        if let Some(history) = &self.history {
            let now = crate::clock::sim_now().as_nanos() as u64;
            history.borrow_mut().push(now, Event::nemesis(f, value));
        }
    }
}

/// A fault point's stream number: its name's FNV-1a hash (stable across
/// versions and platforms).
fn site_id(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sink(knobs: BuggifyKnobs) -> (EventSink, Rc<RefCell<History>>) {
        let history = Rc::new(RefCell::new(History::new()));
        let names = vec!["n1".to_string(), "n2".to_string()];
        (
            EventSink::new(history.clone(), names, (&knobs, Seeds::new(7)), true),
            history,
        )
    }

    #[test]
    fn events_are_recorded_and_handed_over_once() {
        let (sink, history) = sink(BuggifyKnobs::default());
        sink.emit(1, "became-leader", json!({ "term": 3 }));
        assert_eq!(
            sink.take(),
            [NodeEvent {
                node: 1,
                name: "became-leader".into()
            }]
        );
        assert!(sink.take().is_empty());
        let events = history.borrow().events().to_vec();
        assert_eq!(events[0].f, "event");
        assert_eq!(
            events[0].value,
            json!({"node": "n2", "event": "became-leader", "term": 3})
        );
    }

    #[test]
    fn fault_points_are_off_unless_enabled_and_repeat_by_seed() {
        let (off, _) = sink(BuggifyKnobs::default());
        assert!((0..100).all(|_| !off.buggify(0, "slow-sync")));
        let on = BuggifyKnobs {
            sites_pct: 100,
            fire_pct: 50,
        };
        let fires = |s: &EventSink| -> Vec<bool> { (0..200).map(|_| s.buggify(0, "x")).collect() };
        let (a, history) = sink(on.clone());
        let (b, _) = sink(on);
        let (first, second) = (fires(&a), fires(&b));
        assert_eq!(first, second);
        let count = first.iter().filter(|&&f| f).count();
        assert!((60..=140).contains(&count), "{count} of 200");
        assert_eq!(history.borrow().events().len(), count);
    }
}
