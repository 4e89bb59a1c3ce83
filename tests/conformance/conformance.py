"""The body of scripts/conformance (usage: see that script, or `scripts/conformance --help`).

Runs other people's test suites — CPython's regression tests and stress-ng — natively, under
`sysgate run` and (a subset) under `sysgate trace -f -o FILE`, and prints one row per case.

A case is one CPython test method (`cpython:test.test_os.FileTests.test_access`) or one
stress-ng stressor (`stress-ng:fork`). A case *fails* when it passes natively and does not pass
under sysgate (fails, errors, is skipped, times out, never runs because the interpreter died, or
its trace file is incomplete). Cases that do not pass natively are shown but not counted.

Only the Python standard library is used; it runs under Debian's /usr/bin/python3.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = ROOT / "tests" / "conformance"

# --------------------------------------------------------------------------------------------
# What runs
# --------------------------------------------------------------------------------------------

PY_MODULES = [
    "test_os", "test_posix", "test_signal", "test_subprocess", "test_threading", "test_socket",
    "test_time", "test_selectors", "test_mmap", "test_fcntl", "test_pty", "test_select",
    "test_epoll", "test_shutil", "test_tempfile", "test_asyncio",
]
# --quick: the modules with the most syscall and signal semantics per second.
PY_QUICK = [
    "test_os", "test_posix", "test_signal", "test_subprocess", "test_threading", "test_socket",
    "test_mmap", "test_fcntl", "test_pty", "test_select", "test_epoll", "test_shutil",
    "test_tempfile", "test_time",
]
# Also run under `sysgate trace -f -o FILE` (full run / --quick).
PY_TRACE = [
    "test_os", "test_posix", "test_signal", "test_subprocess", "test_threading", "test_socket",
    "test_time", "test_selectors", "test_mmap", "test_fcntl", "test_pty", "test_select",
    "test_epoll", "test_shutil", "test_tempfile",
]
PY_TRACE_QUICK = ["test_os", "test_posix", "test_subprocess", "test_fcntl", "test_pty",
                  "test_select", "test_epoll", "test_mmap"]

# stressor: (bogo-op bound, time bound in seconds, extra arguments). The op counts keep each
# stressor at roughly 0.1–5 s natively on a 2-core machine; a few stressors do not stop at
# their op count (sem, yield) or are very slow per op (symlink), so the time bound ends them —
# stress-ng still reports a successful run then.
STRESSORS: dict[str, tuple[int, int, list[str]]] = {
    "access": (1000, 20, []), "brk": (1000, 20, []), "chdir": (100, 20, []),
    "chmod": (1000, 20, []), "clone": (200, 20, []), "close": (1000, 20, []),
    "dentry": (1000, 20, []), "dir": (1000, 20, []), "dup": (500, 20, []),
    "enosys": (1000, 20, []), "epoll": (1000, 20, []), "eventfd": (1000, 20, []),
    "exec": (200, 20, ["--exec-max", "16"]), "fcntl": (1000, 20, []), "fork": (1000, 20, []),
    "fstat": (1000, 20, []), "futex": (1000, 20, []), "get": (1000, 20, []),
    "getdent": (1000, 20, []), "getrandom": (1000, 20, []), "inotify": (20, 20, []),
    "itimer": (500, 20, []), "kill": (1000, 20, []), "link": (20, 20, []),
    "lockf": (1000, 20, []), "madvise": (100, 20, []), "memfd": (20, 20, []),
    "mmap": (20, 20, ["--mmap-bytes", "16M"]), "mprotect": (1000, 20, []),
    "mq": (1000, 20, []), "msg": (1000, 20, []), "nanosleep": (1000, 20, []),
    "null": (1000, 20, []), "open": (1000, 20, []), "pidfd": (1000, 20, []),
    "pipe": (1000, 20, []), "poll": (1000, 20, []), "prctl": (500, 20, []),
    "pthread": (1000, 20, []), "rename": (500, 20, []), "seal": (1000, 20, []),
    "sem": (1000, 5, []), "sem-sysv": (1000, 20, []), "sendfile": (1000, 20, []),
    "shm": (100, 20, []), "shm-sysv": (500, 20, []), "sigchld": (1000, 20, []),
    "sigfd": (1000, 20, []), "signal": (1000, 20, []), "sigpending": (1000, 20, []),
    "sigsegv": (1000, 20, []), "sigsuspend": (1000, 20, []), "sigtrap": (1000, 20, []),
    "sock": (500, 20, []), "sockpair": (1000, 20, []), "spawn": (200, 20, []),
    "splice": (1000, 20, []), "symlink": (1, 10, []), "sysinfo": (1000, 20, []),
    "tee": (1000, 20, []), "timer": (1000, 20, []), "timerfd": (1000, 20, []),
    "udp": (1000, 20, []), "utime": (1000, 20, []), "vdso": (1000, 20, []),
    "vfork": (1000, 20, []), "wait": (1000, 20, []), "x86syscall": (1000, 20, []),
    "xattr": (300, 20, []), "yield": (1000, 5, []), "zero": (1000, 20, []),
}
# stress-ng refuses these as root ("must not run as root"): run them as nobody.
AS_NOBODY = {"exec", "spawn"}
STRESS_QUICK = [
    "access", "brk", "clone", "close", "dup", "enosys", "epoll", "eventfd", "exec", "fcntl",
    "fork", "futex", "get", "getdent", "kill", "mmap", "mprotect", "open", "pidfd", "pipe",
    "poll", "pthread", "sigchld", "sigfd", "signal", "sigsegv", "sigsuspend", "sigtrap",
    "sockpair", "splice", "timer", "timerfd", "vfork", "wait", "x86syscall", "zero",
]
STRESS_TRACE = [
    "brk", "clone", "close", "dup", "epoll", "exec", "fcntl", "fork", "futex", "itimer", "kill",
    "mprotect", "open", "pidfd", "pipe", "pthread", "sigchld", "sigfd", "signal", "sigsegv",
    "sigsuspend", "sigtrap", "sockpair", "timer", "vfork", "wait", "x86syscall",
]
STRESS_TRACE_QUICK = ["clone", "fork", "pthread", "sigsegv", "signal", "vfork", "wait"]

MODES = ("native", "run", "trace")
PASSING = {"pass", "xfail", "n/a"}  # n/a: a check that has no native counterpart

# --------------------------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------------------------


@dataclass
class Verdict:
    verdict: str  # pass xfail skip fail error timeout crash missing excluded
    detail: str = ""

    def passed(self) -> bool:
        return self.verdict in PASSING


@dataclass
class Case:
    cid: str
    results: dict[str, Verdict] = field(default_factory=dict)
    excluded: str | None = None

    def native_passed(self) -> bool:
        v = self.results.get("native")
        return v is not None and v.passed()

    def sysgate_modes(self) -> list[str]:
        return [m for m in ("run", "trace") if m in self.results]

    def failed_under_sysgate(self) -> bool:
        return self.native_passed() and any(
            not self.results[m].passed() for m in self.sysgate_modes())


class Timer:
    def __init__(self) -> None:
        self.total = {m: 0.0 for m in MODES}

    def add(self, mode: str, seconds: float) -> None:
        self.total[mode] += seconds


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Running one command
# --------------------------------------------------------------------------------------------


@dataclass
class Run:
    rc: int | None  # None: killed by a signal
    signal: int | None
    seconds: float
    output: str
    timed_out: bool = False  # killed at the outer time limit
    trace_ok: bool | None = None
    trace_detail: str = ""


class Runner:
    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.sysgate = args.sysgate
        self.workdir = workdir
        self.keep = args.keep
        self.counter = 0
        self.timer = Timer()

    def wrap(self, mode: str, cmd: list[str], tag: str) -> tuple[list[str], Path | None]:
        if mode == "native":
            return cmd, None
        if mode == "run":
            return [self.sysgate, "run", "--", *cmd], None
        self.counter += 1
        trace = self.workdir / f"{tag}.{self.counter}.trace"
        return [self.sysgate, "trace", "-f", "-o", str(trace), "--", *cmd], trace

    def run(self, mode: str, cmd: list[str], tag: str, limit: float, cwd: Path,
            env: dict[str, str]) -> Run:
        full, trace = self.wrap(mode, cmd, tag)
        out = self.workdir / f"{tag}.{mode}.out"
        start = time.monotonic()
        with open(out, "wb") as f:
            p = subprocess.Popen(full, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                                 cwd=cwd, env=env, start_new_session=True)
            timed_out = False
            try:
                p.wait(timeout=limit)
                rc = p.returncode
            except subprocess.TimeoutExpired:
                timed_out = True
                try:
                    os.killpg(p.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                p.wait()
                rc = None
            # Leftovers of the test (daemonised children) must not leak into the next run.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        seconds = time.monotonic() - start
        self.timer.add(mode, seconds)
        text = out.read_bytes().decode("utf-8", "replace")
        sig = None
        if rc is not None and rc < 0:
            sig, rc = -rc, None
        r = Run(rc=rc, signal=sig, seconds=seconds, output=text, timed_out=timed_out)
        if trace is not None:
            r.trace_ok, r.trace_detail = check_trace(trace, rc, sig)
            if r.trace_ok and not self.keep:
                trace.unlink(missing_ok=True)
        if not self.keep:
            out.unlink(missing_ok=True)
        return r


EXIT_LINE = re.compile(r"^(?:\d+\s+)?\+\+\+ (exited with (\d+)|killed by (SIG\w+)(?: \(core dumped\))?) \+\+\+$")


def check_trace(path: Path, rc: int | None, sig: int | None) -> tuple[bool, str]:
    """The trace must end with the program's own exit line."""
    if not path.exists():
        return False, "no trace file"
    with open(path, "rb") as f:
        f.seek(0, os.SEEK_END)
        size = f.tell()
        f.seek(max(0, size - 4096))
        tail = f.read().decode("utf-8", "replace").rstrip("\n").split("\n")
    last = tail[-1] if tail else ""
    m = EXIT_LINE.match(last)
    if not m:
        return False, f"trace does not end with an exit line: {last[:100]!r}"
    if rc is not None and m.group(2) is not None and int(m.group(2)) == rc:
        return True, ""
    if sig is not None and m.group(3) is not None and m.group(3) == signal.Signals(sig).name:
        return True, ""
    return False, f"trace ends with {last!r} but the program ended with " + (
        f"status {rc}" if rc is not None else f"signal {sig}" if sig else "a kill at the time limit")


# --------------------------------------------------------------------------------------------
# CPython
# --------------------------------------------------------------------------------------------

START = re.compile(r"^(\w+) \(([\w.]+)\)(.*)$")
SUBTEST = re.compile(r"^\s+(\w+) \(([\w.]+)\)(.*)$")
SUMMARY = re.compile(r"^(FAIL|ERROR): (\w+) \(([\w.]+)\)")
STATUS = re.compile(r"(?:^|\.\.\. )(ok|FAIL|ERROR|skipped .*|expected failure|unexpected success)$")


def verbose_results(text: str) -> tuple[dict[str, Verdict], str | None]:
    """Per-test verdicts from regrtest's verbose (-v) output, and the test that was running at
    the end (started, no verdict yet) if any.

    unittest prints `name (id) ... STATUS`, or `name (id)` and the docstring's first line
    `Doc ... STATUS`; a failing (or skipped) subtest prints an indented `  name (id) [msg]
    (params) ... FAIL` and the test itself then prints nothing more. Output of the test that
    reaches fd 1 directly can push STATUS to a later line of its own."""
    res: dict[str, Verdict] = {}
    pending: str | None = None  # started, waiting for its status
    sub: str | None = None  # a subtest line is waiting for its status
    for line in text.split("\n"):
        line = line.rstrip("\r")
        m = START.match(line)
        if m and m.group(2).endswith("." + m.group(1)) and not m.group(3).startswith((" [", " (")):
            tid = m.group(2)
            if pending is not None and pending != tid and pending not in res:
                res[pending] = Verdict("fail", "no verdict printed")
            pending, sub = tid, None
            s = STATUS.search(m.group(3))
            if s:
                set_status(res, tid, s.group(1), sub=False)
                pending = None
            continue
        m = SUBTEST.match(line) or (START.match(line) if line[:1].isalnum() else None)
        if m and m.group(2).endswith("." + m.group(1)):
            sub = m.group(2)
            s = STATUS.search(m.group(3))
            if s:
                set_status(res, sub, s.group(1), sub=True)
                sub = None
            continue
        s = STATUS.search(line)
        if s and (line.endswith(" ... " + s.group(1)) or line == s.group(1)):
            if sub is not None:
                set_status(res, sub, s.group(1), sub=True)
                sub = None
            elif pending is not None:
                set_status(res, pending, s.group(1), sub=False)
                pending = None
            continue
        m = SUMMARY.match(line)
        if m:
            v = res.get(m.group(3))
            if v is None or v.passed():
                res[m.group(3)] = Verdict("fail" if m.group(1) == "FAIL" else "error",
                                          "see the summary")
    if pending in res:
        pending = None
    return res, pending


def set_status(res: dict[str, Verdict], tid: str, status: str, sub: bool) -> None:
    old = res.get(tid)
    if sub and status not in ("FAIL", "ERROR"):
        return  # a skipped subtest does not decide the test's verdict
    if status == "ok":
        new = Verdict("pass")
    elif status == "FAIL":
        new = Verdict("fail", "subtest failed" if sub else "")
    elif status == "ERROR":
        new = Verdict("error", "subtest error" if sub else "")
    elif status == "expected failure":
        new = Verdict("xfail")
    elif status == "unexpected success":
        new = Verdict("fail", "unexpected success")
    else:
        new = Verdict("skip", status[len("skipped "):].strip("'\""))
    if old is not None and old.verdict in ("fail", "error"):
        return  # a failed subtest keeps the test failed
    res[tid] = new


def xml_results(path: Path) -> dict[str, Verdict]:
    res: dict[str, Verdict] = {}
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError):
        return res
    for tc in root.iter("testcase"):
        name = tc.get("name")
        if not name:
            continue  # a test whose subtests failed: only the verbose output has it
        if tc.find("error") is not None:
            e = tc.find("error")
            v = Verdict("error", first_line(e.get("message", "")))
        elif tc.find("failure") is not None:
            e = tc.find("failure")
            v = Verdict("fail", first_line(e.get("message", "")))
        elif tc.find("skipped") is not None:
            v = Verdict("skip", first_line(tc.find("skipped").text or ""))
        elif tc.find("outcome") is not None:
            v = Verdict("fail", "unexpected success")
        elif tc.find("output") is not None:
            v = Verdict("xfail")
        else:
            v = Verdict("pass")
        res[name] = v
    return res


def first_line(s: str) -> str:
    s = s.strip()
    return s.split("\n")[-1][:160] if s else ""


def py_env(workdir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["TMPDIR"] = str(workdir / "tmp")
    env.pop("SYSGATE", None)
    return env


def run_py_module(runner: Runner, python: str, mod: str, mode: str, limit: float,
                  excludes: list[str]) -> tuple[dict[str, Verdict], list[str], float]:
    """Runs one module in one mode. Returns verdicts, problems with the run as a whole (trace
    file incomplete, interpreter died) and the seconds it took.

    When the interpreter does not get to the end (a test hangs until the time limit, or the
    process dies), the test that was running gets `timeout`/`crash` and the module is run again
    without the tests already seen, up to 4 times."""
    seen: dict[str, Verdict] = {}
    problems: list[str] = []
    seconds = 0.0
    cwd = runner.workdir / "cwd"
    for attempt in range(4):
        ignore = runner.workdir / f"{mod}.{mode}.{attempt}.ignore"
        ignore.write_text("".join(p + "\n" for p in [*excludes, *seen]))
        xml = runner.workdir / f"{mod}.{mode}.{attempt}.xml"
        cmd = [python, "-m", "test", "-v", "--timeout", str(int(limit)), "--junit-xml", str(xml),
               "--ignorefile", str(ignore), mod]
        r = runner.run(mode, cmd, f"{mod}.{attempt}", limit + 60, cwd, py_env(runner.workdir))
        seconds += r.seconds
        res, pending = verbose_results(r.output)
        xres = xml_results(xml)
        # The verbose output decides (the XML shows a skip with an empty reason as a pass and
        # leaves out tests whose subtests failed); the XML adds messages and module skips.
        for tid, xv in xres.items():
            if tid not in res or res[tid].verdict == xv.verdict:
                res[tid] = xv
        complete = "Tests result:" in r.output and r.rc is not None
        if r.trace_ok is False:
            problems.append(f"attempt {attempt + 1}: {r.trace_detail}")
        for tid, v in res.items():
            seen.setdefault(tid, v)
        if complete:
            break
        how = "timeout" if r.timed_out or "Timeout (" in r.output else "crash"
        detail = (f"killed after {limit + 60:.0f}s" if r.timed_out else
                  f"regrtest's --timeout {limit:.0f}s" if "Timeout (" in r.output else
                  f"the interpreter died of signal {r.signal}" if r.signal else
                  f"the interpreter exited with status {r.rc} mid-test")
        if pending is not None and pending not in xres:
            seen[pending] = Verdict(how, detail)
        else:
            problems.append(f"attempt {attempt + 1}: {how} outside a test ({detail})")
            break
    else:
        problems.append("gave up after 4 attempts")
    return seen, problems, seconds


def run_cpython(args, runner: Runner, cases: dict[str, Case], excl: list[tuple[str, str]]) -> None:
    modules = args.modules or (PY_QUICK if args.quick else PY_MODULES)
    trace_set = set(PY_TRACE_QUICK if args.quick else PY_TRACE)
    if args.trace_all:
        trace_set = set(modules)
    if args.no_trace:
        trace_set = set()
    for mod in modules:
        patterns = [p[len("cpython:"):] for p, _ in excl if p.startswith("cpython:")]
        base_limit = args.module_timeout
        native_seconds = None
        for mode in MODES:
            if mode == "trace" and mod not in trace_set:
                continue
            # Under sysgate: 5x the native time, at least 2 minutes (a hang costs no more).
            limit = (base_limit if mode == "native" else
                     min(base_limit, max(120.0, 5 * (native_seconds or 0))))
            res, problems, secs = run_py_module(runner, args.python, mod, mode, limit, patterns)
            if mode == "native":
                native_seconds = secs
            n_pass = sum(v.passed() for v in res.values())
            log(f"  cpython {mod:<16} {mode:<6} {len(res):5d} cases, {n_pass:5d} pass, "
                f"{secs:7.1f}s" + (f"  [{'; '.join(problems)}]" if problems else ""))
            for tid, v in res.items():
                cases.setdefault(f"cpython:{tid}", Case(f"cpython:{tid}")).results[mode] = v
            # Cases seen in another mode but not in this one never ran here.
            for cid, c in cases.items():
                if cid.startswith(f"cpython:test.{mod}.") and mode not in c.results and not c.excluded:
                    if any(m in c.results for m in MODES if m != mode):
                        c.results[mode] = Verdict("missing", "did not run in this mode")
            if mode == "trace":
                cid = f"cpython:{mod}[trace file complete]"
                c = cases.setdefault(cid, Case(cid))
                c.results["native"] = Verdict("n/a")
                c.results["trace"] = Verdict("fail", "; ".join(problems)) if any(
                    "trace" in p for p in problems) else Verdict("pass")
        # fill in earlier modes for cases first seen in a later mode
        for cid, c in cases.items():
            if cid.startswith(f"cpython:test.{mod}."):
                for mode in MODES:
                    if mode == "trace" and mod not in trace_set:
                        continue
                    c.results.setdefault(mode, Verdict("missing", "did not run in this mode"))
        for pat, why in excl:
            if pat.startswith("cpython:"):
                p = pat[len("cpython:"):]
                if p.startswith(f"test.{mod}."):
                    cases.setdefault(pat, Case(pat)).excluded = why


# --------------------------------------------------------------------------------------------
# stress-ng
# --------------------------------------------------------------------------------------------


def stress_verdict(r: Run) -> Verdict:
    out = r.output
    if r.timed_out:
        return Verdict("timeout", "killed at the time limit")
    if r.signal is not None:
        return Verdict("crash", f"stress-ng died of signal {r.signal}")
    if "skipping the stressor" in out or "No stress workers invoked" in out or r.rc in (3, 4):
        line = next((l for l in out.split("\n") if "skipping" in l or "not implemented" in l
                     or "No stress workers" in l), f"exit status {r.rc}")
        return Verdict("skip", re.sub(r"^stress-ng: \w+: +\[\d+\] ", "", line)[:160])
    if r.rc == 0 and "successful run completed" in out:
        return Verdict("pass")
    bad = [l for l in out.split("\n") if re.search(r"\b(fail|error|FAIL)\b", l)]
    detail = re.sub(r"^stress-ng: \w+: +\[\d+\] ", "", bad[0]) if bad else ""
    return Verdict("fail", f"exit status {r.rc}: {detail}"[:200])


def run_stress(args, runner: Runner, cases: dict[str, Case], excl: list[tuple[str, str]]) -> None:
    names = args.stressors or (STRESS_QUICK if args.quick else list(STRESSORS))
    trace_set = set(STRESS_TRACE_QUICK if args.quick else STRESS_TRACE)
    if args.trace_all:
        trace_set = set(names)
    if args.no_trace:
        trace_set = set()
    excluded = {p[len("stress-ng:"):]: why for p, why in excl if p.startswith("stress-ng:")}
    tmp = runner.workdir / "stress-ng"
    tmp.mkdir(exist_ok=True)
    os.chmod(tmp, 0o1777)
    env = {k: v for k, v in os.environ.items()}
    stress = shutil.which("stress-ng") or "/usr/bin/stress-ng"
    for name in names:
        if name not in STRESSORS:
            raise SystemExit(f"conformance: unknown stressor {name!r}")
        cid = f"stress-ng:{name}"
        c = cases.setdefault(cid, Case(cid))
        if name in excluded:
            c.excluded = excluded[name]
            continue
        ops, seconds, extra = STRESSORS[name]
        cmd = [stress, f"--{name}", "1", f"--{name}-ops", str(ops), "--verify",
               "--timeout", f"{seconds}s", "--temp-path", str(tmp), "--metrics-brief", *extra]
        if name in AS_NOBODY and os.geteuid() == 0:
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", *cmd]
        for mode in MODES:
            if mode == "trace" and name not in trace_set:
                continue
            r = runner.run(mode, cmd, f"stress-{name}", seconds * 3 + 60, tmp, env)
            v = stress_verdict(r)
            if mode == "trace" and r.trace_ok is False:
                v = Verdict("fail", r.trace_detail if v.passed() else f"{v.detail}; {r.trace_detail}")
            c.results[mode] = v
            log(f"  stress-ng {name:<12} {mode:<6} {v.verdict:<8} {r.seconds:6.1f}s"
                + (f"  {v.detail}" if v.detail and not v.passed() else ""))


# --------------------------------------------------------------------------------------------
# Lists kept in tests/conformance/
# --------------------------------------------------------------------------------------------


def read_list(path: Path) -> list[tuple[str, str]]:
    """`case-id  reason` lines; `#` comments and blank lines ignored."""
    out = []
    if not path.exists():
        return out
    for line in path.read_text().split("\n"):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(None, 1)
        out.append((parts[0], parts[1] if len(parts) > 1 else ""))
    return out


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def show(v: Verdict | None) -> str:
    return "-" if v is None else v.verdict


def report(args, cases: dict[str, Case], known: dict[str, str], timer: Timer, wall: float) -> int:
    rows = list(cases.values())
    width = max([len(c.cid) for c in rows] + [4])
    print(f"{'case':<{width}}  {'native':<8} {'run':<8} {'trace':<8} note")
    failed: list[Case] = []
    passed = 0
    stale: list[str] = []
    counts = {"native-not-pass": 0, "excluded": 0}
    for c in rows:
        note = ""
        if c.excluded is not None:
            counts["excluded"] += 1
            if args.diff_only:
                continue
            print(f"{c.cid:<{width}}  {'excluded':<8} {'-':<8} {'-':<8} excluded: {c.excluded}")
            continue
        if c.failed_under_sysgate():
            failed.append(c)
            bad = [f"{m}: {c.results[m].verdict}" + (f" ({c.results[m].detail})" if c.results[m].detail else "")
                   for m in c.sysgate_modes() if not c.results[m].passed()]
            note = "FAILED " + "; ".join(bad)
            if c.cid in known:
                note = f"known gap: {known[c.cid]} | {note}"
        elif c.native_passed():
            passed += 1
            # An intermittent gap passing once proves nothing; a "trace only" one needs a trace run.
            if c.cid in known and "intermittent" not in known[c.cid] and (
                    "trace" in c.results or not known[c.cid].startswith("trace only")):
                stale.append(c.cid)
                note = "listed as a known gap but passes: remove it from known-gaps.txt"
        else:
            counts["native-not-pass"] += 1
            nv = c.results.get("native")
            if nv is not None and nv.detail and nv.verdict != "skip":
                note = f"native: {nv.detail}"
        if args.diff_only and not note.startswith(("FAILED", "known gap", "listed")):
            continue
        print(f"{c.cid:<{width}}  {show(c.results.get('native')):<8} {show(c.results.get('run')):<8} "
              f"{show(c.results.get('trace')):<8} {note}".rstrip())
    print()
    unknown = [c for c in failed if c.cid not in known]
    print(f"cases: {len(rows)}; not passing natively (not counted): {counts['native-not-pass']}; "
          f"excluded (tests/conformance/exclude.txt): {counts['excluded']}; "
          f"known gaps among the failures: {len(failed) - len(unknown)}")
    print("time: " + ", ".join(f"{m} {timer.total[m]:.1f}s" for m in MODES) + f", wall {wall:.1f}s")
    if stale:
        print("listed in tests/conformance/known-gaps.txt but passing now: " + " ".join(stale))
    if unknown:
        print("failures not listed in tests/conformance/known-gaps.txt:")
        for c in unknown:
            print(f"  {c.cid}")
    print(f"{passed} passed, {len(failed)} failed")
    if not failed:
        return 0
    if args.allow_known and not unknown:
        return 0
    return 1


# --------------------------------------------------------------------------------------------


def main() -> int:
    ap = argparse.ArgumentParser(prog="scripts/conformance",
                                 description="CPython's regression tests and stress-ng, natively and under sysgate.")
    ap.add_argument("--quick", action="store_true", help="a representative subset (CI)")
    ap.add_argument("--suite", action="append", choices=["cpython", "stress-ng"],
                    help="run only this suite (repeatable; default: both)")
    ap.add_argument("--modules", help="comma-separated CPython test modules (default: all listed)")
    ap.add_argument("--stressors", help="comma-separated stress-ng stressors (default: all listed)")
    ap.add_argument("--no-trace", action="store_true", help="skip the `sysgate trace -f -o FILE` runs")
    ap.add_argument("--trace-all", action="store_true", help="run every selected case under trace too")
    ap.add_argument("--allow-known", action="store_true",
                    help="exit 0 when every failure is listed in tests/conformance/known-gaps.txt")
    ap.add_argument("--diff-only", action="store_true", help="print only the rows that need attention")
    ap.add_argument("--module-timeout", type=float, default=900.0,
                    help="seconds per CPython module natively (default 900); under sysgate 5x the "
                         "native time, at least 120 and at most this")
    ap.add_argument("--sysgate", default=os.environ.get("SYSGATE", str(ROOT / "target/release/sysgate")))
    ap.add_argument("--python", default="/usr/bin/python3", help="the CPython whose tests run")
    ap.add_argument("--workdir", help="where logs and traces go (default: a fresh temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, traces)")
    ap.add_argument("--list", action="store_true", help="print what would run and exit")
    args = ap.parse_args()
    split = lambda s: [x for x in re.split(r"[,\s]+", s) if x] if s else None  # noqa: E731
    args.modules = split(args.modules)
    args.stressors = split(args.stressors)
    suites = args.suite or (["cpython", "stress-ng"] if not (args.modules or args.stressors) else
                            (["cpython"] if args.modules else []) + (["stress-ng"] if args.stressors else []))

    if args.list:
        if "cpython" in suites:
            mods = args.modules or (PY_QUICK if args.quick else PY_MODULES)
            tr = PY_TRACE_QUICK if args.quick else PY_TRACE
            print("cpython:", " ".join(m + ("(+trace)" if m in tr else "") for m in mods))
        if "stress-ng" in suites:
            st = args.stressors or (STRESS_QUICK if args.quick else list(STRESSORS))
            tr = STRESS_TRACE_QUICK if args.quick else STRESS_TRACE
            print("stress-ng:", " ".join(s + ("(+trace)" if s in tr else "") for s in st))
        return 0

    if not Path(args.sysgate).is_file():
        log(f"conformance: {args.sysgate} not found; build with `cargo build --release`")
        return 2
    if args.workdir:
        workdir = Path(args.workdir)
        workdir.mkdir(parents=True, exist_ok=True)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="sysgate-conformance."))
    os.chmod(workdir, 0o755)  # stressors run as nobody use workdir/stress-ng
    (workdir / "tmp").mkdir(exist_ok=True)
    (workdir / "cwd").mkdir(exist_ok=True)
    runner = Runner(args, workdir)
    excl = read_list(HERE / "exclude.txt")
    known = dict(read_list(HERE / "known-gaps.txt"))
    cases: dict[str, Case] = {}
    start = time.monotonic()
    log(f"conformance: sysgate {args.sysgate}, work directory {workdir}"
        + (" (--quick)" if args.quick else ""))
    try:
        if "cpython" in suites:
            run_cpython(args, runner, cases, excl)
        if "stress-ng" in suites:
            run_stress(args, runner, cases, excl)
    finally:
        if not args.keep and not args.workdir:
            shutil.rmtree(workdir, ignore_errors=True)
        elif args.keep:
            log(f"conformance: logs and traces kept in {workdir}")
    return report(args, cases, known, runner.timer, time.monotonic() - start)


if __name__ == "__main__":
    sys.exit(main())
