//! The rewrites that need no page 0 (`--no-page0`): `mov $nr,%eax; syscall` into a call to a
//! trampoline, `P; syscall` with `P` moved into a slot, register-number sites through nearby
//! padding, `syscall`s that straddle a cache line or a page, and Go binaries' sites (found
//! through Go's own function table). Every probe behaves as natively, also when code jumps
//! straight to an old `syscall`.

use sysgate_tests::{assert_probe_ok, probe, probe_lib, Cmd, TestDir};

/// Without page 0 (`--no-page0`): sites of the form `mov $nr,%eax; syscall` become calls to
/// trampolines; every probe behaves as natively.
#[test]
fn probes_pass_without_page0() {
    let t = TestDir::new("no-page0");
    for (name, last) in [
        ("signal_semantics", "all signal checks passed\n"),
        ("own_fds_invisible", "all fd checks passed\n"),
        ("bad_pointers_efault", "all bad pointer checks passed\n"),
        ("every_entry", "all entries passed\n"),
    ] {
        let o = t.run_sysgate(&["run", "--no-page0"], &Cmd::new(probe(name)), None);
        assert_probe_ok(&o, last);
    }
    for flags in [
        &["run", "--no-page0"][..],
        &["run", "--no-page0", "--no-displace"],
    ] {
        let o = t.run_sysgate(
            flags,
            &Cmd::new(probe("rewrite_race")).arg("16").arg("3000"),
            None,
        );
        assert_eq!(
            o.stdout_str(),
            "16 threads, 15000 calls each: 0 wrong results\n",
            "{flags:?}\n{o}"
        );
    }
    let cmd = Cmd::new(probe("every_origin")).arg(probe_lib("dlopen_sites_lib"));
    let o = t.run_sysgate(&["run", "--no-page0"], &cmd, None);
    assert_eq!(o.code(), Some(0), "{o}");
}

/// A jump straight to the `syscall` of a rewritten `mov $nr,%eax; syscall` (eax set by the
/// jumper) still makes the syscall: it lands on the trapping top bytes of the call's
/// displacement (displaced.rs) or, with `--no-displace`, on the `ud2` left in its place
/// (trampoline.rs). One site lies inside an aligned 16-byte block (one `cmpxchg16b`), the
/// other straddles two (rewritten in steps behind an `int3`).
#[test]
fn jumping_into_a_rewritten_site_still_makes_the_call() {
    let t = TestDir::new("jump-into-site");
    let native = t.run(
        &Cmd::new(probe("jump_into_site")),
        sysgate_tests::Mode::Native,
    );
    assert_eq!(
        native.stdout_str(),
        "rewritten=none,none wrong=0\n",
        "{native}"
    );
    let o = t.run_sysgate(
        &["run", "--no-page0"],
        &Cmd::new(probe("jump_into_site")),
        None,
    );
    assert_eq!(
        o.stdout_str(),
        "rewritten=displaced,displaced wrong=0\n",
        "every entry works\n{o}"
    );
    let o = t.run_sysgate(
        &["run", "--no-page0", "--no-displace"],
        &Cmd::new(probe("jump_into_site")),
        None,
    );
    assert_eq!(
        o.stdout_str(),
        "rewritten=ud2,ud2 wrong=0\n",
        "every entry works\n{o}"
    );
    let o = t.run(&Cmd::new(probe("jump_into_site")), sysgate_tests::Mode::Run);
    assert_eq!(o.code(), Some(0), "{o}");
    assert!(o.stdout_str().ends_with("wrong=0\n"), "{o}");
}

/// Without page 0, a `syscall` whose number comes from a register (no room for a call) next to
/// alignment padding becomes a short jump to a call placed in the padding: inside the function
/// after a `ret`, or in the gap before the next function. Nops that run (right after the
/// `syscall`) are never used. Calls keep their results and flags, also when code jumps
/// straight to the old `syscall`.
#[test]
fn sites_next_to_padding_are_rewritten_without_page0() {
    let t = TestDir::new("padsite");
    let native = t.run(
        &Cmd::new(probe("padding_sites")),
        sysgate_tests::Mode::Native,
    );
    assert_eq!(
        native.stdout_str(),
        "rewritten: inner=0 gap=0 live=0\nall padding checks passed\n",
        "{native}"
    );
    let o = t.run_sysgate(
        &["run", "--no-page0"],
        &Cmd::new(probe("padding_sites")),
        None,
    );
    assert_eq!(
        o.stdout_str(),
        "rewritten: inner=1 gap=1 live=0\nall padding checks passed\n",
        "{o}"
    );
    let file = t.trace_file("padsite");
    let f = file.to_string_lossy().into_owned();
    let o = t.run_sysgate(
        &["trace", "--no-page0", "-o", &f],
        &Cmd::new(probe("padding_sites")),
        Some(&file),
    );
    assert_eq!(
        o.stdout_str(),
        "rewritten: inner=1 gap=1 live=0\nall padding checks passed\n",
        "{o}"
    );
    // Every call is traced, through the padding or not: 5 getppid per round (2000 rounds),
    // 128 from the flag checks and the probe's first.
    let getppid = o
        .trace_text()
        .lines()
        .filter(|l| l.starts_with("getppid()"))
        .count();
    assert_eq!(
        getppid,
        2000 * 5 + 128 + 1,
        "{}",
        o.trace_text()
            .lines()
            .take(40)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let o = t.run_sysgate(&["run"], &Cmd::new(probe("padding_sites")), None);
    assert!(
        o.stdout_str().ends_with("all padding checks passed\n"),
        "{o}"
    );
}

/// Without page 0, `P; syscall` with `P` an instruction of 3 bytes or more that only uses
/// registers becomes a call to a trampoline that runs `P` (displaced.rs): 3-, 4-, 5- and
/// 7-byte `P`, a `lea` relative to `rip` (which runs as a `movabs` of the address it
/// computed), and two 2-byte instructions together unless a jump lands on the second,
/// rewritten while four threads run them. A load stays on the SIGSYS path. Calls
/// keep their results and flags, also when code jumps straight to the old `syscall` (which
/// must trap: for 3- and 4-byte `P` those bytes are the call's displacement).
#[test]
fn sites_with_a_movable_instruction_are_rewritten_without_page0() {
    let t = TestDir::new("dispsite");
    let native = t.run(
        &Cmd::new(probe("displaced_sites")),
        sysgate_tests::Mode::Native,
    );
    assert_eq!(
        native.stdout_str(),
        "rewritten: d3=0 d4=0 d5=0 d7=0 rip=0 pair=0 pairjt=0 mem=0\nall displaced checks passed\n",
        "{native}"
    );
    let o = t.run_sysgate(
        &["run", "--no-page0"],
        &Cmd::new(probe("displaced_sites")),
        None,
    );
    assert_eq!(
        o.stdout_str(),
        "rewritten: d3=1 d4=1 d5=1 d7=1 rip=1 pair=1 pairjt=0 mem=0\nall displaced checks passed\n",
        "{o}"
    );
    let file = t.trace_file("dispsite");
    let f = file.to_string_lossy().into_owned();
    let o = t.run_sysgate(
        &["trace", "-f", "--no-page0", "-o", &f],
        &Cmd::new(probe("displaced_sites")),
        Some(&file),
    );
    assert_eq!(
        o.stdout_str(),
        "rewritten: d3=1 d4=1 d5=1 d7=1 rip=1 pair=1 pairjt=0 mem=0\nall displaced checks passed\n",
        "{o}"
    );
    // Every call is traced, through a trampoline, a trap at the old `syscall` or SIGSYS:
    // 10 getppid and 4 getpid per round (4 threads x 2000 rounds), 512 getppid from the flag
    // checks, and the probe's first of each.
    let text = o.trace_text();
    // With -f and -o, each line starts with the thread's id.
    let count = |call: &str| {
        text.lines()
            .filter(|l| {
                l.trim_start_matches(|c: char| c.is_ascii_digit())
                    .trim_start()
                    .starts_with(call)
            })
            .count()
    };
    assert_eq!(
        count("getppid()"),
        4 * 2000 * 10 + 512 + 1,
        "{}",
        text.lines().take(40).collect::<Vec<_>>().join("\n")
    );
    assert_eq!(count("getpid()"), 4 * 2000 * 4 + 1);
    let o = t.run_sysgate(&["run"], &Cmd::new(probe("displaced_sites")), None);
    assert!(
        o.stdout_str().ends_with("all displaced checks passed\n"),
        "{o}"
    );
}

/// A `syscall` whose two bytes straddle a cache line or a page (glibc's `__open64_nocancel`,
/// which `opendir` calls, ends so on Debian 13, and stayed on the SIGSYS path) is rewritten:
/// its `0f` stays, its `05` becomes `0b` (`ud2`, the trap) in one locked byte store, and both
/// pages are made writable together. Displaced and `mov $nr,%eax` shapes, rewritten while four
/// threads run them; every call keeps its result, also when code jumps straight to the old
/// `syscall`.
#[test]
fn sites_whose_syscall_straddles_a_cache_line_or_a_page_are_rewritten() {
    let t = TestDir::new("straddle");
    let cmd = Cmd::new(probe("sites_straddling_lines"));
    let native = t.run(&cmd, sysgate_tests::Mode::Native);
    assert_eq!(
        native.stdout_str(),
        "rewritten: page=0 line=0 imm=0\nall straddle checks passed\n",
        "{native}"
    );
    let o = t.run_sysgate(&["run", "--no-page0"], &cmd, None);
    assert_eq!(
        o.stdout_str(),
        "rewritten: page=1 line=1 imm=1\nall straddle checks passed\n",
        "{o}"
    );
    // Without the displaced rewrite only `mov $nr,%eax; syscall` has a rewrite (`call; ud2`).
    let o = t.run_sysgate(&["run", "--no-page0", "--no-displace"], &cmd, None);
    assert_eq!(
        o.stdout_str(),
        "rewritten: page=0 line=0 imm=1\nall straddle checks passed\n",
        "{o}"
    );
    let file = t.trace_file("straddle");
    let f = file.to_string_lossy().into_owned();
    let o = t.run_sysgate(&["trace", "-f", "--no-page0", "-o", &f], &cmd, Some(&file));
    assert_eq!(
        o.stdout_str(),
        "rewritten: page=1 line=1 imm=1\nall straddle checks passed\n",
        "{o}"
    );
    // 5 getppid and 1 getpid per round (4 threads x 2000 rounds), and the probe's first of each.
    let text = o.trace_text();
    let count = |call: &str| {
        text.lines()
            .filter(|l| {
                l.trim_start_matches(|c: char| c.is_ascii_digit())
                    .trim_start()
                    .starts_with(call)
            })
            .count()
    };
    assert_eq!(count("getppid()"), 4 * 2000 * 5 + 1);
    assert_eq!(count("getpid()"), 4 * 2000 + 1);
}

/// Go binaries have no unwind tables; the rewriter finds their functions in Go's own function
/// table (`.gopclntab`). Without page 0, the site in Go's register-argument syscall stub
/// (`mov %rbx,%rdi; syscall`) and one of its runtime's (`mov $14,%eax; syscall`) are
/// rewritten after their first trap (they stayed on SIGSYS before); the program reads its
/// own code to tell.
#[test]
fn go_sites_are_rewritten_without_page0() {
    if !sysgate_tests::require_tools("go_sites_are_rewritten_without_page0", &["go"]) {
        return;
    }
    let t = TestDir::new("trap-path-go");
    let exe = t.join("gosites");
    let st = std::process::Command::new("go")
        .args(["build", "-o"])
        .arg(&exe)
        .arg(sysgate_tests::probe::probes_dir().join("../programs/gosites.go"))
        .env("CGO_ENABLED", "0")
        .env("GOCACHE", t.join("gocache"))
        .env("GOPATH", t.join("gopath"))
        .env("GO111MODULE", "off")
        .status()
        .expect("go build");
    assert!(st.success(), "go build gosites");
    let nm = std::process::Command::new("go")
        .args(["tool", "nm"])
        .arg(&exe)
        .output()
        .expect("go tool nm");
    let nm = String::from_utf8_lossy(&nm.stdout).into_owned();
    let image = std::fs::read(&exe).expect("read gosites");
    let sites: Vec<String> = [
        "runtime/internal/syscall.Syscall6",
        "runtime.rtsigprocmask.abi0",
    ]
    .iter()
    .map(|sym| {
        let addr = nm
            .lines()
            .find_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() == 3 && f[2] == *sym)
                    .then(|| u64::from_str_radix(f[0], 16).ok())
                    .flatten()
            })
            .unwrap_or_else(|| panic!("{sym} not in go tool nm\n{nm}"));
        let off = file_offset(&image, addr)
            .unwrap_or_else(|| panic!("{sym} at {addr:#x} not in a segment"));
        let at = image[off..off + 64]
            .windows(2)
            .position(|w| w == [0x0f, 0x05])
            .unwrap_or_else(|| panic!("no syscall in {sym}"));
        format!("{:x}", addr + at as u64)
    })
    .collect();
    let cmd = Cmd::new(&exe).args(&sites);
    let native = t.run(&cmd, sysgate_tests::Mode::Native);
    assert_eq!(native.stdout_str(), "syscall\nsyscall\n", "{native}");
    let o = t.run_sysgate(&["run", "--no-page0"], &cmd, None);
    assert_eq!(o.stdout_str(), "rewritten\nrewritten\n", "{o}");
    o.assert_exit_code(0);
    let o = t.run_sysgate(&["run", "--no-rewrite"], &cmd, None);
    assert_eq!(o.stdout_str(), "syscall\nsyscall\n", "{o}");
}

/// Where the bytes of virtual address `addr` are in the ELF file `image` (its PT_LOAD table).
fn file_offset(image: &[u8], addr: u64) -> Option<usize> {
    let u64_at = |o: usize| u64::from_le_bytes(image[o..o + 8].try_into().unwrap());
    let phoff = u64_at(0x20) as usize;
    let phnum = u16::from_le_bytes([image[0x38], image[0x39]]) as usize;
    (0..phnum).find_map(|i| {
        let ph = phoff + i * 56;
        let (kind, offset, vaddr, filesz) = (
            u32::from_le_bytes(image[ph..ph + 4].try_into().unwrap()),
            u64_at(ph + 8),
            u64_at(ph + 16),
            u64_at(ph + 32),
        );
        (kind == 1 && (vaddr..vaddr + filesz).contains(&addr))
            .then(|| (addr - vaddr + offset) as usize)
    })
}
