//! openraft's async runtime, made deterministic and pausable.
//!
//! openraft reaches its runtime only through static functions
//! ([`AsyncRuntime::spawn`], [`AsyncRuntime::thread_rng`], sleeps and
//! timeouts), so they cannot be handed a node's context. turmoil polls every
//! host on one thread, one host at a time, so the runtime keeps a
//! thread-local *current node*: every future of a node (its root and each
//! task openraft spawns) is wrapped in [`InNode`], which makes its node
//! current while it is polled. Then
//!
//! - `spawn` wraps the new task in the current node's pause gate and scope,
//!   so a pause stops openraft's own tasks too;
//! - `thread_rng` hands out a generator seeded from the current node's
//!   stream, itself seeded from [`NodeCtx::rng`], so the election timeouts
//!   replay with the run's seed.
//!
//! Time is tokio's, which turmoil simulates (openraft's `TokioInstant`).

use harness::{NodeCtx, PauseGate};
use openraft::async_runtime::TokioOneShotSender;
use openraft::{AsyncRuntime, TokioInstant};
use rand::Rng;
use rand_chacha_03::rand_core::SeedableRng;
use rand_chacha_03::ChaCha8Rng;
use std::cell::RefCell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::task::{Context, Poll};
use std::time::Duration;

/// What the runtime knows of the node whose future is being polled.
#[derive(Debug)]
pub struct NodeScope {
    gate: PauseGate,
    rng: RefCell<ChaCha8Rng>,
}

impl NodeScope {
    /// The scope of one incarnation: its gate, and a generator seeded from
    /// its context's stream.
    pub fn new(ctx: &mut NodeCtx) -> Rc<Self> {
        let seed: [u8; 32] = ctx.rng.random();
        Rc::new(NodeScope {
            gate: ctx.gate.clone(),
            rng: RefCell::new(ChaCha8Rng::from_seed(seed)),
        })
    }
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<NodeScope>>> = const { RefCell::new(None) };
}

/// The node being polled. openraft calls the runtime only from inside a
/// node's futures, so outside one this is a bug in the adapter.
fn current() -> Rc<NodeScope> {
    CURRENT.with(|c| c.borrow().clone()).expect(
        "openraft called its runtime outside a node's future (spawn or thread_rng \
         must run inside InNode)",
    )
}

/// A future of one node: its node is current while it is polled.
pub struct InNode<F> {
    scope: Rc<NodeScope>,
    inner: Pin<Box<F>>,
}

impl<F: Future> InNode<F> {
    /// Wraps `future` in `scope`.
    pub fn new(scope: Rc<NodeScope>, future: F) -> Self {
        InNode {
            scope,
            inner: Box::pin(future),
        }
    }
}

/// Restores the previous current node when a poll ends, even by panic.
struct Restore(Option<Rc<NodeScope>>);

impl Drop for Restore {
    fn drop(&mut self) {
        let previous = self.0.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

impl<F: Future> Future for InNode<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let previous = CURRENT.with(|c| c.borrow_mut().replace(self.scope.clone()));
        let _restore = Restore(previous);
        self.inner.as_mut().poll(cx)
    }
}

/// openraft's runtime inside the simulation (see the module docs).
#[derive(Debug, Default, PartialEq, Eq, Clone, Copy)]
pub struct SimRuntime;

impl AsyncRuntime for SimRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle<T: 'static> = tokio::task::JoinHandle<T>;
    type Sleep = tokio::time::Sleep;
    type Instant = TokioInstant;
    type TimeoutError = tokio::time::error::Elapsed;
    type Timeout<R, T: Future<Output = R>> = tokio::time::Timeout<T>;
    type ThreadLocalRng = ChaCha8Rng;
    type OneshotSender<T> = TokioOneShotSender<T>;
    type OneshotReceiverError = tokio::sync::oneshot::error::RecvError;
    type OneshotReceiver<T> = tokio::sync::oneshot::Receiver<T>;

    fn spawn<T>(future: T) -> Self::JoinHandle<T::Output>
    where
        T: Future + 'static,
        T::Output: 'static,
    {
        let scope = current();
        let gated = scope.gate.wrap(future);
        tokio::task::spawn_local(InNode::new(scope, gated))
    }

    fn sleep(duration: Duration) -> Self::Sleep {
        tokio::time::sleep(duration)
    }

    fn sleep_until(deadline: Self::Instant) -> Self::Sleep {
        tokio::time::sleep_until(deadline)
    }

    fn timeout<R, F: Future<Output = R>>(duration: Duration, future: F) -> Self::Timeout<R, F> {
        tokio::time::timeout(duration, future)
    }

    fn timeout_at<R, F: Future<Output = R>>(
        deadline: Self::Instant,
        future: F,
    ) -> Self::Timeout<R, F> {
        tokio::time::timeout_at(deadline, future)
    }

    fn is_panic(join_error: &Self::JoinError) -> bool {
        join_error.is_panic()
    }

    /// A generator seeded from the current node's stream: each call draws
    /// a fresh seed, so successive election timeouts differ and replay.
    fn thread_rng() -> Self::ThreadLocalRng {
        use rand_chacha_03::rand_core::RngCore;
        let scope = current();
        let mut seed = [0u8; 32];
        scope.rng.borrow_mut().fill_bytes(&mut seed);
        ChaCha8Rng::from_seed(seed)
    }

    fn oneshot<T>() -> (Self::OneshotSender<T>, Self::OneshotReceiver<T>) {
        let (tx, rx) = tokio::sync::oneshot::channel();
        (TokioOneShotSender(tx), rx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_chacha_03::rand_core::RngCore;

    fn scope(seed: u8) -> Rc<NodeScope> {
        Rc::new(NodeScope {
            gate: PauseGate::new(),
            rng: RefCell::new(ChaCha8Rng::from_seed([seed; 32])),
        })
    }

    fn poll_once<F: Future>(f: F) -> Poll<F::Output> {
        let waker = std::task::Waker::noop();
        let mut cx = Context::from_waker(waker);
        let mut f = std::pin::pin!(f);
        f.as_mut().poll(&mut cx)
    }

    #[test]
    fn thread_rng_follows_the_node_being_polled() {
        let draw = |s: Rc<NodeScope>| {
            poll_once(InNode::new(s, async {
                let a = SimRuntime::thread_rng().next_u64();
                let b = SimRuntime::thread_rng().next_u64();
                (a, b)
            }))
        };
        let (Poll::Ready(x), Poll::Ready(y)) = (draw(scope(1)), draw(scope(1))) else {
            panic!("ready futures");
        };
        assert_eq!(x, y, "the same node stream gives the same draws");
        assert_ne!(x.0, x.1, "successive calls draw fresh seeds");
        let Poll::Ready(z) = draw(scope(2)) else {
            panic!("ready future");
        };
        assert_ne!(x, z, "another node draws from its own stream");
        assert!(
            CURRENT.with(|c| c.borrow().is_none()),
            "the scope ends with the poll"
        );
    }
}
