//! Rewriting the program's `syscall` instructions to call the entry directly, so that each site
//! traps once (the SIGSYS path of `ways_in/sud.rs`) and then runs at close to native speed.
//!
//! The top layer: it points sites at the entry (`ways_in/`) and uses the per-thread state and
//! descriptors of `process/`; nothing below names it (the SIGSYS trap and the fault handler
//! reach it through hooks set at start-up).

pub mod displaced;
mod gofuncs;
mod padding;
mod sites;
pub mod sled;
pub mod trampoline;
pub(crate) mod traps;
