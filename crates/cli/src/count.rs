//! `sysgate count`: syscalls, errors and time per syscall for the whole process tree, summed in
//! the shared region and printed like `strace -c -f` when the program ends.

use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::options::{fail, qualifiers, Common, Program, StartArgs};
use crate::start::{Extra, Prepared, Sink, Stay};
use crate::summary;
use sysgate_launch as loader;

#[derive(Args)]
pub(crate) struct CountArgs {
    /// Write the summary to FILE instead of stderr.
    #[arg(short = 'o', value_name = "FILE")]
    output: Option<PathBuf>,
    /// Sort by `time` (default), `calls`, `errors`, `name`, `min-time`, `max-time`,
    /// `avg-time` or `nothing`.
    #[arg(short = 'S', value_name = "SORTBY", default_value = "time")]
    sort_by: String,
    /// Columns, comma-separated: time-percent, total-time, min-time, max-time, avg-time,
    /// calls, errors, name (default time-percent,total-time,avg-time,calls,errors,name).
    #[arg(short = 'U', long = "summary-columns", value_name = "COLUMNS")]
    columns: Option<String>,
    /// Count wall-clock time in each call instead of the CPU time its thread spent.
    #[arg(short = 'w')]
    wall_clock: bool,
    /// Follow forks and threads: always done (the count covers the whole process tree); the
    /// flag is accepted so that `strace -c -f` command lines work unchanged.
    #[arg(short = 'f', action = clap::ArgAction::Count)]
    _follow: u8,
    /// `trace=SET` (only these calls are counted), `inject=…`, `fault=…`.
    #[arg(short = 'e', value_name = "EXPR")]
    expr: Vec<String>,
    #[command(flatten)]
    start: StartArgs,
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    prog: Program,
}

pub(crate) fn prepare(k: &CountArgs) -> Result<Prepared<'_>, ExitCode> {
    let mut extra = Extra {
        start: k.start.resolve("count").map_err(|e| fail(e, 1))?,
        ..Extra::default()
    };
    let sort = match summary::SortBy::parse(&k.sort_by) {
        Ok(s) => s,
        Err(e) => return Err(fail(e, 1)),
    };
    let q = match qualifiers(&k.expr, false, false) {
        Ok(q) => q,
        Err(e) => return Err(fail(e, 1)),
    };
    let mut words = String::new();
    let _ = q.set.write_words(&mut words);
    let mut config = format!(
        "tool=count;follow=1;count={};cset={}{}",
        if k.wall_clock { "wall" } else { "cpu" },
        words,
        k.common.config()
    );
    match k.common.clock_config() {
        Ok(c) => config.push_str(&c),
        Err(e) => return Err(fail(e, 1)),
    }
    extra.shared_words = summary::WORDS;
    if !q.injects.is_empty() {
        config.push_str(&format!(";inj={}", q.injects.join("/")));
        extra.shared_words = extra.shared_words.max(summary::INJECT_REGION_WORDS);
    }
    extra.summary = Some(sort);
    if let Some(list) = &k.columns {
        extra.columns = summary::Column::parse_list(list).map_err(|e| fail(e, 1))?;
    }
    let sink = match &k.output {
        Some(path) => match loader::open_output(path, false) {
            Ok(f) => Sink::File(f),
            Err(e) => return Err(fail(format!("can't fopen '{}': {e}", path.display()), 1)),
        },
        None => Sink::Stderr,
    };
    Ok(Prepared {
        prog: &k.prog,
        config,
        out_fd: -1,
        show_execve: true,
        sink,
        prefix_pid: false,
        extra,
        stay: Stay::Wait { killed_line: false },
        landlock: None,
    })
}
