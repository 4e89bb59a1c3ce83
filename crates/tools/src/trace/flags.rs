//! Flag sets and enumerations printed from the tables in `sysgate_abi::flags`.

use super::Ctx;
use sysgate_abi::flags::Table;

/// Writes the names of the bits of `v` found in `table` joined by `|`, with any
/// leftover bits in hex. Returns whether anything was written (false for 0).
pub(crate) fn flag_names(c: &mut Ctx, table: Table, v: u64, mut first: bool) -> bool {
    let mut rest = v;
    let mut wrote = false;
    for &(bit, name) in table {
        if bit != 0 && rest & bit == bit {
            if !first {
                c.s("|");
            }
            c.s(name);
            first = false;
            wrote = true;
            rest &= !bit;
        }
    }
    if rest != 0 {
        if !first {
            c.s("|");
        }
        c.w(format_args!("{:#x}", rest));
        wrote = true;
    }
    wrote
}

/// A flags argument: `A|B|0x40`, or `0`.
pub(crate) fn flags(c: &mut Ctx, table: Table, v: u64) {
    if v == 0 {
        c.s("0");
        return;
    }
    flag_names(c, table, v, true);
}

/// An enumerated `int` argument: its name, else the number.
pub(crate) fn enum_int(c: &mut Ctx, table: Table, v: u64) {
    let x = u64::from(v as u32);
    match table.iter().find(|(val, _)| *val == x) {
        Some((_, name)) => c.s(name),
        None => c.int(v as u32 as i32),
    }
}

/// An enumerated value printed as its name, else hex (`0x10`).
pub(crate) fn enum_hex(c: &mut Ctx, table: Table, v: u64) {
    match table.iter().find(|(val, _)| *val == v) {
        Some((_, name)) => c.s(name),
        None => c.hex(v),
    }
}
