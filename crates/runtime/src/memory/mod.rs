//! Memory: the program's (every read and write of a program pointer, fixup-protected) and the
//! primitives the compiler calls. Above only the base files.

pub mod guest;
#[cfg(not(test))]
mod mem;
