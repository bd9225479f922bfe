//! No false alarms: 1,000 seeds of the clean cluster under the default
//! swarm (everything `harness run --seed N` draws: workload, deadline,
//! faults, triggers, fault points) give no violation of linearizability,
//! liveness or the cluster's invariants, and no error.

use harness::testing::Check;
use raft_kv::Cluster;

#[test]
fn a_thousand_default_seeds_of_the_clean_cluster_pass() {
    Check::<Cluster>::seeds(0..1_000).run();
}
