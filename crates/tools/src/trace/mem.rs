//! Memory mapping arguments: `PROT_*` and `MAP_*`.

use super::flags::flag_names;
use super::Ctx;
use sysgate_abi::flags as f;

/// `PROT_READ|PROT_WRITE`, `PROT_NONE` for 0.
pub(crate) fn prot(c: &mut Ctx, v: u64) {
    if v == 0 {
        c.s("PROT_NONE");
    } else {
        flag_names(c, f::PROT, v, true);
    }
}

/// `MAP_PRIVATE|MAP_ANONYMOUS`: the mapping type first, then the flags.
pub(crate) fn map_flags(c: &mut Ctx, v: u64) {
    let v = u64::from(v as u32);
    let ty = v & f::MAP_TYPE_MASK;
    let rest = v & !f::MAP_TYPE_MASK;
    let mut first = true;
    match f::name_of(f::MAP_TYPE, ty) {
        Some(n) => {
            c.s(n);
            first = false;
        }
        None if ty != 0 => {
            c.w(format_args!("{:#x} /* MAP_??? */", ty));
            first = false;
        }
        None => {}
    }
    if rest != 0 {
        flag_names(c, f::MAP, rest, first);
    } else if first {
        c.s("0");
    }
}
