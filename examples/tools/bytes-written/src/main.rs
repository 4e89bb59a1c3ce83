//! `bytes-written [--] PROGRAM [ARGS]`: the bytes the program wrote to each file descriptor
//! (`write`, `pwrite64`, `writev`, `pwritev`, `pwritev2`, `sendto`, `sendmsg`, `sendfile`),
//! summed over all its threads and child processes, printed when the first process exits:
//!
//! ```text
//! bytes-written: fd 1: 13 bytes in 2 calls
//! ```
//!
//! The counts live in the run's shared region, one word per descriptor number, so a fork
//! child's writes add to the same totals. Each thread adds with an atomic add; nothing is
//! locked.
#![no_std]
#![no_main]
use core::sync::atomic::Ordering::Relaxed;
use sysgate_sdk::{nr, shared, Calls, Settings, Syscall, Tool};

/// Descriptors counted one by one; higher ones share the last bucket.
const FDS: usize = 1024;

struct BytesWritten;

impl Tool for BytesWritten {
    const NAME: &'static str = "bytes-written";
    const ABOUT: &'static str =
        "Runs PROGRAM and prints the bytes it wrote to each file descriptor when it exits.";
    /// Bytes, then calls, per descriptor (and one bucket for those above FDS).
    const SHARED: usize = 2 * (FDS + 1);

    fn new(_: &Settings) -> Result<Self, &'static str> {
        Ok(BytesWritten)
    }

    fn subscribe(&self, calls: &mut Calls) {
        for n in [
            nr::WRITE,
            nr::PWRITE64,
            nr::WRITEV,
            nr::PWRITEV,
            nr::PWRITEV2,
            nr::SENDTO,
            nr::SENDMSG,
            nr::SENDFILE,
        ] {
            calls.add(n);
        }
    }

    fn exit(&self, call: &mut Syscall, ret: i64) {
        let (Ok(fd), true) = (call.fd(0), ret >= 0) else {
            return;
        };
        let c = shared::counters();
        let slot = (fd as usize).min(FDS);
        if let (Some(bytes), Some(calls)) = (c.get(2 * slot), c.get(2 * slot + 1)) {
            bytes.fetch_add(ret as u64, Relaxed);
            calls.fetch_add(1, Relaxed);
        }
    }

    fn exiting(&self, _call: &mut Syscall) {
        if !sysgate_sdk::first_process() {
            return;
        }
        let c = shared::counters();
        for slot in 0..=FDS {
            let (Some(bytes), Some(calls)) = (c.get(2 * slot), c.get(2 * slot + 1)) else {
                break;
            };
            let (b, n) = (bytes.load(Relaxed), calls.load(Relaxed));
            if n == 0 {
                continue;
            }
            let s = |v: u64| if v == 1 { "" } else { "s" };
            if slot == FDS {
                sysgate_sdk::out!(
                    "bytes-written: fd {FDS} and above: {b} byte{} in {n} call{}",
                    s(b),
                    s(n)
                );
            } else {
                sysgate_sdk::out!(
                    "bytes-written: fd {slot}: {b} byte{} in {n} call{}",
                    s(b),
                    s(n)
                );
            }
        }
    }
}

sysgate_sdk::main!(BytesWritten);
