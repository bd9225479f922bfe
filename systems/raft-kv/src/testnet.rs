//! A tiny deterministic network for unit tests of the sans-IO core: no
//! turmoil, no TCP. Messages get a random latency from a seeded rng, may be
//! dropped, and never cross a cut link; nodes crash (keeping only what they
//! persisted) and restart. Every step checks Raft's safety invariants;
//! with a planted bug on, a broken one is recorded in `broken` instead of
//! failing the test.

use super::config::RaftConfig;
use super::proto::{ClientReply, ClientRequest, Entry, Index, NodeId, PeerMsg, Term};
use super::raft::{Durable, Input, Output, Raft, Token};
use super::status::Role;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;
use workloads::RegisterOp;

/// A message on the wire.
#[derive(Clone, Debug)]
pub struct Flight {
    pub at: Duration,
    pub from: NodeId,
    pub to: NodeId,
    pub msg: PeerMsg,
}

/// The cluster under test and its network.
pub struct TestNet {
    pub n: usize,
    pub config: RaftConfig,
    pub nodes: Vec<Option<Raft>>,
    pub disks: Vec<Durable>,
    pub flights: Vec<Flight>,
    pub now: Duration,
    pub rng: ChaCha8Rng,
    pub drop_rate: f64,
    pub latency_ms_max: u64,
    /// Pairs (a, b) with a < b that cannot talk.
    pub cut: BTreeSet<(NodeId, NodeId)>,
    /// Every reply to a client: (node, token, reply).
    pub replies: Vec<(NodeId, Token, ClientReply)>,
    /// When false, messages stay queued until delivered by hand.
    pub auto_deliver: bool,
    /// Safety invariants found broken (only with a planted bug on).
    pub broken: Vec<String>,
    leaders: BTreeMap<Term, NodeId>,
    applied: BTreeMap<Index, Entry>,
    seen_applied: Vec<Index>,
    next_token: Token,
}

impl TestNet {
    /// `n` fresh nodes; all randomness from `seed`.
    pub fn new(n: usize, config: RaftConfig, seed: u64) -> Self {
        let mut net = TestNet {
            n,
            config,
            nodes: (0..n).map(|_| None).collect(),
            disks: vec![Durable::default(); n],
            flights: Vec::new(),
            now: Duration::ZERO,
            rng: ChaCha8Rng::seed_from_u64(seed),
            drop_rate: 0.0,
            latency_ms_max: 3,
            cut: BTreeSet::new(),
            replies: Vec::new(),
            auto_deliver: true,
            broken: Vec::new(),
            leaders: BTreeMap::new(),
            applied: BTreeMap::new(),
            seen_applied: vec![0; n],
            next_token: 0,
        };
        for i in 0..n {
            net.restart(i);
        }
        net
    }

    /// Node `i`, which must be running.
    pub fn node(&self, i: NodeId) -> &Raft {
        self.nodes[i].as_ref().expect("node is running")
    }

    /// Starts node `i` from its disk.
    pub fn restart(&mut self, i: NodeId) {
        let rng = ChaCha8Rng::seed_from_u64(self.rng.random());
        let raft = Raft::new(
            i,
            self.n,
            self.config.clone(),
            self.disks[i].clone(),
            rng,
            self.now,
        );
        self.nodes[i] = Some(raft);
        self.seen_applied[i] = 0;
    }

    /// Kills node `i`: it keeps only what it persisted.
    pub fn crash(&mut self, i: NodeId) {
        self.nodes[i] = None;
    }

    /// Cuts node `i` off from everyone.
    pub fn isolate(&mut self, i: NodeId) {
        for j in 0..self.n {
            if j != i {
                self.cut.insert((i.min(j), i.max(j)));
            }
        }
    }

    /// The highest-term running leader.
    pub fn leader(&self) -> Option<NodeId> {
        (0..self.n)
            .filter_map(|i| self.nodes[i].as_ref().map(|r| (r.status(), i)))
            .filter(|(s, _)| s.role == Role::Leader)
            .max_by_key(|(s, _)| s.term)
            .map(|(_, i)| i)
    }

    /// Sends a client request to node `i`; returns its token.
    pub fn submit(&mut self, i: NodeId, client: u64, seq: u64, op: RegisterOp) -> Token {
        self.next_token += 1;
        let token = self.next_token;
        let input = Input::Client {
            token,
            req: ClientRequest { client, seq, op },
        };
        self.feed(i, input);
        token
    }

    /// Feeds one input to node `i` (if running) and routes its output.
    pub fn feed(&mut self, i: NodeId, input: Input) {
        let Some(raft) = self.nodes[i].as_mut() else {
            return;
        };
        let mut out = Output::default();
        raft.handle(self.now, input, &mut out);
        self.route(i, out);
        self.check(i);
    }

    /// Applies node `from`'s output: persists, sends, records replies.
    pub fn route(&mut self, from: NodeId, out: Output) {
        for record in out.persist {
            self.disks[from].apply(record);
        }
        for (to, msg) in out.send {
            let cut = self.cut.contains(&(from.min(to), from.max(to)));
            if cut || self.rng.random_bool(self.drop_rate) {
                continue;
            }
            let at =
                self.now + Duration::from_millis(self.rng.random_range(1..=self.latency_ms_max));
            self.flights.push(Flight { at, from, to, msg });
        }
        for (token, reply) in out.replies {
            self.replies.push((from, token, reply));
        }
    }

    /// Advances 1 ms: delivers due messages in a random order, ticks nodes.
    pub fn step(&mut self) {
        self.now += Duration::from_millis(1);
        if self.auto_deliver {
            let now = self.now;
            let (mut due, rest): (Vec<_>, Vec<_>) =
                self.flights.drain(..).partition(|f| f.at <= now);
            self.flights = rest;
            while !due.is_empty() {
                let f = due.swap_remove(self.rng.random_range(0..due.len()));
                self.deliver(f);
            }
        }
        for i in 0..self.n {
            self.feed(i, Input::Tick);
        }
    }

    /// Delivers one message now (unless its link is cut).
    pub fn deliver(&mut self, f: Flight) {
        if self.cut.contains(&(f.from.min(f.to), f.from.max(f.to))) {
            return;
        }
        self.feed(
            f.to,
            Input::Peer {
                from: f.from,
                msg: f.msg,
            },
        );
    }

    /// Steps `ms` times.
    pub fn run_ms(&mut self, ms: u64) {
        for _ in 0..ms {
            self.step();
        }
    }

    /// Steps until some node leads (panics after `ms_max`).
    pub fn await_leader(&mut self, ms_max: u64) -> NodeId {
        for _ in 0..ms_max {
            if let Some(l) = self.leader() {
                return l;
            }
            self.step();
        }
        panic!("no leader after {ms_max} ms");
    }

    /// Election safety and state machine safety, after node `i` acted.
    fn check(&mut self, i: NodeId) {
        let Some(raft) = self.nodes[i].as_ref() else {
            return;
        };
        let status = raft.status();
        let mut broken = Vec::new();
        if status.role == Role::Leader {
            let first = *self.leaders.entry(status.term).or_insert(i);
            if first != i {
                broken.push(format!(
                    "two leaders in term {}: {first} and {i}",
                    status.term
                ));
            }
        }
        // A planted bug may make a node un-apply entries and apply others
        // in their place: if the last entry seen changed, look again.
        let seen = self.seen_applied[i];
        let replaced =
            seen > 0 && raft.applied() >= seen && raft.log().get(seen) != self.applied.get(&seen);
        let from = if replaced { 1 } else { seen + 1 };
        for index in from..=raft.applied() {
            let entry = raft
                .log()
                .get(index)
                .expect("applied entries are in the log");
            let agreed = self.applied.entry(index).or_insert_with(|| entry.clone());
            if agreed != entry {
                broken.push(format!(
                    "node {i} applied a different entry at index {index}: {entry:?}, not {agreed:?}"
                ));
            }
        }
        self.seen_applied[i] = raft.applied();
        assert!(
            broken.is_empty() || self.config.broken_on_purpose(),
            "{}",
            broken.join("; ")
        );
        self.broken.extend(broken);
    }

    /// Log matching: if two logs hold an entry with the same index and
    /// term, they are identical up to it.
    pub fn check_log_matching(&self) {
        let logs: Vec<_> = self.nodes.iter().flatten().map(|r| r.log()).collect();
        for a in &logs {
            for b in &logs {
                let common = a.last_index().min(b.last_index());
                let Some(top) = (1..=common).rev().find(|&k| a.term_at(k) == b.term_at(k)) else {
                    continue;
                };
                for k in 1..=top {
                    assert_eq!(a.get(k), b.get(k), "logs agree at {top} but differ at {k}");
                }
            }
        }
    }

    /// Replies received for `token`.
    pub fn replies_to(&self, token: Token) -> Vec<&ClientReply> {
        self.replies
            .iter()
            .filter(|(_, t, _)| *t == token)
            .map(|(_, _, r)| r)
            .collect()
    }
}
