//! The loader `sysgate` carries inside itself (built by `build.rs`), and where it is executed
//! from. The one `sysgate` file is the whole tool wherever it is copied or installed; to start
//! programs it needs the loader as a file the kernel can execute, which is, in this order:
//! 1. an installed copy of the very same loader (its GNU build ID says so), at
//!    `../libexec/sysgate/sysgate-loader` from the `sysgate` file: the Debian package's layout;
//! 2. a copy this `sysgate` wrote earlier into the user's cache (`$XDG_RUNTIME_DIR/sysgate`,
//!    else `$XDG_CACHE_HOME/sysgate` or `~/.cache/sysgate`, a directory only the user can
//!    write), named by the build ID;
//! 3. a sealed memory file written now (`sysgate_launch::loader_memfd`), which costs about
//!    0.3 ms a start here (docs/performance.md): that is what 1 and 2 save.
//!
//! Each is opened once and handed to the program as a descriptor (`loaderfd=`), so that every
//! `execve` of the run re-enters the same loader even if the file is replaced or removed
//! meanwhile (a package upgrade, another build refreshing the cache).

use std::fs::File;
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

/// The loader's ELF image.
pub(crate) static LOADER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/sysgate-loader"));

/// Its GNU build ID, in hex (empty: it has none, and no file copy is ever used).
const BUILD_ID: &str = env!("SYSGATE_LOADER_BUILD_ID");

/// Where an installed copy sits, relative to the directory of the `sysgate` file.
const INSTALLED: &str = "../libexec/sysgate/sysgate-loader";

/// An executable copy of this loader on disk, opened: the installed one beside `exe`, else
/// the cached one (written now if there is none).
pub(crate) fn file_copy(exe: Option<&Path>) -> Option<File> {
    if BUILD_ID.is_empty() {
        return None;
    }
    if let Some(f) = exe.and_then(|e| same_loader(&e.parent()?.join(INSTALLED), false)) {
        return Some(f);
    }
    let dir = cache_dir()?;
    let path = dir.join(format!("loader-{BUILD_ID}"));
    if let Some(f) = same_loader(&path, true) {
        return Some(f);
    }
    let tmp = dir.join(format!(".loader-{BUILD_ID}.{}", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        // Executable by all: a program run as another user (`trace -u`) execs it through
        // its descriptor; the directory keeps everyone else from reaching it by name.
        .mode(0o755)
        .open(&tmp)
        .and_then(|mut f| f.write_all(LOADER))
        .and_then(|()| std::fs::rename(&tmp, &path));
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
        return None;
    }
    // Loaders of other builds go (a run that uses one holds it open).
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with("loader-") && e.path() != path {
                let _ = std::fs::remove_file(e.path());
            }
        }
    }
    same_loader(&path, true)
}

/// `path`, opened, if it is this loader: the build ID in its first 8 KiB, and, for a cached
/// copy (`owned`), a regular file of the whole image's size that only this user can write.
fn same_loader(path: &Path, owned: bool) -> Option<File> {
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(sysgate_launch::O_NOFOLLOW)
        .open(path)
        .ok()?;
    let md = f.metadata().ok()?;
    if !md.is_file() || md.mode() & 0o111 == 0 {
        return None;
    }
    if owned
        && (md.uid() != sysgate_launch::euid()
            || md.mode() & 0o022 != 0
            || md.len() != LOADER.len() as u64)
    {
        return None;
    }
    if owned && md.mode() & 0o055 != 0o055 {
        // A copy written before copies were executable by all.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o755))
            .ok()?;
    }
    let mut head = Vec::with_capacity(8192);
    (&mut f).take(8192).read_to_end(&mut head).ok()?;
    // The note is `namesz descsz type "GNU\0" id`, near the start of the file.
    let mut want = b"GNU\0".to_vec();
    for i in (0..BUILD_ID.len()).step_by(2) {
        want.push(u8::from_str_radix(&BUILD_ID[i..i + 2], 16).ok()?);
    }
    head.windows(want.len())
        .any(|w| w == want.as_slice())
        .then_some(f)
}

/// `sysgate/` in the user's runtime directory, else in the cache directory: made if missing,
/// used only if this user owns it, nobody else can write it, and its file system lets
/// programs run.
fn cache_dir() -> Option<PathBuf> {
    let env_dir = |k: &str| {
        std::env::var_os(k)
            .map(PathBuf::from)
            .filter(|p| p.is_absolute())
    };
    let base = env_dir("XDG_RUNTIME_DIR")
        .filter(|p| p.is_dir())
        .or_else(|| env_dir("XDG_CACHE_HOME"))
        .or_else(|| env_dir("HOME").map(|h| h.join(".cache")))?;
    let dir = base.join("sysgate");
    let _ = std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&dir);
    let md = std::fs::symlink_metadata(&dir).ok()?;
    let private = md.is_dir() && md.uid() == sysgate_launch::euid() && md.mode() & 0o077 == 0;
    (private && !sysgate_launch::mounted_noexec(&dir)).then_some(dir)
}
