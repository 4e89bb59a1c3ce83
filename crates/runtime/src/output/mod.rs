//! Where what tools record goes: trace lines to the rings the `sysgate` process drains (or,
//! without one, to the output descriptor), counters to the region every process of a run
//! shares. Above `memory/` and the base files; the descriptors themselves are guarded by
//! `process/fds.rs`, which reads them from here.

pub mod out;
pub mod ring;
pub mod shared;
