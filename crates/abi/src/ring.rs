//! The layout of the trace rings: the memory file through which every traced thread hands its
//! lines to the `sysgate` process, which writes them out. The runtime writes records
//! (`output/ring.rs`); `sysgate` reads them (`sysgate_launch::rings`) and turns them into
//! strace's output (`cli/src/drain.rs`). Both sides take every offset and field from here.
//!
//! ```text
//! 0                  header: magic, slot count, sequence, doorbell, counters
//! OWNERS             one u32 per slot: 0 free, a tid (claimed), tid | RELEASED (to drain)
//! SLOT_HEADERS       one SLOT_HEADER-byte block per slot (producer line, consumer line)
//! DATA               one RING_BYTES ring per slot
//! ```
//!
//! A ring is single-producer (its thread, and that thread's signal handlers, which nest) and
//! single-consumer (`sysgate`). Positions are byte counts since the region was made (they only
//! grow); a position's byte lives at `pos % RING_BYTES`, so a record may wrap.

/// `"SGRING01"` (little-endian), the first word.
pub const MAGIC: u64 = u64::from_le_bytes(*b"SGRING01");

/// Header offsets (bytes). Each group that is written often has a cache line of its own.
pub mod header {
    /// u64 [`super::MAGIC`].
    pub const MAGIC: usize = 0;
    /// u32 number of slots.
    pub const SLOTS: usize = 8;
    /// u32 pid of the `sysgate` process that drains (0: none any more, records are dropped).
    pub const DRAINER: usize = 12;
    /// u64 the next sequence number (every record takes one: the order calls ended in).
    pub const SEQ: usize = 64;
    /// u32 futex word the drainer sleeps on; a producer adds 1 and wakes it.
    pub const BELL: usize = 128;
    /// u32 1 while the drainer sleeps (or is about to).
    pub const SLEEPING: usize = 132;
    /// u64 times a thread found its ring full and waited for the drainer.
    pub const WAITS: usize = 192;
    /// u64 times a thread found no free ring and waited for one.
    pub const SLOT_WAITS: usize = 200;
    /// u64 records dropped (only once the drainer is gone).
    pub const DROPPED: usize = 208;
}

/// Bytes of the header before the owner words.
pub const OWNERS: usize = 4096;
/// Bytes of one slot's header.
pub const SLOT_HEADER: usize = 128;

/// Slot header offsets (bytes, within the slot's header).
pub mod slot {
    /// u64 committed end: records before it are whole (written by the producer).
    pub const HEAD: usize = 0;
    /// u64 reserved end: a nested writer (signal handler) reserves after the one it interrupted.
    pub const RESERVE: usize = 8;
    /// u32 writers of this ring inside an append (the thread and the handlers nested in it).
    pub const DEPTH: usize = 16;
    /// u32 the owner's process id (thread group).
    pub const PID: usize = 20;
    /// u32 1 while the producer waits for room (futex word: the drainer wakes it).
    pub const WAITING: usize = 24;
    /// u64 consumed end (written by the drainer), on a cache line of its own.
    pub const TAIL: usize = 64;
}

/// Bytes of one ring's data (a power of two).
pub const RING_BYTES: usize = 128 * 1024;
/// A producer wakes a sleeping drainer once its ring holds this much.
pub const WAKE_AT: usize = RING_BYTES / 2;
/// Owner word: the thread released the ring; the drainer frees it once it is empty.
pub const RELEASED: u32 = 1 << 31;

/// Slots `sysgate` makes by default: a thread that finds none free waits for one.
pub const DEFAULT_SLOTS: usize = 1024;

/// Where slot `i`'s header starts.
pub const fn slot_header(slots: usize, i: usize) -> usize {
    owners_end(slots) + i * SLOT_HEADER
}

const fn owners_end(slots: usize) -> usize {
    page_up(OWNERS + slots * 4)
}

const fn page_up(n: usize) -> usize {
    (n + 4095) & !4095
}

/// Where slot `i`'s ring data starts.
pub const fn ring_data(slots: usize, i: usize) -> usize {
    page_up(owners_end(slots) + slots * SLOT_HEADER) + i * RING_BYTES
}

/// Bytes of a region with `slots` slots.
pub const fn region_bytes(slots: usize) -> usize {
    ring_data(slots, slots)
}

/// What a record is.
pub mod kind {
    /// A whole line (a call, a signal, `+++ exited with N +++`), ending in `\n`.
    pub const LINE: u8 = 1;
    /// The entry half of a call that may block: prefix, `NAME(` and the arguments strace
    /// prints at entry, no newline. The thread's next [`LINE`] with
    /// [`super::flags::RESUMES`] ends it.
    pub const ENTRY: u8 = 2;
    /// Bytes written as they are: JSON, trace events, strace's personality notes.
    pub const RAW: u8 = 3;
    /// The text of the process's `/proc/self/maps` (`-k`): where its code is mapped from, for
    /// the process's stack snapshots that follow, until the next one.
    pub const MAPS: u8 = 4;
}

/// Record flags.
pub mod flags {
    /// This line ends the thread's last open [`super::kind::ENTRY`]; the marks are set.
    pub const RESUMES: u8 = 1;
    /// This line (`+++ killed by SIG +++`, written by the parent that reaped the process)
    /// ends process `pid`: the calls its threads were in end with `= ?` before it.
    pub const ENDS_PROCESS: u8 = 2;
    /// An entry half that stops before an argument the kernel fills in: a thread that dies in
    /// the call gets strace's ` <unfinished ...>` before its `) = ?`.
    pub const STOPPED: u8 = 4;
}

/// Bytes of a record's header, before its text.
pub const RECORD_HEADER: usize = 32;

/// A record's header. `head`, `resume`, `close` and `result` are offsets in the text:
/// - `head`: where the call's name starts (after the pid prefix and timestamps);
/// - `resume`: where the part strace prints after `<... NAME resumed>` starts;
/// - `close`: just after the `)` that closes the arguments;
/// - `result`: where ` = RESULT` starts (after the padding to the result column);
/// - `stack`: where the line's stack snapshot starts (`-k`), 0 for none: rip, rsp, rbp (u64
///   each), then the bytes of the stack from rsp up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Record {
    /// Header plus text, in bytes.
    pub len: u32,
    pub kind: u8,
    pub flags: u8,
    pub seq: u64,
    pub tid: u32,
    pub pid: u32,
    pub head: u16,
    pub resume: u16,
    pub close: u16,
    pub result: u16,
    pub stack: u16,
}

impl Record {
    /// The header as bytes.
    #[inline]
    pub fn encode(&self) -> [u8; RECORD_HEADER] {
        let mut b = [0u8; RECORD_HEADER];
        b[0..4].copy_from_slice(&self.len.to_le_bytes());
        b[4] = self.kind;
        b[5] = self.flags;
        b[6..8].copy_from_slice(&self.stack.to_le_bytes());
        b[8..16].copy_from_slice(&self.seq.to_le_bytes());
        b[16..20].copy_from_slice(&self.tid.to_le_bytes());
        b[20..24].copy_from_slice(&self.pid.to_le_bytes());
        b[24..26].copy_from_slice(&self.head.to_le_bytes());
        b[26..28].copy_from_slice(&self.resume.to_le_bytes());
        b[28..30].copy_from_slice(&self.close.to_le_bytes());
        b[30..32].copy_from_slice(&self.result.to_le_bytes());
        b
    }

    /// The header from bytes.
    pub fn decode(b: &[u8; RECORD_HEADER]) -> Record {
        let u16_at = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
        let u32_at = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let mut seq = [0u8; 8];
        seq.copy_from_slice(&b[8..16]);
        Record {
            len: u32_at(0),
            kind: b[4],
            flags: b[5],
            seq: u64::from_le_bytes(seq),
            tid: u32_at(16),
            pid: u32_at(20),
            head: u16_at(24),
            resume: u16_at(26),
            close: u16_at(28),
            result: u16_at(30),
            stack: u16_at(6),
        }
    }
}

/// The column strace pads a line to before ` = RESULT` (counting the pid prefix).
pub const RESULT_COLUMN: usize = 39;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_is_page_aligned_and_disjoint() {
        let n = DEFAULT_SLOTS;
        assert!(slot_header(n, 0) >= OWNERS + n * 4);
        assert_eq!(ring_data(n, 0) % 4096, 0);
        assert!(ring_data(n, 0) >= slot_header(n, n));
        assert_eq!(region_bytes(n) - ring_data(n, 0), n * RING_BYTES);
        assert!(RING_BYTES.is_power_of_two());
        assert!(slot::TAIL >= 64 && slot::TAIL + 8 <= SLOT_HEADER);
    }

    #[test]
    fn record_header_round_trips() {
        let r = Record {
            len: 77,
            kind: kind::ENTRY,
            flags: flags::RESUMES,
            seq: 1 << 40 | 5,
            tid: 4_000_000,
            pid: 12,
            head: 6,
            resume: 14,
            close: 20,
            result: 39,
            stack: 44,
        };
        assert_eq!(Record::decode(&r.encode()), r);
    }
}
