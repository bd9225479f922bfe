//! The sans-IO Raft core: `handle(now, input, &mut out)`.
//!
//! Inputs are peer messages, client requests and timer ticks; outputs are
//! records to persist, messages to send and replies to clients. The IO
//! layer ([`super::node`]) persists and syncs `out.persist` before it sends
//! anything in `out.send` or `out.replies`, so a message never claims state
//! the node could lose in a crash.
//!
//! This file holds the state, elections and the follower side; the leader
//! side (replication, commit, reads, client requests) is in
//! [`super::leader`].

use super::config::RaftConfig;
use super::kv::Kv;
use super::log::Log;
use super::mutants::Mutant;
use super::proto::{ClientReply, ClientRequest, Entry, Index, NodeId, PeerMsg, ReplyResult, Term};
use super::status::{NodeStatus, Role};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::time::Duration;

/// Identifies a client request's way back (a connection), chosen by the IO
/// layer.
pub type Token = u64;

/// Something that happened to the node.
#[derive(Clone, Debug)]
pub enum Input {
    /// Time passed: fire due timers.
    Tick,
    /// A message from a peer.
    Peer {
        /// The sender.
        from: NodeId,
        /// The message.
        msg: PeerMsg,
    },
    /// A request from a client.
    Client {
        /// Where the reply goes.
        token: Token,
        /// The request.
        req: ClientRequest,
    },
}

/// A change to durable state, appended to the node's disk in order.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Record {
    /// The current term and vote.
    HardState {
        /// The term.
        term: Term,
        /// Whom this node voted for in `term`.
        vote: Option<NodeId>,
    },
    /// Entries stored at `index`, `index + 1`, …
    Append {
        /// The index of the first entry.
        index: Index,
        /// The entries.
        entries: Vec<Entry>,
    },
    /// Entries at `from` and after were removed.
    Truncate {
        /// The first removed index.
        from: Index,
    },
}

/// What the core asks the IO layer to do, in this order: persist, then send.
#[derive(Debug, Default)]
pub struct Output {
    /// Records to append and sync before anything below is sent.
    pub persist: Vec<Record>,
    /// Messages to peers.
    pub send: Vec<(NodeId, PeerMsg)>,
    /// Replies to clients.
    pub replies: Vec<(Token, ClientReply)>,
    /// What happened, with its term, for the harness (`became-leader`,
    /// `stepped-down`, `election-started`, `granted-vote`): event-triggered
    /// faults fire on these.
    pub events: Vec<(&'static str, Term)>,
}

impl Output {
    /// True when there is nothing to do.
    pub fn is_empty(&self) -> bool {
        self.persist.is_empty() && self.send.is_empty() && self.replies.is_empty()
    }

    /// Answers the client request `seq` that arrived as `token`.
    pub fn reply(&mut self, token: Token, seq: u64, result: ReplyResult) {
        self.replies.push((token, ClientReply { seq, result }));
    }
}

/// What a node recovers from its disk.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Durable {
    /// The last persisted term.
    pub term: Term,
    /// The vote cast in `term`.
    pub vote: Option<NodeId>,
    /// The persisted log.
    pub log: Log,
}

impl Durable {
    /// Applies one record, as replay after a restart does.
    pub fn apply(&mut self, record: Record) {
        match record {
            Record::HardState { term, vote } => (self.term, self.vote) = (term, vote),
            Record::Append { index, entries } => {
                self.log.truncate_from(index);
                for entry in entries {
                    self.log.push(entry);
                }
            }
            Record::Truncate { from } => self.log.truncate_from(from),
        }
    }
}

/// The leader's view of one follower.
#[derive(Clone, Debug, Default)]
pub(super) struct Progress {
    /// The next index to send.
    pub next: Index,
    /// The highest index known to be stored there.
    pub matched: Index,
    /// When the outstanding append was sent (one at a time per peer).
    pub inflight_since: Option<Duration>,
    /// The highest read round sent / acknowledged.
    pub round_sent: u64,
    pub round_acked: u64,
    /// When the peer last answered in this term (check-quorum).
    pub last_ack: Duration,
}

/// A read waiting for its leadership round and for the state machine.
#[derive(Clone, Debug)]
pub(super) struct PendingRead {
    pub round: u64,
    pub index: Index,
    pub token: Token,
    pub seq: u64,
    pub key: String,
}

/// What the IO shell knows of time besides the monotonic `now` given to
/// [`Raft::handle`]; read only by the lease bugs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Clocks {
    /// The node's wall clock (ns since the Unix epoch), which the clock
    /// nemesis skews.
    pub wall_ns: i64,
    /// Monotonic time read before the event loop's last await (where a
    /// pause can hit), earlier than `now` by the wait.
    pub before_wait: Duration,
}

/// When a heartbeat round was first sent: monotonic and wall time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct SentAt {
    pub mono: Duration,
    pub wall_ns: i64,
}

/// A write waiting to be committed and applied.
#[derive(Clone, Debug)]
pub(super) struct PendingWrite {
    pub term: Term,
    pub token: Token,
    pub seq: u64,
}

/// One Raft node's protocol state.
#[derive(Debug)]
pub struct Raft {
    pub(super) id: NodeId,
    pub(super) n: usize,
    pub(super) config: RaftConfig,
    pub(super) rng: ChaCha8Rng,
    // Durable.
    pub(super) term: Term,
    pub(super) vote: Option<NodeId>,
    pub(super) log: Log,
    // Volatile.
    pub(super) role: Role,
    pub(super) leader: Option<NodeId>,
    pub(super) commit: Index,
    pub(super) applied: Index,
    pub(super) kv: Kv,
    pub(super) election_deadline: Duration,
    pub(super) votes: BTreeSet<NodeId>,
    // Leader only.
    pub(super) heartbeat_deadline: Duration,
    pub(super) progress: Vec<Progress>,
    pub(super) term_start: Index,
    pub(super) round: u64,
    pub(super) round_stamped: bool,
    pub(super) pending_writes: BTreeMap<Index, PendingWrite>,
    pub(super) pending_reads: VecDeque<PendingRead>,
    // Leases (only with a lease bug on).
    pub(super) clocks: Clocks,
    pub(super) round_sent_at: BTreeMap<u64, SentAt>,
    pub(super) lease_start: Option<SentAt>,
    pub(super) vote_guard_until: Duration,
}

impl Raft {
    /// Node `id` of `n`, recovered from `durable`, at monotonic time `now`.
    pub fn new(
        id: NodeId,
        n: usize,
        config: RaftConfig,
        durable: Durable,
        rng: ChaCha8Rng,
        now: Duration,
    ) -> Self {
        assert!(id < n, "node id {id} out of range for {n} nodes");
        let kv = Kv::new(&config);
        let mut raft = Raft {
            id,
            n,
            config,
            rng,
            term: durable.term,
            vote: durable.vote,
            log: durable.log,
            role: Role::Follower,
            leader: None,
            commit: 0,
            applied: 0,
            kv,
            election_deadline: now,
            votes: BTreeSet::new(),
            heartbeat_deadline: now,
            progress: vec![Progress::default(); n],
            term_start: 0,
            round: 0,
            round_stamped: false,
            pending_writes: BTreeMap::new(),
            pending_reads: VecDeque::new(),
            clocks: Clocks::default(),
            round_sent_at: BTreeMap::new(),
            lease_start: None,
            vote_guard_until: now,
        };
        raft.reset_election_timer(now);
        raft.guard_votes(now);
        raft
    }

    /// Feeds one input; what to do about it is appended to `out`.
    pub fn handle(&mut self, now: Duration, input: Input, out: &mut Output) {
        match input {
            Input::Tick => self.tick(now, out),
            Input::Peer { from, msg } => self.on_peer(now, from, msg, out),
            Input::Client { token, req } => self.on_client(now, token, req, out),
        }
    }

    /// Lets the election timer of a follower or candidate expire now (a
    /// seeded fault point: an early timeout is legal, only rare).
    pub fn expire_election_timer(&mut self, now: Duration) {
        if self.role != Role::Leader {
            self.election_deadline = now;
        }
    }

    /// Tells the core the node's other clocks before a batch of inputs.
    pub fn set_clocks(&mut self, clocks: Clocks) {
        self.clocks = clocks;
    }

    /// When the next timer fires; feed [`Input::Tick`] then.
    pub fn next_deadline(&self) -> Duration {
        match self.role {
            Role::Leader => self.heartbeat_deadline,
            _ => self.election_deadline,
        }
    }

    /// Term, role, commit and last index, for the status board.
    pub fn status(&self) -> NodeStatus {
        NodeStatus {
            term: self.term,
            role: self.role,
            commit: self.commit,
            last_index: self.log.last_index(),
            applied: self.applied,
            digest: self.kv.digest(),
        }
    }

    /// The log (for tests and invariant checks).
    pub fn log(&self) -> &Log {
        &self.log
    }

    /// The highest applied index.
    pub fn applied(&self) -> Index {
        self.applied
    }

    /// The state machine.
    pub fn kv(&self) -> &Kv {
        &self.kv
    }

    /// How many votes or acknowledgements make a majority.
    pub(super) fn majority(&self) -> usize {
        self.n / 2 + 1
    }

    pub(super) fn peers(&self) -> impl Iterator<Item = NodeId> + 'static {
        let (id, n) = (self.id, self.n);
        (0..n).filter(move |&p| p != id)
    }

    fn tick(&mut self, now: Duration, out: &mut Output) {
        match self.role {
            Role::Leader if now >= self.heartbeat_deadline => self.heartbeat(now, out),
            Role::Follower | Role::Candidate if now >= self.election_deadline => {
                self.start_election(now, out)
            }
            _ => {}
        }
    }

    pub(super) fn reset_election_timer(&mut self, now: Duration) {
        let ms = self
            .rng
            .random_range(self.config.election_ms_min..=self.config.election_ms_max);
        self.election_deadline = now + Duration::from_millis(ms);
    }

    pub(super) fn persist_hard_state(&self, out: &mut Output) {
        out.persist.push(Record::HardState {
            term: self.term,
            vote: self.vote,
        });
    }

    fn start_election(&mut self, now: Duration, out: &mut Output) {
        self.term += 1;
        self.vote = Some(self.id);
        self.persist_hard_state(out);
        out.events.push(("election-started", self.term));
        self.role = Role::Candidate;
        self.leader = None;
        self.votes = BTreeSet::from([self.id]);
        self.reset_election_timer(now);
        tracing::debug!(term = self.term, "election started");
        let (last_index, last_term) = (self.log.last_index(), self.log.last_term());
        for peer in self.peers() {
            out.send.push((
                peer,
                PeerMsg::Vote {
                    term: self.term,
                    last_index,
                    last_term,
                },
            ));
        }
        if self.votes.len() >= self.majority() {
            self.become_leader(now, out);
        }
    }

    /// Steps down to follower (of `term`, if higher). A leader's pending
    /// writes may yet commit, so they are told "unknown"; its pending reads
    /// did nothing and are told "not leader".
    pub(super) fn become_follower(&mut self, now: Duration, term: Term, out: &mut Output) {
        if term > self.term {
            self.term = term;
            self.vote = None;
            self.leader = None; // a hint from an older term is stale
            self.persist_hard_state(out);
        }
        if self.role == Role::Leader {
            tracing::info!(term = self.term, "stepped down");
            out.events.push(("stepped-down", self.term));
            self.fail_pending(out);
            self.reset_election_timer(now);
        }
        if self.role != Role::Follower {
            self.leader = None;
        }
        self.role = Role::Follower;
    }

    fn fail_pending(&mut self, out: &mut Output) {
        for (_, write) in std::mem::take(&mut self.pending_writes) {
            let result = ReplyResult::Unknown("leader stepped down".into());
            out.reply(write.token, write.seq, result);
        }
        for read in std::mem::take(&mut self.pending_reads) {
            let result = ReplyResult::NotLeader { hint: None };
            out.reply(read.token, read.seq, result);
        }
    }

    fn on_peer(&mut self, now: Duration, from: NodeId, msg: PeerMsg, out: &mut Output) {
        if from >= self.n || from == self.id {
            tracing::warn!(from, "message from an unknown peer dropped");
            return;
        }
        if matches!(msg, PeerMsg::Vote { .. }) && self.honours_lease(now) {
            return; // a leader may be serving reads under its lease
        }
        if msg.term() > self.term {
            self.become_follower(now, msg.term(), out);
        }
        match msg {
            PeerMsg::Vote {
                term,
                last_index,
                last_term,
            } => {
                let grant = term == self.term && self.grants_vote(from, last_term, last_index);
                if grant {
                    self.vote = Some(from);
                    if !self.config.has_mutant(Mutant::VoteNotPersisted) {
                        self.persist_hard_state(out);
                    }
                    out.events.push(("granted-vote", term));
                    self.reset_election_timer(now);
                }
                out.send.push((
                    from,
                    PeerMsg::VoteReply {
                        term: self.term,
                        granted: grant,
                    },
                ));
            }
            PeerMsg::VoteReply { term, granted } => {
                let this_election =
                    term == self.term || self.config.has_mutant(Mutant::StaleVoteReplyCounted);
                if self.role == Role::Candidate && this_election && granted {
                    self.votes.insert(from);
                    if self.votes.len() >= self.majority() {
                        self.become_leader(now, out);
                    }
                }
            }
            PeerMsg::Append {
                term,
                prev_index,
                prev_term,
                entries,
                commit,
                round,
            } => {
                let stale = term < self.term;
                let append = (term, prev_index, prev_term, entries, commit);
                let (success, index, conflict_term) = self.on_append(now, from, append, out);
                let reply = PeerMsg::AppendReply {
                    term: self.term,
                    success,
                    index,
                    conflict_term,
                    // A request of an older term confirms no read round: the
                    // reply carries our term, and a leader of that term
                    // (rounds restart at 1 each term) would take the old
                    // round as an ack of its own.
                    round: if stale && !self.config.has_mutant(Mutant::ReadAckedByStaleRound) {
                        0
                    } else {
                        round
                    },
                };
                out.send.push((from, reply));
            }
            PeerMsg::AppendReply {
                term,
                success,
                index,
                conflict_term,
                round,
            } => {
                if self.role == Role::Leader && term == self.term {
                    self.on_append_reply(now, from, success, index, conflict_term, round, out);
                }
            }
        }
    }

    /// Whether this node, not having voted otherwise, would vote for
    /// candidate `from` whose log ends at (`last_term`, `last_index`):
    /// figure 2's RequestVote rule 2.
    fn grants_vote(&self, from: NodeId, last_term: Term, last_index: Index) -> bool {
        let free =
            self.vote.is_none_or(|v| v == from) || self.config.has_mutant(Mutant::VoteTwiceInTerm);
        let up_to_date = if self.config.has_mutant(Mutant::VoteIgnoresLog) {
            true
        } else if self.config.has_mutant(Mutant::VoteComparesLength) {
            last_index >= self.log.last_index()
        } else {
            self.log.is_behind_or_equal(last_term, last_index)
        };
        free && up_to_date
    }

    /// With leases in use, a leader, and a node that heard from one within
    /// the shortest election timeout (or has just started), ignore vote
    /// requests: that promise is what a leader's lease counts on.
    fn honours_lease(&self, now: Duration) -> bool {
        self.config.bugs.uses_leases() && (self.role == Role::Leader || now < self.vote_guard_until)
    }

    /// Starts (or restarts) the shortest election timeout during which
    /// [`Raft::honours_lease`] ignores vote requests: on start and on every
    /// append from a leader.
    fn guard_votes(&mut self, now: Duration) {
        self.vote_guard_until = now + Duration::from_millis(self.config.election_ms_min);
    }

    /// The follower side of append: returns (success, index, conflict term).
    fn on_append(
        &mut self,
        now: Duration,
        from: NodeId,
        (term, prev_index, prev_term, entries, commit): (Term, Index, Term, Vec<Entry>, Index),
        out: &mut Output,
    ) -> (bool, Index, Option<Term>) {
        if term < self.term {
            return (false, 0, None);
        }
        if self.role == Role::Leader {
            // Only a planted bug (a vote lost before its sync) can elect
            // two leaders in a term; then this one steps down, as a naive
            // implementation would.
            assert!(
                self.config.broken_on_purpose(),
                "two leaders in term {term}: node {} and node {from}",
                self.id
            );
            tracing::error!(term, other = from, "two leaders in one term; stepping down");
            self.become_follower(now, term, out);
        }
        if self.role == Role::Candidate || self.leader != Some(from) {
            tracing::debug!(term, leader = from, "following");
        }
        self.role = Role::Follower;
        self.leader = Some(from);
        self.reset_election_timer(now);
        self.guard_votes(now);

        match self.log.term_at(prev_index) {
            None => return (false, self.log.last_index() + 1, None),
            Some(t) if t != prev_term && !self.config.has_mutant(Mutant::SkipPrevTermCheck) => {
                let first = self
                    .log
                    .first_index_of_term(t)
                    .expect("the log holds term t");
                return (false, first, Some(t));
            }
            Some(_) => {}
        }
        let match_index = prev_index + entries.len() as Index;
        if self.config.has_mutant(Mutant::TruncateWithoutConflict)
            && self.log.last_index() > prev_index
        {
            self.truncate_log(prev_index + 1, out);
        }
        self.merge_entries(prev_index, entries, out);
        let commit_bound = if self.config.has_mutant(Mutant::FollowerCommitPastMatch) {
            self.log.last_index()
        } else {
            match_index
        };
        let new_commit = commit.min(commit_bound);
        if new_commit > self.commit {
            self.set_commit(new_commit, out);
        }
        if self.config.has_mutant(Mutant::MatchFromFollowerLastIndex) {
            return (true, self.log.last_index(), None);
        }
        (true, match_index, None)
    }

    /// Stores `entries` after `prev_index`, truncating only on a conflict.
    fn merge_entries(&mut self, prev_index: Index, mut entries: Vec<Entry>, out: &mut Output) {
        let mut k = 0;
        while k < entries.len() {
            let index = prev_index + 1 + k as Index;
            match self.log.term_at(index) {
                Some(t) if t == entries[k].term => k += 1,
                Some(t) => {
                    if index <= self.commit {
                        // Only a planted bug can make a leader overwrite a
                        // committed entry; then this node obeys it.
                        assert!(
                            self.config.broken_on_purpose(),
                            "node {} would truncate committed index {index} (commit {}, \
                             term {t} replaced by {})",
                            self.id,
                            self.commit,
                            entries[k].term
                        );
                        tracing::error!(
                            index,
                            commit = self.commit,
                            term = t,
                            by = entries[k].term,
                            "truncating a committed entry"
                        );
                    }
                    self.truncate_log(index, out);
                    break;
                }
                None => break,
            }
        }
        if k == entries.len() {
            return;
        }
        let rest = entries.split_off(k);
        let index = self.log.last_index() + 1;
        for entry in &rest {
            self.log.push(entry.clone());
        }
        out.persist.push(Record::Append {
            index,
            entries: rest,
        });
    }

    /// Removes the entries at `from` and after. Entries there that were
    /// committed (only a planted bug gets here) are un-applied: the commit
    /// index goes back and the state machine is rebuilt from the log that
    /// remains; a write waiting on a removed entry is told "unknown".
    fn truncate_log(&mut self, from: Index, out: &mut Output) {
        self.log.truncate_from(from);
        out.persist.push(Record::Truncate { from });
        for (_, write) in self.pending_writes.split_off(&from) {
            let result = ReplyResult::Unknown("entry removed".into());
            out.reply(write.token, write.seq, result);
        }
        self.commit = self.commit.min(from - 1);
        if self.applied > self.commit {
            // The writes below `from` were answered when first applied.
            self.applied = 0;
            self.kv = Kv::new(&self.config);
            self.apply_committed(out);
        }
    }
}
