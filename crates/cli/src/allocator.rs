//! The allocator's one tunable that matters at hospital scale.
//!
//! mimalloc keeps freed memory for 10 ms before returning it to the system (its purge delay),
//! which makes the packet loop's many small frees cheap. When the inventory forms its devices
//! it frees most of what it held — per-endpoint state, folded flows — while the devices and
//! their attributes are being built: with the delay, the freed pages stay resident next to
//! the new ones. Measured on 100,000 simulated devices (bench/sim-scale.sh): peak RSS 516
//! MiB with the default, 475 MiB with a purge delay of 0 for the whole run — which, for the
//! whole run, also cost 4% on the bench capture. So the delay is set to 0 only once packets
//! are done, and only when the process is large enough for the memory to matter.

/// mimalloc's `mi_option_purge_delay` (mimalloc.h, `mi_option_e`; 15 in mimalloc 2 and 3,
/// which libmimalloc-sys 0.1 links; the binding has no name for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Resident size from which freed memory is returned at once after the packets: a quarter of
/// the 512 MiB peak-RSS budget (CONVENTIONS §6), far below where the 100,000-device run stands
/// when its packets are done. The bench capture stands at about 35 MiB there: purging at once
/// took 9 MiB off its peak RSS (35 instead of 44) and cost about 2% of its wall time (31
/// paired runs, 2026-12-07), a trade worth making only near the budget.
const PURGE_PROMPTLY_FROM_KIB: u64 = 128 * 1024;

/// From now on, freed memory goes back to the system at once — if the process holds enough
/// for that to matter (or its size cannot be read).
///
/// Never inlined: it runs once, and inlined into the analysis its file reading changed how
/// the compiler inlined the packet loop around it (6 M more instructions on the bench
/// capture).
#[inline(never)]
pub fn purge_promptly() {
    if resident_kib().is_some_and(|kib| kib < PURGE_PROMPTLY_FROM_KIB) {
        return;
    }
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table (an atomic
    // store); 15 is a valid option id of the linked mimalloc and 0 a documented value ("0 for
    // immediate purging"). It touches no Rust-visible memory.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}

/// The process's resident set (`VmRSS` of `/proc/self/status`, Linux), in KiB.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.trim_start_matches("VmRSS:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_resident_size_reads_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(super::resident_kib().is_some_and(|kib| kib > 0));
        }
    }
}
