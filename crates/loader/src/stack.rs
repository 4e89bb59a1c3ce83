//! The initial stack a program starts with: `argc`, `argv[]`, `NULL`, `envp[]`, `NULL`, the aux
//! vector, `AT_NULL` — pointing at strings that already exist (the kernel put them on the
//! stack when it started the loader).

/// Aux vector keys the loader sets or drops.
pub mod at {
    pub const NULL: u64 = 0;
    pub const PHDR: u64 = 3;
    pub const PHENT: u64 = 4;
    pub const PHNUM: u64 = 5;
    pub const BASE: u64 = 7;
    pub const ENTRY: u64 = 9;
    pub const EXECFN: u64 = 31;
    pub const SYSINFO_EHDR: u64 = 33;
}

/// Writes the initial stack ending at `top` (exclusive) and returns the new stack pointer
/// (16-byte aligned, pointing at `argc`). `None` if it would not fit above `limit`.
///
/// # Safety
/// `[limit, top)` must be writable memory that nothing else uses.
pub unsafe fn build(
    top: u64,
    limit: u64,
    argv: &[u64],
    envp: &[u64],
    auxv: &[(u64, u64)],
) -> Option<u64> {
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * (auxv.len() + 1);
    let size = (words as u64).checked_mul(8)?;
    let sp = top.checked_sub(size)? & !15;
    if sp < limit {
        return None;
    }
    let mut p = sp as *mut u64;
    let mut put = |v: u64| {
        // SAFETY: `p` stays inside [sp, sp + size) ⊂ [limit, top) (caller contract).
        unsafe {
            p.write(v);
            p = p.add(1);
        }
    };
    put(argv.len() as u64);
    argv.iter().for_each(|&a| put(a));
    put(0);
    envp.iter().for_each(|&e| put(e));
    put(0);
    for &(k, v) in auxv {
        put(k);
        put(v);
    }
    put(at::NULL);
    put(0);
    Some(sp)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lays_out_like_the_kernel() {
        let mut mem = vec![0u64; 64];
        let top = mem.as_mut_ptr() as u64 + 64 * 8;
        let limit = mem.as_ptr() as u64;
        // SAFETY: [limit, top) is the vector `mem`, ours and unused.
        let sp = unsafe { build(top, limit, &[11, 12], &[21], &[(at::PHNUM, 9)]) }.unwrap();
        assert_eq!(sp % 16, 0);
        // SAFETY: `build` wrote nine words at `sp`, inside `mem`.
        let words = unsafe { std::slice::from_raw_parts(sp as *const u64, 9) };
        assert_eq!(words, &[2, 11, 12, 0, 21, 0, at::PHNUM, 9, at::NULL]);
        // SAFETY: the last 16 bytes of `mem`; `build` refuses before writing anything.
        assert!(unsafe { build(top, top - 16, &[1; 10], &[], &[]) }.is_none());
    }
}
