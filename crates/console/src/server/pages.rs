//! The console's server-rendered pages (maud, escaped by construction). Every list is paged,
//! filtered and sorted in the store; the only script is `/static/console.js`, which sends
//! state changes to the JSON API with the session's CSRF token (from the page's meta tag).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};
use serde::Deserialize;
use store::Store;

use super::{App, Authorized, stamp};
use crate::{Permission, Role};

/// Page size of the console's lists.
const PAGE: u32 = 50;

/// The pages a role sees in the navigation, in order: (path, label, permission).
const NAV: &[(&str, &str, Permission)] = &[
    ("/dashboard", "Dashboard", Permission::ReadInventory),
    ("/devices", "Devices", Permission::ReadInventory),
    ("/findings", "Findings", Permission::ReadInventory),
    (
        "/vulnerabilities",
        "Vulnerabilities",
        Permission::ReadInventory,
    ),
    ("/patches", "Patches", Permission::ReadInventory),
    ("/compliance", "Compliance", Permission::ReadInventory),
    ("/zones", "Zones", Permission::ReadInventory),
    ("/audit", "Audit log", Permission::ReadAudit),
    ("/users", "Users", Permission::ManageUsers),
    ("/settings", "Settings", Permission::ManageUsers),
    ("/account", "Account", Permission::ReadInventory),
];

/// A whole page: head, navigation (for a signed-in user), the body.
pub(super) fn layout(title: &str, who: Option<(&Authorized, &str)>, body: Markup) -> Response {
    let page = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                @if let Some((a, _)) = who {
                    meta name="csrf-token" content=(a.session.csrf);
                }
                title { (title) " — wardline" }
                link rel="stylesheet" href="/static/console.css";
                script src="/static/console.js" defer {}
            }
            body {
                header.top {
                    span.brand { "wardline" }
                    @if let Some((a, current)) = who {
                        nav aria-label="Main" {
                            ul {
                                @for (path, label, permission) in NAV {
                                    @if a.session.role.can(*permission) {
                                        li {
                                            a href=(path) aria-current=[(*path == current).then_some("page")] { (label) }
                                        }
                                    }
                                }
                            }
                        }
                        div.who {
                            span { (a.session.user) " (" (a.session.role.as_str()) ")" }
                            button.secondary #signout type="button" { "Sign out" }
                        }
                    }
                }
                main #main { (body) }
            }
        }
    };
    Html(page.into_string()).into_response()
}

/// An HTML error page.
pub(super) fn error_page(status: StatusCode, message: &str) -> Response {
    let mut r = layout(
        "Error",
        None,
        html! { h1 { (status.as_u16()) " " (status.canonical_reason().unwrap_or("")) } p { (message) } p { a href="/dashboard" { "Back to the dashboard" } } },
    );
    *r.status_mut() = status;
    r
}

pub(super) fn store_error(e: &store::StoreError) -> Response {
    eprintln!("wardline: reading the store: {e}");
    error_page(
        StatusCode::INTERNAL_SERVER_ERROR,
        "the store could not be read",
    )
}

pub(super) async fn static_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        include_str!("../../static/console.css"),
    )
        .into_response()
}

pub(super) async fn static_js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        include_str!("../../static/console.js"),
    )
        .into_response()
}

/// The sign-in page: password, then the second factor the account has.
pub(super) async fn login() -> Response {
    layout(
        "Sign in",
        None,
        html! {
            h1 { "Sign in" }
            form.card #login {
                p.error role="alert" hidden {}
                label for="username" { "User name" }
                input #username name="username" autocomplete="username" required autofocus;
                label for="password" { "Password" }
                input #password name="password" type="password" autocomplete="current-password" required;
                p { button type="submit" { "Continue" } }
            }
            section.card #second-factor hidden {
                h2 { "Second factor" }
                p.error role="alert" hidden {}
                form #totp hidden {
                    p.error role="alert" hidden {}
                    label for="totp-code" { "Code from your authenticator app" }
                    input #totp-code name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required;
                    p { button type="submit" { "Sign in" } }
                }
                p { button.secondary #passkey-signin type="button" hidden { "Use a passkey" } }
                details {
                    summary { "Lost your authenticator?" }
                    form #recovery {
                        p.error role="alert" hidden {}
                        label for="recovery-code" { "One of your recovery codes" }
                        input #recovery-code name="code" autocomplete="off" required;
                        p { button.secondary type="submit" { "Use recovery code" } }
                    }
                }
            }
        },
    )
}

/// Enrolment: a session past the password, without a second factor, reaches only this.
pub(super) async fn enrol(axum::Extension(a): axum::Extension<Authorized>) -> Response {
    layout(
        "Set up a second factor",
        None,
        html! {
            meta name="csrf-token" content=(a.session.csrf);
            h1 { "Set up a second factor" }
            p { "Every account needs a second factor before it can see anything. Choose an authenticator app (TOTP) or a passkey (your device's fingerprint, face or PIN)." }
            section.card #enrol-step1 {
                p.error role="alert" hidden {}
                p { button #enrol-start type="button" { "Use an authenticator app" } }
                p {
                    label for="enrol-passkey-name" { "Passkey name" }
                    input #enrol-passkey-name value="passkey" maxlength="64";
                    " "
                    button.secondary #enrol-passkey type="button" { "Use a passkey" }
                }
            }
            section.card #enrol-step2 hidden {
                h2 { "Scan this code" }
                img.qr #enrol-qr alt="QR code of the authenticator secret";
                p.muted { "Or enter this address in the app:" }
                p { code #enrol-uri {} }
                form #enrol-confirm {
                    p.error role="alert" hidden {}
                    label for="enrol-code" { "The code the app now shows" }
                    input #enrol-code name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9]{6}" required;
                    p { button type="submit" { "Confirm" } }
                }
            }
            section.card #enrol-done hidden {
                h2 { "Recovery codes" }
                p { "Each code signs you in once if you lose your second factor. Keep them somewhere safe: they are shown only now." }
                ul.codes #recovery-codes {}
                p { a.button #enrol-continue href="/dashboard" { "Continue" } }
            }
        },
    )
}

/// The pending TOTP secret of this enrolment as a QR code (SVG), for the authenticator app.
pub(super) async fn enrol_qr(axum::Extension(a): axum::Extension<Authorized>) -> Response {
    let Some(secret) = a.session.pending_totp.as_deref() else {
        return error_page(StatusCode::NOT_FOUND, "no enrolment in progress");
    };
    let uri = crate::totp::enrolment_uri(secret, &a.session.user);
    match qrcode::QrCode::new(uri.as_bytes()) {
        Ok(code) => (
            [(header::CONTENT_TYPE, "image/svg+xml")],
            code.render::<qrcode::render::svg::Color<'_>>()
                .min_dimensions(200, 200)
                .build(),
        )
            .into_response(),
        Err(_) => error_page(StatusCode::INTERNAL_SERVER_ERROR, "the QR code failed"),
    }
}

/// A horizontal bar chart (SVG) of labelled counts.
fn bar_chart(title: &str, rows: &[(String, u64)]) -> Markup {
    let max = rows.iter().map(|r| r.1).max().unwrap_or(1).max(1);
    let height = 22 * rows.len().max(1) + 4;
    html! {
        svg role="img" aria-label=(title) width="100%" height=(height) viewBox={"0 0 420 " (height)} preserveAspectRatio="xMinYMin meet" {
            title { (title) }
            @for (i, (label, n)) in rows.iter().enumerate() {
                @let y = 22 * i + 2;
                @let w = (240.0 * (*n as f64) / (max as f64)).max(1.0);
                text x="0" y=(y + 14) { (if label.is_empty() { "unknown" } else { label.as_str() }) }
                rect x="150" y=(y + 2) width=(format!("{w:.1}")) height="16" fill="#0b5cad" {}
                text x=(format!("{:.1}", 155.0 + w)) y=(y + 14) { (n) }
            }
        }
    }
}

/// A bar chart whose labels link somewhere (a filtered list).
fn linked_bar_chart(title: &str, rows: &[(String, u64)], link: impl Fn(&str) -> String) -> Markup {
    html! {
        (bar_chart(title, rows))
        p.links {
            @for (label, n) in rows {
                @if !label.is_empty() {
                    a href=(link(label)) { (label) " (" (n) ")" } " "
                }
            }
        }
    }
}

/// Colours of the severities in charts (WCAG AA against white for the text beside them).
fn severity_colour(s: &str) -> &'static str {
    match s {
        "critical" => "#7a0916",
        "high" => "#b42318",
        "medium" => "#b54708",
        "low" => "#0b5cad",
        _ => "#5b6b7f",
    }
}

/// One severity's part of a day's bar: top, height, severity, count.
type Segment<'a> = (f64, f64, &'a str, u64);

/// New findings per day as stacked SVG bars, one colour per severity, with a legend.
fn timeline_chart(rows: &[(i64, String, u64)]) -> Markup {
    if rows.is_empty() {
        return html! { p.muted { "No findings yet." } };
    }
    let mut days: Vec<i64> = rows.iter().map(|r| r.0).collect();
    days.dedup();
    let per_day = |d: i64| -> u64 { rows.iter().filter(|r| r.0 == d).map(|r| r.2).sum() };
    let max = days.iter().map(|&d| per_day(d)).max().unwrap_or(1).max(1) as f64;
    let (bar, gap, height) = (18.0_f64, 6.0_f64, 140.0_f64);
    let width = (bar + gap) * days.len() as f64 + 40.0;
    let day_text = |d: i64| {
        model::Timestamp::from_parts(d, 0)
            .rfc3339(model::TsPrecision::Seconds)
            .to_string()
            .chars()
            .take(10)
            .collect::<String>()
    };
    // Per day: its x, and a segment per severity stacked from the bottom (top, height).
    let bars: Vec<(f64, i64, Vec<Segment<'_>>)> = days
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            let x = 30.0 + (bar + gap) * i as f64;
            let mut y = height;
            let mut segments = Vec::new();
            for sev in ["low", "medium", "high", "critical"] {
                let n = rows
                    .iter()
                    .find(|r| r.0 == d && r.1 == sev)
                    .map_or(0, |r| r.2);
                if n > 0 {
                    let h = (height - 10.0) * n as f64 / max;
                    y -= h;
                    segments.push((y, h, sev, n));
                }
            }
            (x, d, segments)
        })
        .collect();
    html! {
        svg role="img" aria-label="New findings per day by severity" width="100%" height=(height + 40.0)
            viewBox={"0 0 " (width) " " (height + 40.0)} preserveAspectRatio="xMinYMin meet" {
            title { "New findings per day by severity" }
            @for (x, d, segments) in &bars {
                @for (top, h, sev, n) in segments {
                    rect x=(format!("{x:.1}")) y=(format!("{top:.1}")) width=(bar) height=(format!("{h:.1}")) fill=(severity_colour(sev)) {
                        title { (day_text(*d)) ": " (n) " " (sev) }
                    }
                }
                text x=(format!("{:.1}", x + bar / 2.0)) y=(height + 14.0) text-anchor="middle" font-size="9" { (day_text(*d).get(5..).unwrap_or("")) }
            }
        }
        p.legend {
            @for sev in ["critical", "high", "medium", "low"] {
                span { svg width="10" height="10" aria-hidden="true" { rect width="10" height="10" fill=(severity_colour(sev)) {} } " " (sev) " " }
            }
        }
    }
}

fn severity_badge(s: &str) -> Markup {
    html! { span class={"sev sev-" (s)} { (s) } }
}

/// The dashboard: devices by category and vendor, findings by severity and status, the
/// devices seen most recently.
pub(super) async fn dashboard(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let (categories, vendors, zones, risk, authorized) = match (|| {
        Ok::<_, store::StoreError>((
            app.breakdown("category")?,
            app.breakdown("vendor")?,
            app.breakdown("zone")?,
            app.breakdown("risk")?,
            app.breakdown("authorized")?,
        ))
    })() {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    let store = app.store();
    let (findings, recent, newest, timeline, total) = match (|| {
        Ok::<_, store::StoreError>((
            store.finding_breakdown()?,
            store.devices(&store::DeviceQuery {
                sort: store::DeviceSort::LastSeen,
                order: store::SortOrder::Descending,
                limit: 10,
                ..store::DeviceQuery::default()
            })?,
            store.devices(&store::DeviceQuery {
                sort: store::DeviceSort::FirstSeen,
                order: store::SortOrder::Descending,
                limit: 10,
                ..store::DeviceQuery::default()
            })?,
            store.finding_timeline(30)?,
            store.device_count()?,
        ))
    })() {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    drop(store);
    let mut by_severity: Vec<(String, HashMap<String, u64>)> = model::Severity::ALL
        .iter()
        .rev()
        .map(|s| (s.as_str().to_string(), HashMap::new()))
        .collect();
    for (sev, status, n) in &findings {
        if let Some((_, m)) = by_severity.iter_mut().find(|(s, _)| s == sev) {
            *m.entry(status.clone()).or_default() += n;
        }
    }
    let open: Vec<(String, u64)> = by_severity
        .iter()
        .map(|(s, m)| (s.clone(), m.get("open").copied().unwrap_or(0)))
        .collect();
    let top_vendors: Vec<(String, u64)> = vendors.into_iter().take(10).collect();
    layout(
        "Dashboard",
        Some((&a, "/dashboard")),
        html! {
            h1 { "Dashboard" }
            p { (total) " devices. " a href="/findings?status=open" { "Open findings" } " by severity below." }
            div.grid {
                section.card {
                    h2 { "Devices by category" }
                    (bar_chart("Devices by category", &categories))
                }
                section.card {
                    h2 { "Devices by vendor (top 10)" }
                    (bar_chart("Devices by vendor", &top_vendors))
                }
                section.card {
                    h2 { "Devices by risk" }
                    (linked_bar_chart("Devices by risk", &risk, |b| query_link("/devices", &[("risk", Some(b))], None)))
                    p.muted { "The highest risk score (0–100) among each device's vulnerabilities not resolved: critical ≥ 80, high ≥ 60, medium ≥ 40." }
                }
                section.card {
                    h2 { "On the asset list" }
                    (linked_bar_chart("Devices by authorization", &authorized, |v| query_link("/devices", &[("authorized", Some(v))], None)))
                }
                section.card {
                    h2 { "Devices by zone" }
                    (bar_chart("Devices by zone", &zones))
                    p { a href="/zones" { "Zones and the traffic between them" } }
                }
                section.card {
                    h2 { "Open findings by severity" }
                    (bar_chart("Open findings by severity", &open))
                    table {
                        thead { tr { th { "Severity" } @for s in store::FINDING_STATUSES { th { (s) } } } }
                        tbody {
                            @for (sev, m) in &by_severity {
                                tr {
                                    td { (severity_badge(sev)) }
                                    @for s in store::FINDING_STATUSES {
                                        td { a href={"/findings?severity=" (sev) "&status=" (s)} { (m.get(s).copied().unwrap_or(0)) } }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            section.card {
                h2 { "New findings per day, by severity" }
                (timeline_chart(&timeline))
            }
            section.card {
                h2 { "Newest devices" }
                (device_table(&newest.items))
            }
            section.card {
                h2 { "Seen most recently" }
                (device_table(&recent.items))
            }
        },
    )
}

fn attr(a: Option<&model::Attribute>) -> Markup {
    match a {
        Some(a) => {
            html! { (a.value) " " span.muted { "(" (format!("{:.0}%", a.confidence * 100.0)) ")" } }
        }
        None => html! { span.muted { "—" } },
    }
}

fn device_table(devices: &[model::Device]) -> Markup {
    html! {
        div.table-wrap {
            table {
                thead { tr { th { "Device" } th { "Category" } th { "Vendor" } th { "Model" } th { "Firmware" } th { "Zone" } th { "Addresses" } th { "Last seen" } } }
                tbody {
                    @for d in devices {
                        tr {
                            td { a href={"/devices/" (d.id.0)} { (d.id.0) } }
                            td { (attr(d.category.as_deref())) }
                            td { (attr(d.vendor.as_ref())) }
                            td { (attr(d.model.as_deref())) }
                            td { (attr(d.firmware.as_deref())) }
                            td { (d.zone.as_deref().unwrap_or("—")) }
                            td { (d.ips.iter().map(|s| s.addr.to_string()).collect::<Vec<_>>().join(", ")) }
                            td { (seen(d.last_seen)) }
                        }
                    }
                }
            }
        }
    }
}

/// The device's vulnerabilities (its `vulnerable` findings), most urgent first by risk score.
fn device_vulnerabilities(
    findings: &[model::Finding],
    states: &HashMap<String, store::FindingTriage>,
) -> Markup {
    let score = |f: &model::Finding| {
        f.evidence
            .get("risk")
            .and_then(|r| r.get("score"))
            .and_then(serde_json::Value::as_f64)
    };
    let mut vulns: Vec<&model::Finding> = findings
        .iter()
        .filter(|f| f.kind == model::FindingKind::Vulnerable)
        .collect();
    vulns.sort_by(|a, b| {
        score(b)
            .unwrap_or(-1.0)
            .total_cmp(&score(a).unwrap_or(-1.0))
            .then_with(|| a.id.cmp(&b.id))
    });
    if vulns.is_empty() {
        return html! { p.muted { "No published advisory matches this device." } };
    }
    let text = |f: &model::Finding, key: &str| {
        f.evidence
            .get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or("—")
            .to_string()
    };
    html! {
        div.table-wrap {
            table {
                thead { tr { th { "Risk" } th { "Advisory" } th { "CVEs" } th { "Match" } th { "KEV" } th { "Triage" } } }
                tbody {
                    @for f in vulns {
                        tr {
                            td { (score(f).map_or("—".to_string(), |s| format!("{s:.0}"))) }
                            td { a href={"/findings/" (f.id.0)} { (text(f, "advisory")) } }
                            td { (f.evidence.get("cves").and_then(serde_json::Value::as_array).map(|c| c.iter().filter_map(serde_json::Value::as_str).collect::<Vec<_>>().join(" ")).unwrap_or_default()) }
                            td { (text(f, "status")) }
                            td { (if f.evidence.get("kev").and_then(serde_json::Value::as_bool) == Some(true) { "yes" } else { "no" }) }
                            td { (states.get(&f.id.0).map_or("open", |s| s.status.as_str())) }
                        }
                    }
                }
            }
        }
    }
}

/// What happened to the device, oldest first: first and last seen, each address first held,
/// each finding first raised, each patch record's transitions.
fn device_timeline(
    d: &model::Device,
    findings: &[model::Finding],
    patches: &[store::PatchRecord],
) -> Markup {
    let mut events: Vec<(i64, String)> = Vec::new();
    if d.first_seen.0 != 0 {
        events.push((d.first_seen.0, "first seen on the wire".into()));
        events.push((d.last_seen.0, "last seen on the wire".into()));
    }
    for s in &d.ips {
        events.push((s.first_seen.0, format!("address {} first held", s.addr)));
    }
    for f in findings {
        events.push((
            f.first_seen.0,
            format!("{} finding: {}", f.kind.as_str(), f.summary),
        ));
    }
    for p in patches {
        for e in &p.events {
            events.push((
                e.at,
                format!(
                    "patch {} for {}: {} → {} by {}",
                    p.state,
                    p.advisory,
                    e.from.as_deref().unwrap_or("—"),
                    e.to,
                    e.actor
                ),
            ));
        }
    }
    events.sort();
    html! {
        @if events.is_empty() { p.muted { "Never seen on the wire." } }
        @else {
            ol.timeline {
                @for (at, what) in &events {
                    li { time { (stamp(model::Timestamp(*at))) } " " (what) }
                }
            }
        }
    }
}

/// A time a device was seen, or "never" (a listed asset not yet seen on the wire).
fn seen(t: model::Timestamp) -> String {
    if t.0 == 0 {
        "never".to_string()
    } else {
        stamp(t)
    }
}

/// Query of the device list (and its CSV export).
#[derive(Deserialize, Default, Clone)]
pub(super) struct DeviceFilter {
    q: Option<String>,
    category: Option<String>,
    vendor: Option<String>,
    zone: Option<String>,
    risk: Option<String>,
    authorized: Option<String>,
    sort: Option<String>,
    offset: Option<u64>,
}

impl DeviceFilter {
    fn query(&self, limit: u32) -> store::DeviceQuery {
        let (sort, order) = match self.sort.as_deref() {
            Some("id") => (store::DeviceSort::Id, store::SortOrder::Ascending),
            Some("first_seen") => (store::DeviceSort::FirstSeen, store::SortOrder::Descending),
            _ => (store::DeviceSort::LastSeen, store::SortOrder::Descending),
        };
        let some = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        store::DeviceQuery {
            text: some(&self.q),
            category: some(&self.category),
            vendor: some(&self.vendor),
            zone: some(&self.zone),
            // An unknown value in a hand-edited address filters nothing rather than failing.
            risk: self.risk.as_deref().and_then(store::RiskBand::parse),
            authorized: self
                .authorized
                .as_deref()
                .and_then(store::Authorization::parse),
            sort,
            order,
            limit,
            offset: self.offset.unwrap_or(0),
        }
    }

    /// The same filter as a query string, at `offset`.
    fn link(&self, base: &str, offset: Option<u64>) -> String {
        query_link(
            base,
            &[
                ("q", self.q.as_deref()),
                ("category", self.category.as_deref()),
                ("vendor", self.vendor.as_deref()),
                ("zone", self.zone.as_deref()),
                ("risk", self.risk.as_deref()),
                ("authorized", self.authorized.as_deref()),
                ("sort", self.sort.as_deref()),
            ],
            offset,
        )
    }
}

/// `base` with the non-empty `params` and a non-zero `offset` as its query string.
pub(super) fn query_link(
    base: &str,
    params: &[(&str, Option<&str>)],
    offset: Option<u64>,
) -> String {
    let mut parts: Vec<String> = params
        .iter()
        .filter_map(|(k, v)| {
            v.filter(|v| !v.is_empty())
                .map(|v| format!("{k}={}", url_encode(v)))
        })
        .collect();
    if let Some(o) = offset.filter(|o| *o > 0) {
        parts.push(format!("offset={o}"));
    }
    if parts.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", parts.join("&"))
    }
}

/// Percent-encodes a query value (RFC 3986 unreserved characters kept).
fn url_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

pub(super) fn pager(
    total: u64,
    offset: u64,
    limit: u32,
    link: impl Fn(Option<u64>) -> String,
) -> Markup {
    pager_counted(total, true, offset, limit, link)
}

/// A pager whose total may be a lower bound (`exact` false: "of 1,100+").
fn pager_counted(
    total: u64,
    exact: bool,
    offset: u64,
    limit: u32,
    link: impl Fn(Option<u64>) -> String,
) -> Markup {
    let end = (offset + u64::from(limit)).min(total);
    html! {
        nav.pager aria-label="Pages" {
            span { @if total == 0 { "None" } @else { (offset + 1) "–" (end) " of " (total) @if !exact { "+" } } }
            @if offset > 0 { a href=(link(Some(offset.saturating_sub(u64::from(limit))))) { "← Previous" } }
            @if end < total { a href=(link(Some(end))) { "Next →" } }
        }
    }
}

/// The device list: search, filters, sort, pages, CSV export.
pub(super) async fn devices(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    Query(f): Query<DeviceFilter>,
) -> Response {
    let query = f.query(PAGE);
    let (categories, zones) = match (|| {
        Ok::<_, store::StoreError>((app.breakdown("category")?, app.breakdown("zone")?))
    })() {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    let page = match app.store().devices(&query) {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    layout(
        "Devices",
        Some((&a, "/devices")),
        html! {
            h1 { "Devices" }
            form.card.filters method="get" action="/devices" role="search" {
                div { label for="q" { "Search (id, MAC, IP, host name)" } input #q name="q" value=[f.q.as_deref()]; }
                div {
                    label for="category" { "Category" }
                    select #category name="category" {
                        option value="" { "any" }
                        @for (c, n) in &categories {
                            @if !c.is_empty() {
                                option value=(c) selected[f.category.as_deref() == Some(c.as_str())] { (c) " (" (n) ")" }
                            }
                        }
                    }
                }
                div { label for="vendor" { "Vendor" } input #vendor name="vendor" value=[f.vendor.as_deref()]; }
                div {
                    label for="zone" { "Zone" }
                    select #zone name="zone" {
                        option value="" { "any" }
                        @for (z, n) in &zones {
                            @if !z.is_empty() {
                                option value=(z) selected[f.zone.as_deref() == Some(z.as_str())] { (z) " (" (n) ")" }
                            }
                        }
                    }
                }
                div {
                    label for="risk" { "Risk" }
                    select #risk name="risk" {
                        option value="" { "any" }
                        @for b in store::RiskBand::ALL {
                            option value=(b.as_str()) selected[f.risk.as_deref() == Some(b.as_str())] { (b.as_str()) }
                        }
                    }
                }
                div {
                    label for="authorized" { "On the asset list" }
                    select #authorized name="authorized" {
                        option value="" { "any" }
                        @for v in store::Authorization::ALL {
                            option value=(v.as_str()) selected[f.authorized.as_deref() == Some(v.as_str())] { (v.as_str()) }
                        }
                    }
                }
                div {
                    label for="sort" { "Sort" }
                    select #sort name="sort" {
                        option value="last_seen" selected[!matches!(f.sort.as_deref(), Some("id" | "first_seen"))] { "last seen, newest first" }
                        option value="first_seen" selected[f.sort.as_deref() == Some("first_seen")] { "first seen, newest first" }
                        option value="id" selected[f.sort.as_deref() == Some("id")] { "id" }
                    }
                }
                div { button type="submit" { "Apply" } " " a.button.secondary href=(f.link("/devices.csv", None)) { "Export CSV" } }
            }
            (pager_counted(page.total, page.total_exact, page.offset, page.limit, |o| f.link("/devices", o)))
            (device_table(&page.items))
            (pager_counted(page.total, page.total_exact, page.offset, page.limit, |o| f.link("/devices", o)))
        },
    )
}

/// A CSV field: quoted when needed (RFC 4180); a leading `=`, `+`, `-` or `@` is prefixed
/// with `'` so that a spreadsheet does not run a device-supplied string as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Every device the filter keeps, as CSV (paged through the store; audited as an export).
pub(super) async fn devices_csv(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
    Query(f): Query<DeviceFilter>,
) -> Response {
    let mut out = String::from(
        "id,category,vendor,model,os,firmware,ips,macs,hostnames,first_seen,last_seen,zone\n",
    );
    let mut query = f.query(store::DeviceQuery::MAX_LIMIT);
    query.offset = 0;
    let mut rows = 0u64;
    loop {
        let page = match app.store().devices(&query) {
            Ok(p) => p,
            Err(e) => return store_error(&e),
        };
        for d in &page.items {
            let v = |x: Option<&model::Attribute>| x.map(|a| a.value.clone()).unwrap_or_default();
            let fields = [
                d.id.0.clone(),
                v(d.category.as_deref()),
                v(d.vendor.as_ref()),
                v(d.model.as_deref()),
                v(d.os.as_deref()),
                v(d.firmware.as_deref()),
                d.ips
                    .iter()
                    .map(|s| s.addr.to_string())
                    .collect::<Vec<_>>()
                    .join(" "),
                d.macs
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(" "),
                d.hostnames
                    .iter()
                    .map(|h| h.name.clone())
                    .collect::<Vec<_>>()
                    .join(" "),
                stamp(d.first_seen),
                stamp(d.last_seen),
                d.zone.clone().unwrap_or_default(),
            ];
            out.push_str(
                &fields
                    .iter()
                    .map(|s| csv_field(s))
                    .collect::<Vec<_>>()
                    .join(","),
            );
            out.push('\n');
        }
        rows += page.items.len() as u64;
        query.offset += page.items.len() as u64;
        if page.items.is_empty() || query.offset >= page.total {
            break;
        }
    }
    app.audit(
        &a.session.user,
        &peer.ip().to_string(),
        "export.devices",
        serde_json::json!({"name": a.session.user, "rows": rows, "filtered": !f.link("", None).is_empty()}),
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"wardline-devices.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}

fn evidence_table(a: &model::Attribute) -> Markup {
    html! {
        @if !a.evidence.is_empty() {
            details {
                summary { (a.evidence.len()) " piece" @if a.evidence.len() != 1 { "s" } " of evidence" }
                table {
                    thead { tr { th { "Says" } th { "Source" } th { "Detail" } th { "Weight" } } }
                    tbody {
                        @for e in &a.evidence {
                            tr {
                                td { (e.value) @if e.value != a.value { " " span.badge { "outweighed" } } }
                                td { (e.source) }
                                td { (e.detail) }
                                td { (format!("{:.2}", e.weight)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// One device: every attribute with its evidence, addresses over time, services, software,
/// findings, patch records.
pub(super) async fn device(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    Path(id): Path<String>,
) -> Response {
    let store = app.store();
    let loaded = (|| {
        let Some(d) = store.device(&id)? else {
            return Ok(None);
        };
        let findings = store.findings(&store::FindingQuery {
            device: Some(id.clone()),
            limit: 200,
            ..store::FindingQuery::default()
        })?;
        let ids: Vec<&str> = findings.items.iter().map(|f| f.id.0.as_str()).collect();
        let states = store.finding_states(&ids)?;
        let patches = store.patch_records(Some(&id))?;
        let conversations = store.conversations(&store::ConversationQuery {
            device: Some(id.clone()),
            limit: super::network::PEER_CONVERSATIONS,
            ..store::ConversationQuery::default()
        })?;
        let standing = (store.device_risk(&id)?, store.device_authorization(&id)?);
        Ok::<_, store::StoreError>(Some((
            d,
            findings,
            states,
            patches,
            conversations,
            standing,
        )))
    })();
    drop(store);
    let (d, findings, states, patches, conversations, (risk, authorization)) = match loaded {
        Ok(Some(v)) => v,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "no such device"),
        Err(e) => return store_error(&e),
    };
    let attributes: [(&str, Option<&model::Attribute>); 6] = [
        ("Category", d.category.as_deref()),
        ("Vendor", d.vendor.as_ref()),
        ("Model", d.model.as_deref()),
        ("OS", d.os.as_deref()),
        ("Firmware", d.firmware.as_deref()),
        ("Modality", d.modality.as_deref()),
    ];
    layout(
        &d.id.0,
        Some((&a, "/devices")),
        html! {
            h1 { "Device " (d.id.0) }
            p.muted { "First seen " (seen(d.first_seen)) ", last seen " (seen(d.last_seen)) "; " (d.packets) " packets, " (d.bytes) " bytes"
                @if let Some(z) = &d.zone { "; zone " a href=(query_link("/devices", &[("zone", Some(z))], None)) { (z) } } "." }
            p {
                "Risk: " strong { (store::RiskBand::of(risk).as_str()) }
                @if let Some(r) = risk { " (highest open risk score " (format!("{r:.0}")) ")" }
                ". Asset list: " strong { (authorization.as_str()) } "."
            }
            section.card {
                h2 { "What it is" }
                table {
                    thead { tr { th { "Attribute" } th { "Value" } th { "Why" } } }
                    tbody {
                        @for (name, value) in attributes {
                            tr {
                                th scope="row" { (name) }
                                td { (attr(value)) }
                                td { @if let Some(v) = value { (evidence_table(v)) } }
                            }
                        }
                    }
                }
            }
            div.grid {
                section.card {
                    h2 { "Addresses" }
                    table {
                        thead { tr { th { "IP" } th { "First seen" } th { "Last seen" } } }
                        tbody { @for s in &d.ips { tr { td { (s.addr) } td { (stamp(s.first_seen)) } td { (stamp(s.last_seen)) } } } }
                    }
                    p { "MAC: " (d.macs.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "))
                        @if d.mac_randomized { " " span.badge { "randomized" } } }
                    @if !d.hostnames.is_empty() { p { "Host names: " (d.hostnames.iter().map(|h| h.name.as_str()).collect::<Vec<_>>().join(", ")) } }
                    @if !d.vlans.is_empty() { p { "VLANs: " (d.vlans.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")) } }
                }
                section.card {
                    h2 { "Services" }
                    table {
                        thead { tr { th { "Port" } th { "Protocol" } th { "Role" } th { "Peers" } } }
                        tbody { @for s in &d.services { tr { td { (s.transport) "/" (s.port) } td { (s.app.as_deref().unwrap_or("—")) } td { (s.role) } td { (s.peers) } } } }
                    }
                }
                section.card {
                    h2 { "Software" }
                    table {
                        thead { tr { th { "Product" } th { "Version" } th { "Seen in" } } }
                        tbody { @for s in &d.software { tr { td { (s.product) } td { (s.version.as_deref().unwrap_or("—")) } td { (s.source) " (" (s.role) ")" } } } }
                    }
                }
            }
            section.card {
                h2 { "Vulnerabilities" }
                (device_vulnerabilities(&findings.items, &states))
            }
            section.card {
                h2 { "Timeline" }
                (device_timeline(&d, &findings.items, &patches))
            }
            section.card {
                h2 { "Peers" }
                (super::network::peer_map(&d.id.0, &conversations.items))
                @if conversations.total > 0 {
                    p { a href=(query_link("/zones/traffic", &[("device", Some(&d.id.0))], None)) { "All " (conversations.total) " conversations" } }
                }
            }
            section.card {
                h2 { "Findings" }
                (finding_table(&findings.items, &states, false))
            }
            section.card {
                h2 { "Patches" }
                @if patches.is_empty() { p.muted { "No patch records." } }
                @else {
                    table {
                        thead { tr { th { "Advisory" } th { "State" } th { "CVEs" } th { "Owner" } th { "Window" } } }
                        tbody {
                            @for p in &patches {
                                tr { td { (p.advisory) } td { (p.state) } td { (p.cves.join(" ")) } td { (p.owner.as_deref().unwrap_or("—")) } td { (p.maintenance_window.as_deref().unwrap_or("—")) } }
                            }
                        }
                    }
                }
            }
        },
    )
}

fn finding_table(
    items: &[model::Finding],
    states: &HashMap<String, store::FindingTriage>,
    selectable: bool,
) -> Markup {
    html! {
        @if items.is_empty() { p.muted { "None." } }
        @else {
            div.table-wrap {
                table {
                    thead {
                        tr {
                            @if selectable { th { label.sr-only for="select-all" { "Select all" } input #select-all type="checkbox"; } }
                            th { "Severity" } th { "Kind" } th { "Device" } th { "Summary" } th { "Last seen" } th { "Count" } th { "Status" }
                        }
                    }
                    tbody {
                        @for f in items {
                            tr {
                                @if selectable { td { input type="checkbox" name="finding" value=(f.id.0) aria-label={"Select finding " (f.id.0)}; } }
                                td { (severity_badge(f.severity.as_str())) }
                                td { (f.kind.as_str()) }
                                td { a href={"/devices/" (f.device.0)} { (f.device.0) } }
                                td { a href={"/findings/" (f.id.0)} { (f.summary) } }
                                td { (stamp(f.last_seen)) }
                                td { (f.count) }
                                td { (states.get(&f.id.0).map_or("open", |s| s.status.as_str())) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Query of the findings list.
#[derive(Deserialize, Default)]
pub(super) struct FindingFilter {
    status: Option<String>,
    severity: Option<String>,
    kind: Option<String>,
    device: Option<String>,
    offset: Option<u64>,
}

impl FindingFilter {
    fn link(&self, offset: Option<u64>) -> String {
        query_link(
            "/findings",
            &[
                ("status", self.status.as_deref()),
                ("severity", self.severity.as_deref()),
                ("kind", self.kind.as_deref()),
                ("device", self.device.as_deref()),
            ],
            offset,
        )
    }
}

fn status_options(selected: Option<&str>, any: &str) -> Markup {
    html! {
        option value="" { (any) }
        @for s in store::FINDING_STATUSES { option value=(s) selected[selected == Some(s)] { (s) } }
    }
}

/// Findings: filters, pages, and (for a role that triages) bulk acknowledge/resolve/comment.
pub(super) async fn findings(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    Query(f): Query<FindingFilter>,
) -> Response {
    let nonempty = |s: &Option<String>| s.as_deref().filter(|s| !s.is_empty()).map(str::to_string);
    let kind = match nonempty(&f.kind) {
        Some(k) => match model::FindingKind::parse(&k) {
            Some(k) => Some(k),
            None => return error_page(StatusCode::BAD_REQUEST, &format!("no finding kind {k:?}")),
        },
        None => None,
    };
    let severity = match nonempty(&f.severity) {
        Some(s) => match model::Severity::parse(&s) {
            Some(s) => Some(s),
            None => return error_page(StatusCode::BAD_REQUEST, &format!("no severity {s:?}")),
        },
        None => None,
    };
    let status = nonempty(&f.status);
    if let Some(s) = &status
        && !store::FINDING_STATUSES.contains(&s.as_str())
    {
        return error_page(StatusCode::BAD_REQUEST, &format!("no status {s:?}"));
    }
    let query = store::FindingQuery {
        device: nonempty(&f.device),
        kind,
        status: status.clone(),
        severity,
        by_risk: false,
        limit: PAGE,
        offset: f.offset.unwrap_or(0),
    };
    let store = app.store();
    let loaded = (|| {
        let page = store.findings(&query)?;
        let ids: Vec<&str> = page.items.iter().map(|f| f.id.0.as_str()).collect();
        let states = store.finding_states(&ids)?;
        Ok::<_, store::StoreError>((page, states))
    })();
    drop(store);
    let (page, states) = match loaded {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    let triage = a.session.role.can(Permission::TriageFindings);
    layout(
        "Findings",
        Some((&a, "/findings")),
        html! {
            h1 { "Findings" }
            form.card.filters method="get" action="/findings" {
                div { label for="f-status" { "Status" } select #f-status name="status" { (status_options(status.as_deref(), "any")) } }
                div {
                    label for="f-severity" { "Severity" }
                    select #f-severity name="severity" {
                        option value="" { "any" }
                        @for s in model::Severity::ALL.iter().rev() { option value=(s.as_str()) selected[severity == Some(*s)] { (s.as_str()) } }
                    }
                }
                div {
                    label for="f-kind" { "Kind" }
                    select #f-kind name="kind" {
                        option value="" { "any" }
                        @for k in model::FindingKind::ALL { option value=(k.as_str()) selected[kind == Some(k)] { (k.as_str()) } }
                    }
                }
                @if let Some(d) = nonempty(&f.device) { input type="hidden" name="device" value=(d); }
                div { button type="submit" { "Apply" } }
            }
            (pager(page.total, page.offset, page.limit, |o| f.link(o)))
            (finding_table(&page.items, &states, triage))
            @if triage && !page.items.is_empty() {
                form.card.filters #bulk-triage {
                    p.error role="alert" hidden {}
                    div { label for="bulk-status" { "Set the selected to" } select #bulk-status name="status" { (status_options(None, "(keep status)")) } }
                    div { label for="bulk-comment" { "Comment" } input #bulk-comment name="comment" maxlength="4000" size="40"; }
                    div { button type="submit" { "Apply to selected" } }
                }
            }
        },
    )
}

/// One finding: its evidence, triage history, and (for a role that triages) the triage form.
pub(super) async fn finding(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    Path(id): Path<String>,
) -> Response {
    let store = app.store();
    let loaded = (|| {
        let Some(f) = store.finding(&id)? else {
            return Ok(None);
        };
        let states = store.finding_states(&[id.as_str()])?;
        let notes = store.finding_notes(&id)?;
        Ok::<_, store::StoreError>(Some((f, states, notes)))
    })();
    drop(store);
    let (f, states, notes) = match loaded {
        Ok(Some(v)) => v,
        Ok(None) => return error_page(StatusCode::NOT_FOUND, "no such finding"),
        Err(e) => return store_error(&e),
    };
    let state = states.get(&id);
    let status = state.map_or("open", |s| s.status.as_str());
    layout(
        "Finding",
        Some((&a, "/findings")),
        html! {
            h1 { (severity_badge(f.severity.as_str())) " " (f.summary) }
            p { "Kind " code { (f.kind.as_str()) } " on " a href={"/devices/" (f.device.0)} { (f.device.0) }
                "; first seen " (stamp(f.first_seen)) ", last seen " (stamp(f.last_seen)) ", " (f.count) " times." }
            p { "Status: " strong { (status) }
                @if let Some(s) = state && let (Some(by), Some(at)) = (&s.by, s.at) { " (by " (by) ", " (stamp(model::Timestamp(at))) ")" } }
            section.card {
                h2 { "Evidence" }
                table { tbody { @for (k, v) in &f.evidence { tr { th scope="row" { (k) } td { code { (v.to_string()) } } } } } }
            }
            section.card {
                h2 { "History" }
                @if notes.is_empty() { p.muted { "No triage yet." } }
                @else {
                    table {
                        thead { tr { th { "When" } th { "Who" } th { "Status" } th { "Comment" } } }
                        tbody {
                            @for n in &notes {
                                tr {
                                    td { (stamp(model::Timestamp(n.at))) }
                                    td { (n.actor) }
                                    td { @if let (Some(from), Some(to)) = (&n.from_status, &n.to_status) { (from) " → " (to) } }
                                    td { (n.comment.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
            }
            @if a.session.role.can(Permission::TriageFindings) {
                form.card #triage data-finding=(f.id.0) {
                    h2 { "Triage" }
                    p.error role="alert" hidden {}
                    label for="t-status" { "Status" }
                    select #t-status name="status" { (status_options(None, "(keep status)")) }
                    label for="t-comment" { "Comment" }
                    textarea #t-comment name="comment" rows="3" cols="60" maxlength="4000" {}
                    p { button type="submit" { "Save" } }
                }
            }
        },
    )
}

/// Patch records of every device.
pub(super) async fn patches(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let records = match app.store().patch_records(None) {
        Ok(r) => r,
        Err(e) => return store_error(&e),
    };
    layout(
        "Patches",
        Some((&a, "/patches")),
        html! {
            h1 { "Patches" }
            @if records.is_empty() { p.muted { "No patch records yet (" code { "wardline patches" } " creates them from matched advisories)." } }
            @else {
                div.table-wrap {
                    table {
                        thead { tr { th { "Device" } th { "Advisory" } th { "State" } th { "CVEs" } th { "Seen version" } th { "Owner" } th { "Window" } th { "Compensating control" } } }
                        tbody {
                            @for p in &records {
                                tr {
                                    td { a href={"/devices/" (p.device)} { (p.device) } }
                                    td { (p.advisory) } td { (p.state) } td { (p.cves.join(" ")) }
                                    td { (p.observed_version.as_deref().unwrap_or("—")) }
                                    td { (p.owner.as_deref().unwrap_or("—")) }
                                    td { (p.maintenance_window.as_deref().unwrap_or("—")) }
                                    td { (p.compensating_control.as_deref().unwrap_or("—")) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// Query of the audit page.
#[derive(Deserialize, Default)]
pub(super) struct Offset {
    offset: Option<u64>,
}

/// The audit log, newest first, with whether its hash chain holds.
pub(super) async fn audit(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    Query(q): Query<Offset>,
) -> Response {
    let log = match app.store().audit_log() {
        Ok(l) => l,
        Err(e) => return store_error(&e),
    };
    let verdict = crate::audit::verify(&log.entries, log.head.as_ref());
    let total = log.entries.len() as u64;
    let offset = q.offset.unwrap_or(0);
    let page: Vec<&store::AuditRecord> = log
        .entries
        .iter()
        .rev()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(PAGE as usize)
        .collect();
    layout(
        "Audit log",
        Some((&a, "/audit")),
        html! {
            h1 { "Audit log" }
            @match &verdict {
                Ok(n) => p { "The hash chain holds over all " (n) " entries." },
                Err(b) => p.error { "The hash chain is broken at entry " (b.seq) ": " (b.what) },
            }
            (pager(total, offset, PAGE, |o| query_link("/audit", &[], o)))
            div.table-wrap {
                table {
                    thead { tr { th { "#" } th { "When" } th { "Who" } th { "From" } th { "Action" } th { "Details" } } }
                    tbody {
                        @for e in page {
                            tr { td { (e.seq) } td { (stamp(model::Timestamp(e.at))) } td { (e.actor) } td { (e.source) } td { code { (e.action) } } td { code { (e.details.to_string()) } } }
                        }
                    }
                }
            }
        },
    )
}

/// Accounts: role, factors, state (admin).
pub(super) async fn users(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let users = match app.store().users() {
        Ok(u) => u,
        Err(e) => return store_error(&e),
    };
    layout(
        "Users",
        Some((&a, "/users")),
        html! {
            h1 { "Users" }
            p.muted { "Accounts are added, disabled and reset with " code { "wardline users" } " on the server." }
            table {
                thead { tr { th { "Name" } th { "Role" } th { "Password" } th { "TOTP" } th { "State" } } }
                tbody {
                    @for u in &users {
                        tr {
                            td { (u.name) }
                            td { (u.role) }
                            td { (if u.password_hash.is_some() { "set" } else { "not set" }) }
                            td { (if u.totp_secret.is_some() { "enrolled" } else { "—" }) }
                            td { (if u.disabled { "disabled" } else { "active" }) }
                        }
                    }
                }
            }
            h2 { "Roles" }
            table {
                thead { tr { th { "Role" } th { "May" } } }
                tbody {
                    @for r in Role::ALL {
                        tr { td { (r.as_str()) } td { (role_summary(r)) } }
                    }
                }
            }
        },
    )
}

/// A duration as people write it in the configuration (`30m`, `12h`, `90s`).
fn duration_text(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s.is_multiple_of(3600) {
        format!("{}h", s / 3600)
    } else if s.is_multiple_of(60) {
        format!("{}m", s / 60)
    } else {
        format!("{s}s")
    }
}

/// The settings in force (admin). They are kept in the configuration file, reviewed and
/// versioned there, and take effect when `wardline serve` starts; this page shows what the
/// running server uses, and where each comes from.
pub(super) async fn settings(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let (zones, schema, devices, tokens) = {
        let store = app.store();
        match (|| {
            Ok::<_, store::StoreError>((
                store.zones()?,
                store.schema_version()?,
                store.device_count()?,
                store.tokens()?,
            ))
        })() {
            Ok(v) => v,
            Err(e) => return store_error(&e),
        }
    };
    let st = &app.settings;
    let active_tokens = tokens.iter().filter(|t| t.revoked_at.is_none()).count();
    layout(
        "Settings",
        Some((&a, "/settings")),
        html! {
            h1 { "Settings" }
            p {
                "Settings live in the configuration file (" code { "wardline serve --config wardline.toml" } "; every key and its default is in the README) "
                "and take effect when the server starts, so each change is reviewed, versioned and visible in one place. This page shows what the running server uses."
            }
            section.card {
                h2 { "Serving" }
                table {
                    tbody {
                        tr { th scope="row" { "Listening on" } td { (st.listen) } td.muted { code { "[serve] listen" } ", " code { "--listen" } } }
                        tr { th scope="row" { "Public URL (passkeys are bound to its host)" } td { (st.public_url) } td.muted { code { "[serve] public_url" } ", " code { "--public-url" } } }
                        tr { th scope="row" { "Certificate" } td { @match &st.tls_cert { Some(p) => { (p.display()) } None => { "self-signed, kept beside the store" } } } td.muted { code { "[serve] tls_cert, tls_key" } } }
                        tr { th scope="row" { "Certificate SHA-256" } td { code { (st.fingerprint) } } td {} }
                    }
                }
            }
            section.card {
                h2 { "Sessions and sign-in" }
                table {
                    tbody {
                        tr { th scope="row" { "Idle timeout" } td { (duration_text(st.idle_timeout)) } td.muted { code { "[serve] idle_timeout" } " (at most 30m)" } }
                        tr { th scope="row" { "Absolute timeout" } td { (duration_text(st.absolute_timeout)) } td.muted { code { "[serve] absolute_timeout" } " (at most 12h)" } }
                        tr { th scope="row" { "Account lockout" } td { (super::ACCOUNT_FAILURES) " failed sign-ins within " (duration_text(super::LOCK_WINDOW)) } td.muted { "fixed" } }
                        tr { th scope="row" { "Source lockout" } td { (super::SOURCE_FAILURES) " failed sign-ins from one address within " (duration_text(super::LOCK_WINDOW)) } td.muted { "fixed" } }
                        tr { th scope="row" { "Second factor" } td { "required for every account: TOTP or a passkey with user verification, plus one-time recovery codes" } td.muted { "fixed" } }
                        tr { th scope="row" { "API tokens" } td { (active_tokens) " active of " (tokens.len()) } td.muted { code { "wardline tokens" } } }
                    }
                }
            }
            section.card {
                h2 { "Zones" }
                @if zones.is_empty() {
                    p.muted { "No zones configured: devices are in provisional zones named after their VLAN or /24. Add " code { "[[zones]]" } " to the configuration and analyse with " code { "--config" } "." }
                } @else {
                    p { (zones.len()) " zones configured (" code { "[[zones]]" } ", kept in the store by the last analysis given them). " a href="/zones" { "The zone map" } }
                }
            }
            section.card {
                h2 { "Store" }
                table {
                    tbody {
                        tr { th scope="row" { "Database" } td { (st.db.display()) } td.muted { "SQLCipher, key from WARDLINE_DB_KEY or the key file beside it" } }
                        tr { th scope="row" { "Schema version" } td { (schema) } td {} }
                        tr { th scope="row" { "Devices" } td { (devices) } td {} }
                    }
                }
            }
        },
    )
}

fn role_summary(r: Role) -> &'static str {
    match r {
        Role::Admin => {
            "manage users and settings; everything the other roles may do, the audit log included"
        }
        Role::Analyst => {
            "triage findings (acknowledge, resolve, comment); read devices, findings, patches"
        }
        Role::Biomed => "read devices, findings, the asset list and patches",
        Role::Auditor => "read everything, the audit log included; change nothing",
    }
}

/// The signed-in user's account: passkeys (and adding one), signing out everywhere.
pub(super) async fn account(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let (user, passkeys) = {
        let store = app.store();
        match (|| {
            Ok::<_, store::StoreError>((
                store.user(&a.session.user)?,
                store.passkeys(&a.session.user)?,
            ))
        })() {
            Ok(v) => v,
            Err(e) => return store_error(&e),
        }
    };
    let totp = user.as_ref().is_some_and(|u| u.totp_secret.is_some());
    layout(
        "Account",
        Some((&a, "/account")),
        html! {
            h1 { "Your account" }
            p { (a.session.user) ", role " (a.session.role.as_str()) ". Authenticator app (TOTP): " (if totp { "enrolled" } else { "not enrolled" }) "." }
            section.card {
                h2 { "Passkeys" }
                @if passkeys.is_empty() { p.muted { "None yet." } }
                @else {
                    table {
                        thead { tr { th { "Name" } th { "Added" } th { "Last used" } } }
                        tbody {
                            @for p in &passkeys {
                                tr { td { (p.name) } td { (stamp(model::Timestamp(p.created_at))) } td { (p.last_used_at.map_or_else(|| "never".to_string(), |t| stamp(model::Timestamp(t)))) } }
                            }
                        }
                    }
                }
                form #add-passkey {
                    p.error role="alert" hidden {}
                    label for="passkey-name" { "Name of the new passkey" }
                    input #passkey-name name="name" value="passkey" maxlength="64" required;
                    " "
                    button type="submit" { "Add a passkey" }
                }
            }
            section.card {
                h2 { "Sessions" }
                p { button.secondary #signout-everywhere type="button" { "Sign out everywhere" } }
            }
        },
    )
}

/// One row of the "fix first" list, from a `vulnerable` finding's evidence.
pub(super) struct VulnRow {
    pub finding: model::Finding,
    pub advisory: String,
    pub cves: Vec<String>,
    pub kev: bool,
    pub risk: Option<u64>,
    pub match_status: String,
    pub triage: String,
    pub patch: Option<String>,
}

/// `vulnerable` findings, most urgent first by risk, with their triage and patch state.
pub(super) fn vulnerability_rows(
    app: &App,
    status: Option<String>,
    limit: u32,
    offset: u64,
) -> Result<(Vec<VulnRow>, u64), store::StoreError> {
    let store = app.store();
    let page = store.findings(&store::FindingQuery {
        kind: Some(model::FindingKind::Vulnerable),
        status,
        by_risk: true,
        limit,
        offset,
        ..store::FindingQuery::default()
    })?;
    let ids: Vec<&str> = page.items.iter().map(|f| f.id.0.as_str()).collect();
    let states = store.finding_states(&ids)?;
    let patches: HashMap<(String, String), String> = store
        .patch_records(None)?
        .into_iter()
        .map(|p| ((p.device, p.advisory), p.state))
        .collect();
    drop(store);
    let rows = page
        .items
        .into_iter()
        .map(|f| {
            let e = &f.evidence;
            let advisory = e
                .get("advisory")
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string();
            VulnRow {
                cves: e
                    .get("cves")
                    .and_then(|v| v.as_array())
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| c.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                kev: e
                    .get("kev")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false),
                risk: e
                    .get("risk")
                    .and_then(|r| r.get("score"))
                    .and_then(serde_json::Value::as_u64),
                match_status: e
                    .get("status")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string(),
                triage: states
                    .get(&f.id.0)
                    .map_or_else(|| "open".to_string(), |s| s.status.clone()),
                patch: patches
                    .get(&(f.device.0.clone(), advisory.clone()))
                    .cloned(),
                advisory,
                finding: f,
            }
        })
        .collect();
    Ok((rows, page.total))
}

/// Vulnerabilities, the "fix first" list: affected devices by risk score.
pub(super) async fn vulnerabilities(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    Query(f): Query<FindingFilter>,
) -> Response {
    let status = f.status.clone().filter(|s| !s.is_empty());
    if let Some(s) = &status
        && !store::FINDING_STATUSES.contains(&s.as_str())
    {
        return error_page(StatusCode::BAD_REQUEST, &format!("no status {s:?}"));
    }
    let offset = f.offset.unwrap_or(0);
    let (rows, total) = match vulnerability_rows(&app, status.clone(), PAGE, offset) {
        Ok(v) => v,
        Err(e) => return store_error(&e),
    };
    let link = |o: Option<u64>| query_link("/vulnerabilities", &[("status", status.as_deref())], o);
    layout(
        "Vulnerabilities",
        Some((&a, "/vulnerabilities")),
        html! {
            h1 { "Vulnerabilities: fix first" }
            p.muted { "Devices an advisory affects, the most urgent first by risk score (CVSS, exploitation in the wild per CISA KEV, EPSS, exposure and the device's clinical criticality; each finding explains its score)." }
            form.card.filters method="get" action="/vulnerabilities" {
                div { label for="v-status" { "Triage status" } select #v-status name="status" { (status_options(status.as_deref(), "any")) } }
                div { button type="submit" { "Apply" } }
            }
            (pager(total, offset, PAGE, link))
            @if rows.is_empty() { p.muted { "None: import advisories (" code { "wardline vulns import" } ") and analyse again." } }
            @else {
                div.table-wrap {
                    table {
                        thead { tr { th { "Risk" } th { "Device" } th { "Advisory" } th { "CVEs" } th { "Match" } th { "Patch" } th { "Triage" } } }
                        tbody {
                            @for r in &rows {
                                tr {
                                    td { (r.risk.map_or_else(|| "—".to_string(), |s| s.to_string())) @if r.kev { " " span.badge.sev-critical { "KEV" } } }
                                    td { a href={"/devices/" (r.finding.device.0)} { (r.finding.device.0) } }
                                    td { a href={"/findings/" (r.finding.id.0)} { (r.advisory) } }
                                    td { (r.cves.join(" ")) }
                                    td { (r.match_status) }
                                    td { (r.patch.as_deref().unwrap_or("no record")) }
                                    td { (r.triage) }
                                }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// One safeguard's row: its findings by status and the devices with open ones.
struct SafeguardRow {
    safeguard: crate::compliance::Safeguard,
    kinds: Vec<model::FindingKind>,
    counts: HashMap<String, u64>,
    devices: u64,
}

fn safeguard_rows(app: &App) -> Result<Vec<SafeguardRow>, store::StoreError> {
    let store = app.store();
    let breakdown = store.finding_kind_breakdown()?;
    let mut rows = Vec::new();
    for safeguard in crate::compliance::all() {
        let kinds = crate::compliance::kinds(&safeguard);
        let names: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
        let mut counts: HashMap<String, u64> = HashMap::new();
        for (kind, status, n, _) in &breakdown {
            if names.contains(&kind.as_str()) {
                *counts.entry(status.clone()).or_default() += n;
            }
        }
        let devices = store.devices_with_findings(&names, "open")?;
        rows.push(SafeguardRow {
            safeguard,
            kinds,
            counts,
            devices,
        });
    }
    Ok(rows)
}

/// The compliance view: findings mapped to HIPAA §164.312 (and §164.308/§164.310 where they
/// belong) and IEC 62443 requirements; printable, and exportable as CSV.
pub(super) async fn compliance(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let rows = match safeguard_rows(&app) {
        Ok(r) => r,
        Err(e) => return store_error(&e),
    };
    layout(
        "Compliance",
        Some((&a, "/compliance")),
        html! {
            h1 { "Compliance: findings by safeguard" }
            p.muted { "Each kind of finding is mapped to the safeguards it bears on (a finding may count under several). Print this page for a PDF, or " a href="/compliance.csv" { "export it as CSV" } "." }
            div.table-wrap {
                table {
                    thead { tr { th { "Framework" } th { "Requirement" } th { "Safeguard" } th { "Finding kinds" } th { "Open" } th { "Acknowledged" } th { "Resolved" } th { "Devices with open findings" } } }
                    tbody {
                        @for r in &rows {
                            tr {
                                td { (r.safeguard.framework) }
                                td { (r.safeguard.requirement) }
                                td { (r.safeguard.title) }
                                td { @for (i, k) in r.kinds.iter().enumerate() { @if i > 0 { ", " } a href={"/findings?kind=" (k.as_str())} { (k.as_str()) } } }
                                @for s in store::FINDING_STATUSES { td { (r.counts.get(s).copied().unwrap_or(0)) } }
                                td { (r.devices) }
                            }
                        }
                    }
                }
            }
        },
    )
}

/// The compliance view as CSV (audited as an export).
pub(super) async fn compliance_csv(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<std::net::SocketAddr>,
) -> Response {
    let rows = match safeguard_rows(&app) {
        Ok(r) => r,
        Err(e) => return store_error(&e),
    };
    let mut out = String::from(
        "framework,requirement,safeguard,finding_kinds,open,acknowledged,resolved,devices_with_open_findings\n",
    );
    for r in &rows {
        let kinds: Vec<&str> = r.kinds.iter().map(|k| k.as_str()).collect();
        let fields = [
            r.safeguard.framework.to_string(),
            r.safeguard.requirement.to_string(),
            r.safeguard.title.to_string(),
            kinds.join(" "),
            r.counts.get("open").copied().unwrap_or(0).to_string(),
            r.counts
                .get("acknowledged")
                .copied()
                .unwrap_or(0)
                .to_string(),
            r.counts.get("resolved").copied().unwrap_or(0).to_string(),
            r.devices.to_string(),
        ];
        out.push_str(
            &fields
                .iter()
                .map(|s| csv_field(s))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push('\n');
    }
    app.audit(
        &a.session.user,
        &peer.ip().to_string(),
        "export.compliance",
        serde_json::json!({"name": a.session.user, "rows": rows.len()}),
    );
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"wardline-compliance.csv\"",
            ),
        ],
        out,
    )
        .into_response()
}
