//! The tool `sysgate-loader` arms: the parts a command asked for, composed into one table of
//! handlers. `run` uses none of them (every call takes the fast path); `trace` the tracer;
//! `count` and `trace -c` the counter; `-e inject=` the injector; `--clock` the virtual
//! clock; `sandbox` the policy. Each part sees the calls it subscribed to; the order on entry
//! is tracer (entry values), sandbox, clock, injection, counter (right before the kernel); on
//! exit the counter first, so that its time does not include the trace line.

use crate::{clock, count, inject, sandbox, tracer};
use sysgate_abi::SyscallSet;
use sysgate_runtime as rt;
use sysgate_runtime::api::{Action, Arch, StartupCell, NR_MAX};

/// Which parts are on.
#[derive(Clone, Copy, Debug, Default)]
pub struct Parts {
    pub trace: bool,
    pub count: Option<count::Clock>,
    /// The calls counted (`-e trace=` of `count` and `trace -c`).
    pub count_set: Option<SyscallSet>,
    pub inject: bool,
    pub clock: bool,
    pub sandbox: bool,
}

impl Parts {
    /// Nothing on.
    const OFF: Parts = Parts {
        trace: false,
        count: None,
        count_set: None,
        inject: false,
        clock: false,
        sandbox: false,
    };
}

static PARTS: StartupCell<Parts> = StartupCell::new();

/// The composed tool.
pub struct Gate;
static GATE: Gate = Gate;

/// Why the configuration could not be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BadConfig(pub &'static str);

impl Gate {
    /// Reads the parts from the configuration sysgate passed down and sets each one up.
    pub fn init(cfg: &'static rt::config::Config) -> Result<&'static Gate, BadConfig> {
        let mut p = Parts {
            trace: cfg.get("tool") == Some("trace"),
            ..Parts::default()
        };
        if p.trace {
            tracer::Tracer::init(tracer::Settings::from_config(cfg));
        }
        p.count = match cfg.get("count") {
            Some("cpu") => Some(count::Clock::Cpu),
            Some("wall") => Some(count::Clock::Wall),
            _ => None,
        };
        p.count_set = cfg.get("cset").and_then(SyscallSet::from_words);
        if let Some(w) = cfg.get("inj").filter(|w| !w.is_empty()) {
            if !inject::init(w) {
                return Err(BadConfig("malformed injection rules (inj=)"));
            }
            p.inject = true;
        }
        if let Some(w) = cfg.get("clock").filter(|w| !w.is_empty()) {
            if !clock::init(w) {
                return Err(BadConfig("malformed virtual clock (clock=)"));
            }
            p.clock = true;
        }
        if let Some(d) = cfg.get("sbd") {
            if !sandbox::init(d, cfg.get("sbr").unwrap_or("")) {
                return Err(BadConfig("malformed sandbox policy (sbd=, sbr=)"));
            }
            p.sandbox = true;
        }
        PARTS.set(p);
        Ok(&GATE)
    }

    /// The parts that are on (read on every call's way in and out: by reference).
    pub fn parts() -> &'static Parts {
        static NONE: Parts = Parts::OFF;
        PARTS.get().unwrap_or(&NONE)
    }
}

impl rt::Tool for Gate {
    fn subscribe(&self, wants: &mut [bool; NR_MAX]) {
        let p = Gate::parts();
        if p.trace {
            rt::Tool::subscribe(&tracer::Tracer, wants);
        }
        if p.count.is_some() {
            let set = p.count_set.unwrap_or(SyscallSet::all());
            for (n, w) in wants.iter_mut().enumerate() {
                *w |= set.contains(n as u64);
            }
        }
        if p.inject {
            inject::subscribe(wants);
        }
        if p.clock {
            clock::subscribe(wants);
            if let Some(w) = wants.get_mut(sysgate_abi::x86_64::nr::CLOSE as usize) {
                *w = true;
            }
        }
        if p.sandbox {
            sandbox::subscribe(wants);
        }
    }

    fn enter(&self, call: &mut rt::Call<'_>) -> Action {
        let p = Gate::parts();
        if p.inject {
            inject::clear(call.thread);
        }
        if p.trace && tracer::shows(call.arch, call.nr) {
            rt::Tool::enter(&tracer::Tracer, call);
        }
        let mut action = Action::Pass;
        if p.sandbox {
            if let Some(a) = sandbox::enter(call) {
                action = a;
            }
        }
        if p.clock && action == Action::Pass {
            if let Some(a) = clock::enter(call) {
                action = a;
            }
        }
        if p.inject && action == Action::Pass {
            if let Some(a) = inject::enter(call) {
                action = a;
            }
        }
        if let (Some(c), true) = (p.count, counts(p, call)) {
            // Counting alone: the number may move to the entry's counting stub.
            let alone = !p.trace && !p.inject && !p.clock && !p.sandbox;
            count::start(call, c, alone);
        }
        if p.count.is_some() && is_exec(call) {
            // A new image claims its own slot; a failed exec claims one again.
            count::release(call.thread);
        }
        action
    }

    fn exit(&self, call: &mut rt::Call<'_>, ret: i64) {
        let p = Gate::parts();
        if let (Some(c), true) = (p.count, counts(p, call)) {
            count::finish(call, ret, c);
        }
        if p.inject {
            inject::exit(call);
        }
        if p.clock && call.nr == u64::from(sysgate_abi::x86_64::nr::CLOSE) && ret == 0 {
            clock::closed(call.args()[0] & 0xffff_ffff);
        }
        if p.trace && tracer::shows(call.arch, call.nr) {
            rt::Tool::exit(&tracer::Tracer, call, ret);
        }
        if p.inject {
            inject::clear(call.thread);
        }
    }

    fn wants_signals(&self) -> bool {
        Gate::parts().trace
    }

    fn signal(&self, thread: &mut rt::process::thread::Thread, info: &[u8; 128]) {
        if Gate::parts().trace {
            tracer::signal_line(thread, info);
        }
    }

    fn noreturn(&self, call: &mut rt::Call<'_>, ret: Option<i64>) {
        let p = Gate::parts();
        if p.count.is_some() && counts(p, call) {
            count::noreturn(call, ret);
        }
        if p.trace {
            rt::Tool::noreturn(&tracer::Tracer, call, ret);
        }
    }
}

fn is_exec(call: &rt::Call<'_>) -> bool {
    use sysgate_abi::{i386, x86_64};
    let n = call.nr as u32;
    match call.arch {
        Arch::X86_64 => n == x86_64::nr::EXECVE || n == x86_64::nr::EXECVEAT,
        Arch::I386 => matches!(i386::name(call.nr), Some("execve" | "execveat")),
    }
}

/// Whether the counter counts this call (its `-e trace=` set; i386 calls by name).
fn counts(p: &Parts, call: &rt::Call<'_>) -> bool {
    let Some(set) = &p.count_set else { return true };
    match call.arch {
        Arch::X86_64 => set.contains(call.nr),
        Arch::I386 => {
            match sysgate_abi::i386::name(call.nr).and_then(sysgate_abi::x86_64::number) {
                Some(n) => set.contains(u64::from(n)),
                None => *set == SyscallSet::all(),
            }
        }
    }
}

/// A new image started with the runtime armed: the `execve(...) = 0` line of a traced exec,
/// and its count. `argv`, `envp` and `auxv` are the new image's.
pub fn image_started(thread: &mut rt::process::thread::Thread, argv: u64, envp: u64, auxv: u64) {
    let p = Gate::parts();
    let cfg = rt::config::get();
    let execve_counted =
        !matches!(p.count_set, Some(s) if !s.contains(u64::from(sysgate_abi::x86_64::nr::EXECVE)));
    if p.count.is_some() && thread.traced && cfg.execve_envp.is_some() && execve_counted {
        count::execve_succeeded();
    }
    if p.trace {
        tracer::image_started(thread, argv, envp, auxv);
    }
}
