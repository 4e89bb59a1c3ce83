//! Sandbox policies: the TOML file of `sysgate sandbox --policy FILE` and `--deny SET`,
//! checked here (every error names its line and column) and passed down in the wire form
//! `sysgate_tools::sandbox` reads.
//!
//! ```toml
//! default = "allow"                 # allow | log | kill | errno:NAME (default: allow)
//!
//! [[rule]]
//! comment = "why this rule exists"  # optional
//! syscalls = ["%network"]           # names, classes (%file, %network, ...), "all"
//! paths = ["/etc", "./out", "~"]    # optional: path prefixes (path-taking calls only);
//!                                   # ./ is the directory sysgate starts in, ~ is $HOME
//! write = true                      # optional: only calls that modify the file system
//! ports = [25, 6667]                # optional: connect/bind to these TCP/UDP ports only
//! action = "errno:EACCES"           # allow | log | kill | errno:NAME
//! ```
//!
//! Rules are checked in order and the first that matches decides; `--deny SET` rules come
//! before the file's.

use serde::Deserialize;
use std::ops::Range;
use sysgate_abi::SyscallSet;
use toml::Spanned;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    default: Option<Spanned<String>>,
    #[serde(default, rename = "rule")]
    rules: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    syscalls: Spanned<Vec<Spanned<String>>>,
    #[serde(default)]
    paths: Vec<Spanned<String>>,
    #[serde(default)]
    write: bool,
    #[serde(default)]
    ports: Vec<Spanned<i64>>,
    action: Spanned<String>,
    #[serde(default)]
    #[allow(dead_code)]
    comment: Option<String>,
}

/// What a rule does (the tool's `Act`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Act {
    Allow,
    Log,
    Kill,
    Errno(u16),
}

impl Act {
    fn parse(s: &str) -> Result<Act, String> {
        Ok(match s {
            "allow" => Act::Allow,
            "log" => Act::Log,
            "kill" => Act::Kill,
            _ => match s.strip_prefix("errno:") {
                Some(e) => {
                    let n = sysgate_abi::errno::number(e)
                        .or_else(|| e.parse::<i32>().ok().filter(|n| (1..4096).contains(n)))
                        .ok_or_else(|| format!("unknown errno '{e}'"))?;
                    Act::Errno(n as u16)
                }
                None => {
                    return Err(format!(
                        "unknown action '{s}' (allow, log, kill or errno:NAME)"
                    ))
                }
            },
        })
    }

    fn wire(self) -> String {
        match self {
            Act::Allow => "a".into(),
            Act::Log => "l".into(),
            Act::Kill => "k".into(),
            Act::Errno(e) => format!("e{e}"),
        }
    }

    pub fn denies(self) -> bool {
        matches!(self, Act::Kill | Act::Errno(_))
    }
}

/// One compiled rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rule {
    pub set: SyscallSet,
    pub paths: Vec<String>,
    pub write: bool,
    /// `connect`/`bind` to one of these ports only (AF_INET, AF_INET6).
    pub ports: Vec<u16>,
    pub act: Act,
}

/// A whole policy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Policy {
    pub default: Act,
    pub rules: Vec<Rule>,
}

/// `FILE:LINE:COLUMN` of a byte offset.
fn position(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rfind('\n')
        .map_or(before.len(), |nl| before.len() - nl - 1)
        + 1;
    (line, col)
}

fn at(name: &str, text: &str, span: Range<usize>, msg: impl std::fmt::Display) -> String {
    let (l, c) = position(text, span.start);
    format!("{name}:{l}:{c}: {msg}")
}

/// A prefix as written, made absolute: `.` and `./…` name the directory `sysgate` starts in
/// (a build tree), `~` and `~/…` the home directory.
fn expand(v: &str) -> Result<String, String> {
    let (base, rest) = if v == "." || v.starts_with("./") {
        let cwd =
            std::env::current_dir().map_err(|e| format!("'{v}': no working directory: {e}"))?;
        (cwd, &v[1..])
    } else if v == "~" || v.starts_with("~/") {
        let home = std::env::var_os("HOME").ok_or_else(|| format!("'{v}': HOME is not set"))?;
        (std::path::PathBuf::from(home), &v[1..])
    } else {
        return Ok(v.to_string());
    };
    let rest = rest.trim_start_matches('/');
    let joined = if rest.is_empty() {
        base
    } else {
        base.join(rest)
    };
    Ok(joined.to_string_lossy().into_owned())
}

/// Parses a policy file's text; `name` is used in messages (`policy.toml:3:12: …`).
pub fn parse(name: &str, text: &str) -> Result<Policy, String> {
    let f: File = toml::from_str(text).map_err(|e| match e.span() {
        Some(span) => at(name, text, span, e.message()),
        None => format!("{name}: {}", e.message()),
    })?;
    let default = match &f.default {
        Some(d) => Act::parse(d.get_ref()).map_err(|m| at(name, text, d.span(), m))?,
        None => Act::Allow,
    };
    let mut rules = Vec::new();
    for r in &f.rules {
        let mut set = SyscallSet::empty();
        if r.syscalls.get_ref().is_empty() {
            return Err(at(
                name,
                text,
                r.syscalls.span(),
                "a rule needs at least one syscall or class",
            ));
        }
        for s in r.syscalls.get_ref() {
            let one = sysgate_abi::parse_trace_set(s.get_ref())
                .map_err(|e| at(name, text, s.span(), e))?;
            set = set.union(&one);
        }
        let act = Act::parse(r.action.get_ref()).map_err(|m| at(name, text, r.action.span(), m))?;
        let mut paths = Vec::new();
        for p in &r.paths {
            let v = &expand(p.get_ref()).map_err(|m| at(name, text, p.span(), m))?;
            if !v.starts_with('/') {
                return Err(at(
                    name,
                    text,
                    p.span(),
                    format!("path prefix '{v}' must be absolute (or start with ./ or ~/)"),
                ));
            }
            if v.len() > 255 || v.contains('\0') {
                return Err(at(
                    name,
                    text,
                    p.span(),
                    "path prefix too long or not a path",
                ));
            }
            paths.push(v.clone());
        }
        if !paths.is_empty() {
            let takes_path = |n: u64| {
                sysgate_abi::x86_64::desc(n)
                    .is_some_and(|d| d.args.contains(&sysgate_abi::Arg::Path))
            };
            if !(0..512u64).any(|n| set.contains(n) && takes_path(n)) {
                return Err(at(
                    name,
                    text,
                    r.syscalls.span(),
                    "paths = … only applies to calls that take a path, and none of these does",
                ));
            }
        }
        let mut ports = Vec::new();
        for p in &r.ports {
            match u16::try_from(*p.get_ref()) {
                Ok(v) if v > 0 => ports.push(v),
                _ => {
                    return Err(at(
                        name,
                        text,
                        p.span(),
                        "a port is a number from 1 to 65535",
                    ))
                }
            }
        }
        if !ports.is_empty() {
            let sock = [
                sysgate_abi::x86_64::nr::CONNECT,
                sysgate_abi::x86_64::nr::BIND,
            ];
            if !sock.iter().any(|&n| set.contains(u64::from(n))) {
                return Err(at(
                    name,
                    text,
                    r.syscalls.span(),
                    "ports = … only applies to connect and bind, and neither is in this rule",
                ));
            }
            if !paths.is_empty() {
                return Err(at(
                    name,
                    text,
                    r.syscalls.span(),
                    "a rule has paths or ports, not both",
                ));
            }
        }
        rules.push(Rule {
            set,
            paths,
            write: r.write,
            ports,
            act,
        });
    }
    Ok(Policy { default, rules })
}

/// The rule of `--deny SET`.
pub fn deny_rule(set: &str) -> Result<Rule, String> {
    let set = sysgate_abi::parse_trace_set(set).map_err(|e| format!("--deny {set}: {e}"))?;
    Ok(Rule {
        set,
        paths: Vec::new(),
        write: false,
        ports: Vec::new(),
        act: Act::Errno(1),
    })
}

impl Policy {
    /// The configuration keys of the sandbox (`sbd=`, `sbr=`, `sbk=0`).
    pub fn wire(&self) -> Result<String, String> {
        let mut rules = self.rules.clone();
        // io_uring performs opens, reads and even socket creation without a syscall per
        // operation, out of any filter's sight: a policy that denies anything denies it too,
        // unless a rule of its own says otherwise.
        if self.default.denies() || rules.iter().any(|r| r.act.denies()) {
            let mut set = SyscallSet::empty();
            set.insert(sysgate_abi::x86_64::nr::IO_URING_SETUP);
            rules.push(Rule {
                set,
                paths: Vec::new(),
                write: false,
                ports: Vec::new(),
                act: Act::Errno(1),
            });
        }
        if rules.len() > 48 {
            return Err(format!(
                "the policy has {} rules; sysgate handles at most 47",
                rules.len()
            ));
        }
        if rules.iter().map(|r| r.paths.len()).sum::<usize>() > 64 {
            return Err("the policy has more than 64 path prefixes".into());
        }
        if rules.iter().map(|r| r.ports.len()).sum::<usize>() > 64 {
            return Err("the policy has more than 64 ports".into());
        }
        let mut out = Vec::new();
        for r in &rules {
            let mut words = String::new();
            let _ = r.set.write_words(&mut words);
            let paths = crate::options::hex_paths(r.paths.iter().map(|p| p.as_bytes()));
            let ports: Vec<String> = r.ports.iter().map(|p| p.to_string()).collect();
            out.push(format!(
                "{}@{}@{}@{}@{}",
                r.act.wire(),
                words,
                r.write as u8,
                paths,
                ports.join(",")
            ));
        }
        Ok(format!(
            "sbd={};sbr={};sbk=0",
            self.default.wire(),
            out.join("/")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_line_and_column() {
        let e = parse(
            "p.toml",
            "default = \"allow\"\n[[rule]]\nsyscalls = [\"openat\", \"opn\"]\naction = \"kill\"\n",
        )
        .unwrap_err();
        assert!(e.starts_with("p.toml:3:23: "), "{e}");
        let e = parse(
            "p.toml",
            "[[rule]]\nsyscalls = [\"read\"]\naction = \"deny\"\n",
        )
        .unwrap_err();
        assert!(e.starts_with("p.toml:3:10: unknown action 'deny'"), "{e}");
        let e = parse(
            "p.toml",
            "[[rule]]\nsyscalls = [\"read\"]\naction = \"kill\"\nbogus = 1\n",
        )
        .unwrap_err();
        assert!(e.starts_with("p.toml:4:1: "), "{e}");
        let e = parse("p.toml", "default = \"allow\n").unwrap_err();
        assert!(e.starts_with("p.toml:1:"), "{e}");
        let e = parse(
            "p.toml",
            "[[rule]]\nsyscalls = [\"read\"]\npaths = [\"/tmp\"]\naction = \"kill\"\n",
        )
        .unwrap_err();
        assert!(e.contains("take a path"), "{e}");
        let e = parse(
            "p.toml",
            "[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"tmp\"]\naction = \"kill\"\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("p.toml:3:10: path prefix 'tmp' must be absolute"),
            "{e}"
        );
    }

    #[test]
    fn ports_and_relative_prefixes() {
        let e = parse(
            "p.toml",
            "[[rule]]\nsyscalls = [\"connect\"]\nports = [80, 70000]\naction = \"kill\"\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("p.toml:3:14: a port is a number from 1 to 65535"),
            "{e}"
        );
        let e = parse(
            "p.toml",
            "[[rule]]\nsyscalls = [\"socket\"]\nports = [80]\naction = \"kill\"\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("p.toml:2:12: ports = … only applies to connect and bind"),
            "{e}"
        );
        let p = parse(
            "p.toml",
            "[[rule]]\nsyscalls = [\"%network\"]\nports = [443]\naction = \"allow\"\n[[rule]]\nsyscalls = [\"%file\"]\npaths = [\"./out\", \".\"]\naction = \"allow\"\n",
        )
        .unwrap();
        assert_eq!(p.rules[0].ports, [443]);
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            p.rules[1].paths,
            [
                cwd.join("out").display().to_string(),
                cwd.display().to_string()
            ]
        );
        assert!(p.wire().unwrap().contains("@443/"), "{}", p.wire().unwrap());
    }

    #[test]
    fn compiles_rules() {
        let p = parse(
            "p.toml",
            "default = \"allow\"\n[[rule]]\nsyscalls = [\"%network\"]\naction = \"errno:EACCES\"\n\n[[rule]]\nsyscalls = [\"openat\"]\npaths = [\"/etc\"]\nwrite = true\naction = \"log\"\n",
        )
        .unwrap();
        assert_eq!(p.rules.len(), 2);
        assert_eq!(p.rules[0].act, Act::Errno(13));
        assert!(p.rules[0]
            .set
            .contains(u64::from(sysgate_abi::x86_64::nr::CONNECT)));
        assert_eq!(p.rules[1].paths, ["/etc"]);
        let w = p.wire().unwrap();
        assert!(w.starts_with("sbd=a;sbr=e13@"), "{w}");
        assert!(w.contains("@1@2f657463@/"), "{w}");
        assert!(w.ends_with(";sbk=0"));
    }
}
