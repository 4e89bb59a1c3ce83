//! What the loader needs to know about an ELF image, decided from its first bytes alone: which
//! segments to map where, the entry point, where the program headers end up, and the
//! interpreter. Pure and safe: every malformed input is an [`ElfError`], never a panic (the
//! property tests in `tests` feed it truncated and mutated headers).

use object::elf::{
    FileHeader64, ProgramHeader64, ELFCLASS64, EM_X86_64, ET_DYN, ET_EXEC, PF_R, PF_W, PF_X,
    PT_GNU_STACK, PT_INTERP, PT_LOAD, PT_PHDR,
};
use object::read::elf::{FileHeader, ProgramHeader};
use object::LittleEndian as LE;

/// Most PT_LOAD segments an image may have (real programs have 2–5).
pub const MAX_SEGMENTS: usize = 16;
const PAGE: u64 = 4096;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Segment {
    pub vaddr: u64,
    pub memsz: u64,
    pub filesz: u64,
    pub offset: u64,
    /// PROT_READ/WRITE/EXEC bits.
    pub prot: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// ET_EXEC: mapped at its link addresses.
    Exec,
    /// ET_DYN (PIE, static-PIE, shared objects such as ld.so): mapped anywhere.
    Dyn,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub kind: Kind,
    pub entry: u64,
    /// Virtual address of the program header table once mapped (for AT_PHDR).
    pub phdr_vaddr: u64,
    pub phnum: u16,
    pub segments: [Segment; MAX_SEGMENTS],
    pub nseg: usize,
    /// (file offset, length including the NUL) of the PT_INTERP path.
    pub interp: Option<(u64, u64)>,
    /// Lowest page and highest end of the PT_LOAD segments.
    pub lo: u64,
    pub hi: u64,
}

impl Plan {
    pub fn segments(&self) -> &[Segment] {
        &self.segments[..self.nseg]
    }
}

/// Why an image cannot be loaded; the text is what sysgate prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ElfError {
    /// Shorter than its own headers say.
    Truncated,
    /// No ELF magic.
    NotElf,
    /// ELF, but not a 64-bit little-endian x86-64 image; carries e_machine (or 0 for class).
    NotX86_64(u16),
    /// Not an executable or shared object.
    BadType,
    /// No PT_LOAD, too many of them, or a segment whose numbers do not add up.
    BadSegments,
}

impl core::fmt::Display for ElfError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ElfError::Truncated => f.write_str("truncated ELF image"),
            ElfError::NotElf => f.write_str("not an ELF image"),
            ElfError::NotX86_64(0) => {
                f.write_str("not a 64-bit little-endian ELF image (not supported yet)")
            }
            ElfError::NotX86_64(3) => f.write_str("an i386 program (not supported yet)"),
            ElfError::NotX86_64(183) => f.write_str("an aarch64 program (not supported yet)"),
            ElfError::NotX86_64(m) => write!(
                f,
                "an ELF image for machine {m}, not x86-64 (not supported yet)"
            ),
            ElfError::BadType => {
                f.write_str("ELF image is neither an executable nor a shared object")
            }
            ElfError::BadSegments => f.write_str("corrupt ELF program headers"),
        }
    }
}

/// How many bytes from the start of the file [`plan`] needs: the ELF header and the program
/// header table. `None` if `head` (at least 64 bytes) is not a usable ELF header.
pub fn header_len(head: &[u8]) -> Option<usize> {
    let h = FileHeader64::<LE>::parse(head).ok()?;
    let phoff = h.e_phoff(LE) as usize;
    let n = h.e_phnum(LE) as usize;
    let ent = h.e_phentsize(LE) as usize;
    phoff.checked_add(n.checked_mul(ent)?)
}

/// Plans the mapping of the image whose first bytes are `head` (see [`header_len`]).
pub fn plan(head: &[u8]) -> Result<Plan, ElfError> {
    if head.len() < 4 || &head[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if head.len() < 64 {
        return Err(ElfError::Truncated);
    }
    if head[4] != ELFCLASS64 || head[5] != 1 {
        return Err(ElfError::NotX86_64(0));
    }
    let h = FileHeader64::<LE>::parse(head).map_err(|_| ElfError::Truncated)?;
    if h.e_machine(LE) != EM_X86_64 {
        return Err(ElfError::NotX86_64(h.e_machine(LE)));
    }
    let kind = match h.e_type(LE) {
        ET_EXEC => Kind::Exec,
        ET_DYN => Kind::Dyn,
        _ => return Err(ElfError::BadType),
    };
    if h.e_phentsize(LE) as usize != core::mem::size_of::<ProgramHeader64<LE>>() {
        return Err(ElfError::BadSegments);
    }
    let phdrs = h
        .program_headers(LE, head)
        .map_err(|_| ElfError::Truncated)?;
    let mut p = Plan {
        kind,
        entry: h.e_entry(LE),
        phdr_vaddr: 0,
        phnum: h.e_phnum(LE),
        segments: [Segment::default(); MAX_SEGMENTS],
        nseg: 0,
        interp: None,
        lo: u64::MAX,
        hi: 0,
    };
    let phoff = h.e_phoff(LE);
    let mut phdr_seen = None;
    for ph in phdrs {
        match ph.p_type(LE) {
            PT_LOAD => {
                let s = Segment {
                    vaddr: ph.p_vaddr(LE),
                    memsz: ph.p_memsz(LE),
                    filesz: ph.p_filesz(LE),
                    offset: ph.p_offset(LE),
                    prot: prot_of(ph.p_flags(LE)),
                };
                let end = s.vaddr.checked_add(s.memsz).ok_or(ElfError::BadSegments)?;
                if p.nseg == MAX_SEGMENTS
                    || s.filesz > s.memsz
                    || s.offset.checked_add(s.filesz).is_none()
                    || s.vaddr % PAGE != s.offset % PAGE
                    || end > 0x0000_7fff_ffff_f000
                {
                    return Err(ElfError::BadSegments);
                }
                p.lo = p.lo.min(s.vaddr & !(PAGE - 1));
                p.hi = p.hi.max(end);
                p.segments[p.nseg] = s;
                p.nseg += 1;
            }
            PT_INTERP => {
                let len = ph.p_filesz(LE);
                if !(2..=4096).contains(&len) {
                    return Err(ElfError::BadSegments);
                }
                p.interp = Some((ph.p_offset(LE), len));
            }
            PT_PHDR => phdr_seen = Some(ph.p_vaddr(LE)),
            PT_GNU_STACK => {}
            _ => {}
        }
    }
    if p.nseg == 0 {
        return Err(ElfError::BadSegments);
    }
    p.phdr_vaddr = match phdr_seen {
        Some(v) => v,
        // No PT_PHDR: the table is wherever the segment holding its file offset puts it.
        None => p
            .segments()
            .iter()
            .find(|s| s.offset <= phoff && phoff < s.offset + s.filesz)
            .map(|s| s.vaddr + (phoff - s.offset))
            .ok_or(ElfError::BadSegments)?,
    };
    Ok(p)
}

fn prot_of(flags: u32) -> u32 {
    use linux_raw_sys::general::{PROT_EXEC, PROT_READ, PROT_WRITE};
    let mut prot = 0;
    if flags & PF_R != 0 {
        prot |= PROT_READ;
    }
    if flags & PF_W != 0 {
        prot |= PROT_WRITE;
    }
    if flags & PF_X != 0 {
        prot |= PROT_EXEC;
    }
    prot
}

/// A `#!` line: (interpreter, optional single argument), as the kernel splits it.
pub fn shebang(head: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let rest = head.strip_prefix(b"#!")?;
    let line = &rest[..rest.iter().position(|&b| b == b'\n').unwrap_or(rest.len())];
    let is_ws = |b: &u8| *b == b' ' || *b == b'\t';
    let start = line.iter().position(|b| !is_ws(b))?;
    let line = &line[start..];
    let end = line.iter().position(is_ws).unwrap_or(line.len());
    let (interp, tail) = line.split_at(end);
    let tail = match tail.iter().position(|b| !is_ws(b)) {
        Some(i) => &tail[i..],
        None => &[][..],
    };
    let tail_end = tail.iter().rposition(|b| !is_ws(b)).map_or(0, |i| i + 1);
    let arg = (tail_end > 0).then(|| &tail[..tail_end]);
    Some((interp, arg))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_exe() -> std::vec::Vec<u8> {
        std::fs::read("/proc/self/exe").unwrap()
    }

    #[test]
    fn plans_this_test_binary() {
        let data = own_exe();
        let n = header_len(&data).unwrap();
        let p = plan(&data[..n]).unwrap();
        assert!(p.nseg >= 2);
        assert_eq!(p.kind, Kind::Dyn);
        assert!(p.interp.is_some());
    }

    #[test]
    fn rejects_what_is_not_a_program() {
        assert_eq!(plan(b"hello"), Err(ElfError::NotElf));
        assert_eq!(plan(b"\x7fELF\x02\x01"), Err(ElfError::Truncated));
        let mut data = own_exe();
        data[18] = 183; // e_machine = aarch64
        assert_eq!(plan(&data[..4096]), Err(ElfError::NotX86_64(183)));
        let data = own_exe();
        let n = header_len(&data).unwrap();
        assert_eq!(plan(&data[..n - 1]), Err(ElfError::Truncated));
    }

    #[test]
    fn every_truncation_and_byte_flip_is_an_error_or_a_plan() {
        let data = own_exe();
        let n = header_len(&data).unwrap().min(4096);
        for cut in 0..n {
            let _ = plan(&data[..cut]);
        }
        // Deterministic pseudo-random mutations of the headers (xorshift).
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            let mut d = data[..n].to_vec();
            for _ in 0..4 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let at = (x as usize) % n;
                d[at] = (x >> 32) as u8;
            }
            if let Ok(p) = plan(&d) {
                for s in p.segments() {
                    assert!(s.filesz <= s.memsz && s.vaddr + s.memsz <= 0x0000_7fff_ffff_f000);
                }
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Any bytes at all: a plan or an error, never a panic.
        #[test]
        fn plan_of_arbitrary_bytes(data in proptest::collection::vec(proptest::num::u8::ANY, 0..2048)) {
            let _ = plan(&data);
            let _ = header_len(&data);
            let _ = shebang(&data);
        }

        /// A real program's headers with bytes overwritten: every plan that comes out is sane.
        #[test]
        fn plan_of_mutated_headers(edits in proptest::collection::vec((0usize..4096, proptest::num::u8::ANY), 1..16)) {
            let mut d = own_exe();
            d.truncate(4096);
            for (at, b) in edits {
                if at < d.len() {
                    d[at] = b;
                }
            }
            if let Ok(p) = plan(&d) {
                proptest::prop_assert!(p.nseg >= 1 && p.nseg <= MAX_SEGMENTS);
                for s in p.segments() {
                    proptest::prop_assert!(s.filesz <= s.memsz);
                    proptest::prop_assert!(s.vaddr + s.memsz <= 0x0000_7fff_ffff_f000);
                }
            }
        }
    }

    #[test]
    fn shebang_lines() {
        assert_eq!(shebang(b"#!/bin/sh\n"), Some((&b"/bin/sh"[..], None)));
        assert_eq!(
            shebang(b"#! /usr/bin/env  python3 -u \nprint()"),
            Some((&b"/usr/bin/env"[..], Some(&b"python3 -u"[..])))
        );
        assert_eq!(shebang(b"#!\n"), None);
        assert_eq!(shebang(b"\x7fELF"), None);
    }
}
