//! UPnP device descriptions (UPnP Device Architecture 2.0 §2.3): the XML a device serves at
//! the LOCATION its SSDP messages advertise, naming its maker, model and serial number.

/// Largest description kept and parsed (real ones are 1–20 KiB; embedded-device lists stay
/// far below this).
pub(crate) const MAX_XML: usize = 256 * 1024;

/// Node limit for the XML parser: a description with a dozen embedded devices and services
/// has under 2,000 nodes; more is hostile (roxmltree allocates per node).
pub(crate) const NODES_LIMIT: u32 = 20_000;

/// Bytes of the body looked at to decide whether it is a description.
pub(crate) const SNIFF: usize = 512;

/// UDA 2.0 §2.3: the description's root element namespace.
const DEVICE_NS: &str = "urn:schemas-upnp-org:device-1-0";

/// True when the first bytes of an XML body open `<root xmlns="urn:schemas-upnp-org:...">`.
pub(crate) fn looks_like_description(prefix: &[u8]) -> bool {
    let p = prefix.get(..prefix.len().min(SNIFF)).unwrap_or_default();
    wire::text::find(p, b"<root").is_some() && wire::text::find(p, DEVICE_NS.as_bytes()).is_some()
}

/// The root device's identity (UDA 2.0 §2.3 `<device>` children). Borrowed from the body.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Description<'a> {
    pub(crate) device_type: Option<&'a str>,
    pub(crate) friendly_name: Option<&'a str>,
    pub(crate) manufacturer: Option<&'a str>,
    pub(crate) model_description: Option<&'a str>,
    pub(crate) model_name: Option<&'a str>,
    pub(crate) model_number: Option<&'a str>,
    pub(crate) serial_number: Option<&'a str>,
    pub(crate) udn: Option<&'a str>,
    pub(crate) presentation_url: Option<&'a str>,
}

/// Why a description was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum XmlError {
    /// Not UTF-8 (UDA 2.0 §2.3 requires it).
    Encoding,
    /// Over [`NODES_LIMIT`].
    NodeLimit,
    /// Not well-formed, or no `<root><device>`.
    Malformed,
}

/// Parses a description and calls `read` with the root device's fields.
pub(crate) fn parse<R>(
    body: &[u8],
    read: impl FnOnce(&Description<'_>) -> R,
) -> Result<R, XmlError> {
    let text = std::str::from_utf8(body).map_err(|_| XmlError::Encoding)?;
    let options = roxmltree::ParsingOptions {
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..roxmltree::ParsingOptions::default()
    };
    let doc = roxmltree::Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => XmlError::NodeLimit,
        _ => XmlError::Malformed,
    })?;
    let root = doc.root_element();
    if root.tag_name().name() != "root" {
        return Err(XmlError::Malformed);
    }
    let device = root
        .children()
        .find(|n| n.is_element() && n.tag_name().name() == "device")
        .ok_or(XmlError::Malformed)?;
    let mut d = Description::default();
    for child in device.children().filter(|n| n.is_element()) {
        let value = child.text().map(str::trim).filter(|t| !t.is_empty());
        let slot = match child.tag_name().name() {
            "deviceType" => &mut d.device_type,
            "friendlyName" => &mut d.friendly_name,
            "manufacturer" => &mut d.manufacturer,
            "modelDescription" => &mut d.model_description,
            "modelName" => &mut d.model_name,
            "modelNumber" => &mut d.model_number,
            "serialNumber" => &mut d.serial_number,
            "UDN" => &mut d.udn,
            "presentationURL" => &mut d.presentation_url,
            _ => continue,
        };
        if slot.is_none() {
            *slot = value;
        }
    }
    Ok(read(&d))
}
