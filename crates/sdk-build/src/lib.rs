//! The build script half of a tool made with `sysgate-sdk`: the tool's executable is the
//! loader of the programs it runs, so it is linked as sysgate's loader is — freestanding (no
//! C runtime, no libc) and as a static PIE that relocates itself.
//!
//! ```text
//! // build.rs
//! fn main() {
//!     sysgate_sdk_build::link();
//! }
//! ```

/// Prints the link arguments of a tool executable.
///
/// The crate's profiles also need `panic = "abort"` (a tool runs inside other programs, where
/// an unwinding panic has nowhere to go); build scripts cannot set that, `Cargo.toml` does.
pub fn link() {
    for arg in [
        "-nostartfiles",
        "-nostdlib",
        "-static-pie",
        "-Wl,-z,noexecstack",
    ] {
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
