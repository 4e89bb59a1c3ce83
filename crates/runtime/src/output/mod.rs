pub mod out;
pub mod shared;
