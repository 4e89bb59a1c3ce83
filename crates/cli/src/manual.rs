//! `sysgate man` (the manual page, roff, generated from the command-line definition) and
//! `sysgate completions SHELL`.
//!
//! The page is one `sysgate(1)`: the commands, each with every flag its `--help` lists (the
//! same definitions render both), then what no definition carries: how the flags differ from
//! strace's, the environment, the exit status.

use clap::{Command, CommandFactory};
use std::io::Write;

/// The sections written by hand (roff).
const AFTER: &str = r#".SH "STRACE COMPATIBILITY"
Flags spelled as strace spells them mean what they mean in strace 6.1, and
the lines have strace's form (\fB\-f \-o\fR pid prefixes, the result column,
\fB<unfinished ...>\fR and \fB<... NAME resumed>\fR, \fB+++ exited with N +++\fR,
\fB\-\-\- SIGNAL {...} \-\-\-\fR), with these differences:
.TP
\fB\-t\fR, \fB\-tt\fR
The time of day is in UTC: the traced process has no time zone database
loaded. (\fB\-ttt\fR, seconds since the epoch, is the same as strace's.)
.TP
\fB\-T\fR, \fB\-c\fR, \fB\-w\fR
Times are taken inside the program, around the call itself, without the
cost of a ptrace stop in them: they are closer to the call's own time than
strace's.
.TP
\fB\-q\fR
Accepted; sysgate prints no attach or detach messages to quieten.
\fB\-qq\fR drops the \fB+++ exited with N +++\fR lines, as strace's does.
.TP
\fB\-e\fR
\fBtrace=\fR, \fBstatus=\fR, \fBsignal=\fR, \fBinject=\fR and \fBfault=\fR
are understood; strace's other qualifiers (\fBread=\fR, \fBwrite=\fR,
\fBverbose=\fR, \fBraw=\fR, \fBabbrev=\fR, \fBquiet=\fR, \fBdecode\-fds=\fR)
are not yet.
.TP
\fBcount \-f\fR
Accepted and always in effect: the count covers the whole process tree.
.TP
\fB\-k\fR
The call stack after each line, as strace 6.1 prints it; the program copies the
top of its stack (\fB\-\-stack\-bytes\fR) and \fBsysgate\fR unwinds and
symbolizes it. Not yet with \fB\-\-json\fR, \fB\-\-perfetto\fR or \fB\-c\fR.
.TP
Not yet
\fB\-p\fR (attach to a running process) and
strace's long option spellings.
.PP
\fB\-\-json\fR, \fB\-\-perfetto\fR, \fB\-\-stats\fR, \fB\-\-stack\-bytes\fR, \fB\-\-clock\fR,
\fB\-\-clock\-rate\fR, \fB\-\-policy\fR, \fB\-\-deny\fR, \fB\-\-best\-effort\fR,
\fB\-\-no\-landlock\fR and the
\fB\-\-no\-rewrite\fR, \fB\-\-no\-page0\fR, \fB\-\-no\-displace\fR,
\fB\-\-vdso\fR and \fB\-\-vsyscall\fR switches are sysgate's own.
.SH ENVIRONMENT
.TP
\fBSYSGATE_LOADER\fR
A loader file to start programs with instead of the one \fBsysgate\fR
carries (for example \fItarget/release/sysgate\-loader\fR of a build, which
keeps its debug information for profilers and debuggers).
.TP
\fBXDG_RUNTIME_DIR\fR, \fBXDG_CACHE_HOME\fR, \fBHOME\fR
Where \fBsysgate\fR keeps a copy of its loader
(\fIsysgate/loader\-BUILDID\fR in the first of them, or in \fI~/.cache\fR), unless an
installed copy of the same build sits in \fI../libexec/sysgate\fR beside the
\fBsysgate\fR file; without either it writes the loader into a memory file at
every start.
.PP
The program's environment reaches it unchanged; sysgate's own variables
(\fBSYSGATE_*\fR) are taken out before the program starts.
.SH "EXIT STATUS"
The program's: its exit code, or, if a signal killed it, \fBsysgate\fR dies
of the same signal (without a core file of its own). 127 when the program is
not found, 126 when it cannot be executed, 1 for an error of sysgate's own
(a bad flag value, a file it cannot write), 2 for a command line that does not
parse.
.SH "SEE ALSO"
\fBstrace\fR(1), \fBptrace\fR(2), \fBseccomp\fR(2), \fBprctl\fR(2)
(\fBPR_SET_SYSCALL_USER_DISPATCH\fR)
"#;

/// The manual page, `sysgate.1`.
pub(crate) fn man_page(cmd: Command) -> std::io::Result<Vec<u8>> {
    let mut cmd = cmd.disable_help_subcommand(true);
    cmd.build();
    let man = clap_mangen::Man::new(cmd.clone());
    let mut out = Vec::new();
    man.render_title(&mut out)?;
    man.render_name_section(&mut out)?;
    man.render_synopsis_section(&mut out)?;
    writeln!(
        out,
        ".SH DESCRIPTION\n\\fBsysgate\\fR runs an unmodified program so that every entry it \
         makes into the kernel (\\fBsyscall\\fR, \\fBint $0x80\\fR, the vDSO, the vsyscall \
         page) passes through one in-process entry point, at close to native speed. Its \
         commands trace the calls as strace prints them, count them, inject faults, give the \
         program a clock of its own, or hold it to a policy. Everything after the program's \
         name belongs to the program."
    )?;
    writeln!(out, ".SH COMMANDS")?;
    for sub in cmd.get_subcommands() {
        let name = sub.get_name();
        writeln!(out, ".SS \"sysgate {name}\"")?;
        let usage = sub.clone().render_usage().to_string();
        let usage = usage.trim_start_matches("Usage: ").trim();
        writeln!(out, "\\fB{}\\fR", roff_text(usage))?;
        if let Some(about) = sub.get_long_about().or(sub.get_about()) {
            writeln!(out, ".PP\n{}", roff_text(&about.to_string()))?;
        }
        if sub
            .get_arguments()
            .any(|a| !a.is_positional() && !a.is_hide_set())
        {
            let mut opts = Vec::new();
            clap_mangen::Man::new(sub.clone()).render_options_section(&mut opts)?;
            // The options of one command, under its own heading rather than a section each.
            let opts = String::from_utf8_lossy(&opts).replace(
                ".SH OPTIONS\n",
                &format!(".PP\nOptions of \\fBsysgate {name}\\fR:\n"),
            );
            out.extend_from_slice(opts.as_bytes());
        }
    }
    out.extend_from_slice(AFTER.as_bytes());
    man.render_version_section(&mut out)?;
    // The help texts' `…` is not in every roff font (the C locale's, for one).
    Ok(String::from_utf8_lossy(&out)
        .replace('…', "...")
        .into_bytes())
}

/// Plain text made safe for roff (a leading `.` or `'` would be a request).
fn roff_text(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    if s.starts_with('.') || s.starts_with('\'') {
        format!("\\&{s}")
    } else {
        s
    }
}

/// The completion script for `shell`.
pub(crate) fn completions<C: CommandFactory>(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut C::command(), "sysgate", &mut out);
    out
}
