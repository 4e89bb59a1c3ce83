//! A small POSIX-extended-style regular expression matcher for `-e trace=/REGEX`: enough of
//! what strace accepts (it uses `regcomp(REG_EXTENDED | REG_NOSUB)` and searches, unanchored)
//! to select syscalls by name. No allocation, backtracking with continuations.
//!
//! Supported: literals, `.`, bracket expressions (`[a-z_]`, `[^0-9]`, `[[:alpha:]]`-style
//! classes `alpha digit alnum upper lower space punct xdigit`), `\` escapes, `^`, `$`, groups
//! `( )`, alternation `|`, and the quantifiers `*`, `+`, `?`, `{m}`, `{m,}`, `{m,n}` after any
//! atom. Back-references are not (POSIX ERE has none either).

/// Why a pattern is not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RegexError {
    /// `(` without `)` or the other way round.
    Parens,
    /// `[` without `]`.
    Bracket,
    /// A quantifier with nothing to repeat, or a malformed `{m,n}`.
    Repeat,
    /// A trailing `\`.
    Escape,
    /// Nesting deeper than the matcher allows.
    TooDeep,
}

const MAX_DEPTH: usize = 32;

/// Checks that `re` is well formed.
pub fn validate(re: &str) -> Result<(), RegexError> {
    check(re.as_bytes(), 0)
}

fn check(re: &[u8], depth: usize) -> Result<(), RegexError> {
    if depth > MAX_DEPTH {
        return Err(RegexError::TooDeep);
    }
    for alt in split_alternatives(re)? {
        let mut rest = alt;
        while !rest.is_empty() {
            if matches!(rest.first(), Some(b'*' | b'+' | b'?' | b'{')) {
                return Err(RegexError::Repeat);
            }
            let (atom, after) = split_atom(rest)?;
            if let Atom::Group(inner) = atom {
                check(inner, depth + 1)?;
            }
            let (_, after) = split_quantifier(after)?;
            rest = after;
        }
    }
    Ok(())
}

/// Whether `re` matches anywhere in `text` (an invalid pattern matches nothing).
pub fn is_match(re: &str, text: &str) -> bool {
    if validate(re).is_err() {
        return false;
    }
    let (re, t) = (re.as_bytes(), text.as_bytes());
    (0..=t.len()).any(|start| alt(re, t, start, &|_| true))
}

#[derive(Clone, Copy)]
enum Atom<'a> {
    Group(&'a [u8]),
    Bracket(&'a [u8]),
    Any,
    Start,
    End,
    Byte(u8),
}

/// The top-level `|`-separated parts of `re` (at most 16).
fn split_alternatives(re: &[u8]) -> Result<AltIter<'_>, RegexError> {
    let mut depth = 0i32;
    let mut i = 0;
    while i < re.len() {
        match re[i] {
            b'\\' => i += 1,
            b'[' => i += bracket_len(&re[i..])? - 1,
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth < 0 {
                    return Err(RegexError::Parens);
                }
            }
            _ => {}
        }
        i += 1;
    }
    if depth != 0 {
        return Err(RegexError::Parens);
    }
    Ok(AltIter { rest: Some(re) })
}

struct AltIter<'a> {
    rest: Option<&'a [u8]>,
}

impl<'a> Iterator for AltIter<'a> {
    type Item = &'a [u8];
    fn next(&mut self) -> Option<&'a [u8]> {
        let re = self.rest?;
        let mut depth = 0;
        let mut i = 0;
        while i < re.len() {
            match re[i] {
                b'\\' => i += 1,
                b'[' => i += bracket_len(&re[i..]).unwrap_or(1) - 1,
                b'(' => depth += 1,
                b')' => depth -= 1,
                b'|' if depth == 0 => {
                    self.rest = re.get(i + 1..);
                    return re.get(..i);
                }
                _ => {}
            }
            i += 1;
        }
        self.rest = None;
        Some(re)
    }
}

/// Length of the bracket expression at the start of `re` (which starts with `[`).
fn bracket_len(re: &[u8]) -> Result<usize, RegexError> {
    let mut i = 1;
    if re.get(i) == Some(&b'^') {
        i += 1;
    }
    if re.get(i) == Some(&b']') {
        i += 1;
    }
    while i < re.len() {
        if re[i] == b'[' && re.get(i + 1) == Some(&b':') {
            if let Some(end) = re[i + 2..].windows(2).position(|w| w == b":]") {
                i += end + 4;
                continue;
            }
        }
        if re[i] == b']' {
            return Ok(i + 1);
        }
        i += 1;
    }
    Err(RegexError::Bracket)
}

fn split_atom(re: &[u8]) -> Result<(Atom<'_>, &[u8]), RegexError> {
    let c = *re.first().ok_or(RegexError::Repeat)?;
    Ok(match c {
        b'(' => {
            let mut depth = 0;
            let mut i = 0;
            while i < re.len() {
                match re[i] {
                    b'\\' => i += 1,
                    b'[' => i += bracket_len(&re[i..])? - 1,
                    b'(' => depth += 1,
                    b')' => {
                        depth -= 1;
                        if depth == 0 {
                            return Ok((Atom::Group(&re[1..i]), &re[i + 1..]));
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
            return Err(RegexError::Parens);
        }
        b'[' => {
            let n = bracket_len(re)?;
            (Atom::Bracket(&re[1..n - 1]), &re[n..])
        }
        b'\\' => (Atom::Byte(*re.get(1).ok_or(RegexError::Escape)?), &re[2..]),
        b'.' => (Atom::Any, &re[1..]),
        b'^' => (Atom::Start, &re[1..]),
        b'$' => (Atom::End, &re[1..]),
        b')' => return Err(RegexError::Parens),
        b => (Atom::Byte(b), &re[1..]),
    })
}

/// `(min, max)` repetitions of the quantifier at the start of `re` (`(1, 1)` if none).
fn split_quantifier(re: &[u8]) -> Result<((usize, usize), &[u8]), RegexError> {
    Ok(match re.first() {
        Some(b'*') => ((0, usize::MAX), &re[1..]),
        Some(b'+') => ((1, usize::MAX), &re[1..]),
        Some(b'?') => ((0, 1), &re[1..]),
        Some(b'{') => {
            let end = re
                .iter()
                .position(|&b| b == b'}')
                .ok_or(RegexError::Repeat)?;
            let body = core::str::from_utf8(&re[1..end]).map_err(|_| RegexError::Repeat)?;
            let num = |s: &str| s.parse::<usize>().map_err(|_| RegexError::Repeat);
            let (min, max) = match body.split_once(',') {
                None => (num(body)?, num(body)?),
                Some((a, "")) => (num(a)?, usize::MAX),
                Some((a, b)) => (num(a)?, num(b)?),
            };
            if min > max || min > 255 {
                return Err(RegexError::Repeat);
            }
            ((min, max), &re[end + 1..])
        }
        _ => ((1, 1), re),
    })
}

type Cont<'k> = &'k dyn Fn(usize) -> bool;

/// Matches one of the alternatives of `re` at `pos`, then the continuation.
fn alt(re: &[u8], t: &[u8], pos: usize, k: Cont<'_>) -> bool {
    match split_alternatives(re) {
        Ok(mut alts) => alts.any(|a| seq(a, t, pos, k)),
        Err(_) => false,
    }
}

/// Matches the sequence `re` at `pos`, then the continuation.
fn seq(re: &[u8], t: &[u8], pos: usize, k: Cont<'_>) -> bool {
    if re.is_empty() {
        return k(pos);
    }
    let Ok((atom, after)) = split_atom(re) else {
        return false;
    };
    let Ok(((min, max), rest)) = split_quantifier(after) else {
        return false;
    };
    repeat(atom, min, max, t, pos, &|p| seq(rest, t, p, k))
}

/// Matches `atom` between `min` and `max` times (greedy), then the continuation.
fn repeat(atom: Atom<'_>, min: usize, max: usize, t: &[u8], pos: usize, k: Cont<'_>) -> bool {
    if max == 0 {
        return k(pos);
    }
    let more = one(atom, t, pos, &|p| {
        // An empty match cannot make progress: stop repeating.
        if p == pos && min == 0 {
            return false;
        }
        repeat(atom, min.saturating_sub(1), max.saturating_sub(1), t, p, k)
    });
    more || (min == 0 && k(pos))
}

/// Matches `atom` once at `pos`, then the continuation.
fn one(atom: Atom<'_>, t: &[u8], pos: usize, k: Cont<'_>) -> bool {
    match atom {
        Atom::Group(inner) => alt(inner, t, pos, k),
        Atom::Start => pos == 0 && k(pos),
        Atom::End => pos == t.len() && k(pos),
        Atom::Any => pos < t.len() && k(pos + 1),
        Atom::Byte(b) => t.get(pos) == Some(&b) && k(pos + 1),
        Atom::Bracket(set) => t.get(pos).is_some_and(|&c| in_bracket(set, c)) && k(pos + 1),
    }
}

fn in_bracket(set: &[u8], c: u8) -> bool {
    let (negate, set) = match set.first() {
        Some(b'^') => (true, &set[1..]),
        _ => (false, set),
    };
    let mut i = 0;
    let mut hit = false;
    while i < set.len() {
        if set[i] == b'[' && set.get(i + 1) == Some(&b':') {
            if let Some(end) = set[i + 2..].windows(2).position(|w| w == b":]") {
                let name = &set[i + 2..i + 2 + end];
                hit |= match name {
                    b"alpha" => c.is_ascii_alphabetic(),
                    b"digit" => c.is_ascii_digit(),
                    b"alnum" => c.is_ascii_alphanumeric(),
                    b"upper" => c.is_ascii_uppercase(),
                    b"lower" => c.is_ascii_lowercase(),
                    b"space" => c.is_ascii_whitespace(),
                    b"punct" => c.is_ascii_punctuation(),
                    b"xdigit" => c.is_ascii_hexdigit(),
                    _ => false,
                };
                i += end + 4;
                continue;
            }
        }
        if set.get(i + 1) == Some(&b'-') && i + 2 < set.len() {
            hit |= (set[i]..=set[i + 2]).contains(&c);
            i += 3;
        } else {
            hit |= set[i] == c;
            i += 1;
        }
    }
    hit != negate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_like_posix_ere_search() {
        assert!(is_match("stat", "newfstatat"));
        assert!(is_match("^open", "openat"));
        assert!(!is_match("^open", "mq_open"));
        assert!(is_match("at$", "openat"));
        assert!(!is_match("^(open|close)$", "openat"));
        assert!(is_match("^(open|close)$", "close"));
        assert!(is_match("^[gs]et(uid|gid)$", "setgid"));
        assert!(!is_match("^[gs]et(uid|gid)$", "setresgid"));
        assert!(is_match("^p?read(64)?$", "pread64"));
        assert!(is_match("^p?read(64)?$", "read"));
        assert!(!is_match("^p?read(64)?$", "readv"));
        assert!(is_match("^.*64$", "pread64"));
        assert!(is_match("^[^_]+$", "read"));
        assert!(!is_match("^[^_]+$", "rt_sigaction"));
        assert!(is_match("^[[:alpha:]]{4}$", "read"));
        assert!(!is_match("^[[:alpha:]]{4}$", "readv"));
        assert!(is_match("^a{1,}b", "aab"));
        assert!(is_match("x*", "anything"));
        assert!(is_match("^(a|b)*c$", "ababc"));
        assert!(is_match("\\.", "a.b"));
        assert!(!is_match("\\.", "ab"));
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(validate("(open"), Err(RegexError::Parens));
        assert_eq!(validate("open)"), Err(RegexError::Parens));
        assert_eq!(validate("[abc"), Err(RegexError::Bracket));
        assert_eq!(validate("*a"), Err(RegexError::Repeat));
        assert_eq!(validate("a{2,1}"), Err(RegexError::Repeat));
        assert_eq!(validate("a\\"), Err(RegexError::Escape));
        assert!(validate("^(a|b)+[x-z]{1,3}$").is_ok());
        assert!(!is_match("(", "("));
    }
}
