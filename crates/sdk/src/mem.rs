//! The program's memory, read and written from a handler. Every access is fault-protected: an
//! address the program passed that is not mapped gives [`Fault`] (the kernel's EFAULT), never
//! a crash of the program.

/// The address could not be read or written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault;

use sysgate_runtime::memory::guest;

/// Reads `buf.len()` bytes at `addr`.
pub fn read(addr: u64, buf: &mut [u8]) -> Result<(), Fault> {
    guest::read(addr, buf).then_some(()).ok_or(Fault)
}

/// Writes `data` at `addr`.
pub fn write(addr: u64, data: &[u8]) -> Result<(), Fault> {
    guest::write(addr, data).then_some(()).ok_or(Fault)
}

/// Reads a NUL-terminated string at `addr` into `buf` and returns it (without the NUL). A
/// string longer than `buf` comes back cut, as long as `buf`.
pub fn read_cstr(addr: u64, buf: &mut [u8]) -> Result<&[u8], Fault> {
    let n = guest::read_cstr(addr, buf).ok_or(Fault)?;
    Ok(&buf[..n])
}

/// Reads a value of a plain integer type (`u32`, `i64`, …) at `addr`.
pub fn read_value<T: Plain>(addr: u64) -> Result<T, Fault> {
    let mut v = T::default();
    guest::read_struct(addr, &mut v).then_some(v).ok_or(Fault)
}

/// Writes a value of a plain integer type at `addr`.
pub fn write_value<T: Plain>(addr: u64, v: T) -> Result<(), Fault> {
    guest::write_struct(addr, &v).then_some(()).ok_or(Fault)
}

/// Types for which every byte pattern is a valid value: what [`read_value`] may produce.
pub trait Plain: Copy + Default + sealed::Sealed {}
mod sealed {
    pub trait Sealed {}
}
macro_rules! plain {
    ($($t:ty)*) => {$(impl sealed::Sealed for $t {} impl Plain for $t {})*};
}
plain!(u8 u16 u32 u64 usize i8 i16 i32 i64 isize);
