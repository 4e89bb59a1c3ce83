//! The `sysgate` side of the trace rings (layout: `sysgate_abi::ring`): the memory file the
//! program's threads append their records to, and the reader that takes them out.
//!
//! [`Rings::collect`] reads the sequence counter first, then every ring, waiting for writers
//! inside an append to finish: every record numbered below the counter it read is then in
//! hand (see `runtime/src/output/ring.rs`), so records up to that watermark can be put in
//! order for good.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};
use sysgate_abi::ring::{self as layout, header, slot, Record};

/// One record taken out of a ring: its header, and where its text is in the arena that
/// [`Rings::collect`] appended it to.
#[derive(Clone, Copy, Debug)]
pub struct Taken {
    pub rec: Record,
    pub at: usize,
}

impl Taken {
    /// The record's text in `arena`.
    pub fn text<'a>(&self, arena: &'a [u8]) -> &'a [u8] {
        let len = (self.rec.len as usize).saturating_sub(layout::RECORD_HEADER);
        arena.get(self.at..self.at + len).unwrap_or(&[])
    }
}

/// What one [`Rings::collect`] found.
#[derive(Default, Debug)]
pub struct Batch {
    /// Every record numbered below this is in hand (this batch or an earlier one).
    pub watermark: u64,
    /// Threads whose rings were freed because they died without releasing them: `(pid, tid)`.
    pub dead: Vec<(u32, u32)>,
    /// Bytes taken out of the rings.
    pub bytes: u64,
}

/// The region, mapped in this process.
pub struct Rings {
    file: File,
    base: *mut u8,
    len: usize,
    slots: usize,
    /// Per slot: the (depth, head) a writer was last found stuck at, to wait only once for a
    /// writer that died (or sleeps in a signal handler) inside an append.
    stuck: Mutex<Vec<Option<(u32, u64)>>>,
    last_liveness: Mutex<Instant>,
}

// SAFETY: the mapping is plain shared memory accessed only through atomics and copies (and
// the reader's own state is behind mutexes): the drainer reads it while another thread rings
// its doorbell.
unsafe impl Send for Rings {}
// SAFETY: as above.
unsafe impl Sync for Rings {}

impl Rings {
    /// Makes a region with `slots` rings; returns it and a high, inheritable descriptor for the
    /// program's processes (configuration key `rings=`).
    pub fn create(slots: usize) -> std::io::Result<(Rings, RawFd)> {
        // SAFETY: memfd_create with a NUL-terminated name; the result is a new descriptor.
        let fd = unsafe { libc::memfd_create(c"sysgate-rings".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(std::io::Error::last_os_error());
        }
        // SAFETY: `fd` is a fresh descriptor owned by nobody else.
        let file = unsafe { File::from_raw_fd(fd) };
        let len = layout::region_bytes(slots);
        file.set_len(len as u64)?;
        // SAFETY: a new shared mapping of the whole file, which has `len` bytes.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if base == libc::MAP_FAILED {
            return Err(std::io::Error::last_os_error());
        }
        let rings = Rings {
            file,
            base: base as *mut u8,
            len,
            slots,
            stuck: Mutex::new(vec![None; slots]),
            last_liveness: Mutex::new(Instant::now()),
        };
        rings
            .u32_at(header::SLOTS)
            .store(slots as u32, Ordering::Relaxed);
        rings
            .u32_at(header::DRAINER)
            .store(std::process::id(), Ordering::Relaxed);
        rings
            .u64_at(header::MAGIC)
            .store(layout::MAGIC, Ordering::Release);
        let high = crate::high_copy(&rings.file)?;
        Ok((rings, high))
    }

    fn u64_at(&self, off: usize) -> &AtomicU64 {
        assert!(off + 8 <= self.len && off & 7 == 0);
        // SAFETY: in bounds and aligned (checked); the mapping lives as long as `self`, and
        // every access to the word, here and in the program's processes, is atomic.
        unsafe { &*(self.base.add(off) as *const AtomicU64) }
    }

    fn u32_at(&self, off: usize) -> &AtomicU32 {
        assert!(off + 4 <= self.len && off & 3 == 0);
        // SAFETY: as in `u64_at`.
        unsafe { &*(self.base.add(off) as *const AtomicU32) }
    }

    fn slot_u64(&self, i: usize, field: usize) -> &AtomicU64 {
        self.u64_at(layout::slot_header(self.slots, i) + field)
    }

    fn slot_u32(&self, i: usize, field: usize) -> &AtomicU32 {
        self.u32_at(layout::slot_header(self.slots, i) + field)
    }

    fn owner(&self, i: usize) -> &AtomicU32 {
        self.u32_at(layout::OWNERS + i * 4)
    }

    /// Copies ring `i`'s bytes at `[pos, pos + out.len())` (wrapping) into `out`.
    fn copy_out(&self, i: usize, pos: u64, out: &mut [u8]) {
        let data = layout::ring_data(self.slots, i);
        assert!(data + layout::RING_BYTES <= self.len);
        let at = pos as usize & (layout::RING_BYTES - 1);
        let first = out.len().min(layout::RING_BYTES - at);
        // SAFETY: both pieces lie inside ring `i` (checked above: `at + first` and
        // `out.len() - first` are at most RING_BYTES); the producer published these bytes
        // with a release store of HEAD that the caller acquired, and does not write them again
        // until TAIL passes them.
        unsafe {
            std::ptr::copy_nonoverlapping(self.base.add(data + at), out.as_mut_ptr(), first);
            std::ptr::copy_nonoverlapping(
                self.base.add(data),
                out.as_mut_ptr().add(first),
                out.len() - first,
            );
        }
    }

    /// Takes every published record out of every ring into `out` (in no particular order),
    /// their texts appended to `arena`. Whether the rings' threads still live is checked every
    /// 50 ms, or now if `now`.
    pub fn collect(&self, out: &mut Vec<Taken>, arena: &mut Vec<u8>, now: bool) -> Batch {
        let watermark = self.u64_at(header::SEQ).load(Ordering::SeqCst);
        let mut last = self.last_liveness.lock().unwrap_or_else(|e| e.into_inner());
        let check_liveness = now || last.elapsed() >= Duration::from_millis(50);
        if check_liveness {
            *last = Instant::now();
        }
        drop(last);
        let mut stuck = self.stuck.lock().unwrap_or_else(|e| e.into_inner());
        let mut batch = Batch {
            watermark,
            dead: Vec::new(),
            bytes: 0,
        };
        for i in 0..self.slots {
            let own = self.owner(i).load(Ordering::Acquire);
            if own == 0 {
                continue;
            }
            self.wait_writers(i, &mut stuck[i]);
            let head = self.slot_u64(i, slot::HEAD).load(Ordering::Acquire);
            let mut tail = self.slot_u64(i, slot::TAIL).load(Ordering::Relaxed);
            let had = head != tail;
            while head - tail >= layout::RECORD_HEADER as u64 {
                let mut h = [0u8; layout::RECORD_HEADER];
                self.copy_out(i, tail, &mut h);
                let rec = Record::decode(&h);
                let len = rec.len as u64;
                if len < layout::RECORD_HEADER as u64 || len > head - tail {
                    tail = head; // not what the runtime writes: give up the rest
                    break;
                }
                let at = arena.len();
                arena.resize(at + len as usize - layout::RECORD_HEADER, 0);
                self.copy_out(i, tail + layout::RECORD_HEADER as u64, &mut arena[at..]);
                out.push(Taken { rec, at });
                tail += len;
            }
            batch.bytes += tail - self.slot_u64(i, slot::TAIL).load(Ordering::Relaxed);
            self.slot_u64(i, slot::TAIL).store(tail, Ordering::Release);
            let waiting = self.slot_u32(i, slot::WAITING);
            if waiting.swap(0, Ordering::SeqCst) != 0 {
                futex(waiting, libc::FUTEX_WAKE, i32::MAX as u32, None);
            }
            let pid = self.slot_u32(i, slot::PID).load(Ordering::Relaxed);
            let tid = own & !layout::RELEASED;
            let gone =
                own & layout::RELEASED != 0 || (check_liveness && !had && !thread_alive(pid, tid));
            if gone && tail == head {
                // Drained and given up (or its thread is gone): free for another thread.
                if self
                    .owner(i)
                    .compare_exchange(own, 0, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
                {
                    stuck[i] = None;
                    if own & layout::RELEASED == 0 {
                        batch.dead.push((pid, tid));
                    }
                }
            }
        }
        batch
    }

    /// Waits (briefly) for the writers inside an append to ring `i` to finish.
    fn wait_writers(&self, i: usize, stuck: &mut Option<(u32, u64)>) {
        let depth = self.slot_u32(i, slot::DEPTH);
        if depth.load(Ordering::Acquire) == 0 {
            *stuck = None;
            return;
        }
        let head = self.slot_u64(i, slot::HEAD);
        let now = (depth.load(Ordering::Acquire), head.load(Ordering::Acquire));
        if *stuck == Some(now) {
            return; // waited for this one already
        }
        let start = Instant::now();
        while depth.load(Ordering::Acquire) != 0 {
            if start.elapsed() > Duration::from_millis(2) {
                *stuck = Some(now);
                return;
            }
            std::thread::yield_now();
        }
        *stuck = None;
    }

    /// Whether any ring is owned by a thread that has not released it.
    pub fn any_owned(&self) -> bool {
        (0..self.slots).any(|i| self.owner(i).load(Ordering::Acquire) != 0)
    }

    /// The doorbell's count, taken before a round: [`Rings::sleep`] after it returns at once
    /// if a producer rang in the meantime (a ring that filled while the round ran).
    pub fn bell(&self) -> u32 {
        self.u32_at(header::BELL).load(Ordering::Acquire)
    }

    /// Sleeps until a producer rings the doorbell (after it showed `seen`) or `timeout` passes.
    pub fn sleep(&self, seen: u32, timeout: Duration) {
        let bell = self.u32_at(header::BELL);
        let sleeping = self.u32_at(header::SLEEPING);
        sleeping.store(1, Ordering::SeqCst);
        futex(bell, libc::FUTEX_WAIT, seen, Some(timeout));
        sleeping.store(0, Ordering::SeqCst);
    }

    /// Wakes a [`Rings::sleep`] (from another thread of this process).
    pub fn ring_bell(&self) {
        let bell = self.u32_at(header::BELL);
        bell.fetch_add(1, Ordering::Release);
        futex(bell, libc::FUTEX_WAKE, 1, None);
    }

    /// Tells the program's threads that nobody drains any more: they drop their records
    /// instead of waiting for room.
    pub fn orphan(&self) {
        self.u32_at(header::DRAINER).store(0, Ordering::Release);
        for i in 0..self.slots {
            let waiting = self.slot_u32(i, slot::WAITING);
            if waiting.swap(0, Ordering::SeqCst) != 0 {
                futex(waiting, libc::FUTEX_WAKE, i32::MAX as u32, None);
            }
        }
    }

    /// How often a thread found its ring full and waited for the drainer.
    pub fn full_waits(&self) -> u64 {
        self.u64_at(header::WAITS).load(Ordering::Relaxed)
    }

    /// How often a thread found no free ring and waited for one.
    pub fn slot_waits(&self) -> u64 {
        self.u64_at(header::SLOT_WAITS).load(Ordering::Relaxed)
    }
}

impl Drop for Rings {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping `create` made; no reference into it outlives
        // `self` (the accessors borrow `self`).
        unsafe { libc::munmap(self.base as *mut libc::c_void, self.len) };
    }
}

/// Whether thread `tid` of process `pid` still exists.
fn thread_alive(pid: u32, tid: u32) -> bool {
    // SAFETY: tgkill with signal 0 only checks that the thread exists.
    let r = unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            pid as libc::c_long,
            tid as libc::c_long,
            0,
        )
    };
    r == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// A shared futex operation on `word` (no FUTEX_PRIVATE_FLAG: the program's processes map it).
fn futex(word: &AtomicU32, op: i32, val: u32, timeout: Option<Duration>) {
    let ts = timeout.map(|t| libc::timespec {
        tv_sec: t.as_secs() as libc::time_t,
        tv_nsec: t.subsec_nanos() as libc::c_long,
    });
    let tsp = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a valid, aligned u32 in shared memory; `tsp` is null or points at a
    // timespec that outlives the call.
    unsafe {
        libc::syscall(libc::SYS_futex, word.as_ptr(), op, val, tsp, 0usize, 0u32);
    }
}
