//! DNS / mDNS / LLMNR parsing: questions, every record, typed rdata, name rendering.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::dns::{Packet, Repr};

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::new_checked(data) else {
        return;
    };
    for q in packet.questions() {
        match q {
            Ok(q) => drop(q.name.to_string_lossy_lower()),
            Err(_) => break,
        }
    }
    for r in packet.records() {
        match r {
            Ok(r) => {
                drop(r.name.to_string_lossy_lower());
                let _ = r.data();
                let _ = r.ip_addr();
            }
            Err(_) => break,
        }
    }
    let _ = Repr::parse(&packet);
});
