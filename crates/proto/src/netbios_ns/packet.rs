//! NetBIOS Name Service packets (RFC 1002 §4.2): a DNS-like header, questions and resource
//! records whose names are first-level encoded NetBIOS names (RFC 1001 §14.1), possibly
//! compressed with DNS pointers (RFC 1002 §4.1). Names are read with `wire::dns::Name`,
//! whose pointers must point strictly backwards, so loops are impossible.

use wire::Malformed;
use wire::cursor::{ReadError, Reader};
use wire::dns::Name;

/// RFC 1002 §4.2.1.1 header length.
pub(crate) const HEADER_LEN: usize = 12;

/// Questions and records read per packet (CONVENTIONS §6); the rest are counted.
pub(crate) const MAX_ITEMS: usize = 64;

/// RFC 1002 §4.2.1.3 QUESTION_TYPE / RR_TYPE values.
pub(crate) const TYPE_NB: u16 = 0x0020;
pub(crate) const TYPE_NBSTAT: u16 = 0x0021;

/// RFC 1002 §4.2.1.1 OPCODE values (and the refresh / multi-homed values seen in practice).
pub(crate) fn opcode_name(op: u8) -> &'static str {
    match op {
        0 => "query",
        5 => "registration",
        6 => "release",
        7 => "wack",
        8 | 9 => "refresh",
        15 => "multihomed_registration",
        _ => "unknown",
    }
}

/// True for the opcodes RFC 1002 defines (and refresh 9, multi-homed registration 15).
pub(crate) fn known_opcode(op: u8) -> bool {
    matches!(op, 0 | 5..=9 | 15)
}

/// A decoded NetBIOS name: 15 name octets (space padded) and the suffix octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct NbName {
    raw: [u8; 16],
}

impl NbName {
    /// The name without its trailing space padding.
    pub(crate) fn name(&self) -> &[u8] {
        let (name, _) = self.raw.split_at(15);
        let end = name
            .iter()
            .rposition(|&b| b != b' ' && b != 0)
            .map_or(0, |i| i + 1);
        name.get(..end).unwrap_or_default()
    }

    /// The 16th octet: the service suffix (0x00 workstation, 0x20 file server, ...).
    pub(crate) fn suffix(&self) -> u8 {
        let [.., suffix] = self.raw;
        suffix
    }

    /// A name worth reporting: not the `*` wildcard, not `\x01\x02__MSBROWSE__\x02`, printable.
    pub(crate) fn is_plain(&self) -> bool {
        let n = self.name();
        !n.is_empty() && n != b"*" && n.iter().all(|&b| (0x20..0x7f).contains(&b))
    }
}

/// RFC 1001 §14.1 first-level decoding: 32 octets 'A'–'P', each pair one nibble pair.
pub(crate) fn decode_name(label: &[u8]) -> Option<NbName> {
    if label.len() != 32 {
        return None;
    }
    let mut raw = [0u8; 16];
    for (out, pair) in raw.iter_mut().zip(label.chunks_exact(2)) {
        let nib = |c: u8| {
            let c = c.to_ascii_uppercase();
            (b'A'..=b'P').contains(&c).then(|| c - b'A')
        };
        match pair {
            [hi, lo] => *out = (nib(*hi)? << 4) | nib(*lo)?,
            _ => return None,
        }
    }
    Some(NbName { raw })
}

/// One question (RFC 1002 §4.2.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Question {
    pub name: NbName,
    pub qtype: u16,
}

/// One resource record (RFC 1002 §4.2.1.3) as far as it is kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub name: NbName,
    pub rtype: u16,
    /// NB: the first entry's NB_FLAGS (bit 15 G: group name).
    pub nb_flags: Option<u16>,
    /// NBSTAT (RFC 1002 §4.2.18): each NODE_NAME with its NAME_FLAGS, at most
    /// [`MAX_ITEMS`].
    pub node_names: Vec<(NbName, u16)>,
    /// NBSTAT STATISTICS UNIT_ID (the adapter's MAC on Windows).
    pub unit_id: Option<[u8; 6]>,
}

/// One packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Packet {
    pub response: bool,
    pub opcode: u8,
    pub rcode: u8,
    /// NM_FLAGS B: sent as a broadcast.
    pub broadcast: bool,
    pub questions: Vec<Question>,
    /// Answer, authority and additional records, in order.
    pub records: Vec<Record>,
    /// Items past [`MAX_ITEMS`] were not read.
    pub dropped: bool,
}

fn truncated(_: ReadError) -> &'static str {
    "netbios_ns_truncated"
}

fn name_error(m: Malformed) -> &'static str {
    match m {
        Malformed::DnsPointerLoop => "netbios_ns_pointer_loop",
        Malformed::DnsTruncated => "netbios_ns_truncated",
        _ => "netbios_ns_bad_name",
    }
}

/// Reads the name at `offset`: the encoded NetBIOS name is its first label (scope labels
/// after it are ignored). Returns the name and the offset after it.
fn read_name(msg: &[u8], offset: usize) -> Result<(NbName, usize), &'static str> {
    let (name, next) = Name::parse(msg, offset).map_err(name_error)?;
    let label = name.labels().next().ok_or("netbios_ns_bad_name")?;
    let nb = decode_name(label).ok_or("netbios_ns_bad_name")?;
    Ok((nb, next))
}

/// Parses one datagram.
pub(crate) fn parse(msg: &[u8]) -> Result<Packet, &'static str> {
    let mut r = Reader::new(msg);
    // RFC 1002 §4.2.1.1: NAME_TRN_ID, R|OPCODE|NM_FLAGS|RCODE, QD/AN/NS/AR counts.
    let _id = r.u16().map_err(truncated)?;
    let flags = r.u16().map_err(truncated)?;
    let counts: [u16; 4] = [
        r.u16().map_err(truncated)?,
        r.u16().map_err(truncated)?,
        r.u16().map_err(truncated)?,
        r.u16().map_err(truncated)?,
    ];
    let [qd, an, ns, ar] = counts;
    let mut pkt = Packet {
        response: flags & 0x8000 != 0,
        opcode: ((flags >> 11) & 0x0f) as u8,
        rcode: (flags & 0x000f) as u8,
        broadcast: flags & 0x0010 != 0,
        questions: Vec::new(),
        records: Vec::new(),
        dropped: false,
    };
    let mut pos = HEADER_LEN;
    for _ in 0..qd {
        if pkt.questions.len() == MAX_ITEMS {
            pkt.dropped = true;
            return Ok(pkt);
        }
        let (name, next) = read_name(msg, pos)?;
        let mut q = Reader::new(msg.get(next..).ok_or("netbios_ns_truncated")?);
        let qtype = q.u16().map_err(truncated)?;
        let _class = q.u16().map_err(truncated)?;
        pos = next + 4;
        pkt.questions.push(Question { name, qtype });
    }
    let total = usize::from(an) + usize::from(ns) + usize::from(ar);
    for _ in 0..total {
        if pkt.records.len() == MAX_ITEMS {
            pkt.dropped = true;
            return Ok(pkt);
        }
        let (name, next) = read_name(msg, pos)?;
        let mut rr = Reader::new(msg.get(next..).ok_or("netbios_ns_truncated")?);
        let rtype = rr.u16().map_err(truncated)?;
        let _class = rr.u16().map_err(truncated)?;
        let _ttl = rr.u32().map_err(truncated)?;
        let rdata = rr.u16_prefixed().map_err(truncated)?;
        pos = next + rr.position();
        pkt.records.push(record(name, rtype, rdata)?);
    }
    Ok(pkt)
}

fn record(name: NbName, rtype: u16, rdata: &[u8]) -> Result<Record, &'static str> {
    let mut rec = Record {
        name,
        rtype,
        nb_flags: None,
        node_names: Vec::new(),
        unit_id: None,
    };
    let mut r = Reader::new(rdata);
    match rtype {
        // RFC 1002 §4.2.2: NB_FLAGS, NB_ADDRESS (repeated); an empty RDATA is allowed in
        // negative responses.
        TYPE_NB if !rdata.is_empty() => rec.nb_flags = Some(r.u16().map_err(truncated)?),
        // RFC 1002 §4.2.18: NUM_NAMES, NODE_NAME entries (16 octets + NAME_FLAGS), then
        // STATISTICS starting with the 6-octet UNIT_ID.
        TYPE_NBSTAT => {
            let n = r.u8().map_err(truncated)?;
            for _ in 0..n {
                let raw: [u8; 16] = r.array().map_err(truncated)?;
                let flags = r.u16().map_err(truncated)?;
                if rec.node_names.len() < MAX_ITEMS {
                    rec.node_names.push((NbName { raw }, flags));
                }
            }
            rec.unit_id = r.array().ok();
        }
        _ => {}
    }
    Ok(rec)
}
