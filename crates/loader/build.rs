//! The loader executable is freestanding: no C runtime, no libc, a static PIE that relocates
//! itself in `_start`.
fn main() {
    for arg in [
        "-nostartfiles",
        "-nostdlib",
        "-static-pie",
        "-Wl,-z,noexecstack",
        // `sysgate` recognises an installed copy of the loader it carries by this note.
        "-Wl,--build-id=sha1",
    ] {
        println!("cargo:rustc-link-arg-bin=sysgate-loader={arg}");
    }
}
