//! Unit tests of the sans-IO Raft core on the deterministic test network.
//! Each [`TestNet`] step asserts election safety and state machine safety;
//! the tests add log matching, the commit rule, catch-up and read safety.

use super::bugs::{Bug, Bugs};
use super::config::RaftConfig;
use super::proto::{PeerMsg, ReplyResult};
use super::raft::Output;
use super::status::Role;
use super::testnet::{Flight, TestNet};
use rand::Rng;
use workloads::RegisterOp;

fn write(key: &str, value: i64) -> RegisterOp {
    RegisterOp::Write {
        key: key.into(),
        value,
    }
}

fn read(key: &str) -> RegisterOp {
    RegisterOp::Read { key: key.into() }
}

/// Drives `net` through 4,000 ms of random client requests, isolations,
/// heals, crashes and restarts (all drawn from its seeded rng), checking
/// log matching every 500 ms with `check_log_matching` on.
fn random_faults(net: &mut TestNet, check_log_matching: bool) {
    let n = net.n;
    let mut seq = 0;
    for step in 0..4_000u64 {
        let roll: f64 = net.rng.random();
        let node = net.rng.random_range(0..n);
        if roll < 0.10 {
            seq += 1;
            let op = match seq % 3 {
                0 => read("x"),
                1 => write("x", seq as i64),
                _ => RegisterOp::Cas {
                    key: "x".into(),
                    expected: seq as i64 - 1,
                    new: seq as i64,
                },
            };
            net.submit(node, seq % 4, seq, op);
        } else if roll < 0.102 {
            net.isolate(node);
        } else if roll < 0.106 {
            net.cut.clear();
        } else if roll < 0.107 && net.nodes[node].is_some() {
            net.crash(node);
        } else if roll < 0.110 && net.nodes[node].is_none() {
            net.restart(node);
        }
        net.step();
        if check_log_matching && step % 500 == 0 {
            net.check_log_matching();
        }
    }
}

#[test]
fn random_faults_never_break_safety_and_the_cluster_recovers() {
    for seed in 0..60 {
        let n = if seed % 2 == 0 { 3 } else { 5 };
        let mut net = TestNet::new(n, RaftConfig::default(), seed);
        net.drop_rate = 0.05;
        random_faults(&mut net, true);
        // Heal everything: the cluster must converge and serve again.
        net.cut.clear();
        net.drop_rate = 0.0;
        for i in 0..n {
            if net.nodes[i].is_none() {
                net.restart(i);
            }
        }
        net.run_ms(1_000);
        let leader = net.await_leader(2_000);
        let token = net.submit(leader, 99, 1, write("final", 1));
        net.run_ms(500);
        assert_eq!(
            net.replies_to(token).first().map(|r| &r.result),
            Some(&ReplyResult::Ok(None)),
            "seed {seed}: a write after healing commits"
        );
        net.check_log_matching();
        let commits: Vec<_> = (0..n).map(|i| net.node(i).status().commit).collect();
        assert!(
            commits.iter().all(|&c| c == commits[0]),
            "seed {seed}: commits {commits:?}"
        );
        let kvs: Vec<_> = (0..n).map(|i| net.node(i).kv().clone()).collect();
        assert!(
            kvs.iter().all(|kv| *kv == kvs[0]),
            "seed {seed}: state machines differ"
        );
    }
}

/// Raft paper, figure 8: an entry of an old term stored on a majority is
/// not committed by counting replicas; it commits only once an entry of
/// the leader's current term does.
#[test]
fn old_term_entries_commit_only_with_a_current_term_entry() {
    let config = RaftConfig {
        batch_entries_max: 1,
        ..RaftConfig::default()
    };
    let mut net = TestNet::new(3, config, 7);
    let a = net.await_leader(1_000);
    net.run_ms(100); // the no-op of a's term commits everywhere
    let (b, c) = ((a + 1) % 3, (a + 2) % 3);

    // a appends X in its term but replicates it nowhere, then crashes.
    net.isolate(a);
    net.submit(a, 1, 1, write("x", 1));
    let x_index = net.node(a).log().last_index();
    net.crash(a);
    net.cut.clear();

    // b leads the next term with c's vote, appends its no-op alone and
    // crashes at once.
    net.isolate(c);
    net.cut.remove(&(b.min(c), b.max(c)));
    net.auto_deliver = false;
    let b_term = elect_by_hand(&mut net, b, c);
    assert_eq!(net.node(b).log().term_at(x_index), Some(b_term));
    net.crash(b);
    net.cut.clear();
    net.flights.clear();

    // a comes back and wins with c's vote (its log ends in an older term,
    // but a later index than c's).
    net.restart(a);
    let a_term = elect_by_hand(&mut net, a, c);
    assert!(a_term > b_term);
    let x_term = net.node(a).log().term_at(x_index).unwrap();
    assert!(x_term < a_term);

    // Pump messages between a and c one at a time until c holds X (batch of
    // one entry: X is sent before a's no-op). Now X is on a majority.
    while net.disks[c].log.term_at(x_index) != Some(x_term) {
        pump_one(&mut net);
    }
    // Deliver c's ack of X, but nothing after it.
    while net.flights.iter().any(|f| f.to == a) {
        let i = net.flights.iter().position(|f| f.to == a).unwrap();
        let f = net.flights.remove(i);
        net.deliver(f);
    }
    assert!(
        net.node(a).status().commit < x_index,
        "X (term {x_term}) on a majority must not commit in term {a_term}"
    );
    // Once a's own no-op reaches c, both commit.
    for _ in 0..50 {
        pump_one(&mut net);
        net.step();
    }
    assert!(net.node(a).status().commit > x_index);
}

/// What the figure-8 script saw.
struct Figure8 {
    /// The first leader's write X was committed by its second term.
    x_committed: bool,
    /// The answer to a read of X's key at that leader, if any.
    read_before: Option<ReplyResult>,
    /// The answer to a read of X's key at the last leader.
    read_after: Option<ReplyResult>,
    /// Safety invariants the test network saw broken.
    broken: Vec<String>,
}

/// Raft paper, figure 8, on 3 nodes: a leader `a` appends X alone and
/// crashes; `c` leads a later term with `b`'s vote, appends Z alone and
/// crashes; `a` leads again with `b`'s vote and copies X to `b` (then
/// the network loses its appends that carry an entry of its own term); a
/// read at `a`; `a` crashes and `c` wins with `b`'s vote, since Z's term is
/// later than X's, and overwrites X on `b`.
fn figure_8(bugs: Bugs) -> Figure8 {
    let config = RaftConfig {
        batch_entries_max: 1,
        bugs,
        ..RaftConfig::default()
    };
    let mut net = TestNet::new(3, config, 7);
    let a = net.await_leader(1_000);
    let w = net.submit(a, 1, 1, write("x", 1));
    net.run_ms(100);
    assert_eq!(net.replies_to(w)[0].result, ReplyResult::Ok(None));
    let (b, c) = ((a + 1) % 3, (a + 2) % 3);

    // a appends X (x := 2) but replicates it nowhere, then crashes.
    net.isolate(a);
    net.submit(a, 1, 2, write("x", 2));
    let x_index = net.node(a).log().last_index();
    let x_term = net.node(a).log().last_term();
    net.crash(a);
    net.cut.clear();
    net.flights.clear();

    // c leads the next term with b's vote, appends Z (y := 3) alone and
    // crashes at once.
    net.auto_deliver = false;
    let c_term = elect_by_hand(&mut net, c, b);
    net.submit(c, 2, 1, write("y", 3));
    assert_eq!(net.node(c).log().term_at(x_index), Some(c_term));
    net.crash(c);
    net.flights.clear();

    // a comes back and wins with b's vote (its log ends at a later index
    // than b's), and copies X to b. From then on the network loses a's
    // appends that carry an entry of its own term (with the bug, a has
    // none); b's ack of X reaches a.
    net.restart(a);
    let a_term = elect_by_hand(&mut net, a, b);
    let own_term_entries = move |f: &Flight| {
        f.from == a
            && matches!(&f.msg, PeerMsg::Append { entries, .. }
                if entries.iter().any(|e| e.term == a_term))
    };
    let pump_lossy = |net: &mut TestNet| {
        if net.flights.is_empty() {
            return false;
        }
        let f = net.flights.remove(0);
        if !own_term_entries(&f) {
            net.deliver(f);
        }
        true
    };
    while net.disks[b].log.term_at(x_index) != Some(x_term) {
        assert!(!net.flights.is_empty(), "X reaches b");
        pump_one(&mut net);
    }
    while net.flights.iter().any(|f| f.to == a) {
        pump_lossy(&mut net);
    }
    let x_committed = net.node(a).status().commit >= x_index;
    let token = net.submit(a, 3, 1, read("x"));
    for _ in 0..50 {
        pump_lossy(&mut net);
    }
    let read_before = net.replies_to(token).first().map(|r| r.result.clone());

    // a crashes; c comes back and wins with b's vote: Z's term is later
    // than X's. It overwrites X on b.
    net.crash(a);
    net.flights.clear();
    net.restart(c);
    elect_by_hand(&mut net, c, b);
    net.auto_deliver = true;
    net.run_ms(50);
    assert_ne!(net.node(b).log().term_at(x_index), Some(x_term));
    let token = net.submit(c, 3, 2, read("x"));
    net.run_ms(50);
    Figure8 {
        x_committed,
        read_before,
        read_after: net.replies_to(token).first().map(|r| r.result.clone()),
        broken: net.broken,
    }
}

/// With `old-term-commit`, a new leader appends no entry of its own term
/// and commits X, of an earlier term, once a majority stores it: a client
/// reads X, then X is overwritten and a later read no longer sees it.
#[test]
fn old_term_commit_loses_a_write_that_was_read() {
    let seen = figure_8(Bugs::from_iter([Bug::OldTermCommit]));
    assert!(seen.x_committed, "X was committed by counting replicas");
    assert_eq!(seen.read_before, Some(ReplyResult::Ok(Some(2))));
    assert_eq!(seen.read_after, Some(ReplyResult::Ok(Some(1))));
    assert!(
        seen.broken
            .iter()
            .any(|b| b.contains("applied a different entry")),
        "a committed, applied entry was replaced: {:?}",
        seen.broken
    );
}

/// The same script with the correct rule: X on a majority is not
/// committed, the read at its leader waits for the lost no-op, and
/// overwriting X loses nothing a client saw.
#[test]
fn figure_8_without_the_bug_loses_nothing() {
    let seen = figure_8(Bugs::default());
    assert!(!seen.x_committed, "X alone on a majority is not committed");
    assert_eq!(seen.read_before, None, "the read waits for the no-op");
    assert_eq!(seen.read_after, Some(ReplyResult::Ok(Some(1))));
    assert!(seen.broken.is_empty(), "{:?}", seen.broken);
}

fn elect_by_hand(net: &mut TestNet, a: usize, c: usize) -> u64 {
    for _ in 0..5 {
        net.nodes[a].as_mut().unwrap().election_deadline = net.now;
        net.step();
        for _ in 0..10 {
            pump_one(net);
            if net.node(a).status().role == Role::Leader {
                return net.node(a).status().term;
            }
        }
    }
    panic!("{a} was not elected; {c} is {:?}", net.node(c).status());
}

fn pump_one(net: &mut TestNet) {
    if !net.flights.is_empty() {
        let f = net.flights.remove(0);
        net.deliver(f);
    }
}

#[test]
fn a_lagging_follower_catches_up() {
    let mut net = TestNet::new(3, RaftConfig::default(), 3);
    let leader = net.await_leader(1_000);
    let lagger = (leader + 1) % 3;
    net.crash(lagger);
    for seq in 1..=300 {
        net.submit(leader, 1, seq, write("k", seq as i64));
        net.step();
    }
    net.run_ms(100);
    let commit = net.node(leader).status().commit;
    assert!(
        commit >= 300,
        "the majority committed without the lagger: {commit}"
    );
    net.restart(lagger);
    net.run_ms(500);
    assert_eq!(
        net.node(lagger).status().commit,
        net.node(leader).status().commit
    );
    assert_eq!(net.node(lagger).kv().read("k"), Some(300));
    net.check_log_matching();
}

#[test]
fn reads_wait_for_a_majority_round() {
    let mut net = TestNet::new(3, RaftConfig::default(), 5);
    let leader = net.await_leader(1_000);
    net.run_ms(100);
    let token = net.submit(leader, 1, 1, write("r", 5));
    net.run_ms(50);
    assert_eq!(net.replies_to(token)[0].result, ReplyResult::Ok(None));

    // Connected: the read is not answered in the call that received it.
    let mut out = Output::default();
    let input = super::leader::client_input(500, 2, 1, read("r"));
    net.nodes[leader]
        .as_mut()
        .unwrap()
        .handle(net.now, input, &mut out);
    assert!(
        out.replies.is_empty(),
        "read answered without a round: {:?}",
        out.replies
    );
    net.route(leader, out);
    net.run_ms(20);
    let answers = net.replies_to(500);
    assert_eq!(
        answers[0].result,
        ReplyResult::Ok(Some(5)),
        "answered after a round"
    );

    // Isolated: the read is never answered with a value.
    net.isolate(leader);
    let token = net.submit(leader, 2, 2, read("r"));
    net.run_ms(1_000);
    let answers = net.replies_to(token);
    assert!(
        answers
            .iter()
            .all(|r| !matches!(r.result, ReplyResult::Ok(_))),
        "an isolated leader answered a read: {answers:?}"
    );
    assert_ne!(
        net.node(leader).status().role,
        Role::Leader,
        "check-quorum stepped it down"
    );

    // Healed: a read through the new leader sees the write.
    net.cut.clear();
    let new_leader = net.await_leader(1_000);
    let token = net.submit(new_leader, 2, 3, read("r"));
    net.run_ms(50);
    assert_eq!(net.replies_to(token)[0].result, ReplyResult::Ok(Some(5)));
}

#[test]
fn duplicates_apply_once_and_followers_redirect() {
    let mut net = TestNet::new(3, RaftConfig::default(), 11);
    let leader = net.await_leader(1_000);
    net.run_ms(100);
    let cas = RegisterOp::Cas {
        key: "c".into(),
        expected: 0,
        new: 1,
    };
    net.submit(leader, 1, 1, write("c", 0));
    let first = net.submit(leader, 1, 2, cas.clone());
    let again = net.submit(leader, 1, 2, cas);
    let other = net.submit(
        leader,
        2,
        1,
        RegisterOp::Cas {
            key: "c".into(),
            expected: 0,
            new: 7,
        },
    );
    net.run_ms(50);
    assert_eq!(net.replies_to(first)[0].result, ReplyResult::Ok(None));
    assert_eq!(
        net.replies_to(again)[0].result,
        ReplyResult::Ok(None),
        "same answer"
    );
    assert_eq!(net.replies_to(other)[0].result, ReplyResult::CasMismatch);
    assert_eq!(net.node(leader).kv().read("c"), Some(1));

    let follower = (leader + 1) % 3;
    let token = net.submit(follower, 3, 1, write("c", 9));
    assert_eq!(
        net.replies_to(token)[0].result,
        ReplyResult::NotLeader { hint: Some(leader) }
    );
}

#[test]
fn a_single_node_cluster_serves_alone() {
    let mut net = TestNet::new(1, RaftConfig::default(), 1);
    let leader = net.await_leader(1_000);
    let w = net.submit(leader, 1, 1, write("s", 3));
    let r = net.submit(leader, 1, 2, read("s"));
    net.step();
    assert_eq!(net.replies_to(w)[0].result, ReplyResult::Ok(None));
    assert_eq!(net.replies_to(r)[0].result, ReplyResult::Ok(Some(3)));
    net.crash(0);
    net.restart(0);
    net.await_leader(1_000);
    net.run_ms(5);
    assert_eq!(
        net.node(0).kv().read("s"),
        Some(3),
        "recovered from its disk"
    );
}

/// A follower that rejects an append of an older term must not echo that
/// append's read round: its reply carries its own term, so the leader of
/// that term would count the old round (rounds restart at 1 each term) as
/// an ack of its own rounds, and answer reads nobody confirmed.
#[test]
fn a_stale_append_confirms_no_read_round_of_the_current_term() {
    let mut net = TestNet::new(3, RaftConfig::default(), 7);
    let leader = net.await_leader(2_000);
    let term = net.node(leader).status().term;
    let follower = (leader + 1) % 3;
    net.auto_deliver = false;
    net.flights.clear();
    let stale = PeerMsg::Append {
        term: term - 1,
        prev_index: 0,
        prev_term: 0,
        entries: Vec::new(),
        commit: 0,
        round: 7,
    };
    net.feed(
        follower,
        super::raft::Input::Peer {
            from: leader,
            msg: stale,
        },
    );
    let replies: Vec<&PeerMsg> = net
        .flights
        .iter()
        .filter(|f| f.from == follower && f.to == leader)
        .map(|f| &f.msg)
        .collect();
    assert!(!replies.is_empty(), "the follower answers the stale append");
    for reply in replies {
        match reply {
            PeerMsg::AppendReply {
                term: t,
                success,
                round,
                ..
            } => {
                assert_eq!((*t, *success), (term, false), "{reply:?}");
                assert_eq!(*round, 0, "a stale append's round was echoed: {reply:?}");
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// What the unit fuzz makes of a run with a mistake on: a broken safety
/// invariant, a panic in the core, or nothing.
fn unit_fuzz_finds(config: &RaftConfig, seeds: std::ops::Range<u64>) -> Option<String> {
    for seed in seeds {
        let config = config.clone();
        let found = std::panic::catch_unwind(move || {
            let n = if seed % 2 == 0 { 3 } else { 5 };
            let mut net = TestNet::new(n, config, seed);
            net.drop_rate = 0.05;
            random_faults(&mut net, true);
            net.broken.first().cloned()
        });
        match found {
            Ok(None) => {}
            Ok(Some(broken)) => return Some(format!("seed {seed}: {broken}")),
            Err(panic) => {
                let why = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default();
                return Some(format!("seed {seed}: panic: {why}"));
            }
        }
    }
    None
}

/// The catalogue's mistakes are live, not equivalent rewrites: the unit
/// fuzz above, with its step-by-step checks of election safety, state
/// machine safety and log matching, breaks on the three it can reach
/// (votes and log matching). The others need what only the harness has
/// (reads checked for linearizability, crashes that lose unsynced state,
/// clients, long partitions and pauses): the detection matrix measures them
/// (`detection_matrix -- --mutants`).
#[test]
fn the_unit_fuzz_catches_the_vote_and_log_matching_mutants() {
    use crate::mutants::Mutant;
    for m in [
        Mutant::SkipPrevTermCheck,
        Mutant::VoteIgnoresLog,
        Mutant::VoteTwiceInTerm,
    ] {
        let config = RaftConfig {
            mutant: Some(m),
            ..RaftConfig::default()
        };
        let found = unit_fuzz_finds(&config, 0..40);
        assert!(
            found.is_some(),
            "{m}: the unit fuzz found nothing in 40 seeds"
        );
    }
    assert_eq!(unit_fuzz_finds(&RaftConfig::default(), 0..10), None);
}
