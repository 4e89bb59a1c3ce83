//! The process as the runtime keeps it: per-thread state, new threads and processes, new
//! images, the runtime's own descriptors, signals. Also the handlers of the calls that change
//! that state, which the entry's dispatcher runs itself (`clone`, `execve`, `rt_sigaction`,
//! `close`, `dup2`, …) before or instead of the kernel.
//!
//! Above `output/`, `memory/` and the base files; nothing here names `api`, `ways_in/` or
//! `rewrite/`: what the signal handlers need of them comes in as hooks (`signals::Hooks`).

pub mod clone;
pub mod debugger;
pub mod exec;
pub mod fds;
pub mod procexe;
pub mod signals;
pub mod thread;
