//! DHCPv4 parsing: view, options walk, identity extraction and text rendering.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::dhcpv4::{Packet, Repr};

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::new_checked(data) else {
        return;
    };
    for option in packet.options() {
        if option.is_err() {
            break;
        }
    }
    if let Ok(id) = packet.identity() {
        let _ = id.hostname_text();
        let _ = id.vendor_class_text();
        let _ = id.client_id_hex();
        if let Some(fqdn) = id.client_fqdn {
            let _ = fqdn.name_lowercase();
        }
    }
    let _ = Repr::parse(&packet);
});
