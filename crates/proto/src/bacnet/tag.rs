//! BACnet tagged encoding (ASHRAE 135 clause 20.2): application and context tags, their
//! lengths, and the primitive values the parser reads. Constructed values (between an opening
//! and a closing context tag) are walked iteratively with a nesting limit, never recursively.

use wire::cursor::{ReadError, Reader};

/// Deepest nesting of opening tags walked inside one value.
pub(crate) const MAX_DEPTH: u32 = 4;

/// Application tag numbers (clause 20.2.1.4).
pub(crate) mod app {
    pub const BOOLEAN: u8 = 1;
    pub const UNSIGNED: u8 = 2;
    pub const CHARACTER_STRING: u8 = 7;
    pub const ENUMERATED: u8 = 9;
    pub const OBJECT_IDENTIFIER: u8 = 12;
}

/// What a tag's length/value/type field says (clause 20.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lvt {
    /// A primitive value of this many content octets.
    Length(usize),
    /// An application Boolean: the value is in the tag itself (clause 20.2.3).
    Boolean(bool),
    /// Context opening tag (LVT 6).
    Opening,
    /// Context closing tag (LVT 7).
    Closing,
}

/// One tag header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tag {
    /// Tag number (extended when the initial octet's tag field is 15).
    pub number: u8,
    /// Context-specific (class bit set) rather than application.
    pub context: bool,
    /// Length, value or type.
    pub lvt: Lvt,
}

impl Tag {
    /// True for the application tag `n`.
    pub fn is_app(&self, n: u8) -> bool {
        !self.context && self.number == n
    }

    /// True for a primitive context tag `n`.
    pub fn is_context(&self, n: u8) -> bool {
        self.context && self.number == n && matches!(self.lvt, Lvt::Length(_))
    }

    /// True for the opening tag of context `n`.
    pub fn is_opening(&self, n: u8) -> bool {
        self.context && self.number == n && self.lvt == Lvt::Opening
    }
}

/// Every read inside a datagram that runs past its end: the datagram's lengths lie.
pub(crate) fn inside(e: ReadError) -> &'static str {
    match e {
        ReadError::Incomplete { .. } => "bacnet_tag_past_end",
        ReadError::Malformed(reason) => reason,
    }
}

/// Reads one tag header (clause 20.2.1).
pub(crate) fn read_tag(r: &mut Reader<'_>) -> Result<Tag, &'static str> {
    let initial = r.u8().map_err(inside)?;
    let mut number = initial >> 4;
    let context = initial & 0x08 != 0;
    let lvt = initial & 0x07;
    if number == 0x0f {
        // Clause 20.2.1.2: extended tag number in the next octet.
        number = r.u8().map_err(inside)?;
    }
    let lvt = match (context, lvt) {
        (true, 6) => Lvt::Opening,
        (true, 7) => Lvt::Closing,
        (false, v) if number == app::BOOLEAN => Lvt::Boolean(v != 0),
        (_, 5) => {
            // Clause 20.2.1.3.1: extended length: 0..=253 in one octet, 254 then two
            // octets, 255 then four.
            let len = match r.u8().map_err(inside)? {
                254 => u32::from(r.u16().map_err(inside)?),
                255 => r.u32().map_err(inside)?,
                n => u32::from(n),
            };
            Lvt::Length(usize::try_from(len).map_err(|_| "bacnet_tag_length")?)
        }
        (_, v) => Lvt::Length(usize::from(v)),
    };
    Ok(Tag {
        number,
        context,
        lvt,
    })
}

/// Reads one tag and its content: `(tag, content)`; content is empty for Booleans and
/// opening/closing tags.
pub(crate) fn read<'a>(r: &mut Reader<'a>) -> Result<(Tag, &'a [u8]), &'static str> {
    let tag = read_tag(r)?;
    let content = match tag.lvt {
        Lvt::Length(n) => r.take(n).map_err(|_| "bacnet_tag_length_past_end")?,
        Lvt::Boolean(_) | Lvt::Opening | Lvt::Closing => &[][..],
    };
    Ok((tag, content))
}

/// An unsigned integer of 1..=8 content octets, big-endian (clause 20.2.4).
pub(crate) fn unsigned(content: &[u8]) -> Result<u64, &'static str> {
    if content.is_empty() || content.len() > 8 {
        return Err("bacnet_unsigned_length");
    }
    Ok(content.iter().fold(0u64, |v, &b| (v << 8) | u64::from(b)))
}

/// A BACnetObjectIdentifier (clause 20.2.14): (object type, instance number).
pub(crate) fn object_id(content: &[u8]) -> Result<(u16, u32), &'static str> {
    let b: [u8; 4] = content.try_into().map_err(|_| "bacnet_object_id_length")?;
    let v = u32::from_be_bytes(b);
    // Object type: the high 10 bits; instance: the low 22.
    Ok(((v >> 22) as u16, v & 0x003f_ffff))
}

/// Character set of a CharacterString (clause 20.2.9): 0 = ISO 10646 UTF-8 (ANSI X3.4 in
/// older editions).
pub(crate) const CHARSET_UTF8: u8 = 0;

/// A CharacterString's content: (character set, string octets).
pub(crate) fn character_string(content: &[u8]) -> Result<(u8, &[u8]), &'static str> {
    content
        .split_first()
        .map(|(&set, s)| (set, s))
        .ok_or("bacnet_character_string_empty")
}

/// Reads the rest of a constructed value whose opening tag was just read, up to and
/// including its closing tag; returns the content between them. Nested opening/closing
/// pairs are counted, at most [`MAX_DEPTH`] deep.
pub(crate) fn constructed<'a>(r: &mut Reader<'a>, number: u8) -> Result<&'a [u8], &'static str> {
    let start = *r;
    let mut depth = 1u32;
    loop {
        let before = r.position();
        let (tag, _) = read(r)?;
        match tag.lvt {
            Lvt::Opening => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err("bacnet_nesting_too_deep");
                }
            }
            Lvt::Closing => {
                depth -= 1;
                if depth == 0 {
                    if tag.number != number {
                        return Err("bacnet_closing_tag_mismatch");
                    }
                    let len = before - start.position();
                    let mut s = start;
                    return s.take(len).map_err(inside);
                }
            }
            Lvt::Length(_) | Lvt::Boolean(_) => {}
        }
    }
}
