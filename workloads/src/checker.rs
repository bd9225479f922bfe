//! How a workload's histories are judged: one of the checker's built-in
//! models, or a model of the user's own.

use results::check::{check_history, CheckOptions, CheckReport};
use results::{FormatError, History, ModelKind};

/// Judges a whole history (all keys) for linearizability.
pub trait HistoryChecker: Send + Sync + 'static {
    /// The model's name, as `verdict.json` and the summary show it.
    fn name(&self) -> String;

    /// Checks `history`; `Err` when an operation does not fit the model.
    fn check(&self, history: &History, opts: &CheckOptions) -> Result<CheckReport, FormatError>;
}

impl HistoryChecker for ModelKind {
    fn name(&self) -> String {
        ModelKind::name(*self).to_string()
    }

    fn check(&self, history: &History, opts: &CheckOptions) -> Result<CheckReport, FormatError> {
        let opts = CheckOptions {
            model: Some(*self),
            ..opts.clone()
        };
        check_history(history, &opts)
    }
}

/// A user's own [`results::model::Model`] as a [`HistoryChecker`].
#[derive(Clone, Debug)]
pub struct ModelChecker<M> {
    /// The model's name.
    pub name: String,
    /// The model.
    pub model: M,
}

impl<M: results::model::Model + Send + 'static> HistoryChecker for ModelChecker<M> {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn check(&self, history: &History, opts: &CheckOptions) -> Result<CheckReport, FormatError> {
        results::check::check_history_with(history, &self.model, &self.name, opts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use results::model::Register;
    use results::{Event, Process};
    use serde_json::json;

    /// A model brought from outside the checker judges as the built-in
    /// one of the same kind does, and the report carries its name.
    #[test]
    fn a_users_model_judges_like_the_built_in_one() {
        let (a, b) = (Process::Client(0), Process::Client(1));
        let mut stale = History::new();
        stale.push(1, Event::invoke(a, "write", "x", json!(1)));
        stale.push(2, Event::ok(a, "write", "x", json!(1)));
        stale.push(3, Event::invoke(b, "read", "x", json!(null)));
        stale.push(4, Event::ok(b, "read", "x", json!(null)));
        let mine = ModelChecker {
            name: "my-register".into(),
            model: Register::CAS,
        };
        let opts = CheckOptions::default();
        let report = mine.check(&stale, &opts).unwrap();
        assert_eq!(report.model, "my-register");
        assert_eq!(report.verdict.exit_code(), 1, "the stale read is caught");
        let built_in = ModelKind::CasRegister.check(&stale, &opts).unwrap();
        assert_eq!(report.verdict, built_in.verdict);
    }
}
