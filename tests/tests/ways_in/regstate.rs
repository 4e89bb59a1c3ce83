//! What a syscall leaves in the registers: every general register but rax, rcx and r11, the
//! flags (all arithmetic flags, DF), xmm0–15, mxcsr and the x87 control word come back as
//! they were, on every path into the entry (a displaced site's trampoline, the page-0 sled,
//! the no-page-0 `call; ud2` trampoline, the SIGSYS path, the `close` filter) and with a Rust handler on the call (`count`, `trace`) or
//! without (`run`).

use sysgate_tests::{probe, Cmd, Mode, TestDir};

#[test]
fn registers_and_flags_survive_every_path() {
    let t = TestDir::new("regstate");
    let native = t.run(&Cmd::new(probe("registers_preserved")), Mode::Native);
    assert_eq!(native.code(), Some(0), "{native}");
    // Natively r11 holds the flags the call was made with (sysgate clobbers it: DESIGN.md).
    assert!(
        native
            .stdout_str()
            .starts_with("r11 held the flags after 384 of 384 calls\n"),
        "{native}"
    );
    let out = t.path().join("trace.out").to_string_lossy().into_owned();
    let configs: [&[&str]; 10] = [
        &["run"],
        &["run", "--no-displace"],
        &["run", "--no-page0"],
        &["run", "--no-page0", "--no-displace"],
        &["run", "--no-rewrite"],
        &["count", "-o", "/dev/null"],
        &["count", "--no-page0", "-o", "/dev/null"],
        &["trace", "-o", &out],
        &["trace", "--no-page0", "-o", &out],
        &["trace", "--no-rewrite", "-o", &out],
    ];
    for args in configs {
        let o = t.run_sysgate(args, &Cmd::new(probe("registers_preserved")), None);
        assert!(
            o.code() == Some(0) && o.stdout_str().ends_with("all register checks passed\n"),
            "sysgate {}: {o}",
            args.join(" ")
        );
    }
}
