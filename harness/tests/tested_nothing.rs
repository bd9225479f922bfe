//! A run that tested nothing (every client op timed out, so no result was
//! ever observed) is a failure of its own through the test API, never a
//! pass; a normal run is not.

mod single_node;

use harness::sweep::verdict::judge;
use harness::testing::Check;
use harness::{NamedSystem, Scenario};
use single_node::SingleNode;

impl NamedSystem for SingleNode {
    const NAME: &'static str = "single-node";
    const ABOUT: &'static str = "one unreplicated KV server";
    type Config = ();

    fn build(_: &Scenario, _: &()) -> Result<Self, String> {
        Ok(SingleNode)
    }
}

#[test]
fn a_run_where_every_op_times_out_fails_as_tested_nothing() {
    let out = std::env::temp_dir().join(format!("tested-nothing-{}", std::process::id()));
    let failures = Check::<SingleNode>::seeds(0..3)
        .faults(nemeses::NemesisConfig::none())
        .scenario(|s| s.deadline_ms = 1)
        .out(&out)
        .failures();
    assert_eq!(failures.len(), 3, "{failures:?}");
    for f in &failures {
        assert_eq!(f.verdict.label(), "tested-nothing", "{f:?}");
        assert_eq!(f.verdict.exit_code(), 6);
        assert!(f.verdict.detail().contains("0 ok"), "{f:?}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_normal_run_tests_something() {
    let scenario = Scenario {
        ops: 200,
        ..Scenario::without_faults(1)
    };
    let outcome = harness::runner::run(&scenario, SingleNode);
    let (verdict, report) = judge(&outcome, 1);
    assert!(verdict.is_pass(), "{verdict:?}");
    assert!(!report.unwrap().tested_nothing());
}
