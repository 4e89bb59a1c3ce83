//! The host side of `sysgate trace -k`: a stack trace after every traced line, printed exactly
//! as `strace -k` (strace 6.1 with libunwind 1.6) prints it.
//!
//! What runs where: the traced program's threads only take a snapshot at each traced syscall
//! (the registers rip, rsp and rbp, and a bounded copy of the stack bytes from rsp up) and send
//! it with the line; whenever their mappings may have changed they also send the text of their
//! `/proc/self/maps`. Everything in this module runs in the `sysgate` process, never in the
//! program: it reads the mapped ELF files from disk (symbol tables and unwind sections, each
//! file once), unwinds the snapshot with `framehop` (DWARF CFI from `.eh_frame`/`.debug_frame`,
//! frame pointers where there is none) and writes the frames.
//!
//! What the lines mean and how they are chosen, after strace and libunwind:
//! - A frame is looked up in the process's mappings the way strace's mmap cache does: the
//!   mapping holding the address must have a path (anything after the inode, `[vdso]` too) and
//!   be executable. Then the line is ` > PATH(SYMBOL+0xOFF) [0xTRUE]`, or ` > PATH() [0xTRUE]`
//!   without a symbol, where TRUE = address - mapping start + mapping file offset.
//! - Otherwise (anonymous or JIT memory, a non-executable mapping) the line is
//!   ` > unexpected_backtracing_error [0xADDRESS]` and the walk stops there.
//! - At most 256 frames; if the stack goes on, ` > too many stack frames` follows them.
//! - Symbols are libunwind's: the nearest `STT_FUNC` symbol at or below the address, from
//!   `.symtab` and `.dynsym` alike (symbol sizes ignored), taken from a `.gnu_debuglink` file
//!   next to the binary when there is one; the offset must be smaller than the file's size.
//!   Every frame but the first is looked up at its return address minus one (the call
//!   instruction), and the offset shown is then one more, as libunwind does. Names are
//!   demangled as strace's libiberty `cplus_demangle(DMGL_AUTO | DMGL_PARAMS)` does: Rust
//!   (legacy and v0) without hashes, C++ with parameters.
//! - `[vdso]` has no file, so like strace it gets no symbol (` > [vdso]() [0x...]`); its unwind
//!   information is taken from this process's own vDSO (the same kernel image) so the walk goes
//!   on past it, where libunwind loses its way.
//! - Files shown " (deleted)" in the maps cannot be read: no symbols, no unwind information.
//! - The kernel's signal frames (glibc's `__restore_rt`, found by its CIE's 'S') are stepped
//!   here from the saved ucontext, which framehop cannot read.
//!
//! Where the output differs from strace's it is where libunwind 1.6 goes wrong and this walk
//! does not (checked against gdb): past `[vdso]`, and in Rust (lld-linked) and static
//! binaries, whose stacks strace cuts short or walks with frames skipped. Demangled C++ names
//! can differ in rare template forms (see `demangle_cxx`).

use std::collections::HashMap;
use std::fs::File;
use std::io::Write;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::sync::{Arc, Mutex};

use framehop::x86_64::{CacheX86_64, UnwindRegsX86_64, UnwinderX86_64};
use framehop::{ExplicitModuleSectionInfo, FrameAddress, Module, Unwinder};

/// strace's limit: frames printed per stack before ` > too many stack frames`.
const MAX_FRAMES: usize = 256;

/// Parsed files kept while no process maps them (the next program of a shell or a make maps
/// the same libc); past that many in the cache, they go when a process ends.
const IDLE_FILES: usize = 64;

/// In the kernel's x86-64 signal frame, at the stack pointer sigreturn starts from: the
/// offset of `ucontext_t.uc_mcontext.gregs` and the indexes of the registers unwound here.
const UC_GREGS: u64 = 40;
const REG_RBP: u64 = 10;
const REG_RSP: u64 = 15;
const REG_RIP: u64 = 16;

/// Section data shared between the file cache and framehop's modules.
type Data = Arc<[u8]>;

/// One frame of a stack, as data (`trace -k` in JSON).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Frame {
    /// The frame's address: the instruction pointer for the first frame, then return addresses.
    pub(crate) addr: u64,
    /// The path of the mapping holding `addr` (as the maps show it: `[vdso]`, " (deleted)"), or
    /// `None` when no executable mapping with a path holds it (strace's
    /// `unexpected_backtracing_error`; the walk stops after such a frame).
    pub(crate) module: Option<Arc<str>>,
    /// The demangled name of the nearest preceding symbol and the offset from it.
    pub(crate) symbol: Option<(Arc<str>, u64)>,
    /// strace's "true offset": `addr` - mapping start + mapping file offset (0 without a module).
    pub(crate) file_offset: u64,
}

/// Per-process mappings and unwinders, per-file symbol tables and unwind sections.
pub(crate) struct Stacks {
    procs: HashMap<u32, Arc<Process>>,
    /// Every ELF file seen in some process's maps, parsed once; `None`: it could not be read.
    files: HashMap<FileKey, Option<Arc<ElfFile>>>,
    /// This process's own vDSO image, read on first need (`None` inside: there is none).
    vdso: Option<Option<Arc<ElfFile>>>,
    /// framehop's rule cache, shared by all processes' unwinders (keyed by their generation).
    cache: CacheX86_64,
    /// framehop module generations used since `cache` was made: its generation counter is a
    /// global u16, so the cache is renewed before the counter can wrap onto stale rules.
    generations: usize,
}

impl Stacks {
    pub(crate) fn new() -> Stacks {
        Stacks {
            procs: HashMap::new(),
            files: HashMap::new(),
            vdso: None,
            cache: CacheX86_64::new(),
            generations: 0,
        }
    }

    /// Process `pid`'s mappings changed: `maps` is the text of its /proc/PID/maps as the
    /// process read it.
    pub(crate) fn set_maps(&mut self, pid: u32, maps: &[u8]) {
        let mut entries = Vec::new();
        for line in parse_maps(maps) {
            if !line.exec {
                continue;
            }
            let elf = self.elf_for(&line);
            entries.push(Entry {
                key: EntryKey {
                    start: line.start,
                    end: line.end,
                    offset: line.offset,
                    file: line.key,
                },
                module: None,
                symbolize: line.file_backed,
                bias: elf
                    .as_ref()
                    .and_then(|elf| load_bias(&elf.loads, line.start, line.offset)),
                symbol_bias: elf
                    .as_ref()
                    .and_then(|elf| load_bias(&elf.symbols.loads, line.start, line.offset)),
                elf,
            });
        }
        let old = self.procs.get(&pid);
        if let Some(old) = old {
            // Most changes are anonymous memory: keep the unwinder if the code did not move.
            if old
                .entries
                .iter()
                .map(|e| &e.key)
                .eq(entries.iter().map(|e| &e.key))
            {
                return;
            }
        }
        // Reuse the framehop modules of code that stayed where it was.
        let mut reusable: HashMap<&EntryKey, &Module<Data>> = HashMap::new();
        if let Some(old) = old {
            for e in &old.entries {
                if let Some(m) = &e.module {
                    reusable.insert(&e.key, m);
                }
            }
        }
        let mut unwinder = UnwinderX86_64::new();
        let mut generations = 1;
        for e in &mut entries {
            e.module = match reusable.get(&e.key) {
                Some(m) => Some((*m).clone()),
                None => match (&e.elf, e.bias) {
                    (Some(elf), Some(bias)) => unwind_module(&e.key, bias, elf),
                    _ => None,
                },
            };
            if let Some(m) = &e.module {
                unwinder.add_module(m.clone());
                generations += 1;
            }
        }
        self.count_generations(generations);
        self.procs
            .insert(pid, Arc::new(Process { entries, unwinder }));
    }

    /// A process ended: free its state (and, past `IDLE_FILES`, the files no process maps).
    pub(crate) fn forget(&mut self, pid: u32) {
        if self.procs.remove(&pid).is_some() && self.files.len() > IDLE_FILES {
            self.prune_files();
        }
    }

    /// Drops the parsed files that no process maps any more.
    fn prune_files(&mut self) {
        self.files
            .retain(|_, elf| elf.as_ref().is_some_and(|elf| Arc::strong_count(elf) > 1));
    }

    /// The frames of a snapshot, written as strace -k's lines into `out`.
    pub(crate) fn write_frames(
        &mut self,
        pid: u32,
        rip: u64,
        rsp: u64,
        rbp: u64,
        stack: &[u8],
        out: &mut Vec<u8>,
    ) {
        let (frames, more) = self.walk(pid, rip, rsp, rbp, stack);
        for f in &frames {
            // Writing into a Vec cannot fail.
            let _ = match (&f.module, &f.symbol) {
                (Some(m), Some((s, off))) => {
                    writeln!(out, " > {m}({s}+{off:#x}) [{:#x}]", f.file_offset)
                }
                (Some(m), None) => writeln!(out, " > {m}() [{:#x}]", f.file_offset),
                (None, _) => writeln!(out, " > unexpected_backtracing_error [{:#x}]", f.addr),
            };
        }
        if more {
            out.extend_from_slice(b" > too many stack frames\n");
        }
    }

    /// The same frames as data: at most 256, without strace's "too many" mark.
    pub(crate) fn frames(
        &mut self,
        pid: u32,
        rip: u64,
        rsp: u64,
        rbp: u64,
        stack: &[u8],
    ) -> Vec<Frame> {
        self.walk(pid, rip, rsp, rbp, stack).0
    }

    /// Unwinds a snapshot: its frames, and whether the stack went on past `MAX_FRAMES`.
    fn walk(&mut self, pid: u32, rip: u64, rsp: u64, rbp: u64, stack: &[u8]) -> (Vec<Frame>, bool) {
        let Some(process) = self.procs.get(&pid).cloned() else {
            // No maps yet: no address is in a known mapping.
            return match rip {
                0 => (Vec::new(), false),
                _ => (
                    vec![Frame {
                        addr: rip,
                        module: None,
                        symbol: None,
                        file_offset: 0,
                    }],
                    false,
                ),
            };
        };
        // Stack words come from the snapshot only: [rsp, rsp + len).
        let mut read_stack = |addr: u64| -> Result<u64, ()> {
            let at = usize::try_from(addr.checked_sub(rsp).ok_or(())?).map_err(|_| ())?;
            let word = stack.get(at..at.checked_add(8).ok_or(())?).ok_or(())?;
            Ok(u64::from_le_bytes(word.try_into().map_err(|_| ())?))
        };
        let mut regs = UnwindRegsX86_64::new(rip, rsp, rbp);
        let mut address = FrameAddress::InstructionPointer(rip);
        let mut frames = Vec::new();
        // Like strace's loop: a frame, then a step; an error or the end of the stack stops it
        // silently (a null return address too).
        loop {
            let addr = address.address();
            if addr == 0 {
                break;
            }
            if frames.len() == MAX_FRAMES {
                return (frames, true);
            }
            let frame = process.frame(addr, address.is_return_address());
            if frame.module.is_none() {
                frames.push(frame);
                break;
            }
            frames.push(frame);
            let next = if process.is_signal_trampoline(address.address_for_lookup()) {
                // The kernel's signal frame, which framehop cannot read: rsp points at the
                // ucontext that rt_sigreturn restores; the interrupted instruction is no
                // return address (libunwind's use_prev_instr = 0 after a signal frame).
                let greg = |i: u64| read_stack(regs.sp().checked_add(UC_GREGS + 8 * i)?).ok();
                match (greg(REG_RIP), greg(REG_RSP), greg(REG_RBP)) {
                    (Some(ip), Some(sp), Some(bp)) => {
                        regs = UnwindRegsX86_64::new(ip, sp, bp);
                        Some(FrameAddress::InstructionPointer(ip))
                    }
                    _ => None,
                }
            } else {
                match process.unwinder.unwind_frame(
                    address,
                    &mut regs,
                    &mut self.cache,
                    &mut read_stack,
                ) {
                    Ok(Some(ra)) => FrameAddress::from_return_address(ra),
                    Ok(None) | Err(_) => None,
                }
            };
            match next {
                Some(next) => address = next,
                None => break,
            }
        }
        (frames, false)
    }

    /// The ELF image behind an executable mapping, from the cache or read now.
    fn elf_for(&mut self, line: &MapsLine) -> Option<Arc<ElfFile>> {
        if line.path.as_ref() == "[vdso]" {
            let own = self
                .vdso
                .get_or_insert_with(|| read_own_vdso().map(Arc::new));
            // The same kernel's image is the same size; anything else is not ours to use.
            return own.clone().filter(|v| v.size == line.end - line.start);
        }
        if !line.file_backed {
            return None;
        }
        self.files
            .entry(line.key.clone())
            .or_insert_with(|| ElfFile::read(&line.path).map(Arc::new))
            .clone()
    }

    /// framehop's module generations bumped by one more unwinder (see `generations`).
    fn count_generations(&mut self, n: usize) {
        self.generations += n;
        if self.generations > 60_000 {
            self.cache = CacheX86_64::new();
            self.generations = 0;
        }
    }
}

/// One process's executable mappings and its unwinder.
struct Process {
    /// The executable mappings with a path, in address order (strace's mmap cache, less the
    /// mappings that could never hold a frame).
    entries: Vec<Entry>,
    unwinder: UnwinderX86_64<Data>,
}

impl Process {
    /// Whether the code at `lookup` is a signal trampoline (its FDE's CIE says 'S').
    fn is_signal_trampoline(&self, lookup: u64) -> bool {
        let i = self.entries.partition_point(|e| e.key.start <= lookup);
        let Some(e) = i.checked_sub(1).map(|i| &self.entries[i]) else {
            return false;
        };
        match (&e.elf, e.bias) {
            (Some(elf), Some(bias)) if lookup < e.key.end => {
                let svma = lookup.wrapping_sub(bias);
                elf.unwind
                    .signal_trampolines
                    .iter()
                    .any(|r| r.contains(&svma))
            }
            _ => false,
        }
    }

    /// The frame at `addr`; `is_return`: a return address (looked up at `addr - 1`).
    fn frame(&self, addr: u64, is_return: bool) -> Frame {
        let i = self.entries.partition_point(|e| e.key.start <= addr);
        let Some(e) = i
            .checked_sub(1)
            .map(|i| &self.entries[i])
            .filter(|e| addr < e.key.end)
        else {
            return Frame {
                addr,
                module: None,
                symbol: None,
                file_offset: 0,
            };
        };
        let symbol = match (&e.elf, e.symbolize) {
            (Some(elf), true) => {
                let ip = addr - u64::from(is_return);
                // Without a segment for the mapping libunwind's load offset is 0: ip as is.
                let svma = ip.wrapping_sub(e.symbol_bias.unwrap_or(0));
                elf.symbols
                    .lookup(svma, ip)
                    .map(|(name, off)| (name, off + u64::from(is_return)))
            }
            _ => None,
        };
        Frame {
            addr,
            module: Some(e.key.file.path.clone()),
            symbol,
            file_offset: addr - e.key.start + e.key.offset,
        }
    }
}

/// An executable mapping of a process.
struct Entry {
    key: EntryKey,
    /// Its image (a file on disk, or the vDSO) when it could be read.
    elf: Option<Arc<ElfFile>>,
    /// Look up symbols (a file path: not `[vdso]`, whose name libunwind cannot open).
    symbolize: bool,
    /// The load bias of the mapping's segment (address = bias + the ELF's virtual address).
    bias: Option<u64>,
    /// The same through the program headers of the file the symbols came from (a debug
    /// file's can differ: objcopy --only-keep-debug zeroes their offsets, and then libunwind
    /// finds no segment and no symbol).
    symbol_bias: Option<u64>,
    /// Its framehop module, when its image has unwind information.
    module: Option<Module<Data>>,
}

/// What identifies a mapping across maps updates.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct EntryKey {
    start: u64,
    end: u64,
    offset: u64,
    file: FileKey,
}

/// A file as the maps name it: the per-file cache's key.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
struct FileKey {
    path: Arc<str>,
    dev: Arc<str>,
    inode: u64,
}

/// The framehop module of mapping `key` of `elf` (at load bias `bias`), if `elf` has unwind
/// information.
fn unwind_module(key: &EntryKey, bias: u64, elf: &ElfFile) -> Option<Module<Data>> {
    let u = &elf.unwind;
    if u.eh_frame.is_none() && u.debug_frame.is_none() {
        return None;
    }
    let info = ExplicitModuleSectionInfo {
        base_svma: 0,
        text_svma: u.text.clone(),
        text: None,
        stubs_svma: None,
        stub_helper_svma: None,
        got_svma: u.got.clone(),
        unwind_info: None,
        eh_frame_svma: u.eh_frame.as_ref().map(|(_, r)| r.clone()),
        eh_frame: u.eh_frame.as_ref().map(|(d, _)| d.clone()),
        eh_frame_hdr_svma: u.eh_frame_hdr.as_ref().map(|(_, r)| r.clone()),
        eh_frame_hdr: u.eh_frame_hdr.as_ref().map(|(d, _)| d.clone()),
        debug_frame: u.debug_frame.clone(),
        text_segment_svma: None,
        text_segment: None,
    };
    Some(Module::new(
        key.file.path.to_string(),
        key.start..key.end,
        bias,
        info,
    ))
}

// ---------------------------------------------------------------------------------------------
// /proc/PID/maps

/// One line of /proc/PID/maps that strace's mmap cache keeps.
struct MapsLine {
    start: u64,
    end: u64,
    offset: u64,
    exec: bool,
    /// The path is a file's (starts with '/', not " (deleted)"): it can be read from disk.
    file_backed: bool,
    path: Arc<str>,
    key: FileKey,
}

/// The lines of a maps text that strace keeps, in order: `start-end perms offset dev inode
/// path`, with a non-empty path, known permission letters, and neither a duplicate of nor
/// overlapping the previous line kept.
fn parse_maps(maps: &[u8]) -> Vec<MapsLine> {
    let mut kept: Vec<MapsLine> = Vec::new();
    for line in maps.split(|&b| b == b'\n') {
        let Some(l) = parse_maps_line(line) else {
            continue;
        };
        if let Some(prev) = kept.last() {
            if prev.start == l.start && prev.end == l.end {
                continue; // a duplicate, e.g. [vsyscall]
            }
            if l.start <= prev.start || l.start < prev.end {
                continue; // overlapping or out of order
            }
        }
        kept.push(l);
    }
    kept
}

fn parse_maps_line(line: &[u8]) -> Option<MapsLine> {
    let line = String::from_utf8_lossy(line);
    let mut rest: &str = &line;
    let mut field = || -> Option<&str> {
        let t = rest.trim_start_matches([' ', '\t']);
        let end = t.find([' ', '\t']).unwrap_or(t.len());
        let (f, r) = t.split_at(end);
        rest = r;
        (!f.is_empty()).then_some(f)
    };
    let (start, end) = field()?.split_once('-')?;
    let perms = field()?.as_bytes();
    let offset = field()?;
    let dev = field()?;
    let inode = field()?;
    let path = rest.trim_start_matches([' ', '\t']);
    let (start, end) = (
        u64::from_str_radix(start, 16).ok()?,
        u64::from_str_radix(end, 16).ok()?,
    );
    let offset = u64::from_str_radix(offset, 16).ok()?;
    let inode = inode.parse::<u64>().ok()?;
    if path.is_empty() || end < start || perms.len() < 4 {
        return None;
    }
    let ok = matches!(perms[0], b'r' | b'-')
        && matches!(perms[1], b'w' | b'-')
        && matches!(perms[2], b'x' | b'-')
        && matches!(perms[3], b'p' | b's');
    if !ok {
        return None;
    }
    let path: Arc<str> = Arc::from(path);
    Some(MapsLine {
        start,
        end,
        offset,
        exec: perms[2] == b'x',
        file_backed: path.starts_with('/') && !path.ends_with(" (deleted)"),
        key: FileKey {
            path: path.clone(),
            dev: Arc::from(dev),
            inode,
        },
        path,
    })
}

// ---------------------------------------------------------------------------------------------
// ELF images: only the parts needed here are read (headers, symbol tables, unwind sections),
// never a whole file, which may carry hundreds of MiB of debug information.

/// Where an ELF image's bytes come from.
enum Image {
    /// A file and its size.
    File(File, u64),
    Memory(Vec<u8>),
}

impl Image {
    /// `len` bytes at `offset`, all of them or none.
    fn read(&self, offset: u64, len: u64) -> Option<Vec<u8>> {
        let end = offset.checked_add(len)?;
        if end > self.size() {
            return None;
        }
        match self {
            Image::File(f, _) => {
                let mut buf = vec![0u8; usize::try_from(len).ok()?];
                f.read_exact_at(&mut buf, offset).ok()?;
                Some(buf)
            }
            Image::Memory(m) => Some(
                m.get(usize::try_from(offset).ok()?..usize::try_from(end).ok()?)?
                    .to_vec(),
            ),
        }
    }

    fn open(path: &str) -> Option<Image> {
        let file = File::open(path).ok()?;
        let size = file.metadata().ok()?.len();
        Some(Image::File(file, size))
    }

    fn size(&self) -> u64 {
        match self {
            Image::File(_, size) => *size,
            Image::Memory(m) => m.len() as u64,
        }
    }
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    b.get(at..at + 2)
        .map_or(0, |w| u16::from_le_bytes([w[0], w[1]]))
}
fn u32_at(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .map_or(0, |w| u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}
fn u64_at(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|w| w.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

const PT_LOAD: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_NOBITS: u32 = 8;
const SHT_DYNSYM: u32 = 11;
const SHF_COMPRESSED: u64 = 0x800;
const STT_FUNC: u8 = 2;
const SHN_UNDEF: u16 = 0;
const SHN_ABS: u16 = 0xfff1;
const SHN_XINDEX: u16 = 0xffff;
const PAGE_MASK: u64 = !0xfff;
const PF_X: u32 = 1;

/// A PT_LOAD program header.
#[derive(Clone)]
struct Load {
    offset: u64,
    vaddr: u64,
    filesz: u64,
    exec: bool,
}

/// A section header.
struct Section {
    name: Vec<u8>,
    kind: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    entsize: u64,
}

/// An ELF64 little-endian image's program and section headers.
struct Headers {
    loads: Vec<Load>,
    sections: Vec<Section>,
}

impl Headers {
    fn read(image: &Image) -> Option<Headers> {
        let eh = image.read(0, 64)?;
        // libunwind's valid_object: the magic, 64-bit, a known version (and little-endian here).
        if &eh[..4] != b"\x7fELF" || eh[4] != 2 || eh[5] != 1 || eh[6] != 1 {
            return None;
        }
        let (phoff, shoff) = (u64_at(&eh, 32), u64_at(&eh, 40));
        let (phentsize, phnum) = (u16_at(&eh, 54), u16_at(&eh, 56));
        let (shentsize, mut shnum, mut shstrndx) = (
            u16_at(&eh, 58),
            u16_at(&eh, 60) as u64,
            u16_at(&eh, 62) as u32,
        );

        let mut loads = Vec::new();
        if phentsize >= 56 {
            let ph = image.read(phoff, u64::from(phentsize) * u64::from(phnum))?;
            for p in ph.chunks_exact(usize::from(phentsize)) {
                if u32_at(p, 0) == PT_LOAD {
                    loads.push(Load {
                        offset: u64_at(p, 8),
                        vaddr: u64_at(p, 16),
                        filesz: u64_at(p, 32),
                        exec: u32_at(p, 4) & PF_X != 0,
                    });
                }
            }
        }

        let mut sections = Vec::new();
        if shoff != 0 && shentsize >= 64 {
            // Extended numbering: the count and the names' index in section 0.
            let first = image.read(shoff, 64)?;
            if shnum == 0 {
                shnum = u64_at(&first, 32);
            }
            if shstrndx == u32::from(SHN_XINDEX) {
                shstrndx = u32_at(&first, 40);
            }
            let sh = image.read(shoff, u64::from(shentsize).checked_mul(shnum)?)?;
            let raw: Vec<&[u8]> = sh.chunks_exact(usize::from(shentsize)).collect();
            let names = raw
                .get(shstrndx as usize)
                .and_then(|s| image.read(u64_at(s, 24), u64_at(s, 32)));
            for s in raw {
                let name = names
                    .as_deref()
                    .and_then(|n| n.get(u32_at(s, 0) as usize..))
                    .map(|n| n.split(|&b| b == 0).next().unwrap_or_default().to_vec())
                    .unwrap_or_default();
                sections.push(Section {
                    name,
                    kind: u32_at(s, 4),
                    flags: u64_at(s, 8),
                    addr: u64_at(s, 16),
                    offset: u64_at(s, 24),
                    size: u64_at(s, 32),
                    link: u32_at(s, 40),
                    entsize: u64_at(s, 56),
                });
            }
        }
        Some(Headers { loads, sections })
    }

    fn section(&self, name: &[u8]) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// A section's bytes as stored in the image (none for NOBITS or compressed sections).
    fn data(&self, image: &Image, s: &Section) -> Option<Vec<u8>> {
        if s.kind == SHT_NOBITS || s.flags & SHF_COMPRESSED != 0 {
            return None;
        }
        image.read(s.offset, s.size)
    }
}

/// What is kept of one ELF file: enough to symbolize and unwind its code.
struct ElfFile {
    /// The image's size (the vDSO's: its mapping's size).
    size: u64,
    loads: Vec<Load>,
    symbols: Symbols,
    unwind: UnwindSections,
}

/// The sections framehop unwinds with, and the address ranges it resolves pointers against.
#[derive(Default)]
struct UnwindSections {
    eh_frame: Option<(Data, Range<u64>)>,
    eh_frame_hdr: Option<(Data, Range<u64>)>,
    debug_frame: Option<Data>,
    text: Option<Range<u64>>,
    got: Option<Range<u64>>,
    /// The code ranges of signal trampolines (glibc's `__restore_rt`), found in .eh_frame.
    signal_trampolines: Vec<Range<u64>>,
}

impl ElfFile {
    /// Reads the file at `path`; `None` if it is no readable ELF image.
    fn read(path: &str) -> Option<ElfFile> {
        let image = Image::open(path)?;
        let headers = Headers::read(&image)?;
        // libunwind takes symbols from the debug file a .gnu_debuglink names, when it is
        // found beside the binary (PATH's directory, or its .debug/; its third place,
        // /usr/lib/debug + the directory, never matches: it is built from /proc/PID/root/...).
        let debug = debuglink(&image, &headers, path).and_then(|p| {
            let image = Image::open(&p)?;
            let headers = Headers::read(&image)?;
            Some(Symbols::read(&image, &headers))
        });
        let symbols = debug.unwrap_or_else(|| Symbols::read(&image, &headers));
        Some(ElfFile::new(&image, headers, symbols))
    }

    fn new(image: &Image, headers: Headers, symbols: Symbols) -> ElfFile {
        let with_range = |name: &[u8]| {
            let s = headers.section(name)?;
            Some((Data::from(headers.data(image, s)?), s.addr..s.addr + s.size))
        };
        let range = |name: &[u8]| headers.section(name).map(|s| s.addr..s.addr + s.size);
        let eh_frame = with_range(b".eh_frame");
        let unwind = UnwindSections {
            eh_frame_hdr: eh_frame.as_ref().and_then(|_| with_range(b".eh_frame_hdr")),
            // framehop reads .debug_frame only without .eh_frame.
            debug_frame: match eh_frame {
                None => with_range(b".debug_frame").map(|(d, _)| d),
                Some(_) => None,
            },
            signal_trampolines: eh_frame.as_ref().map_or_else(Vec::new, |(data, at)| {
                signal_trampolines(data, at.start, range(b".text"), range(b".got"))
            }),
            eh_frame,
            text: range(b".text"),
            got: range(b".got"),
        };
        ElfFile {
            size: image.size(),
            loads: headers.loads,
            symbols,
            unwind,
        }
    }
}

/// The load bias of an executable mapping at `start` of file offset `offset`: the
/// mapping's address minus the virtual address the ELF states for it.
///
/// The mapping's segment is the executable PT_LOAD whose page-aligned offset is the
/// mapping's (libunwind's match; with lld's layouts the page also holds the end of the
/// segment before), else one whose pages hold the offset (a mapping split by mprotect).
fn load_bias(loads: &[Load], start: u64, offset: u64) -> Option<u64> {
    let aligned = |l: &&Load| l.offset & PAGE_MASK == offset;
    let holds = |l: &&Load| l.offset & PAGE_MASK <= offset && offset < l.offset + l.filesz;
    let load = (loads.iter().filter(|l| l.exec).find(aligned))
        .or_else(|| loads.iter().find(aligned))
        .or_else(|| loads.iter().filter(|l| l.exec).rfind(holds))
        .or_else(|| loads.iter().rfind(holds))?;
    // start = bias + (vaddr's page) + (offset - offset's page)
    let page_vaddr = load.vaddr & PAGE_MASK;
    Some(
        start
            .wrapping_sub(offset - (load.offset & PAGE_MASK))
            .wrapping_sub(page_vaddr),
    )
}

/// The code ranges of the FDEs in `eh_frame` (at `eh_frame_svma`) whose CIE marks signal
/// frames ('S' augmentation). Only files with such a CIE (libc) have their FDEs parsed.
fn signal_trampolines(
    eh_frame: &[u8],
    eh_frame_svma: u64,
    text: Option<Range<u64>>,
    got: Option<Range<u64>>,
) -> Vec<Range<u64>> {
    use gimli::{BaseAddresses, CieOrFde, EhFrame, LittleEndian, UnwindSection};
    let section = EhFrame::new(eh_frame, LittleEndian);
    let mut bases = BaseAddresses::default().set_eh_frame(eh_frame_svma);
    if let Some(text) = text {
        bases = bases.set_text(text.start);
    }
    if let Some(got) = got {
        bases = bases.set_got(got.start);
    }
    let mut signal_cies = Vec::new();
    let mut entries = section.entries(&bases);
    while let Ok(Some(entry)) = entries.next() {
        if let CieOrFde::Cie(cie) = entry {
            if cie.is_signal_trampoline() {
                signal_cies.push(cie.offset());
            }
        }
    }
    let mut ranges = Vec::new();
    if signal_cies.is_empty() {
        return ranges;
    }
    let mut entries = section.entries(&bases);
    while let Ok(Some(entry)) = entries.next() {
        if let CieOrFde::Fde(partial) = entry {
            if signal_cies.contains(&partial.cie_offset().0) {
                if let Ok(fde) = partial.parse(EhFrame::cie_from_offset) {
                    ranges.push(fde.initial_address()..fde.end_address());
                }
            }
        }
    }
    ranges
}

/// The PATH of a .gnu_debuglink debug file that exists beside `path`.
fn debuglink(image: &Image, headers: &Headers, path: &str) -> Option<String> {
    let s = headers.section(b".gnu_debuglink")?;
    if s.size >= 4096 {
        return None;
    }
    let data = headers.data(image, s)?;
    let end = data.iter().position(|&b| b == 0)?;
    let name = std::str::from_utf8(&data[..end]).ok()?;
    let dir = path.rfind('/').map_or("", |i| &path[..i]);
    [format!("{dir}/{name}"), format!("{dir}/.debug/{name}")]
        .into_iter()
        .find(|p| Image::open(p).and_then(|i| Headers::read(&i)).is_some())
}

/// A function symbol.
struct Symbol {
    value: u64,
    /// Where libunwind meets it (section headers, then symbols, in order): ties go to the first.
    order: u32,
    name: Range<u32>,
}

/// The function symbols of .symtab and .dynsym together, as libunwind searches them.
#[derive(Default)]
struct Symbols {
    /// The size of the file they came from: libunwind rejects distances not below it.
    size: u64,
    /// That file's PT_LOAD segments.
    loads: Vec<Load>,
    /// Symbols relative to the load address, by value (one per value: the first met).
    relative: Vec<Symbol>,
    /// SHN_ABS symbols, compared with the raw address.
    absolute: Vec<Symbol>,
    names: Vec<u8>,
    /// Names already demangled, by `order`.
    demangled: Mutex<HashMap<u32, Arc<str>>>,
}

impl Symbols {
    fn read(image: &Image, headers: &Headers) -> Symbols {
        let mut syms = Symbols {
            size: image.size(),
            loads: headers.loads.clone(),
            ..Symbols::default()
        };
        let mut order = 0u32;
        for s in &headers.sections {
            if (s.kind != SHT_SYMTAB && s.kind != SHT_DYNSYM) || s.entsize < 24 {
                continue;
            }
            let strings = headers
                .sections
                .get(s.link as usize)
                .and_then(|t| headers.data(image, t));
            let (Some(table), Some(strings)) = (headers.data(image, s), strings) else {
                continue;
            };
            for sym in table.chunks(s.entsize as usize).filter(|c| c.len() >= 24) {
                let (info, shndx) = (sym[4], u16_at(sym, 6));
                if info & 0xf != STT_FUNC || shndx == SHN_UNDEF {
                    continue;
                }
                let name = strings.get(u32_at(sym, 0) as usize..).unwrap_or_default();
                let name = &name[..name.iter().position(|&b| b == 0).unwrap_or(name.len())];
                let Ok(start) = u32::try_from(syms.names.len()) else {
                    break;
                };
                syms.names.extend_from_slice(name);
                let end = start + name.len() as u32;
                let symbol = Symbol {
                    value: u64_at(sym, 8),
                    order,
                    name: start..end,
                };
                order += 1;
                match shndx {
                    SHN_ABS => syms.absolute.push(symbol),
                    _ => syms.relative.push(symbol),
                }
            }
        }
        // By value, the first met first; then one per value.
        syms.relative.sort_by_key(|s| (s.value, s.order));
        syms.relative.dedup_by_key(|s| s.value);
        syms
    }

    /// The nearest symbol at or below `svma` (relative ones) or `ip` (absolute ones), its
    /// demangled name and the distance; `None` if it is not closer than the file's size.
    fn lookup(&self, svma: u64, ip: u64) -> Option<(Arc<str>, u64)> {
        let i = self.relative.partition_point(|s| s.value <= svma);
        let relative = i
            .checked_sub(1)
            .map(|i| (svma - self.relative[i].value, &self.relative[i]));
        let absolute = self
            .absolute
            .iter()
            .filter(|s| s.value <= ip)
            .map(|s| (ip - s.value, s))
            .min_by_key(|(d, s)| (*d, s.order));
        let (dist, sym) = match (relative, absolute) {
            (Some(r), Some(a)) => std::cmp::min_by_key(r, a, |(d, s)| (*d, s.order)),
            (r, a) => r.or(a)?,
        };
        if dist >= self.size {
            return None;
        }
        Some((self.name(sym), dist))
    }

    fn name(&self, sym: &Symbol) -> Arc<str> {
        let mut cache = self.demangled.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(sym.order)
            .or_insert_with(|| {
                let raw = &self.names[sym.name.start as usize..sym.name.end as usize];
                Arc::from(demangle(&String::from_utf8_lossy(raw)))
            })
            .clone()
    }
}

/// This process's vDSO, read from its own memory: the kernel maps the same image into
/// every 64-bit process, so its unwind information serves the traced program's too.
fn read_own_vdso() -> Option<ElfFile> {
    let maps = std::fs::read("/proc/self/maps").ok()?;
    let line = parse_maps(&maps)
        .into_iter()
        .find(|l| l.path.as_ref() == "[vdso]")?;
    let mut bytes = vec![0u8; usize::try_from(line.end - line.start).ok()?];
    File::open("/proc/self/mem")
        .ok()?
        .read_exact_at(&mut bytes, line.start)
        .ok()?;
    let image = Image::Memory(bytes);
    let headers = Headers::read(&image)?;
    // No symbols: strace shows none for [vdso].
    Some(ElfFile::new(&image, headers, Symbols::default()))
}

// ---------------------------------------------------------------------------------------------
// Demangling, as strace's libiberty cplus_demangle(name, DMGL_AUTO | DMGL_PARAMS): Rust first
// (legacy `_ZN...17h<hash>E` and v0 `_R...`, without hashes), then C++ (with parameters);
// a name neither takes stays as it is.

fn demangle(raw: &str) -> String {
    // v0: whatever follows a '.' is dropped; legacy: the `.suffix` after the hash too.
    let rust = match raw.strip_prefix("_R") {
        Some(_) => Some(raw.split('.').next().unwrap_or(raw)),
        None => legacy_rust(raw),
    };
    if let Some(Ok(d)) = rust.map(rustc_demangle::try_demangle) {
        return format!("{d:#}");
    }
    if raw.starts_with("_Z") {
        if let Some(d) = demangle_cxx(raw) {
            return d;
        }
    }
    raw.to_owned()
}

/// A C++ name as libiberty prints it: cpp_demangle's output, with libiberty's ways where the
/// two differ systematically (thunks, integer literals, empty packs, std:: abbreviations).
/// Checked against binutils' `c++filt -i` on 90,000 names of libstdc++, LLVM, clang, ICU
/// and Rust programs: 98.8% the same; the rest are cpp_demangle's own slips (parameter packs
/// spelled out in argument lists, a template parameter repeated in a constructor's arguments).
fn demangle_cxx(raw: &str) -> Option<String> {
    // Thunks: libiberty names the target; cpp_demangle prints `{virtual override thunk(...)}`.
    if let Some(rest) = raw.strip_prefix("_ZT") {
        let thunk = match rest.as_bytes().first() {
            Some(b'h') => Some(("non-virtual thunk to ", skip_call_offset(rest))),
            Some(b'v') => Some(("virtual thunk to ", skip_call_offset(rest))),
            Some(b'c') => Some((
                "covariant return thunk to ",
                skip_call_offset(&rest[1..]).and_then(skip_call_offset),
            )),
            _ => None,
        };
        if let Some((text, target)) = thunk {
            return Some(format!(
                "{text}{}",
                demangle_cxx(&format!("_Z{}", target?))?
            ));
        }
    }
    let d = cpp_demangle::Symbol::new(raw.as_bytes())
        .ok()?
        .demangle()
        .ok()?;
    Some(libiberty_literals(&libiberty_std_names(raw, d)))
}

/// A thunk's call offset skipped: `h` N `_`, or `v` N `_` N `_`.
fn skip_call_offset(s: &str) -> Option<&str> {
    let (kind, mut rest) = s.split_at_checked(1)?;
    let numbers = match kind {
        "h" => 1,
        "v" => 2,
        _ => return None,
    };
    for _ in 0..numbers {
        rest = &rest[rest.find('_')? + 1..];
    }
    Some(rest)
}

/// libiberty's names where cpp_demangle's differ: empty parameter packs, `decltype(nullptr)`,
/// and the std:: abbreviations (without DMGL_VERBOSE): `Si` and `Sd` are `std::istream` and
/// `std::iostream` as `So` and `Ss` are `std::ostream` and `std::string`, except as the class
/// of a constructor or destructor, named in full (`std::basic_string<char, ...>::basic_string`).
/// cpp_demangle spells `Si`, `Sd` out and abbreviates those classes.
fn libiberty_std_names(raw: &str, mut d: String) -> String {
    const TRAITS: &str = "<char, std::char_traits<char> >";
    const STRING: &str = "<char, std::char_traits<char>, std::allocator<char> >";
    for (full, short, spelled) in [
        (
            format!("std::basic_istream{TRAITS}"),
            "std::istream",
            "13basic_istream",
        ),
        (
            format!("std::basic_iostream{TRAITS}"),
            "std::iostream",
            "14basic_iostream",
        ),
    ] {
        // Only where the full name can only have come from the abbreviation: a name spelled
        // out (`St13basic_istreamIT_T0_E` for char) stays in full, as libiberty has it.
        if !raw.contains(spelled) {
            d = d.replace(&full, short);
        }
    }
    // An empty parameter pack after other template arguments leaves nothing behind.
    d = d.replace(", >", ">");
    // `Dn` is `decltype(nullptr)` to libiberty.
    if raw.contains("Dn") && !raw.contains("nullptr_t") {
        d = d.replace("std::nullptr_t", "decltype(nullptr)");
    }
    for (short, ctor, class) in [
        (
            "std::istream",
            "basic_istream",
            format!("std::basic_istream{TRAITS}"),
        ),
        (
            "std::iostream",
            "basic_iostream",
            format!("std::basic_iostream{TRAITS}"),
        ),
        (
            "std::ostream",
            "ostream",
            format!("std::basic_ostream{TRAITS}"),
        ),
        (
            "std::string",
            "string",
            format!("std::basic_string{STRING}"),
        ),
    ] {
        let base = &class[..class.find('<').unwrap_or(class.len())];
        let name = &base["std::".len()..];
        for tilde in ["", "~"] {
            let from = format!("{short}::{tilde}{ctor}");
            let to = format!("{class}::{tilde}{name}");
            let mut out = String::with_capacity(d.len());
            let mut rest = d.as_str();
            while let Some(i) = rest.find(&from) {
                let after = &rest[i + from.len()..];
                out.push_str(&rest[..i]);
                // Only the constructor itself: `(`, `<`, ` [clone` or the end follows.
                let whole = after.is_empty() || after.starts_with(['(', '<', ' ']);
                out.push_str(if whole { &to } else { &from });
                rest = after;
            }
            out.push_str(rest);
            d = out;
        }
    }
    d
}

/// libiberty's integer literals in template arguments: `1l`, `1ul`, `1u`, `1ll`, `1ull` for
/// cpp_demangle's `(long)1` and so on.
fn libiberty_literals(d: &str) -> String {
    const SUFFIXES: [(&str, &str); 5] = [
        ("(unsigned long long)", "ull"),
        ("(long long)", "ll"),
        ("(unsigned long)", "ul"),
        ("(unsigned int)", "u"),
        ("(long)", "l"),
    ];
    let mut out = String::with_capacity(d.len());
    let mut rest = d;
    'scan: while !rest.is_empty() {
        for (cast, suffix) in SUFFIXES {
            if let Some(after) = rest.strip_prefix(cast) {
                let digits = after.strip_prefix('-').unwrap_or(after);
                let n = digits.bytes().take_while(u8::is_ascii_digit).count();
                if n > 0 {
                    let len = after.len() - digits.len() + n;
                    out.push_str(&after[..len]);
                    out.push_str(suffix);
                    rest = &after[len..];
                    continue 'scan;
                }
            }
        }
        let c = rest.chars().next().unwrap_or_default();
        out.push(c);
        rest = &rest[c.len_utf8()..];
    }
    out
}

/// libiberty's test for a legacy Rust symbol: `_ZN`, then path segments whose last is `17h` +
/// 16 hex digits, then `E`, maybe followed by a `.suffix`. The symbol without the suffix.
fn legacy_rust(raw: &str) -> Option<&str> {
    if !raw.starts_with("_ZN") {
        return None;
    }
    // The hash's `E` is the first one followed by the end or a '.'.
    let end = raw
        .match_indices('E')
        .map(|(i, _)| i)
        .find(|&i| matches!(raw.as_bytes().get(i + 1), None | Some(b'.')))?;
    let body = &raw[..end];
    let hash = body.get(body.len().checked_sub(19)?..)?;
    (hash.starts_with("17h") && hash[3..].bytes().all(|b| b.is_ascii_hexdigit()))
        .then_some(&raw[..=end])
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hint::black_box;

    /// Checks a line against strace -k's three forms (and the "too many" mark).
    fn check_strace_line(line: &str) {
        let body = line
            .strip_prefix(" > ")
            .unwrap_or_else(|| panic!("no ' > ': {line:?}"));
        if body == "too many stack frames" {
            return;
        }
        let (head, bracket) = body
            .rsplit_once(" [0x")
            .unwrap_or_else(|| panic!("{line:?}"));
        let hex = bracket
            .strip_suffix(']')
            .unwrap_or_else(|| panic!("{line:?}"));
        assert!(
            !hex.is_empty()
                && hex
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
            "{line:?}"
        );
        if head == "unexpected_backtracing_error" {
            return;
        }
        let (module, rest) = head.split_once('(').unwrap_or_else(|| panic!("{line:?}"));
        assert!(!module.is_empty(), "{line:?}");
        let inner = rest.strip_suffix(')').unwrap_or_else(|| panic!("{line:?}"));
        if !inner.is_empty() {
            let (sym, off) = inner
                .rsplit_once("+0x")
                .unwrap_or_else(|| panic!("{line:?}"));
            assert!(
                !sym.is_empty() && off.bytes().all(|b| b.is_ascii_hexdigit()),
                "{line:?}"
            );
        }
    }

    fn own_maps() -> Vec<u8> {
        std::fs::read("/proc/self/maps").expect("/proc/self/maps")
    }

    fn lines(out: &[u8]) -> Vec<String> {
        String::from_utf8(out.to_vec())
            .expect("utf-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }

    // A real snapshot: a thread of this test blocked in recv(), seen through /proc.

    #[inline(never)]
    fn probe_inner(sock: &mut std::os::unix::net::UnixStream) -> usize {
        use std::io::Read;
        let mut buf = [0u8; 1];
        black_box(sock.read(&mut buf).unwrap_or(0)) + 1
    }

    #[inline(never)]
    fn probe_middle(sock: &mut std::os::unix::net::UnixStream) -> usize {
        black_box(probe_inner(black_box(sock))) + 1
    }

    #[inline(never)]
    fn probe_outer(sock: &mut std::os::unix::net::UnixStream) -> usize {
        black_box(probe_middle(black_box(sock))) + 1
    }

    /// The fields of /proc/self/task/TID/syscall once the thread waits in syscall `nr`:
    /// (stack pointer, program counter).
    fn wait_in_syscall(tid: &str, nr: u64) -> (u64, u64) {
        for _ in 0..2000 {
            let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall"))
                .unwrap_or_default();
            let f: Vec<&str> = text.split_whitespace().collect();
            if f.len() == 9 && f[0].parse() == Ok(nr) {
                let hex =
                    |s: &str| u64::from_str_radix(s.trim_start_matches("0x"), 16).expect("hex");
                return (hex(f[7]), hex(f[8]));
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        panic!("thread {tid} never waited in syscall {nr}");
    }

    #[test]
    fn stack_of_a_thread_blocked_in_recv() {
        let (mut here, mut there) = std::os::unix::net::UnixStream::pair().expect("socketpair");
        let (tid_tx, tid_rx) = std::sync::mpsc::channel();
        let thread = std::thread::spawn(move || {
            let me = std::fs::read_link("/proc/thread-self").expect("thread-self");
            tid_tx
                .send(me.file_name().expect("tid").to_string_lossy().into_owned())
                .expect("send");
            probe_outer(&mut there)
        });
        let tid = tid_rx.recv().expect("tid");
        // x86-64 recv() is recvfrom (45).
        let (sp, pc) = wait_in_syscall(&tid, 45);
        let maps = own_maps();
        let stack_end = parse_maps_all(&maps)
            .into_iter()
            .find(|(s, e)| (*s..*e).contains(&sp))
            .expect("stack")
            .1;
        let mut stack = vec![0u8; (stack_end - sp).min(64 << 10) as usize];
        File::open("/proc/self/mem")
            .expect("mem")
            .read_exact_at(&mut stack, sp)
            .expect("stack bytes");
        here.write_all(b"x").expect("wake");
        assert_eq!(thread.join().expect("join"), 4);

        let mut stacks = Stacks::new();
        stacks.set_maps(7, &maps);
        // rbp is not in /proc/PID/syscall; the CFI of these frames does not need it.
        let frames = stacks.frames(7, pc, sp, 0, &stack);
        let mut out = Vec::new();
        stacks.write_frames(7, pc, sp, 0, &stack, &mut out);
        let text = lines(&out);
        for l in &text {
            check_strace_line(l);
        }
        assert_eq!(text.len(), frames.len(), "{text:#?}");
        let names: Vec<&str> = frames
            .iter()
            .filter_map(|f| f.symbol.as_ref().map(|s| &*s.0))
            .collect();
        let at = |n: &str| {
            names
                .iter()
                .position(|s| *s == n)
                .unwrap_or_else(|| panic!("{n} not in {text:#?}"))
        };
        let (inner, middle, outer) = (
            at("sysgate::stack::tests::probe_inner"),
            at("sysgate::stack::tests::probe_middle"),
            at("sysgate::stack::tests::probe_outer"),
        );
        assert!(inner < middle && middle < outer, "{text:#?}");
        // The first frame is libc's recv, right after its syscall instruction.
        let first = &frames[0];
        assert_eq!(first.addr, pc);
        assert!(
            first.module.as_deref().is_some_and(|m| m.contains("libc")),
            "{text:#?}"
        );
        let exe = std::env::current_exe().expect("exe");
        let exe = exe.to_string_lossy();
        let probe = frames
            .iter()
            .find(|f| {
                f.symbol
                    .as_ref()
                    .is_some_and(|s| s.0.ends_with("probe_inner"))
            })
            .expect("probe");
        assert_eq!(probe.module.as_deref(), Some(&*exe));
        // The walk goes on past the test's own frames, into std's thread start.
        assert!(frames.len() > outer + 1, "{text:#?}");
    }

    /// Every mapping's range, with or without a path.
    fn parse_maps_all(maps: &[u8]) -> Vec<(u64, u64)> {
        String::from_utf8_lossy(maps)
            .lines()
            .filter_map(|l| {
                let (s, e) = l.split_whitespace().next()?.split_once('-')?;
                Some((
                    u64::from_str_radix(s, 16).ok()?,
                    u64::from_str_radix(e, 16).ok()?,
                ))
            })
            .collect()
    }

    // Synthetic stacks over real code: at a function's first instruction the CFI always says
    // "return address at [rsp]", so a stack of chosen words is a chain of chosen frames.

    #[inline(never)]
    fn leaf_a(x: u64) -> u64 {
        black_box(x).wrapping_mul(3) ^ 0x55
    }

    #[inline(never)]
    fn leaf_b(x: u64) -> u64 {
        black_box(x).wrapping_mul(5) ^ 0xaa
    }

    fn addr_of(f: fn(u64) -> u64) -> u64 {
        f as usize as u64
    }

    fn words(w: &[u64]) -> Vec<u8> {
        w.iter().flat_map(|w| w.to_le_bytes()).collect()
    }

    /// An address in an anonymous, non-executable mapping of this process.
    fn anonymous_address() -> u64 {
        let maps = own_maps();
        String::from_utf8_lossy(&maps)
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 5 && !f[1].contains('x'))
                    .then(|| u64::from_str_radix(f[0].split('-').next()?, 16).ok())?
            })
            .expect("an anonymous mapping")
    }

    #[test]
    fn first_frame_and_return_addresses_symbolize_like_libunwind() {
        let mut stacks = Stacks::new();
        stacks.set_maps(1, &own_maps());
        let (a, b) = (addr_of(leaf_a), addr_of(leaf_b));
        let anon = anonymous_address();

        // The first frame is looked up as is.
        let f = stacks.frames(1, a, 0x1000, 0, &words(&[anon]));
        assert_eq!(f.len(), 2, "{f:#?}");
        assert_eq!(
            f[0].symbol,
            Some((Arc::from("sysgate::stack::tests::leaf_a"), 0))
        );
        // A return address one past leaf_a's start is leaf_a+0x1 (looked up at leaf_a itself).
        let f = stacks.frames(1, a, 0x1000, 0, &words(&[a + 1, anon]));
        assert_eq!(
            f[1].symbol,
            Some((Arc::from("sysgate::stack::tests::leaf_a"), 1))
        );
        // A return address right at leaf_b's start belongs to the code before it (the call
        // was the previous function's last instruction), libunwind's ip - 1.
        let f = stacks.frames(1, a, 0x1000, 0, &words(&[b, 0]));
        let (name, off) = f[1].symbol.clone().expect("a symbol before leaf_b");
        assert_ne!(&*name, "sysgate::stack::tests::leaf_b");
        assert!(off >= 1);
        let f = stacks.frames(1, b, 0x1000, 0, &words(&[0]));
        assert_eq!(
            f[0].symbol,
            Some((Arc::from("sysgate::stack::tests::leaf_b"), 0))
        );

        // The true offset: address - mapping start + mapping offset, in the test binary.
        let exe = std::env::current_exe()
            .expect("exe")
            .to_string_lossy()
            .into_owned();
        let line = parse_maps(&own_maps())
            .into_iter()
            .find(|l| l.exec && (l.start..l.end).contains(&a))
            .expect("map");
        assert_eq!(&*line.path, exe);
        let f = stacks.frames(1, a, 0x1000, 0, &words(&[0]));
        assert_eq!(f[0].file_offset, a - line.start + line.offset);
        assert_eq!(f[0].module.as_deref(), Some(&*exe));

        let mut out = Vec::new();
        stacks.write_frames(1, a, 0x1000, 0, &words(&[a + 1, anon]), &mut out);
        let text = lines(&out);
        assert_eq!(
            text,
            [
                format!(
                    " > {exe}(sysgate::stack::tests::leaf_a+0x0) [{:#x}]",
                    a - line.start + line.offset
                ),
                format!(
                    " > {exe}(sysgate::stack::tests::leaf_a+0x1) [{:#x}]",
                    a + 1 - line.start + line.offset
                ),
                format!(" > unexpected_backtracing_error [{anon:#x}]"),
            ]
        );
    }

    #[test]
    fn anonymous_memory_stops_the_walk() {
        let mut stacks = Stacks::new();
        stacks.set_maps(1, &own_maps());
        let anon = anonymous_address();
        let a = addr_of(leaf_a);
        // The first frame already anonymous: one line.
        let mut out = Vec::new();
        stacks.write_frames(1, anon + 8, 0x1000, 0, &words(&[a + 1, a + 1]), &mut out);
        assert_eq!(
            lines(&out),
            [format!(" > unexpected_backtracing_error [{:#x}]", anon + 8)]
        );
        // Executable anonymous memory (JIT code) is no module either; nor is a process whose
        // maps were never sent.
        let jit = format!("{:x}-{:x} r-xp 00000000 00:00 0 \n", 0x10000, 0x20000);
        stacks.set_maps(2, jit.as_bytes());
        let f = stacks.frames(2, 0x10010, 0x1000, 0, &words(&[0x10020]));
        assert_eq!(
            f,
            [Frame {
                addr: 0x10010,
                module: None,
                symbol: None,
                file_offset: 0
            }]
        );
        assert_eq!(stacks.frames(3, 0x10010, 0x1000, 0, &[]).len(), 1);
    }

    #[test]
    fn more_than_256_frames_are_cut_like_strace() {
        let mut stacks = Stacks::new();
        stacks.set_maps(1, &own_maps());
        let a = addr_of(leaf_a);
        // 300 frames of leaf_a+0x1: each unwinds as a function's first instruction.
        let stack = words(&[a + 1; 300]);
        let mut out = Vec::new();
        stacks.write_frames(1, a, 0x1000, 0, &stack, &mut out);
        let text = lines(&out);
        assert_eq!(text.len(), 257);
        assert_eq!(text[256], " > too many stack frames");
        assert!(text[255].contains("(sysgate::stack::tests::leaf_a+0x1) [0x"));
        text.iter().for_each(|l| check_strace_line(l));
        assert_eq!(stacks.frames(1, a, 0x1000, 0, &stack).len(), 256);
        // Exactly 256 frames, then the end of the snapshot: no mark.
        let mut out = Vec::new();
        stacks.write_frames(1, a, 0x1000, 0, &words(&[a + 1; 255]), &mut out);
        assert_eq!(lines(&out).len(), 256);
        assert!(!lines(&out).iter().any(|l| l.contains("too many")));
    }

    #[test]
    fn maps_lines_are_kept_as_strace_keeps_them() {
        let maps = b"\
00400000-00401000 r--p 00000000 fe:00 12 /bin/x\n\
00401000-00402000 r-xp 00001000 fe:00 12 /bin/x\n\
00401000-00402000 r-xp 00001000 fe:00 12 /bin/x\n\
00401800-00403000 r-xp 00001000 fe:00 12 /bin/overlap\n\
00500000-00501000 rw-p 00000000 00:00 0 \n\
00600000-00601000 r-xp 00002000 fe:00 13 /tmp/my lib.so (deleted)\n\
00700000-00702000 r-xp 00000000 00:00 0                          [vdso]\n\
ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n";
        let kept = parse_maps(maps);
        let paths: Vec<&str> = kept.iter().map(|l| &*l.path).collect();
        assert_eq!(
            paths,
            [
                "/bin/x",
                "/bin/x",
                "/tmp/my lib.so (deleted)",
                "[vdso]",
                "[vsyscall]"
            ]
        );
        assert_eq!(
            kept.iter().map(|l| l.exec).collect::<Vec<_>>(),
            [false, true, true, true, true]
        );
        assert_eq!(
            kept.iter().map(|l| l.file_backed).collect::<Vec<_>>(),
            [true, true, false, false, false]
        );
        assert_eq!(
            (
                kept[1].start,
                kept[1].end,
                kept[1].offset,
                kept[1].key.inode
            ),
            (0x401000, 0x402000, 0x1000, 12)
        );

        // A deleted file's frame: its path, no symbol, and the walk goes on (frame pointers).
        let mut stacks = Stacks::new();
        stacks.set_maps(1, maps);
        let mut out = Vec::new();
        stacks.write_frames(1, 0x600010, 0x1000, 0, &[], &mut out);
        assert_eq!(lines(&out), [" > /tmp/my lib.so (deleted)() [0x2010]"]);
    }

    #[test]
    fn vdso_frames_are_named_like_strace() {
        let maps = own_maps();
        let Some(vdso) = parse_maps(&maps).into_iter().find(|l| &*l.path == "[vdso]") else {
            return; // no vDSO here
        };
        let mut stacks = Stacks::new();
        stacks.set_maps(1, &maps);
        let f = stacks.frames(1, vdso.start + 0x10, 0x1000, 0, &[]);
        assert_eq!(
            f[0],
            Frame {
                addr: vdso.start + 0x10,
                module: Some(Arc::from("[vdso]")),
                symbol: None,
                file_offset: 0x10
            }
        );
        assert!(stacks
            .vdso
            .as_ref()
            .is_some_and(|v| v.as_ref().is_some_and(|v| v.unwind.eh_frame.is_some())));
    }

    #[test]
    fn exit_frees_state() {
        let mut stacks = Stacks::new();
        // A fork child sends its own maps (the same text as its parent's).
        stacks.set_maps(1, &own_maps());
        stacks.set_maps(2, &own_maps());
        let a = addr_of(leaf_a);
        let f = stacks.frames(2, a, 0x1000, 0, &[]);
        assert_eq!(
            f[0].symbol,
            Some((Arc::from("sysgate::stack::tests::leaf_a"), 0))
        );
        let files = stacks.files.len();
        assert!(files > 0);
        stacks.forget(1);
        stacks.prune_files();
        assert_eq!(stacks.files.len(), files, "still mapped by 2");
        stacks.forget(2);
        assert!(stacks.procs.is_empty());
        assert_eq!(stacks.files.len(), files, "kept for the next program");
        stacks.prune_files();
        assert!(stacks.files.is_empty());
        assert_eq!(stacks.frames(2, a, 0x1000, 0, &[])[0].module, None);
        // The same maps again keep the same unwinder.
        stacks.set_maps(1, &own_maps());
        let before = Arc::as_ptr(&stacks.procs[&1]);
        stacks.set_maps(1, &own_maps());
        assert_eq!(before, Arc::as_ptr(&stacks.procs[&1]));
    }

    #[test]
    fn names_are_demangled_like_libiberty() {
        // Expected values from binutils' c++filt -i (libiberty without DMGL_VERBOSE).
        let cases = [
            ("_ZN1r5inner17hd5c4d07f9fbb3f58E", "r::inner"),
            ("_RNvNtCsgEmfK2I1SDS_4core3fmt17pointer_fmt_inner", "core::fmt::pointer_fmt_inner"),
            ("_ZN3foo3Bar3bazIiEEvT_RKNSt7__cxx1112basic_stringIcSt11char_traitsIcESaIcEEE",
             "void foo::Bar::baz<int>(int, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> > const&)"),
            ("_ZN3foo3barEv", "foo::bar()"),
            ("_ZThn16_NSt9strstreamD1Ev", "non-virtual thunk to std::strstream::~strstream()"),
            ("_ZTv0_n24_NSt10istrstreamD0Ev", "virtual thunk to std::istrstream::~istrstream()"),
            ("_ZNSi4readEPcl", "std::istream::read(char*, long)"),
            ("_ZNSoC1Ev", "std::basic_ostream<char, std::char_traits<char> >::basic_ostream()"),
            ("_ZNSt11this_thread11__sleep_forENSt6chrono8durationIlSt5ratioILl1ELl1EEEENS1_IlS2_ILl1ELl1000000000EEEE",
             "std::this_thread::__sleep_for(std::chrono::duration<long, std::ratio<1l, 1l> >, std::chrono::duration<long, std::ratio<1l, 1000000000l> >)"),
            ("_ZN4llvm15AnalysisManagerINS_8FunctionEJEE5clearEv", "llvm::AnalysisManager<llvm::Function>::clear()"),
            ("_ZNSt17_Function_handlerIFviEZ4mainEUliE_E9_M_invokeERKSt9_Any_dataOi",
             "std::_Function_handler<void (int), main::{lambda(int)#1}>::_M_invoke(std::_Any_data const&, int&&)"),
            ("_Z3barii.constprop.0.isra.0", "bar(int, int) [clone .constprop.0] [clone .isra.0]"),
            ("__write", "__write"),
            ("main", "main"),
            ("_Znotmangled", "_Znotmangled"),
        ];
        for (raw, want) in cases {
            assert_eq!(demangle(raw), want, "{raw}");
        }
        assert_eq!(
            legacy_rust("_ZN3std2rt10lang_start17h0123456789abcdefE.llvm.42"),
            Some("_ZN3std2rt10lang_start17h0123456789abcdefE")
        );
        assert_eq!(legacy_rust("_ZN3foo3barEv"), None);
    }

    /// Prints the frames of a saved snapshot, to compare with `strace -k` on the same program:
    /// `SYSGATE_STACK_SNAPSHOT=DIR cargo test --release -p sysgate print_saved_snapshot --
    /// --ignored --nocapture`, DIR holding `maps` (its /proc/PID/maps), `regs` ("rip rsp rbp"
    /// in hex) and `stack` (the bytes from rsp), e.g. saved by gdb stopped with `catch syscall`
    /// (a Python `gdb.selected_inferior().read_memory(rsp, n)` for the stack).
    #[test]
    #[ignore]
    fn print_saved_snapshot() {
        let Ok(dir) = std::env::var("SYSGATE_STACK_SNAPSHOT") else {
            return;
        };
        let maps = std::fs::read(format!("{dir}/maps")).expect("maps");
        let regs = std::fs::read_to_string(format!("{dir}/regs")).expect("regs");
        let r: Vec<u64> = regs
            .split_whitespace()
            .map(|w| u64::from_str_radix(w.trim_start_matches("0x"), 16).expect("hex"))
            .collect();
        let stack = std::fs::read(format!("{dir}/stack")).expect("stack");
        let mut stacks = Stacks::new();
        stacks.set_maps(1, &maps);
        let mut out = Vec::new();
        stacks.write_frames(1, r[0], r[1], r[2], &stack, &mut out);
        std::io::stdout().write_all(&out).expect("stdout");
    }
}
