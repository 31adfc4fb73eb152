//! `wardline serve` (issue: console and API), against the real server over HTTPS with its
//! self-signed certificate: the JSON sign-in flow (password, then TOTP), the security
//! headers, a pending session refused what needs both factors, a TOTP code refused on replay,
//! the session id rotated at the second factor, CSRF on sign-out, the account lockout, and
//! every outcome in the audit log.

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::wardline;

const DB_KEY: &str = "7365727665546573744b6579466f725468697354657374496e76656e74656421";

fn run(args: &[&str], stdin: &str) -> String {
    common::run_keyed(DB_KEY, args, stdin)
}

use common::Running as Server;

fn start(db: &Path) -> (Server, u16) {
    start_with(db, false)
}

/// Starts `wardline serve` on a free port, given by `--listen` or, with `via_config`, by a
/// configuration file's `[serve] listen`.
fn start_with(db: &Path, via_config: bool) -> (Server, u16) {
    let port = common::free_port();
    let mut cmd = wardline();
    cmd.env("WARDLINE_DB_KEY", DB_KEY).arg("serve");
    if via_config {
        let config = db.with_extension("toml");
        std::fs::write(&config, format!("[serve]\nlisten = \"127.0.0.1:{port}\"\n"))
            .expect("write the configuration");
        cmd.arg("--config").arg(config);
    } else {
        cmd.args(["--listen", &format!("127.0.0.1:{port}")]);
    }
    let child = cmd
        .arg("--db")
        .arg(db)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start wardline serve");
    let server = Server(child);
    common::wait_listening(port, "wardline serve");
    (server, port)
}

/// An HTTPS client that trusts only the server's own certificate and reads error statuses.
fn client(cert: &Path) -> ureq::Agent {
    let pem = std::fs::read(cert).expect("the certificate beside the store");
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|i| match i.expect("PEM") {
            ureq::tls::PemItem::Certificate(c) => Some(c),
            _ => None,
        })
        .collect();
    let tls = ureq::tls::TlsConfig::builder()
        .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
        .build();
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .tls_config(tls)
            .http_status_as_error(false)
            .max_redirects(0)
            // A fresh connection per request: the server may close a connection after
            // refusing a request whose body it did not read, and a pooled connection reused
            // at that moment fails ("peer disconnected") without a retry.
            .max_idle_connections_per_host(0)
            .build(),
    )
}

struct Reply {
    status: u16,
    cookie: Option<String>,
    headers: Vec<(String, String)>,
    body: serde_json::Value,
    text: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn reply(mut r: ureq::http::Response<ureq::Body>) -> Reply {
    let cookie = r
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::to_string);
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or_default().to_string()))
        .collect();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        cookie,
        headers,
        body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        text,
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[test]
fn a_person_signs_in_with_password_and_totp_and_everything_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let d = db.to_str().unwrap();
    let uri = run(
        &[
            "users",
            "add",
            "ann",
            "--role",
            "biomed",
            "--db",
            d,
            "--password-stdin",
            "--enroll-totp",
        ],
        "correct horse battery staple\n",
    );
    run(
        &[
            "users",
            "add",
            "bob",
            "--role",
            "auditor",
            "--db",
            d,
            "--password-stdin",
            "--enroll-totp",
        ],
        "quiet river under maple\n",
    );
    let csv = dir.path().join("assets.csv");
    std::fs::write(
        &csv,
        "Asset Tag,Manufacturer,Model\nPUMP-1,BD,Alaris 8015\nMON-1,Philips,IntelliVue MX450\n",
    )
    .unwrap();
    run(
        &[
            "assets",
            "import",
            csv.to_str().unwrap(),
            "--db",
            d,
            "--format",
            "json",
        ],
        "",
    );

    let (_server, port) = start(&db);
    let cert = dir.path().join("w.db.tls/cert.pem");
    let http = client(&cert);
    let url = |p: &str| format!("https://127.0.0.1:{port}{p}");
    let post = |path: &str, cookie: Option<&str>, body: serde_json::Value| {
        let mut req = http
            .post(&url(path))
            .header("content-type", "application/json");
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        reply(req.send(body.to_string()).expect("request"))
    };
    let get = |path: &str, cookie: Option<&str>| {
        let mut req = http.get(&url(path));
        if let Some(c) = cookie {
            req = req.header("cookie", c);
        }
        reply(req.call().expect("request"))
    };

    // Anonymous: only the sign-in page; every answer carries the security headers.
    let anon = get("/api/v1/devices", None);
    assert_eq!(anon.status, 401);
    let header = |r: &Reply, name: &str| {
        r.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    assert!(header(&anon, "strict-transport-security").contains("max-age="));
    assert!(header(&anon, "content-security-policy").contains("frame-ancestors 'none'"));
    assert!(!header(&anon, "content-security-policy").contains("unsafe-inline"));
    assert_eq!(header(&anon, "x-content-type-options"), "nosniff");
    assert_eq!(get("/login", None).status, 200);

    // A wrong password, then the right one: a pending session that lists nothing yet.
    let wrong = post(
        "/api/v1/session",
        None,
        serde_json::json!({"username": "ann", "password": "not the password"}),
    );
    assert_eq!(wrong.status, 401);
    let first = post(
        "/api/v1/session",
        None,
        serde_json::json!({"username": "ann", "password": "correct horse battery staple"}),
    );
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.body["second_factors"], serde_json::json!(["totp"]));
    let pending = first.cookie.expect("a session cookie");
    let set_cookie = http
        .post(&url("/api/v1/session"))
        .header("content-type", "application/json")
        .send(
            serde_json::json!({"username": "ann", "password": "correct horse battery staple"})
                .to_string(),
        )
        .expect("request");
    let flags = set_cookie
        .headers()
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    assert!(
        flags.contains("Secure") && flags.contains("HttpOnly") && flags.contains("SameSite=Strict"),
        "{flags}"
    );
    assert_eq!(
        get("/api/v1/devices", Some(&pending)).status,
        401,
        "one factor is not enough"
    );

    // A wrong code, then the right one: a new session id, the old one dead.
    assert_eq!(
        post(
            "/api/v1/session/totp",
            Some(&pending),
            serde_json::json!({"code": "000000"})
        )
        .status,
        401
    );
    let code = console::totp::code_from_uri(uri.lines().next().unwrap_or_default(), now())
        .expect("a code from the URI");
    let full = post(
        "/api/v1/session/totp",
        Some(&pending),
        serde_json::json!({"code": code}),
    );
    assert_eq!(full.status, 200, "{}", full.body);
    let session = full.cookie.expect("a rotated session cookie");
    assert_ne!(session, pending);
    assert_eq!(
        get("/api/v1/devices", Some(&pending)).status,
        401,
        "the pre-MFA id is dead"
    );
    let csrf = full.body["csrf_token"]
        .as_str()
        .expect("a CSRF token")
        .to_string();
    let devices = get("/api/v1/devices?limit=10", Some(&session));
    assert_eq!(devices.status, 200);
    assert_eq!(devices.body["total"], 2, "{}", devices.body);
    let assets = get("/api/v1/assets", Some(&session));
    let tags: Vec<&str> = assets.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|a| a["tag"].as_str().unwrap())
        .collect();
    assert_eq!(tags.len(), 2, "{}", assets.body);
    assert!(tags.contains(&"PUMP-1") && tags.contains(&"MON-1"));
    let findings = get("/api/v1/findings?limit=5", Some(&session));
    assert_eq!(findings.status, 200);
    assert!(findings.body["total"].is_u64(), "{}", findings.body);
    assert_eq!(
        get("/api/v1/findings?kind=nonsense", Some(&session)).status,
        400
    );
    let api = get("/api/openapi.json", Some(&session));
    assert_eq!(api.body["openapi"], "3.1.0");
    for (method, path, _, _) in console::server::ROUTES
        .iter()
        .filter(|r| r.1.starts_with("/api/"))
    {
        assert!(
            api.body["paths"][path][method.to_ascii_lowercase()]["summary"].is_string(),
            "{method} {path} missing from the OpenAPI document"
        );
    }

    // The same code again, in a new sign-in: refused as a replay.
    let again = post(
        "/api/v1/session",
        None,
        serde_json::json!({"username": "ann", "password": "correct horse battery staple"}),
    );
    let replay = post(
        "/api/v1/session/totp",
        again.cookie.as_deref(),
        serde_json::json!({"code": code}),
    );
    assert_eq!(replay.status, 401, "a used code");

    // A recovery code stands in for the authenticator once, and only once.
    let recovery: Vec<&str> = uri
        .lines()
        .filter_map(|l| l.strip_prefix("recovery-code "))
        .collect();
    assert_eq!(recovery.len(), 10, "{uri}");
    let pw = serde_json::json!({"username": "ann", "password": "correct horse battery staple"});
    let lost = post("/api/v1/session", None, pw.clone());
    let rescued = post(
        "/api/v1/session/recovery",
        lost.cookie.as_deref(),
        serde_json::json!({"code": recovery[0].to_lowercase()}),
    );
    assert_eq!(rescued.status, 200, "{}", rescued.body);
    assert_eq!(
        get("/api/v1/devices", rescued.cookie.as_deref()).status,
        200
    );
    let again = post("/api/v1/session", None, pw);
    let reused = post(
        "/api/v1/session/recovery",
        again.cookie.as_deref(),
        serde_json::json!({"code": recovery[0]}),
    );
    assert_eq!(reused.status, 401, "a used recovery code");

    // Sign-out needs the CSRF token.
    let mut out = http
        .delete(&url("/api/v1/session"))
        .header("cookie", &session);
    assert_eq!(reply(out.call().expect("request")).status, 403);
    out = http
        .delete(&url("/api/v1/session"))
        .header("cookie", &session)
        .header("x-csrf-token", &csrf);
    assert_eq!(reply(out.call().expect("request")).status, 204);
    assert_eq!(get("/api/v1/devices", Some(&session)).status, 401);

    // Five wrong passwords lock the account, even against the right one.
    for _ in 0..5 {
        assert_eq!(
            post(
                "/api/v1/session",
                None,
                serde_json::json!({"username": "bob", "password": "guessing wrong again"})
            )
            .status,
            401
        );
    }
    assert_eq!(
        post(
            "/api/v1/session",
            None,
            serde_json::json!({"username": "bob", "password": "quiet river under maple"})
        )
        .status,
        429
    );

    // Every outcome is in the audit log, whose chain holds; no password is in it.
    let log = run(&["audit", "list", "--db", d, "--format", "json"], "");
    for action in [
        "login.failure",
        "login.password",
        "mfa.failure",
        "login.success",
        "logout",
        "login.locked",
    ] {
        assert!(
            log.contains(&format!("\"{action}\"")),
            "{action} not audited: {log}"
        );
    }
    assert!(!log.contains("correct horse") && !log.contains("guessing wrong"));
    assert!(run(&["audit", "verify", "--db", d], "").contains("intact"));
}

/// Sends one request; `csrf` as `X-CSRF-Token`.
fn send(
    http: &ureq::Agent,
    port: u16,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    csrf: Option<&str>,
    body: Option<serde_json::Value>,
) -> Reply {
    let url = format!("https://127.0.0.1:{port}{path}");
    let mut req = ureq::http::Request::builder().method(method).uri(&url);
    if let Some(c) = cookie {
        req = req.header("cookie", c);
    }
    if let Some(t) = csrf {
        req = req.header("x-csrf-token", t);
    }
    let text = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            b.to_string()
        }
        None => String::new(),
    };
    reply(
        http.run(req.body(text).expect("a request"))
            .expect("request"),
    )
}

/// Signs in with password and TOTP; (cookie, csrf token).
fn sign_in(
    http: &ureq::Agent,
    port: u16,
    user: &str,
    password: &str,
    uri: &str,
) -> (String, String) {
    let first = send(
        http,
        port,
        "POST",
        "/api/v1/session",
        None,
        None,
        Some(serde_json::json!({"username": user, "password": password})),
    );
    assert_eq!(first.status, 200, "{user}: {}", first.body);
    let code = console::totp::code_from_uri(uri.lines().next().unwrap_or_default(), now())
        .expect("a code");
    let full = send(
        http,
        port,
        "POST",
        "/api/v1/session/totp",
        first.cookie.as_deref(),
        None,
        Some(serde_json::json!({"code": code})),
    );
    assert_eq!(full.status, 200, "{user}: {}", full.body);
    (
        full.cookie.expect("cookie"),
        full.body["csrf_token"].as_str().expect("csrf").to_string(),
    )
}

/// Every route of `console::server::ROUTES` × every role × anonymous: each gets exactly what
/// its permission allows (role routes: 200 or 403; anonymous: 401 on everything but the
/// sign-in page and the sign-in steps). A user without a second factor reaches only
/// enrolment, and enrols over the API.
#[test]
fn every_route_gives_each_role_exactly_its_permission() {
    use console::{Permission, Role};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let d = db.to_str().unwrap();
    let password = "long enough passphrase for tests";
    let mut uris = Vec::new();
    for role in Role::ALL {
        let name = format!("user-{role}");
        let uri = run(
            &[
                "users",
                "add",
                &name,
                "--role",
                role.as_str(),
                "--db",
                d,
                "--password-stdin",
                "--enroll-totp",
            ],
            &format!("{password}\n"),
        );
        uris.push((role, name, uri));
    }
    run(
        &[
            "users",
            "add",
            "eve",
            "--role",
            "analyst",
            "--db",
            d,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    // Listening where the configuration file says.
    let (_server, port) = start_with(&db, true);
    let http = client(&dir.path().join("w.db.tls/cert.pem"));

    let role_routes: Vec<_> = console::server::ROUTES
        .iter()
        .filter(|(_, _, p, _)| {
            !matches!(
                p,
                Permission::Public
                    | Permission::SignIn
                    | Permission::Enrol
                    | Permission::AnySession
                    | Permission::OwnFactors
            )
        })
        .collect();
    assert!(role_routes.len() >= 15, "{}", role_routes.len());
    // Paths with a parameter get an id the store does not hold.
    let concrete = |path: &str| {
        path.replace("{id}", "no-such-id")
            .replace("{name}", "no-such-name")
    };
    for (role, name, uri) in &uris {
        let (cookie, csrf) = sign_in(&http, port, name, password, uri);
        // Every role may add a passkey to its own account.
        let options = send(
            &http,
            port,
            "POST",
            "/api/v1/mfa/webauthn/start",
            Some(&cookie),
            Some(&csrf),
            None,
        );
        assert_eq!(options.status, 200, "{role}: {}", options.text);
        assert!(
            options.body["publicKey"]["challenge"].is_string(),
            "{}",
            options.body
        );
        assert_eq!(
            options.body["publicKey"]["authenticatorSelection"]["userVerification"],
            "required"
        );
        for (method, path, permission, _) in &role_routes {
            let body = (*method != "GET").then(|| serde_json::json!({}));
            let r = send(
                &http,
                port,
                method,
                &concrete(path),
                Some(&cookie),
                Some(&csrf),
                body,
            );
            if !role.can(*permission) {
                assert_eq!(
                    r.status, 403,
                    "{role} {method} {path} ({permission:?}): {}",
                    r.text
                );
            } else if *method == "GET" && !path.contains('{') {
                assert_eq!(
                    r.status, 200,
                    "{role} {method} {path} ({permission:?}): {}",
                    r.text
                );
            } else {
                // Allowed through: what is left is the request's own fault (no such id, an
                // empty body), never a refusal.
                assert!(
                    matches!(r.status, 400 | 404 | 422),
                    "{role} {method} {path} ({permission:?}): {} {}",
                    r.status,
                    r.text
                );
            }
        }
    }
    for (method, path, permission, _) in console::server::ROUTES {
        let body = (*method != "GET").then(|| serde_json::json!({}));
        let r = send(&http, port, method, &concrete(path), None, None, body);
        match permission {
            Permission::Public if *path == "/" => {
                assert_eq!(r.status, 303, "anonymous {method} {path}");
            }
            Permission::Public => assert_eq!(r.status, 200, "anonymous {method} {path}"),
            // The sign-in steps answer anonymous requests, refusing what they lack.
            Permission::SignIn => assert!(
                matches!(r.status, 401 | 422),
                "anonymous {method} {path}: {}",
                r.status
            ),
            // A page sends a browser to the sign-in page; the API says 401.
            _ if !path.starts_with("/api/") => {
                assert_eq!(r.status, 303, "anonymous {method} {path}");
                assert_eq!(
                    r.header("location"),
                    Some("/login"),
                    "anonymous {method} {path}"
                );
            }
            _ => assert_eq!(r.status, 401, "anonymous {method} {path}"),
        }
    }

    // Eve has no second factor: she reaches enrolment only, and enrols.
    let first = send(
        &http,
        port,
        "POST",
        "/api/v1/session",
        None,
        None,
        Some(serde_json::json!({"username": "eve", "password": password})),
    );
    assert_eq!(first.body["enrolment_required"], true, "{}", first.body);
    let cookie = first.cookie.expect("cookie");
    let csrf = first.body["csrf_token"].as_str().expect("csrf").to_string();
    assert_eq!(
        send(
            &http,
            port,
            "GET",
            "/api/v1/devices",
            Some(&cookie),
            None,
            None
        )
        .status,
        401
    );
    assert_eq!(
        send(
            &http,
            port,
            "POST",
            "/api/v1/mfa/totp",
            Some(&cookie),
            None,
            None
        )
        .status,
        403,
        "CSRF"
    );
    let enrol = send(
        &http,
        port,
        "POST",
        "/api/v1/mfa/totp",
        Some(&cookie),
        Some(&csrf),
        None,
    );
    assert_eq!(enrol.status, 200, "{}", enrol.body);
    let uri = enrol.body["otpauth_uri"]
        .as_str()
        .expect("a URI")
        .to_string();
    let code = console::totp::code_from_uri(&uri, now()).expect("a code");
    let done = send(
        &http,
        port,
        "POST",
        "/api/v1/mfa/totp/confirm",
        Some(&cookie),
        Some(&csrf),
        Some(serde_json::json!({"code": code})),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        done.body["recovery_codes"].as_array().map(Vec::len),
        Some(10),
        "{}",
        done.body
    );
    let full = done.cookie.expect("a new session id");
    assert_ne!(full, cookie);
    assert_eq!(
        send(
            &http,
            port,
            "GET",
            "/api/v1/devices",
            Some(&full),
            None,
            None
        )
        .status,
        200
    );
    // Enrolled now: the enrolment routes are closed to her full session.
    let csrf = done.body["csrf_token"].as_str().expect("csrf").to_string();
    assert_eq!(
        send(
            &http,
            port,
            "POST",
            "/api/v1/mfa/totp",
            Some(&full),
            Some(&csrf),
            None
        )
        .status,
        401
    );
    // Signing out everywhere ends every session of hers.
    assert_eq!(
        send(
            &http,
            port,
            "DELETE",
            "/api/v1/sessions",
            Some(&full),
            Some(&csrf),
            None
        )
        .status,
        204
    );
    assert_eq!(
        send(
            &http,
            port,
            "GET",
            "/api/v1/devices",
            Some(&full),
            None,
            None
        )
        .status,
        401
    );
    let log = run(&["audit", "list", "--db", d, "--format", "json"], "");
    assert!(
        log.contains("\"mfa.enrol\"") && log.contains("\"logout.everywhere\""),
        "{log}"
    );
}

/// Adds user `name` with `role` and TOTP; returns what `users add` printed (the URI first).
fn add_user(d: &str, name: &str, role: &str, password: &str) -> String {
    run(
        &[
            "users",
            "add",
            name,
            "--role",
            role,
            "--db",
            d,
            "--password-stdin",
            "--enroll-totp",
        ],
        &format!("{password}\n"),
    )
}

/// The console over a simulated hospital with an injected cleartext sign-in: the pages
/// render the store (dashboard, device list and filters, a device, findings), the CSV export
/// is audited, an analyst triages one finding and then several at once (CSRF-checked), an
/// auditor may not, the history and status come back through the API and the pages, and a
/// comment is shown escaped and never written to the audit log.
#[test]
fn pages_render_the_store_and_an_analyst_triages_findings() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let d = db.to_str().unwrap();
    let pcap = dir.path().join("h.pcapng");
    let out = common::wardline()
        .args([
            "sim",
            "--devices",
            "40",
            "--duration",
            "6m",
            "--seed",
            "7",
            "--no-progress",
        ])
        .args(["--inject", "cleartext_credentials@3m", "--out"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let analysed = common::wardline()
        .env("WARDLINE_DB_KEY", DB_KEY)
        .args(["analyze", "--no-progress", "--format", "json", "--db", d])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        analysed.status.success(),
        "{}",
        String::from_utf8_lossy(&analysed.stderr)
    );
    let password = "long enough passphrase for tests";
    let ana = add_user(d, "ana", "analyst", password);
    let aud = add_user(d, "otto", "auditor", password);
    let (_server, port) = start(&db);
    let http = client(&dir.path().join("w.db.tls/cert.pem"));
    let (cookie, csrf) = sign_in(&http, port, "ana", password, &ana);
    let get = |path: &str, c: &str| send(&http, port, "GET", path, Some(c), None, None);

    // Pages over the store.
    let dash = get("/dashboard", &cookie);
    assert_eq!(dash.status, 200);
    assert!(
        dash.text.contains("Devices by category") && dash.text.contains("<svg"),
        "{}",
        dash.text
    );
    assert!(
        dash.text
            .contains(&format!("name=\"csrf-token\" content=\"{csrf}\""))
    );
    let list = send(
        &http,
        port,
        "GET",
        "/api/v1/devices?limit=1000",
        Some(&cookie),
        None,
        None,
    );
    let total = list.body["total"].as_u64().expect("total");
    assert!(total >= 30, "{}", list.body);
    let devices = get("/devices", &cookie);
    assert!(
        devices.text.contains(&format!("of {total}")),
        "{}",
        devices.text
    );
    // A category filter keeps exactly the devices of that category.
    let category = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|d| d["category"]["value"].as_str())
        .expect("a device with a category")
        .to_string();
    let expected = list.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["category"]["value"].as_str() == Some(category.as_str()))
        .count() as u64;
    let filtered = send(
        &http,
        port,
        "GET",
        &format!("/api/v1/devices?category={category}"),
        Some(&cookie),
        None,
        None,
    );
    assert_eq!(
        filtered.body["total"].as_u64(),
        Some(expected),
        "{category}"
    );
    let csv = get(&format!("/devices.csv?category={category}"), &cookie);
    assert_eq!(csv.status, 200);
    assert!(
        csv.text
            .starts_with("id,category,vendor,model,os,firmware,"),
        "{}",
        csv.text
    );
    assert_eq!(
        csv.text.lines().count() as u64,
        expected + 1,
        "{}",
        csv.text
    );

    // The injected sign-in is a finding; its device page and finding page render.
    let findings = send(
        &http,
        port,
        "GET",
        "/api/v1/findings?kind=cleartext_credentials",
        Some(&cookie),
        None,
        None,
    );
    let items = findings.body["items"].as_array().expect("items").clone();
    assert!(!items.is_empty(), "{}", findings.body);
    assert!(items.iter().all(|f| f["status"] == "open"));
    let id = items[0]["id"].as_str().unwrap().to_string();
    let device = items[0]["device"].as_str().unwrap().to_string();
    let page = get(&format!("/devices/{device}"), &cookie);
    assert_eq!(page.status, 200);
    assert!(
        page.text.contains(&id) && page.text.contains("What it is"),
        "{}",
        page.text
    );
    assert_eq!(get("/devices/no-such-device", &cookie).status, 404);

    // The compliance view counts the open cleartext sign-in under person authentication.
    let compliance = get("/compliance", &cookie);
    assert_eq!(compliance.status, 200);
    assert!(
        compliance.text.contains("§164.312(e)(1)") && compliance.text.contains("62443-3-3 SR 4.1")
    );
    let csv = get("/compliance.csv", &cookie);
    let row = csv
        .text
        .lines()
        .find(|l| l.starts_with("HIPAA,§164.312(d),"))
        .unwrap_or_else(|| panic!("{}", csv.text));
    let open: u64 = row
        .split(',')
        .nth(4)
        .and_then(|n| n.parse().ok())
        .expect("open count");
    assert!(open >= 1, "{row}");

    // Triage needs the CSRF token.
    let body = serde_json::json!({"status": "acknowledged", "comment": "<script>alert(1)</script> ticket 4711"});
    let path = format!("/api/v1/findings/{id}");
    let refused = send(
        &http,
        port,
        "PATCH",
        &path,
        Some(&cookie),
        None,
        Some(body.clone()),
    );
    assert_eq!(refused.status, 403);
    let done = send(
        &http,
        port,
        "PATCH",
        &path,
        Some(&cookie),
        Some(&csrf),
        Some(body),
    );
    assert_eq!(done.status, 200, "{}", done.body);
    let bad = send(
        &http,
        port,
        "PATCH",
        &path,
        Some(&cookie),
        Some(&csrf),
        Some(serde_json::json!({"status": "closed"})),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    let one = get(&path, &cookie);
    assert_eq!(one.body["status"], "acknowledged", "{}", one.body);
    assert_eq!(one.body["status_by"], "ana");
    assert_eq!(one.body["history"][0]["to_status"], "acknowledged");
    let shown = get(&format!("/findings/{id}"), &cookie);
    assert!(
        shown
            .text
            .contains("&lt;script&gt;alert(1)&lt;/script&gt; ticket 4711"),
        "{}",
        shown.text
    );
    assert!(!shown.text.contains("<script>alert(1)"));

    // Bulk: every open finding resolved at once.
    let open = send(
        &http,
        port,
        "GET",
        "/api/v1/findings?status=open&limit=1000",
        Some(&cookie),
        None,
        None,
    );
    let mut ids: Vec<String> = open.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    ids.push(id.clone());
    let bulk = send(
        &http,
        port,
        "POST",
        "/api/v1/findings/triage",
        Some(&cookie),
        Some(&csrf),
        Some(serde_json::json!({"ids": ids, "status": "resolved"})),
    );
    assert_eq!(bulk.status, 200, "{}", bulk.body);
    assert_eq!(bulk.body["changed"].as_u64(), Some(ids.len() as u64));
    let still = send(
        &http,
        port,
        "GET",
        "/api/v1/findings?status=open",
        Some(&cookie),
        None,
        None,
    );
    assert_eq!(still.body["total"], 0, "{}", still.body);
    let resolved = get("/findings?status=resolved", &cookie);
    assert!(resolved.text.contains(&id), "{}", resolved.text);

    // An auditor reads but may not triage; the page offers no triage form.
    let (acookie, acsrf) = sign_in(&http, port, "otto", password, &aud);
    let denied = send(
        &http,
        port,
        "PATCH",
        &path,
        Some(&acookie),
        Some(&acsrf),
        Some(serde_json::json!({"status": "open"})),
    );
    assert_eq!(denied.status, 403);
    let seen = get(&format!("/findings/{id}"), &acookie);
    assert_eq!(seen.status, 200);
    assert!(!seen.text.contains("id=\"triage\""));

    // The audit log: the triage and the export, the comment's length but not its text.
    let log = run(&["audit", "list", "--db", d, "--format", "json"], "");
    assert!(
        log.contains("\"finding.triage\"")
            && log.contains("\"export.devices\"")
            && log.contains("\"export.compliance\""),
        "{log}"
    );
    assert!(!log.contains("ticket 4711"), "{log}");
    run(&["audit", "verify", "--db", d], "");
}

/// The fix-first list over real advisories: the IoT Sentinel Aria capture's device, listed
/// as a BD Alaris pump on an affected firmware, is `vulnerable` per ICSMA-23-194-01; the API
/// and the page list it with its risk score, most urgent first.
#[test]
fn the_vulnerabilities_page_lists_affected_devices_by_risk() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let d = db.to_str().unwrap();
    let csv = dir.path().join("assets.csv");
    std::fs::write(
        &csv,
        "Asset Tag,MAC,Manufacturer,Model,Firmware Version,Type\n\
         PUMP-9,00:b5:6d:06:08:ba,BD,Alaris 8015,12.1.2,infusion_pump\n",
    )
    .unwrap();
    run(
        &[
            "assets",
            "import",
            csv.to_str().unwrap(),
            "--db",
            d,
            "--format",
            "json",
        ],
        "",
    );
    let advisories = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/advisories");
    run(
        &[
            "vulns",
            "import",
            advisories.to_str().unwrap(),
            "--db",
            d,
            "--format",
            "json",
        ],
        "",
    );
    let capture = std::fs::read_dir(common::corpus().join("iot-sentinel/Aria"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .min()
        .unwrap();
    run(
        &[
            "analyze",
            "--no-progress",
            "--format",
            "json",
            "--db",
            d,
            capture.to_str().unwrap(),
        ],
        "",
    );
    let password = "long enough passphrase for tests";
    let uri = add_user(d, "bo", "biomed", password);
    let (_server, port) = start(&db);
    let http = client(&dir.path().join("w.db.tls/cert.pem"));
    let (cookie, _) = sign_in(&http, port, "bo", password, &uri);
    let list = send(
        &http,
        port,
        "GET",
        "/api/v1/vulnerabilities",
        Some(&cookie),
        None,
        None,
    );
    assert_eq!(list.status, 200, "{}", list.text);
    let items = list.body["items"].as_array().expect("items");
    let pump = items
        .iter()
        .find(|i| i["device"] == "mac-00b56d0608ba")
        .unwrap_or_else(|| panic!("{}", list.body));
    assert_eq!(pump["advisory"], "ICSMA-23-194-01");
    assert_eq!(pump["match_status"], "affected");
    assert!(
        pump["risk"]["score"].as_u64().is_some_and(|s| s > 0),
        "{pump}"
    );
    let scores: Vec<u64> = items
        .iter()
        .filter_map(|i| i["risk"]["score"].as_u64())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "not by risk: {scores:?}"
    );
    let page = send(
        &http,
        port,
        "GET",
        "/vulnerabilities",
        Some(&cookie),
        None,
        None,
    );
    assert_eq!(page.status, 200);
    assert!(page.text.contains("ICSMA-23-194-01") && page.text.contains("mac-00b56d0608ba"));

    // The device filters: the pump is in the band of its highest open risk score, and on the
    // asset list; the other bands and "unauthorized" do not hold it.
    let highest = items
        .iter()
        .filter(|i| i["device"] == "mac-00b56d0608ba")
        .filter_map(|i| i["risk"]["score"].as_f64())
        .fold(f64::MIN, f64::max);
    let band = store::RiskBand::of(Some(highest)).as_str();
    let holds = |query: &str| {
        let r = send(
            &http,
            port,
            "GET",
            &format!("/api/v1/devices?{query}&limit=1000"),
            Some(&cookie),
            None,
            None,
        );
        assert_eq!(r.status, 200, "{query}: {}", r.text);
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["id"] == "mac-00b56d0608ba")
    };
    assert!(holds(&format!("risk={band}")), "{band}");
    for other in store::RiskBand::ALL.iter().filter(|b| b.as_str() != band) {
        assert!(!holds(&format!("risk={}", other.as_str())), "{other:?}");
    }
    assert!(holds("authorized=listed"));
    assert!(!holds("authorized=unauthorized") && !holds("authorized=unknown"));
    let bad = send(
        &http,
        port,
        "GET",
        "/api/v1/devices?risk=severe",
        Some(&cookie),
        None,
        None,
    );
    assert_eq!(bad.status, 400);
    let device = send(
        &http,
        port,
        "GET",
        "/devices/mac-00b56d0608ba",
        Some(&cookie),
        None,
        None,
    );
    assert!(
        device
            .text
            .contains(&format!("Risk: <strong>{band}</strong>")),
        "{}",
        device.text
    );
    assert!(device.text.contains("Asset list: <strong>listed</strong>"));
    assert!(
        device.text.contains("<h2>Vulnerabilities</h2>")
            && device.text.contains("<h2>Timeline</h2>")
    );
}

/// Scoped API tokens: issued once by the command line or an admin's API call, stored as a
/// digest, each allowed exactly its scopes (never a page, never user management), no CSRF
/// needed (browsers do not send bearer headers by themselves), dead once revoked or expired,
/// every use of a state change audited under the token's name.
#[test]
fn api_tokens_get_exactly_their_scopes() {
    use console::Permission;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let d = db.to_str().unwrap();
    let password = "long enough passphrase for tests";
    let admin = add_user(d, "root", "admin", password);
    let read = run(&["tokens", "add", "siem", "--scope", "read", "--db", d], "")
        .trim()
        .to_string();
    let triage = run(
        &[
            "tokens",
            "add",
            "tickets",
            "--scope",
            "read,triage",
            "--db",
            d,
        ],
        "",
    )
    .trim()
    .to_string();
    assert!(read.starts_with("wlt_") && read.len() == 68, "{read}");
    let bytes = std::fs::read(&db).unwrap();
    assert!(
        !bytes.windows(read.len()).any(|w| w == read.as_bytes()),
        "a token in clear in the database"
    );
    let (_server, port) = start(&db);
    let http = client(&dir.path().join("w.db.tls/cert.pem"));
    let call = |method: &str, path: &str, token: &str, body: Option<serde_json::Value>| {
        let url = format!("https://127.0.0.1:{port}{path}");
        let mut req = ureq::http::Request::builder()
            .method(method)
            .uri(&url)
            .header("authorization", format!("Bearer {token}"));
        let text = match body {
            Some(b) => {
                req = req.header("content-type", "application/json");
                b.to_string()
            }
            None => String::new(),
        };
        reply(
            http.run(req.body(text).unwrap())
                .unwrap_or_else(|e| panic!("{method} {path}: {e}")),
        )
    };
    // Every API route × each token: exactly its scopes.
    for (token, scopes) in [(&read, vec!["read"]), (&triage, vec!["read", "triage"])] {
        let scopes: Vec<String> = scopes.into_iter().map(str::to_string).collect();
        for (method, path, permission, _) in console::server::ROUTES {
            let concrete = path.replace("{id}", "no-such-id").replace("{name}", "x");
            let body = (*method != "GET").then(|| serde_json::json!({}));
            let r = call(method, &concrete, token, body);
            if !path.starts_with("/api/") {
                assert_eq!(r.status, 401, "{method} {path} with a token");
            } else if console::token::allows(&scopes, *permission) {
                assert!(
                    !matches!(r.status, 401 | 403),
                    "{scopes:?} {method} {path}: {} {}",
                    r.status,
                    r.text
                );
            } else {
                assert!(
                    matches!(r.status, 401 | 403),
                    "{scopes:?} {method} {path} ({permission:?}): {}",
                    r.status
                );
                if matches!(
                    permission,
                    Permission::ReadInventory
                        | Permission::TriageFindings
                        | Permission::ReadAudit
                        | Permission::ManageUsers
                ) {
                    assert_eq!(r.status, 403, "{scopes:?} {method} {path}");
                }
            }
        }
    }
    assert_eq!(call("GET", "/api/v1/devices", "wlt_0000", None).status, 401);

    // An admin issues one over the API (CSRF-checked), then revokes it.
    let (cookie, csrf) = sign_in(&http, port, "root", password, &admin);
    let issued = send(
        &http,
        port,
        "POST",
        "/api/v1/tokens",
        Some(&cookie),
        Some(&csrf),
        Some(serde_json::json!({"name": "auditbot", "scopes": ["audit"], "expires_days": 30})),
    );
    assert_eq!(issued.status, 200, "{}", issued.text);
    let audit_token = issued.body["token"].as_str().expect("token").to_string();
    assert_eq!(call("GET", "/api/v1/audit", &audit_token, None).status, 200);
    assert_eq!(
        call("GET", "/api/v1/devices", &audit_token, None).status,
        403
    );
    let listed = send(
        &http,
        port,
        "GET",
        "/api/v1/tokens",
        Some(&cookie),
        None,
        None,
    );
    assert!(!listed.text.contains(&audit_token) && listed.text.contains("auditbot"));
    assert_eq!(
        send(
            &http,
            port,
            "DELETE",
            "/api/v1/tokens/auditbot",
            Some(&cookie),
            Some(&csrf),
            None
        )
        .status,
        204
    );
    assert_eq!(call("GET", "/api/v1/audit", &audit_token, None).status, 401);
    // Expired at once.
    let expired = send(
        &http,
        port,
        "POST",
        "/api/v1/tokens",
        Some(&cookie),
        Some(&csrf),
        Some(serde_json::json!({"name": "brief", "scopes": "read", "expires_days": 0})),
    );
    let brief = expired.body["token"].as_str().expect("token").to_string();
    assert_eq!(call("GET", "/api/v1/devices", &brief, None).status, 401);
    // Revoked from the command line.
    run(&["tokens", "revoke", "siem", "--db", d], "");
    assert_eq!(call("GET", "/api/v1/devices", &read, None).status, 401);
    let log = run(&["audit", "list", "--db", d, "--format", "json"], "");
    assert!(
        log.contains("\"token.add\"") && log.contains("\"token.revoke\""),
        "{log}"
    );
    assert!(!log.contains(&audit_token) && !log.contains(&read));
    let list = run(&["tokens", "list", "--db", d, "--format", "json"], "");
    assert!(
        list.contains("\"tickets\"") && !list.contains("wlt_"),
        "{list}"
    );
}

/// Session timeouts from the configuration file: a session ends after the idle time without
/// a request, and after the absolute time however busy; a timeout longer than the most
/// allowed (30 minutes idle) is refused at start.
#[test]
fn sessions_end_when_idle_and_after_their_absolute_time() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let d = db.to_str().unwrap();
    let password = "long enough passphrase for tests";
    let uri = add_user(d, "ann", "analyst", password);
    let config = dir.path().join("too-long.toml");
    std::fs::write(&config, "[serve]\nidle_timeout = \"2h\"\n").unwrap();
    let refused = common::wardline()
        .env("WARDLINE_DB_KEY", DB_KEY)
        .args(["serve", "--db", d, "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(
        said.contains("idle_timeout") && said.contains("30 minutes"),
        "{said}"
    );

    let port = common::free_port();
    let config = dir.path().join("short.toml");
    std::fs::write(
        &config,
        format!("[serve]\nlisten = \"127.0.0.1:{port}\"\nidle_timeout = \"3s\"\nabsolute_timeout = \"6s\"\n"),
    )
    .unwrap();
    let _server = Server(
        common::wardline()
            .env("WARDLINE_DB_KEY", DB_KEY)
            .args(["serve", "--db", d, "--config", config.to_str().unwrap()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    common::wait_listening(port, "serve did not listen");
    let http = client(&dir.path().join("w.db.tls/cert.pem"));
    let devices = |cookie: &str| {
        send(
            &http,
            port,
            "GET",
            "/api/v1/devices",
            Some(cookie),
            None,
            None,
        )
        .status
    };

    // Idle: alive while used, gone after 3 s without a request.
    let (cookie, _) = sign_in(&http, port, "ann", password, &uri);
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(devices(&cookie), 200);
    std::thread::sleep(Duration::from_millis(3500));
    assert_eq!(devices(&cookie), 401, "idle for 3.5 s");

    // Absolute: requests every second keep it from idling, not past 6 s. (The TOTP code is
    // new: the last one was used; wait for the next time step.)
    std::thread::sleep(Duration::from_secs(30 - now() % 30 + 1));
    let (cookie, _) = sign_in(&http, port, "ann", password, &uri);
    let signed_in = Instant::now();
    while signed_in.elapsed() < Duration::from_millis(5000) {
        assert_eq!(devices(&cookie), 200, "at {:?}", signed_in.elapsed());
        std::thread::sleep(Duration::from_millis(1000));
    }
    std::thread::sleep(Duration::from_millis(1500));
    assert_eq!(devices(&cookie), 401, "past the absolute time");
}

/// `wardline demo` serves the console on the simulated hospital: it prints a demo admin
/// (marked demo-only) who signs in with the printed password and TOTP and sees the devices;
/// Ctrl-C (SIGINT) stops it cleanly.
#[test]
fn the_demo_serves_the_console_with_a_printed_demo_admin() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let port = common::free_port();
    let demo_dir = dir.path().join("demo");
    let mut child = common::wardline()
        .args([
            "demo",
            "--no-progress",
            "--devices",
            "40",
            "--duration",
            "3m",
        ])
        .args(["--listen", &format!("127.0.0.1:{port}"), "--dir"])
        .arg(&demo_dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut printed = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap();
        let done = line.starts_with("Serving until Ctrl-C");
        printed.push(line);
        if done {
            break;
        }
    }
    let server = Server(child);
    let text = printed.join("\n");
    assert!(text.contains("DEMO ONLY"), "{text}");
    let field = |name: &str| {
        printed
            .iter()
            .find_map(|l| {
                l.trim_start()
                    .strip_prefix(name)
                    .map(|v| v.trim().to_string())
            })
            .unwrap_or_else(|| panic!("no {name} in {text}"))
    };
    assert_eq!(field("user "), "demo-admin");
    let password = field("password ");
    let uri = field("TOTP ");
    assert!(uri.starts_with("otpauth://totp/"), "{uri}");
    assert!(field("open ").starts_with(&format!("https://localhost:{port}/")));
    common::wait_listening(port, "the demo did not listen");
    let http = client(&demo_dir.join("wardline.db.tls/cert.pem"));
    let (cookie, _) = sign_in(&http, port, "demo-admin", &password, &uri);
    let devices = send(
        &http,
        port,
        "GET",
        "/api/v1/devices",
        Some(&cookie),
        None,
        None,
    );
    assert_eq!(devices.status, 200);
    assert!(
        devices.body["total"].as_u64().is_some_and(|n| n >= 20),
        "{}",
        devices.body
    );
    let get = |path: &str| send(&http, port, "GET", path, Some(&cookie), None, None);

    // Zones: the demo configured the simulated hospital's; each device the simulator placed
    // is in the zone the truth file says, and the matrix shows traffic crossing zones.
    let truth: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo_dir.join("truth.json")).unwrap()).unwrap();
    let zones = get("/api/v1/zones");
    assert_eq!(zones.status, 200, "{}", zones.text);
    let configured: Vec<&str> = zones.body["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["name"].as_str().unwrap())
        .collect();
    for z in truth["zones"].as_array().unwrap() {
        assert!(
            configured.contains(&z["name"].as_str().unwrap()),
            "{configured:?}"
        );
    }
    let all = get("/api/v1/devices?limit=1000");
    let mut checked = 0;
    for d in truth["devices"].as_array().unwrap() {
        let Some(mac) = d["macs"]
            .as_array()
            .and_then(|m| m.first())
            .and_then(|m| m.as_str())
        else {
            continue;
        };
        let id = format!("mac-{}", mac.replace(':', ""));
        if let Some(stored) = all.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id.as_str())
        {
            assert_eq!(stored["zone"], d["zone"], "{id}");
            checked += 1;
        }
    }
    assert!(checked >= 20, "{checked} devices checked");
    let matrix = zones.body["matrix"].as_array().unwrap();
    let crossing: Vec<&serde_json::Value> = matrix
        .iter()
        .filter(|l| l["client_zone"] != l["server_zone"])
        .collect();
    assert!(!crossing.is_empty(), "{}", zones.body);
    assert!(
        crossing
            .iter()
            .all(|l| l["bytes"].as_u64().unwrap() > 0 && l["conversations"].as_u64().unwrap() > 0)
    );
    // The conversations of one cell are all between those two zones.
    let (cz, sz) = (
        crossing[0]["client_zone"].as_str().unwrap(),
        crossing[0]["server_zone"].as_str().unwrap(),
    );
    let cell = get(&format!(
        "/api/v1/conversations?client_zone={}&server_zone={}&limit=50",
        cz.replace(' ', "%20"),
        sz.replace(' ', "%20")
    ));
    assert_eq!(cell.status, 200, "{}", cell.text);
    assert_eq!(cell.body["total"], crossing[0]["conversations"]);
    for c in cell.body["items"].as_array().unwrap() {
        assert_eq!(
            (c["client_zone"].as_str(), c["server_zone"].as_str()),
            (Some(cz), Some(sz))
        );
    }
    // A device that opened one of them has the server among its peers, on the map too.
    let conv = &cell.body["items"][0];
    let client = conv["client_device"].as_str().expect("a device opened it");
    let peers = get(&format!("/api/v1/devices/{client}/peers"));
    assert!(
        peers.body["peers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["addr"] == conv["server_addr"] && p["device_opened"] == true),
        "{}",
        peers.body
    );
    let page = get(&format!("/devices/{client}"));
    assert!(page.text.contains("Peers of"), "{}", page.text);
    // The matrix counts each crossing's open segmentation findings: all of them, once.
    let open = get("/api/v1/findings?kind=segmentation_violation&status=open&limit=0");
    let open = open.body["total"].as_u64().unwrap();
    let outlined: u64 = matrix
        .iter()
        .map(|l| l["open_violations"].as_u64().unwrap())
        .sum();
    assert_eq!(outlined, open);
    let map = get("/zones");
    if open > 0 {
        assert!(
            map.text.contains("open segmentation findings"),
            "{}",
            map.text
        );
    }
    assert_eq!(map.status, 200);
    assert!(map.text.contains("<svg") && map.text.contains("Traffic between zones"));
    assert!(
        get(&format!("/zones/traffic?device={client}"))
            .text
            .contains(client)
    );
    // Dashboard: risk, authorization, findings per day, the newest devices.
    let dash = get("/dashboard");
    for part in [
        "Devices by risk",
        "On the asset list",
        "New findings per day",
        "Newest devices",
    ] {
        assert!(dash.text.contains(part), "{part}");
    }
    // The demo's intruder (an unknown device in the ICU) is the one unauthorized device, and
    // the three authorization values share out every device.
    let count = |q: &str| {
        get(&format!("/api/v1/devices?{q}&limit=0")).body["total"]
            .as_u64()
            .unwrap()
    };
    let total = count("q=");
    let (listed, unauthorized, unknown) = (
        count("authorized=listed"),
        count("authorized=unauthorized"),
        count("authorized=unknown"),
    );
    assert!(unauthorized >= 1 && listed >= 20, "{listed} {unauthorized}");
    assert_eq!(listed + unauthorized + unknown, total);
    let newest = get("/api/v1/devices?sort=first_seen&limit=5");
    let firsts: Vec<&str> = newest.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["first_seen"].as_str().unwrap())
        .collect();
    assert!(firsts.windows(2).all(|w| w[0] >= w[1]), "{firsts:?}");
    let settings = get("/settings");
    assert_eq!(settings.status, 200);
    assert!(settings.text.contains("Certificate SHA-256") && settings.text.contains("30m"));
    // Ctrl-C: a clean stop.
    let mut child = server;
    let pid = child.0.id().to_string();
    assert!(
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
