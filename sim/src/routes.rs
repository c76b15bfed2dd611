//! The endpoints, their authentication and scopes.

// Early returns carry the finished error response; its size does not matter in a test server.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State as AxState};
use axum::http::{HeaderMap, Response, StatusCode, header};
use axum::routing::{get, patch, post};
use jiff::Timestamp;
use serde_json::{Map, Value, json};

use crate::checks::{Refusal, check_syntax};
use crate::faults::json_response;
use crate::{Attribute, AuditEntry, DEFAULT_POLICY, Shared, State, Token, lock};

pub(crate) fn router(state: Shared) -> Router {
    Router::new()
        .route("/api/v2/oauth/token", post(token))
        .route("/api/v2/oauth/token-exchange", post(token_exchange))
        .route("/api/v2/tailnet/{tailnet}/acl", get(get_policy).post(set_policy))
        .route("/api/v2/tailnet/{tailnet}/acl/validate", post(validate))
        .route("/api/v2/tailnet/{tailnet}/devices", get(devices))
        .route("/api/v2/tailnet/{tailnet}/users", get(users))
        .route("/api/v2/device/{id}/attributes", get(get_attributes))
        .route("/api/v2/device/{id}/attributes/{key}", post(set_attribute).delete(delete_attribute))
        .route("/api/v2/tailnet/{tailnet}/device-attributes", patch(batch_attributes))
        .route("/api/v2/tailnet/{tailnet}/settings", get(get_settings).patch(patch_settings))
        .fallback(|| async { json_response(404, json!({"message": "not found"}).to_string()) })
        .method_not_allowed_fallback(|| async {
            Response::builder()
                .status(StatusCode::METHOD_NOT_ALLOWED)
                .header(header::CONTENT_TYPE, "text/plain")
                .body(Body::from("METHOD_NOT_ALLOWED"))
                .unwrap_or_default()
        })
        .layer(axum::middleware::from_fn_with_state(state.clone(), crate::faults::inject))
        .with_state(state)
}

type Resp = Response<Body>;

fn message(status: u16, msg: &str) -> Resp {
    json_response(status, json!({ "message": msg }).to_string())
}

fn invalid_token() -> Resp {
    message(401, "API token invalid")
}

fn not_permitted() -> Resp {
    message(403, "calling actor does not have enough permissions to perform this function")
}

/// The scopes a request carries, from `Authorization: Bearer` or Basic (key as user name).
fn authenticate(s: &State, headers: &HeaderMap) -> Result<Vec<String>, Resp> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    let key = if let Some(b) = auth.strip_prefix("Bearer ") {
        b.trim().to_owned()
    } else if let Some(b) = auth.strip_prefix("Basic ") {
        let decoded = base64_decode(b.trim()).ok_or_else(invalid_token)?;
        decoded.split(':').next().unwrap_or("").to_owned()
    } else {
        return Err(invalid_token());
    };
    if s.setup.api_keys.contains(&key) {
        return Ok(vec!["all".into()]);
    }
    if let Some(t) = s.tokens.get(&key) {
        return if t.expires > s.now() { Ok(t.scopes.clone()) } else { Err(invalid_token()) };
    }
    if s.setup.oauth_clients.iter().any(|c| c.secret == key) {
        // A client secret is not a token (tailscale/tailscale#15969).
        return Err(not_permitted());
    }
    Err(invalid_token())
}

/// A write scope implies its `:read`; `all` covers everything, `all:read` every read.
fn has_scope(granted: &[String], needed: &str) -> bool {
    granted.iter().any(|g| {
        g == needed
            || g == "all"
            || (g == "all:read" && needed.ends_with(":read"))
            || needed.strip_suffix(":read").is_some_and(|w| g == w)
    })
}

fn authorize(s: &State, headers: &HeaderMap, scope: &str) -> Result<(), Resp> {
    let scopes = authenticate(s, headers)?;
    if has_scope(&scopes, scope) { Ok(()) } else { Err(not_permitted()) }
}

/// `-`, the tailnet ID or one of its names (percent-decoded by the router).
fn tailnet_ok(s: &State, tailnet: &str) -> Result<(), Resp> {
    if tailnet == "-" || tailnet == s.setup.tailnet_id || s.setup.names.iter().any(|n| n == tailnet) {
        Ok(())
    } else {
        Err(message(404, "tailnet not found"))
    }
}

fn issue_token(s: &mut State, scopes: Vec<String>) -> Resp {
    s.token_serial += 1;
    let token = format!("tskey-api-kTOK{}CNTRL-simulatedtoken{}", s.token_serial, s.token_serial);
    let scope = scopes.join(" ");
    let lifetime = s.setup.token_lifetime;
    let expires = s.now() + jiff::SignedDuration::from_secs(lifetime as i64);
    s.tokens.insert(token.clone(), Token { scopes, expires });
    json_response(
        200,
        json!({"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "scope": scope}).to_string(),
    )
}

async fn token(AxState(st): AxState<Shared>, headers: HeaderMap, body: Bytes) -> Resp {
    let form = parse_form(&body);
    let mut s = lock(&st);
    let (mut id, mut secret) = (form.get("client_id").cloned(), form.get("client_secret").cloned());
    // Credentials may come as HTTP Basic instead of in the form.
    let basic = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| base64_decode(b.trim()));
    if let Some((u, p)) = basic.as_deref().and_then(|d| d.split_once(':')) {
        id = Some(u.to_owned());
        secret = Some(p.to_owned());
    }
    match form.get("grant_type").map(String::as_str) {
        None | Some("client_credentials") => {}
        Some(_) => return message(400, "unsupported grant_type"),
    }
    let Some(client) = s.setup.oauth_clients.iter().find(|c| Some(&c.secret) == secret.as_ref()).cloned() else {
        return invalid_token();
    };
    if id.as_ref().is_some_and(|i| !i.is_empty() && *i != client.id) {
        return invalid_token();
    }
    let scopes = match form.get("scope") {
        Some(req) if !req.trim().is_empty() => {
            let wanted: Vec<String> = req.split_whitespace().map(String::from).collect();
            if !wanted.iter().all(|w| has_scope(&client.scopes, w)) {
                return message(403, &format!("OAuth client cannot grant scopes \"{req}\""));
            }
            wanted
        }
        _ => client.scopes.clone(),
    };
    issue_token(&mut s, scopes)
}

async fn token_exchange(AxState(st): AxState<Shared>, body: Bytes) -> Resp {
    let form = parse_form(&body);
    let mut s = lock(&st);
    let (Some(id), Some(jwt)) = (form.get("client_id"), form.get("jwt")) else {
        return message(400, "client_id and jwt are required");
    };
    if !s.setup.id_tokens.iter().any(|(c, t)| c == id && t == jwt) {
        return invalid_token();
    }
    let Some(client) = s.setup.oauth_clients.iter().find(|c| &c.id == id).cloned() else { return invalid_token() };
    issue_token(&mut s, client.scopes)
}

fn truthy(v: Option<&String>) -> bool {
    matches!(v.map(|s| s.to_ascii_lowercase()).as_deref(), Some("1" | "t" | "true"))
}

async fn get_policy(
    AxState(st): AxState<Shared>,
    Path(tailnet): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Resp {
    let s = lock(&st);
    if let Err(r) = authorize(&s, &headers, "policy_file:read").and_then(|()| tailnet_ok(&s, &tailnet)) {
        return r;
    }
    policy_response(&s, &q, &headers)
}

/// The policy as GET and a successful POST return it: HuJSON unless JSON is asked for.
fn policy_response(s: &State, q: &HashMap<String, String>, headers: &HeaderMap) -> Resp {
    let etag = s.etag();
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (ctype, body) = if truthy(q.get("details")) {
        let acl = base64_encode(s.policy.as_bytes());
        ("application/json", json!({"acl": acl, "warnings": null, "errors": null}).to_string())
    } else if accept.contains("application/json") {
        ("application/json", sorted_json(&s.policy))
    } else {
        ("application/hujson", s.policy.clone())
    };
    Response::builder()
        .status(200)
        .header(header::CONTENT_TYPE, ctype)
        .header(header::ETAG, etag)
        .body(Body::from(body))
        .unwrap_or_default()
}

fn sorted_json(text: &str) -> String {
    fn sort(v: Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut entries: Vec<_> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                Value::Object(entries.into_iter().map(|(k, v)| (k, sort(v))).collect::<Map<_, _>>())
            }
            Value::Array(a) => Value::Array(a.into_iter().map(sort).collect()),
            v => v,
        }
    }
    crate::hujson::parse(text)
        .ok()
        .map(|v| serde_json::to_string_pretty(&sort(v)).unwrap_or_default())
        .unwrap_or_default()
}

async fn set_policy(
    AxState(st): AxState<Shared>,
    Path(tailnet): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Resp {
    let mut s = lock(&st);
    if let Err(r) = authorize(&s, &headers, "policy_file").and_then(|()| tailnet_ok(&s, &tailnet)) {
        return r;
    }
    if let Some(m) = headers.get(header::IF_MATCH) {
        let m = String::from_utf8_lossy(m.as_bytes()).trim().to_owned();
        let ok = if m == "\"ts-default\"" || m == "ts-default" { s.is_default } else { m == s.etag() };
        if !ok {
            return message(412, "precondition failed, invalid old hash");
        }
    }
    if body.len() > s.setup.max_policy_bytes {
        return message(400, "policy file too large");
    }
    let Ok(text) = String::from_utf8(body.to_vec()) else {
        return message(400, "hujson: invalid UTF-8");
    };
    if text.trim().is_empty() {
        s.policy = DEFAULT_POLICY.to_owned();
        s.is_default = true;
    } else {
        if let Err(r) = check_syntax(&text).and_then(|()| judged(&text)) {
            // The SaaS answers a failed test with the bare message `test(s) failed` (the real responses headscale captured, hscontrol/policy/v2/testdata).
            let r = if r.message == "test(s) failed" { Refusal { data: None, ..r } } else { r };
            return json_response(400, r.body());
        }
        s.policy = text;
        s.is_default = false;
    }
    s.audit.push(AuditEntry { action: "policy.update".into(), target: tailnet, comment: None });
    policy_response(&s, &q, &headers)
}

async fn validate(AxState(st): AxState<Shared>, Path(tailnet): Path<String>, headers: HeaderMap, body: Bytes) -> Resp {
    let s = lock(&st);
    if let Err(r) = authorize(&s, &headers, "policy_file:read").and_then(|()| tailnet_ok(&s, &tailnet)) {
        return r;
    }
    let text = String::from_utf8_lossy(&body).into_owned();
    // A bare array of tests runs against the stored policy; anything else is a whole policy.
    let policy = match serde_json::from_str::<Value>(&text) {
        Ok(Value::Array(tests)) => with_tests(&s.policy, tests),
        _ => text,
    };
    drop(s);
    match check_syntax(&policy).and_then(|()| judged(&policy)) {
        Ok(()) => json_response(200, "{}".into()),
        // Always 200: failures are in the body (Tailscale's API reference for `/acl/validate`).
        Err(r) => json_response(200, r.body()),
    }
}

/// The policy's tests as the simulator's own judge (`judge`) sees them, posture included,
/// before anything else: a test it finds failing fails with its own message (no `from`), so a
/// test of the client can tell that it was the simulator's logic that decided.
fn judged(policy: &str) -> Result<(), Refusal> {
    let Some(p) = crate::judge::Policy::parse(policy) else { return Ok(()) };
    let failed = p.failed_tests();
    if failed.is_empty() {
        return Ok(());
    }
    let data = failed.into_iter().map(|(user, errors)| json!({ "user": user, "errors": errors })).collect();
    Err(Refusal { message: "test(s) failed".into(), data: Some(Value::Array(data)) })
}

/// The stored policy with its `tests` replaced.
fn with_tests(policy: &str, tests: Vec<Value>) -> String {
    let mut v = crate::hujson::parse(policy).unwrap_or(json!({}));
    if let Some(o) = v.as_object_mut() {
        o.retain(|k, _| !k.eq_ignore_ascii_case("tests"));
        o.insert("tests".into(), Value::Array(tests));
    }
    v.to_string()
}

/// The settings that `policy_file` governs; every other one is `feature_settings`'s (the API
/// reference, "Update tailnet settings").
const POLICY_FILE_SETTINGS: [&str; 2] = ["aclsExternallyManagedOn", "aclsExternalLink"];

/// The scopes of a caller of the settings endpoint, whose scopes decide field by field.
fn settings_caller(s: &State, headers: &HeaderMap, tailnet: &str) -> Result<Vec<String>, Resp> {
    let scopes = authenticate(s, headers)?;
    tailnet_ok(s, tailnet)?;
    Ok(scopes)
}

/// `GET /tailnet/{tailnet}/settings`: the policy-file settings need `policy_file:read`, the
/// others `feature_settings:read`; a caller sees the ones its scopes cover.
async fn get_settings(AxState(st): AxState<Shared>, Path(tailnet): Path<String>, headers: HeaderMap) -> Resp {
    let s = lock(&st);
    let scopes = match settings_caller(&s, &headers, &tailnet) {
        Ok(sc) => sc,
        Err(r) => return r,
    };
    let (policy, feature) = (has_scope(&scopes, "policy_file:read"), has_scope(&scopes, "feature_settings:read"));
    if !policy && !feature {
        return not_permitted();
    }
    let shown: Map<String, Value> = s
        .settings
        .iter()
        .filter(|(k, _)| if POLICY_FILE_SETTINGS.contains(&k.as_str()) { policy } else { feature })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    json_response(200, Value::Object(shown).to_string())
}

/// `PATCH /tailnet/{tailnet}/settings`: the fields sent, each of a known name and type and
/// covered by the caller's scopes, or nothing changes.
async fn patch_settings(
    AxState(st): AxState<Shared>,
    Path(tailnet): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Resp {
    let mut s = lock(&st);
    let scopes = match settings_caller(&s, &headers, &tailnet) {
        Ok(sc) => sc,
        Err(r) => return r,
    };
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(&body) else {
        return message(400, "invalid JSON body");
    };
    for (k, v) in &fields {
        let Some(current) = s.settings.get(k) else {
            return message(400, &format!("unknown setting {k:?}"));
        };
        let same_type = matches!(
            (current, v),
            (Value::Bool(_), Value::Bool(_))
                | (Value::String(_), Value::String(_))
                | (Value::Number(_), Value::Number(_))
        );
        if !same_type {
            return message(400, &format!("setting {k:?} has the wrong type"));
        }
        let needed = if POLICY_FILE_SETTINGS.contains(&k.as_str()) { "policy_file" } else { "feature_settings" };
        if !has_scope(&scopes, needed) {
            return not_permitted();
        }
    }
    for (k, v) in fields {
        s.settings.insert(k, v);
    }
    s.audit.push(AuditEntry { action: "settings.update".into(), target: tailnet, comment: None });
    json_response(200, Value::Object(s.settings.clone()).to_string())
}

async fn users(AxState(st): AxState<Shared>, Path(tailnet): Path<String>, headers: HeaderMap) -> Resp {
    let s = lock(&st);
    if let Err(r) = authorize(&s, &headers, "users:read").and_then(|()| tailnet_ok(&s, &tailnet)) {
        return r;
    }
    json_response(200, json!({ "users": s.setup.users }).to_string())
}

async fn devices(AxState(st): AxState<Shared>, Path(tailnet): Path<String>, headers: HeaderMap) -> Resp {
    let s = lock(&st);
    if let Err(r) = authorize(&s, &headers, "devices:core:read").and_then(|()| tailnet_ok(&s, &tailnet)) {
        return r;
    }
    json_response(200, json!({ "devices": s.setup.devices }).to_string())
}

/// The node ID of the device a request names, once the credentials allow `scope`.
fn device_for(s: &State, headers: &HeaderMap, scope: &str, id: &str) -> Result<String, Resp> {
    authorize(s, headers, scope)?;
    s.device(id).and_then(|d| d["nodeId"].as_str().map(String::from)).ok_or_else(|| message(404, "device not found"))
}

async fn get_attributes(AxState(st): AxState<Shared>, Path(id): Path<String>, headers: HeaderMap) -> Resp {
    let mut s = lock(&st);
    let node = match device_for(&s, &headers, "devices:posture_attributes:read", &id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    s.expire_attributes();
    let mut attributes = Map::new();
    attributes.insert("node:os".into(), json!("linux"));
    attributes.insert("node:tsVersion".into(), json!("1.80.0"));
    let mut expiries = Map::new();
    for (k, a) in s.posture.get(&node).into_iter().flatten() {
        attributes.insert(k.clone(), a.value.clone());
        if let Some(e) = a.expiry {
            expiries.insert(k.clone(), json!(e.to_string()));
        }
    }
    let mut body = json!({ "attributes": attributes });
    // The real API leaves `expiries` out when nothing expires.
    if !expiries.is_empty() {
        body["expiries"] = Value::Object(expiries);
    }
    json_response(200, body.to_string())
}

fn valid_key(key: &str) -> Result<(), String> {
    let Some(name) = key.strip_prefix("custom:") else {
        return Err(format!("attribute key {key:?} must start with \"custom:\""));
    };
    if key.len() > 128 || name.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b':') {
        return Err(format!("invalid attribute key {key:?}: at most 128 letters, digits, underscores and colons"));
    }
    Ok(())
}

fn json_type(v: &Value) -> Result<&'static str, String> {
    match v {
        Value::Bool(_) => Ok("boolean"),
        Value::Number(n) if n.as_i64().is_some_and(|i| i.unsigned_abs() < (1u64 << 53)) => Ok("number"),
        Value::String(s) if s.len() <= 50 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.') => {
            Ok("string")
        }
        _ => Err("value must be a boolean, an integer below 2^53, or a string of at most 50 letters, digits, underscores and periods".into()),
    }
}

async fn set_attribute(
    AxState(st): AxState<Shared>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Resp {
    let mut s = lock(&st);
    let node = match device_for(&s, &headers, "devices:posture_attributes", &id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if !s.setup.custom_attributes {
        return no_custom_attributes();
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else { return message(400, "invalid JSON body") };
    let comment = req.get("comment").and_then(Value::as_str).map(String::from);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return message(400, "comment is longer than 200 characters");
    }
    let (attribute, kind) = match checked_write(&s.key_types, &key, &req) {
        Ok(w) => w,
        Err(r) => return r,
    };
    s.key_types.insert(key.to_ascii_lowercase(), (key.clone(), kind));
    s.posture.entry(node.clone()).or_default().insert(key.clone(), attribute);
    s.audit.push(AuditEntry { action: "posture.set".into(), target: format!("{node}/{key}"), comment });
    // A real call in Dec 2025 answered `null` (tailscale/tailscale#18253).
    json_response(200, "null".into())
}

/// [SIM] How a tailnet whose plan lacks custom posture attributes refuses a write of one
/// (the real wording is not documented).
fn no_custom_attributes() -> Resp {
    message(400, "custom device posture attributes are not available on this tailnet's plan")
}

/// An attribute to store, and its value's type.
type Write = (Attribute, &'static str);

/// Lowercased key → the key as first written, and the type its values have.
type KeyTypes = std::collections::HashMap<String, (String, &'static str)>;

/// Checks one attribute write (`{"value", "expiry"?}`) as the per-device endpoint does: the
/// key, the value and its tailnet-wide type; the attribute to store, or the refusal.
/// A write checked against the key types the tailnet has fixed (`key_types`: lowercased key →
/// the key as first written and its type).
fn checked_write(key_types: &KeyTypes, key: &str, req: &Value) -> Result<Write, Resp> {
    valid_key(key).map_err(|m| message(400, &m))?;
    let value = req.get("value").cloned().ok_or_else(|| message(400, "value is required"))?;
    let kind = json_type(&value).map_err(|m| message(400, &m))?;
    let expiry = match req.get("expiry").and_then(Value::as_str) {
        None | Some("0001-01-01T00:00:00Z") => None,
        Some(e) => Some(e.parse::<Timestamp>().map_err(|_| message(400, &format!("expiry {e:?} is not RFC 3339")))?),
    };
    match key_types.get(&key.to_ascii_lowercase()) {
        Some((existing, _)) if existing != key => {
            Err(message(400, &format!("attribute key {key:?} clashes with existing key {existing:?}")))
        }
        Some((_, t)) if *t != kind => {
            Err(message(400, &format!("attribute {key:?} holds {t} values in this tailnet, not {kind}")))
        }
        _ => Ok((Attribute { value, expiry }, kind)),
    }
}

/// `PATCH /tailnet/{tailnet}/device-attributes`: a JSON Merge Patch of many devices'
/// attributes (`null` deletes), all checked before any is applied [I: atomic], one comment
/// for the audit log. Answers 200 `null`, as the spec says.
async fn batch_attributes(
    AxState(st): AxState<Shared>,
    Path(tailnet): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Resp {
    let mut s = lock(&st);
    if !s.setup.batch_endpoint {
        return message(404, "not found");
    }
    if let Err(r) = authorize(&s, &headers, "devices:posture_attributes").and_then(|()| tailnet_ok(&s, &tailnet)) {
        return r;
    }
    if !s.setup.custom_attributes {
        return no_custom_attributes();
    }
    let Ok(req) = serde_json::from_slice::<Value>(&body) else { return message(400, "invalid JSON body") };
    let Some(nodes) = req.get("nodes").and_then(Value::as_object) else { return message(400, "nodes is required") };
    let comment = req.get("comment").and_then(Value::as_str).map(String::from);
    if comment.as_ref().is_some_and(|c| c.chars().count() > 200) {
        return message(400, "comment is longer than 200 characters");
    }
    // Every change checked first; then all applied.
    // (node, key, the write; `None` deletes)
    let mut changes: Vec<(String, String, Option<Write>)> = Vec::new();
    // Checked against the types as they will be once the earlier changes land, so that one
    // batch cannot give a key two spellings or two types.
    let mut key_types = s.key_types.clone();
    for (id, attrs) in nodes {
        let Some(node) = s.device(id).and_then(|d| d["nodeId"].as_str().map(String::from)) else {
            return message(400, &format!("device {id:?} not found"));
        };
        let Some(attrs) = attrs.as_object() else { return message(400, "each node maps keys to changes") };
        for (key, change) in attrs {
            if change.is_null() {
                if let Err(m) = valid_key(key) {
                    return message(400, &m);
                }
                changes.push((node.clone(), key.clone(), None));
                continue;
            }
            match checked_write(&key_types, key, change) {
                Ok(w) => {
                    key_types.entry(key.to_ascii_lowercase()).or_insert_with(|| (key.clone(), w.1));
                    changes.push((node.clone(), key.clone(), Some(w)));
                }
                Err(r) => return r,
            }
        }
    }
    for (node, key, write) in changes {
        match write {
            Some((attribute, kind)) => {
                s.key_types.insert(key.to_ascii_lowercase(), (key.clone(), kind));
                s.posture.entry(node.clone()).or_default().insert(key.clone(), attribute);
                s.audit.push(AuditEntry {
                    action: "posture.set".into(),
                    target: format!("{node}/{key}"),
                    comment: comment.clone(),
                });
            }
            None => {
                if s.posture.get_mut(&node).and_then(|m| m.remove(&key)).is_some() {
                    s.audit.push(AuditEntry {
                        action: "posture.delete".into(),
                        target: format!("{node}/{key}"),
                        comment: comment.clone(),
                    });
                }
            }
        }
    }
    json_response(200, "null".into())
}

async fn delete_attribute(
    AxState(st): AxState<Shared>,
    Path((id, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Resp {
    let mut s = lock(&st);
    let node = match device_for(&s, &headers, "devices:posture_attributes", &id) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if !key.starts_with("custom:") {
        return message(400, &format!("only custom: attributes can be deleted, not {key:?}"));
    }
    // [SIM] Deleting a key that is not set succeeds, so deletes stay idempotent.
    if s.posture.get_mut(&node).and_then(|m| m.remove(&key)).is_some() {
        s.audit.push(AuditEntry { action: "posture.delete".into(), target: format!("{node}/{key}"), comment: None });
    }
    Response::builder().status(200).body(Body::empty()).unwrap_or_default()
}

fn parse_form(body: &[u8]) -> HashMap<String, String> {
    fn unescape(s: &str) -> String {
        let s = s.replace('+', " ");
        let b = s.as_bytes();
        let mut out = Vec::with_capacity(b.len());
        let mut i = 0;
        while i < b.len() {
            let hex = b.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            if b[i] == b'%'
                && let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
            out.push(b[i]);
            i += 1;
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    String::from_utf8_lossy(body)
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (unescape(k), unescape(v))
        })
        .collect()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn base64_decode(s: &str) -> Option<String> {
    let mut bits = 0u32;
    let mut nbits = 0;
    let mut out = Vec::new();
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = B64.iter().position(|&x| x == c)? as u32;
        bits = (bits << 6) | v;
        nbits += 6;
        if nbits >= 8 {
            nbits -= 8;
            out.push((bits >> nbits) as u8);
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips() {
        for s in ["", "a", "ab", "abc", "tskey-api-x:", "hello world!"] {
            assert_eq!(base64_decode(&base64_encode(s.as_bytes())).as_deref(), Some(s));
        }
        assert_eq!(base64_encode(b"tskey:"), "dHNrZXk6");
    }

    #[test]
    fn scopes_imply_reads() {
        let g = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(has_scope(&g(&["policy_file"]), "policy_file:read"));
        assert!(!has_scope(&g(&["policy_file:read"]), "policy_file"));
        assert!(has_scope(&g(&["all:read"]), "devices:core:read"));
        assert!(!has_scope(&g(&["all:read"]), "devices:posture_attributes"));
        assert!(has_scope(&g(&["all"]), "devices:posture_attributes"));
    }

    #[test]
    fn forms_decode() {
        let f = parse_form("client_id=k1&client_secret=tskey-client-k1-a%2Bb&scope=a+b&x=%é%".as_bytes());
        assert_eq!(f["client_secret"], "tskey-client-k1-a+b");
        assert_eq!(f["scope"], "a b");
    }
}
