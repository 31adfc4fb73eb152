//! Reading the hospital's asset list: a CSV export of its CMMS or CMDB.
//!
//! Columns are found by header, with the aliases the common exports use (a header is compared
//! in lower case with everything but letters and digits removed, so `Asset Tag`, `asset_tag`
//! and `ASSET-TAG` are one column). Missing columns are tolerated; a row that cannot be used
//! (no identifying column, a malformed MAC or IP, a repeated tag, a CSV syntax error) is
//! reported with its line number and the rest are kept. Comma, semicolon and tab separated
//! files are all read (spreadsheet exports in many locales use `;`).

use std::collections::HashMap;
use std::net::IpAddr;

use model::{Asset, MacAddr};

/// What one column of the list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Column {
    Tag,
    Mac,
    Ip,
    Hostname,
    Serial,
    Vendor,
    Model,
    Firmware,
    Category,
    Department,
    Location,
}

/// Normalised header → column. Several columns may map to one field (MAC, wireless MAC):
/// all are read.
const ALIASES: &[(&str, Column)] = &[
    ("assettag", Column::Tag),
    ("tag", Column::Tag),
    ("assetid", Column::Tag),
    ("assetnumber", Column::Tag),
    ("assetno", Column::Tag),
    ("asset", Column::Tag),
    ("equipmentid", Column::Tag),
    ("equipmentnumber", Column::Tag),
    ("equipmentno", Column::Tag),
    ("controlnumber", Column::Tag),
    ("inventorynumber", Column::Tag),
    ("ciid", Column::Tag),
    ("mac", Column::Mac),
    ("macaddress", Column::Mac),
    ("macaddr", Column::Mac),
    ("macaddresses", Column::Mac),
    ("hwaddress", Column::Mac),
    ("hardwareaddress", Column::Mac),
    ("physicaladdress", Column::Mac),
    ("ethernetaddress", Column::Mac),
    ("ethernetmac", Column::Mac),
    ("wiredmac", Column::Mac),
    ("wirelessmac", Column::Mac),
    ("wifimac", Column::Mac),
    ("wlanmac", Column::Mac),
    ("mac1", Column::Mac),
    ("mac2", Column::Mac),
    ("ip", Column::Ip),
    ("ipaddress", Column::Ip),
    ("ipaddr", Column::Ip),
    ("ipv4", Column::Ip),
    ("ipv4address", Column::Ip),
    ("ipv6", Column::Ip),
    ("ipv6address", Column::Ip),
    ("staticip", Column::Ip),
    ("hostname", Column::Hostname),
    ("host", Column::Hostname),
    ("hostnames", Column::Hostname),
    ("dnsname", Column::Hostname),
    ("fqdn", Column::Hostname),
    ("networkname", Column::Hostname),
    ("computername", Column::Hostname),
    ("devicename", Column::Hostname),
    ("serial", Column::Serial),
    ("serialnumber", Column::Serial),
    ("serialno", Column::Serial),
    ("sn", Column::Serial),
    ("vendor", Column::Vendor),
    ("manufacturer", Column::Vendor),
    ("manufacturername", Column::Vendor),
    ("make", Column::Vendor),
    ("mfr", Column::Vendor),
    ("mfg", Column::Vendor),
    ("model", Column::Model),
    ("modelnumber", Column::Model),
    ("modelname", Column::Model),
    ("modelno", Column::Model),
    ("firmware", Column::Firmware),
    ("firmwareversion", Column::Firmware),
    ("fwversion", Column::Firmware),
    ("fw", Column::Firmware),
    ("softwareversion", Column::Firmware),
    ("swversion", Column::Firmware),
    ("version", Column::Firmware),
    ("devicetype", Column::Category),
    ("equipmenttype", Column::Category),
    ("assettype", Column::Category),
    ("type", Column::Category),
    ("category", Column::Category),
    ("class", Column::Category),
    ("department", Column::Department),
    ("dept", Column::Department),
    ("costcenter", Column::Department),
    ("costcentre", Column::Department),
    ("unit", Column::Department),
    ("location", Column::Location),
    ("site", Column::Location),
    ("building", Column::Location),
    ("room", Column::Location),
];

/// A row that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line of the file where the row starts.
    pub line: u64,
    /// What is wrong, naming the column.
    pub message: String,
}

/// A listed asset and the line it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssetRow {
    /// 1-based line where the row starts.
    pub line: u64,
    /// The asset.
    pub asset: Asset,
}

/// The parsed list: good rows in file order, bad rows with their line numbers, and the
/// header cells that matched no column (so a user sees what was ignored).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AssetList {
    /// Usable rows.
    pub rows: Vec<AssetRow>,
    /// Rows left out, and why.
    pub errors: Vec<RowError>,
    /// Header cells no alias knew.
    pub ignored_columns: Vec<String>,
}

/// Why the file as a whole cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListError(pub String);

impl std::fmt::Display for ListError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ListError {}

/// The most rows one list may hold: a large health system's CMMS holds a few hundred
/// thousand assets; beyond this the file is not an asset list.
pub const MAX_ROWS: usize = 2_000_000;

/// Lower case, letters and digits only.
fn normalise_header(h: &str) -> String {
    h.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The separator: the one of `,`, `;` and tab the header line holds most of.
fn sniff_delimiter(text: &[u8]) -> u8 {
    let header = text.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |d: u8| header.iter().filter(|&&b| b == d).count();
    [b',', b';', b'\t']
        .into_iter()
        .max_by_key(|&d| (count(d), d == b','))
        .unwrap_or(b',')
}

/// Parses a CSV asset list. Fails only when the file has no header naming at least one
/// identifying column (tag, MAC, IP, host name or serial).
pub fn parse_asset_csv(text: &[u8]) -> Result<AssetList, ListError> {
    let text = text.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(sniff_delimiter(text))
        .flexible(true)
        .has_headers(true)
        .from_reader(text);
    let headers = reader
        .byte_headers()
        .map_err(|e| ListError(format!("line 1: the header cannot be read: {e}")))?
        .clone();
    let mut columns: Vec<Option<Column>> = Vec::with_capacity(headers.len());
    let mut list = AssetList::default();
    for h in &headers {
        let name = String::from_utf8_lossy(h);
        let norm = normalise_header(&name);
        let col = ALIASES.iter().find(|(a, _)| *a == norm).map(|&(_, c)| c);
        if col.is_none() && !name.trim().is_empty() {
            list.ignored_columns.push(name.trim().to_string());
        }
        columns.push(col);
    }
    let identifying = [
        Column::Tag,
        Column::Mac,
        Column::Ip,
        Column::Hostname,
        Column::Serial,
    ];
    if !columns
        .iter()
        .any(|c| c.is_some_and(|c| identifying.contains(&c)))
    {
        return Err(ListError(
            "line 1: no column names an asset (expected a header such as asset tag, MAC \
             address, IP address, hostname or serial number)"
                .into(),
        ));
    }

    // Lines from byte offsets: the csv reader's own line count skips blank lines.
    let newlines: Vec<usize> = memchr_newlines(text);
    // A record's position may be that of blank lines the reader skipped before it.
    let line_of = |byte: u64| -> u64 {
        let start = usize::try_from(byte).unwrap_or(usize::MAX).min(text.len());
        let skipped = text[start..]
            .iter()
            .take_while(|&&b| b == b'\n' || b == b'\r')
            .count();
        newlines.partition_point(|&n| n < start + skipped) as u64 + 1
    };
    let mut seen_tags: HashMap<String, u64> = HashMap::new();
    let mut record = csv::ByteRecord::new();
    loop {
        let line = line_of(reader.position().byte());
        match reader.read_byte_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(line, |p| line_of(p.byte()));
                list.errors.push(RowError {
                    line,
                    message: format!("not valid CSV: {e}"),
                });
                // A syntax error the reader cannot step over ends the file.
                if !matches!(e.kind(), csv::ErrorKind::Utf8 { .. }) {
                    break;
                }
                continue;
            }
        }
        let line = record.position().map_or(line, |p| line_of(p.byte()));
        if record.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        if list.rows.len() >= MAX_ROWS {
            list.errors.push(RowError {
                line,
                message: format!("more than {MAX_ROWS} rows: the rest of the file is ignored"),
            });
            break;
        }
        match parse_row(&record, &columns, &headers) {
            Ok(asset) => {
                if let Some(first) = seen_tags.get(&asset.tag) {
                    list.errors.push(RowError {
                        line,
                        message: format!(
                            "asset tag {:?} repeats the row at line {first}: row ignored",
                            asset.tag
                        ),
                    });
                    continue;
                }
                seen_tags.insert(asset.tag.clone(), line);
                list.rows.push(AssetRow { line, asset });
            }
            Err(message) => list.errors.push(RowError { line, message }),
        }
    }
    Ok(list)
}

/// Offsets of every `\n` in `text`.
fn memchr_newlines(text: &[u8]) -> Vec<usize> {
    text.iter()
        .enumerate()
        .filter(|&(_, &b)| b == b'\n')
        .map(|(i, _)| i)
        .collect()
}

/// The longest cell kept: anything longer is not a tag, name or version.
const MAX_CELL: usize = 256;

fn parse_row(
    record: &csv::ByteRecord,
    columns: &[Option<Column>],
    headers: &csv::ByteRecord,
) -> Result<Asset, String> {
    let mut asset = Asset::default();
    let mut tag = None;
    for (i, cell) in record.iter().enumerate() {
        let Some(Some(col)) = columns.get(i) else {
            continue;
        };
        let header = String::from_utf8_lossy(headers.get(i).unwrap_or_default());
        let header = header.trim();
        let text = std::str::from_utf8(cell)
            .map_err(|_| format!("column {header:?} is not valid UTF-8"))?
            .trim();
        if text.is_empty() {
            continue;
        }
        if text.len() > MAX_CELL {
            return Err(format!(
                "column {header:?} is longer than {MAX_CELL} characters"
            ));
        }
        let owned = || Some(text.split_whitespace().collect::<Vec<_>>().join(" "));
        match col {
            Column::Tag => tag = owned(),
            Column::Mac => {
                for part in split_list(text) {
                    let mac = parse_mac(part).ok_or_else(|| {
                        format!("column {header:?}: {part:?} is not a MAC address")
                    })?;
                    if !asset.macs.contains(&mac) {
                        asset.macs.push(mac);
                    }
                }
            }
            Column::Ip => {
                for part in split_list(text) {
                    let ip: IpAddr = part
                        .parse()
                        .map_err(|_| format!("column {header:?}: {part:?} is not an IP address"))?;
                    if !asset.ips.contains(&ip) {
                        asset.ips.push(ip);
                    }
                }
            }
            Column::Hostname => asset.hostname = owned(),
            Column::Serial => asset.serial = owned(),
            Column::Vendor => asset.vendor = owned(),
            Column::Model => asset.model = owned(),
            Column::Firmware => asset.firmware = owned(),
            Column::Category => asset.category = category_of(text),
            Column::Department => asset.department = owned(),
            Column::Location => {
                // Site, building and room columns are joined, in file order.
                asset.location = Some(match asset.location.take() {
                    Some(l) => format!("{l} / {text}"),
                    None => text.to_string(),
                });
            }
        }
    }
    // A list without tags still needs a key per row: the serial, else the first MAC, host
    // name or IP, which is what a person would search for.
    asset.tag = tag
        .or_else(|| asset.serial.clone())
        .or_else(|| asset.macs.first().map(ToString::to_string))
        .or_else(|| asset.hostname.clone())
        .or_else(|| asset.ips.first().map(ToString::to_string))
        .ok_or("no asset tag, serial, MAC, host name or IP address: row ignored")?;
    Ok(asset)
}

/// Cells holding several values separate them by `;`, `,`, `|` or spaces.
fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([';', ',', '|', ' ', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A MAC in any common spelling: `00:1b:6f:0a:0b:0c`, `00-1B-6F-0A-0B-0C`, `001b.6f0a.0b0c`
/// (Cisco), `001B6F0A0B0C`.
fn parse_mac(text: &str) -> Option<MacAddr> {
    let hex: String = text
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    let mut bytes = [0u8; 6];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(MacAddr(bytes))
}

/// The taxonomy id a type cell names (`Infusion Pump`, `infusion_pump`, `IP Camera`), or
/// `None`: a CMMS's own type vocabulary is kept out rather than guessed at.
fn category_of(text: &str) -> Option<String> {
    let id: String = text
        .trim()
        .to_ascii_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect::<String>()
        .split('_')
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("_");
    crate::CATEGORIES
        .iter()
        .find(|&&c| c == id)
        .map(|c| (*c).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_map_by_alias_and_bad_rows_keep_their_line() {
        let csv = "\u{feff}Asset Tag,MAC Address,IP Address,Host Name,Manufacturer,Model,Software Version,Device Type,Dept,Notes\n\
            BME-0001,00:1B:6F:0A:0B:0C,10.20.3.14,ICU-PUMP-0417,BD,Alaris 8015,12.1.2,Infusion Pump,ICU,x\n\
            BME-0002,not-a-mac,,,,,,,,\n\
            \n\
            BME-0003,001b.6f0a.0b0d; 00-1B-6F-0A-0B-0E,10.20.3.15,,Philips,MX450,,Patient Monitor,ICU,\n\
            BME-0001,00:1b:6f:00:00:01,,,,,,,,\n\
            ,,,,,,,,,only notes\n\
            BME-0004,,10.20.3.300,,,,,,,\n";
        let list = parse_asset_csv(csv.as_bytes()).unwrap();
        assert_eq!(list.ignored_columns, ["Notes"]);
        let tags: Vec<_> = list.rows.iter().map(|r| r.asset.tag.as_str()).collect();
        assert_eq!(tags, ["BME-0001", "BME-0003"]);
        let first = &list.rows[0].asset;
        assert_eq!(first.macs[0].to_string(), "00:1b:6f:0a:0b:0c");
        assert_eq!(first.category.as_deref(), Some("infusion_pump"));
        assert_eq!(first.firmware.as_deref(), Some("12.1.2"));
        assert_eq!(list.rows[1].line, 5);
        assert_eq!(list.rows[1].asset.macs.len(), 2);
        let lines: Vec<_> = list.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 6, 7, 8], "{:#?}", list.errors);
        assert!(list.errors[0].message.contains("MAC Address"));
        assert!(list.errors[1].message.contains("line 2"));
        assert!(list.errors[3].message.contains("IP Address"));
    }

    #[test]
    fn semicolons_and_missing_tags_are_read() {
        let csv = "Serial;Hostname;Model\nSN1;host-a;X\n;host-b;Y\n";
        let list = parse_asset_csv(csv.as_bytes()).unwrap();
        let tags: Vec<_> = list.rows.iter().map(|r| r.asset.tag.as_str()).collect();
        assert_eq!(tags, ["SN1", "host-b"]);
        assert!(list.errors.is_empty());
    }

    #[test]
    fn a_file_without_identifying_columns_is_refused() {
        let err = parse_asset_csv(b"Model,Notes\nX,y\n").unwrap_err();
        assert!(err.0.contains("line 1"), "{err}");
        assert!(parse_asset_csv(b"").is_err());
    }

    #[test]
    fn a_quote_error_is_reported_and_earlier_rows_kept() {
        let csv = b"tag,model\nA,x\nB,\"unterminated\n";
        let list = parse_asset_csv(csv).unwrap();
        // An unterminated quote runs to the end of the file (RFC 4180 has no other reading);
        // the rows before it are kept.
        let tags: Vec<_> = list.rows.iter().map(|r| r.asset.tag.as_str()).collect();
        assert_eq!(tags, ["A", "B"]);
        assert_eq!(list.rows[1].line, 3);
    }

    #[test]
    fn arbitrary_bytes_never_panic() {
        use proptest::prelude::*;
        proptest!(|(bytes in proptest::collection::vec(any::<u8>(), 0..512))| {
            let mut text = b"tag,mac,ip\n".to_vec();
            text.extend(bytes);
            let _ = parse_asset_csv(&text);
        });
    }
}
