// wardline console: the little script the pages need (no inline script: the CSP forbids it).
// Every state change goes through the JSON API with the session's CSRF token in the
// X-CSRF-Token header; the token comes from the page's <meta name="csrf-token"> or, during
// sign-in, from the API's own answer.
"use strict";

let csrfToken = document.querySelector('meta[name="csrf-token"]')?.content || "";

async function api(method, path, body) {
  const headers = { "Accept": "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (csrfToken) headers["X-CSRF-Token"] = csrfToken;
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  let data = null;
  try { data = await response.json(); } catch (_) { data = null; }
  if (!response.ok) {
    throw new Error((data && data.error) || `${response.status} ${response.statusText}`);
  }
  if (data && data.csrf_token) csrfToken = data.csrf_token;
  return data;
}

function showError(form, error) {
  const box = form.querySelector("[role=alert]") || document.querySelector("[role=alert]");
  if (box) { box.textContent = error.message; box.hidden = false; }
}

function clearError(form) {
  const box = form.querySelector("[role=alert]");
  if (box) { box.textContent = ""; box.hidden = true; }
}

function on(selector, event, handler) {
  const el = document.querySelector(selector);
  if (el) el.addEventListener(event, async (e) => {
    e.preventDefault();
    const form = e.target.closest("form") || el;
    clearError(form);
    try { await handler(e, form); } catch (err) { showError(form, err); }
  });
}

function fields(form) {
  return Object.fromEntries(new FormData(form).entries());
}

// --- WebAuthn: the options the server sends carry base64url strings where the browser wants
// ArrayBuffers, and the browser's answer the other way round.
function b64urlToBuffer(s) {
  const pad = "=".repeat((4 - (s.length % 4)) % 4);
  const bin = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0)).buffer;
}
function bufferToB64url(b) {
  const bytes = new Uint8Array(b);
  let bin = "";
  for (const x of bytes) bin += String.fromCharCode(x);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
function creationOptions(o) {
  const pk = o.publicKey;
  pk.challenge = b64urlToBuffer(pk.challenge);
  pk.user.id = b64urlToBuffer(pk.user.id);
  for (const c of pk.excludeCredentials || []) c.id = b64urlToBuffer(c.id);
  return o;
}
function requestOptions(o) {
  const pk = o.publicKey;
  pk.challenge = b64urlToBuffer(pk.challenge);
  for (const c of pk.allowCredentials || []) c.id = b64urlToBuffer(c.id);
  return o;
}
function credentialJson(c) {
  const r = c.response;
  const out = { id: c.id, rawId: bufferToB64url(c.rawId), type: c.type, extensions: {}, response: {
    clientDataJSON: bufferToB64url(r.clientDataJSON),
  } };
  if (r.attestationObject) out.response.attestationObject = bufferToB64url(r.attestationObject);
  if (r.authenticatorData) out.response.authenticatorData = bufferToB64url(r.authenticatorData);
  if (r.signature) out.response.signature = bufferToB64url(r.signature);
  if (r.userHandle) out.response.userHandle = bufferToB64url(r.userHandle);
  return out;
}

async function passkeySignIn() {
  const options = await api("POST", "/api/v1/session/webauthn/start");
  const credential = await navigator.credentials.get(requestOptions(options));
  await api("POST", "/api/v1/session/webauthn", credentialJson(credential));
  location.assign("/dashboard");
}

async function passkeyRegister(name) {
  const options = await api("POST", "/api/v1/mfa/webauthn/start");
  const credential = await navigator.credentials.create(creationOptions(options));
  return api("POST", "/api/v1/mfa/webauthn", { name, credential: credentialJson(credential) });
}

// --- Sign-in.
on("#login", "submit", async (_e, form) => {
  const answer = await api("POST", "/api/v1/session", fields(form));
  if (answer.enrolment_required) { location.assign("/enrol"); return; }
  form.hidden = true;
  const second = document.querySelector("#second-factor");
  second.hidden = false;
  const factors = answer.second_factors || [];
  document.querySelector("#passkey-signin").hidden = !factors.includes("webauthn");
  document.querySelector("#totp").hidden = !factors.includes("totp");
  (factors.includes("totp") ? document.querySelector("#totp-code") : document.querySelector("#passkey-signin"))?.focus();
});
on("#totp", "submit", async (_e, form) => {
  await api("POST", "/api/v1/session/totp", fields(form));
  location.assign("/dashboard");
});
on("#recovery", "submit", async (_e, form) => {
  await api("POST", "/api/v1/session/recovery", fields(form));
  location.assign("/dashboard");
});
on("#passkey-signin", "click", async () => { await passkeySignIn(); });

// --- Enrolment (a session past the password, without a second factor).
on("#enrol-start", "click", async () => {
  const answer = await api("POST", "/api/v1/mfa/totp");
  document.querySelector("#enrol-uri").textContent = answer.otpauth_uri;
  document.querySelector("#enrol-qr").src = "/enrol/qr.svg?t=" + Date.now();
  document.querySelector("#enrol-step2").hidden = false;
  document.querySelector("#enrol-code").focus();
});
on("#enrol-confirm", "submit", async (_e, form) => {
  const answer = await api("POST", "/api/v1/mfa/totp/confirm", fields(form));
  showRecoveryCodes(answer.recovery_codes);
});
on("#enrol-passkey", "click", async (_e, form) => {
  const answer = await passkeyRegister(document.querySelector("#enrol-passkey-name")?.value || "passkey");
  showRecoveryCodes(answer.recovery_codes);
});
function showRecoveryCodes(codes) {
  for (const id of ["#enrol-step1", "#enrol-step2"]) {
    const el = document.querySelector(id);
    if (el) el.hidden = true;
  }
  const list = document.querySelector("#recovery-codes");
  list.replaceChildren(...(codes || []).map((c) => { const li = document.createElement("li"); li.textContent = c; return li; }));
  document.querySelector("#enrol-done").hidden = false;
  document.querySelector("#enrol-continue").focus();
}

// --- Account: passkeys for a signed-in user.
on("#add-passkey", "submit", async (_e, form) => {
  await passkeyRegister(fields(form).name || "passkey");
  location.reload();
});

// --- Sign-out.
on("#signout", "click", async () => {
  await api("DELETE", "/api/v1/session");
  location.assign("/login");
});
on("#signout-everywhere", "click", async () => {
  await api("DELETE", "/api/v1/sessions");
  location.assign("/login");
});

// --- Findings triage.
on("#select-all", "change", () => {
  const all = document.querySelector("#select-all").checked;
  for (const box of document.querySelectorAll('input[name="finding"]')) box.checked = all;
});
on("#bulk-triage", "submit", async (_e, form) => {
  const ids = [...document.querySelectorAll('input[name="finding"]:checked')].map((b) => b.value);
  if (ids.length === 0) throw new Error("select at least one finding");
  const f = fields(form);
  await api("POST", "/api/v1/findings/triage", { ids, status: f.status || null, comment: f.comment || null });
  location.reload();
});
on("#triage", "submit", async (_e, form) => {
  const f = fields(form);
  await api("PATCH", `/api/v1/findings/${encodeURIComponent(form.dataset.finding)}`, { status: f.status || null, comment: f.comment || null });
  location.reload();
});
