//! WS-Discovery messages (OASIS WS-Discovery 1.1 §4–§6, and the 2005/04 draft Windows and
//! DPWS 1.0 devices still send) in a SOAP envelope (SOAP-over-UDP 1.1): what a Hello, Bye,
//! ProbeMatch or ResolveMatch says about its sender, and what a Probe or Resolve looks for.
//! Elements are matched by local name, the discovery ones also by namespace.

use roxmltree::{Document, Node, ParsingOptions};
use wire::text::wire_text;

/// Largest datagram parsed (SOAP-over-UDP messages fit one UDP datagram).
pub(crate) const MAX_DATAGRAM: usize = 64 * 1024;

/// XML nodes parsed per datagram at most.
pub(crate) const NODES_LIMIT: u32 = 10_000;

/// Scopes and transport addresses kept per match.
pub(crate) const MAX_URIS: usize = 16;

/// Types (QNames) kept per match.
pub(crate) const MAX_TYPES: usize = 64;

/// Matches kept per ProbeMatches / ResolveMatches.
pub(crate) const MAX_MATCHES: usize = 16;

/// WS-Discovery 1.1 namespace (§2.2).
pub(crate) const NS_WSD_11: &str = "http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01";
/// WS-Discovery April 2005 namespace (Windows, DPWS 1.0).
pub(crate) const NS_WSD_2005: &str = "http://schemas.xmlsoap.org/ws/2005/04/discovery";

fn is_discovery(n: &Node<'_, '_>, local: &str) -> bool {
    n.is_element()
        && n.tag_name().name() == local
        && matches!(n.tag_name().namespace(), Some(NS_WSD_11 | NS_WSD_2005))
}

fn is_local(n: &Node<'_, '_>, local: &str) -> bool {
    n.is_element() && n.tag_name().name() == local
}

fn child<'a, 'i>(n: Node<'a, 'i>, pred: impl Fn(&Node<'a, 'i>) -> bool) -> Option<Node<'a, 'i>> {
    n.children().find(|c| pred(c))
}

/// The message kinds (WS-Discovery 1.1 §4.1 Hello, §4.2 Bye, §5.2 Probe, §5.3 ProbeMatches,
/// §6.1 Resolve, §6.2 ResolveMatches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Hello,
    Bye,
    Probe,
    ProbeMatches,
    Resolve,
    ResolveMatches,
    /// Another body (a fault, another SOAP-over-UDP service).
    Other,
}

impl Kind {
    fn from_body(local: &str) -> Self {
        match local {
            "Hello" => Self::Hello,
            "Bye" => Self::Bye,
            "Probe" => Self::Probe,
            "ProbeMatches" => Self::ProbeMatches,
            "Resolve" => Self::Resolve,
            "ResolveMatches" => Self::ResolveMatches,
            _ => Self::Other,
        }
    }

    /// True when the message describes its sender (Hello, Bye and the matches); a Probe's or
    /// Resolve's types, scopes and endpoint are what it looks for.
    pub fn describes_sender(self) -> bool {
        matches!(
            self,
            Self::Hello | Self::Bye | Self::ProbeMatches | Self::ResolveMatches
        )
    }

    /// The name of the kind.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hello => "Hello",
            Self::Bye => "Bye",
            Self::Probe => "Probe",
            Self::ProbeMatches => "ProbeMatches",
            Self::Resolve => "Resolve",
            Self::ResolveMatches => "ResolveMatches",
            Self::Other => "other",
        }
    }
}

/// What one Hello, Bye, Probe, Resolve, ProbeMatch or ResolveMatch carries. Strings are wire
/// text (cut at 256 bytes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Entry {
    /// wsa:EndpointReference/wsa:Address (usually `urn:uuid:...`).
    pub endpoint: Option<String>,
    /// d:Types, the QNames as written, space separated.
    pub types: Option<String>,
    /// d:Scopes, one URI each, at most [`MAX_URIS`].
    pub scopes: Vec<String>,
    /// d:XAddrs, one transport address each, at most [`MAX_URIS`].
    pub xaddrs: Vec<String>,
    /// A type or scope marks an IEEE 11073 SDC medical device.
    pub sdc: bool,
}

/// One parsed message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Message {
    /// wsa:Action's last path segment (`Hello`, `ProbeMatches`...), else the body's kind.
    pub action: String,
    /// The body element's kind.
    pub kind: Kind,
    /// Hello/Bye/Probe/Resolve: one entry; the matches: one per match.
    pub entries: Vec<Entry>,
    /// Items past the limits (scopes, xaddrs, types, matches).
    pub dropped: usize,
}

/// Why a datagram gave no message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Error {
    /// Not UTF-8 (roxmltree reads UTF-8 text; SOAP-over-UDP senders use UTF-8).
    NotUtf8,
    /// roxmltree refused it; DTDs are refused by default (no entity expansion at all).
    Dtd,
    /// More than [`NODES_LIMIT`] nodes.
    NodesLimit,
    /// Not well-formed XML.
    Xml,
    /// Well-formed, but not a SOAP Envelope with a Body.
    NotEnvelope,
}

impl Error {
    /// Stable counter name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotUtf8 => "wsdiscovery_not_utf8",
            Self::Dtd => "wsdiscovery_dtd",
            Self::NodesLimit => "wsdiscovery_nodes_limit",
            Self::Xml => "wsdiscovery_invalid_xml",
            Self::NotEnvelope => "wsdiscovery_not_an_envelope",
        }
    }
}

/// Strips a UTF-8 byte order mark.
pub(crate) fn strip_bom(b: &[u8]) -> &[u8] {
    b.strip_prefix(b"\xef\xbb\xbf").unwrap_or(b)
}

/// Parses a datagram (at most [`MAX_DATAGRAM`] bytes; the caller checks).
pub(crate) fn parse(datagram: &[u8]) -> Result<Message, Error> {
    let text = std::str::from_utf8(strip_bom(datagram)).map_err(|_| Error::NotUtf8)?;
    parse_str(text)
}

/// Parses XML text.
pub(crate) fn parse_str(text: &str) -> Result<Message, Error> {
    let options = ParsingOptions {
        nodes_limit: NODES_LIMIT,
        ..Default::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::DtdDetected => Error::Dtd,
        roxmltree::Error::NodesLimitReached => Error::NodesLimit,
        _ => Error::Xml,
    })?;
    let envelope = doc.root_element();
    if !is_local(&envelope, "Envelope") {
        return Err(Error::NotEnvelope);
    }
    let header = child(envelope, |n| is_local(n, "Header"));
    let body = child(envelope, |n| is_local(n, "Body")).ok_or(Error::NotEnvelope)?;
    // WS-Addressing Action (WS-Discovery 1.1 §4–§6: .../Hello, .../ProbeMatches...).
    let action_uri = header
        .and_then(|h| child(h, |n| is_local(n, "Action")))
        .and_then(|a| a.text())
        .map(str::trim);
    let message = body.children().find(Node::is_element);
    let kind = match message {
        Some(m) if matches!(m.tag_name().namespace(), Some(NS_WSD_11 | NS_WSD_2005)) => {
            Kind::from_body(m.tag_name().name())
        }
        _ => Kind::Other,
    };
    let action = match action_uri.and_then(|a| a.rsplit('/').next()) {
        Some(last) if !last.is_empty() => wire_text(last.as_bytes()),
        _ => kind.as_str().to_string(),
    };
    let mut out = Message {
        action,
        kind,
        entries: Vec::new(),
        dropped: 0,
    };
    let Some(message) = message else {
        return Ok(out);
    };
    match kind {
        Kind::Hello | Kind::Bye | Kind::Probe | Kind::Resolve => {
            let e = entry(message, &mut out.dropped);
            out.entries.push(e);
        }
        Kind::ProbeMatches | Kind::ResolveMatches => {
            let each = if kind == Kind::ProbeMatches {
                "ProbeMatch"
            } else {
                "ResolveMatch"
            };
            for m in message.children().filter(|n| is_discovery(n, each)) {
                if out.entries.len() < MAX_MATCHES {
                    let e = entry(m, &mut out.dropped);
                    out.entries.push(e);
                } else {
                    out.dropped += 1;
                }
            }
        }
        Kind::Other => {}
    }
    Ok(out)
}

/// Splits a whitespace-separated list (xs:list), keeping at most `max` items as wire text.
fn list(text: &str, max: usize, dropped: &mut usize) -> Vec<String> {
    let mut out = Vec::new();
    for item in text.split_whitespace() {
        if out.len() < max {
            out.push(wire_text(item.as_bytes()));
        } else {
            *dropped += 1;
        }
    }
    out
}

/// IEEE 11073-20702 (MDPWS) namespace: its `MedicalDevice` type marks an SDC participant.
const NS_MDPWS_PART: &str = "11073-20702";

/// IEEE 11073-20701 §9: SDC scopes use URI schemes `sdc.mds.pkp`, `sdc.ctxt.loc`,
/// `sdc.cdc.type`... all starting `sdc.`.
fn is_sdc_scope(scope: &str) -> bool {
    scope
        .get(..4)
        .is_some_and(|p| p.eq_ignore_ascii_case("sdc."))
}

/// True when a QName (`prefix:local`) names MDPWS's MedicalDevice, the prefix resolved in
/// the scope of `node`.
fn is_medical_device(node: &Node<'_, '_>, qname: &str) -> bool {
    let (prefix, local) = match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    };
    if local != "MedicalDevice" {
        return false;
    }
    node.lookup_namespace_uri(prefix)
        .is_some_and(|ns| ns.contains(NS_MDPWS_PART))
}

/// Reads one Hello/Bye/Probe/Resolve/ProbeMatch/ResolveMatch element.
fn entry(n: Node<'_, '_>, dropped: &mut usize) -> Entry {
    let mut e = Entry::default();
    for c in n.children().filter(Node::is_element) {
        let text = c.text().map(str::trim).unwrap_or_default();
        match c.tag_name().name() {
            "EndpointReference" => {
                e.endpoint = child(c, |n| is_local(n, "Address"))
                    .and_then(|a| a.text())
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(|a| wire_text(a.as_bytes()));
            }
            "Types" if is_discovery(&c, "Types") => {
                let mut qnames = text.split_whitespace();
                let mut joined = String::new();
                for q in qnames.by_ref().take(MAX_TYPES) {
                    e.sdc |= is_medical_device(&c, q);
                    if !joined.is_empty() {
                        joined.push(' ');
                    }
                    joined.push_str(q);
                }
                *dropped += qnames.count();
                if !joined.is_empty() {
                    e.types = Some(wire_text(joined.as_bytes()));
                }
            }
            "Scopes" if is_discovery(&c, "Scopes") => {
                e.scopes = list(text, MAX_URIS, dropped);
                e.sdc |= text.split_whitespace().any(is_sdc_scope);
            }
            "XAddrs" if is_discovery(&c, "XAddrs") => {
                e.xaddrs = list(text, MAX_URIS, dropped);
            }
            _ => {}
        }
    }
    e
}

/// Content check: after an optional BOM and whitespace, `<`; within the first 1 KiB, the
/// word `Envelope` and a WS-Discovery namespace. `(xml_envelope, discovery_namespace)`.
pub(crate) fn looks_like(first: &[u8]) -> (bool, bool) {
    let b = strip_bom(first);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    if b.get(start) != Some(&b'<') {
        return (false, false);
    }
    let head = b.get(..b.len().min(1024)).unwrap_or(b);
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    let envelope = has(b"Envelope");
    let ns = envelope && (has(NS_WSD_11.as_bytes()) || has(NS_WSD_2005.as_bytes()));
    (envelope, ns)
}
