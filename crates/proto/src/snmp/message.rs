//! SNMP messages: v1 (RFC 1157 §4), v2c (RFC 1901, PDUs of RFC 3416 §3) and v3 (RFC 3412 §6
//! msgGlobalData, RFC 3414 §2.4 UsmSecurityParameters). The community string and the v3 user
//! name are read only to learn whether they are present: they are never kept.

use super::ber::{Ber, BerError, Tlv, oid_text, tag};

/// Varbinds kept per PDU (CONVENTIONS §6); the rest are counted.
pub(crate) const MAX_VARBINDS: usize = 64;

/// RFC 1157 §4 / RFC 3416 §3 PDU tags (context-specific, constructed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PduType(pub u8);

impl PduType {
    pub const GET: Self = Self(0xa0);
    pub const GET_NEXT: Self = Self(0xa1);
    pub const RESPONSE: Self = Self(0xa2);
    pub const SET: Self = Self(0xa3);
    /// RFC 1157 §4.1.6 Trap-PDU (v1 only).
    pub const TRAP_V1: Self = Self(0xa4);
    pub const GET_BULK: Self = Self(0xa5);
    pub const INFORM: Self = Self(0xa6);
    pub const TRAP_V2: Self = Self(0xa7);
    pub const REPORT: Self = Self(0xa8);

    /// Suricata EVE's `pdu_type` names.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::GET => "get_request",
            Self::GET_NEXT => "get_next_request",
            Self::RESPONSE => "response",
            Self::SET => "set_request",
            Self::TRAP_V1 => "trap_v1",
            Self::GET_BULK => "get_bulk_request",
            Self::INFORM => "inform_request",
            Self::TRAP_V2 => "trap_v2",
            Self::REPORT => "report",
            _ => "unknown",
        }
    }

    /// A PDU in which the sender (the agent) reports values about itself: responses and
    /// notifications. Values in requests (a Set) are what a manager wants, not what is.
    pub(crate) fn carries_agent_values(self) -> bool {
        matches!(
            self,
            Self::RESPONSE | Self::TRAP_V1 | Self::TRAP_V2 | Self::INFORM
        )
    }
}

/// One variable binding (RFC 3416 §3: VarBind ::= SEQUENCE { name ObjectName, value }).
#[derive(Debug)]
pub(crate) struct Varbind<'a> {
    /// The name as dotted text.
    pub oid: String,
    /// The value as read (only a few well-known ones are ever looked at).
    pub value: Tlv<'a>,
}

/// RFC 1157 §4.1.6 Trap-PDU fields other than the varbinds.
#[derive(Debug)]
pub(crate) struct TrapV1 {
    /// `enterprise`: the sysObjectID of the entity generating the trap.
    pub enterprise: String,
    /// `agent-addr`.
    pub agent_addr: Option<[u8; 4]>,
    /// `generic-trap`.
    pub generic: i64,
}

/// One PDU.
#[derive(Debug)]
pub(crate) struct Pdu<'a> {
    pub kind: PduType,
    /// RFC 3416 §3 error-status (0 for traps and GetBulk, where the field means otherwise).
    pub error_status: i64,
    pub vars: Vec<Varbind<'a>>,
    /// Varbinds past [`MAX_VARBINDS`] were not read.
    pub vars_dropped: bool,
    pub trap: Option<TrapV1>,
}

/// RFC 3412 §6.4 msgFlags and RFC 3414 §2.4 security parameters, as far as they are kept.
#[derive(Debug)]
pub(crate) struct V3<'a> {
    /// msgFlags: bit 0 authFlag, bit 1 privFlag, bit 2 reportableFlag.
    pub flags: u8,
    /// msgAuthoritativeEngineID (empty during discovery, RFC 3414 §4).
    pub engine_id: &'a [u8],
    /// msgUserName was not empty (the name itself is not kept).
    pub user_present: bool,
}

impl V3<'_> {
    /// RFC 3411 §5 securityLevel from msgFlags.
    pub(crate) fn security_level(&self) -> &'static str {
        match self.flags & 0x03 {
            0 => "noAuthNoPriv",
            1 => "authNoPriv",
            3 => "authPriv",
            _ => "invalid",
        }
    }

    /// RFC 3412 §6.4 reportableFlag: set for Confirmed-Class PDUs (a request).
    pub(crate) fn reportable(&self) -> bool {
        self.flags & 0x04 != 0
    }
}

/// A parsed message.
#[derive(Debug)]
pub(crate) struct Message<'a> {
    /// The wire version: 0 = v1, 1 = v2c, 3 = v3.
    pub version: i64,
    /// v1/v2c: a non-empty community was sent (its value is never kept).
    pub community_present: bool,
    pub v3: Option<V3<'a>>,
    /// None when the v3 scopedPDU is encrypted (privFlag) or could not be read.
    pub pdu: Option<Pdu<'a>>,
    /// Bytes after the message in the datagram.
    pub trailing: bool,
}

impl Message<'_> {
    /// Suricata EVE's `version` (1, 2, 3).
    pub(crate) fn eve_version(&self) -> i64 {
        match self.version {
            0 => 1,
            1 => 2,
            v => v,
        }
    }
}

/// Parses one datagram.
pub(crate) fn parse(datagram: &[u8]) -> Result<Message<'_>, BerError> {
    let mut top = Ber::new(datagram);
    // RFC 1157 §4 Message ::= SEQUENCE { version, community, data }.
    let mut msg = top.enter(tag::SEQUENCE)?;
    let trailing = !top.is_empty();
    let version = msg.integer()?;
    match version {
        0 | 1 => {
            // community OCTET STRING: presence only.
            let community = msg.expect(tag::OCTET_STRING)?;
            let pdu = parse_pdu(&mut msg)?;
            Ok(Message {
                version,
                community_present: !community.is_empty(),
                v3: None,
                pdu: Some(pdu),
                trailing,
            })
        }
        3 => parse_v3(msg, trailing),
        _ => Err("snmp_unknown_version"),
    }
}

/// RFC 3412 §6: SNMPv3Message ::= SEQUENCE { msgVersion, msgGlobalData, msgSecurityParameters,
/// msgData }.
fn parse_v3(mut msg: Ber<'_>, trailing: bool) -> Result<Message<'_>, BerError> {
    // HeaderData ::= SEQUENCE { msgID, msgMaxSize, msgFlags OCTET STRING (SIZE(1)),
    // msgSecurityModel }.
    let mut global = msg.enter(tag::SEQUENCE)?;
    let _msg_id = global.integer()?;
    let _max_size = global.integer()?;
    let flags = match global.expect(tag::OCTET_STRING)? {
        [f] => *f,
        _ => return Err("snmp_v3_bad_flags"),
    };
    let security_model = global.integer()?;
    let params = msg.expect(tag::OCTET_STRING)?;
    let (engine_id, user_present) = if security_model == 3 && !params.is_empty() {
        // RFC 3414 §2.4 UsmSecurityParameters ::= SEQUENCE { msgAuthoritativeEngineID,
        // msgAuthoritativeEngineBoots, msgAuthoritativeEngineTime, msgUserName,
        // msgAuthenticationParameters, msgPrivacyParameters }, BER inside the OCTET STRING.
        let mut usm = msg.nested(params)?.enter(tag::SEQUENCE)?;
        let engine_id = usm.expect(tag::OCTET_STRING)?;
        let _boots = usm.integer()?;
        let _time = usm.integer()?;
        let user = usm.expect(tag::OCTET_STRING)?;
        (engine_id, !user.is_empty())
    } else {
        (&[][..], false)
    };
    let v3 = V3 {
        flags,
        engine_id,
        user_present,
    };
    // msgData: ScopedPDU in plaintext, or encryptedPDU OCTET STRING when privFlag is set.
    let pdu = if flags & 0x02 != 0 {
        None
    } else {
        // ScopedPDU ::= SEQUENCE { contextEngineID, contextName, data }.
        let mut scoped = msg.enter(tag::SEQUENCE)?;
        let _context_engine = scoped.expect(tag::OCTET_STRING)?;
        let _context_name = scoped.expect(tag::OCTET_STRING)?;
        Some(parse_pdu(&mut scoped)?)
    };
    Ok(Message {
        version: 3,
        community_present: false,
        v3: Some(v3),
        pdu,
        trailing,
    })
}

/// RFC 3416 §3 PDUs and RFC 1157 §4.1.6 Trap-PDU.
fn parse_pdu<'a>(msg: &mut Ber<'a>) -> Result<Pdu<'a>, BerError> {
    let tlv = msg.any()?;
    let kind = PduType(tlv.tag);
    if !(0xa0..=0xa8).contains(&tlv.tag) {
        return Err("snmp_unknown_pdu");
    }
    let mut body = msg.nested(tlv.value)?;
    let mut trap = None;
    let mut error_status = 0;
    if kind == PduType::TRAP_V1 {
        // enterprise OBJECT IDENTIFIER, agent-addr NetworkAddress, generic-trap INTEGER,
        // specific-trap INTEGER, time-stamp TimeTicks.
        let enterprise = oid_text(body.expect(tag::OID)?)?;
        let agent_addr = body.expect(tag::IP_ADDRESS)?.try_into().ok();
        let generic = body.integer()?;
        let _specific = body.integer()?;
        let _time = body.expect(tag::TIME_TICKS)?;
        trap = Some(TrapV1 {
            enterprise,
            agent_addr,
            generic,
        });
    } else {
        // request-id, error-status (non-repeaters in GetBulk), error-index (max-repetitions).
        let _request_id = body.integer()?;
        let status = body.integer()?;
        let _index = body.integer()?;
        if kind != PduType::GET_BULK {
            error_status = status;
        }
    }
    // VarBindList ::= SEQUENCE (SIZE (0..max-bindings)) OF VarBind.
    let mut list = body.enter(tag::SEQUENCE)?;
    let mut vars = Vec::new();
    let mut vars_dropped = false;
    while !list.is_empty() {
        if vars.len() == MAX_VARBINDS {
            vars_dropped = true;
            break;
        }
        let mut vb = list.enter(tag::SEQUENCE)?;
        let oid = oid_text(vb.expect(tag::OID)?)?;
        let value = vb.any()?;
        vars.push(Varbind { oid, value });
    }
    Ok(Pdu {
        kind,
        error_status,
        vars,
        vars_dropped,
        trap,
    })
}

/// RFC 3416 §3 error-status names.
pub(crate) fn error_name(status: i64) -> &'static str {
    match status {
        0 => "noError",
        1 => "tooBig",
        2 => "noSuchName",
        3 => "badValue",
        4 => "readOnly",
        5 => "genErr",
        6 => "noAccess",
        7 => "wrongType",
        8 => "wrongLength",
        9 => "wrongEncoding",
        10 => "wrongValue",
        11 => "noCreation",
        12 => "inconsistentValue",
        13 => "resourceUnavailable",
        14 => "commitFailed",
        15 => "undoFailed",
        16 => "authorizationError",
        17 => "notWritable",
        18 => "inconsistentName",
        _ => "unknown",
    }
}

/// RFC 1157 §4.1.6 generic-trap names.
pub(crate) fn generic_trap_name(generic: i64) -> &'static str {
    match generic {
        0 => "coldStart",
        1 => "warmStart",
        2 => "linkDown",
        3 => "linkUp",
        4 => "authenticationFailure",
        5 => "egpNeighborLoss",
        6 => "enterpriseSpecific",
        _ => "unknown",
    }
}

/// RFC 3411 §5 SnmpEngineID: the first four octets are the agent vendor's enterprise number
/// (IANA), with the high bit set in the current format; the older 12-octet format has it
/// clear.
pub(crate) fn engine_enterprise(engine_id: &[u8]) -> Option<u32> {
    let first: [u8; 4] = engine_id.get(..4)?.try_into().ok()?;
    let n = u32::from_be_bytes(first);
    if n & 0x8000_0000 != 0 && engine_id.len() >= 5 {
        Some(n & 0x7fff_ffff)
    } else if engine_id.len() == 12 {
        Some(n)
    } else {
        None
    }
}

/// The enterprise number N of an OID under 1.3.6.1.4.1.N (RFC 2578 §2 `enterprises`).
pub(crate) fn oid_enterprise(oid: &str) -> Option<&str> {
    let rest = oid.strip_prefix("1.3.6.1.4.1.")?;
    let n = rest.split('.').next()?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// A conservative product/version split of sysDescr: "Product 1.2.3 ..." or "Product ...
/// Version 1.2 ..."; otherwise the first word alone.
pub(crate) fn split_descr(descr: &[u8]) -> (&[u8], Option<&[u8]>) {
    fn trim(w: &[u8]) -> &[u8] {
        let end = w
            .iter()
            .rposition(|b| !matches!(b, b',' | b';' | b':'))
            .map_or(0, |i| i + 1);
        w.get(..end).unwrap_or_default()
    }
    let mut words = descr
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .map(trim)
        .take(24);
    let Some(product) = words.next() else {
        return (&[], None);
    };
    let is_version = |w: &[u8]| {
        w.first().is_some_and(u8::is_ascii_digit)
            && w.contains(&b'.')
            && w.len() <= 64
            && w.iter()
                .all(|b| b.is_ascii_alphanumeric() || b"._-()+".contains(b))
    };
    let rest: Vec<&[u8]> = words.collect();
    if let Some(second) = rest.first().copied().filter(|w| is_version(w)) {
        return (product, Some(second));
    }
    let version = rest.windows(2).find_map(|w| match w {
        [word, v] if word.eq_ignore_ascii_case(b"version") && is_version(v) => Some(*v),
        _ => None,
    });
    (product, version)
}
