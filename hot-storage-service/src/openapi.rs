//! Hand-written OpenAPI 3.1 documents for both services (served at
//! `/openapi.json`). A test checks that every route of each router appears.

use serde_json::{Value, json};

fn err_responses(codes: &[&str]) -> Value {
    let mut m = serde_json::Map::new();
    for c in codes {
        let desc = match *c {
            "400" => "BAD_REQUEST: malformed JSON, wrong types, unknown fields, bad ids",
            "401" => "AUTH_REQUIRED or AUTH_EXPIRED",
            "404" => "NO_WALLET or SHARE_UNAVAILABLE",
            "409" => "WALLET_EXISTS, DEVICE_EXISTS or VERSION_CONFLICT",
            "413" => "PAYLOAD_TOO_LARGE",
            "429" => "RATE_LIMITED (Retry-After set)",
            "500" => "INTERNAL",
            "503" => "TIMEOUT or UNAVAILABLE",
            _ => "error",
        };
        m.insert(
            (*c).to_string(),
            json!({ "description": desc, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } }),
        );
    }
    Value::Object(m)
}

fn op(
    summary: &str,
    auth: bool,
    body: Option<&str>,
    ok_status: &str,
    ok_schema: Value,
    errors: &[&str],
) -> Value {
    let mut o = json!({ "summary": summary, "responses": {} });
    if let Some(b) = body {
        o["requestBody"] = json!({ "required": true, "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{b}") } } } });
    }
    if auth {
        o["security"] = json!([{ "bearer": [] }]);
    } else {
        o["security"] = json!([]);
    }
    let mut responses = err_responses(errors);
    responses[ok_status] = json!({ "description": "success", "content": { "application/json": { "schema": ok_schema } } });
    o["responses"] = responses;
    o
}

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

fn common_schemas() -> serde_json::Map<String, Value> {
    let v = json!({
        "Error": { "type": "object", "required": ["error"], "properties": { "error": { "type": "object",
            "required": ["code", "message"], "properties": { "code": { "type": "string", "enum": [
                "BAD_REQUEST", "PAYLOAD_TOO_LARGE", "AUTH_REQUIRED", "AUTH_EXPIRED", "NO_WALLET", "SHARE_UNAVAILABLE",
                "WALLET_EXISTS", "DEVICE_EXISTS", "VERSION_CONFLICT", "RATE_LIMITED", "TIMEOUT", "UNAVAILABLE",
                "NOT_FOUND", "INTERNAL"] }, "message": { "type": "string" } } } } },
        "Uuid": { "type": "string", "format": "uuid", "pattern": "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$" },
        "Split": { "type": "string", "pattern": "^[0-9a-f]{32}$" },
        "Share": { "type": "string", "contentEncoding": "base64", "description": "share envelope, at most 512 bytes" },
        "Version": { "type": "integer", "minimum": 0, "maximum": 9007199254740990u64 },
        "Health": { "type": "object", "properties": { "ok": { "type": "boolean" }, "service": { "type": "string" } } },
        "Ok": { "type": "object", "required": ["ok"], "properties": { "ok": { "const": true } } },
    });
    v.as_object().cloned().unwrap_or_default()
}

fn ops_paths() -> Vec<(&'static str, Value)> {
    vec![
        (
            "/healthz",
            json!({ "get": op("Liveness and database check", false, None, "200", r("Health"), &["503"]) }),
        ),
        (
            "/metrics",
            json!({ "get": { "summary": "Prometheus text metrics", "security": [],
            "responses": { "200": { "description": "metrics", "content": { "text/plain": { "schema": { "type": "string" } } } } } } }),
        ),
        (
            "/openapi.json",
            json!({ "get": { "summary": "This document", "security": [],
            "responses": { "200": { "description": "OpenAPI 3.1", "content": { "application/json": { "schema": { "type": "object" } } } } } } }),
        ),
    ]
}

fn document(
    title: &str,
    description: &str,
    server: &str,
    paths: Vec<(&str, Value)>,
    schemas: Value,
) -> Value {
    let mut all = common_schemas();
    if let Some(m) = schemas.as_object() {
        all.extend(m.clone());
    }
    let mut p = serde_json::Map::new();
    for (k, v) in paths.into_iter().chain(ops_paths()) {
        p.insert(k.to_string(), v);
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": title, "version": env!("CARGO_PKG_VERSION"), "description": description },
        "servers": [{ "url": server }],
        "paths": p,
        "components": {
            "securitySchemes": { "bearer": { "type": "http", "scheme": "bearer", "bearerFormat": "JWT (EdDSA, ES256 or RS256)" } },
            "schemas": all,
        },
        "security": [{ "bearer": [] }],
    })
}

/// The hot-storage API.
pub fn hot_document() -> Value {
    let e = &["400", "401", "404", "409", "413", "429", "500", "503"];
    let paths = vec![
        (
            "/v2/config",
            json!({ "get": op("Allow-list and settings the iFrame needs", false, None, "200", r("Config"), &["503"]) }),
        ),
        (
            "/v2/wallet",
            json!({ "get": op("The caller's wallet", true, None, "200", r("Wallet"), &["401", "404", "429"]) }),
        ),
        (
            "/v2/devices/create",
            json!({ "post": op("Create the wallet with H0 and the creating device's share (201; identical repeat 200)", true, Some("CreateRequest"), "201", r("DeviceRef"), e) }),
        ),
        (
            "/v2/devices/register",
            json!({ "post": op("Register a device's hot share at version 0 (201; identical repeat 200)", true, Some("RegisterRequest"), "201", r("DeviceRef"), e) }),
        ),
        (
            "/v2/devices/recover",
            json!({ "post": op("Read H0, a device's current share, or promote and read its pending share", true, Some("RecoverRequest"), "200", r("RecoverResponse"), e) }),
        ),
        (
            "/v2/devices/refresh",
            json!({ "post": op("Store the pending version+1 beside the current one (compare-and-swap)", true, Some("RefreshRequest"), "200", r("VersionRef"), e) }),
        ),
        (
            "/v2/devices/commit",
            json!({ "post": op("Promote the pending version to current (idempotent)", true, Some("CommitRequest"), "200", r("VersionRef"), e) }),
        ),
        (
            "/v2/devices/list",
            json!({ "post": op("List the wallet's devices", true, Some("WalletRequest"), "200", r("DeviceList"), e) }),
        ),
        (
            "/v2/devices/revoke",
            json!({ "post": op("Delete a device's hot shares", true, Some("RevokeRequest"), "200", r("Ok"), e) }),
        ),
    ];
    let schemas = json!({
        "Config": { "type": "object", "properties": { "allowedOrigins": { "type": "array", "items": { "type": "string" } },
            "shieldUrl": { "type": "string" }, "deviceTtlSeconds": { "type": "integer" } } },
        "Addresses": { "type": "object", "additionalProperties": false, "required": ["evm"], "properties": {
            "evm": { "type": "string", "pattern": "^0x[0-9a-fA-F]{40}$" }, "solana": { "type": ["string", "null"] } } },
        "Kind": { "type": "string", "enum": ["mnemonic", "evm_private_key"] },
        "Wallet": { "type": "object", "properties": { "wallet": r("Uuid"), "kind": r("Kind"), "addresses": r("Addresses"),
            "createdAt": { "type": "string", "format": "date-time" } } },
        "DeviceShare": { "type": "object", "additionalProperties": false, "required": ["device", "split", "share", "ephemeral"],
            "properties": { "device": r("Uuid"), "split": r("Split"), "share": r("Share"), "ephemeral": { "type": "boolean" },
            "label": { "type": ["string", "null"], "maxLength": 64 } } },
        "CreateRequest": { "type": "object", "additionalProperties": false, "required": ["wallet", "kind", "addresses", "primary"],
            "properties": { "wallet": r("Uuid"), "kind": r("Kind"), "addresses": r("Addresses"),
            "primary": { "type": "object", "additionalProperties": false, "required": ["split", "share"],
                "properties": { "split": r("Split"), "share": r("Share") } },
            "device": r("DeviceShare") } },
        "RegisterRequest": { "type": "object", "additionalProperties": false, "required": ["wallet", "device", "split", "share", "ephemeral"],
            "properties": { "wallet": r("Uuid"), "device": r("Uuid"), "split": r("Split"), "share": r("Share"),
            "ephemeral": { "type": "boolean" }, "label": { "type": ["string", "null"], "maxLength": 64 } } },
        "DeviceRef": { "type": "object", "properties": { "wallet": r("Uuid"), "device": { "type": ["string", "null"] }, "version": r("Version") } },
        "RecoverRequest": { "type": "object", "additionalProperties": false, "required": ["wallet"],
            "properties": { "wallet": r("Uuid"), "device": r("Uuid"), "version": r("Version"), "split": r("Split") } },
        "RecoverResponse": { "type": "object", "properties": { "wallet": r("Uuid"), "device": r("Uuid"), "version": r("Version"),
            "split": r("Split"), "share": r("Share"), "kind": r("Kind"), "addresses": r("Addresses"),
            "pending": { "oneOf": [ { "type": "null" }, { "type": "object", "properties": { "version": r("Version"), "split": r("Split") } } ] } } },
        "RefreshRequest": { "type": "object", "additionalProperties": false, "required": ["wallet", "device", "version", "split", "share"],
            "properties": { "wallet": r("Uuid"), "device": r("Uuid"), "version": r("Version"), "split": r("Split"), "share": r("Share"),
            "replacePending": { "oneOf": [ { "type": "null" }, r("Split") ] } } },
        "CommitRequest": { "type": "object", "additionalProperties": false, "required": ["wallet", "device", "version", "split"],
            "properties": { "wallet": r("Uuid"), "device": r("Uuid"), "version": r("Version"), "split": r("Split") } },
        "VersionRef": { "type": "object", "properties": { "wallet": r("Uuid"), "device": r("Uuid"), "version": r("Version"), "split": r("Split") } },
        "WalletRequest": { "type": "object", "additionalProperties": false, "required": ["wallet"], "properties": { "wallet": r("Uuid") } },
        "RevokeRequest": { "type": "object", "additionalProperties": false, "required": ["wallet", "device"],
            "properties": { "wallet": r("Uuid"), "device": r("Uuid") } },
        "DeviceList": { "type": "object", "properties": { "devices": { "type": "array", "items": { "type": "object", "properties": {
            "device": r("Uuid"), "label": { "type": ["string", "null"] }, "ephemeral": { "type": "boolean" }, "version": r("Version"),
            "createdAt": { "type": "string", "format": "date-time" }, "lastUsedAt": { "type": "string", "format": "date-time" },
            "expiresAt": { "type": ["string", "null"], "format": "date-time" } } } } } },
    });
    document(
        "Keyframe hot storage",
        "Hot shares of Keyframe wallets; see docs/api.md. The iFrame's static files are served at / (not listed).",
        "http://127.0.0.1:8787",
        paths,
        schemas,
    )
}

/// The Shield (cold storage) API.
pub fn shield_document() -> Value {
    let e = &["400", "401", "404", "413", "429", "500", "503"];
    let wallet_param =
        json!([{ "name": "wallet", "in": "path", "required": true, "schema": r("Uuid") }]);
    let mut item = json!({
        "get": op("Read the cold record", true, None, "200", r("ColdRecord"), e),
        "put": op("Replace method, params and ciphertext (password change)", true, Some("ColdReplace"), "200", r("ColdRecord"), e),
        "delete": op("Delete the cold record", true, None, "200", r("Ok"), e),
    });
    item["parameters"] = wallet_param;
    let paths = vec![
        (
            "/v1/cold-shares",
            json!({ "post": op("Create the cold record (201; identical repeat 200; else 409 WALLET_EXISTS)", true, Some("ColdCreate"), "201", r("Ok"), &["400", "401", "409", "413", "429", "500", "503"]) }),
        ),
        ("/v1/cold-shares/{wallet}", item),
    ];
    let schemas = json!({
        "Method": { "type": "string", "enum": ["password", "automatic"] },
        "Params": { "type": "object", "description": "stored verbatim, at most 1 KiB of JSON; password: { kdf, m, t, p, salt }" },
        "Ciphertext": { "type": "string", "contentEncoding": "base64", "description": "at most 4096 bytes" },
        "ColdCreate": { "type": "object", "additionalProperties": false, "required": ["wallet", "method", "params", "ciphertext"],
            "properties": { "wallet": r("Uuid"), "method": r("Method"), "params": r("Params"), "ciphertext": r("Ciphertext") } },
        "ColdReplace": { "type": "object", "additionalProperties": false, "required": ["method", "params", "ciphertext"],
            "properties": { "wallet": r("Uuid"), "method": r("Method"), "params": r("Params"), "ciphertext": r("Ciphertext") } },
        "ColdRecord": { "type": "object", "properties": { "wallet": r("Uuid"), "method": r("Method"), "params": r("Params"),
            "ciphertext": r("Ciphertext"), "createdAt": { "type": "string", "format": "date-time" },
            "updatedAt": { "type": "string", "format": "date-time" } } },
    });
    document(
        "Keyframe Shield (cold storage)",
        "Cold-share ciphertexts of Keyframe wallets; see docs/api.md. CORS allows only the provider origin.",
        "http://127.0.0.1:8788",
        paths,
        schemas,
    )
}
