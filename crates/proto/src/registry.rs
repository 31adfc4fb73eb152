//! **The one list of every application parser** (ripgrep's one-list-of-flags idea). Adding a
//! protocol: copy `src/template/`, add one line here, add fixtures and a fuzz target.
//!
//! Order is probe order: parsers whose content check is specific come first, so a generic
//! check (a text line protocol) never wins over a precise one. Each parser's folder says which
//! standard it follows.

use model::{Side, Timestamp, Transport};

use crate::out::Out;
use crate::parser::{AppParser, FlowCtx, Probe, Verdict};

macro_rules! registry {
    ($( $variant:ident => $ty:ty ),* $(,)?) => {
        /// The parser of one flow: one variant per registered protocol, boxed so the slot in
        /// every flow stays small whatever a protocol keeps.
        #[derive(Debug)]
        pub(crate) enum Parser {
            $( $variant(Box<$ty>), )*
        }

        /// Every registered protocol id, in probe order.
        pub const PROTOCOLS: &[&str] = &[ $( <$ty as AppParser>::NAME, )* ];

        const PROBES: &[fn(&[u8], Side, &FlowCtx) -> Probe] = &[ $( <$ty as AppParser>::probe, )* ];

        const TRANSPORTS: &[crate::parser::Transports] = &[ $( <$ty as AppParser>::TRANSPORTS, )* ];

        const CREATE: &[fn(&FlowCtx) -> Parser] = &[
            $( |ctx| Parser::$variant(Box::new(<$ty as AppParser>::new(ctx))), )*
        ];

        impl Parser {
            pub(crate) fn name(&self) -> &'static str {
                match self { $( Self::$variant(_) => <$ty as AppParser>::NAME, )* }
            }

            pub(crate) fn feed(&mut self, side: Side, ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
                match self { $( Self::$variant(p) => p.feed(side, ts, data, out), )* }
            }

            pub(crate) fn gap(&mut self, side: Side, len: u32, out: &mut Out<'_>) -> Verdict {
                match self { $( Self::$variant(p) => p.gap(side, len, out), )* }
            }

            pub(crate) fn end(&mut self, out: &mut Out<'_>) {
                match self { $( Self::$variant(p) => p.end(out), )* }
            }
        }
    };
}

registry! {
    Tls => crate::tls::Tls,
    Ssh => crate::ssh::Ssh,
    Http => crate::http::Http,
    Dicom => crate::dicom::Dicom,
    Hl7 => crate::hl7::Hl7,
    Poct1a => crate::poct1a::Poct1a,
    Mqtt => crate::mqtt::Mqtt,
    Modbus => crate::modbus::Modbus,
    Ftp => crate::ftp::Ftp,
    Smtp => crate::smtp::Smtp,
    Pop3 => crate::pop3::Pop3,
    Imap => crate::imap::Imap,
    Telnet => crate::telnet::Telnet,
    Snmp => crate::snmp::Snmp,
    Ntp => crate::ntp::Ntp,
    Syslog => crate::syslog::Syslog,
    Ssdp => crate::ssdp::Ssdp,
    WsDiscovery => crate::wsdiscovery::WsDiscovery,
    NetbiosNs => crate::netbios_ns::NetbiosNs,
    Dhcpv6 => crate::dhcpv6::Dhcpv6,
    Bacnet => crate::bacnet::Bacnet,
}

/// Number of registered parsers.
pub(crate) const fn count() -> usize {
    PROTOCOLS.len()
}

/// The name of parser `i`.
pub(crate) fn name(i: usize) -> &'static str {
    PROTOCOLS.get(i).copied().unwrap_or("unknown")
}

/// The index of the parser named `name`.
pub(crate) fn index_of(name: &str) -> Option<usize> {
    PROTOCOLS.iter().position(|p| *p == name)
}

/// Probes parser `i`.
pub(crate) fn probe(i: usize, first: &[u8], side: Side, ctx: &FlowCtx) -> Probe {
    PROBES.get(i).map_or(Probe::No, |p| p(first, side, ctx))
}

/// Creates parser `i` (an index [`candidates`] gave).
pub(crate) fn create(i: usize, ctx: &FlowCtx) -> Parser {
    CREATE[i.min(CREATE.len() - 1)](ctx)
}

/// Transports parser `i` reads.
pub(crate) fn transports(i: usize) -> crate::parser::Transports {
    TRANSPORTS
        .get(i)
        .copied()
        .unwrap_or(crate::parser::Transports::Tcp)
}

/// Bit mask of the parsers that read `transport`.
pub(crate) fn candidates(transport: Transport) -> u64 {
    TRANSPORTS
        .iter()
        .enumerate()
        .filter(|(_, t)| t.admits(transport))
        .fold(0, |m, (i, _)| m | 1 << i)
}

const _: () = assert!(PROTOCOLS.len() <= 64, "candidate sets are 64-bit masks");
