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
