//! Whatever the bytes, the ELF planner returns a plan or an error, and a plan's segments are
//! sane: it decides what the loader maps.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let _ = sysgate_abi::elf::header_len(data);
    let _ = sysgate_abi::elf::shebang(data);
    if let Ok(p) = sysgate_abi::elf::plan(data) {
        for s in p.segments() {
            assert!(s.filesz <= s.memsz);
            assert!(s.vaddr + s.memsz <= 0x0000_7fff_ffff_f000);
        }
    }
});
