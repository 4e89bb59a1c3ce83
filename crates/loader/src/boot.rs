//! What the loader does in the new process, whichever tool it carries: follow `#!` lines, map
//! the program and its interpreter, build the initial stack and aux vector, set the tool up,
//! arm the runtime, and jump to the program. `sysgate-loader` (the `gate` tool, `src/main.rs`)
//! and every tool built with `sysgate-sdk` are this code with their own [`Hooks`].
#![allow(unsafe_code)]

use crate::stack::{self, at};
use core::arch::global_asm;
use sysgate_abi::elf::{self, ElfError};
use sysgate_runtime::raw::{self, sys};
use sysgate_runtime::{self as rt, config, memory::guest};

/// Stack left free above the loader's own frames for the program's initial stack vector.
pub const GAP: u64 = 512 * 1024;

/// What differs between loaders: the tool, and what happens around it.
pub struct Hooks {
    /// The loader's name in its own messages (`sysgate-loader`, or the tool's).
    pub name: &'static [u8],
    /// Sets the tool up from the configuration, once per image (after each `execve` too),
    /// before the runtime is armed. An error ends the image with exit status 127.
    pub init: fn(&'static config::Config) -> Result<&'static dyn rt::Tool, &'static str>,
    /// The runtime is armed; the program's first instruction is next.
    pub armed: fn(Image),
    /// Started by hand, without sysgate's configuration: `Some` makes the loader its own
    /// launcher (`TOOL [OPTIONS] [--] PROGRAM ARGS`, see [`crate::selflaunch`]); `None`
    /// refuses.
    pub launcher: Option<&'static crate::selflaunch::Launcher>,
}

/// The image about to start, as [`Hooks::armed`] sees it.
#[derive(Clone, Copy, Debug)]
pub struct Image {
    /// The program's path as it was executed.
    pub path: &'static [u8],
    /// Addresses of its argv and envp arrays and aux vector on the new initial stack.
    pub argv: u64,
    pub envp: u64,
    pub auxv: u64,
}

/// The prefix of the loader's messages.
static PREFIX: rt::api::StartupCell<&'static [u8]> = rt::api::StartupCell::new();

fn prefix() -> &'static [u8] {
    PREFIX.get().copied().unwrap_or(b"sysgate")
}

/// Sets the prefix of the loader's own messages (`sysgate` unless a tool names itself).
pub fn set_prefix(p: &'static [u8]) {
    PREFIX.set(p);
}

global_asm!(
    r#"
/* sysgate_loader_jump(sp, entry): start the program with the kernel's register state. */
    .globl sysgate_loader_jump
    .hidden sysgate_loader_jump
sysgate_loader_jump:
    mov     %rdi, %rsp
    mov     %rsi, %r11
    xor     %eax, %eax
    xor     %ebx, %ebx
    xor     %ecx, %ecx
    xor     %edx, %edx              /* no rtld_fini */
    xor     %esi, %esi
    xor     %edi, %edi
    xor     %ebp, %ebp
    xor     %r8d, %r8d
    xor     %r9d, %r9d
    xor     %r10d, %r10d
    xor     %r12d, %r12d
    xor     %r13d, %r13d
    xor     %r14d, %r14d
    xor     %r15d, %r15d
    jmp     *%r11
"#,
    options(att_syntax)
);

extern "C" {
    fn sysgate_loader_jump(sp: u64, entry: u64) -> !;
}

/// `PREFIX: PATH: MSG` on stderr (`PREFIX: MSG` if `path` is empty), then exit with `code`.
pub fn die(path: &[u8], msg: &dyn core::fmt::Display, code: i32) -> ! {
    let mut buf = [0u8; 768];
    let mut w = Buf {
        buf: &mut buf,
        len: 0,
    };
    let _ = core::fmt::write(
        &mut w,
        format_args!(
            "{}: {}{}{}\n",
            Bytes(prefix()),
            Bytes(path),
            if path.is_empty() { "" } else { ": " },
            msg
        ),
    );
    let n = w.len;
    raw::write_all(2, &buf[..n]);
    raw::exit_group(code)
}

struct Buf<'a> {
    buf: &'a mut [u8],
    len: usize,
}
impl core::fmt::Write for Buf<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let n = s.len().min(self.buf.len() - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s.as_bytes()[..n]);
        self.len += n;
        Ok(())
    }
}
struct Bytes<'a>(&'a [u8]);
impl core::fmt::Display for Bytes<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        for &b in self.0 {
            f.write_char_lossy(b)?;
        }
        Ok(())
    }
}
trait WriteByte {
    fn write_char_lossy(&mut self, b: u8) -> core::fmt::Result;
}
impl WriteByte for core::fmt::Formatter<'_> {
    fn write_char_lossy(&mut self, b: u8) -> core::fmt::Result {
        use core::fmt::Write;
        self.write_char(if b.is_ascii() { b as char } else { '?' })
    }
}
/// A `-errno` value, shown as its message.
pub struct Errno(pub i64);
impl core::fmt::Display for Errno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let m = match -self.0 as u32 {
            sys::ENOENT => "No such file or directory",
            sys::EACCES => "Permission denied",
            sys::ENOEXEC => "Exec format error",
            sys::EISDIR => "Is a directory",
            sys::ENOMEM => "Cannot allocate memory",
            sys::E2BIG => "Argument list too long",
            sys::ELOOP => "Too many levels of symbolic links",
            _ => return write!(f, "error {}", -self.0),
        };
        f.write_str(m)
    }
}

/// Reads the start of `path` (NUL-terminated) into `buf`: (fd, bytes read).
fn open_head(path: *const u8, buf: &mut [u8]) -> Result<(i32, usize), i64> {
    let fd = raw::syscall3(
        sys::__NR_open,
        path as u64,
        (sys::O_RDONLY | sys::O_CLOEXEC) as u64,
        0,
    );
    if fd < 0 {
        return Err(fd);
    }
    let n = raw::syscall4(
        sys::__NR_pread64,
        fd as u64,
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
        0,
    );
    if n < 0 {
        raw::syscall1(sys::__NR_close, fd as u64);
        return Err(n);
    }
    Ok((fd as i32, n as usize))
}

/// Length of a NUL-terminated string.
pub(crate) fn cstr_len(p: *const u8) -> usize {
    let mut n = 0;
    // SAFETY: every string handed to the loader is NUL-terminated (kernel-built or ours).
    unsafe {
        while *p.add(n) != 0 {
            n += 1;
        }
    }
    n
}

/// The bytes of a NUL-terminated string (without the NUL).
pub(crate) fn cbytes<'a>(p: *const u8) -> &'a [u8] {
    // SAFETY: NUL-terminated string, see `cstr_len`.
    unsafe { core::slice::from_raw_parts(p, cstr_len(p)) }
}

/// Strings the loader makes itself (interpreter paths from `#!` lines and PT_INTERP).
static mut STRINGS: [u8; 16 * 1024] = [0; 16 * 1024];
static mut STRINGS_USED: usize = 0;
/// argv after `#!` rewriting.
static mut ARGV: [u64; 8192] = [0; 8192];

fn keep_string(s: &[u8]) -> *const u8 {
    // SAFETY: single-threaded loader; each call appends a fresh NUL-terminated copy.
    unsafe {
        let strings = &mut *core::ptr::addr_of_mut!(STRINGS);
        let used = &mut *core::ptr::addr_of_mut!(STRINGS_USED);
        if *used + s.len() + 1 > strings.len() {
            die(s, &Errno(-(sys::E2BIG as i64)), 126);
        }
        let at = *used;
        strings[at..at + s.len()].copy_from_slice(s);
        strings[at + s.len()] = 0;
        *used += s.len() + 1;
        strings.as_ptr().add(at)
    }
}

struct Loaded {
    /// Where execution starts: the interpreter's entry, or the program's.
    entry: u64,
    /// The program's own entry (AT_ENTRY).
    prog_entry: u64,
    phdr: u64,
    phnum: u64,
    base: u64,
}

/// Maps the ELF image open as `fd` whose first bytes are `head`; and its interpreter.
fn load_elf(path: &[u8], fd: i32, head: &[u8]) -> Loaded {
    let plan = match elf::plan(head) {
        Ok(p) => p,
        Err(e) => die(path, &e, 126),
    };
    let bias = match crate::map::map_image(fd, &plan) {
        Ok(b) => b,
        Err(e) => die(path, &Errno(e), 126),
    };
    crate::map::note_code(bias, &plan);
    let mut loaded = Loaded {
        entry: bias + plan.entry,
        prog_entry: bias + plan.entry,
        phdr: bias + plan.phdr_vaddr,
        phnum: plan.phnum as u64,
        base: 0,
    };
    if let Some((off, len)) = plan.interp {
        let mut name = [0u8; 4097];
        let got = raw::syscall4(
            sys::__NR_pread64,
            fd as u64,
            name.as_mut_ptr() as u64,
            len,
            off,
        );
        if got != len as i64 || name[len as usize - 1] != 0 {
            die(path, &ElfError::BadSegments, 126);
        }
        let interp = &name[..len as usize - 1];
        let mut ihead = [0u8; 4096];
        let (ifd, n) = match open_head(name.as_ptr(), &mut ihead) {
            Ok(x) => x,
            Err(e) => die(
                interp,
                &Errno(e),
                if e == -(sys::ENOENT as i64) { 127 } else { 126 },
            ),
        };
        let iplan = match elf::plan(&ihead[..n]) {
            Ok(p) => p,
            Err(e) => die(interp, &e, 126),
        };
        let ibias = match crate::map::map_image(ifd, &iplan) {
            Ok(b) => b,
            Err(e) => die(interp, &Errno(e), 126),
        };
        crate::map::note_code(ibias, &iplan);
        raw::syscall1(sys::__NR_close, ifd as u64);
        loaded.base = ibias + iplan.lo;
        loaded.entry = ibias + iplan.entry;
    }
    loaded
}

/// The loader's `main`: what `_start` (see [`entry!`](crate::entry)) calls with the kernel's
/// initial stack pointer, after the image's relocations are applied.
///
/// # Safety
/// Called once, from `_start`, single-threaded, with the kernel's initial stack at `sp0` and
/// `[sp0 - GAP, sp0)` free.
pub unsafe fn main(sp0: *const u64, hooks: &'static Hooks) -> ! {
    if let Some(l) = hooks.launcher {
        set_prefix(l.name.as_bytes());
    }
    // SAFETY: the kernel's initial stack: argc, argv[argc], NULL, envp..., NULL, auxv pairs.
    let (argc, argv, envp) = unsafe {
        let argc = *sp0 as usize;
        (argc, sp0.add(1), sp0.add(argc + 2) as *mut *const u8)
    };
    let mut envc = 0usize;
    // SAFETY: as above.
    unsafe {
        while !(*envp.add(envc)).is_null() {
            envc += 1;
        }
    }
    // SAFETY: the aux vector follows envp's NULL.
    let kauxv = unsafe { envp.add(envc + 1) } as *const u64;
    // SAFETY: single-threaded; removes the runtime's variables from the environment array.
    if !unsafe { rt::init_from_env(envp) } {
        match hooks.launcher {
            // SAFETY: the kernel's argv and envp arrays, single-threaded.
            Some(l) => unsafe { crate::selflaunch::run(l, argc, argv, envp) },
            None => die(
                hooks.name,
                &"started without sysgate's configuration (run programs with `sysgate run`)",
                127,
            ),
        }
    }
    let cfg = config::get();
    let Some(path0) = cfg.exec_path() else {
        die(hooks.name, &"no program given", 127);
    };

    // Follow `#!` lines as the kernel does (up to 4 levels), then map the ELF image.
    // SAFETY: single-threaded; ARGV is only used here.
    let new_argv = unsafe { &mut *core::ptr::addr_of_mut!(ARGV) };
    let mut nargv = argc.min(new_argv.len());
    for (i, slot) in new_argv.iter_mut().enumerate().take(nargv) {
        // SAFETY: i < argc.
        *slot = unsafe { *argv.add(i) };
    }
    let mut path: *const u8 = path0;
    let mut head = [0u8; 8192];
    let mut depth = 0;
    let (fd, n) = loop {
        let (fd, n) = match open_head(path, &mut head) {
            Ok(x) => x,
            Err(e) => die(
                cbytes(path),
                &Errno(e),
                if e == -(sys::ENOENT as i64) { 127 } else { 126 },
            ),
        };
        let Some((interp, arg)) = elf::shebang(&head[..n]) else {
            break (fd, n);
        };
        raw::syscall1(sys::__NR_close, fd as u64);
        depth += 1;
        if depth > 4 {
            die(cbytes(path0), &Errno(-(sys::ELOOP as i64)), 126);
        }
        // argv becomes: interpreter, [its argument], the script as named, argv[1..].
        let extra = 1 + arg.is_some() as usize;
        if nargv + extra > new_argv.len() {
            die(cbytes(path0), &Errno(-(sys::E2BIG as i64)), 126);
        }
        new_argv.copy_within(1..nargv, 1 + extra);
        let interp_p = keep_string(interp);
        new_argv[0] = interp_p as u64;
        if let Some(a) = arg {
            new_argv[1] = keep_string(a) as u64;
        }
        new_argv[extra] = path as u64;
        nargv += extra;
        path = interp_p;
    };
    let pathb = cbytes(path);
    let need = elf::header_len(&head[..n.max(64).min(head.len())]).unwrap_or(n);
    if need > head.len() {
        die(pathb, &ElfError::BadSegments, 126);
    }
    if need > n {
        die(pathb, &ElfError::Truncated, 126);
    }
    let loaded = load_elf(pathb, fd, &head[..n]);
    record_exe(fd);
    raw::syscall1(sys::__NR_close, fd as u64);

    // The aux vector: the kernel's, describing the program instead of the loader.
    // Kept (and patched by the runtime) unless `vdso=syscall` asks for it to be left out.
    let keep_vdso = cfg.get("vdso") != Some("syscall");
    let mut auxv = [(0u64, 0u64); 64];
    let mut na = 0;
    let mut vdso = 0;
    for i in 0..64 {
        // SAFETY: the kernel's aux vector, terminated by AT_NULL.
        let (k, v) = unsafe { (*kauxv.add(2 * i), *kauxv.add(2 * i + 1)) };
        if k == at::NULL {
            break;
        }
        let v = match k {
            at::PHDR => loaded.phdr,
            at::PHENT => 56,
            at::PHNUM => loaded.phnum,
            at::BASE => loaded.base,
            at::ENTRY => loaded.prog_entry,
            at::EXECFN => path0 as u64,
            at::SYSINFO_EHDR => {
                vdso = v;
                if !keep_vdso {
                    continue;
                }
                v
            }
            _ => v,
        };
        auxv[na] = (k, v);
        na += 1;
    }
    if vdso != 0 && !keep_vdso {
        if let Some(len) = vdso_len(vdso) {
            raw::munmap(vdso, len as usize);
        }
    }

    // SAFETY: envp is the NULL-terminated environment array (compacted by init_from_env).
    let envs = unsafe { core::slice::from_raw_parts(envp as *const u64, cstr_array_len(envp)) };
    let top = (sp0 as u64) & !15;
    // SAFETY: [sp0 - GAP, sp0) was left free by `_start`; the program's strings lie above sp0.
    let sp = match unsafe {
        stack::build(
            top,
            sp0 as u64 - GAP + 4096,
            &new_argv[..nargv],
            envs,
            &auxv[..na],
        )
    } {
        Some(sp) => sp,
        None => die(cbytes(path0), &Errno(-(sys::E2BIG as i64)), 126),
    };
    // The new aux vector, for the runtime (vDSO) and the trace's execve line.
    let new_auxv = sp + 8 * (1 + nargv as u64 + 1 + envs.len() as u64 + 1);

    // The tool: the parts the command asked for (trace, count, inject, clock, sandbox).
    rt::output::shared::attach();
    if !rt::output::ring::attach() && cfg.get("rings").is_some() {
        warn_line(&[b"sysgate: cannot map the trace rings (address space limit?): this image's trace lines are lost\n"]);
    }
    set_comm(cbytes(path0));
    let tool = match (hooks.init)(cfg) {
        Ok(t) => t,
        Err(e) => die(hooks.name, &e, 127),
    };
    // SAFETY: once, single-threaded, before the program's first instruction.
    if unsafe { rt::arm(tool, new_auxv) }.is_err() {
        raw::fatal("cannot arm the runtime (syscall user dispatch unavailable?)");
    }
    (hooks.armed)(Image {
        path: cbytes(path0),
        argv: argv as u64,
        envp: sp + 8 * (nargv as u64 + 2),
        auxv: new_auxv,
    });
    // SAFETY: a fully built initial stack and a mapped entry point.
    unsafe { sysgate_loader_jump(sp, loaded.entry) }
}

/// One line on the diagnostics descriptor (stderr if there is none).
pub fn warn_line(parts: &[&[u8]]) {
    let fd = rt::process::fds::diag_fd();
    let fd = if fd >= 0 { fd } else { 2 };
    let mut buf = [0u8; 512];
    let mut n = 0;
    for p in parts {
        let m = p.len().min(buf.len() - n);
        buf[n..n + m].copy_from_slice(&p[..m]);
        n += m;
    }
    raw::write_all(fd, &buf[..n]);
}

/// Remembers the program's absolute path (what `/proc/self/exe` names natively), from the
/// kernel's name for the open file.
fn record_exe(fd: i32) {
    let mut link = *b"/proc/self/fd/\0\0\0\0\0\0\0\0\0\0\0";
    let mut n = 14;
    let mut digits = [0u8; 10];
    let mut k = 0;
    let mut v = fd as u32;
    loop {
        digits[k] = b'0' + (v % 10) as u8;
        k += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    while k > 0 {
        k -= 1;
        link[n] = digits[k];
        n += 1;
    }
    let mut buf = [0u8; 4096];
    let r = raw::syscall3(
        sys::__NR_readlink,
        link.as_ptr() as u64,
        buf.as_mut_ptr() as u64,
        buf.len() as u64,
    );
    if r > 0 {
        config::set_exe(&buf[..r as usize]);
    }
}

/// The kernel names a process after the file it executed (the basename, 15 bytes at most);
/// it executed `sysgate-loader`, so the loader names it after the program.
fn set_comm(path: &[u8]) {
    const PR_SET_NAME: u64 = 15;
    let base = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    let mut name = [0u8; 16];
    let n = base.len().min(15);
    name[..n].copy_from_slice(&base[..n]);
    raw::syscall2(sys::__NR_prctl, PR_SET_NAME, name.as_ptr() as u64);
}

fn cstr_array_len(a: *mut *const u8) -> usize {
    let mut n = 0;
    // SAFETY: NULL-terminated pointer array.
    unsafe {
        while !(*a.add(n)).is_null() {
            n += 1;
        }
    }
    n
}

/// Length of the vDSO mapping at `base`, from its program headers.
fn vdso_len(base: u64) -> Option<u64> {
    let mut head = [0u8; 4096];
    if !guest::read(base, &mut head) {
        return None;
    }
    let p = elf::plan(&head).ok()?;
    Some((p.hi - p.lo + 4095) & !4095)
}

/// A panic in the loader or the tool it carries: one line, then the process ends.
pub fn panicked() -> ! {
    raw::fatal("panic in the loader or its tool")
}
