//! The pause gate: a GC-style stop-the-world for one node.
//!
//! turmoil cannot freeze a host, so every task of a node is spawned through
//! its [`NodeCtx`](crate::NodeCtx), which wraps it in a [`Pausable`]. While
//! the gate is closed a wrapped task is not polled: it stops at its next
//! `.await` (its safepoint), its timers and inbound messages pile up, and
//! when the gate opens it resumes with a stale view of the world.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

#[derive(Debug, Default)]
struct GateState {
    closed: Cell<bool>,
    parked: RefCell<Vec<Waker>>,
}

/// Opens and closes a node's safepoints. Cloning shares the same gate.
#[derive(Clone, Debug, Default)]
pub struct PauseGate {
    state: Rc<GateState>,
}

impl PauseGate {
    /// An open gate.
    pub fn new() -> Self {
        Self::default()
    }

    /// Closes the gate: gated tasks stop at their next safepoint.
    pub fn pause(&self) {
        self.state.closed.set(true);
    }

    /// Opens the gate and wakes every parked task.
    pub fn resume(&self) {
        self.state.closed.set(false);
        let parked = std::mem::take(&mut *self.state.parked.borrow_mut());
        for waker in parked {
            waker.wake();
        }
    }

    /// True while the node is paused.
    pub fn is_paused(&self) -> bool {
        self.state.closed.get()
    }

    /// Wraps `future` so that it is not polled while the gate is closed.
    pub fn wrap<F: Future>(&self, future: F) -> Pausable<F> {
        Pausable {
            gate: self.clone(),
            inner: Box::pin(future),
        }
    }

    /// A safepoint: completes at once while open, or when the gate opens.
    pub fn safepoint(&self) -> Pausable<std::future::Ready<()>> {
        self.wrap(std::future::ready(()))
    }
}

/// A future that is polled only while its gate is open.
pub struct Pausable<F> {
    gate: PauseGate,
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for Pausable<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        if self.gate.is_paused() {
            self.gate.state.parked.borrow_mut().push(cx.waker().clone());
            return Poll::Pending;
        }
        self.inner.as_mut().poll(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::task::Wake;

    struct Flag(std::sync::atomic::AtomicBool);
    impl Wake for Flag {
        fn wake(self: Arc<Self>) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    #[test]
    fn a_closed_gate_parks_until_resumed() {
        let gate = PauseGate::new();
        let flag = Arc::new(Flag(false.into()));
        let waker = Waker::from(flag.clone());
        let mut cx = Context::from_waker(&waker);

        gate.pause();
        let mut safepoint = std::pin::pin!(gate.safepoint());
        assert!(safepoint.as_mut().poll(&mut cx).is_pending());
        assert!(!flag.0.load(std::sync::atomic::Ordering::SeqCst));

        gate.resume();
        assert!(
            flag.0.load(std::sync::atomic::Ordering::SeqCst),
            "resume wakes"
        );
        assert!(safepoint.as_mut().poll(&mut cx).is_ready());
    }
}
