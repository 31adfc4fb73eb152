//! DIMSE command sets (PS3.7 §9.3, §10.3, Annex E): group 0000 elements, always implicit VR
//! little endian (PS3.7 §6.3.1), read from a reassembled command fragment sequence.

use wire::cursor::Reader;

/// PS3.7 §E.1 Command Field value that says "no data set follows" in (0000,0800).
pub(crate) const NO_DATA_SET: u16 = 0x0101;

/// PS3.7 Annex E, Table E.1-1: the command group elements this parser reads.
mod tag {
    /// (0000,0002) Affected SOP Class UID.
    pub(super) const AFFECTED_SOP_CLASS_UID: u16 = 0x0002;
    /// (0000,0003) Requested SOP Class UID (N-services).
    pub(super) const REQUESTED_SOP_CLASS_UID: u16 = 0x0003;
    /// (0000,0100) Command Field.
    pub(super) const COMMAND_FIELD: u16 = 0x0100;
    /// (0000,0110) Message ID.
    pub(super) const MESSAGE_ID: u16 = 0x0110;
    /// (0000,0120) Message ID Being Responded To.
    pub(super) const MESSAGE_ID_RESPONDED_TO: u16 = 0x0120;
    /// (0000,0800) Command Data Set Type.
    pub(super) const DATA_SET_TYPE: u16 = 0x0800;
    /// (0000,0900) Status.
    pub(super) const STATUS: u16 = 0x0900;
}

/// A decoded command set; UIDs borrow the command bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct CommandSet<'a> {
    /// (0000,0100) Command Field.
    pub command_field: Option<u16>,
    /// (0000,0002) Affected SOP Class UID, or (0000,0003) Requested SOP Class UID.
    pub sop_class_uid: Option<&'a [u8]>,
    /// (0000,0110) Message ID.
    pub message_id: Option<u16>,
    /// (0000,0120) Message ID Being Responded To.
    pub responded_to: Option<u16>,
    /// (0000,0800) Command Data Set Type: anything but 0x0101 means a data set follows.
    pub data_set_type: Option<u16>,
    /// (0000,0900) Status (responses).
    pub status: Option<u16>,
}

impl CommandSet<'_> {
    /// True when a data set follows the command (PS3.7 §E.1, (0000,0800)).
    pub(crate) fn has_data_set(&self) -> bool {
        self.data_set_type.is_some_and(|t| t != NO_DATA_SET)
    }
}

/// Parses a command set: implicit VR little endian elements of group 0000 (PS3.5 §7.1.3).
pub(crate) fn parse(bytes: &[u8]) -> Result<CommandSet<'_>, &'static str> {
    let mut r = Reader::new(bytes);
    let mut c = CommandSet::default();
    while !r.is_empty() {
        let group = r.u16_le().map_err(|_| "dicom_command_truncated")?;
        let element = r.u16_le().map_err(|_| "dicom_command_truncated")?;
        let len = r.u32_le().map_err(|_| "dicom_command_truncated")?;
        // PS3.7 §6.3.1: command elements are group 0000 with defined lengths.
        if group != 0x0000 {
            return Err("dicom_command_bad_group");
        }
        let value = r
            .take(len as usize)
            .map_err(|_| "dicom_command_truncated")?;
        let us = || -> Option<u16> { Reader::new(value).u16_le().ok() };
        match element {
            tag::AFFECTED_SOP_CLASS_UID => c.sop_class_uid = Some(value),
            tag::REQUESTED_SOP_CLASS_UID => {
                c.sop_class_uid.get_or_insert(value);
            }
            tag::COMMAND_FIELD => c.command_field = us(),
            tag::MESSAGE_ID => c.message_id = us(),
            tag::MESSAGE_ID_RESPONDED_TO => c.responded_to = us(),
            tag::DATA_SET_TYPE => c.data_set_type = us(),
            tag::STATUS => c.status = us(),
            // Instance UIDs, priority, move destination, attribute lists: not read.
            _ => {}
        }
    }
    if c.command_field.is_none() {
        return Err("dicom_command_without_field");
    }
    Ok(c)
}

/// PS3.7 §9.3, §10.3, Table E.1-1 (Command Field values): (code, name, service).
const COMMANDS: &[(u16, &str, &str)] = &[
    (0x0001, "C-STORE-RQ", "C-STORE"),
    (0x8001, "C-STORE-RSP", "C-STORE"),
    (0x0010, "C-GET-RQ", "C-GET"),
    (0x8010, "C-GET-RSP", "C-GET"),
    (0x0020, "C-FIND-RQ", "C-FIND"),
    (0x8020, "C-FIND-RSP", "C-FIND"),
    (0x0021, "C-MOVE-RQ", "C-MOVE"),
    (0x8021, "C-MOVE-RSP", "C-MOVE"),
    (0x0030, "C-ECHO-RQ", "C-ECHO"),
    (0x8030, "C-ECHO-RSP", "C-ECHO"),
    (0x0100, "N-EVENT-REPORT-RQ", "N-EVENT-REPORT"),
    (0x8100, "N-EVENT-REPORT-RSP", "N-EVENT-REPORT"),
    (0x0110, "N-GET-RQ", "N-GET"),
    (0x8110, "N-GET-RSP", "N-GET"),
    (0x0120, "N-SET-RQ", "N-SET"),
    (0x8120, "N-SET-RSP", "N-SET"),
    (0x0130, "N-ACTION-RQ", "N-ACTION"),
    (0x8130, "N-ACTION-RSP", "N-ACTION"),
    (0x0140, "N-CREATE-RQ", "N-CREATE"),
    (0x8140, "N-CREATE-RSP", "N-CREATE"),
    (0x0150, "N-DELETE-RQ", "N-DELETE"),
    (0x8150, "N-DELETE-RSP", "N-DELETE"),
    (0x0FFF, "C-CANCEL-RQ", "C-CANCEL"),
];

/// PS3.7 Table E.1-1: Command Field 0x0001 (C-STORE-RQ).
pub(crate) const C_STORE_RQ: u16 = 0x0001;

/// The command's name (`C-STORE-RQ`) and service (`C-STORE`), if registered.
pub(crate) fn command_name(field: u16) -> Option<(&'static str, &'static str)> {
    COMMANDS
        .iter()
        .find(|(c, _, _)| *c == field)
        .map(|(_, n, s)| (*n, *s))
}

/// PS3.7 Annex C: the class of a status code.
pub(crate) fn status_class(status: u16) -> &'static str {
    match status {
        0x0000 => "success",
        0xFF00 | 0xFF01 => "pending",
        0xFE00 => "cancel",
        0x0001 | 0x0107 | 0x0116 | 0xB000..=0xBFFF => "warning",
        _ => "failure",
    }
}
