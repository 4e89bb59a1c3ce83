//! Signal names. Real-time signals are named as strace names them: 32 is `SIGRTMIN`,
//! 33.. are `SIGRT_1`.. up to 64 (`SIGRT_32`).

/// Standard signals 1..=31, indexed by number.
const NAMES: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// `SIGRT_n` names for 33..=64, indexed by `n - 1`.
const RT_NAMES: [&str; 32] = [
    "SIGRT_1", "SIGRT_2", "SIGRT_3", "SIGRT_4", "SIGRT_5", "SIGRT_6", "SIGRT_7", "SIGRT_8",
    "SIGRT_9", "SIGRT_10", "SIGRT_11", "SIGRT_12", "SIGRT_13", "SIGRT_14", "SIGRT_15", "SIGRT_16",
    "SIGRT_17", "SIGRT_18", "SIGRT_19", "SIGRT_20", "SIGRT_21", "SIGRT_22", "SIGRT_23", "SIGRT_24",
    "SIGRT_25", "SIGRT_26", "SIGRT_27", "SIGRT_28", "SIGRT_29", "SIGRT_30", "SIGRT_31", "SIGRT_32",
];

/// The first real-time signal.
pub const SIGRTMIN: i32 = 32;
/// The last signal.
pub const SIGRTMAX: i32 = 64;

/// The name of signal `sig` (`SIGINT`, `SIGRTMIN`, `SIGRT_3`).
pub fn name(sig: i32) -> Option<&'static str> {
    match sig {
        1..=31 => NAMES.get(usize::try_from(sig).ok()?).copied(),
        SIGRTMIN => Some("SIGRTMIN"),
        33..=64 => RT_NAMES.get(usize::try_from(sig - 33).ok()?).copied(),
        _ => None,
    }
}

/// The number of the signal called `name`, with or without the `SIG` prefix.
/// Also accepts the aliases `SIGIOT`, `SIGPOLL`, `SIGCLD` and `SIGRTMAX`.
pub fn number(name: &str) -> Option<i32> {
    let short = name.strip_prefix("SIG").unwrap_or(name);
    match short {
        "IOT" => return Some(6),
        "POLL" => return Some(29),
        "CLD" => return Some(17),
        "RTMAX" => return Some(SIGRTMAX),
        "UNUSED" => return Some(31),
        _ => {}
    }
    (1..=SIGRTMAX).find(|&s| name_of_short(s) == Some(short))
}

/// The name without `SIG` (`INT`, `RTMIN`, `RT_1`), as used inside sigsets.
pub fn short_name(sig: i32) -> Option<&'static str> {
    name_of_short(sig)
}

fn name_of_short(sig: i32) -> Option<&'static str> {
    name(sig).and_then(|n| n.get(3..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(name(2), Some("SIGINT"));
        assert_eq!(name(31), Some("SIGSYS"));
        assert_eq!(name(32), Some("SIGRTMIN"));
        assert_eq!(name(34), Some("SIGRT_2"));
        assert_eq!(name(64), Some("SIGRT_32"));
        assert_eq!(name(65), None);
        assert_eq!(name(0), None);
        assert_eq!(name(-5), None);
        assert_eq!(short_name(33), Some("RT_1"));
        assert_eq!(number("SIGTERM"), Some(15));
        assert_eq!(number("TERM"), Some(15));
        assert_eq!(number("SIGRTMIN"), Some(32));
        assert_eq!(number("SIGRT_1"), Some(33));
        assert_eq!(number("SIGFOO"), None);
    }
}
