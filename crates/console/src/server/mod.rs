//! `wardline serve`: the HTTPS console and REST API over the store — so far the sign-in flow
//! (password, then TOTP), sign-out, and the device list behind a full session. Every response
//! carries the security headers (HSTS, a CSP without inline script, frame-ancestors none,
//! nosniff, no referrer). Sign-ins are throttled per account and per source, and every
//! outcome is audited.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::Router;
use axum::extract::{ConnectInfo, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use store::{SqliteStore, Store};

use crate::session::{COOKIE, Session, Sessions, Stage};
use crate::{Permission, Role};

mod network;
mod pages;

/// Where and how to serve.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// The database.
    pub db: PathBuf,
    /// Address to listen on.
    pub listen: SocketAddr,
    /// PEM certificate chain and key; both `None`: a self-signed pair kept beside the store.
    pub tls_cert: Option<PathBuf>,
    pub tls_key: Option<PathBuf>,
    /// The console's address as browsers reach it (`https://host[:port]`): the WebAuthn
    /// relying party (passkeys are bound to its host).
    pub public_url: String,
    /// Session idle and absolute timeouts (at most 30 minutes and 12 hours).
    pub idle_timeout: Duration,
    pub absolute_timeout: Duration,
}

/// Failed sign-ins that lock an account or a source, within [`LOCK_WINDOW`].
const ACCOUNT_FAILURES: u32 = 5;
const SOURCE_FAILURES: u32 = 20;
/// How long failures count, and how long a lock lasts.
const LOCK_WINDOW: Duration = Duration::from_secs(15 * 60);

/// Connections to the store: requests take a free one (SQLite in WAL mode lets readers run
/// side by side and beside a writer), so one slow list does not queue every other request.
const CONNECTIONS: usize = 4;

struct App {
    stores: Vec<Mutex<SqliteStore>>,
    next_store: std::sync::atomic::AtomicUsize,
    sessions: Sessions,
    /// Failures per `account:NAME` and `source:IP`: (count, first failure).
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    /// A hash verified for unknown accounts, so that their answer takes as long.
    decoy: String,
    /// The WebAuthn relying party.
    rp: crate::passkey::RelyingParty,
    /// Devices per category and per vendor, as counted at most [`BREAKDOWN_TTL`] ago (the
    /// dashboard and the device list's filter show them; counting 100,000 devices on every
    /// page would cost more than the page).
    breakdowns: Mutex<HashMap<String, (Instant, Breakdown)>>,
    /// The settings in force, for the settings page.
    settings: Settings,
}

/// What `wardline serve` was started with: shown (never edited) on the settings page, since
/// the configuration file is where they are kept and reviewed.
#[derive(Debug, Clone)]
struct Settings {
    db: PathBuf,
    listen: SocketAddr,
    public_url: String,
    /// The configured certificate, or `None` for the self-signed one beside the store.
    tls_cert: Option<PathBuf>,
    /// SHA-256 of the certificate in use.
    fingerprint: String,
    idle_timeout: Duration,
    absolute_timeout: Duration,
}

/// Devices per shown value of an attribute (`""`: unknown), most first.
type Breakdown = Vec<(String, u64)>;

/// How long a device breakdown is reused.
const BREAKDOWN_TTL: Duration = Duration::from_secs(10);

impl App {
    /// A free connection, or (all busy) the next one in turn.
    fn store(&self) -> std::sync::MutexGuard<'_, SqliteStore> {
        for m in &self.stores {
            match m.try_lock() {
                Ok(g) => return g,
                Err(std::sync::TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(std::sync::TryLockError::WouldBlock) => {}
            }
        }
        let i = self
            .next_store
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            % self.stores.len();
        self.stores[i]
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn audit(&self, actor: &str, source: &str, action: &str, details: serde_json::Value) {
        let at = now_ns();
        if let Err(e) = crate::audit::record(&mut *self.store(), at, actor, source, action, details)
        {
            eprintln!("wardline: audit entry {action} not written: {e}");
        }
    }

    /// Devices per shown value of attribute `name`, counted at most [`BREAKDOWN_TTL`] ago.
    fn breakdown(&self, name: &str) -> Result<Breakdown, store::StoreError> {
        let lock = || {
            self.breakdowns
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        if let Some((at, rows)) = lock().get(name)
            && at.elapsed() < BREAKDOWN_TTL
        {
            return Ok(rows.clone());
        }
        let rows = self.store().device_breakdown(name)?;
        lock().insert(name.to_string(), (Instant::now(), rows.clone()));
        Ok(rows)
    }

    fn locked(&self, key: &str, limit: u32) -> bool {
        let map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        map.get(key)
            .is_some_and(|(n, first)| *n >= limit && first.elapsed() < LOCK_WINDOW)
    }

    fn fail(&self, key: &str) {
        let mut map = self
            .failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let e = map.entry(key.to_string()).or_insert((0, Instant::now()));
        if e.1.elapsed() >= LOCK_WINDOW {
            *e = (0, Instant::now());
        }
        e.0 += 1;
    }

    fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(key);
    }
}

/// The wall clock, in ns since the epoch (TOTP needs the real time).
fn now_ns() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// Serves until interrupted (Ctrl-C or SIGTERM).
pub fn serve(config: &ServeConfig) -> Result<()> {
    let (key, _) = store::Key::resolve(&config.db)
        .with_context(|| format!("opening the key for {}", config.db.display()))?;
    let stores = (0..CONNECTIONS)
        .map(|_| SqliteStore::open(&config.db, &key).map(Mutex::new))
        .collect::<Result<Vec<_>, _>>()?;
    let (cert, key_file) = match (&config.tls_cert, &config.tls_key) {
        (Some(c), Some(k)) => (c.clone(), k.clone()),
        (None, None) => self_signed(&config.db)?,
        _ => anyhow::bail!("give both --tls-cert and --tls-key, or neither"),
    };
    let fingerprint = fingerprint(&cert)?;
    let app = Arc::new(App {
        stores,
        next_store: std::sync::atomic::AtomicUsize::new(0),
        sessions: Sessions::with_timeouts(config.idle_timeout, config.absolute_timeout),
        failures: Mutex::new(HashMap::new()),
        decoy: crate::password::hash("a decoy nobody can sign in with")
            .map_err(|e| anyhow::anyhow!("hashing: {e}"))?,
        rp: crate::passkey::RelyingParty::new(&config.public_url)?,
        breakdowns: Mutex::new(HashMap::new()),
        settings: Settings {
            db: config.db.clone(),
            listen: config.listen,
            public_url: config.public_url.clone(),
            tls_cert: config.tls_cert.clone(),
            fingerprint: fingerprint.clone(),
            idle_timeout: config.idle_timeout,
            absolute_timeout: config.absolute_timeout,
        },
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the server's runtime")?;
    runtime.block_on(async move {
        let tls = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key_file)
            .await
            .with_context(|| format!("reading {} and {}", cert.display(), key_file.display()))?;
        let handle = axum_server::Handle::new();
        let stop = handle.clone();
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.graceful_shutdown(Some(Duration::from_secs(5)));
        });
        eprintln!(
            "wardline: serving https://{} as {} (certificate {}, SHA-256 fingerprint {fingerprint})",
            config.listen,
            config.public_url,
            cert.display()
        );
        axum_server::bind_rustls(config.listen, tls)
            .handle(handle)
            .serve(router(app).into_make_service_with_connect_info::<SocketAddr>())
            .await
            .with_context(|| format!("serving on {}", config.listen))
    })
}

/// Every route, with what it needs: the router is built from this table and the
/// authorization layer reads it, so no route can be added without a permission (the
/// route-level test enumerates it).
pub const ROUTES: &[(&str, &str, Permission, &str)] = &[
    (
        "GET",
        "/",
        Permission::Public,
        "Redirects to the sign-in page",
    ),
    ("GET", "/login", Permission::Public, "The sign-in page"),
    (
        "GET",
        "/static/console.css",
        Permission::Public,
        "The console's stylesheet",
    ),
    (
        "GET",
        "/static/console.js",
        Permission::Public,
        "The console's script",
    ),
    (
        "GET",
        "/enrol",
        Permission::Enrol,
        "The second-factor enrolment page",
    ),
    (
        "GET",
        "/enrol/qr.svg",
        Permission::Enrol,
        "The pending TOTP secret as a QR code",
    ),
    (
        "GET",
        "/dashboard",
        Permission::ReadInventory,
        "Devices by category, vendor, zone, risk and authorization; new findings per day by severity; the newest devices",
    ),
    (
        "GET",
        "/devices",
        Permission::ReadInventory,
        "Devices: search, filters, sort, pages",
    ),
    (
        "GET",
        "/devices.csv",
        Permission::ReadInventory,
        "The filtered device list as CSV (audited export)",
    ),
    (
        "GET",
        "/devices/{id}",
        Permission::ReadInventory,
        "One device with the evidence for each attribute",
    ),
    (
        "GET",
        "/findings",
        Permission::ReadInventory,
        "Findings: filters, pages, bulk triage",
    ),
    (
        "GET",
        "/findings/{id}",
        Permission::ReadInventory,
        "One finding with its evidence and triage history",
    ),
    (
        "GET",
        "/vulnerabilities",
        Permission::ReadInventory,
        "Vulnerabilities, the fix-first list by risk",
    ),
    (
        "GET",
        "/patches",
        Permission::ReadInventory,
        "Patch records",
    ),
    (
        "GET",
        "/compliance",
        Permission::ReadInventory,
        "Findings by HIPAA and IEC 62443 safeguard (printable)",
    ),
    (
        "GET",
        "/compliance.csv",
        Permission::ReadInventory,
        "The compliance view as CSV (audited export)",
    ),
    ("GET", "/audit", Permission::ReadAudit, "The audit log page"),
    ("GET", "/users", Permission::ManageUsers, "The users page"),
    (
        "GET",
        "/zones",
        Permission::ReadInventory,
        "Zones and the zone × zone traffic map",
    ),
    (
        "GET",
        "/zones/traffic",
        Permission::ReadInventory,
        "The conversations between two zones or of one device",
    ),
    (
        "GET",
        "/settings",
        Permission::ManageUsers,
        "The settings in force: sessions, TLS, zones, store",
    ),
    (
        "GET",
        "/account",
        Permission::ReadInventory,
        "Your account: passkeys, signing out everywhere",
    ),
    (
        "POST",
        "/api/v1/session",
        Permission::SignIn,
        "Sign in with {username, password}: the second factors needed and a csrf_token",
    ),
    (
        "POST",
        "/api/v1/session/totp",
        Permission::SignIn,
        "Pass the TOTP {code}: a full session under a new id",
    ),
    (
        "POST",
        "/api/v1/session/recovery",
        Permission::SignIn,
        "Pass a one-time recovery {code} instead of TOTP",
    ),
    (
        "DELETE",
        "/api/v1/session",
        Permission::AnySession,
        "Sign out (X-CSRF-Token)",
    ),
    (
        "DELETE",
        "/api/v1/sessions",
        Permission::AnySession,
        "Sign out everywhere (X-CSRF-Token)",
    ),
    (
        "POST",
        "/api/v1/mfa/totp",
        Permission::Enrol,
        "Start TOTP enrolment: an otpauth:// URI (X-CSRF-Token)",
    ),
    (
        "POST",
        "/api/v1/session/webauthn/start",
        Permission::SignIn,
        "Start signing in with a passkey: WebAuthn request options",
    ),
    (
        "POST",
        "/api/v1/session/webauthn",
        Permission::SignIn,
        "Pass the passkey's assertion: a full session under a new id",
    ),
    (
        "POST",
        "/api/v1/mfa/webauthn/start",
        Permission::OwnFactors,
        "Start adding a passkey: WebAuthn creation options (X-CSRF-Token)",
    ),
    (
        "POST",
        "/api/v1/mfa/webauthn",
        Permission::OwnFactors,
        "Finish adding a passkey {name, credential}; at enrolment, a full session and recovery codes (X-CSRF-Token)",
    ),
    (
        "POST",
        "/api/v1/mfa/totp/confirm",
        Permission::Enrol,
        "Confirm TOTP enrolment with its first {code} (X-CSRF-Token)",
    ),
    (
        "GET",
        "/api/openapi.json",
        Permission::ReadInventory,
        "This API, as an OpenAPI 3.1 document",
    ),
    (
        "GET",
        "/api/v1/devices",
        Permission::ReadInventory,
        "Devices, paged (limit, offset), filtered (q, category, vendor, zone, risk=critical|high|medium|low|none, authorized=listed|unauthorized|unknown), sorted (sort=id|last_seen|first_seen)",
    ),
    (
        "GET",
        "/api/v1/findings",
        Permission::ReadInventory,
        "Findings, most urgent first, paged (limit, offset), by device, kind, status or severity",
    ),
    (
        "GET",
        "/api/v1/findings/{id}",
        Permission::ReadInventory,
        "One finding with its triage status and history",
    ),
    (
        "PATCH",
        "/api/v1/findings/{id}",
        Permission::TriageFindings,
        "Triage one finding: {status?, comment?} (X-CSRF-Token)",
    ),
    (
        "POST",
        "/api/v1/findings/triage",
        Permission::TriageFindings,
        "Triage many findings at once: {ids, status?, comment?} (X-CSRF-Token)",
    ),
    (
        "GET",
        "/api/v1/devices/{id}",
        Permission::ReadInventory,
        "One device with every attribute's evidence",
    ),
    (
        "GET",
        "/api/v1/vulnerabilities",
        Permission::ReadInventory,
        "Affected devices, most urgent first by risk score (the fix-first list), paged, by status",
    ),
    (
        "GET",
        "/api/v1/patches",
        Permission::ReadInventory,
        "Patch records with their transitions, by device",
    ),
    (
        "GET",
        "/api/v1/assets",
        Permission::ReadInventory,
        "The asset list with the device each asset is",
    ),
    (
        "GET",
        "/api/v1/audit",
        Permission::ReadAudit,
        "The audit log, oldest first, paged (limit, offset)",
    ),
    (
        "GET",
        "/api/v1/tokens",
        Permission::ManageUsers,
        "API tokens: name, scopes, expiry, last use (never the token)",
    ),
    (
        "POST",
        "/api/v1/tokens",
        Permission::ManageUsers,
        "Issue an API token {name, scopes, expires_days?}: the token, shown once (X-CSRF-Token)",
    ),
    (
        "DELETE",
        "/api/v1/tokens/{name}",
        Permission::ManageUsers,
        "Revoke an API token (X-CSRF-Token)",
    ),
    (
        "GET",
        "/api/v1/users",
        Permission::ManageUsers,
        "Accounts: role and which factors are set",
    ),
    (
        "GET",
        "/api/v1/zones",
        Permission::ReadInventory,
        "Configured zones, devices per zone, and the zone × zone traffic matrix",
    ),
    (
        "GET",
        "/api/v1/conversations",
        Permission::ReadInventory,
        "Conversations, most bytes first, paged (limit, offset), by device, client_zone, server_zone",
    ),
    (
        "GET",
        "/api/v1/devices/{id}/peers",
        Permission::ReadInventory,
        "The device's peers: address, device, zone, services, bytes, who opened",
    ),
];

fn router(app: Arc<App>) -> Router {
    let mut r: Router<Arc<App>> = Router::new();
    for (method, path, _, _) in ROUTES {
        let handler = match (*method, *path) {
            ("GET", "/") => get(|| async { axum::response::Redirect::to("/dashboard") }),
            ("GET", "/login") => get(pages::login),
            ("GET", "/static/console.css") => get(pages::static_css),
            ("GET", "/static/console.js") => get(pages::static_js),
            ("GET", "/enrol") => get(pages::enrol),
            ("GET", "/enrol/qr.svg") => get(pages::enrol_qr),
            ("GET", "/dashboard") => get(pages::dashboard),
            ("GET", "/devices") => get(pages::devices),
            ("GET", "/devices.csv") => get(pages::devices_csv),
            ("GET", "/devices/{id}") => get(pages::device),
            ("GET", "/findings") => get(pages::findings),
            ("GET", "/findings/{id}") => get(pages::finding),
            ("GET", "/patches") => get(pages::patches),
            ("GET", "/compliance") => get(pages::compliance),
            ("GET", "/compliance.csv") => get(pages::compliance_csv),
            ("GET", "/vulnerabilities") => get(pages::vulnerabilities),
            ("GET", "/api/v1/vulnerabilities") => get(vulnerabilities),
            ("GET", "/api/v1/patches") => get(patches),
            ("GET", "/audit") => get(pages::audit),
            ("GET", "/users") => get(pages::users),
            ("GET", "/zones") => get(network::zones_page),
            ("GET", "/zones/traffic") => get(network::traffic_page),
            ("GET", "/settings") => get(pages::settings),
            ("GET", "/api/v1/zones") => get(network::zones_api),
            ("GET", "/api/v1/conversations") => get(network::conversations_api),
            ("GET", "/api/v1/devices/{id}/peers") => get(network::peers_api),
            ("GET", "/api/v1/findings/{id}") => get(finding),
            ("PATCH", "/api/v1/findings/{id}") => axum::routing::patch(triage_one),
            ("POST", "/api/v1/findings/triage") => post(triage_many),
            ("GET", "/api/v1/devices/{id}") => get(device),
            ("POST", "/api/v1/session") => post(sign_in),
            ("POST", "/api/v1/session/totp") => post(totp),
            ("POST", "/api/v1/session/recovery") => post(recovery),
            ("DELETE", "/api/v1/session") => axum::routing::delete(sign_out),
            ("DELETE", "/api/v1/sessions") => axum::routing::delete(sign_out_everywhere),
            ("POST", "/api/v1/mfa/totp") => post(enrol_totp),
            ("POST", "/api/v1/mfa/totp/confirm") => post(confirm_totp),
            ("POST", "/api/v1/session/webauthn/start") => post(passkey_sign_in_start),
            ("POST", "/api/v1/session/webauthn") => post(passkey_sign_in),
            ("POST", "/api/v1/mfa/webauthn/start") => post(passkey_add_start),
            ("POST", "/api/v1/mfa/webauthn") => post(passkey_add),
            ("GET", "/account") => get(pages::account),
            ("GET", "/api/openapi.json") => get(openapi),
            ("GET", "/api/v1/devices") => get(devices),
            ("GET", "/api/v1/findings") => get(findings),
            ("GET", "/api/v1/assets") => get(assets),
            ("GET", "/api/v1/audit") => get(audit_log),
            ("GET", "/api/v1/users") => get(users),
            ("GET", "/api/v1/tokens") => get(tokens),
            ("POST", "/api/v1/tokens") => post(issue_token),
            ("DELETE", "/api/v1/tokens/{name}") => axum::routing::delete(revoke_token),
            _ => unreachable!("ROUTES names a route with no handler: {method} {path}"),
        };
        r = r.route(path, handler);
    }
    r.route_layer(axum::middleware::from_fn_with_state(app.clone(), authorize))
        .fallback(|| async { error(StatusCode::NOT_FOUND, "no such page") })
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(app)
}

/// The session a request was authorized with (for handlers behind a session).
#[derive(Clone)]
struct Authorized {
    id: String,
    session: Session,
}

/// Checks the route's permission (from [`ROUTES`]) against the request's session: 401
/// without the session it needs, 403 when its role lacks the permission.
async fn authorize(State(app): State<Arc<App>>, mut req: Request, next: Next) -> Response {
    let path = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_default();
    let method = req.method().as_str().to_string();
    let Some(permission) = ROUTES
        .iter()
        .find(|(m, p, _, _)| *m == method && *p == path)
        .map(|(_, _, perm, _)| *perm)
    else {
        return error(StatusCode::NOT_FOUND, "no such page");
    };
    if let Some(bearer) = bearer_token(req.headers()) {
        return match token_authorized(&app, &bearer, &path, permission) {
            Ok(a) => {
                req.extensions_mut().insert(a);
                next.run(req).await
            }
            Err(refusal) => refusal,
        };
    }
    let session = session_id(req.headers()).and_then(|id| {
        let s = app.sessions.get(&id)?;
        Some(Authorized { id, session: s })
    });
    let allowed = match permission {
        Permission::Public | Permission::SignIn => true,
        Permission::AnySession => session.is_some(),
        Permission::Enrol => session
            .as_ref()
            .is_some_and(|a| a.session.stage == Stage::Enrolment),
        Permission::OwnFactors => session
            .as_ref()
            .is_some_and(|a| matches!(a.session.stage, Stage::Enrolment | Stage::Full)),
        _ => match &session {
            Some(a) if a.session.stage == Stage::Full => {
                if !a.session.role.can(permission) {
                    if !path.starts_with("/api/") {
                        return pages::error_page(
                            StatusCode::FORBIDDEN,
                            "your role does not allow this page",
                        );
                    }
                    return error(StatusCode::FORBIDDEN, "your role does not allow this");
                }
                true
            }
            _ => false,
        },
    };
    if !allowed {
        // A page asked for in a browser: to where this session can go next.
        if !path.starts_with("/api/") {
            let to = match &session {
                Some(a) if a.session.stage == Stage::Enrolment => "/enrol",
                _ => "/login",
            };
            return axum::response::Redirect::to(to).into_response();
        }
        return error(StatusCode::UNAUTHORIZED, "sign in with both factors");
    }
    if let Some(a) = session {
        // Every state change behind a session carries the session's CSRF token (the
        // sign-in steps themselves have no session to forge yet).
        if method != "GET"
            && !matches!(permission, Permission::Public | Permission::SignIn)
            && !csrf_ok(req.headers(), &a)
        {
            return error(StatusCode::FORBIDDEN, "missing or wrong X-CSRF-Token");
        }
        req.extensions_mut().insert(a);
    }
    next.run(req).await
}

/// The security headers every response carries (ASVS 5.0 §3.4).
async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    for (name, value) in [
        (
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        ),
        (
            "content-security-policy",
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
        ),
        ("x-content-type-options", "nosniff"),
        ("referrer-policy", "no-referrer"),
        ("x-frame-options", "DENY"),
        ("cache-control", "no-store"),
    ] {
        h.insert(name, HeaderValue::from_static(value));
    }
    res
}

/// A store failure: logged with what was being done, answered 500 without its details.
fn store_failed(what: &str, e: &store::StoreError) -> Response {
    eprintln!("wardline: {what}: {e}");
    error(StatusCode::INTERNAL_SERVER_ERROR, "the store failed")
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, axum::Json(json!({"error": message}))).into_response()
}

fn session_id(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix(&format!("{COOKIE}="))
                .map(str::to_string)
        })
}

fn cookie(id: &str) -> HeaderValue {
    HeaderValue::from_str(&format!(
        "{COOKIE}={id}; Path=/; Secure; HttpOnly; SameSite=Strict"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Deserialize)]
struct SignIn {
    username: String,
    password: String,
}

async fn sign_in(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Json(body): axum::Json<SignIn>,
) -> Response {
    let source = peer.ip().to_string();
    let account_key = format!("account:{}", body.username.to_lowercase());
    let source_key = format!("source:{source}");
    if app.locked(&account_key, ACCOUNT_FAILURES) || app.locked(&source_key, SOURCE_FAILURES) {
        app.audit(
            &body.username,
            &source,
            "login.locked",
            json!({"name": body.username}),
        );
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed sign-ins: try later",
        );
    }
    let user = app.store().user(&body.username).ok().flatten();
    let phc = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| app.decoy.clone());
    let password = body.password;
    // argon2 takes tens of milliseconds: off the async workers.
    let matches = tokio::task::spawn_blocking(move || crate::password::verify(&password, &phc))
        .await
        .unwrap_or(false);
    let user = match user {
        Some(u) if matches && !u.disabled && u.password_hash.is_some() => u,
        other => {
            let reason = match &other {
                None => "unknown user",
                Some(u) if u.disabled => "disabled",
                Some(_) => "wrong password",
            };
            app.fail(&account_key);
            app.fail(&source_key);
            app.audit(
                &body.username,
                &source,
                "login.failure",
                json!({"name": body.username, "reason": reason}),
            );
            return error(StatusCode::UNAUTHORIZED, "wrong user name or password");
        }
    };
    let Ok(role) = user.role.parse::<Role>() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the account's role is unknown",
        );
    };
    let has_passkeys = app
        .store()
        .passkeys(&user.name)
        .is_ok_and(|p| !p.is_empty());
    let has_totp = user.totp_secret.is_some();
    let enrolled = has_totp || has_passkeys;
    let stage = if enrolled {
        Stage::Password
    } else {
        Stage::Enrolment
    };
    let (id, csrf) = app.sessions.start(&user.name, role, stage);
    app.audit(
        &user.name,
        &source,
        "login.password",
        json!({"name": user.name, "second_factor_enrolled": enrolled}),
    );
    let body = if enrolled {
        let mut factors = Vec::new();
        if has_totp {
            factors.push("totp");
        }
        if has_passkeys {
            factors.push("webauthn");
        }
        json!({"second_factors": factors, "csrf_token": csrf})
    } else {
        json!({"second_factors": [], "enrolment_required": true, "csrf_token": csrf})
    };
    ([(header::SET_COOKIE, cookie(&id))], axum::Json(body)).into_response()
}

#[derive(Deserialize)]
struct TotpCode {
    code: String,
}

async fn totp(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<TotpCode>,
) -> Response {
    second_factor(app, peer, &headers, "totp", move |app, user| {
        let now = now_ns().div_euclid(1_000_000_000).max(0) as u64;
        let mut store = app.store();
        match store.user(user).ok().flatten() {
            Some(mut u) if !u.disabled => {
                let step = u.totp_secret.as_deref().and_then(|secret| {
                    crate::totp::accept(secret, &body.code, now, u.totp_last_step)
                });
                let Some(step) = step else {
                    return false;
                };
                u.totp_last_step = Some(step);
                u.updated_at = now_ns();
                store.update_user(&u).is_ok()
            }
            _ => false,
        }
    })
    .await
}

/// A one-time recovery code in place of TOTP (the authenticator lost): used once, audited.
async fn recovery(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(body): axum::Json<TotpCode>,
) -> Response {
    second_factor(app, peer, &headers, "recovery_code", move |app, user| {
        // The hashes are checked (up to ten argon2 runs) without holding the store; marking
        // the one that matched fails if another request used it meanwhile.
        let unused = app.store().recovery_codes(user).unwrap_or_default();
        unused
            .iter()
            .find(|(_, hash)| crate::recovery::matches(&body.code, hash))
            .is_some_and(|(pk, _)| {
                app.store()
                    .mark_recovery_code_used(*pk, now_ns())
                    .unwrap_or(false)
            })
    })
    .await
}

/// The second sign-in step, whatever the factor: a session that has passed the password,
/// the account's lock, `check(app, user)` run off the async workers (argon2 and the store
/// block), then on success the session promoted under a new id, on failure the attempt
/// counted; both audited.
async fn second_factor(
    app: Arc<App>,
    peer: SocketAddr,
    headers: &HeaderMap,
    factor: &'static str,
    check: impl FnOnce(&App, &str) -> bool + Send + 'static,
) -> Response {
    let source = peer.ip().to_string();
    let Some((id, session)) = session_id(headers).and_then(|id| {
        let s = app
            .sessions
            .get(&id)
            .filter(|s| s.stage == Stage::Password)?;
        Some((id, s))
    }) else {
        return error(StatusCode::UNAUTHORIZED, "sign in first");
    };
    let account_key = format!("account:{}", session.user.to_lowercase());
    if app.locked(&account_key, ACCOUNT_FAILURES) {
        app.sessions.end(&id);
        return error(
            StatusCode::TOO_MANY_REQUESTS,
            "too many failed sign-ins: try later",
        );
    }
    let worker = Arc::clone(&app);
    let user = session.user.clone();
    let accepted = tokio::task::spawn_blocking(move || check(&worker, &user))
        .await
        .unwrap_or(false);
    if !accepted {
        app.fail(&account_key);
        app.audit(
            &session.user,
            &source,
            "mfa.failure",
            json!({"name": session.user, "factor": factor}),
        );
        return error(StatusCode::UNAUTHORIZED, "wrong or already used code");
    }
    app.clear(&account_key);
    app.clear(&format!("source:{source}"));
    let Some((new_id, csrf)) = app.sessions.promote(&id, Stage::Full) else {
        return error(StatusCode::UNAUTHORIZED, "sign in first");
    };
    app.audit(
        &session.user,
        &source,
        "login.success",
        json!({"name": session.user, "factor": factor}),
    );
    (
        [(header::SET_COOKIE, cookie(&new_id))],
        axum::Json(json!({"csrf_token": csrf, "role": session.role.as_str()})),
    )
        .into_response()
}

/// Whether a session's request carries its CSRF token (token requests never get here: a
/// bearer header is not sent by browsers on their own, so it needs none).
fn csrf_ok(headers: &HeaderMap, a: &Authorized) -> bool {
    headers.get("x-csrf-token").and_then(|v| v.to_str().ok()) == Some(a.session.csrf.as_str())
}

/// `Authorization: Bearer TOKEN`, when given.
fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_string())
}

/// An API token's request: only under `/api/`, only a live token, only what its scopes
/// grant (401 for a bad token, 403 for a scope it lacks).
fn token_authorized(
    app: &App,
    token: &str,
    path: &str,
    permission: Permission,
) -> Result<Authorized, Response> {
    let refuse = || {
        error(
            StatusCode::UNAUTHORIZED,
            "unknown, expired or revoked token",
        )
    };
    if !path.starts_with("/api/") {
        return Err(refuse());
    }
    let hash = crate::token::digest(token);
    let record = app.store().token_by_hash(&hash).ok().flatten();
    let now = now_ns();
    let Some(t) = record.filter(|t| t.revoked_at.is_none() && t.expires_at.is_none_or(|e| e > now))
    else {
        return Err(refuse());
    };
    if !crate::token::allows(&t.scopes, permission) {
        return Err(error(
            StatusCode::FORBIDDEN,
            "the token's scopes do not allow this",
        ));
    }
    // Last use to the minute: not a store write per request.
    if t.last_used_at.is_none_or(|u| now - u > 60_000_000_000) {
        let _ = app.store().touch_token(&hash, now);
    }
    Ok(Authorized {
        id: String::new(),
        session: Session::for_token(&t.name),
    })
}

fn cleared_cookie() -> HeaderValue {
    HeaderValue::from_static(
        "wardline_session=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0",
    )
}

async fn sign_out(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    end_sessions(&app, peer, &a, false)
}

async fn sign_out_everywhere(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    end_sessions(&app, peer, &a, true)
}

/// Ends this session, or every session of its user; audited.
fn end_sessions(app: &App, peer: SocketAddr, a: &Authorized, everywhere: bool) -> Response {
    let action = if everywhere {
        app.sessions.end_all(&a.session.user);
        "logout.everywhere"
    } else {
        app.sessions.end(&a.id);
        "logout"
    };
    app.audit(
        &a.session.user,
        &peer.ip().to_string(),
        action,
        json!({"name": a.session.user}),
    );
    (
        [(header::SET_COOKIE, cleared_cookie())],
        StatusCode::NO_CONTENT,
    )
        .into_response()
}

/// Starts TOTP enrolment for a signed-in user without a second factor: a fresh secret held
/// in the session, its `otpauth://` URI returned once.
async fn enrol_totp(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let secret = crate::totp::new_secret();
    let uri = crate::totp::enrolment_uri(&secret, &a.session.user);
    app.sessions
        .update(&a.id, |s| s.pending_totp = Some(secret));
    axum::Json(json!({"otpauth_uri": uri})).into_response()
}

/// Confirms enrolment with the first code: the secret is stored, the session becomes full
/// under a new id.
async fn confirm_totp(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::Json(body): axum::Json<TotpCode>,
) -> Response {
    let source = peer.ip().to_string();
    let Some(secret) = a.session.pending_totp.clone() else {
        return error(
            StatusCode::CONFLICT,
            "start enrolment first (POST /api/v1/mfa/totp)",
        );
    };
    let now = now_ns().div_euclid(1_000_000_000).max(0) as u64;
    let Some(step) = crate::totp::accept(&secret, &body.code, now, None) else {
        app.audit(
            &a.session.user,
            &source,
            "mfa.failure",
            json!({"name": a.session.user, "factor": "totp", "enrolment": true}),
        );
        return error(StatusCode::UNAUTHORIZED, "wrong code");
    };
    let stored = {
        let mut store = app.store();
        match store.user(&a.session.user).ok().flatten() {
            Some(mut u) if !u.disabled && u.totp_secret.is_none() => {
                u.totp_secret = Some(secret);
                u.totp_last_step = Some(step);
                u.updated_at = now_ns();
                store.update_user(&u).is_ok()
            }
            _ => false,
        }
    };
    if !stored {
        return error(StatusCode::CONFLICT, "the account cannot enrol now");
    }
    finish_enrolment(
        &app,
        &a,
        &source,
        json!({"name": a.session.user, "factor": "totp"}),
    )
}

/// An account's first second factor is stored: its recovery codes are made (returned once),
/// the session becomes full under a new id, and the enrolment is audited with `details`.
fn finish_enrolment(
    app: &App,
    a: &Authorized,
    source: &str,
    details: serde_json::Value,
) -> Response {
    let saved = crate::recovery::issue().ok().and_then(|(codes, hashes)| {
        app.store()
            .set_recovery_codes(&a.session.user, &hashes)
            .ok()
            .map(|()| codes)
    });
    let Some(codes) = saved else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the recovery codes could not be stored",
        );
    };
    let Some((new_id, csrf)) = app.sessions.promote(&a.id, Stage::Full) else {
        return error(StatusCode::UNAUTHORIZED, "sign in first");
    };
    app.audit(&a.session.user, source, "mfa.enrol", details);
    (
        [(header::SET_COOKIE, cookie(&new_id))],
        axum::Json(
            json!({"csrf_token": csrf, "role": a.session.role.as_str(), "recovery_codes": codes}),
        ),
    )
        .into_response()
}

async fn audit_log(State(app): State<Arc<App>>, Query(q): Query<PageQuery>) -> Response {
    let log = match app.store().audit_log() {
        Ok(l) => l,
        Err(e) => return store_failed("reading the audit log", &e),
    };
    let limit = q.limit.unwrap_or(100).min(10_000) as usize;
    let offset = usize::try_from(q.offset.unwrap_or(0)).unwrap_or(usize::MAX);
    let items: Vec<&store::AuditRecord> = log.entries.iter().skip(offset).take(limit).collect();
    axum::Json(json!({"items": items, "total": log.entries.len()})).into_response()
}

async fn users(State(app): State<Arc<App>>) -> Response {
    let users = match app.store().users() {
        Ok(u) => u,
        Err(e) => return store_failed("reading users", &e),
    };
    let items: Vec<serde_json::Value> = users
        .iter()
        .map(|u| {
            json!({"name": u.name, "role": u.role, "password": u.password_hash.is_some(),
                   "totp": u.totp_secret.is_some(), "disabled": u.disabled})
        })
        .collect();
    axum::Json(json!({"items": items})).into_response()
}

#[derive(Deserialize)]
struct PageQuery {
    limit: Option<u32>,
    offset: Option<u64>,
    q: Option<String>,
    device: Option<String>,
    kind: Option<String>,
    status: Option<String>,
    severity: Option<String>,
    category: Option<String>,
    vendor: Option<String>,
    zone: Option<String>,
    risk: Option<String>,
    authorized: Option<String>,
    sort: Option<String>,
}

fn stamp(t: model::Timestamp) -> String {
    t.rfc3339(model::TsPrecision::Seconds).to_string()
}

async fn findings(State(app): State<Arc<App>>, Query(q): Query<PageQuery>) -> Response {
    let kind = match q.kind.as_deref().map(|k| (k, model::FindingKind::parse(k))) {
        Some((k, None)) => {
            return error(StatusCode::BAD_REQUEST, &format!("no finding kind {k:?}"));
        }
        Some((_, kind)) => kind,
        None => None,
    };
    let severity = match q
        .severity
        .as_deref()
        .map(|s| (s, model::Severity::parse(s)))
    {
        Some((s, None)) => return error(StatusCode::BAD_REQUEST, &format!("no severity {s:?}")),
        Some((_, s)) => s,
        None => None,
    };
    if let Some(s) = &q.status
        && !store::FINDING_STATUSES.contains(&s.as_str())
    {
        return error(StatusCode::BAD_REQUEST, &format!("no finding status {s:?}"));
    }
    let query = store::FindingQuery {
        device: q.device,
        kind,
        status: q.status,
        severity,
        by_risk: false,
        limit: q.limit.unwrap_or(store::DeviceQuery::DEFAULT_LIMIT),
        offset: q.offset.unwrap_or(0),
    };
    let loaded = {
        let store = app.store();
        store.findings(&query).and_then(|page| {
            let ids: Vec<&str> = page.items.iter().map(|f| f.id.0.as_str()).collect();
            let states = store.finding_states(&ids)?;
            Ok((page, states))
        })
    };
    let (page, states) = match loaded {
        Ok(p) => p,
        Err(e) => return store_failed("listing findings", &e),
    };
    let items: Vec<serde_json::Value> = page
        .items
        .iter()
        .map(|f| {
            json!({
                "id": f.id.0, "kind": f.kind.as_str(), "severity": f.severity.as_str(),
                "device": f.device.0, "summary": f.summary, "evidence": f.evidence,
                "first_seen": stamp(f.first_seen), "last_seen": stamp(f.last_seen), "count": f.count,
                "status": states.get(&f.id.0).map_or("open", |s| s.status.as_str()),
            })
        })
        .collect();
    axum::Json(
        json!({"items": items, "total": page.total, "total_exact": page.total_exact, "offset": page.offset, "limit": page.limit}),
    )
    .into_response()
}

async fn assets(State(app): State<Arc<App>>) -> Response {
    let assets = match app.store().assets() {
        Ok(a) => a,
        Err(e) => return store_failed("listing assets", &e),
    };
    let items: Vec<serde_json::Value> = assets
        .iter()
        .map(|s| {
            let a = &s.asset;
            json!({
                "tag": a.tag, "vendor": a.vendor, "model": a.model, "firmware": a.firmware,
                "category": a.category, "department": a.department, "location": a.location,
                "device": s.matched.as_ref().map(|(id, _)| id.0.clone()),
                "last_seen": s.last_seen.map(stamp),
            })
        })
        .collect();
    axum::Json(json!({"items": items})).into_response()
}

/// The OpenAPI 3.1 document, made from [`ROUTES`] (each operation's summary and the
/// permission it needs), so it cannot drift from the router.
async fn openapi() -> Response {
    let mut paths = serde_json::Map::new();
    for (method, path, permission, summary) in ROUTES {
        if !path.starts_with("/api/") {
            continue;
        }
        let entry = paths
            .entry((*path).to_string())
            .or_insert_with(|| json!({}));
        entry[method.to_ascii_lowercase()] = json!({
            "summary": summary,
            "x-wardline-permission": format!("{permission:?}"),
            "responses": {
                "200": {"description": "OK"},
                "401": {"description": "No session, or not the one this route needs"},
                "403": {"description": "The role lacks the permission, or the CSRF token is wrong"}
            }
        });
    }
    axum::Json(json!({
        "openapi": "3.1.0",
        "info": {"title": "wardline API", "version": env!("CARGO_PKG_VERSION")},
        "components": {"securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": COOKIE,
                        "description": "A signed-in person's session; state changes also need the X-CSRF-Token header"},
            "token": {"type": "http", "scheme": "bearer",
                      "description": "A scoped API token (wardline tokens add): read, triage, audit"}
        }},
        "security": [{"session": []}, {"token": []}],
        "paths": paths,
    }))
    .into_response()
}

fn attr_json(a: Option<&model::Attribute>) -> serde_json::Value {
    a.map_or(
        serde_json::Value::Null,
        |a| json!({"value": a.value, "confidence": a.confidence}),
    )
}

async fn devices(State(app): State<Arc<App>>, Query(q): Query<PageQuery>) -> Response {
    let (sort, order) = match q.sort.as_deref() {
        None | Some("id") => (store::DeviceSort::Id, store::SortOrder::Ascending),
        Some("last_seen") => (store::DeviceSort::LastSeen, store::SortOrder::Descending),
        Some("first_seen") => (store::DeviceSort::FirstSeen, store::SortOrder::Descending),
        Some(other) => {
            return error(
                StatusCode::BAD_REQUEST,
                &format!("no sort {other:?}: id, last_seen or first_seen"),
            );
        }
    };
    let risk = match q.risk.as_deref().filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => match store::RiskBand::parse(r) {
            Some(b) => Some(b),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("no risk {r:?}: critical, high, medium, low or none"),
                );
            }
        },
    };
    let authorized = match q.authorized.as_deref().filter(|r| !r.is_empty()) {
        None => None,
        Some(a) => match store::Authorization::parse(a) {
            Some(v) => Some(v),
            None => {
                return error(
                    StatusCode::BAD_REQUEST,
                    &format!("no authorized {a:?}: listed, unauthorized or unknown"),
                );
            }
        },
    };
    let query = store::DeviceQuery {
        text: q.q,
        category: q.category,
        vendor: q.vendor,
        zone: q.zone,
        risk,
        authorized,
        sort,
        order,
        limit: q.limit.unwrap_or(store::DeviceQuery::DEFAULT_LIMIT),
        offset: q.offset.unwrap_or(0),
    };
    let page = match app.store().devices(&query) {
        Ok(p) => p,
        Err(e) => return store_failed("listing devices", &e),
    };
    let items: Vec<serde_json::Value> = page
        .items
        .iter()
        .map(|d| {
            json!({
                "id": d.id.0,
                "vendor": attr_json(d.vendor.as_ref()),
                "category": attr_json(d.category.as_deref()),
                "model": attr_json(d.model.as_deref()),
                "firmware": attr_json(d.firmware.as_deref()),
                "zone": d.zone,
                "ips": d.ips.iter().map(|s| s.addr.to_string()).collect::<Vec<_>>(),
                "first_seen": d.first_seen.rfc3339(model::TsPrecision::Seconds).to_string(),
                "last_seen": d.last_seen.rfc3339(model::TsPrecision::Seconds).to_string(),
            })
        })
        .collect();
    axum::Json(
        json!({"items": items, "total": page.total, "total_exact": page.total_exact, "offset": page.offset, "limit": page.limit}),
    )
    .into_response()
}

/// The self-signed certificate and key beside the store (`<db>.tls/`), made on first use:
/// names `localhost`, `127.0.0.1` and `::1`; the key file 0600.
fn self_signed(db: &Path) -> Result<(PathBuf, PathBuf)> {
    let dir = PathBuf::from(format!("{}.tls", db.display()));
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    if cert.exists() && key.exists() {
        return Ok((cert, key));
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let made = rcgen::generate_simple_self_signed(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])
    .context("making a self-signed certificate")?;
    std::fs::write(&cert, made.cert.pem())
        .with_context(|| format!("writing {}", cert.display()))?;
    write_private(&key, made.signing_key.serialize_pem().as_bytes())?;
    eprintln!(
        "wardline: no certificate configured: made a self-signed one in {}",
        dir.display()
    );
    Ok((cert, key))
}

fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .with_context(|| format!("writing {}", path.display()))
}

/// SHA-256 of the first certificate's DER, as `AB:CD:…`.
fn fingerprint(cert: &Path) -> Result<String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    use sha2::{Digest, Sha256};
    let der = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading {}", cert.display()))?
        .next()
        .with_context(|| format!("{}: no certificate in it", cert.display()))?
        .with_context(|| format!("{}: not PEM", cert.display()))?;
    Ok(Sha256::digest(der.as_ref())
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":"))
}

/// The finding, its triage status and history.
async fn finding(
    State(app): State<Arc<App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let store = app.store();
    let loaded = (|| {
        let Some(f) = store.finding(&id)? else {
            return Ok(None);
        };
        let state = store.finding_states(&[id.as_str()])?.remove(&id);
        let notes = store.finding_notes(&id)?;
        Ok::<_, store::StoreError>(Some((f, state, notes)))
    })();
    drop(store);
    match loaded {
        Ok(Some((f, state, notes))) => axum::Json(json!({
            "id": f.id.0, "kind": f.kind.as_str(), "severity": f.severity.as_str(),
            "device": f.device.0, "summary": f.summary, "evidence": f.evidence,
            "first_seen": stamp(f.first_seen), "last_seen": stamp(f.last_seen), "count": f.count,
            "status": state.as_ref().map_or("open", |s| s.status.as_str()),
            "status_by": state.as_ref().and_then(|s| s.by.clone()),
            "status_at": state.as_ref().and_then(|s| s.at).map(|t| stamp(model::Timestamp(t))),
            "history": notes.iter().map(|n| json!({
                "at": stamp(model::Timestamp(n.at)), "actor": n.actor,
                "from_status": n.from_status, "to_status": n.to_status, "comment": n.comment,
            })).collect::<Vec<_>>(),
        }))
        .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such finding"),
        Err(e) => store_failed("reading finding", &e),
    }
}

#[derive(Deserialize)]
struct Triage {
    status: Option<String>,
    comment: Option<String>,
}

#[derive(Deserialize)]
struct BulkTriage {
    ids: Vec<String>,
    status: Option<String>,
    comment: Option<String>,
}

/// Most findings one bulk request may change.
const MAX_BULK: usize = 1000;

async fn triage_one(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::extract::Path(id): axum::extract::Path<String>,
    axum::Json(body): axum::Json<Triage>,
) -> Response {
    apply_triage(&app, peer, &a, &[id], body.status, body.comment)
}

async fn triage_many(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::Json(body): axum::Json<BulkTriage>,
) -> Response {
    if body.ids.is_empty() || body.ids.len() > MAX_BULK {
        return error(
            StatusCode::BAD_REQUEST,
            &format!("give between 1 and {MAX_BULK} finding ids"),
        );
    }
    apply_triage(&app, peer, &a, &body.ids, body.status, body.comment)
}

/// Triage of one or many findings: one store transaction, audited (the
/// comment's length, never its text, goes to the audit log).
fn apply_triage(
    app: &App,
    peer: SocketAddr,
    a: &Authorized,
    ids: &[String],
    status: Option<String>,
    comment: Option<String>,
) -> Response {
    let status = status.filter(|s| !s.is_empty());
    let comment = comment.filter(|c| !c.trim().is_empty());
    let changes: Vec<store::TriageChange<'_>> = ids
        .iter()
        .map(|id| store::TriageChange {
            finding: id,
            status: status.as_deref(),
            comment: comment.as_deref(),
            actor: &a.session.user,
        })
        .collect();
    let found = match app.store().triage(&changes, now_ns()) {
        Ok(f) => f,
        Err(store::StoreError::InvalidInput { problem, .. }) => {
            let problem = problem
                .rsplit_once(": ")
                .map_or(problem.as_str(), |(_, p)| p)
                .to_string();
            return error(StatusCode::UNPROCESSABLE_ENTITY, &problem);
        }
        Err(e) => return store_failed("triage", &e),
    };
    let missing: Vec<&String> = ids
        .iter()
        .zip(&found)
        .filter(|(_, f)| !**f)
        .map(|(id, _)| id)
        .collect();
    let changed: Vec<&String> = ids
        .iter()
        .zip(&found)
        .filter(|(_, f)| **f)
        .map(|(id, _)| id)
        .collect();
    if !changed.is_empty() {
        app.audit(
            &a.session.user,
            &peer.ip().to_string(),
            "finding.triage",
            json!({"findings": changed, "status": status,
                   "comment_chars": comment.as_deref().map(|c| c.chars().count())}),
        );
    }
    if ids.len() == 1 && !missing.is_empty() {
        return error(StatusCode::NOT_FOUND, "no such finding");
    }
    axum::Json(json!({"changed": changed.len(), "missing": missing})).into_response()
}

/// One device, every attribute with its evidence.
async fn device(
    State(app): State<Arc<App>>,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> Response {
    let loaded = app.store().device(&id);
    match loaded {
        Ok(Some(d)) => axum::Json(json!({
            "id": d.id.0,
            "vendor": attr_full(d.vendor.as_ref()),
            "category": attr_full(d.category.as_deref()),
            "model": attr_full(d.model.as_deref()),
            "os": attr_full(d.os.as_deref()),
            "firmware": attr_full(d.firmware.as_deref()),
            "modality": attr_full(d.modality.as_deref()),
            "macs": d.macs.iter().map(ToString::to_string).collect::<Vec<_>>(),
            "ips": d.ips.iter().map(|s| json!({"addr": s.addr.to_string(),
                "first_seen": stamp(s.first_seen), "last_seen": stamp(s.last_seen)})).collect::<Vec<_>>(),
            "hostnames": d.hostnames.iter().map(|h| h.name.clone()).collect::<Vec<_>>(),
            "services": d.services.iter().map(|s| json!({"transport": s.transport, "port": s.port,
                "app": s.app, "role": s.role, "peers": s.peers})).collect::<Vec<_>>(),
            "software": d.software.iter().map(|s| json!({"product": s.product, "version": s.version,
                "source": s.source})).collect::<Vec<_>>(),
            "findings": d.findings.iter().map(|f| f.0.clone()).collect::<Vec<_>>(),
            "first_seen": stamp(d.first_seen), "last_seen": stamp(d.last_seen),
        }))
        .into_response(),
        Ok(None) => error(StatusCode::NOT_FOUND, "no such device"),
        Err(e) => store_failed("reading device", &e),
    }
}

fn attr_full(a: Option<&model::Attribute>) -> serde_json::Value {
    a.map_or(serde_json::Value::Null, |a| {
        json!({"value": a.value, "confidence": a.confidence,
               "evidence": a.evidence.iter().map(|e| json!({"value": e.value, "source": e.source,
                   "detail": e.detail, "weight": e.weight})).collect::<Vec<_>>()})
    })
}

/// A user's stored passkeys, deserialised (an unreadable one is skipped and reported).
fn user_passkeys(app: &App, user: &str) -> Vec<webauthn_rs::prelude::Passkey> {
    app.store()
        .passkeys(user)
        .unwrap_or_default()
        .iter()
        .filter_map(|r| match serde_json::from_str(&r.passkey) {
            Ok(p) => Some(p),
            Err(e) => {
                eprintln!("wardline: passkey {:?} of {user} unreadable: {e}", r.name);
                None
            }
        })
        .collect()
}

/// Takes the session's WebAuthn ceremony (each challenge answers once).
fn take_ceremony(app: &App, id: &str) -> Option<crate::passkey::Ceremony> {
    let mut out = None;
    app.sessions.update(id, |s| out = s.ceremony.take());
    out
}

/// Sign-in, second step by passkey: the request options for the user's passkeys.
async fn passkey_sign_in_start(State(app): State<Arc<App>>, headers: HeaderMap) -> Response {
    let Some((id, session)) = session_id(&headers).and_then(|id| {
        let s = app
            .sessions
            .get(&id)
            .filter(|s| s.stage == Stage::Password)?;
        Some((id, s))
    }) else {
        return error(StatusCode::UNAUTHORIZED, "sign in first");
    };
    let passkeys = user_passkeys(&app, &session.user);
    if passkeys.is_empty() {
        return error(StatusCode::CONFLICT, "this account has no passkey");
    }
    match app.rp.start_authentication(&passkeys) {
        Ok((options, ceremony)) => {
            app.sessions.update(&id, |s| s.ceremony = Some(ceremony));
            axum::Json(options).into_response()
        }
        Err(e) => {
            eprintln!("wardline: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the passkey sign-in could not start",
            )
        }
    }
}

/// Sign-in, second step by passkey: the authenticator's assertion (user verified).
async fn passkey_sign_in(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    axum::Json(answer): axum::Json<webauthn_rs::prelude::PublicKeyCredential>,
) -> Response {
    let ceremony = session_id(&headers).and_then(|id| take_ceremony(&app, &id));
    second_factor(app, peer, &headers, "webauthn", move |app, user| {
        let Some(ceremony) = ceremony else {
            return false;
        };
        let passkeys = user_passkeys(app, user);
        match app.rp.finish_authentication(&answer, &ceremony, &passkeys) {
            Ok(used) => {
                let json = serde_json::to_string(&used).unwrap_or_default();
                app.store()
                    .update_passkey(&crate::passkey::credential_id(&used), &json, now_ns())
                    .unwrap_or(false)
            }
            Err(e) => {
                eprintln!("wardline: passkey sign-in of {user}: {e}");
                false
            }
        }
    })
    .await
}

/// Adding a passkey (at enrolment, or to a full session): the creation options.
async fn passkey_add_start(
    State(app): State<Arc<App>>,
    axum::Extension(a): axum::Extension<Authorized>,
) -> Response {
    let existing = user_passkeys(&app, &a.session.user);
    match app.rp.start_registration(&a.session.user, &existing) {
        Ok((options, ceremony)) => {
            app.sessions.update(&a.id, |s| s.ceremony = Some(ceremony));
            axum::Json(options).into_response()
        }
        Err(e) => {
            eprintln!("wardline: {e}");
            error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the passkey registration could not start",
            )
        }
    }
}

#[derive(Deserialize)]
struct NewPasskey {
    name: String,
    credential: webauthn_rs::prelude::RegisterPublicKeyCredential,
}

/// Adding a passkey: the authenticator's attestation checked and the passkey stored. At
/// enrolment it is the account's first second factor: recovery codes are made and the
/// session becomes full under a new id, as with TOTP.
async fn passkey_add(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::Json(body): axum::Json<NewPasskey>,
) -> Response {
    let source = peer.ip().to_string();
    let name = body.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 64 {
        return error(
            StatusCode::UNPROCESSABLE_ENTITY,
            "a passkey name has 1 to 64 characters",
        );
    }
    let Some(ceremony) = take_ceremony(&app, &a.id) else {
        return error(
            StatusCode::CONFLICT,
            "start first (POST /api/v1/mfa/webauthn/start)",
        );
    };
    let passkey = match app.rp.finish_registration(&body.credential, &ceremony) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("wardline: passkey registration of {}: {e}", a.session.user);
            app.audit(
                &a.session.user,
                &source,
                "mfa.failure",
                json!({"name": a.session.user, "factor": "webauthn", "enrolment": true}),
            );
            return error(StatusCode::UNPROCESSABLE_ENTITY, "the passkey was refused");
        }
    };
    let record = store::PasskeyRecord {
        user: a.session.user.clone(),
        name: name.clone(),
        credential_id: crate::passkey::credential_id(&passkey),
        passkey: serde_json::to_string(&passkey).unwrap_or_default(),
        created_at: now_ns(),
        last_used_at: None,
    };
    if let Err(e) = app.store().add_passkey(&record) {
        eprintln!("wardline: storing a passkey: {e}");
        return error(StatusCode::CONFLICT, "the passkey could not be stored");
    }
    if a.session.stage == Stage::Full {
        app.audit(
            &a.session.user,
            &source,
            "mfa.add",
            json!({"name": a.session.user, "factor": "webauthn", "passkey": name}),
        );
        return axum::Json(json!({"added": name})).into_response();
    }
    finish_enrolment(
        &app,
        &a,
        &source,
        json!({"name": a.session.user, "factor": "webauthn", "passkey": name}),
    )
}

async fn vulnerabilities(State(app): State<Arc<App>>, Query(q): Query<PageQuery>) -> Response {
    if let Some(s) = &q.status
        && !store::FINDING_STATUSES.contains(&s.as_str())
    {
        return error(StatusCode::BAD_REQUEST, &format!("no finding status {s:?}"));
    }
    let limit = q
        .limit
        .unwrap_or(store::DeviceQuery::DEFAULT_LIMIT)
        .min(store::DeviceQuery::MAX_LIMIT);
    let offset = q.offset.unwrap_or(0);
    match pages::vulnerability_rows(&app, q.status, limit, offset) {
        Ok((rows, total)) => {
            let items: Vec<serde_json::Value> = rows
                .iter()
                .map(|r| {
                    json!({
                        "finding": r.finding.id.0, "device": r.finding.device.0,
                        "advisory": r.advisory, "cves": r.cves, "kev": r.kev,
                        "risk": r.finding.evidence.get("risk"), "match_status": r.match_status,
                        "patch_state": r.patch, "status": r.triage, "summary": r.finding.summary,
                    })
                })
                .collect();
            axum::Json(json!({"items": items, "total": total, "offset": offset, "limit": limit}))
                .into_response()
        }
        Err(e) => store_failed("listing vulnerabilities", &e),
    }
}

async fn patches(State(app): State<Arc<App>>, Query(q): Query<PageQuery>) -> Response {
    match app.store().patch_records(q.device.as_deref()) {
        Ok(records) => axum::Json(json!({"items": records})).into_response(),
        Err(e) => store_failed("listing patches", &e),
    }
}

async fn tokens(State(app): State<Arc<App>>) -> Response {
    match app.store().tokens() {
        Ok(t) => {
            let items: Vec<serde_json::Value> = t
                .iter()
                .map(|t| {
                    let at = |v: Option<i64>| v.map(|t| stamp(model::Timestamp(t)));
                    json!({"name": t.name, "scopes": t.scopes, "created_by": t.created_by,
                           "created_at": stamp(model::Timestamp(t.created_at)),
                           "expires_at": at(t.expires_at), "last_used_at": at(t.last_used_at),
                           "revoked_at": at(t.revoked_at)})
                })
                .collect();
            axum::Json(json!({"items": items})).into_response()
        }
        Err(e) => store_failed("listing tokens", &e),
    }
}

#[derive(Deserialize)]
struct NewToken {
    name: String,
    scopes: serde_json::Value,
    expires_days: Option<u32>,
}

async fn issue_token(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::Json(body): axum::Json<NewToken>,
) -> Response {
    let text = match &body.scopes {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(v) => v
            .iter()
            .filter_map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(","),
        _ => String::new(),
    };
    let scopes = match crate::token::parse_scopes(&text) {
        Ok(s) => s,
        Err(e) => return error(StatusCode::UNPROCESSABLE_ENTITY, &e),
    };
    let now = now_ns();
    let expires_at = body
        .expires_days
        .map(|d| now.saturating_add(i64::from(d) * 86_400_000_000_000));
    let issued = crate::token::issue(
        &mut *app.store(),
        &body.name,
        &scopes,
        expires_at,
        &a.session.user,
        now,
    );
    match issued {
        Ok(token) => {
            app.audit(
                &a.session.user,
                &peer.ip().to_string(),
                "token.add",
                json!({"name": body.name, "scopes": scopes, "expires_days": body.expires_days}),
            );
            axum::Json(json!({"name": body.name, "token": token, "scopes": scopes,
                              "expires_at": expires_at.map(|t| stamp(model::Timestamp(t)))}))
            .into_response()
        }
        Err(e) => error(StatusCode::UNPROCESSABLE_ENTITY, &e),
    }
}

async fn revoke_token(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    axum::Extension(a): axum::Extension<Authorized>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let revoked = app.store().revoke_token(&name, now_ns());
    match revoked {
        Ok(true) => {
            app.audit(
                &a.session.user,
                &peer.ip().to_string(),
                "token.revoke",
                json!({"name": name}),
            );
            StatusCode::NO_CONTENT.into_response()
        }
        Ok(false) => error(StatusCode::NOT_FOUND, "no live token of that name"),
        Err(e) => store_failed("revoking a token", &e),
    }
}
