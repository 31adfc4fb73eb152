//! The network views: the zone × zone traffic matrix, the conversations behind a cell, a
//! device's peers as a small map, and their JSON API.

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use serde::Deserialize;
use serde_json::json;
use store::Store as _;

use super::pages::{layout, pager, query_link, store_error};
use super::{App, Authorized, error, stamp, store_failed};

/// Query of the conversation list (page and API).
#[derive(Deserialize, Default, Clone)]
pub(super) struct TrafficFilter {
    device: Option<String>,
    client_zone: Option<String>,
    server_zone: Option<String>,
    limit: Option<u32>,
    offset: Option<u64>,
}

impl TrafficFilter {
    fn query(&self, limit: u32) -> store::ConversationQuery {
        let some = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        store::ConversationQuery {
            device: some(&self.device),
            client_zone: some(&self.client_zone),
            server_zone: some(&self.server_zone),
            limit,
            offset: self.offset.unwrap_or(0),
        }
    }
}

/// Bytes in binary units, for people.
pub(super) fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut unit = 0;
    while v >= 1024.0 && unit + 1 < UNITS.len() {
        v /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

/// The zone × zone matrix as SVG: rows are the zones that opened conversations, columns the
/// zones that answered; a cell's shade grows with the logarithm of its bytes, and it links to
/// the conversations behind it.
fn matrix_svg(links: &[store::ZoneLink], violations: &[(String, String, u64)]) -> Markup {
    let mut zones: Vec<&str> = links
        .iter()
        .flat_map(|l| [l.client_zone.as_str(), l.server_zone.as_str()])
        .collect();
    zones.sort_unstable();
    zones.dedup();
    let cell = 34usize;
    let label = 150usize;
    let width = label + cell * zones.len() + 8;
    let height = label + cell * zones.len() + 8;
    let max = links.iter().map(|l| l.bytes).max().unwrap_or(1).max(1) as f64;
    let by_pair: BTreeMap<(&str, &str), &store::ZoneLink> = links
        .iter()
        .map(|l| ((l.client_zone.as_str(), l.server_zone.as_str()), l))
        .collect();
    html! {
        svg.matrix role="img" aria-label="Traffic between zones: rows opened the conversations, columns answered"
            width=(width) height=(height) viewBox={"0 0 " (width) " " (height)} {
            title { "Traffic between zones" }
            @for (i, z) in zones.iter().enumerate() {
                @let x = label + cell * i + cell / 2;
                text x=(x) y=(label - 6) transform={"rotate(-60 " (x) " " (label - 6) ")"} { (z) }
                text x=(label - 6) y=(label + cell * i + cell / 2 + 4) text-anchor="end" { (z) }
            }
            @for (r, client) in zones.iter().enumerate() {
                @for (c, server) in zones.iter().enumerate() {
                    @let x = label + cell * c;
                    @let y = label + cell * r;
                    @let broken = violations.iter().find(|v| v.0 == *client && v.1 == *server).map(|v| v.2);
                    @match by_pair.get(&(*client, *server)) {
                        Some(l) => {
                            @let shade = 0.15 + 0.85 * ((l.bytes as f64 + 1.0).ln() / (max + 1.0).ln());
                            @if let Some(n) = broken {
                                rect.violation x=(x) y=(y) width=(cell) height=(cell) fill="none" stroke="#b42318" stroke-width="3" {
                                    title { (client) " → " (server) ": " (n) " segmentation violations not resolved" }
                                }
                            }
                            a href=(query_link("/zones/traffic", &[("client_zone", Some(client)), ("server_zone", Some(server))], None)) {
                                rect x=(x + 1) y=(y + 1) width=(cell - 2) height=(cell - 2)
                                    fill="#0b5cad" fill-opacity=(format!("{shade:.2}")) {
                                    title { (client) " → " (server) ": " (l.conversations) " conversations, " (l.flows) " flows, " (human_bytes(l.bytes)) }
                                }
                            }
                        }
                        None => {
                            rect x=(x + 1) y=(y + 1) width=(cell - 2) height=(cell - 2) fill="#f2f4f7" {}
                        }
                    }
                }
            }
        }
    }
}

fn kind_of<'a>(zones: &'a [model::Zone], name: &str) -> &'a str {
    if name == model::INTERNET_ZONE {
        return "internet";
    }
    zones
        .iter()
        .find(|z| z.name == name)
        .map_or("provisional", |z| z.kind.as_str())
}

/// What the zone page and its API show: configured zones, the matrix, the crossings with open
/// segmentation findings, devices per zone.
struct ZoneView {
    zones: Vec<model::Zone>,
    links: Vec<store::ZoneLink>,
    violations: Vec<(String, String, u64)>,
    counts: Vec<(String, u64)>,
}

impl ZoneView {
    fn read(app: &App) -> Result<Self, store::StoreError> {
        let (zones, links, violations) = {
            let store = app.store();
            (
                store.zones()?,
                store.zone_matrix()?,
                store.zone_violations()?,
            )
        };
        Ok(Self {
            zones,
            links,
            violations,
            counts: app.breakdown("zone")?,
        })
    }
}

/// `/zones`: the configured zones and the traffic matrix between every zone seen.
pub(super) async fn zones_page(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let ZoneView {
        zones,
        links,
        violations,
        counts,
    } = match ZoneView::read(&app) {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    let devices_in = |name: &str| {
        counts
            .iter()
            .find(|(z, _)| z == name)
            .map_or(0, |(_, n)| *n)
    };
    let provisional: Vec<&(String, u64)> = counts
        .iter()
        .filter(|(z, _)| !zones.iter().any(|c| &c.name == z))
        .collect();
    layout(
        "Zones",
        Some((&a, "/zones")),
        html! {
            h1 { "Zones and the traffic between them" }
            p {
                "Each row is a zone that opened conversations, each column the zone that answered (IEC 62443 zones and conduits). "
                "Darker cells carried more bytes; open a cell for its conversations. "
                "Addresses outside the hospital are the " code { "internet" } " zone; devices no configured zone spans are in a provisional zone named after their VLAN or /24."
            }
            @if links.is_empty() {
                p.muted { "No conversations stored yet: analyse a capture into this store (" code { "wardline analyze --db" } ")." }
            } @else {
                div.table-wrap { (matrix_svg(&links, &violations)) }
                @if !violations.is_empty() {
                    p {
                        "Outlined in red: crossings no conduit allows, with "
                        a href="/findings?kind=segmentation_violation&status=open" { (violations.iter().map(|v| v.2).sum::<u64>()) " open segmentation findings" }
                        " (the shared rules and the configured " code { "[[conduits]]" } ")."
                    }
                }
            }
            section.card {
                h2 { "Configured zones" }
                @if zones.is_empty() {
                    p.muted { "None: add " code { "[[zones]]" } " to the configuration file and analyse again." }
                } @else {
                    div.table-wrap {
                        table {
                            thead { tr { th { "Zone" } th { "Kind" } th { "VLANs" } th { "Subnets" } th { "Devices" } } }
                            tbody {
                                @for z in &zones {
                                    tr {
                                        td { a href=(query_link("/devices", &[("zone", Some(&z.name))], None)) { (z.name) } }
                                        td { (z.kind.as_str()) }
                                        td { (z.vlans.iter().map(u16::to_string).collect::<Vec<_>>().join(", ")) }
                                        td { (z.subnets.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) }
                                        td { (devices_in(&z.name)) }
                                    }
                                }
                            }
                        }
                    }
                }
                @if !provisional.is_empty() {
                    h3 { "Provisional zones" }
                    ul {
                        @for (z, n) in provisional {
                            li {
                                @if z.is_empty() { "not placed yet" } @else { a href=(query_link("/devices", &[("zone", Some(z))], None)) { (z) } }
                                ": " (n) " devices"
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { "Between zones" }
                div.table-wrap {
                    table {
                        thead { tr { th { "From" } th { "To" } th { "Conversations" } th { "Flows" } th { "Bytes" } th { "Violations" } } }
                        tbody {
                            @for l in links.iter().filter(|l| l.client_zone != l.server_zone) {
                                @let broken = violations.iter().find(|v| v.0 == l.client_zone && v.1 == l.server_zone).map_or(0, |v| v.2);
                                tr {
                                    td { (l.client_zone) " " span.muted { "(" (kind_of(&zones, &l.client_zone)) ")" } }
                                    td { (l.server_zone) " " span.muted { "(" (kind_of(&zones, &l.server_zone)) ")" } }
                                    td { a href=(query_link("/zones/traffic", &[("client_zone", Some(&l.client_zone)), ("server_zone", Some(&l.server_zone))], None)) { (l.conversations) } }
                                    td { (l.flows) }
                                    td { (human_bytes(l.bytes)) }
                                    td { @if broken > 0 { strong { (broken) } } @else { "—" } }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn conversation_table(items: &[store::StoredConversation]) -> Markup {
    let side = |addr: &str, device: &Option<String>| {
        html! {
            @match device {
                Some(d) => { a href={"/devices/" (d)} { (addr) } }
                None => { (addr) }
            }
        }
    };
    html! {
        div.table-wrap {
            table {
                thead { tr { th { "Client" } th { "Zone" } th { "Server" } th { "Zone" } th { "Service" } th { "Protocol" } th { "Flows" } th { "Bytes" } th { "Last seen" } } }
                tbody {
                    @for c in items {
                        tr {
                            td { (side(&c.client_addr, &c.client_device)) }
                            td { (c.client_zone) }
                            td { (side(&c.server_addr, &c.server_device)) }
                            td { (c.server_zone) }
                            td { (c.transport) "/" (c.port) }
                            td { (c.app.as_deref().unwrap_or("—")) }
                            td { (c.flows) }
                            td { (human_bytes(c.bytes)) }
                            td { (stamp(c.last_seen)) }
                        }
                    }
                }
            }
        }
    }
}

/// `/zones/traffic`: the conversations between two zones (or of one device), most bytes first.
pub(super) async fn traffic_page(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    Query(f): Query<TrafficFilter>,
) -> Response {
    let limit = 100;
    let page = match app.store().conversations(&f.query(limit)) {
        Ok(p) => p,
        Err(e) => return store_error(&e),
    };
    let link = |offset| {
        query_link(
            "/zones/traffic",
            &[
                ("client_zone", f.client_zone.as_deref()),
                ("server_zone", f.server_zone.as_deref()),
                ("device", f.device.as_deref()),
            ],
            offset,
        )
    };
    let heading = match (&f.client_zone, &f.server_zone) {
        (Some(c), Some(s)) => format!("Conversations from {c} to {s}"),
        (Some(c), None) => format!("Conversations from {c}"),
        (None, Some(s)) => format!("Conversations to {s}"),
        (None, None) => "Conversations".to_string(),
    };
    layout(
        "Conversations",
        Some((&a, "/zones")),
        html! {
            h1 { (heading) }
            p { a href="/zones" { "Back to the zone map" } " · " (page.total) " conversations, most bytes first." }
            (conversation_table(&page.items))
            (pager(page.total, page.offset, page.limit, link))
        },
    )
}

/// One peer of a device on its map: an address with the device holding it, and what the two
/// said to each other.
struct Peer {
    addr: String,
    device: Option<String>,
    zone: String,
    services: Vec<String>,
    bytes: u64,
    /// The device opened at least one of the conversations.
    outbound: bool,
    /// The peer opened at least one.
    inbound: bool,
}

/// The device's peers (most bytes first), from its busiest conversations.
fn peers(id: &str, conversations: &[store::StoredConversation]) -> Vec<Peer> {
    let mut by_addr: BTreeMap<String, Peer> = BTreeMap::new();
    for c in conversations {
        let outbound = c.client_device.as_deref() == Some(id);
        let (addr, device, zone) = if outbound {
            (&c.server_addr, &c.server_device, &c.server_zone)
        } else {
            (&c.client_addr, &c.client_device, &c.client_zone)
        };
        let p = by_addr.entry(addr.clone()).or_insert_with(|| Peer {
            addr: addr.clone(),
            device: device.clone(),
            zone: zone.clone(),
            services: Vec::new(),
            bytes: 0,
            outbound: false,
            inbound: false,
        });
        let service = match &c.app {
            Some(app) => format!("{app} {}/{}", c.transport, c.port),
            None => format!("{}/{}", c.transport, c.port),
        };
        if !p.services.contains(&service) {
            p.services.push(service);
        }
        p.bytes = p.bytes.saturating_add(c.bytes);
        p.outbound |= outbound;
        p.inbound |= !outbound;
    }
    let mut out: Vec<Peer> = by_addr.into_values().collect();
    out.sort_by(|a, b| b.bytes.cmp(&a.bytes).then_with(|| a.addr.cmp(&b.addr)));
    out
}

/// Peers drawn on the map; the rest are in the table below it.
const MAP_PEERS: usize = 16;

/// The device's peer map (SVG): the device in the middle, its busiest peers around it, an
/// arrow from whichever side opened the conversations, each line as thick as its bytes allow.
pub(super) fn peer_map(id: &str, conversations: &[store::StoredConversation]) -> Markup {
    let all = peers(id, conversations);
    if all.is_empty() {
        return html! { p.muted { "No conversations stored for this device." } };
    }
    let shown = &all[..all.len().min(MAP_PEERS)];
    let (w, h) = (640.0_f64, 420.0_f64);
    let (cx, cy, r) = (w / 2.0, h / 2.0, 160.0);
    let max = shown.iter().map(|p| p.bytes).max().unwrap_or(1).max(1) as f64;
    html! {
        svg.peers role="img" aria-label={"Peers of " (id)} width="100%" viewBox={"0 0 " (w) " " (h)} {
            title { "Peers of " (id) }
            defs {
                marker #arrow viewBox="0 0 10 10" refX="10" refY="5" markerWidth="6" markerHeight="6" orient="auto-start-reverse" {
                    path d="M 0 0 L 10 5 L 0 10 z" fill="#5b6b7f" {}
                }
            }
            @for (i, p) in shown.iter().enumerate() {
                @let angle = std::f64::consts::TAU * (i as f64) / (shown.len() as f64) - std::f64::consts::FRAC_PI_2;
                @let (x, y) = (cx + r * angle.cos(), cy + r * angle.sin());
                @let stroke = 1.0 + 5.0 * ((p.bytes as f64 + 1.0).ln() / (max + 1.0).ln());
                line x1=(format!("{cx:.1}")) y1=(format!("{cy:.1}")) x2=(format!("{x:.1}")) y2=(format!("{y:.1}"))
                    stroke="#5b6b7f" stroke-width=(format!("{stroke:.1}")) stroke-opacity="0.6"
                    marker-end=[p.outbound.then_some("url(#arrow)")] marker-start=[p.inbound.then_some("url(#arrow)")] {
                    title { (p.services.join(", ")) ": " (human_bytes(p.bytes)) }
                }
                @let node = html! {
                    circle cx=(format!("{x:.1}")) cy=(format!("{y:.1}")) r="9" fill=(if p.zone == model::INTERNET_ZONE { "#b54708" } else { "#0b5cad" }) {
                        title { (p.addr) " (" (p.zone) "): " (p.services.join(", ")) }
                    }
                    text x=(format!("{x:.1}")) y=(format!("{:.1}", y + 22.0)) text-anchor="middle" { (p.addr) }
                };
                @match &p.device {
                    Some(d) => { a href={"/devices/" (d)} { (node) } }
                    None => { (node) }
                }
            }
            circle cx=(cx) cy=(cy) r="14" fill="#12233d" {}
            text x=(cx) y=(cy + 32.0) text-anchor="middle" font-weight="bold" { (id) }
        }
        @if all.len() > shown.len() {
            p.muted { "The " (shown.len()) " busiest of " (all.len()) " peers are drawn." }
        }
        div.table-wrap {
            table {
                thead { tr { th { "Peer" } th { "Zone" } th { "Services" } th { "Direction" } th { "Bytes" } } }
                tbody {
                    @for p in &all {
                        tr {
                            td { @match &p.device { Some(d) => { a href={"/devices/" (d)} { (p.addr) } } None => { (p.addr) } } }
                            td { (p.zone) }
                            td { (p.services.join(", ")) }
                            td { (match (p.outbound, p.inbound) { (true, true) => "both ways", (true, false) => "this device opened", _ => "the peer opened" }) }
                            td { (human_bytes(p.bytes)) }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /api/v1/zones`: the configured zones, devices per zone, and the traffic matrix.
pub(super) async fn zones_api(State(app): State<Arc<App>>) -> Response {
    let ZoneView {
        zones,
        links,
        violations,
        counts,
    } = match ZoneView::read(&app) {
        Ok(v) => v,
        Err(e) => return store_failed("reading the zones", &e),
    };
    axum::Json(json!({
        "zones": zones,
        "devices_per_zone": counts.iter().map(|(z, n)| json!({"zone": if z.is_empty() { None } else { Some(z) }, "devices": n})).collect::<Vec<_>>(),
        "matrix": links.iter().map(|l| json!({
            "client_zone": l.client_zone,
            "server_zone": l.server_zone,
            "conversations": l.conversations,
            "flows": l.flows,
            "bytes": l.bytes,
            "open_violations": violations.iter().find(|v| v.0 == l.client_zone && v.1 == l.server_zone).map_or(0, |v| v.2),
        })).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// `GET /api/v1/conversations`: a page of conversations by device and zones.
pub(super) async fn conversations_api(
    State(app): State<Arc<App>>,
    Query(f): Query<TrafficFilter>,
) -> Response {
    let limit = f.limit.unwrap_or(store::DeviceQuery::DEFAULT_LIMIT);
    if limit > store::DeviceQuery::MAX_LIMIT {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("limit is at most {}", store::DeviceQuery::MAX_LIMIT),
        );
    }
    let page = match app.store().conversations(&f.query(limit)) {
        Ok(p) => p,
        Err(e) => return store_failed("listing conversations", &e),
    };
    axum::Json(json!({
        "total": page.total,
        "offset": page.offset,
        "limit": page.limit,
        "items": page.items.iter().map(|c| json!({
            "client_addr": c.client_addr,
            "client_device": c.client_device,
            "client_zone": c.client_zone,
            "server_addr": c.server_addr,
            "server_device": c.server_device,
            "server_zone": c.server_zone,
            "transport": c.transport,
            "port": c.port,
            "app": c.app,
            "flows": c.flows,
            "packets": c.packets,
            "bytes": c.bytes,
            "first_seen": stamp(c.first_seen),
            "last_seen": stamp(c.last_seen),
        })).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// `GET /api/v1/devices/{id}/peers`: the device's peers, most bytes first.
pub(super) async fn peers_api(State(app): State<Arc<App>>, Path(id): Path<String>) -> Response {
    let (device, page) = {
        let store = app.store();
        match (|| {
            Ok::<_, store::StoreError>((
                store.device(&id)?,
                store.conversations(&store::ConversationQuery {
                    device: Some(id.clone()),
                    limit: PEER_CONVERSATIONS,
                    ..store::ConversationQuery::default()
                })?,
            ))
        })() {
            Ok(v) => v,
            Err(e) => return store_failed("reading the device's peers", &e),
        }
    };
    if device.is_none() {
        return error(StatusCode::NOT_FOUND, "no such device");
    }
    axum::Json(json!({
        "device": id,
        "conversations": page.total,
        "peers": peers(&id, &page.items).iter().map(|p| json!({
            "addr": p.addr,
            "device": p.device,
            "zone": p.zone,
            "services": p.services,
            "bytes": p.bytes,
            "device_opened": p.outbound,
            "peer_opened": p.inbound,
        })).collect::<Vec<_>>(),
    }))
    .into_response()
}

/// A device's busiest conversations read for its peer map and peer list.
pub(super) const PEER_CONVERSATIONS: u32 = 500;

#[cfg(test)]
mod tests {
    use super::*;

    fn conv(
        client: &str,
        cdev: Option<&str>,
        server: &str,
        sdev: Option<&str>,
        port: u16,
        bytes: u64,
    ) -> store::StoredConversation {
        store::StoredConversation {
            client_addr: client.into(),
            client_device: cdev.map(Into::into),
            client_zone: "icu".into(),
            server_addr: server.into(),
            server_device: sdev.map(Into::into),
            server_zone: "internet".into(),
            transport: "tcp".into(),
            port,
            app: None,
            flows: 1,
            packets: 1,
            bytes,
            first_seen: model::Timestamp(0),
            last_seen: model::Timestamp(0),
        }
    }

    #[test]
    fn peers_group_by_address_with_direction_and_services() {
        let convs = [
            conv("10.0.0.1", Some("d1"), "8.8.8.8", None, 443, 100),
            conv("10.0.0.1", Some("d1"), "8.8.8.8", None, 53, 10),
            conv("10.0.0.9", Some("d9"), "10.0.0.1", Some("d1"), 22, 500),
        ];
        let p = peers("d1", &convs);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].addr, "10.0.0.9");
        assert!(p[0].inbound && !p[0].outbound);
        assert_eq!(p[1].services, ["tcp/443", "tcp/53"]);
        assert_eq!(p[1].bytes, 110);
        assert!(p[1].outbound);
    }

    #[test]
    fn bytes_read_for_people() {
        assert_eq!(human_bytes(512), "512 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(5 * 1024 * 1024 * 1024), "5.0 GiB");
    }
}
