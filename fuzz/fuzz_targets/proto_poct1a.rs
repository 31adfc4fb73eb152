#![no_main]
use libfuzzer_sys::fuzz_target;
fuzz_target!(|data: &[u8]| proto::fuzzing::run("poct1a", data));
