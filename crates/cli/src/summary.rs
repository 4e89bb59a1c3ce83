//! The call summary of `sysgate count` and `sysgate trace -c`/`-C`, in `strace -c`'s format,
//! from the counters every process of the run added into the shared region.
//!
//! The region's layout is `sysgate_tools::count::layout` (which this crate does not link: it
//! carries the in-process runtime); the numbers are repeated here and the tools crate's test
//! checks the same values.

use std::fs::File;
use std::os::unix::fs::FileExt;

/// `sysgate_tools::count::layout`.
const PER_CALL: usize = 5;
const CALLS: usize = 0;
const ERRORS: usize = 1;
const TIME_NS: usize = 2;
const MIN_NS_INV: usize = 3;
const MAX_NS: usize = 4;
const NR_MAX: usize = 512;
/// The per-thread slots holding calls and errors (`layout::SLOTS_BASE` and on): owner words
/// (0: never used), then per slot two words per number of each table.
const SLOTS_BASE: usize = 1 << 20;
const SLOTS: usize = 256;
const SLOT_AREA: usize = SLOTS_BASE + SLOTS;
const SLOT_WORDS: usize = 2 * NR_MAX * 2;
/// Words of the region for counting (`layout::REGION_WORDS`; it holds the injection
/// counters too).
pub const WORDS: usize = SLOT_AREA + SLOTS * SLOT_WORDS;
/// `sysgate_tools::inject::layout::REGION_WORDS`: room for per-thread injection counters.
pub const INJECT_REGION_WORDS: usize = 8192 + 1024 * (1 + NR_MAX);

/// One syscall's counters.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub calls: u64,
    pub errors: u64,
    pub time_ns: u64,
    pub min_ns: u64,
    pub max_ns: u64,
}

/// `n` words of the region from word `at`.
fn words(file: &File, at: usize, n: usize) -> std::io::Result<Vec<u64>> {
    let mut bytes = vec![0u8; n * 8];
    file.read_exact_at(&mut bytes, (at * 8) as u64)?;
    Ok(bytes
        .chunks_exact(8)
        .map(|w| u64::from_ne_bytes(w.try_into().unwrap_or([0; 8])))
        .collect())
}

/// Reads table `table` (0: x86-64, 1: i386) from the region: the shared table, with the
/// calls and errors of every per-thread slot that was ever used added in.
pub fn read(file: &File, table: usize) -> std::io::Result<Vec<Counts>> {
    let word = words(file, table * NR_MAX * PER_CALL, NR_MAX * PER_CALL)?;
    let mut counts: Vec<Counts> = (0..NR_MAX)
        .map(|nr| {
            let at = nr * PER_CALL;
            let inv = word[at + MIN_NS_INV];
            Counts {
                calls: word[at + CALLS],
                errors: word[at + ERRORS],
                time_ns: word[at + TIME_NS],
                min_ns: if inv == 0 { 0 } else { !inv },
                max_ns: word[at + MAX_NS],
            }
        })
        .collect();
    if file.metadata()?.len() < (WORDS * 8) as u64 {
        return Ok(counts);
    }
    let owners = words(file, SLOTS_BASE, SLOTS)?;
    for (slot, _) in owners.iter().enumerate().filter(|(_, o)| **o != 0) {
        let own = words(
            file,
            SLOT_AREA + slot * SLOT_WORDS + table * NR_MAX * 2,
            NR_MAX * 2,
        )?;
        for (c, w) in counts.iter_mut().zip(own.chunks_exact(2)) {
            c.calls += w[0];
            c.errors += w[1];
        }
    }
    Ok(counts)
}

/// strace's `-S` orders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SortBy {
    Time,
    MinTime,
    MaxTime,
    AvgTime,
    Calls,
    Errors,
    Name,
    Nothing,
}

impl SortBy {
    /// strace's names for them (and its aliases).
    pub fn parse(s: &str) -> Result<SortBy, String> {
        Ok(match s {
            "time" | "time_percent" | "time-percent" | "time_total" | "time-total"
            | "total_time" | "total-time" => SortBy::Time,
            "min_time" | "min-time" | "shortest" | "time_min" | "time-min" => SortBy::MinTime,
            "longest" | "max_time" | "max-time" | "time_max" | "time-max" => SortBy::MaxTime,
            "avg_time" | "avg-time" | "time_avg" | "time-avg" => SortBy::AvgTime,
            "calls" | "count" => SortBy::Calls,
            "error" | "errors" => SortBy::Errors,
            "name" | "syscall" | "syscall_name" | "syscall-name" => SortBy::Name,
            "none" | "nothing" => SortBy::Nothing,
            _ => return Err(format!("invalid sortby: '{s}'")),
        })
    }
}

/// `ts_float(ts) * 1e6` truncated, as strace computes microseconds per call.
fn usecs(ns: u64) -> u64 {
    let f = (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9;
    (f * 1e6) as u64
}

fn secs(ns: u64) -> f64 {
    (ns / 1_000_000_000) as f64 + (ns % 1_000_000_000) as f64 / 1e9
}

/// A column of the summary (strace's `-U`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Column {
    TimePercent,
    TotalTime,
    MinTime,
    MaxTime,
    AvgTime,
    Calls,
    Errors,
    Name,
}

/// strace's columns without `-U`.
pub const DEFAULT_COLUMNS: [Column; 6] = [
    Column::TimePercent,
    Column::TotalTime,
    Column::AvgTime,
    Column::Calls,
    Column::Errors,
    Column::Name,
];

impl Column {
    /// strace's names for a column (and its aliases).
    fn parse(s: &str) -> Option<Column> {
        Some(match s {
            "time" | "time_percent" | "time-percent" => Column::TimePercent,
            "total_time" | "total-time" | "time_total" | "time-total" => Column::TotalTime,
            "min_time" | "min-time" | "shortest" | "time_min" | "time-min" => Column::MinTime,
            "max_time" | "max-time" | "longest" | "time_max" | "time-max" => Column::MaxTime,
            "avg_time" | "avg-time" | "time_avg" | "time-avg" => Column::AvgTime,
            "calls" | "count" => Column::Calls,
            "errors" | "error" => Column::Errors,
            "name" | "syscall" | "syscall_name" | "syscall-name" => Column::Name,
            _ => return None,
        })
    }

    /// `-U LIST`: the columns in order, the name last if the list leaves it out (as strace
    /// does).
    pub fn parse_list(list: &str) -> Result<Vec<Column>, String> {
        let mut cols = Vec::new();
        for w in list.split(',') {
            let c = Column::parse(w).ok_or_else(|| format!("unknown column name: '{w}'"))?;
            if cols.contains(&c) {
                return Err(format!(
                    "call summary column has been provided more than once: '{w}'"
                ));
            }
            cols.push(c);
        }
        if !cols.contains(&Column::Name) {
            cols.push(Column::Name);
        }
        Ok(cols)
    }

    fn header(self) -> &'static str {
        match self {
            Column::TimePercent => "% time",
            Column::TotalTime => "seconds",
            Column::MinTime => "shortest",
            Column::MaxTime => "longest",
            Column::AvgTime => "usecs/call",
            Column::Calls => "calls",
            Column::Errors => "errors",
            Column::Name => "syscall",
        }
    }
}

/// The summary table of one personality, exactly as `strace -c` prints it (with `columns`, as
/// `strace -c -U`). `names[nr]` is the syscall's name (rows without a name are left out).
pub fn format(
    counts: &[Counts],
    names: &dyn Fn(usize) -> Option<&'static str>,
    sort: SortBy,
    columns: &[Column],
) -> String {
    let used: Vec<usize> = (0..counts.len())
        .filter(|&i| counts[i].calls > 0 && names(i).is_some())
        .collect();
    let total_ns: u64 = used.iter().map(|&i| counts[i].time_ns).sum();
    let total_calls: u64 = used.iter().map(|&i| counts[i].calls).sum();
    let total_errors: u64 = used.iter().map(|&i| counts[i].errors).sum();
    let total_min = used.iter().map(|&i| counts[i].min_ns).min().unwrap_or(0);
    let total_max = used.iter().map(|&i| counts[i].max_ns).max().unwrap_or(0);
    let avg = |c: &Counts| c.time_ns / c.calls.max(1);
    let avg_max = used.iter().map(|&i| avg(&counts[i])).max().unwrap_or(0);
    let name_max = used
        .iter()
        .filter_map(|&i| names(i))
        .map(str::len)
        .max()
        .unwrap_or(0);
    let total_avg = if total_calls == 0 {
        0
    } else {
        (secs(total_ns) / total_calls as f64 * 1e6) as u64
    };
    let total = Counts {
        calls: total_calls,
        errors: total_errors,
        time_ns: total_ns,
        min_ns: total_min,
        max_ns: total_max,
    };

    let width = |c: Column| match c {
        Column::TimePercent => 6,
        Column::TotalTime => 11.max(format!("{:.6}", secs(total_ns)).len()),
        Column::MinTime => 8.max(format!("{:.6}", secs(total_min)).len()),
        Column::MaxTime => 8.max(format!("{:.6}", secs(total_max)).len()),
        Column::AvgTime => 11.max(usecs(avg_max).to_string().len()),
        Column::Calls => 9.max(total_calls.to_string().len()),
        Column::Errors => 9.max(total_errors.to_string().len()),
        Column::Name => 16.max(name_max + 1),
    };

    let mut order: Vec<usize> = used.clone();
    // A stable sort: ties stay in syscall-number order, as in strace's output.
    match sort {
        SortBy::Time => order.sort_by(|&a, &b| counts[b].time_ns.cmp(&counts[a].time_ns)),
        SortBy::MinTime => order.sort_by(|&a, &b| counts[b].min_ns.cmp(&counts[a].min_ns)),
        SortBy::MaxTime => order.sort_by(|&a, &b| counts[b].max_ns.cmp(&counts[a].max_ns)),
        SortBy::AvgTime => order.sort_by(|&a, &b| avg(&counts[b]).cmp(&avg(&counts[a]))),
        SortBy::Calls => order.sort_by(|&a, &b| counts[b].calls.cmp(&counts[a].calls)),
        SortBy::Errors => order.sort_by(|&a, &b| counts[b].errors.cmp(&counts[a].errors)),
        SortBy::Name => order.sort_by(|&a, &b| names(a).cmp(&names(b))),
        SortBy::Nothing => {}
    }

    // One line: each column right-aligned at its width, the name left-aligned (padded unless
    // it is the last column).
    let line = |cell: &dyn Fn(Column) -> String| {
        let mut l = String::new();
        for (k, &c) in columns.iter().enumerate() {
            if k > 0 {
                l.push(' ');
            }
            let w = width(c);
            let v = cell(c);
            if c == Column::Name {
                if k + 1 == columns.len() {
                    l.push_str(&v);
                } else {
                    l.push_str(&format!("{v:<w$}"));
                }
            } else {
                l.push_str(&format!("{v:>w$}"));
            }
        }
        l.push('\n');
        l
    };
    let row = |c: &Counts, name: &str, pct: f64, avg_us: u64| {
        line(&|col| match col {
            Column::TimePercent => format!("{pct:.2}"),
            Column::TotalTime => format!("{:.6}", secs(c.time_ns)),
            Column::MinTime => format!("{:.6}", secs(c.min_ns)),
            Column::MaxTime => format!("{:.6}", secs(c.max_ns)),
            Column::AvgTime => avg_us.to_string(),
            Column::Calls => c.calls.to_string(),
            Column::Errors if c.errors == 0 => String::new(),
            Column::Errors => c.errors.to_string(),
            Column::Name => name.to_string(),
        })
    };

    let mut s = line(&|c| c.header().to_string());
    let rule = line(&|c| "-".repeat(width(c)));
    s.push_str(&rule);
    for &i in &order {
        let c = &counts[i];
        let mut pct = 100.0 * secs(c.time_ns);
        if pct != 0.0 {
            pct /= secs(total_ns);
        }
        s.push_str(&row(c, names(i).unwrap_or("?"), pct, usecs(avg(c))));
    }
    s.push_str(&rule);
    s.push_str(&row(&total, "total", 100.0, total_avg));
    s
}

/// The whole summary: the x86-64 table, then (if the program made any) the i386 one under
/// strace's heading.
pub fn summary(file: &File, sort: SortBy, columns: &[Column]) -> std::io::Result<String> {
    let x86 = read(file, 0)?;
    let mut out = format(
        &x86,
        &|nr| sysgate_abi::x86_64::name(nr as u64),
        sort,
        columns,
    );
    let i386 = read(file, 1)?;
    if i386.iter().any(|c| c.calls > 0) {
        out.push_str("System call usage summary for 32 bit mode:\n");
        out.push_str(&format(
            &i386,
            &|nr| sysgate_abi::i386::name(nr as u64),
            sort,
            columns,
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(calls: u64, errors: u64, time_ns: u64) -> Counts {
        Counts {
            calls,
            errors,
            time_ns,
            min_ns: 0,
            max_ns: 0,
        }
    }

    #[test]
    fn formats_like_strace() {
        let mut counts = vec![Counts::default(); NR_MAX];
        counts[0] = c(13, 0, 14_000); // read
        counts[61] = c(4, 2, 1_183_000); // wait4
        counts[257] = c(68, 26, 76_000); // openat
        counts[39] = c(1, 0, 0); // getpid
        counts[13] = c(7, 0, 0); // rt_sigaction
        let s = format(
            &counts,
            &|nr| sysgate_abi::x86_64::name(nr as u64),
            SortBy::Time,
            &DEFAULT_COLUMNS,
        );
        let want = "\
% time     seconds  usecs/call     calls    errors syscall
------ ----------- ----------- --------- --------- ----------------
 92.93    0.001183         295         4         2 wait4
  5.97    0.000076           1        68        26 openat
  1.10    0.000014           1        13           read
  0.00    0.000000           0         7           rt_sigaction
  0.00    0.000000           0         1           getpid
------ ----------- ----------- --------- --------- ----------------
100.00    0.001273          13        93        28 total
";
        assert_eq!(s, want);
        let by_name = format(
            &counts,
            &|nr| sysgate_abi::x86_64::name(nr as u64),
            SortBy::Name,
            &DEFAULT_COLUMNS,
        );
        assert!(by_name.lines().nth(2).unwrap().ends_with(" getpid"));
        assert_eq!(SortBy::parse("calls"), Ok(SortBy::Calls));
        // -U: every column, in strace's forms (blank errors, the name padded unless last).
        counts[61].min_ns = 10_000;
        counts[61].max_ns = 900_000;
        counts[257].max_ns = 14_000;
        let cols = Column::parse_list(
            "name,calls,errors,max-time,min-time,avg-time,total-time,time-percent",
        )
        .unwrap();
        let s = format(
            &counts,
            &|nr| sysgate_abi::x86_64::name(nr as u64),
            SortBy::Time,
            &cols,
        );
        let want = "\
syscall              calls    errors  longest shortest  usecs/call     seconds % time
---------------- --------- --------- -------- -------- ----------- ----------- ------
wait4                    4         2 0.000900 0.000010         295    0.001183  92.93
openat                  68        26 0.000014 0.000000           1    0.000076   5.97
read                    13           0.000000 0.000000           1    0.000014   1.10
rt_sigaction             7           0.000000 0.000000           0    0.000000   0.00
getpid                   1           0.000000 0.000000           0    0.000000   0.00
---------------- --------- --------- -------- -------- ----------- ----------- ------
total                   93        28 0.000900 0.000000          13    0.001273 100.00
";
        assert_eq!(s, want);
        let s = format(
            &counts,
            &|nr| sysgate_abi::x86_64::name(nr as u64),
            SortBy::Calls,
            &Column::parse_list("count,longest").unwrap(),
        );
        assert!(s.starts_with("    calls  longest syscall\n--------- -------- ----------------\n       68 0.000014 openat\n"), "{s}");
        assert_eq!(
            Column::parse_list("time"),
            Ok(vec![Column::TimePercent, Column::Name])
        );
        assert_eq!(
            Column::parse_list("foo"),
            Err("unknown column name: 'foo'".into())
        );
        assert!(Column::parse_list("calls,count").is_err());
        assert!(SortBy::parse("bogus").is_err());
    }
}
