pub mod displaced;
mod gofuncs;
mod padding;
mod sites;
pub mod sled;
pub mod trampoline;
pub(crate) mod traps;
