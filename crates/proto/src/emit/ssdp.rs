//! SSDP messages (UPnP Device Architecture 2.0 §1): HTTP-syntax heads over UDP, one per
//! datagram, no body. A device multicasts `NOTIFY * HTTP/1.1` with NTS `ssdp:alive` to
//! 239.255.255.250:1900 (§1.2.2); a control point multicasts `M-SEARCH * HTTP/1.1` there
//! (§1.3.2), and each matching device answers it with a unicast `HTTP/1.1 200 OK` from port
//! 1900 (§1.3.3).
//!
//! Lines end with CRLF and an empty line ends the head (RFC 9112 §2.1). Header values are
//! written as given, less any CR or LF (which would end the field early).

use std::net::Ipv4Addr;

/// The SSDP multicast group (§1.2.2 HOST: IPv4 site-local scope).
pub const MULTICAST: Ipv4Addr = Ipv4Addr::new(239, 255, 255, 250);
/// The SSDP port (§1.2.2 HOST).
pub const PORT: u16 = 1900;
/// The HOST field value of multicast messages (§1.2.2, §1.3.2).
pub const HOST: &str = "239.255.255.250:1900";

/// A device's advertisement data: what NOTIFY and search responses say about it (§1.2.2,
/// §1.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Device<'a> {
    /// The device UUID (§1.1.4), without the `uuid:` prefix.
    pub uuid: &'a str,
    /// LOCATION: URL of the root device description.
    pub location: &'a str,
    /// SERVER: `OS/version UPnP/2.0 product/version`.
    pub server: &'a str,
    /// CACHE-CONTROL `max-age`, seconds the advertisement is valid (at least 1800).
    pub max_age: u32,
    /// BOOTID.UPNP.ORG: increased each time the device (re)joins the network.
    pub boot_id: u32,
    /// CONFIGID.UPNP.ORG: the description's configuration number (0 to 16777215).
    pub config_id: u32,
}

impl Device<'_> {
    /// The USN for notification or search target `nt` (§1.2.2's NT/USN pairs, §1.3.3):
    /// `uuid:<uuid>` when `nt` is the device's own `uuid:` target, else `uuid:<uuid>::<nt>`
    /// (`upnp:rootdevice`, `urn:…:device:…`, `urn:…:service:…`).
    pub fn usn(&self, nt: &str) -> String {
        if nt.starts_with("uuid:") {
            format!("uuid:{}", self.uuid)
        } else {
            format!("uuid:{}::{nt}", self.uuid)
        }
    }

    /// A NOTIFY `ssdp:alive` (§1.2.2) for notification type `nt` (`upnp:rootdevice`, the
    /// device's `uuid:…`, or a device or service type URN).
    pub fn notify_alive(&self, nt: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"NOTIFY * HTTP/1.1\r\n");
        field(out, "HOST", HOST);
        field(out, "CACHE-CONTROL", &format!("max-age={}", self.max_age));
        field(out, "LOCATION", self.location);
        field(out, "NT", nt);
        field(out, "NTS", "ssdp:alive");
        field(out, "SERVER", self.server);
        field(out, "USN", &self.usn(nt));
        field(out, "BOOTID.UPNP.ORG", &self.boot_id.to_string());
        field(out, "CONFIGID.UPNP.ORG", &self.config_id.to_string());
        out.extend_from_slice(b"\r\n");
    }

    /// The unicast answer to an M-SEARCH for `st` (§1.3.3): `HTTP/1.1 200 OK`, then
    /// CACHE-CONTROL, EXT (empty: the MAN header was understood), LOCATION, SERVER, ST, USN,
    /// BOOTID.UPNP.ORG and CONFIGID.UPNP.ORG. DATE (recommended) is not written: the
    /// emitter has no clock.
    pub fn search_response(&self, st: &str, out: &mut Vec<u8>) {
        out.extend_from_slice(b"HTTP/1.1 200 OK\r\n");
        field(out, "CACHE-CONTROL", &format!("max-age={}", self.max_age));
        field(out, "EXT", "");
        field(out, "LOCATION", self.location);
        field(out, "SERVER", self.server);
        field(out, "ST", st);
        field(out, "USN", &self.usn(st));
        field(out, "BOOTID.UPNP.ORG", &self.boot_id.to_string());
        field(out, "CONFIGID.UPNP.ORG", &self.config_id.to_string());
        out.extend_from_slice(b"\r\n");
    }
}

/// A multicast search (§1.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Search<'a> {
    /// ST: search target (`ssdp:all`, `upnp:rootdevice`, `uuid:…`, or a type URN).
    pub st: &'a str,
    /// MX: seconds a device may wait before answering (1 to 5).
    pub mx: u8,
    /// USER-AGENT: `OS/version UPnP/2.0 product/version` (optional).
    pub user_agent: Option<&'a str>,
    /// CPFN.UPNP.ORG: the control point's friendly name (UDA 2.0; optional here).
    pub control_point_name: Option<&'a str>,
}

impl Search<'_> {
    /// `M-SEARCH * HTTP/1.1` with HOST, MAN `"ssdp:discover"`, MX, ST, and USER-AGENT and
    /// CPFN.UPNP.ORG when given.
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"M-SEARCH * HTTP/1.1\r\n");
        field(out, "HOST", HOST);
        field(out, "MAN", "\"ssdp:discover\""); // quotes required (§1.3.2)
        field(out, "MX", &self.mx.to_string());
        field(out, "ST", self.st);
        if let Some(ua) = self.user_agent {
            field(out, "USER-AGENT", ua);
        }
        if let Some(name) = self.control_point_name {
            field(out, "CPFN.UPNP.ORG", name);
        }
        out.extend_from_slice(b"\r\n");
    }
}

/// One header field line: `NAME: value` and CRLF (RFC 9112 §5), the value without CR or
/// LF; an empty value is written as `NAME:` (EXT, §1.3.3).
fn field(out: &mut Vec<u8>, name: &str, value: &str) {
    out.extend_from_slice(name.as_bytes());
    out.push(b':');
    if !value.is_empty() {
        out.push(b' ');
        out.extend(value.bytes().filter(|&b| b != b'\r' && b != b'\n'));
    }
    out.extend_from_slice(b"\r\n");
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use model::Side;

    use super::*;
    use crate::parser::FlowCtx;
    use crate::testing::{anomalies, ctx_udp, fact, facts, run_session, software};

    const PUMP: Device<'static> = Device {
        uuid: "5f1e3c2a-0b7d-4e69-9a41-00a0c9e1f2d3",
        location: "http://10.40.3.17:49152/description.xml",
        server: "Linux/4.19 UPnP/2.0 InfusionGateway/3.4.1",
        max_age: 1800,
        boot_id: 7,
        config_id: 1,
    };

    #[test]
    fn notify_alive_is_read_back() {
        let mut d = Vec::new();
        PUMP.notify_alive("upnp:rootdevice", &mut d);
        let text = std::str::from_utf8(&d).unwrap();
        assert!(text.starts_with("NOTIFY * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n"));
        assert!(text.ends_with("CONFIGID.UPNP.ORG: 1\r\n\r\n"));
        assert!(
            !text.replace("\r\n", "").contains(['\r', '\n']),
            "CRLF only"
        );

        let (name, obs, mut c) = run_session(ctx_udp(PORT), &[(Side::Client, &d)]);
        assert_eq!(name, Some("ssdp"));
        assert_eq!(
            facts(&obs),
            vec![
                ("client", "ssdp.server", PUMP.server.to_string()),
                ("client", "ssdp.usn", format!("uuid:{}", PUMP.uuid)),
                ("client", "ssdp.nt", "upnp:rootdevice".into()),
                ("client", "ssdp.location", PUMP.location.into()),
            ]
        );
        assert_eq!(
            software(&obs),
            vec![
                ("client", "Linux".into(), Some("4.19".into())),
                ("client", "InfusionGateway".into(), Some("3.4.1".into())),
            ]
        );
        assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
        let e = &c.take_events()[0].body;
        assert_eq!(e["method"], "NOTIFY");
        assert_eq!(e["nts"], "ssdp:alive");
        assert_eq!(
            e["usn"],
            format!("uuid:{}::upnp:rootdevice", PUMP.uuid).as_str()
        );
    }

    #[test]
    fn search_and_response_are_read_back() {
        let st = "urn:schemas-upnp-org:device:InfusionPump:1";
        let mut q = Vec::new();
        Search {
            st,
            mx: 2,
            user_agent: Some("Windows/10.0 UPnP/2.0 NurseStation/8.1"),
            control_point_name: Some("Ward 5 station"),
        }
        .emit(&mut q);
        let mut r = Vec::new();
        PUMP.search_response(st, &mut r);
        assert!(std::str::from_utf8(&r).unwrap().contains("\r\nEXT:\r\n"));

        let (name, obs, mut c) =
            run_session(ctx_udp(PORT), &[(Side::Client, &q), (Side::Server, &r)]);
        assert_eq!(name, Some("ssdp"));
        assert_eq!(
            facts(&obs),
            vec![
                ("client", "ssdp.st", st.to_string()),
                (
                    "client",
                    "ssdp.user_agent",
                    "Windows/10.0 UPnP/2.0 NurseStation/8.1".into()
                ),
                ("server", "ssdp.server", PUMP.server.into()),
                ("server", "ssdp.usn", format!("uuid:{}", PUMP.uuid)),
                ("server", "ssdp.st", st.into()),
                ("server", "ssdp.location", PUMP.location.into()),
            ]
        );
        assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
        let ev = c.take_events();
        assert_eq!(ev[0].body["method"], "M-SEARCH");
        assert_eq!(ev[1].body["method"], "response");
        assert_eq!(ev[1].body["status"], 200);
        assert_eq!(
            ev[1].body["usn"],
            format!("uuid:{}::{st}", PUMP.uuid).as_str()
        );
    }

    #[test]
    fn response_on_its_own_unicast_flow_is_recognised() {
        // The answer goes from the device's port 1900 to the searcher's port: its own flow,
        // with the device as the flow's client.
        let mut r = Vec::new();
        PUMP.search_response(&format!("uuid:{}", PUMP.uuid), &mut r);
        let ctx = FlowCtx {
            client_port: PORT,
            server_port: 50123,
            ..ctx_udp(PORT)
        };
        let (name, obs, _) = run_session(ctx, &[(Side::Client, &r)]);
        assert_eq!(name, Some("ssdp"));
        // ST uuid:… gives the bare USN (§1.3.3).
        assert_eq!(
            fact(&obs, "ssdp.usn"),
            Some(&*format!("uuid:{}", PUMP.uuid))
        );
        assert_eq!(fact(&obs, "ssdp.server"), Some(PUMP.server));
    }

    #[test]
    fn values_lose_line_breaks() {
        let mut d = Vec::new();
        Device {
            server: "Evil/1.0\r\nX-Injected: 1",
            ..PUMP
        }
        .notify_alive("upnp:rootdevice", &mut d);
        let text = std::str::from_utf8(&d).unwrap();
        assert!(text.contains("SERVER: Evil/1.0X-Injected: 1\r\n"));
        assert!(!text.contains("\r\nX-Injected"));
    }
}
