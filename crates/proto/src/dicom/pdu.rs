//! DICOM upper-layer PDUs (PS3.8 §9.3): framing, the association PDUs with their items, and
//! the presentation data values of P-DATA-TF. Pure functions over one whole PDU; borrowed
//! results; every read bounds-checked through [`Reader`].

use wire::cursor::Reader;

use crate::buffer::{Framed, MAX_MESSAGE};

/// A PDU type (PS3.8 §9.3.1, Table 9-11): every wire value is representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PduType(pub u8);

impl PduType {
    /// PS3.8 §9.3.2 A-ASSOCIATE-RQ.
    pub(crate) const ASSOCIATE_RQ: Self = Self(0x01);
    /// PS3.8 §9.3.3 A-ASSOCIATE-AC.
    pub(crate) const ASSOCIATE_AC: Self = Self(0x02);
    /// PS3.8 §9.3.4 A-ASSOCIATE-RJ.
    pub(crate) const ASSOCIATE_RJ: Self = Self(0x03);
    /// PS3.8 §9.3.5 P-DATA-TF.
    pub(crate) const P_DATA_TF: Self = Self(0x04);
    /// PS3.8 §9.3.6 A-RELEASE-RQ.
    pub(crate) const RELEASE_RQ: Self = Self(0x05);
    /// PS3.8 §9.3.7 A-RELEASE-RP.
    pub(crate) const RELEASE_RP: Self = Self(0x06);
    /// PS3.8 §9.3.8 A-ABORT.
    pub(crate) const ABORT: Self = Self(0x07);
}

/// PS3.8 §9.3.1: PDU-type (1), reserved (1), PDU-length (4, big endian).
pub(crate) const HEADER_LEN: usize = 6;

/// PS3.8 §9.3.2: protocol-version (2) + reserved (2) + called AE (16) + calling AE (16) +
/// reserved (32) precede the variable items of an A-ASSOCIATE-RQ/AC.
pub(crate) const ASSOCIATE_FIXED_LEN: usize = 68;

/// PS3.8 §9.3.4, §9.3.6–§9.3.8: A-ASSOCIATE-RJ, A-RELEASE-RQ/RP and A-ABORT bodies are 4 bytes.
pub(crate) const SHORT_BODY_LEN: u32 = 4;

/// Largest P-DATA-TF framed: the per-side depth the parser asks for (16 MiB). A P-DATA-TF
/// between [`MAX_MESSAGE`] and this is skipped (the framer's oversize path); a larger length
/// cannot be followed and the side gives up.
pub(crate) const MAX_P_DATA_LEN: usize = 16 << 20;

/// Transfer syntaxes kept per proposed presentation context: real requestors propose at most
/// about ten (dcmtk's storescu proposes 3 by default); the rest are counted.
pub(crate) const MAX_TRANSFER_SYNTAXES: usize = 16;

/// PS3.8 §9.3.2.1 item types.
mod item {
    /// Application Context Item.
    pub(super) const APPLICATION_CONTEXT: u8 = 0x10;
    /// Presentation Context Item (RQ).
    pub(super) const PRESENTATION_CONTEXT_RQ: u8 = 0x20;
    /// Presentation Context Item (AC), PS3.8 §9.3.3.2.
    pub(super) const PRESENTATION_CONTEXT_AC: u8 = 0x21;
    /// Abstract Syntax Sub-Item, PS3.8 §9.3.2.2.1.
    pub(super) const ABSTRACT_SYNTAX: u8 = 0x30;
    /// Transfer Syntax Sub-Item, PS3.8 §9.3.2.2.2.
    pub(super) const TRANSFER_SYNTAX: u8 = 0x40;
    /// User Information Item, PS3.8 §9.3.2.3.
    pub(super) const USER_INFORMATION: u8 = 0x50;
    /// Maximum Length Sub-Item, PS3.8 §D.1.
    pub(super) const MAXIMUM_LENGTH: u8 = 0x51;
    /// Implementation Class UID Sub-Item, PS3.7 §D.3.3.2.
    pub(super) const IMPLEMENTATION_CLASS_UID: u8 = 0x52;
    /// Implementation Version Name Sub-Item, PS3.7 §D.3.3.2.
    pub(super) const IMPLEMENTATION_VERSION_NAME: u8 = 0x55;
}

/// The type and body length in a PDU header, or `None` before 6 bytes.
pub(crate) fn header(b: &[u8]) -> Option<(PduType, u32)> {
    let mut r = Reader::new(b);
    let t = r.u8().ok()?;
    r.skip(1).ok()?; // PS3.8 §9.3.1: reserved, not tested
    let len = r.u32().ok()?;
    Some((PduType(t), len))
}

/// Finds the PDU at the front of `b` (for [`crate::buffer::StreamBuf`]).
pub(crate) fn frame(b: &[u8]) -> Framed {
    let Some((t, len)) = header(b) else {
        return Framed::Incomplete(HEADER_LEN);
    };
    let Some(total) = (len as usize).checked_add(HEADER_LEN) else {
        return Framed::Invalid;
    };
    let plausible = match t {
        PduType::ASSOCIATE_RQ | PduType::ASSOCIATE_AC => {
            len as usize >= ASSOCIATE_FIXED_LEN && total <= MAX_MESSAGE
        }
        PduType::ASSOCIATE_RJ | PduType::RELEASE_RQ | PduType::RELEASE_RP | PduType::ABORT => {
            len == SHORT_BODY_LEN
        }
        PduType::P_DATA_TF => total <= MAX_P_DATA_LEN,
        // PS3.8 §9.3.1: an unknown PDU type means the stream is not (or no longer) framed.
        _ => false,
    };
    if !plausible {
        Framed::Invalid
    } else if b.len() >= total {
        Framed::Message(total)
    } else {
        Framed::Incomplete(total)
    }
}

/// One presentation context item of an A-ASSOCIATE-RQ (0x20) or -AC (0x21).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PresentationContext<'a> {
    /// Presentation-context-ID (odd, 1–255).
    pub id: u8,
    /// AC only: Result/Reason (PS3.8 §9.3.3.2): 0 acceptance … 4 transfer syntaxes not
    /// supported.
    pub result: Option<u8>,
    /// RQ only: the abstract syntax (SOP class) UID.
    pub abstract_syntax: Option<&'a [u8]>,
    /// RQ: proposed transfer syntaxes (at most [`MAX_TRANSFER_SYNTAXES`]); AC: the accepted
    /// one.
    pub transfer_syntaxes: Vec<&'a [u8]>,
    /// Transfer syntaxes past the limit.
    pub transfer_syntaxes_dropped: usize,
}

/// What the User Information item says about the sender's implementation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserInfo<'a> {
    /// PS3.8 §D.1: maximum-length-received (0: no limit).
    pub max_pdu_length: Option<u32>,
    /// PS3.7 §D.3.3.2: Implementation Class UID.
    pub implementation_class_uid: Option<&'a [u8]>,
    /// PS3.7 §D.3.3.2: Implementation Version Name (up to 16 characters).
    pub implementation_version: Option<&'a [u8]>,
}

/// An A-ASSOCIATE-RQ or -AC (PS3.8 §9.3.2, §9.3.3), validated; presentation contexts are
/// read on demand by [`Associate::contexts`] (an AC may answer 128 of them, and the caller
/// keeps a bounded summary of all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Associate<'a> {
    /// Protocol-version bit field (bit 0: version 1).
    pub protocol_version: u16,
    /// Called-AE-title, 16 bytes space padded (an AC echoes it, not tested).
    pub called_ae: &'a [u8],
    /// Calling-AE-title, 16 bytes space padded.
    pub calling_ae: &'a [u8],
    /// Application Context Item's name (a UID).
    pub application_context: Option<&'a [u8]>,
    /// User Information item.
    pub user: UserInfo<'a>,
    /// The variable items (already checked to parse).
    items: &'a [u8],
    /// An RQ (items 0x20) or an AC (items 0x21).
    rq: bool,
}

impl<'a> Associate<'a> {
    /// The presentation context items, in order.
    pub(crate) fn contexts(&self) -> impl Iterator<Item = PresentationContext<'a>> + use<'a> {
        let mut r = Reader::new(self.items);
        let rq = self.rq;
        std::iter::from_fn(move || {
            while !r.is_empty() {
                let (t, mut body) = item(&mut r).ok()?;
                if matches!(
                    t,
                    item::PRESENTATION_CONTEXT_RQ | item::PRESENTATION_CONTEXT_AC
                ) {
                    return presentation_context(&mut body, rq).ok();
                }
            }
            None
        })
    }
}

/// An A-ASSOCIATE-RJ (PS3.8 §9.3.4) or A-ABORT (PS3.8 §9.3.8) body: the last three bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// RJ: Result (1 permanent, 2 transient); A-ABORT: reserved.
    pub result: u8,
    /// Source (RJ: 1 user, 2 provider ACSE, 3 provider presentation; A-ABORT: 0 user,
    /// 2 provider).
    pub source: u8,
    /// Reason/Diag.
    pub reason: u8,
}

/// One Presentation Data Value item of a P-DATA-TF (PS3.8 §9.3.5.1, Annex E.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pdv<'a> {
    /// Presentation-context-ID.
    pub context_id: u8,
    /// Message control header bit 0: command (1) or data set (0) fragment.
    pub is_command: bool,
    /// Message control header bit 1: last fragment of the command or data set.
    pub is_last: bool,
    /// The fragment.
    pub data: &'a [u8],
}

/// Reads one item header (PS3.8 §9.3.2.1: item-type, reserved, item-length u16 BE) and its
/// body, or a malformed reason.
fn item<'a>(r: &mut Reader<'a>) -> Result<(u8, Reader<'a>), &'static str> {
    let t = r.u8().map_err(|_| "dicom_item_truncated")?;
    r.skip(1).map_err(|_| "dicom_item_truncated")?;
    let body = r.u16_prefixed().map_err(|_| "dicom_item_truncated")?;
    Ok((t, Reader::new(body)))
}

/// Parses the body (after the 6-byte header) of an A-ASSOCIATE-RQ (`rq`) or -AC.
pub(crate) fn parse_associate(body: &[u8], rq: bool) -> Result<Associate<'_>, &'static str> {
    let mut r = Reader::new(body);
    let fixed = |_| "dicom_associate_truncated";
    let protocol_version = r.u16().map_err(fixed)?;
    r.skip(2).map_err(fixed)?; // reserved
    let called_ae = r.take(16).map_err(fixed)?; // PS3.8 §9.3.2 Called-AE-title
    let calling_ae = r.take(16).map_err(fixed)?; // PS3.8 §9.3.2 Calling-AE-title
    r.skip(32).map_err(fixed)?; // reserved
    let mut a = Associate {
        protocol_version,
        called_ae,
        calling_ae,
        application_context: None,
        user: UserInfo::default(),
        items: r.rest(),
        rq,
    };
    while !r.is_empty() {
        let (t, mut body) = item(&mut r)?;
        match t {
            item::APPLICATION_CONTEXT => a.application_context = Some(body.take_rest()),
            item::PRESENTATION_CONTEXT_RQ | item::PRESENTATION_CONTEXT_AC => {
                if (t == item::PRESENTATION_CONTEXT_RQ) != rq {
                    return Err("dicom_presentation_context_wrong_type");
                }
                // Checked here so that `contexts()` reads them infallibly.
                presentation_context(&mut body, rq)?;
            }
            item::USER_INFORMATION => a.user = user_information(&mut body)?,
            // PS3.8 §9.3.2: unknown items are ignored.
            _ => {}
        }
    }
    Ok(a)
}

/// PS3.8 §9.3.2.2 (RQ) / §9.3.3.2 (AC): ID, reserved, result/reason (AC), reserved, sub-items.
fn presentation_context<'a>(
    r: &mut Reader<'a>,
    rq: bool,
) -> Result<PresentationContext<'a>, &'static str> {
    let [id, _, result, _] = r.array::<4>().map_err(|_| "dicom_item_truncated")?;
    let mut pc = PresentationContext {
        id,
        result: (!rq).then_some(result),
        abstract_syntax: None,
        transfer_syntaxes: Vec::new(),
        transfer_syntaxes_dropped: 0,
    };
    while !r.is_empty() {
        let (t, mut sub) = item(r)?;
        match t {
            item::ABSTRACT_SYNTAX => pc.abstract_syntax = Some(sub.take_rest()),
            item::TRANSFER_SYNTAX => {
                if pc.transfer_syntaxes.len() < MAX_TRANSFER_SYNTAXES {
                    pc.transfer_syntaxes.push(sub.take_rest());
                } else {
                    pc.transfer_syntaxes_dropped += 1;
                }
            }
            _ => {}
        }
    }
    Ok(pc)
}

/// PS3.8 §9.3.2.3: the user information sub-items this parser reads.
fn user_information<'a>(r: &mut Reader<'a>) -> Result<UserInfo<'a>, &'static str> {
    let mut u = UserInfo::default();
    while !r.is_empty() {
        let (t, mut sub) = item(r)?;
        match t {
            item::MAXIMUM_LENGTH => {
                u.max_pdu_length = Some(sub.u32().map_err(|_| "dicom_item_truncated")?);
            }
            item::IMPLEMENTATION_CLASS_UID => u.implementation_class_uid = Some(sub.take_rest()),
            item::IMPLEMENTATION_VERSION_NAME => u.implementation_version = Some(sub.take_rest()),
            // 0x53 asynchronous operations, 0x54 role selection, 0x56 extended negotiation,
            // 0x58 user identity (its secondary field is a password: never read).
            _ => {}
        }
    }
    Ok(u)
}

/// Parses the 4-byte body of an A-ASSOCIATE-RJ or A-ABORT: reserved, result, source, reason.
pub(crate) fn parse_refusal(body: &[u8]) -> Result<Refusal, &'static str> {
    let mut r = Reader::new(body);
    let [_, result, source, reason] = r.array::<4>().map_err(|_| "dicom_pdu_truncated")?;
    Ok(Refusal {
        result,
        source,
        reason,
    })
}

/// The PDVs of a P-DATA-TF body, in order; a malformed item ends the iteration with an error.
pub(crate) fn pdvs(body: &[u8]) -> Pdvs<'_> {
    Pdvs {
        r: Reader::new(body),
        failed: false,
    }
}

/// Iterator over the PDV items of one P-DATA-TF.
#[derive(Debug)]
pub(crate) struct Pdvs<'a> {
    r: Reader<'a>,
    failed: bool,
}

impl<'a> Iterator for Pdvs<'a> {
    type Item = Result<Pdv<'a>, &'static str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.r.is_empty() {
            return None;
        }
        // PS3.8 §9.3.5.1: Item-length (4) covers the context ID (1), the message control
        // header (1, Annex E.2) and the fragment.
        let item = self.r.u32().and_then(|len| self.r.take(len as usize));
        let parsed = match item {
            Ok(v) => match v {
                [context_id, control, data @ ..] => Ok(Pdv {
                    context_id: *context_id,
                    is_command: control & 0x01 != 0,
                    is_last: control & 0x02 != 0,
                    data,
                }),
                _ => Err("dicom_pdv_too_short"),
            },
            Err(_) => Err("dicom_pdv_truncated"),
        };
        self.failed = parsed.is_err();
        Some(parsed)
    }
}
