//! Per-thread runtime blocks are reused: a program that starts and joins thousands of threads
//! one after the other must not accumulate mappings under sysgate.

use sysgate_tests::{Cmd, Mode, TestDir};

const SCRIPT: &str = r#"
import threading, os
for r in range(2000):
    t = threading.Thread(target=os.getppid); t.start(); t.join()
print(open('/proc/self/maps').read().count('\n'))
"#;

fn maps_after(t: &TestDir, mode: Mode) -> usize {
    let o = t.run(&Cmd::new("python3").arg("-c").arg(SCRIPT), mode);
    assert_eq!(o.code(), Some(0), "{o}");
    o.stdout_str()
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("no count in output\n{o}"))
}

#[test]
fn thread_blocks_are_reused() {
    if !sysgate_tests::require_tools("thread_blocks_are_reused", &["python3"]) {
        return;
    }
    let t = TestDir::new("thread-blocks");
    let native = maps_after(&t, Mode::Native);
    for mode in [Mode::Run, Mode::Trace] {
        let under = maps_after(&t, mode);
        // Without reuse every thread would leave two mappings behind (4000 here).
        assert!(
            under < native + 200,
            "{}: {under} mappings after 2000 threads (native {native})",
            mode.name()
        );
    }
}
