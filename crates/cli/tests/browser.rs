//! The console in a real browser (issue: console and API): Debian's headless chromium, driven
//! over the Chrome DevTools Protocol, signs in with password and TOTP through the sign-in
//! page's own script, browses the dashboard and the devices, opens a device page, triages a
//! finding with the page's form, and signs out. Screenshots of each step are kept under
//! `target/e2e/` (or `$CARGO_TARGET_DIR/e2e/`).

mod common;

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

const DB_KEY: &str = "62726f7773657254657374734b6579466f725468655765624361736521212121";

use common::Running as Kill;

/// A Chrome DevTools Protocol connection to one page (a flattened target session).
struct Cdp {
    socket: tungstenite::WebSocket<tungstenite::stream::MaybeTlsStream<TcpStream>>,
    session: String,
    next_id: u64,
}

impl Cdp {
    /// Launches chromium headless on a fresh profile and attaches to a new blank page.
    fn launch(profile: &Path) -> (Kill, Cdp) {
        common::require("chromium", "chromium");
        let mut child = Command::new("chromium")
            .args([
                "--headless=new",
                // As root (CI), chromium refuses to start with its sandbox.
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                "--remote-debugging-port=0",
                // The server's certificate is self-signed (its fingerprint is what a person
                // checks); the HTTPS client tests pin it, the browser is told to accept it.
                "--ignore-certificate-errors",
                "--window-size=1280,900",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start chromium");
        // "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID" on stderr.
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if !sent && let Some(url) = line.strip_prefix("DevTools listening on ") {
                    let _ = tx.send(url.trim().to_string());
                    sent = true;
                }
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("chromium printed no DevTools address");
        let kill = Kill(child);
        let (socket, _) = tungstenite::connect(url.as_str()).expect("connect to DevTools");
        let mut cdp = Cdp {
            socket,
            session: String::new(),
            next_id: 1,
        };
        let target = cdp.call("Target.createTarget", json!({"url": "about:blank"}), false);
        let target_id = target["targetId"].as_str().expect("targetId").to_string();
        let attached = cdp.call(
            "Target.attachToTarget",
            json!({"targetId": target_id, "flatten": true}),
            false,
        );
        cdp.session = attached["sessionId"]
            .as_str()
            .expect("sessionId")
            .to_string();
        cdp.call("Page.enable", json!({}), true);
        cdp.call("Runtime.enable", json!({}), true);
        (kill, cdp)
    }

    /// Sends a command (to the page's session when `on_page`) and returns its result,
    /// skipping the events that arrive meanwhile.
    fn call(&mut self, method: &str, params: Value, on_page: bool) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if on_page {
            msg["sessionId"] = json!(self.session);
        }
        self.socket
            .send(tungstenite::Message::text(msg.to_string()))
            .expect("send to DevTools");
        loop {
            let m = self.socket.read().expect("read from DevTools");
            let tungstenite::Message::Text(text) = m else {
                continue;
            };
            let v: Value = serde_json::from_str(text.as_str()).expect("DevTools JSON");
            if v["id"] == json!(id) {
                assert!(v.get("error").is_none(), "{method}: {v}");
                return v["result"].clone();
            }
        }
    }

    /// Evaluates `expression` in the page (awaiting a promise) and returns its value.
    fn eval(&mut self, expression: &str) -> Value {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expression, "awaitPromise": true, "returnByValue": true}),
            true,
        );
        assert!(
            r.get("exceptionDetails").is_none(),
            "{expression}: {}",
            r["exceptionDetails"]
        );
        r["result"]["value"].clone()
    }

    /// Waits until `expression` is true in the page.
    fn wait_for(&mut self, expression: &str) {
        let start = Instant::now();
        loop {
            let ok = self.call(
                "Runtime.evaluate",
                json!({"expression": format!("!!({expression})"), "returnByValue": true}),
                true,
            );
            if ok["result"]["value"] == json!(true) {
                return;
            }
            if start.elapsed() > Duration::from_secs(20) {
                let body = self.eval("document.body ? document.body.innerText : ''");
                panic!("timed out waiting for {expression}; the page says: {body}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn navigate(&mut self, url: &str) {
        self.call("Page.navigate", json!({"url": url}), true);
        let path = url.split_once("://").map_or(url, |(_, r)| r);
        let path = path.find('/').map_or("/", |i| &path[i..]);
        self.wait_for(&format!(
            "location.pathname + location.search === {} && document.readyState === 'complete'",
            json!(path)
        ));
    }

    /// A PNG of the viewport, kept as `dir/name.png`.
    fn screenshot(&mut self, dir: &Path, name: &str) {
        let shot = self.call("Page.captureScreenshot", json!({"format": "png"}), true);
        let png = base64::engine::general_purpose::STANDARD
            .decode(shot["data"].as_str().expect("data"))
            .expect("base64");
        assert!(png.starts_with(b"\x89PNG"), "not a PNG");
        std::fs::write(dir.join(format!("{name}.png")), png).expect("write the screenshot");
    }
}

fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let dir = target.join("e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    dir
}

fn wardline_ok(args: &[&str], stdin: &str) -> String {
    common::run_keyed(DB_KEY, args, stdin)
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

#[test]
fn an_analyst_signs_in_with_totp_browses_and_triages_in_chromium() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let d = db.to_str().unwrap();
    let pcap = dir.path().join("h.pcapng");
    let sim = common::wardline()
        .args(["sim", "--devices", "40", "--duration", "6m", "--seed", "11"])
        .args([
            "--no-progress",
            "--inject",
            "cleartext_credentials@3m",
            "--out",
        ])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    wardline_ok(
        &[
            "analyze",
            "--no-progress",
            "--format",
            "json",
            "--db",
            d,
            pcap.to_str().unwrap(),
        ],
        "",
    );
    let password = "a browser test passphrase";
    let enrolled = wardline_ok(
        &[
            "users",
            "add",
            "ana",
            "--role",
            "analyst",
            "--db",
            d,
            "--password-stdin",
            "--enroll-totp",
        ],
        &format!("{password}\n"),
    );
    let uri = enrolled
        .lines()
        .next()
        .expect("the otpauth URI")
        .to_string();

    let port = common::free_port();
    let _server = Kill(
        common::wardline()
            .env("WARDLINE_DB_KEY", DB_KEY)
            .args(["serve", "--db", d, "--listen", &format!("127.0.0.1:{port}")])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start wardline serve"),
    );
    common::wait_listening(port, "serve did not listen");
    // localhost, not 127.0.0.1: the name the certificate carries, and the relying party id
    // WebAuthn needs.
    let base = format!("https://localhost:{port}");
    let shots = screenshots_dir();
    let (_browser, mut page) = Cdp::launch(&dir.path().join("profile"));

    // Anonymous: the dashboard sends the browser to the sign-in page.
    page.call(
        "Page.navigate",
        json!({"url": format!("{base}/dashboard")}),
        true,
    );
    page.wait_for("location.pathname === '/login' && document.readyState === 'complete'");
    page.screenshot(&shots, "01-sign-in");

    // A wrong password is refused on the page.
    page.eval(
        "document.querySelector('#username').value = 'ana';
         document.querySelector('#password').value = 'not the password';
         document.querySelector('#login').requestSubmit();",
    );
    page.wait_for("document.querySelector('#login [role=alert]').textContent.length > 0");
    let said = page.eval("document.querySelector('#login [role=alert]').textContent");
    assert!(
        said.as_str()
            .unwrap_or("")
            .contains("wrong user name or password"),
        "{said}"
    );

    // Password, then TOTP.
    page.eval(&format!(
        "document.querySelector('#password').value = {};
         document.querySelector('#login').requestSubmit();",
        json!(password)
    ));
    page.wait_for("!document.querySelector('#second-factor').hidden && !document.querySelector('#totp').hidden");
    page.screenshot(&shots, "02-second-factor");
    let code = console::totp::code_from_uri(&uri, now()).expect("a code");
    page.eval(&format!(
        "document.querySelector('#totp-code').value = {};
         document.querySelector('#totp').requestSubmit();",
        json!(code)
    ));
    page.wait_for("location.pathname === '/dashboard' && document.readyState === 'complete'");
    let dashboard = page.eval("document.querySelector('main').innerText");
    assert!(
        dashboard.as_str().unwrap().contains("Devices by category"),
        "{dashboard}"
    );
    assert_eq!(
        page.eval("document.querySelectorAll('main svg').length >= 3"),
        json!(true)
    );
    page.screenshot(&shots, "03-dashboard");

    // Devices: the list, a search, a device page.
    page.navigate(&format!("{base}/devices"));
    let rows = page.eval("document.querySelectorAll('main tbody tr').length");
    assert!(rows.as_u64().unwrap_or(0) >= 30, "{rows}");
    page.screenshot(&shots, "04-devices");

    // The injected sign-in's finding: open it from the findings page, triage it there.
    page.navigate(&format!("{base}/findings?kind=cleartext_credentials"));
    page.screenshot(&shots, "05-findings");
    let href = page
        .eval("document.querySelector('main tbody a[href^=\"/findings/\"]').getAttribute('href')");
    let href = href.as_str().expect("a finding link").to_string();
    let device = page
        .eval("document.querySelector('main tbody a[href^=\"/devices/\"]').getAttribute('href')");
    page.navigate(&format!(
        "{base}{}",
        device.as_str().expect("a device link")
    ));
    let device_text = page.eval("document.querySelector('main').innerText");
    assert!(
        device_text.as_str().unwrap().contains("What it is"),
        "{device_text}"
    );
    page.screenshot(&shots, "06-device");

    page.navigate(&format!("{base}{href}"));
    page.eval(
        "document.querySelector('#t-status').value = 'acknowledged';
         document.querySelector('#t-comment').value = 'Asked biomed to switch the pump to TLS';
         document.querySelector('#triage').requestSubmit();",
    );
    page.wait_for("document.readyState === 'complete' && document.querySelector('main').innerText.includes('open → acknowledged')");
    let status = page.eval("document.querySelector('main').innerText");
    assert!(
        status.as_str().unwrap().contains("Status: acknowledged"),
        "{status}"
    );
    page.screenshot(&shots, "07-triaged");

    // Sign out: the console is closed again.
    page.eval("document.querySelector('#signout').click()");
    page.wait_for("location.pathname === '/login'");
    page.call(
        "Page.navigate",
        json!({"url": format!("{base}/devices")}),
        true,
    );
    page.wait_for("location.pathname === '/login' && document.readyState === 'complete'");

    // Bea has no second factor yet: she enrols a passkey (a virtual platform authenticator
    // that verifies the user, as a fingerprint reader would), keeps her recovery codes, and
    // signs in with password and passkey.
    wardline_ok(
        &[
            "users",
            "add",
            "bea",
            "--role",
            "biomed",
            "--db",
            d,
            "--password-stdin",
        ],
        &format!("{password}\n"),
    );
    page.call("WebAuthn.enable", json!({}), true);
    page.call(
        "WebAuthn.addVirtualAuthenticator",
        json!({"options": {"protocol": "ctap2", "transport": "internal", "hasResidentKey": true,
                           "hasUserVerification": true, "isUserVerified": true,
                           "automaticPresenceSimulation": true}}),
        true,
    );
    page.navigate(&format!("{base}/login"));
    page.eval(&format!(
        "document.querySelector('#username').value = 'bea';
         document.querySelector('#password').value = {};
         document.querySelector('#login').requestSubmit();",
        json!(password)
    ));
    page.wait_for("location.pathname === '/enrol' && document.readyState === 'complete'");
    page.screenshot(&shots, "08-enrol");
    page.eval("document.querySelector('#enrol-passkey').click()");
    page.wait_for("!document.querySelector('#enrol-done').hidden");
    let codes = page.eval("document.querySelectorAll('#recovery-codes li').length");
    assert_eq!(codes, json!(10));
    page.screenshot(&shots, "09-recovery-codes");
    page.eval("document.querySelector('#enrol-continue').click()");
    page.wait_for("location.pathname === '/dashboard' && document.readyState === 'complete'");
    page.eval("document.querySelector('#signout').click()");
    page.wait_for("location.pathname === '/login' && document.readyState === 'complete'");

    page.eval(&format!(
        "document.querySelector('#username').value = 'bea';
         document.querySelector('#password').value = {};
         document.querySelector('#login').requestSubmit();",
        json!(password)
    ));
    page.wait_for("!document.querySelector('#second-factor').hidden && !document.querySelector('#passkey-signin').hidden");
    assert_eq!(
        page.eval("document.querySelector('#totp').hidden"),
        json!(true)
    );
    page.screenshot(&shots, "10-passkey-sign-in");
    page.eval("document.querySelector('#passkey-signin').click()");
    page.wait_for("location.pathname === '/dashboard' && document.readyState === 'complete'");
    page.navigate(&format!("{base}/account"));
    let account = page.eval("document.querySelector('main').innerText");
    let account = account.as_str().unwrap_or_default();
    assert!(
        account.contains("passkey") && !account.contains("never"),
        "{account}"
    );
    page.screenshot(&shots, "11-account");
    // A biomed account may not read the audit log.
    page.call(
        "Page.navigate",
        json!({"url": format!("{base}/audit")}),
        true,
    );
    page.wait_for("document.readyState === 'complete' && document.title.startsWith('Error')");

    let log = wardline_ok(&["audit", "list", "--db", d, "--format", "json"], "");
    let entries: Value = serde_json::from_str(&log).expect("audit JSON");
    let has = |action: &str, factor: &str| {
        entries.as_array().into_iter().flatten().any(|e| {
            e["action"] == action && e["actor"] == "bea" && e["details"]["factor"] == factor
        })
    };
    assert!(
        has("mfa.enrol", "webauthn") && has("login.success", "webauthn"),
        "{log}"
    );
    for action in ["login.failure", "login.success", "finding.triage", "logout"] {
        assert!(log.contains(&format!("\"{action}\"")), "{action}: {log}");
    }
    for name in ["01-sign-in", "03-dashboard", "06-device", "07-triaged"] {
        assert!(shots.join(format!("{name}.png")).exists());
    }
}
