//! The SIGSYS path alone: with `--no-rewrite` no site is ever rewritten, so every syscall of the
//! program is trapped by Syscall User Dispatch and redirected into the entry from the SIGSYS
//! handler. This is what a user who cannot map page 0 gets; the probes must behave exactly as
//! with rewriting.

use sysgate_tests::{assert_probe_ok, probe, probe_lib, Cmd, TestDir};

#[test]
fn probes_pass_on_the_trap_path() {
    let t = TestDir::new("trap-path");
    for (name, last) in [
        ("signal_semantics", "all signal checks passed\n"),
        ("own_fds_invisible", "all fd checks passed\n"),
        ("bad_pointers_efault", "all bad pointer checks passed\n"),
    ] {
        let o = t.run_sysgate(&["run", "--no-rewrite"], &Cmd::new(probe(name)), None);
        assert_probe_ok(&o, last);
        let file = t.trace_file(name);
        let f = file.to_string_lossy().into_owned();
        let o = t.run_sysgate(
            &["trace", "--no-rewrite", "-f", "-o", &f],
            &Cmd::new(probe(name)),
            Some(&file),
        );
        assert_probe_ok(&o, last);
        o.assert_trace_shape();
    }
}

#[test]
fn every_entry_is_seen_on_the_trap_path() {
    let t = TestDir::new("trap-path-entries");
    let file = t.trace_file("entries");
    let f = file.to_string_lossy().into_owned();
    let cmd = Cmd::new(probe("every_origin")).arg(probe_lib("dlopen_sites_lib"));
    let o = t.run_sysgate(
        &["trace", "--no-rewrite", "-f", "-o", &f],
        &cmd,
        Some(&file),
    );
    assert_eq!(o.code(), Some(0), "{o}");
    let text = o.trace_text();
    for origin in [
        "main-asm",
        "libc",
        "thread",
        "fork",
        "vfork",
        "jit",
        "dlopen-asm",
        "signal",
        "sigaltstack",
        "after-exec",
    ] {
        let line = format!(
            "openat(AT_FDCWD, \"/nonexistent/sysgate-marker-{origin}\", O_RDONLY) = -1 ENOENT (No such file or directory)"
        );
        assert!(
            text.contains(&line),
            "missing marker {origin} on the trap path\n{o}"
        );
    }
}

/// Program handlers delivered on the entry stack (the thread was blocked in a call the entry
/// serves) at every stack depth, each making a trapped call: the trapped call's frame must go
/// below the handler's signal frame, which `rt_sigreturn` still reads (a frame placed inside
/// it corrupted the restored vector state and protection-key register; the thread died).
#[test]
fn handlers_on_the_entry_stack_make_trapped_calls_at_any_depth() {
    let t = TestDir::new("trap-path-deep-handler");
    let cmd = Cmd::new(probe("nested_handler_stacks"));
    assert_probe_ok(&t.run(&cmd, sysgate_tests::Mode::Native), "handlers: ok\n");
    let o = t.run_sysgate(&["run", "--no-rewrite"], &cmd, None);
    assert_probe_ok(&o, "handlers: ok\n");
    let file = t.trace_file("deep_handler");
    let f = file.to_string_lossy().into_owned();
    let o = t.run_sysgate(&["trace", "--no-rewrite", "-o", &f], &cmd, Some(&file));
    assert_probe_ok(&o, "handlers: ok\n");
    let trace = o.trace_text();
    let signals = trace
        .lines()
        .filter(|l| l.starts_with("--- SIGALRM"))
        .count();
    assert!(signals > 256, "{signals} SIGALRM lines\n{o}");
}

/// Threads on stacks of a few KiB (Go's new threads start on 8 KiB) whose calls trap at new
/// sites: the kernel's SIGSYS frame lands on that stack, the handler (which decodes and
/// rewrites the site) runs on a stack of its own; with and without page 0, and with every
/// call left on the SIGSYS path.
#[test]
fn first_calls_on_small_stacks() {
    let t = TestDir::new("trap-path-small-stacks");
    let cmd = Cmd::new(probe("small_stack_threads"));
    assert_probe_ok(
        &t.run(&cmd, sysgate_tests::Mode::Native),
        "small stacks: ok\n",
    );
    for args in [
        &["run"][..],
        &["run", "--no-page0"],
        &["run", "--no-rewrite"],
        &["count", "-o", "/dev/null"],
    ] {
        assert_probe_ok(&t.run_sysgate(args, &cmd, None), "small stacks: ok\n");
    }
}
