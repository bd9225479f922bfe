//! Fault kinds and their schedules.
//!
//! Faults are data first: a schedule is a list of timed actions drawn from a
//! nemesis's own rng stream, applied between simulation steps by the
//! harness's driver loop. This crate knows nothing of turmoil.
//!
//! (The fault kinds arrive with the nemeses issue; the spine runs without
//! faults.)
