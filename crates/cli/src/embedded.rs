//! The loader `sysgate` carries inside itself (built by `build.rs`): at start it goes into a
//! sealed memory file that the program's images execute (`sysgate_launch::loader_memfd`), so
//! that the one `sysgate` file is the whole tool wherever it is copied or installed.

/// The loader's ELF image.
pub(crate) static LOADER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sysgate-loader"));
