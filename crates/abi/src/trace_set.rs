//! Sets of x86-64 syscall numbers and the strace `-e trace=` expression parser.

use crate::class;
use crate::x86_64;
use core::fmt;

/// A set of syscall numbers: one bit per x86-64 number below [`x86_64::NR_MAX`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct SyscallSet(pub [u64; 8]);

impl SyscallSet {
    /// Reads the set from its wire form: eight comma-separated hex words, bit per number
    /// (how sysgate passes `-e trace=` down to the runtime).
    pub fn from_words(s: &str) -> Option<Self> {
        let mut words = [0u64; 8];
        let mut it = s.split(',');
        for w in words.iter_mut() {
            *w = u64::from_str_radix(it.next()?, 16).ok()?;
        }
        it.next().is_none().then_some(SyscallSet(words))
    }

    /// Writes the wire form read by [`SyscallSet::from_words`].
    pub fn write_words(&self, out: &mut impl core::fmt::Write) -> core::fmt::Result {
        for (i, w) in self.0.iter().enumerate() {
            if i > 0 {
                out.write_char(',')?;
            }
            write!(out, "{w:x}")?;
        }
        Ok(())
    }

    /// The empty set.
    pub const fn empty() -> Self {
        SyscallSet([0; 8])
    }

    /// Every number below `NR_MAX` (also numbers that are not syscalls, so that
    /// unknown numbers are traced as `syscall_0x...` like strace does).
    pub const fn all() -> Self {
        SyscallSet([u64::MAX; 8])
    }

    /// Adds `nr` (ignored if not below `NR_MAX`).
    pub fn insert(&mut self, nr: u32) {
        if let Some(w) = self.0.get_mut((nr / 64) as usize) {
            *w |= 1 << (nr % 64);
        }
    }

    /// Removes `nr`.
    pub fn remove(&mut self, nr: u32) {
        if let Some(w) = self.0.get_mut((nr / 64) as usize) {
            *w &= !(1 << (nr % 64));
        }
    }

    /// Whether `nr` is in the set (false for any `nr >= NR_MAX`).
    pub fn contains(&self, nr: u64) -> bool {
        match usize::try_from(nr / 64).ok().and_then(|i| self.0.get(i)) {
            Some(w) => w & (1 << (nr % 64)) != 0,
            None => false,
        }
    }

    /// The complement.
    pub fn invert(&self) -> Self {
        let mut s = *self;
        for w in s.0.iter_mut() {
            *w = !*w;
        }
        s
    }

    /// The union with `other`.
    pub fn union(&self, other: &Self) -> Self {
        let mut s = *self;
        for (w, o) in s.0.iter_mut().zip(other.0.iter()) {
            *w |= *o;
        }
        s
    }

    /// Number of members.
    pub fn len(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// Whether the set has no members.
    pub fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    /// Every syscall whose class mask shares a bit with `mask`.
    pub fn of_class(mask: u32) -> Self {
        let mut s = SyscallSet::empty();
        for (nr, d) in x86_64::iter() {
            if d.class & mask != 0 {
                s.insert(nr);
            }
        }
        s
    }
}

/// Why a `-e trace=` expression was rejected. The offending word is kept (cut at 64
/// bytes) so the message can name it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct TraceSetError {
    kind: ErrorKind,
    word: [u8; 64],
    word_len: u8,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum ErrorKind {
    UnknownSyscall,
    UnknownClass,
    Regex,
}

impl TraceSetError {
    fn new(kind: ErrorKind, word: &str) -> Self {
        let mut buf = [0u8; 64];
        // Cut on a character boundary so the stored word stays valid UTF-8.
        let mut n = word.len().min(buf.len());
        while !word.is_char_boundary(n) {
            n -= 1;
        }
        if let (Some(dst), Some(src)) = (buf.get_mut(..n), word.as_bytes().get(..n)) {
            dst.copy_from_slice(src);
        }
        TraceSetError {
            kind,
            word: buf,
            word_len: n as u8,
        }
    }

    /// The word that could not be understood.
    pub fn word(&self) -> &str {
        let bytes = self.word.get(..usize::from(self.word_len)).unwrap_or(&[]);
        core::str::from_utf8(bytes).unwrap_or("")
    }
}

impl fmt::Display for TraceSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.kind {
            ErrorKind::UnknownSyscall => write!(f, "invalid system call '{}'", self.word()),
            ErrorKind::UnknownClass => write!(f, "invalid system call class '{}'", self.word()),
            ErrorKind::Regex => write!(f, "invalid regular expression '{}'", self.word()),
        }
    }
}

impl fmt::Debug for TraceSetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Class names strace still accepts without the `%` prefix.
const BARE_CLASSES: &[&str] = &[
    "file", "desc", "network", "process", "signal", "memory", "ipc",
];

fn class_bits(name: &str) -> Option<u32> {
    class::NAMES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, b)| *b)
}

/// Parses a strace `-e trace=` expression: comma-separated syscall names, classes
/// (`%file`, `%desc`, `%network`, `%process`, `%signal`, `%memory`, `%ipc`, `%clock`,
/// `%creds`, `%stat`, `%lstat`, `%fstat`, `%%stat`, `%statfs`, `%fstatfs`, `%%statfs`,
/// `%pure`), `all`, `none`, decimal syscall numbers, a leading `!` negating the whole
/// set, `?name` (ignore the word if it is unknown), and `/REGEX`: every syscall whose name
/// the regular expression matches anywhere (see [`crate::regex`]; no match is an error, as in
/// strace, unless written `?/REGEX`).
pub fn parse_trace_set(expr: &str) -> Result<SyscallSet, TraceSetError> {
    let (negate, body) = match expr.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, expr),
    };
    let mut set = SyscallSet::empty();
    for raw in body.split(',') {
        let (optional, word) = match raw.strip_prefix('?') {
            Some(w) => (true, w),
            None => (false, raw),
        };
        match parse_word(word) {
            Ok(s) => set = set.union(&s),
            Err(e) if optional && e.kind != ErrorKind::Regex => {}
            Err(e) => return Err(e),
        }
    }
    Ok(if negate { set.invert() } else { set })
}

fn parse_word(word: &str) -> Result<SyscallSet, TraceSetError> {
    if let Some(re) = word.strip_prefix('/') {
        if crate::regex::validate(re).is_err() {
            return Err(TraceSetError::new(ErrorKind::Regex, word));
        }
        let mut set = SyscallSet::empty();
        for (nr, d) in x86_64::iter() {
            if crate::regex::is_match(re, d.name) {
                set.insert(nr);
            }
        }
        if set.is_empty() {
            return Err(TraceSetError::new(ErrorKind::UnknownSyscall, word));
        }
        return Ok(set);
    }
    if word == "all" {
        return Ok(SyscallSet::all());
    }
    if word == "none" {
        return Ok(SyscallSet::empty());
    }
    if let Some(cls) = word.strip_prefix('%') {
        return match class_bits(cls) {
            Some(bits) => Ok(SyscallSet::of_class(bits)),
            None => Err(TraceSetError::new(ErrorKind::UnknownClass, word)),
        };
    }
    let mut set = SyscallSet::empty();
    if let Some(nr) = x86_64::number(word) {
        set.insert(nr);
        return Ok(set);
    }
    if BARE_CLASSES.contains(&word) {
        if let Some(bits) = class_bits(word) {
            return Ok(SyscallSet::of_class(bits));
        }
    }
    if !word.is_empty() && word.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(nr) = word.parse::<u32>() {
            if (nr as usize) < x86_64::NR_MAX {
                set.insert(nr);
                return Ok(set);
            }
        }
    }
    Err(TraceSetError::new(ErrorKind::UnknownSyscall, word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::x86_64::nr;

    #[test]
    fn names_and_negation() {
        let s = parse_trace_set("openat,close").unwrap();
        assert!(s.contains(nr::OPENAT.into()));
        assert!(s.contains(nr::CLOSE.into()));
        assert!(!s.contains(nr::READ.into()));
        assert_eq!(s.len(), 2);
        let s = parse_trace_set("!openat,close").unwrap();
        assert!(!s.contains(nr::OPENAT.into()));
        assert!(!s.contains(nr::CLOSE.into()));
        assert!(s.contains(nr::READ.into()));
        assert!(!s.contains(100_000));
    }

    #[test]
    fn classes() {
        let s = parse_trace_set("%file").unwrap();
        assert!(s.contains(nr::OPENAT.into()));
        assert!(s.contains(nr::EXECVE.into()));
        assert!(!s.contains(nr::READ.into()));
        assert_eq!(parse_trace_set("file").unwrap(), s);
        let s = parse_trace_set("%%stat").unwrap();
        for n in [nr::STAT, nr::LSTAT, nr::FSTAT, nr::NEWFSTATAT, nr::STATX] {
            assert!(s.contains(n.into()));
        }
        assert_eq!(s.len(), 5);
        let s = parse_trace_set("%stat").unwrap();
        assert_eq!(s.len(), 1);
        let s = parse_trace_set("%fstat").unwrap();
        assert_eq!(s.len(), 3);
        let s = parse_trace_set("%pure").unwrap();
        assert!(s.contains(nr::GETPID.into()));
        assert!(s.contains(nr::GETTID.into()));
        assert!(!s.contains(nr::SETUID.into()));
        let s = parse_trace_set("%process,%signal").unwrap();
        assert!(
            s.contains(nr::CLONE.into())
                && s.contains(nr::RT_SIGACTION.into())
                && s.contains(nr::EXIT_GROUP.into())
        );
        let s = parse_trace_set("%memory").unwrap();
        assert!(s.contains(nr::MMAP.into()) && s.contains(nr::BRK.into()));
        let s = parse_trace_set("%network").unwrap();
        assert!(s.contains(nr::SOCKET.into()) && !s.contains(nr::READ.into()));
        let s = parse_trace_set("%desc").unwrap();
        assert!(s.contains(nr::READ.into()) && s.contains(nr::OPENAT.into()));
        let s = parse_trace_set("%clock").unwrap();
        assert!(s.contains(nr::CLOCK_GETTIME.into()));
        let s = parse_trace_set("%creds").unwrap();
        assert!(s.contains(nr::GETUID.into()) && s.contains(nr::CAPGET.into()));
    }

    #[test]
    fn all_none_optional_numbers() {
        assert_eq!(parse_trace_set("all").unwrap(), SyscallSet::all());
        assert_eq!(parse_trace_set("none").unwrap(), SyscallSet::empty());
        assert_eq!(parse_trace_set("!all").unwrap(), SyscallSet::empty());
        let s = parse_trace_set("?nosuchcall,read").unwrap();
        assert_eq!(s.len(), 1);
        let s = parse_trace_set("39").unwrap();
        assert!(s.contains(39));
    }

    #[test]
    fn errors() {
        let e = parse_trace_set("foo").unwrap_err();
        extern crate std;
        use std::string::ToString;
        assert_eq!(e.to_string(), "invalid system call 'foo'");
        assert_eq!(
            parse_trace_set("read,").unwrap_err().to_string(),
            "invalid system call ''"
        );
        assert_eq!(
            parse_trace_set("%bogus").unwrap_err().to_string(),
            "invalid system call class '%bogus'"
        );
        assert_eq!(
            parse_trace_set("/open(").unwrap_err().to_string(),
            "invalid regular expression '/open('"
        );
        assert_eq!(
            parse_trace_set("/^nothing_like_this$")
                .unwrap_err()
                .to_string(),
            "invalid system call '/^nothing_like_this$'"
        );
        assert!(parse_trace_set("?/^nothing_like_this$,read").is_ok());
        let s = parse_trace_set("/^(open|close)").unwrap();
        for n in [
            nr::OPENAT,
            nr::OPEN,
            nr::CLOSE,
            nr::CLOSE_RANGE,
            nr::OPEN_TREE,
        ] {
            assert!(s.contains(n.into()));
        }
        assert!(!s.contains(nr::MQ_OPEN.into()));
        let s = parse_trace_set("!/stat").unwrap();
        assert!(!s.contains(nr::NEWFSTATAT.into()) && s.contains(nr::READ.into()));
        let long = "x".repeat(200);
        assert_eq!(parse_trace_set(&long).unwrap_err().word().len(), 64);
    }

    #[test]
    fn set_bits() {
        let mut s = SyscallSet::empty();
        s.insert(511);
        s.insert(512);
        s.insert(u32::MAX);
        assert!(s.contains(511));
        assert!(!s.contains(512));
        assert!(!s.contains(u64::MAX));
        s.remove(511);
        assert!(s.is_empty());
    }
}

#[cfg(test)]
mod wire_tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        let mut set = SyscallSet::empty();
        for nr in [0, 257, 511] {
            set.insert(nr);
        }
        let mut s = std::string::String::new();
        set.write_words(&mut s).unwrap();
        assert_eq!(SyscallSet::from_words(&s), Some(set));
        assert_eq!(SyscallSet::from_words("1,2"), None);
        assert_eq!(SyscallSet::from_words("0,0,0,0,0,0,0,0,0"), None);
    }
}
