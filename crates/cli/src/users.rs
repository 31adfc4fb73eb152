//! `wardline users` and `wardline audit`: console accounts and the audit log from the
//! command line (bootstrap and scripts; the console's pages do the same behind MFA).
//!
//! No password or TOTP secret is ever printed, except the enrolment URI `users add
//! --enroll-totp` prints once, on purpose, to standard output.

use std::io::{self, BufRead, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use store::{Store, UserRecord};

use crate::args::{AuditArgs, AuditCommand, Format, UsersArgs, UsersCommand};

/// Who a command-line change is recorded as: `--by`, else `$USER`, else `unknown`.
fn actor(by: Option<&str>) -> String {
    let who = by
        .map(str::to_string)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into());
    format!("cli:{who}")
}

fn now() -> i64 {
    crate::analyze::now().0
}

pub fn run(args: &UsersArgs) -> Result<ExitCode> {
    match &args.command {
        UsersCommand::Add {
            name,
            role,
            db,
            password_stdin,
            enroll_totp,
            by,
        } => add(name, role, db, *password_stdin, *enroll_totp, by.as_deref()),
        UsersCommand::List { db, format } => list(db, *format),
        UsersCommand::Disable { name, db, by } => {
            change(db, name, by.as_deref(), "user.disable", |u| {
                u.disabled = true;
            })
        }
        UsersCommand::ResetMfa { name, db, by } => {
            let code = change(db, name, by.as_deref(), "user.reset_mfa", |u| {
                u.totp_secret = None;
                u.totp_last_step = None;
            })?;
            let mut store = crate::output::open_store(db)?;
            store.set_recovery_codes(name, &[])?;
            store.delete_passkeys(name)?;
            Ok(code)
        }
    }
}

/// A name people can type and logs can show: letters, digits, `.`, `_`, `-`, `@`.
fn check_name(name: &str) -> Result<()> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c))
    {
        bail!("user name {name:?}: 1 to 64 letters, digits, '.', '_', '-' or '@'");
    }
    Ok(())
}

fn add(
    name: &str,
    role: &str,
    db: &Path,
    password_stdin: bool,
    enroll_totp: bool,
    by: Option<&str>,
) -> Result<ExitCode> {
    check_name(name)?;
    let role: console::Role = role.parse().map_err(anyhow::Error::msg)?;
    let password_hash = if password_stdin {
        let mut line = String::new();
        io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let password = line.strip_suffix('\n').unwrap_or(&line);
        let password = password.strip_suffix('\r').unwrap_or(password);
        console::password::check(password, name)
            .map_err(|e| anyhow::anyhow!("password refused: {e}"))?;
        Some(console::password::hash(password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?)
    } else {
        bail!(
            "give the password on standard input with --password-stdin (it is never taken from the command line or an environment variable)"
        );
    };
    let mut store = crate::output::open_store(db)?;
    if store.user(name)?.is_some() {
        bail!("{}: there is already a user {name:?}", db.display());
    }
    let enrolled = create(
        &mut store,
        name,
        role,
        password_hash,
        enroll_totp,
        &actor(by),
    )?;
    let mut out = io::stdout().lock();
    match enrolled {
        Some((uri, codes)) => {
            if io::stdout().is_terminal() {
                eprintln!(
                    "wardline: add the URI to the user's authenticator app and give them the recovery codes now; neither is shown again:"
                );
            }
            writeln!(out, "{uri}")?;
            for c in &codes {
                writeln!(out, "recovery-code {c}")?;
            }
        }
        None => eprintln!(
            "wardline: user {name:?} added ({role}); no second factor yet: the first sign-in reaches only enrolment"
        ),
    }
    Ok(ExitCode::SUCCESS)
}

/// Creates an account (the name must be free) and records it; with `enroll_totp`, its TOTP
/// secret and ten recovery codes: returns the `otpauth://` URI and the codes, to be shown
/// once.
pub(crate) fn create(
    store: &mut store::SqliteStore,
    name: &str,
    role: console::Role,
    password_hash: Option<String>,
    enroll_totp: bool,
    actor: &str,
) -> Result<Option<(String, Vec<String>)>> {
    let totp_secret = enroll_totp.then(console::totp::new_secret);
    let at = now();
    store.add_user(&UserRecord {
        name: name.to_string(),
        role: role.as_str().to_string(),
        password_hash,
        totp_secret: totp_secret.clone(),
        totp_last_step: None,
        disabled: false,
        created_at: at,
        updated_at: at,
    })?;
    console::audit::record(
        store,
        at,
        actor,
        "cli",
        "user.add",
        serde_json::json!({"name": name, "role": role.as_str(), "password": true, "totp": enroll_totp}),
    )?;
    let Some(secret) = totp_secret else {
        return Ok(None);
    };
    let (codes, hashes) =
        console::recovery::issue().map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    store.set_recovery_codes(name, &hashes)?;
    Ok(Some((console::totp::enrolment_uri(&secret, name), codes)))
}

/// Changes one account and records it.
fn change(
    db: &Path,
    name: &str,
    by: Option<&str>,
    action: &str,
    apply: impl FnOnce(&mut UserRecord),
) -> Result<ExitCode> {
    let mut store = crate::devices::open_existing(db)?;
    let Some(mut user) = store.user(name)? else {
        bail!("{}: no user {name:?}", db.display());
    };
    apply(&mut user);
    user.updated_at = now();
    store.update_user(&user)?;
    console::audit::record(
        &mut store,
        user.updated_at,
        &actor(by),
        "cli",
        action,
        serde_json::json!({"name": user.name}),
    )?;
    eprintln!("wardline: {action} {}", user.name);
    Ok(ExitCode::SUCCESS)
}

/// A row of `users list`: presence only, never the hash or the secret.
#[derive(Debug, Serialize)]
struct UserRow {
    name: String,
    role: String,
    password: bool,
    totp: bool,
    passkeys: usize,
    disabled: bool,
    created_at: String,
}

fn list(db: &Path, format: Option<Format>) -> Result<ExitCode> {
    let store = crate::devices::open_existing(db)?;
    let rows: Vec<UserRow> = store
        .users()?
        .into_iter()
        .map(|u| UserRow {
            passkeys: store.passkeys(&u.name).map_or(0, |p| p.len()),
            created_at: model::Timestamp(u.created_at)
                .rfc3339(model::TsPrecision::Seconds)
                .to_string(),
            name: u.name,
            role: u.role,
            password: u.password_hash.is_some(),
            totp: u.totp_secret.is_some(),
            disabled: u.disabled,
        })
        .collect();
    let mut out = io::stdout().lock();
    match format.unwrap_or_else(Format::for_stdout) {
        Format::Json => crate::output::write_json(&mut out, &rows)?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            for r in &rows {
                w.serialize(r)?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(
                out,
                "{:<24} {:<8} {:<8} {:<5} {:<8} {:<8} created",
                "name", "role", "password", "totp", "passkeys", "disabled"
            )?;
            for r in &rows {
                let yes = |b: bool| if b { "yes" } else { "no" };
                writeln!(
                    out,
                    "{:<24} {:<8} {:<8} {:<5} {:<8} {:<8} {}",
                    r.name,
                    r.role,
                    yes(r.password),
                    yes(r.totp),
                    r.passkeys,
                    yes(r.disabled),
                    r.created_at
                )?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn audit(args: &AuditArgs) -> Result<ExitCode> {
    match &args.command {
        AuditCommand::Verify { db } => {
            let store = crate::devices::open_existing(db)?;
            let log = store.audit_log()?;
            match console::audit::verify(&log.entries, log.head.as_ref()) {
                Ok(n) => {
                    println!("{}: audit log intact ({n} entries)", db.display());
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("wardline: {}: {e}", db.display());
                    Ok(ExitCode::FAILURE)
                }
            }
        }
        AuditCommand::List { db, format } => {
            let store = crate::devices::open_existing(db)?;
            let log = store.audit_log()?;
            let mut out = io::stdout().lock();
            match format.unwrap_or_else(Format::for_stdout) {
                Format::Json => crate::output::write_json(&mut out, &log.entries)?,
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(&mut out);
                    w.write_record(["seq", "at", "actor", "source", "action", "details", "hash"])?;
                    for e in &log.entries {
                        w.write_record([
                            e.seq.to_string(),
                            model::Timestamp(e.at)
                                .rfc3339(model::TsPrecision::Seconds)
                                .to_string(),
                            e.actor.clone(),
                            e.source.clone(),
                            e.action.clone(),
                            e.details.to_string(),
                            e.hash.clone(),
                        ])?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    for e in &log.entries {
                        writeln!(
                            out,
                            "{:>5}  {}  {:<20} {:<8} {:<18} {}",
                            e.seq,
                            model::Timestamp(e.at).rfc3339(model::TsPrecision::Seconds),
                            e.actor,
                            e.source,
                            e.action,
                            e.details
                        )?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// A row of `tokens list`: never the token or its hash.
#[derive(Debug, Serialize)]
struct TokenRow {
    name: String,
    scopes: String,
    created_by: String,
    created_at: String,
    expires_at: Option<String>,
    last_used_at: Option<String>,
    revoked: bool,
}

pub fn tokens(args: &crate::args::TokensArgs) -> Result<ExitCode> {
    use crate::args::TokensCommand;
    let stamp = |t: i64| {
        model::Timestamp(t)
            .rfc3339(model::TsPrecision::Seconds)
            .to_string()
    };
    match &args.command {
        TokensCommand::Add {
            name,
            scope,
            expires_days,
            db,
            by,
        } => {
            let scopes =
                console::token::parse_scopes(scope).map_err(|e| anyhow::anyhow!("--scope: {e}"))?;
            let mut store = crate::devices::open_existing(db)?;
            let at = now();
            let expires_at =
                expires_days.map(|d| at.saturating_add(i64::from(d) * 86_400_000_000_000));
            let who = actor(by.as_deref());
            let token = console::token::issue(&mut store, name, &scopes, expires_at, &who, at)
                .map_err(|e| anyhow::anyhow!("{}: {e}", db.display()))?;
            console::audit::record(
                &mut store,
                at,
                &who,
                "cli",
                "token.add",
                serde_json::json!({"name": name, "scopes": scopes, "expires_days": expires_days}),
            )?;
            let mut out = io::stdout().lock();
            writeln!(out, "{token}")?;
            eprintln!(
                "wardline: token {name} issued ({}); it is shown only now",
                scopes.join(", ")
            );
            Ok(ExitCode::SUCCESS)
        }
        TokensCommand::List { db, format } => {
            let store = crate::devices::open_existing(db)?;
            let rows: Vec<TokenRow> = store
                .tokens()?
                .into_iter()
                .map(|t| TokenRow {
                    name: t.name,
                    scopes: t.scopes.join(" "),
                    created_by: t.created_by,
                    created_at: stamp(t.created_at),
                    expires_at: t.expires_at.map(stamp),
                    last_used_at: t.last_used_at.map(stamp),
                    revoked: t.revoked_at.is_some(),
                })
                .collect();
            let mut out = io::stdout().lock();
            match format.unwrap_or_else(Format::for_stdout) {
                Format::Json => crate::output::write_json(&mut out, &rows)?,
                Format::Csv => {
                    let mut w = csv::Writer::from_writer(&mut out);
                    for r in &rows {
                        w.serialize(r)?;
                    }
                    w.flush()?;
                }
                Format::Table => {
                    writeln!(
                        out,
                        "{:<24} {:<18} {:<8} {:<21} last used",
                        "name", "scopes", "revoked", "expires"
                    )?;
                    for r in &rows {
                        writeln!(
                            out,
                            "{:<24} {:<18} {:<8} {:<21} {}",
                            r.name,
                            r.scopes,
                            if r.revoked { "yes" } else { "no" },
                            r.expires_at.as_deref().unwrap_or("never"),
                            r.last_used_at.as_deref().unwrap_or("never")
                        )?;
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        TokensCommand::Revoke { name, db, by } => {
            let mut store = crate::devices::open_existing(db)?;
            let at = now();
            if !store.revoke_token(name, at)? {
                bail!("{}: no live token {name:?}", db.display());
            }
            console::audit::record(
                &mut store,
                at,
                &actor(by.as_deref()),
                "cli",
                "token.revoke",
                serde_json::json!({"name": name}),
            )?;
            eprintln!("wardline: token {name} revoked");
            Ok(ExitCode::SUCCESS)
        }
    }
}
