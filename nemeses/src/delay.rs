//! The delay nemesis: slow links (higher latency and jitter on chosen links,
//! or on every link around one node), and bursts (links held, then released
//! at once, so their messages arrive together).
//!
//! Latency is drawn when a message is sent: a change affects new messages
//! only. Held messages are never lost.

use crate::crash::check_range;
use crate::draw;
use crate::fault::Host;
use rand::Rng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// An undirected link between two hosts.
pub type Link = (Host, Host);

/// A delay fault.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "kebab-case", deny_unknown_fields)]
pub enum Delay {
    /// Every message on `links` takes `latency_ms` to `latency_ms +
    /// jitter_ms` for `ms`.
    Slow {
        /// The slowed links.
        links: Vec<Link>,
        /// Minimum one-way latency.
        latency_ms: u64,
        /// Added on top, at random per message (head-of-line blocking on a
        /// TCP stream, never reordering).
        jitter_ms: u64,
        /// How long until the default latency is back.
        ms: u64,
    },
    /// Hold every message on `links` for `ms`, then deliver them all.
    Burst {
        /// The held links.
        links: Vec<Link>,
        /// How long they are held.
        ms: u64,
    },
}

impl Delay {
    /// How long the fault lasts.
    pub fn ms(&self) -> u64 {
        match self {
            Delay::Slow { ms, .. } | Delay::Burst { ms, .. } => *ms,
        }
    }

    /// The links it affects.
    pub fn links(&self) -> &[Link] {
        match self {
            Delay::Slow { links, .. } | Delay::Burst { links, .. } => links,
        }
    }

    /// The nodes on its links.
    pub fn nodes(&self) -> Vec<usize> {
        let mut nodes: Vec<usize> = self
            .links()
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .filter_map(|h| match h {
                Host::Node(i) => Some(i),
                Host::Clients => None,
            })
            .collect();
        nodes.sort();
        nodes.dedup();
        nodes
    }

    /// The fault as JSON for the history.
    pub fn describe(&self, name: &dyn Fn(Host) -> String) -> Value {
        let links: Vec<[String; 2]> = self
            .links()
            .iter()
            .map(|&(a, b)| [name(a), name(b)])
            .collect();
        match self {
            Delay::Slow {
                latency_ms,
                jitter_ms,
                ms,
                ..
            } => {
                json!({ "mode": "slow", "links": links, "latency_ms": latency_ms, "jitter_ms": jitter_ms, "ms": ms })
            }
            Delay::Burst { ms, .. } => json!({ "mode": "burst", "links": links, "ms": ms }),
        }
    }
}

/// Knobs of the delay nemesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DelayKnobs {
    /// Largest minimum latency of a slow link (default 200 ms).
    pub latency_ms_max: u64,
    /// Largest jitter of a slow link (default 100 ms).
    pub jitter_ms_max: u64,
    /// Shortest slow spell (default 200 ms).
    pub ms_min: u64,
    /// Longest slow spell (default 3,000 ms).
    pub ms_max: u64,
    /// Longest hold of a burst (default 500 ms, best kept under the client
    /// deadline: longer holds are the timeout nemesis).
    pub burst_ms_max: u64,
}

impl Default for DelayKnobs {
    fn default() -> Self {
        DelayKnobs {
            latency_ms_max: 200,
            jitter_ms_max: 100,
            ms_min: 200,
            ms_max: 3_000,
            burst_ms_max: 500,
        }
    }
}

impl DelayKnobs {
    /// Draws one delay in a cluster of `nodes`: on every link around one
    /// node (clients included: a slow node) or on a random set of links
    /// between nodes; two in three slow, one in three a burst.
    pub fn draw(&self, nodes: usize, rng: &mut impl Rng) -> Delay {
        let links = if nodes < 2 || rng.random_bool(0.5) {
            let slow = rng.random_range(0..nodes);
            let mut links: Vec<Link> = (0..nodes)
                .filter(|&b| b != slow)
                .map(|b| ordered(Host::Node(slow), Host::Node(b)))
                .collect();
            links.push((Host::Node(slow), Host::Clients));
            links
        } else {
            random_links(nodes, rng)
        };
        if rng.random_range(0..3) < 2 {
            Delay::Slow {
                links,
                latency_ms: draw::between(rng, 1, self.latency_ms_max.max(1)),
                jitter_ms: draw::between(rng, 0, self.jitter_ms_max),
                ms: draw::between(rng, self.ms_min, self.ms_max),
            }
        } else {
            Delay::Burst {
                links,
                ms: draw::between(rng, 10.min(self.burst_ms_max), self.burst_ms_max),
            }
        }
    }

    /// Checks the knobs; the message names the one that is wrong.
    pub fn validate(&self) -> Result<(), String> {
        check_range("delay", self.ms_min, self.ms_max)?;
        if self.burst_ms_max == 0 {
            return Err("delay: burst_ms_max must be at least 1".into());
        }
        Ok(())
    }
}

/// Each link between two nodes with probability 1/2, at least one.
fn random_links(nodes: usize, rng: &mut impl Rng) -> Vec<Link> {
    let all: Vec<Link> = (0..nodes)
        .flat_map(|a| (a + 1..nodes).map(move |b| (Host::Node(a), Host::Node(b))))
        .collect();
    let mut links: Vec<Link> = all
        .iter()
        .copied()
        .filter(|_| rng.random_bool(0.5))
        .collect();
    if links.is_empty() {
        links.push(all[rng.random_range(0..all.len())]);
    }
    links
}

fn ordered(a: Host, b: Host) -> Link {
    if a <= b {
        (a, b)
    } else {
        (b, a)
    }
}
