//! Knossos-style histories (EDN op maps, no keys): the mutex model, a
//! register's initial value, and a clear error for transactions. Every
//! valid verdict's witness is verified.

use results::check::{check_events, verify_events};
use results::formats::load;
use results::{CheckOptions, CheckReport, ModelKind};

fn check(edn: &str, model: Option<ModelKind>, initial: Option<i64>) -> CheckReport {
    let loaded = load(edn, "h.edn", None).unwrap();
    let opts = CheckOptions {
        model,
        initial,
        ..CheckOptions::default()
    };
    let report = check_events(loaded.history.events(), &loaded.source(), &opts).unwrap();
    if report.verdict.is_valid() {
        verify_events(loaded.history.events(), &loaded.source(), &report)
            .expect("the witness verifies");
    }
    report
}

const LOCK_PASSED_ON: &str = "[{:type :invoke, :f :acquire, :process 0}
 {:type :ok, :f :acquire, :process 0}
 {:type :invoke, :f :acquire, :process 1}
 {:type :invoke, :f :release, :process 0}
 {:type :ok, :f :release, :process 0}
 {:type :ok, :f :acquire, :process 1}
 {:type :invoke, :f :release, :process 2}
 {:type :fail, :f :release, :process 2, :error :not-held}]";

const LOCK_HELD_TWICE: &str = "[{:type :invoke, :f :acquire, :process 0}
 {:type :ok, :f :acquire, :process 0}
 {:type :invoke, :f :acquire, :process 1}
 {:type :ok, :f :acquire, :process 1}]";

const RELEASE_OF_A_FREE_LOCK: &str = "[{:type :invoke, :f :release, :process 0}
 {:type :ok, :f :release, :process 0}]";

/// p0's release timed out; it may have happened, so p1 may get the lock.
const RELEASE_TIMED_OUT: &str = "[{:type :invoke, :f :acquire, :process 0}
 {:type :ok, :f :acquire, :process 0}
 {:type :invoke, :f :release, :process 0}
 {:type :info, :f :release, :process 0}
 {:type :invoke, :f :acquire, :process 1}
 {:type :ok, :f :acquire, :process 1}]";

#[test]
fn the_mutex_model_is_detected_and_judges_locks() {
    let cases = [
        (LOCK_PASSED_ON, 0),
        (LOCK_HELD_TWICE, 1),
        (RELEASE_OF_A_FREE_LOCK, 1),
        (RELEASE_TIMED_OUT, 0),
    ];
    for (edn, code) in cases {
        let report = check(edn, None, None);
        assert_eq!(report.model, "mutex");
        assert_eq!(report.exit_code(), code, "{edn}\n{}", report.details());
    }
    let report = check(LOCK_HELD_TWICE, None, None);
    assert!(
        report.details().contains("already held"),
        "{}",
        report.details()
    );
}

const READ_ZERO: &str = "[{:type :invoke, :f :read, :value nil, :process 0}
 {:type :ok, :f :read, :value 0, :process 0}
 {:type :invoke, :f :cas, :value [0 1], :process 1}
 {:type :ok, :f :cas, :value [0 1], :process 1}]";

#[test]
fn the_initial_value_is_what_a_first_read_may_see() {
    assert_eq!(check(READ_ZERO, None, None).exit_code(), 1);
    let report = check(READ_ZERO, None, Some(0));
    assert_eq!(report.exit_code(), 0, "{}", report.details());
    assert_eq!(report.initial, Some(0));
    assert_eq!(
        check(READ_ZERO, Some(ModelKind::CasRegister), Some(5)).exit_code(),
        1
    );
    // Not for models without one.
    let loaded = load(LOCK_PASSED_ON, "h.edn", None).unwrap();
    let opts = CheckOptions {
        initial: Some(0),
        ..CheckOptions::default()
    };
    let err = check_events(loaded.history.events(), &loaded.source(), &opts).unwrap_err();
    assert!(err.message.contains("initial value"), "{err}");
}

#[test]
fn a_transaction_is_refused_clearly_not_misread_as_a_key() {
    for txn in [
        "[[:read :x nil] [:write :y 2]]",
        "[[:write :y 2]]",
        "[[:read :x nil] [:write :y 2] [:read :y nil]]",
    ] {
        let edn = format!(
            "[{{:type :invoke, :f :txn, :value {txn}, :process 0}}\n {{:type :ok, :f :txn, :value {txn}, :process 0}}]"
        );
        let loaded = load(&edn, "h.edn", None).unwrap();
        assert_eq!(loaded.history.events()[0].key.as_deref(), Some("register"));
        let err = check_events(
            loaded.history.events(),
            &loaded.source(),
            &CheckOptions::default(),
        )
        .unwrap_err();
        assert!(
            err.message.contains("transactions (txn) are not supported"),
            "{txn}: {err}"
        );
        assert_eq!(err.line, 2, "{err}");
    }
}
