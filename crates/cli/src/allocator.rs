//! The allocator's one tunable that matters at hospital scale.
//!
//! mimalloc keeps freed memory for 10 ms before returning it to the system (its purge delay),
//! which makes the packet loop's many small frees cheap. When the inventory forms its devices
//! it frees most of what it held — per-endpoint state, folded flows — while the devices and
//! their attributes are being built: with the delay, the freed pages stay resident next to
//! the new ones. Measured on 100,000 simulated devices (bench/sim-scale.sh): peak RSS 516
//! MiB with the default, 475 MiB with a purge delay of 0 for the whole run — which, for the
//! whole run, also cost 4% on the bench capture. So the delay is set to 0 only once packets
//! are done.

/// mimalloc's `mi_option_purge_delay` (mimalloc.h, `mi_option_e`; 15 in mimalloc 2 and 3,
/// which libmimalloc-sys 0.1 links; the binding has no name for it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// From now on, freed memory goes back to the system at once.
pub fn purge_promptly() {
    // SAFETY: mi_option_set only stores an integer in mimalloc's option table (an atomic
    // store); 15 is a valid option id of the linked mimalloc and 0 a documented value ("0 for
    // immediate purging"). It touches no Rust-visible memory.
    #[allow(unsafe_code)]
    unsafe {
        libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0);
    }
}
