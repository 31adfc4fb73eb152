//! DHCPv6 messages (RFC 8415 §8 client/server format, §9 relay agent format, §21 options).
//! Relay messages are unwrapped through option 9 (Relay Message) at most
//! [`MAX_RELAY_DEPTH`] times.

use wire::cursor::{ReadError, Reader};

/// Relay wrappers unwrapped (RFC 8415 §7.6 HOP_COUNT_LIMIT is 8; real networks use 1 or 2).
pub(crate) const MAX_RELAY_DEPTH: usize = 4;

/// Options read per message (CONVENTIONS §6); the rest are counted.
pub(crate) const MAX_OPTIONS: usize = 64;

/// Items kept of one list option (ORO codes, vendor class data).
pub(crate) const MAX_LIST: usize = 64;

/// RFC 8415 §11.1: a DUID is at most 128 octets plus its 2-octet type.
pub(crate) const MAX_DUID: usize = 130;

/// RFC 8415 §7.3 message types.
pub(crate) mod msg {
    pub const SOLICIT: u8 = 1;
    pub const ADVERTISE: u8 = 2;
    pub const REQUEST: u8 = 3;
    pub const CONFIRM: u8 = 4;
    pub const RENEW: u8 = 5;
    pub const REBIND: u8 = 6;
    pub const REPLY: u8 = 7;
    pub const RELEASE: u8 = 8;
    pub const DECLINE: u8 = 9;
    pub const RECONFIGURE: u8 = 10;
    pub const INFORMATION_REQUEST: u8 = 11;
    pub const RELAY_FORW: u8 = 12;
    pub const RELAY_REPL: u8 = 13;
}

/// RFC 8415 §21 option codes used here (and RFC 4704 §4 Client FQDN).
pub(crate) mod opt {
    pub const CLIENTID: u16 = 1;
    pub const SERVERID: u16 = 2;
    pub const ORO: u16 = 6;
    pub const RELAY_MSG: u16 = 9;
    pub const VENDOR_CLASS: u16 = 16;
    pub const VENDOR_OPTS: u16 = 17;
    pub const CLIENT_FQDN: u16 = 39;
}

/// Message type names (RFC 8415 §7.3), snake_case.
pub(crate) fn msg_name(t: u8) -> &'static str {
    match t {
        msg::SOLICIT => "solicit",
        msg::ADVERTISE => "advertise",
        msg::REQUEST => "request",
        msg::CONFIRM => "confirm",
        msg::RENEW => "renew",
        msg::REBIND => "rebind",
        msg::REPLY => "reply",
        msg::RELEASE => "release",
        msg::DECLINE => "decline",
        msg::RECONFIGURE => "reconfigure",
        msg::INFORMATION_REQUEST => "information_request",
        msg::RELAY_FORW => "relay_forw",
        msg::RELAY_REPL => "relay_repl",
        _ => "unknown",
    }
}

/// Sent by a client (RFC 8415 §18.2).
pub(crate) fn is_client_msg(t: u8) -> bool {
    matches!(
        t,
        msg::SOLICIT
            | msg::REQUEST
            | msg::CONFIRM
            | msg::RENEW
            | msg::REBIND
            | msg::RELEASE
            | msg::DECLINE
            | msg::INFORMATION_REQUEST
    )
}

/// Sent by a server (RFC 8415 §18.3).
pub(crate) fn is_server_msg(t: u8) -> bool {
    matches!(t, msg::ADVERTISE | msg::REPLY | msg::RECONFIGURE)
}

/// The innermost client or server message, with what it says.
#[derive(Debug, Default)]
pub(crate) struct Message<'a> {
    /// The innermost message type.
    pub msg_type: u8,
    /// Relay wrappers around it.
    pub relay_hops: usize,
    /// The outermost message is a Relay-Forw: the datagram's sender is a relay agent, not
    /// the client.
    pub relay_forw: bool,
    /// Option 1, the client's DUID.
    pub client_id: Option<&'a [u8]>,
    /// Option 2, the server's DUID.
    pub server_id: Option<&'a [u8]>,
    /// Option 6 codes, in order.
    pub oro: Vec<u16>,
    /// Option 16: enterprise number and vendor-class-data strings.
    pub vendor_class: Option<(u32, Vec<&'a [u8]>)>,
    /// Option 17's enterprise number.
    pub vendor_opts: Option<u32>,
    /// Option 39's domain name as dotted text bytes (RFC 4704 §4.2).
    pub fqdn: Option<Vec<u8>>,
    /// More than [`MAX_OPTIONS`] options, or a list longer than [`MAX_LIST`].
    pub dropped: bool,
}

fn short(_: ReadError) -> &'static str {
    "dhcpv6_truncated"
}

/// Parses one datagram, unwrapping relay messages.
pub(crate) fn parse(d: &[u8]) -> Result<Message<'_>, &'static str> {
    let mut m = Message::default();
    let mut cur = d;
    loop {
        let mut r = Reader::new(cur);
        let t = r.u8().map_err(short)?;
        match t {
            msg::RELAY_FORW | msg::RELAY_REPL => {
                if m.relay_hops == 0 {
                    m.relay_forw = t == msg::RELAY_FORW;
                }
                m.relay_hops += 1;
                if m.relay_hops > MAX_RELAY_DEPTH {
                    return Err("dhcpv6_relay_too_deep");
                }
                // RFC 8415 §9: hop-count (1), link-address (16), peer-address (16), options.
                r.skip(33).map_err(short)?;
                let mut inner = None;
                for_each_option(r, &mut m.dropped, |code, data| {
                    if code == opt::RELAY_MSG && inner.is_none() {
                        inner = Some(data);
                    }
                    Ok(())
                })?;
                cur = inner.ok_or("dhcpv6_relay_without_message")?;
            }
            1..=11 => {
                m.msg_type = t;
                // RFC 8415 §8: transaction-id (3), options.
                r.skip(3).map_err(short)?;
                let mut dropped = m.dropped;
                for_each_option(r, &mut dropped, |code, data| option(&mut m, code, data))?;
                m.dropped |= dropped;
                return Ok(m);
            }
            _ => return Err("dhcpv6_unknown_msg_type"),
        }
    }
}

/// Walks `code (2) len (2) data` options (RFC 8415 §21.1) to the end of `r`.
fn for_each_option<'a>(
    mut r: Reader<'a>,
    dropped: &mut bool,
    mut f: impl FnMut(u16, &'a [u8]) -> Result<(), &'static str>,
) -> Result<(), &'static str> {
    let mut n = 0usize;
    while !r.is_empty() {
        let code = r.u16().map_err(|_| "dhcpv6_option_truncated")?;
        let data = r.u16_prefixed().map_err(|_| "dhcpv6_option_truncated")?;
        n += 1;
        if n > MAX_OPTIONS {
            *dropped = true;
            continue;
        }
        f(code, data)?;
    }
    Ok(())
}

fn option<'a>(m: &mut Message<'a>, code: u16, data: &'a [u8]) -> Result<(), &'static str> {
    match code {
        opt::CLIENTID => m.client_id = Some(data),
        opt::SERVERID => m.server_id = Some(data),
        // RFC 8415 §21.7: a list of 2-octet option codes.
        opt::ORO => {
            if !data.len().is_multiple_of(2) {
                return Err("dhcpv6_bad_oro");
            }
            for pair in data.chunks_exact(2) {
                if m.oro.len() == MAX_LIST {
                    m.dropped = true;
                    break;
                }
                if let [a, b] = pair {
                    m.oro.push(u16::from_be_bytes([*a, *b]));
                }
            }
        }
        // RFC 8415 §21.16: enterprise-number (4), then vendor-class-data items, each a
        // 2-octet length and opaque data.
        opt::VENDOR_CLASS => {
            let mut r = Reader::new(data);
            let enterprise = r.u32().map_err(|_| "dhcpv6_bad_vendor_class")?;
            let mut items = Vec::new();
            while !r.is_empty() {
                let item = r.u16_prefixed().map_err(|_| "dhcpv6_bad_vendor_class")?;
                if items.len() < MAX_LIST {
                    items.push(item);
                } else {
                    m.dropped = true;
                }
            }
            m.vendor_class = Some((enterprise, items));
        }
        // RFC 8415 §21.17: enterprise-number (4), then sub-options (not read).
        opt::VENDOR_OPTS => {
            let mut r = Reader::new(data);
            m.vendor_opts = Some(r.u32().map_err(|_| "dhcpv6_bad_vendor_opts")?);
        }
        // RFC 4704 §4: flags (1), then the domain name in DNS wire format without
        // compression, possibly partial (no terminating root label).
        opt::CLIENT_FQDN => {
            let (_flags, name) = data.split_first().ok_or("dhcpv6_bad_fqdn")?;
            m.fqdn = Some(domain_name(name)?);
        }
        _ => {}
    }
    Ok(())
}

/// RFC 1035 §3.1 labels to dotted text bytes; at most 255 octets, no compression (RFC 8415
/// §10), a missing root label means a partial name (RFC 4704 §4.2).
pub(crate) fn domain_name(wire: &[u8]) -> Result<Vec<u8>, &'static str> {
    if wire.len() > 255 {
        return Err("dhcpv6_bad_fqdn");
    }
    let mut r = Reader::new(wire);
    let mut out = Vec::with_capacity(wire.len());
    while !r.is_empty() {
        let len = r.u8().map_err(|_| "dhcpv6_bad_fqdn")?;
        if len == 0 {
            break;
        }
        if len > 63 {
            return Err("dhcpv6_bad_fqdn");
        }
        let label = r.take(usize::from(len)).map_err(|_| "dhcpv6_bad_fqdn")?;
        if !out.is_empty() {
            out.push(b'.');
        }
        out.extend_from_slice(label);
    }
    Ok(out)
}

/// RFC 8415 §11 DUID types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Duid<'a> {
    /// §11.2 DUID-LLT: hardware type, time, link-layer address.
    Llt { hw_type: u16, addr: &'a [u8] },
    /// §11.3 DUID-EN: enterprise number, identifier.
    En { enterprise: u32 },
    /// §11.4 DUID-LL: hardware type, link-layer address.
    Ll { hw_type: u16, addr: &'a [u8] },
    /// RFC 6355 DUID-UUID.
    Uuid,
    /// Another type.
    Other(u16),
}

impl Duid<'_> {
    /// The fact value of `dhcpv6.duid_type`.
    pub(crate) fn type_name(&self) -> String {
        match self {
            Self::Llt { .. } => "llt".into(),
            Self::En { .. } => "en".into(),
            Self::Ll { .. } => "ll".into(),
            Self::Uuid => "uuid".into(),
            Self::Other(t) => t.to_string(),
        }
    }

    /// The MAC of a DUID-LLT or DUID-LL over Ethernet (hardware type 1, RFC 826).
    pub(crate) fn mac(&self) -> Option<[u8; 6]> {
        match self {
            Self::Llt { hw_type: 1, addr } | Self::Ll { hw_type: 1, addr } => {
                (*addr).try_into().ok()
            }
            _ => None,
        }
    }
}

/// Reads a DUID (RFC 8415 §11.1: 2-octet type, then type-specific contents).
pub(crate) fn duid(d: &[u8]) -> Result<Duid<'_>, &'static str> {
    let mut r = Reader::new(d);
    let bad = |_| "dhcpv6_bad_duid";
    let t = r.u16().map_err(bad)?;
    Ok(match t {
        1 => {
            let hw_type = r.u16().map_err(bad)?;
            let _time = r.u32().map_err(bad)?;
            Duid::Llt {
                hw_type,
                addr: r.take_rest(),
            }
        }
        2 => Duid::En {
            enterprise: r.u32().map_err(bad)?,
        },
        3 => Duid::Ll {
            hw_type: r.u16().map_err(bad)?,
            addr: r.take_rest(),
        },
        4 if r.remaining() == 16 => Duid::Uuid,
        4 => return Err("dhcpv6_bad_duid"),
        t => Duid::Other(t),
    })
}

/// Content check for the probe: a known message type and options that end exactly at the
/// end of the datagram, none with the reserved code 0. Returns whether the option that names
/// the sender (Client ID, Server ID, or Relay Message for relays) is present.
pub(crate) fn probe(d: &[u8]) -> Option<bool> {
    let (&t, _) = d.split_first()?;
    let (start, wanted) = match t {
        msg::RELAY_FORW | msg::RELAY_REPL => (34, opt::RELAY_MSG),
        t if is_client_msg(t) => (4, opt::CLIENTID),
        t if is_server_msg(t) => (4, opt::SERVERID),
        _ => return None,
    };
    let mut r = Reader::new(d.get(start..)?);
    let (mut any, mut has) = (false, false);
    while !r.is_empty() {
        let code = r.u16().ok()?;
        r.u16_prefixed().ok()?;
        if code == 0 {
            return None;
        }
        any = true;
        has |= code == wanted;
    }
    any.then_some(has)
}
