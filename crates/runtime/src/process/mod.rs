pub mod clone;
pub mod exec;
pub mod fds;
pub mod procexe;
pub mod signals;
pub mod thread;
