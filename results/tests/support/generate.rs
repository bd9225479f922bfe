//! Random register histories that are linearizable by construction: each
//! operation takes effect on a real register at a random instant between its
//! invoke and its completion. Shared by the tests and the checker benchmark.

use results::{Event, History, Process};
use serde_json::{json, Value};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// A tiny deterministic rng (splitmix64), so `results` needs no rand.
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// What to generate.
pub struct Shape {
    pub ops: usize,
    pub keys: usize,
    pub concurrency: usize,
    /// Fraction of operations whose completion is `info`; half of those
    /// never take effect.
    pub info_rate: f64,
    /// Values written are drawn from `0..values`.
    pub values: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    TakeEffect,
    Complete,
}

struct Flight {
    process: u64,
    key: String,
    f: &'static str,
    arg: Value,
    result: Option<Event>,
    info: bool,
}

/// A linearizable history of `shape`.
pub fn linearizable(shape: &Shape, seed: u64) -> History {
    let mut rng = Rng::new(seed);
    let mut registers: Vec<Option<i64>> = vec![None; shape.keys];
    let mut history = History::new();
    let mut queue = BinaryHeap::new();
    let mut flights: Vec<Flight> = Vec::new();
    let mut next_process = shape.concurrency as u64;
    let (mut invoked, mut seq) = (0, 0u64);
    let mut invoke = |now: u64,
                      process: u64,
                      rng: &mut Rng,
                      history: &mut History,
                      queue: &mut BinaryHeap<_>,
                      flights: &mut Vec<Flight>| {
        let key = rng.below(shape.keys as u64);
        let (f, arg) = match rng.below(10) {
            0..=4 => ("read", Value::Null),
            5..=7 => ("write", json!(rng.below(shape.values))),
            _ => (
                "cas",
                json!([rng.below(shape.values), rng.below(shape.values)]),
            ),
        };
        let name = format!("k{key}");
        history.push(
            now,
            Event::invoke(Process::Client(process), f, &name, arg.clone()),
        );
        let effect = now + 1 + rng.below(20);
        let done = effect + rng.below(20);
        let id = flights.len();
        let info = rng.chance(shape.info_rate);
        flights.push(Flight {
            process,
            key: name,
            f,
            arg,
            result: None,
            info,
        });
        seq += 1;
        if !(info && rng.chance(0.5)) {
            queue.push(Reverse((effect, Step::TakeEffect, seq, id)));
        }
        queue.push(Reverse((done, Step::Complete, seq, id)));
    };
    for p in 0..shape.concurrency as u64 {
        invoke(0, p, &mut rng, &mut history, &mut queue, &mut flights);
        invoked += 1;
    }
    while let Some(Reverse((now, step, _, id))) = queue.pop() {
        let fl = &mut flights[id];
        let p = Process::Client(fl.process);
        let reg = &mut registers[fl.key[1..].parse::<usize>().expect("k<number>")];
        match step {
            Step::TakeEffect => {
                fl.result = Some(match fl.f {
                    "read" => Event::ok(p, "read", &fl.key, reg.map_or(Value::Null, |v| json!(v))),
                    "write" => {
                        *reg = fl.arg.as_i64();
                        Event::ok(p, "write", &fl.key, fl.arg.clone())
                    }
                    _ => {
                        let (e, n) = (fl.arg[0].as_i64(), fl.arg[1].as_i64());
                        if *reg == e {
                            *reg = n;
                            Event::ok(p, "cas", &fl.key, fl.arg.clone())
                        } else {
                            Event::fail(p, "cas", &fl.key, fl.arg.clone(), "cas-mismatch")
                        }
                    }
                });
            }
            Step::Complete => {
                let process = if fl.info {
                    history.push(
                        now,
                        Event::info(p, fl.f, &fl.key, fl.arg.clone(), "timeout"),
                    );
                    next_process += 1;
                    next_process - 1
                } else {
                    history.push(
                        now,
                        fl.result.take().expect("took effect before completing"),
                    );
                    fl.process
                };
                if invoked < shape.ops {
                    invoked += 1;
                    invoke(
                        now,
                        process,
                        &mut rng,
                        &mut history,
                        &mut queue,
                        &mut flights,
                    );
                }
            }
        }
    }
    history
}
