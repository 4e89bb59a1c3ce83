pub mod entry;
pub mod sud;
pub mod vdso;
pub mod vsyscall;
