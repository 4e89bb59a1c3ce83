//! `-e inject=SET:…` and `-e fault=SET:…`, strace's syntax, checked here and passed down in
//! the wire form `sysgate_tools::inject` reads.

use sysgate_abi::SyscallSet;

/// One parsed expression.
#[derive(Debug, PartialEq, Eq)]
pub struct Inject {
    pub set: SyscallSet,
    pub error: Option<u16>,
    pub retval: Option<i64>,
    pub signal: u8,
    pub delay_enter_ns: u64,
    pub delay_exit_ns: u64,
    pub first: u32,
    pub last: u32,
    pub step: u32,
}

impl Inject {
    /// The wire form of one rule.
    pub fn wire(&self) -> String {
        let mut words = String::new();
        let _ = self.set.write_words(&mut words);
        let (kind, value) = match (self.error, self.retval) {
            (Some(e), _) => ("e", i64::from(e)),
            (None, Some(v)) => ("r", v),
            (None, None) => ("n", 0),
        };
        format!(
            "{words}:{kind}:{value}:{}:{}:{}:{}:{}:{}",
            self.signal, self.delay_enter_ns, self.delay_exit_ns, self.first, self.last, self.step
        )
    }
}

/// strace's time specification: a number with an optional `s`, `ms`, `us` or `ns` suffix;
/// `default_unit_ns` for a bare number (microseconds for delays).
pub fn parse_duration(s: &str, default_unit_ns: u64) -> Option<u64> {
    let (num, unit) = match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => s.split_at(i),
        None => (s, ""),
    };
    let unit_ns = match unit {
        "" => default_unit_ns,
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "us" => 1_000,
        "ns" => 1,
        _ => return None,
    };
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    let ns = v * unit_ns as f64;
    (ns < 1e18).then_some(ns.round() as u64)
}

/// `first[..last][+[step]]` → (first, last (0: none), step (0: first only)).
pub fn parse_when(s: &str) -> Result<(u32, u32, u32), String> {
    let bad =
        || format!("invalid when= expression '{s}' (expected N, N+, N+STEP, N..M or N..M+STEP)");
    let (range, step) = match s.split_once('+') {
        Some((r, "")) => (r, Some(1)),
        Some((r, st)) => (
            r,
            Some(
                st.parse::<u32>()
                    .ok()
                    .filter(|v| (1..=65535).contains(v))
                    .ok_or_else(bad)?,
            ),
        ),
        None => (s, None),
    };
    let (first, last) = match range.split_once("..") {
        Some((f, l)) => (f, Some(l)),
        None => (range, None),
    };
    let first = first
        .parse::<u32>()
        .ok()
        .filter(|v| (1..=65535).contains(v))
        .ok_or_else(bad)?;
    let last = match last {
        Some(l) => {
            let l = l
                .parse::<u32>()
                .ok()
                .filter(|v| (1..=65534).contains(v))
                .ok_or_else(bad)?;
            if l < first {
                return Err(bad());
            }
            l
        }
        None => 0,
    };
    // `first..last` without a step injects every invocation in the range.
    let step = step.unwrap_or(if last != 0 { 1 } else { 0 });
    Ok((first, last, step))
}

fn parse_signal(s: &str) -> Option<u8> {
    if let Ok(n) = s.parse::<u8>() {
        return (1..=64).contains(&n).then_some(n);
    }
    let n = sysgate_abi::signal::number(s)
        .or_else(|| sysgate_abi::signal::number(&format!("SIG{s}")))?;
    u8::try_from(n).ok()
}

fn parse_errno(s: &str) -> Option<u16> {
    if let Ok(n) = s.parse::<u16>() {
        return (1..=4095).contains(&n).then_some(n);
    }
    sysgate_abi::errno::number(s).and_then(|n| u16::try_from(n).ok())
}

/// Parses the value of `-e inject=` (`fault` true: `-e fault=`, whose error defaults to
/// ENOSYS).
pub fn parse(value: &str, fault: bool) -> Result<Inject, String> {
    let what = if fault { "fault" } else { "inject" };
    let mut parts = value.split(':');
    let set_text = parts.next().unwrap_or("");
    if set_text.is_empty() {
        return Err(format!("-e {what}={value}: no syscall set"));
    }
    let set =
        sysgate_abi::parse_trace_set(set_text).map_err(|e| format!("-e {what}={value}: {e}"))?;
    let mut r = Inject {
        set,
        error: None,
        retval: None,
        signal: 0,
        delay_enter_ns: 0,
        delay_exit_ns: 0,
        first: 1,
        last: 0,
        step: 1,
    };
    let mut delay = false;
    for opt in parts {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("-e {what}={value}: '{opt}' is not KEY=VALUE"))?;
        let bad = |why: &str| format!("-e {what}={value}: {why}");
        match k {
            "error" => {
                if r.error.is_some() || r.retval.is_some() {
                    return Err(bad("only one error= or retval= is allowed"));
                }
                r.error = Some(parse_errno(v).ok_or_else(|| {
                    bad(&format!(
                        "invalid error '{v}' (an errno name like ENOENT, or 1..4095)"
                    ))
                })?);
            }
            "retval" if !fault => {
                if r.error.is_some() || r.retval.is_some() {
                    return Err(bad("only one error= or retval= is allowed"));
                }
                r.retval = Some(
                    v.parse()
                        .map_err(|_| bad(&format!("invalid retval '{v}'")))?,
                );
            }
            "signal" if !fault => {
                if r.signal != 0 {
                    return Err(bad("only one signal= is allowed"));
                }
                r.signal = parse_signal(v).ok_or_else(|| bad(&format!("invalid signal '{v}'")))?;
            }
            "delay_enter" | "delay_exit" if !fault => {
                let ns = parse_duration(v, 1_000).ok_or_else(|| bad(&format!("invalid delay '{v}' (a number with s, ms, us or ns; microseconds by default)")))?;
                delay = true;
                if k == "delay_enter" {
                    r.delay_enter_ns = ns;
                } else {
                    r.delay_exit_ns = ns;
                }
            }
            "when" => {
                let (f, l, s) = parse_when(v).map_err(|e| bad(&e))?;
                (r.first, r.last, r.step) = (f, l, s);
            }
            "syscall" | "poke_enter" | "poke_exit" if !fault => {
                return Err(bad(&format!("{k}= is not supported yet")))
            }
            _ => return Err(bad(&format!("unknown option '{k}'"))),
        }
    }
    if fault && r.error.is_none() {
        r.error = Some(38); // ENOSYS
    }
    if r.error.is_none() && r.retval.is_none() && r.signal == 0 && !delay {
        return Err(format!(
            "-e {what}={value}: say what to inject (error=, retval=, signal=, delay_enter= or delay_exit=)"
        ));
    }
    Ok(r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_strace_expressions() {
        let r = parse("openat:error=ENOENT:when=2", false).unwrap();
        assert_eq!((r.error, r.first, r.last, r.step), (Some(2), 2, 0, 0));
        assert!(r.set.contains(u64::from(sysgate_abi::x86_64::nr::OPENAT)));
        let r = parse("%file:retval=0:when=3+2", false).unwrap();
        assert_eq!((r.retval, r.first, r.step), (Some(0), 3, 2));
        let r = parse("getpid:delay_enter=10ms:delay_exit=5", false).unwrap();
        assert_eq!((r.delay_enter_ns, r.delay_exit_ns), (10_000_000, 5_000));
        let r = parse("chdir:when=2..4", true).unwrap();
        assert_eq!((r.error, r.first, r.last, r.step), (Some(38), 2, 4, 1));
        assert_eq!(parse("read:signal=USR1", false).unwrap().signal, 10);
        for bad in [
            "getpid:when=1",
            "getpid:error=ENOENT:when=0",
            "getpid:error=ENOENT:when=1..0",
            "getpid:error=ENOENT:retval=1",
            "getpid:error=FOO",
            "getpid:error=4096",
            "nosuch:error=1",
            ":error=1",
            "getpid:bogus=1",
            "getpid:poke_enter=@arg1=00",
        ] {
            assert!(parse(bad, false).is_err(), "{bad}");
        }
        assert!(parse("read:retval=1", true).is_err());
    }

    #[test]
    fn wire_form_is_what_the_tool_reads() {
        let r = parse("openat:error=ENOENT:when=2", false).unwrap();
        assert!(r.wire().ends_with(":e:2:0:0:0:2:0:0"), "{}", r.wire());
    }
}
