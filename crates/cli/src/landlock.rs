//! The sandbox's path and TCP port rules as a Landlock ruleset, which the kernel enforces on
//! every path it resolves and every TCP `connect`/`bind`: a path another thread rewrites after
//! the in-process check, a symbolic link, `..`, `openat2`, `open_by_handle_at`, io_uring, a
//! static program exec'd from inside, all meet the same rules. `sysgate` builds the ruleset
//! (the `landlock` crate) and the program's process applies it just before it execs the loader
//! (`sysgate_launch::Launch::landlock`), so the loader's first instruction already runs under
//! it, and every process of the tree inherits it.
//!
//! Landlock only allows: a handled right is denied everywhere except beneath the files and
//! directories a rule grants it on. A policy is first-match over prefixes, so it is compiled
//! per class of rights (writing, reading) by walking the real file system from `/`:
//! - a directory gets one decision for its whole hierarchy (the first rule whose prefix
//!   contains it, else the default), granted or not, unless a prefix below it decides
//!   otherwise;
//! - such a directory (an ancestor of a prefix that decides otherwise) is listed, and each
//!   entry is decided the same way: so "deny writes under /home/u/secret" grants writing on every other
//!   entry of `/`, of `/home` and of `/home/u` (the complement of the denied hierarchy along its
//!   path). Symbolic links met while listing are not followed (access through one is decided at
//!   its target); prefixes are resolved to real paths first.
//! - Entries of such an ancestor directory are granted one by one, the directory itself not:
//!   a new name made directly in it (or one removed from it) is refused by the kernel even where
//!   the policy allows it, and so is anything below an entry that appears after the start.
//!
//! The classes: writing (`WriteFile`, `Truncate`, `Make*`, `Remove*`, `Refer`), for the rules
//! that cover every call which makes, changes or removes a name or opens for writing; reading
//! (`ReadFile`, `ReadDir`, `Execute`), for the rules without `write = true` that cover the opens
//! and execs. A deny-type rule that names only some of those calls stays in-process only (the
//! kernel cannot tell the calls apart); an allow-type rule that names some of them grants its
//! class (the in-process layer still decides the calls it does not name). Changes of mode,
//! owner, times and extended attributes have no Landlock right: the in-process layer alone
//! checks them. A port rule (`ports = […]`) on `connect` or `bind` becomes TCP connect/bind
//! rights the same way over the ports, 0 to 65535.
//!
//! What sysgate itself needs stays granted: executing and reading its loader, and reading
//! `/proc` (the runtime reads `/proc/self/maps`) whenever reading is handled. Without write
//! access to `/proc/self/mem` the runtime writes code between `mprotect`s instead.
//!
//! The kernel refuses with EACCES (EXDEV for a link or rename out of a hierarchy whose rights
//! the target would not give it); the in-process layer runs first and answers the errno the
//! policy names for what it sees.

use landlock::{
    Access, AccessFs, AccessNet, BitFlags, CompatLevel, Compatible, NetPort, PathBeneath, PathFd,
    Ruleset, RulesetAttr, RulesetCreatedAttr, ABI,
};
use std::collections::BTreeMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use sysgate_abi::x86_64::nr;

use crate::options::fail;
use crate::policy::{Act, Policy, Rule};
use std::process::ExitCode;

/// Calls that make, change or remove a name, or open a file for writing: what the writing
/// rights govern.
const WRITERS: &[u32] = &[
    nr::OPEN,
    nr::OPENAT,
    nr::OPENAT2,
    nr::CREAT,
    nr::TRUNCATE,
    nr::MKDIR,
    nr::MKDIRAT,
    nr::MKNOD,
    nr::MKNODAT,
    nr::RMDIR,
    nr::UNLINK,
    nr::UNLINKAT,
    nr::RENAME,
    nr::RENAMEAT,
    nr::RENAMEAT2,
    nr::LINK,
    nr::LINKAT,
    nr::SYMLINK,
    nr::SYMLINKAT,
];

/// Calls that open or execute a file by name: what the reading rights govern.
const READERS: &[u32] = &[nr::OPEN, nr::OPENAT, nr::OPENAT2, nr::EXECVE, nr::EXECVEAT];

/// A class of file rights and the calls behind it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Class {
    Write,
    Read,
}

impl Class {
    fn calls(self) -> &'static [u32] {
        match self {
            Class::Write => WRITERS,
            Class::Read => READERS,
        }
    }

    fn rights(self) -> BitFlags<AccessFs> {
        match self {
            Class::Write => AccessFs::from_write(ABI::V7) & !AccessFs::IoctlDev,
            Class::Read => AccessFs::from_read(ABI::V7),
        }
    }
}

/// What the kernel is to enforce.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Plan {
    /// File rights the ruleset handles: denied except beneath a grant.
    pub fs: BitFlags<AccessFs>,
    /// Granted file rights, by real path.
    pub grants: BTreeMap<PathBuf, BitFlags<AccessFs>>,
    /// TCP rights the ruleset handles.
    pub net: BitFlags<AccessNet>,
    /// Granted TCP rights, by port.
    pub ports: BTreeMap<u16, BitFlags<AccessNet>>,
}

impl Plan {
    pub(crate) fn is_empty(&self) -> bool {
        self.fs.is_empty() && self.net.is_empty()
    }
}

/// How a rule speaks to a class: not at all, or allowing or denying it where it matches.
fn relevance(r: &Rule, class: Class) -> Option<bool> {
    if !r.ports.is_empty() || (class == Class::Read && r.write) {
        return None;
    }
    let calls = class.calls();
    let has = |n: &u32| r.set.contains(u64::from(*n));
    if !calls.iter().any(has) {
        return None;
    }
    if r.act.denies() {
        // The kernel cannot deny some of the calls and not the others.
        calls.iter().all(has).then_some(false)
    } else {
        Some(true)
    }
}

/// A path made real: the longest existing ancestor resolved (symbolic links, `..`), the rest
/// appended as written.
fn real(path: &Path) -> PathBuf {
    if let Ok(p) = std::fs::canonicalize(path) {
        return p;
    }
    match (path.parent(), path.file_name()) {
        (Some(parent), Some(name)) => real(parent).join(name),
        _ => path.to_path_buf(),
    }
}

/// The class's rules, in order, with their prefixes made real (none: every path).
fn class_rules(p: &Policy, class: Class) -> Vec<(bool, Vec<PathBuf>)> {
    p.rules
        .iter()
        .filter_map(|r| {
            let allow = relevance(r, class)?;
            let paths = r.paths.iter().map(|s| real(Path::new(s))).collect();
            Some((allow, paths))
        })
        .collect()
}

/// Whether the class's rules allow it at `path` (first match, else the default).
fn allowed(rules: &[(bool, Vec<PathBuf>)], default: Act, path: &Path) -> bool {
    for (allow, prefixes) in rules {
        if prefixes.is_empty() || prefixes.iter().any(|pre| path.starts_with(pre)) {
            return *allow;
        }
    }
    !default.denies()
}

/// Grants beneath `dir` the places where the rules allow (see the module's notes).
fn walk(dir: &Path, rules: &[(bool, Vec<PathBuf>)], default: Act, out: &mut Vec<PathBuf>) {
    // The decision is the same beneath `dir` unless a prefix below it decides otherwise (the
    // first rule matching a path matches either `dir` too, or a prefix between the two).
    let here = allowed(rules, default, dir);
    let differs = rules
        .iter()
        .flat_map(|(_, ps)| ps)
        .any(|pre| pre.starts_with(dir) && pre != dir && allowed(rules, default, pre) != here);
    if !differs {
        if here {
            out.push(dir.to_path_buf());
        }
        return;
    }
    // Unlisted (unreadable): nothing beneath is granted.
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut children: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_type().is_ok_and(|t| !t.is_symlink()))
        .map(|e| e.path())
        .collect();
    children.sort();
    for child in children {
        let leads = rules
            .iter()
            .flat_map(|(_, ps)| ps)
            .any(|pre| pre.starts_with(&child));
        if leads {
            walk(&child, rules, default, out);
        } else if allowed(rules, default, &child) {
            out.push(child);
        }
    }
}

/// Which ports a call's rules allow, if any is denied.
fn port_grants(p: &Policy, call: u32) -> Option<Vec<u16>> {
    let rules: Vec<&Rule> = p
        .rules
        .iter()
        .filter(|r| r.paths.is_empty() && !r.write && r.set.contains(u64::from(call)))
        .collect();
    let decide = |port: u16| {
        for r in &rules {
            if r.ports.is_empty() || r.ports.contains(&port) {
                return !r.act.denies();
            }
        }
        !p.default.denies()
    };
    let denies_any = p.default.denies() || rules.iter().any(|r| r.act.denies());
    if !denies_any {
        return None;
    }
    let allowed: Vec<u16> = (0..=u16::MAX).filter(|&port| decide(port)).collect();
    // Every port allowed after all: nothing to handle.
    (allowed.len() < 1 << 16).then_some(allowed)
}

/// Compiles the policy. `loader` is sysgate's loader file, which every process of the tree
/// executes.
pub(crate) fn plan(p: &Policy, loader: Option<&Path>) -> Plan {
    let mut plan = Plan::default();
    for class in [Class::Write, Class::Read] {
        let rules = class_rules(p, class);
        let denies = p.default.denies() || rules.iter().any(|(allow, _)| !allow);
        if !denies {
            continue;
        }
        plan.fs |= class.rights();
        let mut places = Vec::new();
        walk(Path::new("/"), &rules, p.default, &mut places);
        if class == Class::Read {
            places.push(PathBuf::from("/proc"));
            places.extend(loader.map(real));
        }
        for place in places {
            *plan.grants.entry(place).or_default() |= class.rights();
        }
    }
    for (call, right) in [
        (nr::CONNECT, AccessNet::ConnectTcp),
        (nr::BIND, AccessNet::BindTcp),
    ] {
        if let Some(ports) = port_grants(p, call) {
            plan.net |= right;
            for port in ports {
                *plan.ports.entry(port).or_default() |= right;
            }
        }
    }
    plan
}

/// The kernel's Landlock ABI version (0: none), or the lower one `SYSGATE_LANDLOCK_ABI` names
/// (to see what sysgate does on an older kernel).
pub(crate) fn kernel_abi() -> i32 {
    let real = sysgate_launch::landlock_abi();
    match std::env::var("SYSGATE_LANDLOCK_ABI")
        .ok()
        .and_then(|v| v.parse::<i32>().ok())
    {
        Some(v) => v.clamp(0, real),
        None => real,
    }
}

/// What the plan asks for that a kernel of Landlock ABI `abi` cannot enforce, in words.
pub(crate) fn missing(plan: &Plan, abi: i32) -> Vec<&'static str> {
    let have_fs = if abi > 0 {
        AccessFs::from_all(ABI::from(abi))
    } else {
        BitFlags::EMPTY
    };
    let have_net = if abi > 0 {
        AccessNet::from_all(ABI::from(abi))
    } else {
        BitFlags::EMPTY
    };
    let lacks = plan.fs & !have_fs;
    let mut out = Vec::new();
    if lacks.intersects(AccessFs::from_all(ABI::V1)) {
        out.push("path rules");
    }
    if lacks.contains(AccessFs::Refer) {
        out.push("links and renames between directories");
    }
    if lacks.contains(AccessFs::Truncate) {
        out.push("truncation");
    }
    if !(plan.net & !have_net).is_empty() {
        out.push("TCP port rules");
    }
    out
}

/// Keeps only what a kernel of ABI `abi` can enforce.
pub(crate) fn narrow(plan: &mut Plan, abi: i32) {
    let (fs, net) = if abi > 0 {
        (
            AccessFs::from_all(ABI::from(abi)),
            AccessNet::from_all(ABI::from(abi)),
        )
    } else {
        (BitFlags::EMPTY, BitFlags::EMPTY)
    };
    plan.fs &= fs;
    plan.net &= net;
    for r in plan.grants.values_mut() {
        *r &= fs;
    }
    for r in plan.ports.values_mut() {
        *r &= net;
    }
    if plan.fs.is_empty() {
        plan.grants.clear();
    }
    if plan.net.is_empty() {
        plan.ports.clear();
    }
}

/// What `sandbox` asks of Landlock.
pub(crate) struct Request {
    pub(crate) policy: Policy,
    /// Run on when the kernel lacks a right the policy needs (the in-process check alone for
    /// it), instead of refusing.
    pub(crate) best_effort: bool,
}

/// The ruleset for the program's process to apply, if the policy has rules for the kernel;
/// says (one `sysgate:` line) what this kernel cannot enforce, and refuses unless asked for
/// best effort.
pub(crate) fn prepare(req: &Request, loader: Option<&Path>) -> Result<Option<OwnedFd>, ExitCode> {
    let mut plan = plan(&req.policy, loader);
    if plan.is_empty() {
        return Ok(None);
    }
    let abi = kernel_abi();
    let lacks = missing(&plan, abi);
    if !lacks.is_empty() {
        let kernel = if abi == 0 {
            "this kernel has no Landlock to enforce".to_string()
        } else {
            format!("this kernel's Landlock (ABI {abi}) cannot enforce")
        };
        let what = lacks.join(", ");
        if !req.best_effort {
            return Err(fail(
                format!(
                    "sandbox: {kernel} the policy's {what}: refused (--best-effort runs with the in-process check alone for those)"
                ),
                1,
            ));
        }
        eprintln!(
            "sysgate: sandbox: {kernel} the policy's {what}: the in-process check alone enforces those (--best-effort)"
        );
        narrow(&mut plan, abi);
        if plan.is_empty() {
            return Ok(None);
        }
    }
    build(&plan).map(Some).map_err(|e| fail(e, 1))
}

/// Makes the ruleset: its descriptor, for the program's process to apply.
pub(crate) fn build(plan: &Plan) -> Result<OwnedFd, String> {
    let err = |e: &dyn std::fmt::Display| format!("cannot make the Landlock ruleset: {e}");
    let mut rs = Ruleset::default().set_compatibility(CompatLevel::HardRequirement);
    if !plan.fs.is_empty() {
        rs = rs.handle_access(plan.fs).map_err(|e| err(&e))?;
    }
    if !plan.net.is_empty() {
        rs = rs.handle_access(plan.net).map_err(|e| err(&e))?;
    }
    let mut created = rs.create().map_err(|e| err(&e))?;
    for (path, &rights) in &plan.grants {
        // Gone since the walk: nothing to grant.
        let Ok(fd) = PathFd::new(path) else { continue };
        let rights = if path.is_dir() {
            rights
        } else {
            rights & AccessFs::from_file(ABI::V7)
        };
        if rights.is_empty() {
            continue;
        }
        created = created
            .add_rule(PathBeneath::new(fd, rights))
            .map_err(|e| err(&format!("{}: {e}", path.display())))?;
    }
    for (&port, &rights) in &plan.ports {
        if rights.is_empty() {
            continue;
        }
        created = created
            .add_rule(NetPort::new(port, rights))
            .map_err(|e| err(&e))?;
    }
    let fd: Option<OwnedFd> = created.into();
    fd.ok_or_else(|| err(&"this kernel has no Landlock"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::parse;

    fn policy(text: &str) -> Policy {
        parse("p.toml", text).unwrap()
    }

    #[test]
    fn deny_under_a_directory_grants_its_complement() {
        let root = std::env::temp_dir().join(format!("sysgate-ll-{}", std::process::id()));
        let denied = root.join("a/denied");
        std::fs::create_dir_all(&denied).unwrap();
        std::fs::create_dir_all(root.join("a/ok")).unwrap();
        std::fs::write(root.join("a/file"), b"x").unwrap();
        std::fs::create_dir_all(root.join("b")).unwrap();
        let p = policy(&format!(
            "[[rule]]\nsyscalls = [\"%file\"]\npaths = [\"{}\"]\nwrite = true\naction = \"errno:EPERM\"\n",
            denied.display()
        ));
        let plan = super::plan(&p, None);
        let w = Class::Write.rights();
        assert_eq!(plan.fs, w);
        let root = real(&root);
        let granted = |p: &Path| plan.grants.get(p).copied().unwrap_or_default();
        assert_eq!(granted(&root.join("a/ok")), w);
        assert_eq!(granted(&root.join("a/file")), w);
        assert_eq!(granted(&root.join("b")), w);
        assert!(granted(&root.join("a/denied")).is_empty());
        // Ancestors of the denied directory are not granted as a whole.
        for a in [Path::new("/"), &root, &root.join("a")] {
            assert!(granted(a).is_empty(), "{}", a.display());
        }
        assert!(plan
            .grants
            .keys()
            .all(|g| !g.starts_with(root.join("a/denied"))));
        assert!(plan.net.is_empty());
        std::fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn allow_lists_grant_only_their_prefixes() {
        let p = policy(
            "default = \"allow\"\n[[rule]]\nsyscalls = [\"%file\"]\npaths = [\"/tmp\", \"/dev/null\"]\nwrite = true\naction = \"allow\"\n[[rule]]\nsyscalls = [\"%file\"]\nwrite = true\naction = \"errno:EROFS\"\n",
        );
        let plan = super::plan(&p, None);
        let keys: Vec<_> = plan.grants.keys().cloned().collect();
        assert_eq!(
            keys,
            [real(Path::new("/dev/null")), real(Path::new("/tmp"))]
        );
    }

    #[test]
    fn an_allowed_prefix_inside_an_allowed_one_changes_nothing() {
        // The build tree under /tmp: /tmp is granted whole, new names in it included.
        let p = policy(
            "[[rule]]\nsyscalls = [\"%file\"]\npaths = [\"/tmp/x/build\", \"/tmp\"]\nwrite = true\naction = \"allow\"\n[[rule]]\nsyscalls = [\"%file\"]\nwrite = true\naction = \"errno:EROFS\"\n",
        );
        let plan = super::plan(&p, None);
        let keys: Vec<_> = plan.grants.keys().cloned().collect();
        assert_eq!(keys, [real(Path::new("/tmp"))]);
    }

    #[test]
    fn partial_denies_stay_in_process_and_reads_need_the_loader() {
        // Only unlink: the kernel cannot deny it alone.
        let p = policy(
            "[[rule]]\nsyscalls = [\"unlink\"]\npaths = [\"/etc\"]\naction = \"errno:EPERM\"\n",
        );
        assert!(super::plan(&p, None).is_empty());
        // Every file call under /srv: reading and writing, /proc and the loader stay readable.
        let p = policy(
            "[[rule]]\nsyscalls = [\"%file\"]\npaths = [\"/srv\"]\naction = \"errno:EACCES\"\n",
        );
        let plan = super::plan(&p, Some(Path::new("/proc/self/exe")));
        assert_eq!(plan.fs, Class::Write.rights() | Class::Read.rights());
        assert!(plan.grants[Path::new("/proc")].contains(AccessFs::ReadFile));
    }

    #[test]
    fn ports_compile_to_tcp_rights() {
        let p =
            policy("[[rule]]\nsyscalls = [\"connect\"]\nports = [25]\naction = \"errno:EACCES\"\n");
        let plan = super::plan(&p, None);
        assert_eq!(plan.net, AccessNet::ConnectTcp);
        assert!(!plan.ports.contains_key(&25));
        assert_eq!(plan.ports.len(), 65535);
        let p = policy("[[rule]]\nsyscalls = [\"%network\"]\naction = \"errno:EACCES\"\n");
        let plan = super::plan(&p, None);
        assert_eq!(plan.net, AccessNet::ConnectTcp | AccessNet::BindTcp);
        assert!(plan.ports.is_empty());
        assert!(plan.fs.is_empty());
    }

    #[test]
    fn older_kernels_lack_rights() {
        let p = policy(
            "[[rule]]\nsyscalls = [\"%file\", \"connect\"]\npaths = [\"/srv\"]\nwrite = true\naction = \"errno:EACCES\"\n[[rule]]\nsyscalls = [\"connect\"]\nports = [25]\naction = \"errno:EACCES\"\n",
        );
        let mut plan = super::plan(&p, None);
        assert!(missing(&plan, 7).is_empty());
        assert_eq!(
            missing(&plan, 1),
            [
                "links and renames between directories",
                "truncation",
                "TCP port rules"
            ]
        );
        assert_eq!(missing(&plan, 0)[0], "path rules");
        narrow(&mut plan, 2);
        assert!(plan.net.is_empty() && plan.ports.is_empty());
        assert!(!plan.fs.contains(AccessFs::Truncate));
    }
}
