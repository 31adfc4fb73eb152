//! Table and CSV views of the report, and the flow-record CSV.

use std::borrow::Borrow;
use std::io::{self, Write};

use model::{FlowObservation, TsPrecision};

use crate::report::{AttributeReport, DeviceReport, Report, ts};

/// Quotes a CSV field when it needs it (RFC 4180 §2).
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn csv_row(out: &mut impl Write, fields: &[String]) -> io::Result<()> {
    let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
    writeln!(out, "{}", row.join(","))
}

fn hostnames(d: &DeviceReport) -> Vec<String> {
    let mut names: Vec<String> = d.hostnames.iter().map(|h| h.name.clone()).collect();
    names.dedup();
    names
}

/// Opens (creating if missing) the encrypted store at `db` with its key (`WARDLINE_DB_KEY`
/// or the key file beside it).
pub fn open_store(db: &std::path::Path) -> anyhow::Result<store::SqliteStore> {
    use anyhow::Context;
    let (key, _origin) =
        store::Key::resolve(db).with_context(|| format!("opening the key for {}", db.display()))?;
    Ok(store::SqliteStore::open(db, &key)?)
}

/// A command's summary as pretty JSON and a newline.
pub fn write_json(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

pub fn write_csv(out: &mut impl Write, report: &Report) -> io::Result<()> {
    write_devices_csv_iter(out, report.devices.iter())
}

/// Devices as CSV, one row each (the `analyze` and `devices list` view).
pub fn write_devices_csv(out: &mut impl Write, devices: &[DeviceReport]) -> io::Result<()> {
    write_devices_csv_iter(out, devices.iter())
}

fn attr_value(a: Option<&AttributeReport>) -> String {
    a.map(|v| v.value.clone()).unwrap_or_default()
}

fn attr_confidence(a: Option<&AttributeReport>) -> String {
    a.map(|v| v.confidence.to_string()).unwrap_or_default()
}

fn write_devices_csv_iter<D: Borrow<DeviceReport>>(
    out: &mut impl Write,
    devices: impl Iterator<Item = D>,
) -> io::Result<()> {
    csv_row(
        out,
        &[
            "id",
            "macs",
            "mac_randomized",
            "ips",
            "hostnames",
            "vlans",
            "vendor",
            "vendor_confidence",
            "first_seen",
            "last_seen",
            "packets",
            "bytes",
            "dhcp_vendor_class",
            "roles",
            "category",
            "category_confidence",
            "model",
            "os",
            "firmware",
            "modality",
        ]
        .map(String::from),
    )?;
    for d in devices {
        let d = d.borrow();
        csv_row(
            out,
            &[
                d.id.clone(),
                d.macs.join(";"),
                d.mac_randomized.to_string(),
                d.ips
                    .iter()
                    .map(|i| i.addr.as_str())
                    .collect::<Vec<_>>()
                    .join(";"),
                hostnames(d).join(";"),
                d.vlans
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(";"),
                attr_value(d.vendor.as_ref()),
                attr_confidence(d.vendor.as_ref()),
                d.first_seen.clone().unwrap_or_default(),
                d.last_seen.clone().unwrap_or_default(),
                d.packets.to_string(),
                d.bytes.to_string(),
                d.dhcp
                    .as_ref()
                    .and_then(|x| x.vendor_class.clone())
                    .unwrap_or_default(),
                d.roles.join(";"),
                attr_value(d.category.as_ref()),
                attr_confidence(d.category.as_ref()),
                attr_value(d.model.as_ref()),
                attr_value(d.os.as_ref()),
                attr_value(d.firmware.as_ref()),
                attr_value(d.modality.as_ref()),
            ],
        )?;
    }
    Ok(())
}

/// Shortens a list for a table cell: the first items, then `+N`.
fn cell(items: &[String], keep: usize) -> String {
    let mut s = items
        .iter()
        .take(keep)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    if items.len() > keep {
        s.push_str(&format!(" +{}", items.len() - keep));
    }
    s
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_owned()
    } else {
        let mut t: String = s.chars().take(max.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

pub fn write_table(out: &mut impl Write, report: &Report) -> io::Result<()> {
    write_devices_table_iter(out, report.devices.iter())?;
    let s = &report.stats;
    let malformed: u64 = s.malformed.values().sum();
    let unsupported: u64 = s.unsupported.values().sum();
    writeln!(out)?;
    writeln!(
        out,
        "{} devices · {} packets ({} decoded, {} malformed, {} unsupported) · {} flows · {} input(s)",
        report.devices.len(),
        s.packets,
        s.decoded,
        malformed,
        unsupported,
        s.flows.total,
        report.inputs.len()
    )?;
    for input in report.inputs.iter().filter(|i| i.error.is_some()) {
        writeln!(
            out,
            "input error: {}",
            input.error.as_deref().unwrap_or_default()
        )?;
    }
    Ok(())
}

/// Devices as aligned columns (the `analyze` and `devices list` view).
pub fn write_devices_table(out: &mut impl Write, devices: &[DeviceReport]) -> io::Result<()> {
    write_devices_table_iter(out, devices.iter())
}

fn write_devices_table_iter<D: Borrow<DeviceReport>>(
    out: &mut impl Write,
    devices: impl Iterator<Item = D>,
) -> io::Result<()> {
    let header = [
        "DEVICE",
        "VENDOR",
        "CATEGORY",
        "IP",
        "HOSTNAME",
        "VLAN",
        "ROLES",
        "PACKETS",
        "LAST SEEN",
    ];
    let rows: Vec<[String; 9]> = devices
        .map(|d| {
            let d = d.borrow();
            let ips: Vec<String> = d.ips.iter().map(|i| i.addr.clone()).collect();
            let vlans: Vec<String> = d.vlans.iter().map(u16::to_string).collect();
            [
                d.id.clone(),
                truncate(d.vendor.as_ref().map_or("", |v| v.value.as_str()), 28),
                d.category
                    .as_ref()
                    .map_or_else(String::new, |c| c.value.clone()),
                cell(&ips, 1),
                truncate(&cell(&hostnames(d), 1), 32),
                cell(&vlans, 2),
                d.roles.join(","),
                d.packets.to_string(),
                d.last_seen.as_deref().map_or_else(
                    || "never".to_string(),
                    |t| t.get(..19).unwrap_or(t).replace('T', " "),
                ),
            ]
        })
        .collect();
    let mut widths = header.map(|h| h.chars().count());
    for row in &rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            if i == 7 {
                s.push_str(&format!("{c:>w$}  "));
            } else {
                s.push_str(&format!("{c:<w$}  "));
            }
        }
        s.trim_end().to_owned()
    };
    writeln!(out, "{}", line(&header.map(String::from)))?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

/// Writes flow records as CSV, one per line, as they end.
#[derive(Debug)]
pub struct FlowWriter<W: Write> {
    out: W,
}

/// Flow records carry nanosecond timestamps whatever the inputs' precision: one file may mix
/// inputs, and a wider field loses nothing.
const FLOW_TS_PRECISION: TsPrecision = TsPrecision::Nano;

impl<W: Write> FlowWriter<W> {
    pub fn new(mut out: W) -> io::Result<Self> {
        writeln!(
            out,
            "transport,vlan,client_mac,client_ip,client_port,server_mac,server_ip,server_port,\
             first_seen,last_seen,client_packets,client_bytes,server_packets,server_bytes,end"
        )?;
        Ok(Self { out })
    }

    pub fn write(&mut self, f: &FlowObservation) -> io::Result<()> {
        let opt = |v: Option<String>| v.unwrap_or_default();
        writeln!(
            self.out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            f.transport.name(),
            opt(f.vlan.map(|v| v.to_string())),
            opt(f.client.mac.map(|m| m.to_string())),
            opt(f.client.ip.map(|i| i.to_string())),
            f.client.port,
            opt(f.server.mac.map(|m| m.to_string())),
            opt(f.server.ip.map(|i| i.to_string())),
            f.server.port,
            ts(f.first_seen, FLOW_TS_PRECISION),
            ts(f.last_seen, FLOW_TS_PRECISION),
            f.client_packets,
            f.client_bytes,
            f.server_packets,
            f.server_bytes,
            f.end.as_str(),
        )
    }

    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}
