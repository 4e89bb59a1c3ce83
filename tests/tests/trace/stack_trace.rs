//! `sysgate trace -k`: the call stack after each line, against `strace -k` on the same
//! programs: a C probe built with `-g -O0` (main → chain_a → chain_b → write, then a function
//! of a dlopen'ed library), `ls /`, and a Go program.

use std::path::Path;
use std::process::Command;
use sysgate_tests::probe::{probe_debug, probes_dir};
use sysgate_tests::{require_tools, Cmd, TestDir};

/// Each traced call's line, and the symbol names of its frames (`?` for a frame without one).
fn calls(text: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for l in text.lines() {
        if let Some(frame) = l.strip_prefix(" > ") {
            let name = match (frame.find('('), frame.find(')')) {
                (Some(a), Some(b)) if b > a => {
                    let inside = &frame[a + 1..b];
                    let sym = inside.split('+').next().unwrap_or("");
                    if sym.is_empty() {
                        "?".to_string()
                    } else {
                        sym.to_string()
                    }
                }
                _ => frame.split_whitespace().next().unwrap_or("?").to_string(),
            };
            if let Some(last) = out.last_mut() {
                last.1.push(name);
            }
        } else if !l.starts_with("+++") && !l.starts_with("---") {
            out.push((l.to_string(), Vec::new()));
        }
    }
    out
}

/// The program and its arguments.
fn argv(prog: &Path, args: &[&str]) -> Cmd {
    Cmd::new(prog).args(args)
}

fn strace_k(t: &TestDir, name: &str, expr: &str, prog: &Path, args: &[&str]) -> String {
    let f = t.trace_file(&format!("{name}-strace"));
    let o = t.run_plain(
        "strace -k",
        &Cmd::new("strace")
            .args(["-k", "-e", expr, "-o"])
            .arg(&f)
            .arg(prog)
            .args(args),
        Some(&f),
    );
    o.trace_text().to_string()
}

fn sysgate_k(t: &TestDir, name: &str, expr: &str, prog: &Path, args: &[&str]) -> String {
    let f = t.trace_file(&format!("{name}-sysgate"));
    let o = t.run_sysgate(
        &["trace", "-k", "-e", expr, "-o", f.to_str().unwrap()],
        &argv(prog, args),
        Some(&f),
    );
    o.assert_exit_code(0);
    o.trace_text().to_string()
}

/// main → chain_a → chain_b → write, and lib_write → lib_inner → write in a dlopen'ed
/// library: the same function names in every frame as strace -k.
#[test]
fn frames_of_a_c_program_and_a_dlopened_library_match_strace() {
    if !require_tools("frames_match_strace", &["strace", "gcc"]) {
        return;
    }
    let t = TestDir::new("stack-chain");
    let exe = probe_debug(t.path(), "stack_chain.c", "stack_chain", &["-ldl"]);
    let lib = probe_debug(
        t.path(),
        "stack_chain_lib.c",
        "libchain.so",
        &["-shared", "-fPIC"],
    );
    let lib = lib.to_str().unwrap();
    let s = calls(&strace_k(&t, "chain", "trace=write", &exe, &[lib]));
    let g = calls(&sysgate_k(&t, "chain", "trace=write", &exe, &[lib]));
    assert_eq!(s.len(), 2, "{s:#?}");
    assert_eq!(g.len(), 2, "{g:#?}");
    for ((sl, sf), (gl, gf)) in s.iter().zip(&g) {
        assert_eq!(sl, gl);
        assert_eq!(sf, gf, "frames of {gl}\nstrace:  {sf:?}\nsysgate: {gf:?}");
    }
    for want in ["chain_b", "chain_a", "main"] {
        assert!(g[0].1.iter().any(|f| f == want), "{want} in {:?}", g[0].1);
    }
    for want in ["lib_inner", "lib_write", "main"] {
        assert!(g[1].1.iter().any(|f| f == want), "{want} in {:?}", g[1].1);
    }
    let text = sysgate_k(&t, "chain2", "trace=write", &exe, &[lib]);
    assert!(
        text.lines()
            .any(|l| l.starts_with(" > ") && l.contains("libchain.so(lib_inner+0x")),
        "{text}"
    );
}

/// `ls /`: at least 95% of the calls have the same frames, by symbol name, as strace -k's.
#[test]
fn frames_of_ls_agree_with_strace() {
    if !require_tools("frames_of_ls_agree_with_strace", &["strace", "ls"]) {
        return;
    }
    let t = TestDir::new("stack-ls");
    let ls = sysgate_tests::which("ls").expect("ls");
    let s = calls(&strace_k(&t, "ls", "trace=all", &ls, &["/"]));
    let g = calls(&sysgate_k(&t, "ls", "trace=all", &ls, &["/"]));
    // Pair the calls by name, in order (both see the same calls of ls).
    let name = |l: &str| l.split('(').next().unwrap_or("").to_string();
    let sn: Vec<String> = s.iter().map(|(l, _)| name(l)).collect();
    let gn: Vec<String> = g.iter().map(|(l, _)| name(l)).collect();
    let mut same = 0;
    let mut compared = 0;
    let mut j = 0;
    let mut diffs = Vec::new();
    for (i, n) in sn.iter().enumerate() {
        let Some(k) = gn[j..].iter().position(|m| m == n) else {
            continue;
        };
        let gi = j + k;
        j = gi + 1;
        compared += 1;
        if s[i].1 == g[gi].1 {
            same += 1;
        } else if diffs.len() < 5 {
            diffs.push(format!(
                "{}\n  strace:  {:?}\n  sysgate: {:?}",
                s[i].0, s[i].1, g[gi].1
            ));
        }
    }
    eprintln!(
        "ls /: {same} of {compared} calls with the same frames as strace -k ({} strace calls)",
        sn.len()
    );
    assert!(
        compared * 10 >= sn.len() * 9,
        "{compared} of {} calls paired",
        sn.len()
    );
    assert!(
        same * 100 >= compared * 95,
        "{same} of {compared}\n{}",
        diffs.join("\n")
    );
}

/// A Go program (its own frame pointers, no libc): frames in the Go runtime and main.
#[test]
fn frames_of_a_go_program() {
    if !require_tools("frames_of_a_go_program", &["go"]) {
        return;
    }
    let t = TestDir::new("stack-go");
    let exe = t.join("gotime");
    let st = Command::new("go")
        .args(["build", "-o"])
        .arg(&exe)
        .arg(probes_dir().join("gotime.go"))
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", t.join("gocache"))
        .env("GOPATH", t.join("gopath"))
        .env("GO111MODULE", "off")
        .status()
        .expect("go build");
    assert!(st.success());
    let text = sysgate_k(&t, "go", "trace=write,clock_gettime", &exe, &[]);
    let g = calls(&text);
    assert!(!g.is_empty(), "{text}");
    let named: Vec<&String> = g
        .iter()
        .flat_map(|(_, f)| f)
        .filter(|f| f.as_str() != "?")
        .collect();
    assert!(
        named
            .iter()
            .any(|f| f.starts_with("runtime.") || f.starts_with("syscall.")),
        "{text}"
    );
    assert!(named.iter().any(|f| f.as_str() == "main.main"), "{text}");
    let exe_s = exe.display().to_string();
    assert!(
        text.lines().any(|l| l.starts_with(&format!(" > {exe_s}("))),
        "{text}"
    );
}

/// `-k --json`: each call's object has `"stack"`, an array of frames; `-k --perfetto`: each
/// slice's args have it, as strace's lines.
#[test]
fn frames_in_json_and_perfetto() {
    if !require_tools("frames_in_json_and_perfetto", &["gcc"]) {
        return;
    }
    let t = TestDir::new("stack-json");
    let exe = probe_debug(t.path(), "stack_chain.c", "stack_chain", &["-ldl"]);
    let f = t.trace_file("json");
    let o = t.run_sysgate(
        &[
            "trace",
            "-k",
            "--json",
            "-e",
            "trace=write",
            "-o",
            f.to_str().unwrap(),
        ],
        &argv(&exe, &[]),
        Some(&f),
    );
    o.assert_exit_code(0);
    let call: serde_json::Value = o
        .trace_text()
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON line"))
        .find(|v| v["name"] == "write")
        .expect("the write call");
    let symbols: Vec<&str> = call["stack"]
        .as_array()
        .expect("a stack array")
        .iter()
        .filter_map(|f| f["symbol"].as_str())
        .collect();
    assert_eq!(
        &symbols[..4],
        ["__write", "chain_b", "chain_a", "main"],
        "{call}"
    );
    assert!(call["stack"][1]["module"]
        .as_str()
        .unwrap()
        .ends_with("/stack_chain"));
    assert!(call["stack"][1]["file_offset"]
        .as_str()
        .unwrap()
        .starts_with("0x"));

    let p = t.join("trace.json");
    let o = t.run_sysgate(
        &[
            "trace",
            "-k",
            "-e",
            "trace=write",
            "--perfetto",
            p.to_str().unwrap(),
        ],
        &argv(&exe, &[]),
        None,
    );
    o.assert_exit_code(0);
    let doc: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&p).unwrap()).expect("a trace-event file");
    let slice = doc["traceEvents"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "write")
        .expect("the write slice");
    let stack: Vec<&str> = slice["args"]["stack"]
        .as_array()
        .expect("a stack in args")
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(stack[1].contains("/stack_chain(chain_b+0x"), "{slice}");
}

/// A static program (no ld.so, no libc.so), its fork child and a thread: each write's frames
/// show `inner` and its caller.
#[test]
fn frames_of_a_static_program_its_fork_child_and_a_thread() {
    if !require_tools("frames_static_fork_thread", &["gcc"]) {
        return;
    }
    let t = TestDir::new("stack-static");
    let exe = probe_debug(
        t.path(),
        "stack_fork_thread.c",
        "stack_fork_thread",
        &["-static", "-pthread"],
    );
    let f = t.trace_file("k");
    let o = t.run_sysgate(
        &[
            "trace",
            "-f",
            "-k",
            "-e",
            "trace=write",
            "-o",
            f.to_str().unwrap(),
        ],
        &argv(&exe, &[]),
        Some(&f),
    );
    o.assert_exit_code(0);
    let g = calls(o.trace_text());
    let writes: Vec<_> = g.iter().filter(|(l, _)| l.contains(" write(1, ")).collect();
    assert_eq!(writes.len(), 3, "{}", o.trace_text());
    for (line, frames) in writes {
        let caller = if line.contains("\"t\\n\"") {
            "th"
        } else {
            "main"
        };
        let at = frames.iter().position(|f| f == "inner");
        assert!(
            at.is_some_and(|i| frames.get(i + 1).is_some_and(|f| f == caller)),
            "{line}: {frames:?}"
        );
    }
}
