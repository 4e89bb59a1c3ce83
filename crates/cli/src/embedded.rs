//! The loader `sysgate` carries inside itself (built by `build.rs`). At start it goes into a
//! sealed memory file that the program's images execute (`sysgate_launch::loader_memfd`), so
//! that the one `sysgate` file is the whole tool wherever it is copied or installed.
//!
//! An installed copy of the same loader, `../libexec/sysgate/sysgate-loader` from the `sysgate`
//! file (the Debian package puts one there), is executed instead when it is the very same
//! build (its GNU build ID says so): that saves writing the memory file, about 0.3 ms of
//! every start here (docs/performance.md).

use std::io::Read;
use std::path::{Path, PathBuf};

/// The loader's ELF image.
pub(crate) static LOADER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sysgate-loader"));

/// Its GNU build ID, in hex (empty: it has none, and no installed copy is ever used).
const BUILD_ID: &str = env!("SYSGATE_LOADER_BUILD_ID");

/// Where an installed copy sits, relative to the directory of the `sysgate` file.
pub(crate) const INSTALLED: &str = "../libexec/sysgate/sysgate-loader";

/// The installed copy beside `exe` (`sysgate` itself), if it is this very loader.
pub(crate) fn installed_copy(exe: &Path) -> Option<PathBuf> {
    if BUILD_ID.is_empty() {
        return None;
    }
    let path = exe.parent()?.join(INSTALLED);
    let mut head = Vec::with_capacity(8192);
    std::fs::File::open(&path)
        .ok()?
        .take(8192)
        .read_to_end(&mut head)
        .ok()?;
    // The note is `namesz descsz type "GNU\0" id`, near the start of the file.
    let mut want = b"GNU\0".to_vec();
    for i in (0..BUILD_ID.len()).step_by(2) {
        want.push(u8::from_str_radix(&BUILD_ID[i..i + 2], 16).ok()?);
    }
    head.windows(want.len())
        .any(|w| w == want.as_slice())
        .then_some(path)
}
