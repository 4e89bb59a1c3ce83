//! Signal delivery lines: `--- SIGCHLD {si_signo=…} ---` as strace prints them, in strace's
//! order (after the call the signal interrupted, before the handler's own calls), and
//! `-e signal=` selects them.

use sysgate_tests::{blank_digits, probe, require_tools, Cmd, TestDir};

/// The lines of a trace with pids blanked, from the first signal line on.
fn from_first_signal(text: &str) -> Vec<String> {
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            let l = l
                .trim_start_matches(|c: char| c.is_ascii_digit())
                .trim_start();
            blank_digits(l, 'N')
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("--- SIG"))
        .unwrap_or(lines.len());
    lines[first.saturating_sub(1)..].to_vec()
}

#[test]
fn signal_lines_like_strace() {
    if !require_tools("signal_lines_like_strace", &["strace"]) {
        return;
    }
    let t = TestDir::new("signal-lines");
    let prog = probe("signal_delivery_lines");
    let f = t.trace_file("strace");
    let s = t.run_plain(
        "strace",
        &Cmd::new("strace").arg("-o").arg(&f).arg(&prog),
        Some(&f),
    );
    let g = t.run_sysgate(
        &[
            "trace",
            "-o",
            &t.trace_file("sysgate").display().to_string(),
        ],
        &Cmd::new(&prog),
        None,
    );
    let gfile = t
        .path()
        .read_dir()
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("sysgate.txt"))
        .unwrap();
    let gtext = std::fs::read_to_string(&gfile).unwrap();
    assert_eq!(g.code(), Some(0), "{g}");
    let sl = from_first_signal(s.trace_text());
    let gl = from_first_signal(&gtext);
    // Each delivery line is the same as strace's (pids blanked).
    let sigs = |v: &[String]| -> Vec<String> {
        v.iter()
            .filter(|l| l.starts_with("--- SIG"))
            .cloned()
            .collect()
    };
    assert_eq!(
        sigs(&sl),
        sigs(&gl),
        "delivery lines differ\nstrace:  {sl:#?}\nsysgate: {gl:#?}"
    );
    assert!(
        sigs(&gl)
            .iter()
            .any(|l| l.starts_with("--- SIGCHLD {si_signo=SIGCHLD, si_code=CLD_EXITED")),
        "{gl:#?}"
    );
    // The synchronous one (raise): after the tgkill that sent it, before the handler's write —
    // strace's order. (When SIGCHLD arrives depends on how fast the child exits.)
    for v in [&sl, &gl] {
        let i = v
            .iter()
            .position(|l| l.starts_with("--- SIGUSR"))
            .expect("SIGUSR1 line");
        assert!(
            i > 0 && v[i - 1].starts_with("tgkill(") && v[i + 1].starts_with("write("),
            "{v:#?}"
        );
    }
    // -e signal= selects them
    let f2 = t.trace_file("only-chld");
    let f2s = f2.display().to_string();
    let o = t.run_sysgate(
        &["trace", "-e", "signal=SIGCHLD", "-o", &f2s],
        &Cmd::new(&prog),
        Some(&f2),
    );
    assert!(
        o.trace_text().contains("--- SIGCHLD {") && !o.trace_text().contains("--- SIGUSR1"),
        "{o}"
    );
}

/// A signal that `rt_sigprocmask` unblocks is delivered on that call's return, before the
/// runtime would have finished the call: its line still shows the old mask the kernel wrote,
/// and comes before the delivery line, as strace's does.
#[test]
fn unblocking_call_shows_its_old_mask_before_the_delivery() {
    if !require_tools(
        "unblocking_call_shows_its_old_mask_before_the_delivery",
        &["strace"],
    ) {
        return;
    }
    let t = TestDir::new("unblock-pending");
    let prog = probe("unblock_pending");
    let f = t.trace_file("strace");
    let s = t.run_plain(
        "strace",
        &Cmd::new("strace").arg("-o").arg(&f).arg(&prog),
        Some(&f),
    );
    let gf = t.trace_file("sysgate");
    let g = t.run_sysgate(
        &["trace", "-o", &gf.display().to_string()],
        &Cmd::new(&prog),
        Some(&gf),
    );
    assert_eq!(g.code(), Some(0), "{g}");
    // (Digits come out as N.)
    let want = "rt_sigprocmask(SIG_SETMASK, [], [USRN], N) = N";
    for (who, text) in [("strace", s.trace_text()), ("sysgate", g.trace_text())] {
        let lines = from_first_signal(text);
        assert!(
            lines.len() > 1
                && lines[0] == want
                && lines[1].starts_with("--- SIGUSRN {si_signo=SIGUSRN, si_code=SI_TKILL,"),
            "{who}: {lines:#?}"
        );
    }
}
