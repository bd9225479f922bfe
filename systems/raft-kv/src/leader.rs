//! The leader side of the Raft core: replication with one append in flight
//! per follower (so entries that arrive meanwhile batch into the next one),
//! fast back-off on conflicts, the commit rule, applying, client requests,
//! and read-index reads confirmed by a heartbeat round.
//!
//! The decisions a planted bug would subvert each live in one function:
//! `Raft::may_commit` (the commit rule), `Raft::read_index` and
//! `Raft::read_is_confirmed` (linearizable reads), and
//! `Raft::set_commit` (when clients hear about writes).

use super::bugs::Bug;
use super::mutants::Mutant;
use super::proto::{ClientRequest, Command, Entry, Index, NodeId, PeerMsg};
use super::proto::{ReplyResult, Term};
use super::raft::Token;
use super::raft::{Input, Output, PendingRead, PendingWrite, Progress, Raft, Record, SentAt};
use super::status::Role;
use std::time::Duration;
use workloads::RegisterOp;

impl Raft {
    pub(super) fn become_leader(&mut self, now: Duration, out: &mut Output) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        let next = self.log.last_index() + 1;
        let keep_matched = self.config.has_mutant(Mutant::MatchIndexKeptAcrossTerms);
        for p in &mut self.progress {
            *p = Progress {
                next,
                last_ack: now,
                matched: if keep_matched { p.matched } else { 0 },
                ..Progress::default()
            };
        }
        self.round = 1;
        self.round_stamped = false;
        self.round_sent_at.clear();
        self.lease_start = None;
        // Reads wait for everything up to here: the no-op, which commits
        // every earlier entry with it; with the planted rule, the last
        // entry at election, which counting replicas commits by itself.
        self.term_start = if self.counts_old_terms() {
            self.log.last_index() // planted: no entry of its own term
        } else {
            let entry = Entry {
                term: self.term,
                command: Command::Noop,
            };
            self.append_local(entry, out)
        };
        out.events.push(("became-leader", self.term));
        tracing::info!(
            term = self.term,
            last_index = self.term_start,
            "became leader"
        );
        for peer in self.peers() {
            self.send_append(now, peer, out);
        }
        self.heartbeat_deadline = now + self.config.heartbeat();
        self.advance_commit(out);
    }

    fn append_local(&mut self, entry: Entry, out: &mut Output) -> Index {
        let index = self.log.push(entry.clone());
        out.persist.push(Record::Append {
            index,
            entries: vec![entry],
        });
        index
    }

    /// Heartbeats idle (or presumed-lost) followers; steps down if no
    /// majority has answered within an election timeout (check-quorum),
    /// unless a lease bug makes it trust its lease for leadership too.
    pub(super) fn heartbeat(&mut self, now: Duration, out: &mut Output) {
        self.heartbeat_deadline = now + self.config.heartbeat();
        let window = Duration::from_millis(self.config.election_ms_max);
        let recent = self
            .peers()
            .filter(|&p| now.saturating_sub(self.progress[p].last_ack) <= window)
            .count();
        // With a lease bug, the flawed lease also keeps a cut-off leader
        // from stepping down (lease_holds is false without one).
        if recent + 1 < self.majority() && !self.lease_holds() {
            tracing::info!(term = self.term, recent, "lost contact with a majority");
            self.become_follower(now, self.term, out);
            return;
        }
        for peer in self.peers() {
            let lost = self.progress[peer]
                .inflight_since
                .is_none_or(|sent| now.saturating_sub(sent) >= self.config.rpc_timeout());
            if lost {
                self.send_append(now, peer, out);
            }
        }
    }

    /// Sends `peer` the entries from its next index on (or a heartbeat),
    /// stamped with the current read round.
    fn send_append(&mut self, now: Duration, peer: NodeId, out: &mut Output) {
        let next = self.progress[peer].next;
        let prev_index = next - 1;
        let prev_term = self
            .log
            .term_at(prev_index)
            .expect("next index is within the log + 1");
        let entries = self.log.slice(next, self.config.batch_entries_max).to_vec();
        let p = &mut self.progress[peer];
        p.inflight_since = Some(now);
        p.round_sent = self.round;
        self.round_stamped = true;
        if self.config.bugs.uses_leases() {
            let wall_ns = self.clocks.wall_ns;
            self.round_sent_at
                .entry(self.round)
                .or_insert(SentAt { mono: now, wall_ns });
        }
        let msg = PeerMsg::Append {
            term: self.term,
            prev_index,
            prev_term,
            entries,
            commit: self.commit,
            round: self.round,
        };
        out.send.push((peer, msg));
    }

    /// Sends to every follower with no append in flight (with
    /// `slow-append`, none: the next heartbeat carries the entries).
    fn replicate_to_idle(&mut self, now: Duration, out: &mut Output) {
        if !self.sends_entries_at_once() {
            return;
        }
        for peer in self.peers() {
            if self.progress[peer].inflight_since.is_none() {
                self.send_append(now, peer, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_append_reply(
        &mut self,
        now: Duration,
        from: NodeId,
        success: bool,
        index: Index,
        conflict_term: Option<Term>,
        round: u64,
        out: &mut Output,
    ) {
        let last = self.log.last_index();
        let p = &mut self.progress[from];
        p.inflight_since = None;
        p.last_ack = now;
        p.round_acked = p.round_acked.max(round);
        if success {
            assert!(
                index <= last || self.config.broken_on_purpose(),
                "node {from} acked index {index} beyond leader's last {last}"
            );
            // Only a mistake on purpose gets past the assertion; the
            // leader then believes what it can hold.
            let index = index.min(last);
            let p = &mut self.progress[from];
            p.matched = p.matched.max(index);
            p.next = p.next.max(index + 1);
        } else {
            let hint = conflict_term
                .and_then(|t| self.log.last_index_of_term(t).map(|i| i + 1))
                .unwrap_or(index);
            let p = &mut self.progress[from];
            p.next = hint
                .min(p.next.saturating_sub(1))
                .max(p.matched + 1)
                .min(last + 1);
        }
        if self.config.bugs.uses_leases() {
            self.renew_lease();
        }
        self.advance_commit(out);
        let p = &self.progress[from];
        let wants_round = self
            .pending_reads
            .back()
            .is_some_and(|r| r.round > p.round_sent);
        let has_entries = p.next <= self.log.last_index() && self.sends_entries_at_once();
        if has_entries || wants_round {
            self.send_append(now, from, out);
        }
    }

    /// False with the planted slowdown `slow-append`: new entries wait for
    /// the next heartbeat tick instead of going out at once.
    fn sends_entries_at_once(&self) -> bool {
        !self.config.bugs.has(Bug::SlowAppend)
    }

    /// Commits the highest index stored on a majority, if the rule allows,
    /// then answers the reads that became answerable (by the commit or by
    /// an acknowledged round).
    pub(super) fn advance_commit(&mut self, out: &mut Output) {
        if self.role != Role::Leader {
            return;
        }
        let mut matched: Vec<Index> = self.peers().map(|p| self.progress[p].matched).collect();
        matched.push(self.log.last_index());
        matched.sort_unstable_by(|a, b| b.cmp(a));
        // A leader's followers never hold more than it does; only the
        // mutant `match-index-kept-across-terms` remembers more.
        let candidate = matched[self.majority() - 1].min(self.log.last_index());
        if candidate > self.commit && self.may_commit(candidate) {
            self.set_commit(candidate, out);
        }
        self.serve_reads(out);
    }

    /// The commit rule (Raft §5.4.2): a leader commits by counting replicas
    /// only entries of its own term; earlier ones commit with them.
    fn may_commit(&self, index: Index) -> bool {
        self.counts_old_terms() || self.log.term_at(index) == Some(self.term)
    }

    /// Planted bug `old-term-commit`: the leader commits entries of earlier
    /// terms once a majority stores them, and so sees no need for a no-op
    /// entry of its own term at election ([`Raft::may_commit`] and
    /// `become_leader` both ask here). Figure 8 of the Raft paper: such an
    /// entry can still be overwritten by a node with a later last term.
    fn counts_old_terms(&self) -> bool {
        self.config.bugs.has(Bug::OldTermCommit)
    }

    /// Moves the commit index forward and applies what became committed.
    pub(super) fn set_commit(&mut self, index: Index, out: &mut Output) {
        assert!(
            index >= self.commit,
            "node {}: commit index would go back from {} to {index}",
            self.id,
            self.commit
        );
        assert!(
            index <= self.log.last_index(),
            "node {}: commit {index} beyond last index {}",
            self.id,
            self.log.last_index()
        );
        self.commit = index;
        self.apply_committed(out);
    }

    /// Applies the entries after `applied` up to `commit`, answering the
    /// writes that wait on them (also used to rebuild the state machine).
    pub(super) fn apply_committed(&mut self, out: &mut Output) {
        while self.applied < self.commit {
            self.applied += 1;
            let entry = self
                .log
                .get(self.applied)
                .expect("applied <= commit <= last index");
            let result = self.kv.apply(&entry.command);
            if let Some(write) = self.pending_writes.remove(&self.applied) {
                let result = if write.term == entry.term {
                    result
                } else {
                    ReplyResult::Unknown("entry replaced".into())
                };
                out.reply(write.token, write.seq, result);
            }
        }
    }

    pub(super) fn on_client(
        &mut self,
        now: Duration,
        token: Token,
        req: ClientRequest,
        out: &mut Output,
    ) {
        if self.role != Role::Leader {
            let result = match &req.op {
                // Planted: a follower's state lags the leader's.
                RegisterOp::Read { key } if self.config.bugs.has(Bug::StaleFollowerRead) => {
                    ReplyResult::Ok(self.kv.read(key))
                }
                _ => ReplyResult::NotLeader { hint: self.leader },
            };
            out.reply(token, req.seq, result);
            return;
        }
        match req.op {
            RegisterOp::Read { key } if self.lease_holds() && self.applied >= self.read_index() => {
                let result = ReplyResult::Ok(self.kv.read(&key));
                out.reply(token, req.seq, result);
                return;
            }
            RegisterOp::Read { key } => {
                if self.round_stamped && !self.config.has_mutant(Mutant::ReadRoundNotAdvanced) {
                    self.round += 1;
                    self.round_stamped = false;
                }
                let read = PendingRead {
                    round: self.round,
                    index: self.read_index(),
                    token,
                    seq: req.seq,
                    key,
                };
                self.pending_reads.push_back(read);
                self.serve_reads(out);
            }
            op => {
                let command = Command::Client {
                    client: req.client,
                    seq: req.seq,
                    op,
                };
                let index = self.append_local(
                    Entry {
                        term: self.term,
                        command,
                    },
                    out,
                );
                if self.config.bugs.has(Bug::AckBeforeCommit) {
                    // Planted: the reply goes out before a majority stores it.
                    let result = self
                        .kv
                        .clone()
                        .apply(&self.log.get(index).expect("appended").command);
                    out.reply(token, req.seq, result);
                } else {
                    let write = PendingWrite {
                        term: self.term,
                        token,
                        seq: req.seq,
                    };
                    self.pending_writes.insert(index, write);
                }
                self.advance_commit(out);
            }
        }
        self.replicate_to_idle(now, out);
    }

    /// The index a read must see: everything committed when it arrived. A
    /// new leader's commit index may lag, but `term_start` (its no-op
    /// entry, or its last entry at election) covers every entry committed
    /// before its term.
    fn read_index(&self) -> Index {
        if self.config.has_mutant(Mutant::ReadIndexIgnoresTermStart) {
            return self.commit;
        }
        self.commit.max(self.term_start)
    }

    /// After an acknowledgement (with a lease bug on): the lease runs from
    /// the first send of the round a majority has confirmed; older rounds
    /// are forgotten.
    fn renew_lease(&mut self) {
        let confirmed = self.confirmed_round();
        if let Some(&at) = self.round_sent_at.get(&confirmed) {
            self.lease_start = Some(at);
        }
        self.round_sent_at.retain(|&round, _| round >= confirmed);
    }

    /// Whether a read may be answered from local state under the lease
    /// (and check-quorum skipped); only the lease bugs use leases.
    fn lease_holds(&self) -> bool {
        let Some(start) = self.lease_start else {
            return false;
        };
        let lease = self.config.lease();
        if self.config.bugs.has(Bug::LeaseReadSkew) {
            // Planted: the wall clock, which can jump, strobe and drift.
            self.clocks.wall_ns < start.wall_ns + lease.as_nanos() as i64
        } else if self.config.bugs.has(Bug::LeaseReadPause) {
            // Planted: the time read before the last await, where a pause
            // can hit; reads that arrived during the pause pass the check.
            self.clocks.before_wait < start.mono + lease
        } else {
            false
        }
    }

    /// The highest read round a majority (counting this node) has
    /// acknowledged in this term.
    fn confirmed_round(&self) -> u64 {
        let mut acked: Vec<u64> = self.peers().map(|p| self.progress[p].round_acked).collect();
        acked.push(u64::MAX);
        acked.sort_unstable_by(|a, b| b.cmp(a));
        acked[self.majority() - 1]
    }

    /// A read may be answered once a majority confirmed this node still
    /// leads (after the read arrived) and the state machine caught up.
    fn read_is_confirmed(&self, read: &PendingRead, confirmed_round: u64) -> bool {
        let applied = self.applied >= read.index || self.config.has_mutant(Mutant::ReadBeforeApply);
        read.round <= confirmed_round && applied
    }

    fn serve_reads(&mut self, out: &mut Output) {
        if self.pending_reads.is_empty() {
            return;
        }
        let confirmed = self.confirmed_round();
        while let Some(read) = self.pending_reads.front() {
            if !self.read_is_confirmed(read, confirmed) {
                break;
            }
            let read = self.pending_reads.pop_front().expect("front exists");
            let result = ReplyResult::Ok(self.kv.read(&read.key));
            out.reply(read.token, read.seq, result);
        }
    }
}

/// Shorthand used by tests: a client request input.
pub fn client_input(token: Token, client: u64, seq: u64, op: RegisterOp) -> Input {
    Input::Client {
        token,
        req: ClientRequest { client, seq, op },
    }
}
