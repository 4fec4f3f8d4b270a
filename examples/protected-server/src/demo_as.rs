//! A demo OAuth 2.1 authorization server, so that the protected server can be tried end to
//! end without setting one up.
//!
//! **Not for production.** It approves every authorization request at once, as the user
//! named by the `login_hint` parameter (default `demo-user`), without a login page; it keeps
//! clients, codes and refresh tokens in memory; its signing key is new at every start.
//!
//! What it does implement, as MCP clients expect: authorization server metadata (RFC 8414,
//! also at the OpenID discovery path), dynamic client registration (RFC 7591), the
//! authorization code grant with PKCE (S256 only) and the `iss` response parameter
//! (RFC 9207), resource indicators (RFC 8707: tokens are bound to the MCP server's URI),
//! refresh tokens with rotation, the client credentials grant for registered confidential
//! clients, and a JWKS. Access tokens are EdDSA-signed JWTs.
//!
//! A public client `demo-client` is pre-registered for loopback redirect URIs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use mcpwire::auth::jsonwebtoken::jwk::Jwk;
use mcpwire::auth::jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The pre-registered public client.
pub const DEMO_CLIENT: &str = "demo-client";

/// How long access tokens live.
const TOKEN_TTL: Duration = Duration::from_secs(3600);
/// How long authorization codes live.
const CODE_TTL: Duration = Duration::from_secs(60);

struct RegisteredClient {
    redirect_uris: Vec<String>,
    /// Confidential clients only.
    secret: Option<String>,
}

/// What a code or refresh token stands for.
#[derive(Clone)]
struct Grant {
    client_id: String,
    subject: String,
    scope: String,
    resource: String,
    code_challenge: Option<String>,
    redirect_uri: Option<String>,
    expires: Instant,
}

struct Data {
    clients: HashMap<String, RegisteredClient>,
    codes: HashMap<String, Grant>,
    refresh: HashMap<String, Grant>,
}

struct Demo {
    issuer: String,
    resource: String,
    scopes: Vec<String>,
    default_scope: String,
    key: EncodingKey,
    kid: String,
    jwks: String,
    data: Mutex<Data>,
}

fn random(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::fill(&mut b).expect("the operating system's random number generator failed");
    URL_SAFE_NO_PAD.encode(b)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// A resource URI for comparison: lower-case scheme and host, no trailing slash.
fn canonical(uri: &str) -> String {
    let uri = uri.trim_end_matches('/');
    match uri.find("://") {
        Some(i) => {
            let end = uri[i + 3..].find('/').map_or(uri.len(), |j| i + 3 + j);
            format!("{}{}", uri[..end].to_ascii_lowercase(), &uri[end..])
        }
        None => uri.to_owned(),
    }
}

/// `http://127.0.0.1:PORT/...` or `http://localhost:PORT/...`, without the port.
fn loopback_without_port(uri: &str) -> Option<String> {
    let rest = uri.strip_prefix("http://")?;
    let (host_port, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = host_port.rsplit_once(':').map_or(host_port, |(h, _)| h);
    matches!(host, "127.0.0.1" | "localhost" | "[::1]").then(|| format!("{host}{path}"))
}

/// Whether `given` is one of `registered`; loopback URIs may differ in port (RFC 8252 §7.3).
fn redirect_allowed(registered: &[String], given: &str) -> bool {
    registered.iter().any(|r| {
        r == given
            || matches!(
                (loopback_without_port(r), loopback_without_port(given)),
                (Some(a), Some(b)) if a == b
            )
    })
}

fn json_response(status: StatusCode, body: Value) -> Response {
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .header("cache-control", "no-store")
        .body(Body::from(body.to_string()))
        .expect("a valid response")
}

fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    json_response(
        status,
        json!({"error": error, "error_description": description}),
    )
}

fn form(text: &str) -> HashMap<String, String> {
    form_urlencoded::parse(text.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

impl Demo {
    fn metadata(&self) -> Value {
        let i = &self.issuer;
        json!({
            "issuer": i,
            "authorization_endpoint": format!("{i}/authorize"),
            "token_endpoint": format!("{i}/token"),
            "registration_endpoint": format!("{i}/register"),
            "jwks_uri": format!("{i}/jwks"),
            "scopes_supported": self.scopes,
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "authorization_response_iss_parameter_supported": true,
        })
    }

    fn sign(&self, grant: &Grant) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        header.typ = Some("at+jwt".into());
        let iat = now_secs();
        let claims = json!({
            "iss": self.issuer, "sub": grant.subject, "aud": grant.resource,
            "client_id": grant.client_id, "scope": grant.scope,
            "iat": iat, "exp": iat + TOKEN_TTL.as_secs(), "jti": random(12),
        });
        mcpwire::auth::jsonwebtoken::encode(&header, &claims, &self.key)
            .expect("an Ed25519 key signs")
    }

    fn issue(&self, grant: Grant, with_refresh: bool) -> Response {
        let access = self.sign(&grant);
        let mut body = json!({
            "access_token": access, "token_type": "Bearer",
            "expires_in": TOKEN_TTL.as_secs(), "scope": grant.scope,
        });
        if with_refresh {
            let refresh = random(32);
            let mut kept = grant;
            kept.expires = Instant::now() + Duration::from_secs(30 * 24 * 3600);
            self.data
                .lock()
                .unwrap()
                .refresh
                .insert(refresh.clone(), kept);
            body["refresh_token"] = Value::from(refresh);
        }
        json_response(StatusCode::OK, body)
    }

    /// Checks requested scopes against the supported ones; empty means the default.
    fn scope(&self, requested: Option<&String>) -> Result<String, String> {
        let requested = requested.map(|s| s.trim()).filter(|s| !s.is_empty());
        let Some(s) = requested else {
            return Ok(self.default_scope.clone());
        };
        let mut out: Vec<&str> = Vec::new();
        for part in s.split_whitespace() {
            if !self.scopes.iter().any(|x| x == part) {
                return Err(format!("unknown scope `{part}`"));
            }
            if !out.contains(&part) {
                out.push(part);
            }
        }
        Ok(out.join(" "))
    }

    fn register(&self, body: &str) -> Response {
        let Ok(meta) = serde_json::from_str::<Value>(body) else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_client_metadata",
                "send JSON",
            );
        };
        let redirect_uris: Vec<String> = meta["redirect_uris"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let method = meta["token_endpoint_auth_method"]
            .as_str()
            .unwrap_or("none")
            .to_owned();
        let confidential = method != "none";
        if redirect_uris.is_empty() && !confidential {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_redirect_uri",
                "a public client needs redirect_uris",
            );
        }
        for r in &redirect_uris {
            if !(r.starts_with("https://") || loopback_without_port(r).is_some()) {
                return oauth_error(
                    StatusCode::BAD_REQUEST,
                    "invalid_redirect_uri",
                    "redirect URIs must be https or loopback",
                );
            }
        }
        let client_id = format!("client-{}", random(9));
        let secret = confidential.then(|| random(24));
        let mut answer = json!({
            "client_id": client_id, "client_id_issued_at": now_secs(),
            "redirect_uris": redirect_uris, "token_endpoint_auth_method": method,
            "grant_types": meta.get("grant_types").cloned().unwrap_or(json!(["authorization_code", "refresh_token"])),
            "client_name": meta.get("client_name").cloned().unwrap_or(Value::Null),
        });
        if let Some(s) = &secret {
            answer["client_secret"] = Value::from(s.clone());
            answer["client_secret_expires_at"] = Value::from(0);
        }
        self.data.lock().unwrap().clients.insert(
            client_id,
            RegisteredClient {
                redirect_uris,
                secret,
            },
        );
        json_response(StatusCode::CREATED, answer)
    }

    fn authorize(&self, query: &str) -> Response {
        let q = form(query);
        let get = |k: &str| q.get(k).map(String::as_str);
        let Some(client_id) = get("client_id") else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "client_id is required",
            );
        };
        let Some(redirect_uri) = get("redirect_uri") else {
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "redirect_uri is required",
            );
        };
        let allowed = {
            let data = self.data.lock().unwrap();
            match data.clients.get(client_id) {
                Some(c) => redirect_allowed(&c.redirect_uris, redirect_uri),
                None => false,
            }
        };
        if !allowed {
            // Never redirect to an unverified URI.
            return oauth_error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "unknown client or unregistered redirect_uri",
            );
        }
        let state = get("state");
        let fail = |error: &str, description: &str| {
            let mut s = form_urlencoded::Serializer::new(String::new());
            s.append_pair("error", error)
                .append_pair("error_description", description)
                .append_pair("iss", &self.issuer);
            if let Some(st) = state {
                s.append_pair("state", st);
            }
            redirect(redirect_uri, &s.finish())
        };
        if get("response_type") != Some("code") {
            return fail("unsupported_response_type", "only `code` is supported");
        }
        let (Some(challenge), Some("S256")) = (get("code_challenge"), get("code_challenge_method"))
        else {
            return fail("invalid_request", "PKCE with S256 is required");
        };
        match get("resource") {
            Some(r) if canonical(r) == canonical(&self.resource) => {}
            Some(_) => {
                return fail(
                    "invalid_target",
                    "this server issues tokens for its MCP server only",
                );
            }
            None => return fail("invalid_target", "send the `resource` parameter (RFC 8707)"),
        }
        let scope = match self.scope(q.get("scope")) {
            Ok(s) => s,
            Err(e) => return fail("invalid_scope", &e),
        };
        let code = random(24);
        self.data.lock().unwrap().codes.insert(
            code.clone(),
            Grant {
                client_id: client_id.to_owned(),
                subject: get("login_hint").unwrap_or("demo-user").to_owned(),
                scope,
                resource: self.resource.clone(),
                code_challenge: Some(challenge.to_owned()),
                redirect_uri: Some(redirect_uri.to_owned()),
                expires: Instant::now() + CODE_TTL,
            },
        );
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("code", &code)
            .append_pair("iss", &self.issuer);
        if let Some(st) = state {
            s.append_pair("state", st);
        }
        redirect(redirect_uri, &s.finish())
    }

    /// The authenticated client of a token request: `Err` for bad credentials.
    fn client(&self, headers: &HeaderMap, f: &HashMap<String, String>) -> Result<String, Response> {
        let invalid = || {
            oauth_error(
                StatusCode::UNAUTHORIZED,
                "invalid_client",
                "client authentication failed",
            )
        };
        let basic = headers
            .get("authorization")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Basic "))
            .and_then(|b| STANDARD.decode(b).ok())
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| {
                let (id, secret) = s.split_once(':')?;
                let dec = |x: &str| {
                    form_urlencoded::parse(format!("x={x}").as_bytes())
                        .next()
                        .map(|(_, v)| v.into_owned())
                };
                Some((dec(id)?, dec(secret)?))
            });
        let (id, secret) = match basic {
            Some((id, secret)) => (id, Some(secret)),
            None => match f.get("client_id") {
                Some(id) => (id.clone(), f.get("client_secret").cloned()),
                None => return Err(invalid()),
            },
        };
        let data = self.data.lock().unwrap();
        let Some(client) = data.clients.get(&id) else {
            return Err(invalid());
        };
        match (&client.secret, &secret) {
            (None, _) => Ok(id),
            (Some(expected), Some(given)) if expected == given => Ok(id),
            _ => Err(invalid()),
        }
    }

    fn token(&self, headers: &HeaderMap, body: &str) -> Response {
        let f = form(body);
        let client_id = match self.client(headers, &f) {
            Ok(id) => id,
            Err(r) => return r,
        };
        let bad_grant = |d: &str| oauth_error(StatusCode::BAD_REQUEST, "invalid_grant", d);
        match f.get("grant_type").map(String::as_str) {
            Some("authorization_code") => {
                let Some(code) = f.get("code") else {
                    return bad_grant("code is required");
                };
                let Some(grant) = self.data.lock().unwrap().codes.remove(code) else {
                    return bad_grant("unknown or used code");
                };
                if grant.expires < Instant::now() || grant.client_id != client_id {
                    return bad_grant("the code expired or belongs to another client");
                }
                if f.get("redirect_uri") != grant.redirect_uri.as_ref() {
                    return bad_grant("redirect_uri differs from the authorization request");
                }
                let verified = f.get("code_verifier").is_some_and(|v| {
                    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(v.as_bytes())))
                        == grant.code_challenge
                });
                if !verified {
                    return bad_grant("PKCE verification failed");
                }
                if let Some(r) = f.get("resource")
                    && canonical(r) != canonical(&grant.resource)
                {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_target",
                        "resource differs",
                    );
                }
                self.issue(grant, true)
            }
            Some("refresh_token") => {
                let Some(token) = f.get("refresh_token") else {
                    return bad_grant("refresh_token is required");
                };
                // Rotation: a refresh token works once.
                let Some(mut grant) = self.data.lock().unwrap().refresh.remove(token) else {
                    return bad_grant("unknown or used refresh token");
                };
                if grant.client_id != client_id || grant.expires < Instant::now() {
                    return bad_grant("the refresh token belongs to another client or expired");
                }
                if let Some(s) = f.get("scope") {
                    let asked: Vec<&str> = s.split_whitespace().collect();
                    if !asked
                        .iter()
                        .all(|a| grant.scope.split_whitespace().any(|g| g == *a))
                    {
                        return oauth_error(
                            StatusCode::BAD_REQUEST,
                            "invalid_scope",
                            "a refresh cannot widen the scope",
                        );
                    }
                    grant.scope = asked.join(" ");
                }
                self.issue(grant, true)
            }
            Some("client_credentials") => {
                let confidential = self
                    .data
                    .lock()
                    .unwrap()
                    .clients
                    .get(&client_id)
                    .is_some_and(|c| c.secret.is_some());
                if !confidential {
                    return oauth_error(
                        StatusCode::UNAUTHORIZED,
                        "unauthorized_client",
                        "only confidential clients",
                    );
                }
                let scope = match self.scope(f.get("scope")) {
                    Ok(s) => s,
                    Err(e) => return oauth_error(StatusCode::BAD_REQUEST, "invalid_scope", &e),
                };
                let resource = f
                    .get("resource")
                    .cloned()
                    .unwrap_or_else(|| self.resource.clone());
                if canonical(&resource) != canonical(&self.resource) {
                    return oauth_error(
                        StatusCode::BAD_REQUEST,
                        "invalid_target",
                        "unknown resource",
                    );
                }
                let grant = Grant {
                    subject: client_id.clone(),
                    client_id,
                    scope,
                    resource,
                    code_challenge: None,
                    redirect_uri: None,
                    expires: Instant::now(),
                };
                self.issue(grant, false)
            }
            _ => oauth_error(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "use authorization_code, refresh_token or client_credentials",
            ),
        }
    }
}

fn redirect(uri: &str, query: &str) -> Response {
    let sep = if uri.contains('?') { '&' } else { '?' };
    Response::builder()
        .status(StatusCode::FOUND)
        .header("location", format!("{uri}{sep}{query}"))
        .header("cache-control", "no-store")
        .body(Body::empty())
        .expect("a valid redirect")
}

/// Serves the demo authorization server on `listener` (its issuer is
/// `http://{local address}`) for the MCP server at `resource`, offering `scopes`
/// (`default_scope` when a client asks for none). Returns the issuer URL.
pub async fn serve(
    listener: tokio::net::TcpListener,
    resource: String,
    scopes: Vec<String>,
    default_scope: &str,
) -> std::io::Result<String> {
    let issuer = format!("http://{}", listener.local_addr()?);
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(std::io::Error::other)?;
    // PKCS#8 wrapping of an Ed25519 seed (RFC 8410): a fixed prefix, then the seed.
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    let key = EncodingKey::from_ed_der(&der);
    let kid = random(8);
    let mut jwk = Jwk::from_encoding_key(&key, Algorithm::EdDSA).map_err(std::io::Error::other)?;
    jwk.common.key_id = Some(kid.clone());
    let mut clients = HashMap::new();
    clients.insert(
        DEMO_CLIENT.to_owned(),
        RegisteredClient {
            redirect_uris: vec![
                "http://127.0.0.1/callback".into(),
                "http://localhost/callback".into(),
            ],
            secret: None,
        },
    );
    let demo = Arc::new(Demo {
        issuer: issuer.clone(),
        resource,
        scopes,
        default_scope: default_scope.to_owned(),
        key,
        kid,
        jwks: json!({"keys": [jwk]}).to_string(),
        data: Mutex::new(Data {
            clients,
            codes: HashMap::new(),
            refresh: HashMap::new(),
        }),
    });
    type D = State<Arc<Demo>>;
    let app = axum::Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            axum::routing::get(
                |State(d): D| async move { json_response(StatusCode::OK, d.metadata()) },
            ),
        )
        .route(
            "/.well-known/openid-configuration",
            axum::routing::get(
                |State(d): D| async move { json_response(StatusCode::OK, d.metadata()) },
            ),
        )
        .route(
            "/jwks",
            axum::routing::get(|State(d): D| async move {
                json_response(
                    StatusCode::OK,
                    serde_json::from_str(&d.jwks).unwrap_or_default(),
                )
            }),
        )
        .route(
            "/register",
            axum::routing::post(|State(d): D, body: String| async move { d.register(&body) }),
        )
        .route(
            "/authorize",
            axum::routing::get(|State(d): D, uri: Uri| async move {
                d.authorize(uri.query().unwrap_or_default())
            }),
        )
        .route(
            "/token",
            axum::routing::post(|State(d): D, headers: HeaderMap, body: String| async move {
                d.token(&headers, &body)
            }),
        )
        .with_state(demo);
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            eprintln!("demo authorization server stopped: {e}");
        }
    });
    Ok(issuer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_redirects_may_change_port_only() {
        let registered = vec!["http://127.0.0.1/callback".to_owned()];
        assert!(redirect_allowed(
            &registered,
            "http://127.0.0.1:4242/callback"
        ));
        assert!(!redirect_allowed(
            &registered,
            "http://127.0.0.1:4242/other"
        ));
        assert!(!redirect_allowed(
            &registered,
            "http://evil.example/callback"
        ));
        assert!(!redirect_allowed(
            &["https://app.example/cb".into()],
            "https://app.example:8443/cb"
        ));
    }
}
