pub mod guest;
#[cfg(not(test))]
mod mem;
