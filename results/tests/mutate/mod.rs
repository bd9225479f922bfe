//! The seeded mutation loop of the fuzz tests, shared by `results`'
//! parsers (`fuzz_parsers.rs`) and the harness's scenario loader
//! (`harness/tests/fuzz_scenario.rs`, which includes this file by path).

#![allow(dead_code)] // each test binary uses a different subset

use std::panic::{catch_unwind, AssertUnwindSafe};

/// splitmix64: a tiny seeded rng, so the test needs no rand.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

pub fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

pub fn mutate(rng: &mut Rng, input: &[u8], samples: &[&[u8]]) -> Vec<u8> {
    let mut out = input.to_vec();
    for _ in 0..=rng.below(4) {
        let at = rng.below(out.len() as u64 + 1) as usize;
        match rng.below(7) {
            0 if !out.is_empty() => {
                let i = at.min(out.len() - 1);
                out[i] ^= 1 << rng.below(8);
            }
            1 => out.insert(
                at,
                b"[]{}()#_\"\\:,; \n\t0123456789-.eE+nil\xff\xc3"[rng.below(36) as usize],
            ),
            2 if at < out.len() => {
                let end = (at + 1 + rng.below(16) as usize).min(out.len());
                out.drain(at..end);
            }
            3 if at < out.len() => {
                // Repeat a chunk many times (deep nesting, long lines).
                let end = (at + 1 + rng.below(4) as usize).min(out.len());
                let chunk = out[at..end].to_vec();
                for _ in 0..rng.below(2_000) {
                    out.splice(at..at, chunk.iter().copied());
                }
            }
            4 => {
                let other = samples[rng.below(samples.len() as u64) as usize];
                let from = rng.below(other.len() as u64) as usize;
                let end = (from + rng.below(64) as usize).min(other.len());
                out.splice(at..at, other[from..end].iter().copied());
            }
            5 if at < out.len() => out.truncate(at),
            _ => {
                let digits = rng.next_u64().to_string();
                out.splice(at..at, digits.bytes());
            }
        }
    }
    out
}

/// Feeds `cases` mutations of `seed` to `parse`; panics name the case.
pub fn fuzz(name: &str, seed_input: &[u8], samples: &[&[u8]], parse: impl Fn(&[u8])) {
    let cases = env("FUZZ_CASES", 3_000);
    // Each parser its own stream: FNV-1a of the name (its length alone
    // gave "jsonl-forced" and "porcupine-kv" the same one).
    let name_hash = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let mut rng = Rng::new(env("FUZZ_SEED", 12) ^ name_hash);
    for case in 0..cases {
        let input = mutate(&mut rng, seed_input, samples);
        if catch_unwind(AssertUnwindSafe(|| parse(&input))).is_err() {
            panic!(
                "{name} case {case} panicked on {} bytes: {:?}",
                input.len(),
                String::from_utf8_lossy(&input[..input.len().min(400)])
            );
        }
    }
}
