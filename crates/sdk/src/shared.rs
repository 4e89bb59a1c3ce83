//! Counters every process and thread of the run shares: `Tool::SHARED` 64-bit words in a
//! memory file the tool's launcher creates, mapped by each image (a fork child inherits it, an
//! exec'd image maps it again). Use atomic operations only.

use core::sync::atomic::AtomicU64;

/// The shared words (empty if the tool asked for none).
pub fn counters() -> &'static [AtomicU64] {
    sysgate_runtime::output::shared::words().unwrap_or(&[])
}
