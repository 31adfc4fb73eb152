//! pcap / pcapng reading from arbitrary bytes: every frame or a clean error, never a panic.
#![no_main]

use capture::{CaptureLimits, FileSource, PacketSource};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(mut source) = FileSource::from_reader(
        "fuzz.pcap",
        std::io::Cursor::new(data.to_vec()),
        Some(data.len() as u64),
        CaptureLimits::default(),
    ) else {
        return;
    };
    let mut frames = 0u32;
    while let Ok(Some(frame)) = source.next_frame() {
        assert!(frame.data.len() <= data.len());
        frames += 1;
        if frames > 100_000 {
            break;
        }
    }
});
