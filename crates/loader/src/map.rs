//! Mapping an image's PT_LOAD segments from an open file, as `binfmt_elf` does.

use sysgate_abi::elf::{Kind, Plan};
use sysgate_runtime::raw::{self, sys};

const PAGE: u64 = 4096;

fn down(v: u64) -> u64 {
    v & !(PAGE - 1)
}
fn up(v: u64) -> u64 {
    (v + PAGE - 1) & !(PAGE - 1)
}

fn mmap(addr: u64, len: u64, prot: u32, flags: u32, fd: i32, off: u64) -> Result<u64, i64> {
    let r = raw::syscall6(
        sys::__NR_mmap,
        [addr, len, prot as u64, flags as u64, fd as u64, off],
    );
    if (-4095..0).contains(&r) {
        Err(r)
    } else {
        Ok(r as u64)
    }
}

/// Maps the image described by `plan` from `fd`. Returns the load bias (0 for ET_EXEC).
pub fn map_image(fd: i32, plan: &Plan) -> Result<u64, i64> {
    let span = up(plan.hi) - plan.lo;
    let bias = match plan.kind {
        Kind::Exec => 0,
        Kind::Dyn => {
            // Reserve the whole span first so the segments keep their distances.
            let base = mmap(
                0,
                span,
                sys::PROT_NONE,
                sys::MAP_PRIVATE | sys::MAP_ANONYMOUS,
                -1,
                0,
            )?;
            base - plan.lo
        }
    };
    for s in plan.segments() {
        let start = down(bias + s.vaddr);
        let file_end = bias + s.vaddr + s.filesz;
        let mem_end = bias + s.vaddr + s.memsz;
        if s.filesz > 0 {
            // Writable while we zero the tail of the last file page.
            let prot = s.prot
                | if s.memsz > s.filesz {
                    sys::PROT_WRITE
                } else {
                    0
                };
            mmap(
                start,
                up(file_end) - start,
                prot,
                sys::MAP_PRIVATE | sys::MAP_FIXED,
                fd,
                down(s.offset),
            )?;
            if s.memsz > s.filesz && up(file_end) > file_end {
                let n = (up(file_end) - file_end) as usize;
                // SAFETY: [file_end, up(file_end)) lies in the writable page just mapped.
                unsafe { core::ptr::write_bytes(file_end as *mut u8, 0, n) };
            }
            if prot != s.prot {
                raw::syscall3(
                    sys::__NR_mprotect,
                    start,
                    up(file_end) - start,
                    s.prot as u64,
                );
            }
        }
        let anon_start = if s.filesz > 0 { up(file_end) } else { start };
        if up(mem_end) > anon_start {
            mmap(
                anon_start,
                up(mem_end) - anon_start,
                s.prot,
                sys::MAP_PRIVATE | sys::MAP_ANONYMOUS | sys::MAP_FIXED,
                -1,
                0,
            )?;
        }
    }
    Ok(bias)
}

/// Hands the executable, readable segments of the image mapped at `bias` to the runtime,
/// which looks in them for a vsyscall entry point only if the vsyscall filter is in question
/// (`sysgate_runtime::ways_in::vsyscall::note_code`).
pub fn note_code(bias: u64, plan: &Plan) {
    for s in plan
        .segments()
        .iter()
        .filter(|s| s.prot & sys::PROT_EXEC != 0 && s.prot & sys::PROT_READ != 0)
    {
        sysgate_runtime::ways_in::vsyscall::note_code(bias + s.vaddr, s.filesz);
    }
}
