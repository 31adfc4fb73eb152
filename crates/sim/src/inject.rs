//! Labelled events (`wardline sim --inject KIND[@OFFSET]`): traffic a detection should flag,
//! put into the simulated hospital at a known time and recorded in the truth with the devices
//! involved.

use std::fmt;
use std::str::FromStr;

use wire::ipv4::{IpProtocol, OptionBytes};
use wire::tcp::{self, Flags};

use crate::behaviour::{Ctx, Peer, http_banner_poll, https_to_internet, tls_session};
use crate::data::Profile;
use crate::packet::{Frames, tcp_segment};
use crate::tcp::{Dir, syn_options};
use crate::truth::TruthEvent;
use crate::world::Device;

const SEC: i64 = 1_000_000_000;

/// The kinds of labelled event (their names are what `--inject` takes and the truth says).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A workstation SYN-scans 200 ports of a device in its zone.
    PortScan,
    /// An infusion pump reaches an internet host no pump talks to.
    NewExternalDestination,
    /// A clinical workstation beacons every 60 s to a domain of a blocklist.
    BlocklistedBeacon,
    /// A workstation signs in to a printer's web page with HTTP Basic, in cleartext.
    CleartextCredentials,
    /// A guest phone connects to an infusion pump in a clinical zone.
    GuestToClinical,
    /// An IP camera's firmware goes back to an older version.
    FirmwareDowngrade,
    /// A device of no population (a Raspberry Pi) joins the ICU network.
    UnknownDevice,
}

impl Kind {
    /// Every kind, in documentation order.
    pub const ALL: [Self; 7] = [
        Self::PortScan,
        Self::NewExternalDestination,
        Self::BlocklistedBeacon,
        Self::CleartextCredentials,
        Self::GuestToClinical,
        Self::FirmwareDowngrade,
        Self::UnknownDevice,
    ];

    /// The stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PortScan => "port_scan",
            Self::NewExternalDestination => "new_external_destination",
            Self::BlocklistedBeacon => "blocklisted_beacon",
            Self::CleartextCredentials => "cleartext_credentials",
            Self::GuestToClinical => "guest_to_clinical",
            Self::FirmwareDowngrade => "firmware_downgrade",
            Self::UnknownDevice => "unknown_device",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One requested injection: a kind at an offset from the start of the capture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Injection {
    /// What.
    pub kind: Kind,
    /// When, ns after the start; `None`: half-way through the capture.
    pub offset_ns: Option<i64>,
}

impl FromStr for Injection {
    type Err = String;

    /// `KIND` or `KIND@OFFSET` with OFFSET like `90s`, `30m`, `2h`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (name, at) = match s.split_once('@') {
            Some((n, a)) => (n, Some(a)),
            None => (s, None),
        };
        let kind = Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == name)
            .ok_or_else(|| {
                let names: Vec<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown event {name:?}: one of {}", names.join(", "))
            })?;
        let offset_ns = match at {
            None => None,
            Some(a) => {
                let (num, unit) =
                    a.split_at(a.find(|c: char| !c.is_ascii_digit()).unwrap_or(a.len()));
                let n: i64 = num
                    .parse()
                    .map_err(|_| format!("{a:?} is not an offset like 90s, 30m or 2h"))?;
                let mult = match unit {
                    "" | "s" => 1,
                    "m" => 60,
                    "h" => 3600,
                    "d" => 86_400,
                    _ => return Err(format!("{a:?}: unit must be s, m, h or d")),
                };
                Some(
                    n.checked_mul(mult * SEC)
                        .ok_or_else(|| format!("{a:?} is too far"))?,
                )
            }
        };
        Ok(Self { kind, offset_ns })
    }
}

/// What an injection asks of the engine after it ran.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing more.
    Done,
    /// Run again at this time.
    Again(i64),
    /// A new device joined: schedule its behaviours from now.
    NewDevice(usize),
}

/// The blocklisted domain beacons go to (reserved `.example`, RFC 2606).
pub const BEACON_DOMAIN: &str = "cdn-sync.beacon-sim.example";
/// The internet host `new_external_destination` reaches.
pub const NEW_DESTINATION: &str = "telemetry.unapproved-cloud.example";

/// Runs injection `kind` at `ts`; `event` is its index in the truth's events when it ran
/// before (beacons).
pub fn run(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    ts: i64,
    event: Option<usize>,
    frames: &mut Frames,
) -> Outcome {
    match kind {
        Kind::PortScan => port_scan(ctx, ts, frames),
        Kind::NewExternalDestination => {
            let Some(pump) = pick(ctx, ts, |p, _, _| p.category == "infusion_pump") else {
                return skipped(ctx, kind, ts);
            };
            https_to_internet(ctx, pump, ts, NEW_DESTINATION, frames);
            let ip = ctx.internet_host(NEW_DESTINATION).ip.to_string();
            record(
                ctx,
                kind,
                ts,
                ts + SEC,
                &[pump],
                &[("destination", NEW_DESTINATION.into()), ("ip", ip.into())],
            );
            Outcome::Done
        }
        Kind::BlocklistedBeacon => {
            let device = match event {
                Some(e) => ctx.events[e].devices[0],
                None => match pick(ctx, ts, |p, _, _| p.category == "clinical_workstation") {
                    Some(d) => d,
                    None => return skipped(ctx, kind, ts),
                },
            };
            https_to_internet(ctx, device, ts, BEACON_DOMAIN, frames);
            match event {
                Some(e) => {
                    let ev = &mut ctx.events[e];
                    ev.end = crate::truth::time(ts);
                    let n = ev
                        .details
                        .get("beacons")
                        .and_then(serde_json::Value::as_u64)
                        .unwrap_or(0);
                    ev.details.insert("beacons".into(), (n + 1).into());
                }
                None => {
                    record(
                        ctx,
                        kind,
                        ts,
                        ts,
                        &[device],
                        &[("domain", BEACON_DOMAIN.into()), ("interval_s", 60.into())],
                    );
                    if let Some(ev) = ctx.events.last_mut() {
                        ev.details.insert("beacons".into(), 1.into());
                    }
                }
            }
            Outcome::Again(ts + ctx.rng.jitter(60 * SEC, 0.02))
        }
        Kind::CleartextCredentials => cleartext_credentials(ctx, ts, frames),
        Kind::GuestToClinical => {
            let Some(phone) = pick(ctx, ts, |p, zone, _| {
                p.category == "mobile_phone" && zone == "guest"
            }) else {
                return skipped(ctx, kind, ts);
            };
            let Some(pump) = pick(ctx, ts, |p, _, _| p.category == "infusion_pump") else {
                return skipped(ctx, kind, ts);
            };
            let target = ctx.world.devices[pump].ip.to_string();
            tls_session(ctx, phone, Peer::Device(pump), ts, &target, frames);
            record(
                ctx,
                kind,
                ts,
                ts + SEC,
                &[phone, pump],
                &[("port", 443.into())],
            );
            Outcome::Done
        }
        Kind::FirmwareDowngrade => {
            let Some(camera) = pick(ctx, ts, |p, _, _| p.old_firmware.is_some()) else {
                return skipped(ctx, kind, ts);
            };
            // Seen before and after: the monitoring host reads its banner at both times.
            http_banner_poll(ctx, camera, ts, frames);
            let before = ctx.world.devices[camera].firmware.clone();
            let after = ctx.model.profiles.profile[ctx.world.devices[camera].profile]
                .old_firmware
                .clone()
                .unwrap_or_default();
            ctx.world.devices[camera].firmware = after.clone();
            http_banner_poll(ctx, camera, ts + 60 * SEC, frames);
            record(
                ctx,
                kind,
                ts,
                ts + 60 * SEC,
                &[camera],
                &[("from", before.into()), ("to", after.into())],
            );
            Outcome::Done
        }
        Kind::UnknownDevice => {
            let profile = ctx.model.profile_index("unknown-raspberry-pi");
            let icu = ctx
                .model
                .hospital
                .zone
                .iter()
                .position(|z| z.name == "icu")
                .unwrap_or_default();
            let Some(d) = ctx.world.place(ctx.model, &mut ctx.rng, icu, profile, ts) else {
                return skipped(ctx, kind, ts);
            };
            ctx.world.devices[d].injected = true;
            let hostname = ctx.world.devices[d].hostname.clone();
            record(ctx, kind, ts, ts, &[d], &[("hostname", hostname.into())]);
            Outcome::NewDevice(d)
        }
    }
}

/// A workstation SYN-scans ports 1–200 of another device in its zone, 2 ms apart (an
/// nmap-style half-open scan: SYN; RST-ACK from a closed port, SYN-ACK then the scanner's RST
/// from an open one).
fn port_scan(ctx: &mut Ctx<'_>, ts: i64, frames: &mut Frames) -> Outcome {
    let Some(scanner) = pick(ctx, ts, |p, _, _| {
        p.category == "workstation" || p.category == "clinical_workstation"
    }) else {
        return skipped(ctx, Kind::PortScan, ts);
    };
    let zone = ctx.world.devices[scanner].zone;
    let Some(target) = pick(ctx, ts, |_, _, d| d.zone == zone && d.index != scanner) else {
        return skipped(ctx, Kind::PortScan, ts);
    };
    let (src, dst) = (ctx.host(scanner), ctx.host(target));
    let open = |port: u16| matches!(port, 80 | 443 | 22);
    let sport = ctx.world.devices[scanner].ephemeral_port();
    let mut t = ts;
    for port in 1..=200u16 {
        let seq = ctx.rng.u32();
        let syn = tcp::Repr {
            src_port: sport,
            dst_port: port,
            seq_number: seq,
            ack_number: 0,
            flags: Flags::SYN,
            window_len: 1024,
            urgent_at: 0,
            options: OptionBytes::new(&syn_options("mss", 0)).unwrap_or_default(),
        };
        let ident = ctx.world.devices[scanner].take_ident();
        let seg = tcp_segment(src.ip, dst.ip, &syn, &[]);
        ctx.net.ip(
            frames,
            t,
            &src,
            &dst,
            src.vlan,
            ident,
            IpProtocol::TCP,
            &seg,
        );
        let answer_at = t + 150_000;
        let ident = ctx.world.devices[target].take_ident();
        if open(port) {
            let synack = tcp::Repr {
                src_port: port,
                dst_port: sport,
                seq_number: ctx.rng.u32(),
                ack_number: seq.wrapping_add(1),
                flags: Flags(Flags::SYN.0 | Flags::ACK.0),
                window_len: 64240,
                urgent_at: 0,
                options: OptionBytes::new(&syn_options("mss", 0)).unwrap_or_default(),
            };
            let seg = tcp_segment(dst.ip, src.ip, &synack, &[]);
            ctx.net.ip(
                frames,
                answer_at,
                &dst,
                &src,
                src.vlan,
                ident,
                IpProtocol::TCP,
                &seg,
            );
            let rst = tcp::Repr {
                seq_number: seq.wrapping_add(1),
                flags: Flags::RST,
                window_len: 0,
                options: OptionBytes::default(),
                ..syn
            };
            let ident = ctx.world.devices[scanner].take_ident();
            let seg = tcp_segment(src.ip, dst.ip, &rst, &[]);
            ctx.net.ip(
                frames,
                answer_at + 100_000,
                &src,
                &dst,
                src.vlan,
                ident,
                IpProtocol::TCP,
                &seg,
            );
        } else {
            let rst = tcp::Repr {
                src_port: port,
                dst_port: sport,
                seq_number: 0,
                ack_number: seq.wrapping_add(1),
                flags: Flags(Flags::RST.0 | Flags::ACK.0),
                window_len: 0,
                urgent_at: 0,
                options: OptionBytes::default(),
            };
            let seg = tcp_segment(dst.ip, src.ip, &rst, &[]);
            ctx.net.ip(
                frames,
                answer_at,
                &dst,
                &src,
                src.vlan,
                ident,
                IpProtocol::TCP,
                &seg,
            );
        }
        t += 2_000_000;
    }
    record(
        ctx,
        Kind::PortScan,
        ts,
        t,
        &[scanner, target],
        &[("first_port", 1.into()), ("last_port", 200.into())],
    );
    Outcome::Done
}

/// A workstation signs in to a printer's web page with HTTP Basic (RFC 7617) over plain
/// HTTP: the password crosses in cleartext (invented, never a real one).
fn cleartext_credentials(ctx: &mut Ctx<'_>, ts: i64, frames: &mut Frames) -> Outcome {
    let kind = Kind::CleartextCredentials;
    let Some(client) = pick(ctx, ts, |p, _, _| {
        p.category == "workstation" || p.category == "clinical_workstation"
    }) else {
        return skipped(ctx, kind, ts);
    };
    let Some(printer) = pick(ctx, ts, |p, _, _| p.category == "printer") else {
        return skipped(ctx, kind, ts);
    };
    let net = ctx.net;
    let mut conn = ctx.connect(client, Peer::Device(printer), 80, ts, frames);
    let host = ctx.world.devices[printer].ip.to_string();
    let auth = proto::emit::http::basic_authorization("admin", "sim-invented-pw");
    let mut rq = Vec::new();
    proto::emit::http::request(
        "GET",
        "/hp/device/SignIn/Index",
        &[
            ("Host", &host),
            ("Authorization", &auth),
            ("Connection", "close"),
        ],
        b"",
        &mut rq,
    );
    conn.send(&net, frames, Dir::ToServer, &rq);
    let mut rp = Vec::new();
    proto::emit::http::response(
        200,
        "OK",
        &[("Content-Type", "text/html")],
        b"<html>signed in</html>",
        &mut rp,
    );
    conn.send(&net, frames, Dir::ToClient, &rp);
    conn.close(&net, frames, Dir::ToClient);
    record(
        ctx,
        kind,
        ts,
        conn.now,
        &[client, printer],
        &[("protocol", "http".into()), ("scheme", "Basic".into())],
    );
    Outcome::Done
}

/// A device that has its address by `ts`, was not injected, and that `want` accepts (given
/// its profile, its model zone's name and itself), chosen by the seed.
fn pick(
    ctx: &mut Ctx<'_>,
    ts: i64,
    want: impl Fn(&Profile, &str, &Device) -> bool,
) -> Option<usize> {
    let candidates: Vec<usize> = ctx
        .world
        .devices
        .iter()
        .filter(|d| d.leased_at.is_some_and(|t| t <= ts) && !d.injected)
        .filter(|d| {
            let zone = &ctx.model.hospital.zone[ctx.world.zones[d.zone].model_zone].name;
            want(&ctx.model.profiles.profile[d.profile], zone, d)
        })
        .map(|d| d.index)
        .collect();
    (!candidates.is_empty()).then(|| candidates[ctx.rng.below(candidates.len() as u64) as usize])
}

/// Records an event in the truth.
fn record(
    ctx: &mut Ctx<'_>,
    kind: Kind,
    start: i64,
    end: i64,
    devices: &[usize],
    details: &[(&str, serde_json::Value)],
) {
    ctx.events.push(TruthEvent {
        kind: kind.as_str(),
        start: crate::truth::time(start),
        end: crate::truth::time(end),
        devices: devices.to_vec(),
        details: details
            .iter()
            .map(|(k, v)| ((*k).to_string(), v.clone()))
            .collect(),
    });
}

/// The hospital has no device the event needs (a tiny simulation): the truth says so.
fn skipped(ctx: &mut Ctx<'_>, kind: Kind, ts: i64) -> Outcome {
    record(
        ctx,
        kind,
        ts,
        ts,
        &[],
        &[("skipped", "no device of the kind this event needs".into())],
    );
    Outcome::Done
}
