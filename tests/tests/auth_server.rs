//! Authorization on the server side, over real loopback HTTP (and stdio for the JSON-RPC
//! refusals): protected resource metadata, bearer challenges, every token refusal, scopes
//! on tools, resources and prompts, JWKS rotation, introspection, API keys, sessions bound
//! to their principal, and rate and concurrency limits with their recovery.
//!
//! A fake authorization server on loopback publishes a JWKS (Ed25519 keys generated per
//! test) and answers token introspection. Every wait is bounded.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::State as AxState;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use mcpwire::prelude::*;
use mcpwire::{prompt, resource, tool};
use mcpwire_auth::jsonwebtoken::jwk::Jwk;
use mcpwire_auth::jsonwebtoken::{Algorithm, EncodingKey, Header};
use mcpwire_auth::{
    ApiKeys, AuthLayer, ConcurrencyLimitLayer, IntrospectionVerifier, JwtVerifier,
    ProtectedResourceMetadata, Quota, RateLimitLayer, TokenVerifier,
};
use mcpwire_core::ErrorCode;
use mcpwire_core::client::ConnectMode;
use mcpwire_http::{HttpClientConfig, HttpConfig, HttpServer, HttpTransport};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);
const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?}: {what}"))
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

// ---------- keys and tokens ----------

/// An Ed25519 signing key with its public JWK.
struct Signer {
    kid: String,
    key: EncodingKey,
    jwk: Value,
}

impl Signer {
    fn generate(kid: &str) -> Signer {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("random bytes");
        // PKCS#8 v1 wrapping of an Ed25519 seed (RFC 8410): a fixed prefix, then the seed.
        let mut der = vec![
            0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22,
            0x04, 0x20,
        ];
        der.extend_from_slice(&seed);
        let key = EncodingKey::from_ed_der(&der);
        let mut jwk = Jwk::from_encoding_key(&key, Algorithm::EdDSA).expect("public key");
        jwk.common.key_id = Some(kid.to_owned());
        Signer {
            kid: kid.to_owned(),
            key,
            jwk: serde_json::to_value(jwk).unwrap(),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        mcpwire_auth::jsonwebtoken::encode(&header, claims, &self.key).expect("sign")
    }
}

/// The claims of a token for `sub` with `scope`, valid for ten minutes.
fn claims(issuer: &str, audience: &str, sub: &str, scope: &str) -> Value {
    json!({
        "iss": issuer, "aud": audience, "sub": sub, "scope": scope,
        "iat": now(), "exp": now() + 600, "client_id": "test-client", "tenant": format!("{sub}-corp")
    })
}

// ---------- a fake authorization server ----------

#[derive(Default)]
struct AsState {
    jwks: Mutex<Value>,
    jwks_fetches: AtomicUsize,
    /// Introspection answers by token.
    answers: Mutex<HashMap<String, Value>>,
}

struct FakeAs {
    base: String,
    state: Arc<AsState>,
}

impl FakeAs {
    async fn start(keys: &[&Signer]) -> FakeAs {
        let state = Arc::new(AsState::default());
        state.publish(keys);
        async fn jwks(AxState(s): AxState<Arc<AsState>>) -> axum::response::Response {
            s.jwks_fetches.fetch_add(1, Ordering::SeqCst);
            let body = s.jwks.lock().unwrap().to_string();
            Response::builder()
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap()
        }
        async fn introspect(
            AxState(s): AxState<Arc<AsState>>,
            headers: HeaderMap,
            body: String,
        ) -> axum::response::Response {
            // The resource server authenticates as `rs` / `rs-secret` (HTTP Basic).
            let expected = "Basic cnM6cnMtc2VjcmV0";
            if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some(expected) {
                return Response::builder()
                    .status(401)
                    .body(axum::body::Body::from("{\"error\":\"invalid_client\"}"))
                    .unwrap();
            }
            let token = body
                .split('&')
                .find_map(|kv| kv.strip_prefix("token="))
                .unwrap_or_default()
                .to_owned();
            let answer = s
                .answers
                .lock()
                .unwrap()
                .get(&token)
                .cloned()
                .unwrap_or_else(|| json!({"active": false}));
            Response::builder()
                .header("content-type", "application/json")
                .body(axum::body::Body::from(answer.to_string()))
                .unwrap()
        }
        let app = axum::Router::new()
            .route("/jwks", axum::routing::get(jwks))
            .route("/introspect", axum::routing::post(introspect))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        FakeAs { base, state }
    }

    fn jwks_uri(&self) -> String {
        format!("{}/jwks", self.base)
    }

    fn fetches(&self) -> usize {
        self.state.jwks_fetches.load(Ordering::SeqCst)
    }
}

impl AsState {
    fn publish(&self, keys: &[&Signer]) {
        *self.jwks.lock().unwrap() =
            json!({"keys": keys.iter().map(|k| k.jwk.clone()).collect::<Vec<_>>()});
    }
}

// ---------- the MCP server under test ----------

/// Counts handler runs, to prove refused requests never reach a handler.
#[derive(Default)]
struct Runs(AtomicUsize);

/// Lets the `slow` tool finish.
#[derive(Default)]
struct Gate(tokio::sync::Notify);

#[derive(serde::Deserialize)]
struct Tenant {
    tenant: String,
}

/// Who is calling, with their scopes.
#[tool]
async fn whoami(auth: AuthInfo) -> String {
    format!("{} [{}]", auth.subject(), auth.scopes().join(" "))
}

/// The caller's tenant, from a custom claim.
#[tool]
async fn tenant(claims: TokenClaims<Tenant>) -> String {
    claims.tenant.clone()
}

/// Reads a file.
#[tool(scopes = ["files:read"])]
async fn read_file(path: String, runs: State<Runs>) -> String {
    runs.0.0.fetch_add(1, Ordering::SeqCst);
    format!("contents of {path}")
}

/// Writes a file (and is audited).
#[tool(scopes = ["files:write", "audit"])]
async fn write_file(path: String, runs: State<Runs>) -> String {
    runs.0.0.fetch_add(1, Ordering::SeqCst);
    format!("wrote {path}")
}

/// Waits for the gate.
#[tool]
async fn slow(gate: State<Gate>) -> String {
    gate.0.0.notified().await;
    "done".into()
}

/// The secret plans.
#[resource("secret://plans", scopes = ["files:read"])]
async fn plans() -> String {
    "the plans".into()
}

/// Anyone may read this.
#[resource("public://readme")]
async fn readme() -> String {
    "hello".into()
}

/// For administrators.
#[prompt(scopes = ["admin"])]
async fn admin_prompt() -> String {
    "be careful".into()
}

/// For everyone.
#[prompt]
async fn hello() -> String {
    "hi".into()
}

/// A prompt built by hand, with a completable argument, for administrators.
fn deploy_prompt() -> PromptDef {
    let mut prompt = Prompt::new("deploy");
    prompt.arguments = Some(vec![PromptArgument::new("env")]);
    PromptDef::from_fn(prompt, |_args, _ctx| async { "deploying" })
        .complete_from("env", ["production", "preview"])
        .scopes(["admin"])
}

fn mcp_server() -> (Server, Arc<Runs>, Arc<Gate>) {
    let server = Server::new(Implementation::new("protected", "1.0.0"))
        .scope_implies("files:admin", ["files:read", "files:write", "audit"])
        .with_state(Runs::default())
        .with_state(Gate::default())
        .tool(whoami)
        .tool(tenant)
        .tool(read_file)
        .tool(write_file)
        .tool(slow)
        .resource(plans)
        .resource(readme)
        .prompt(admin_prompt)
        .prompt(hello)
        .prompt(deploy_prompt());
    let runs = server.state::<Runs>().unwrap();
    let gate = server.state::<Gate>().unwrap();
    (server, runs, gate)
}

/// A protected MCP server on loopback.
struct Protected {
    url: String,
    runs: Arc<Runs>,
    gate: Arc<Gate>,
}

/// How the server verifies tokens.
enum Verify<'a> {
    Jwt {
        fake: &'a FakeAs,
        min_refresh: Duration,
    },
    Introspect {
        fake: &'a FakeAs,
        secret: &'a str,
    },
    Keys(ApiKeys),
    JwksAt(String, &'a FakeAs),
}

/// A protected server verifying JWTs signed by `key` ("k1") and served by `fake`'s JWKS.
async fn jwt_protected() -> (Signer, FakeAs, Protected) {
    let key = Signer::generate("k1");
    let fake = FakeAs::start(&[&key]).await;
    let p = protected(
        Verify::Jwt {
            fake: &fake,
            min_refresh: Duration::from_secs(30),
        },
        None,
        None,
    )
    .await;
    (key, fake, p)
}

async fn protected(
    verify: Verify<'_>,
    rate: Option<&RateLimitLayer>,
    concurrency: Option<&ConcurrencyLimitLayer>,
) -> Protected {
    let (server, runs, gate) = mcp_server();
    let scopes = server.declared_scopes();
    let http = HttpServer::bind_with("127.0.0.1:0", server, HttpConfig::default())
        .await
        .expect("bind");
    let url = http.url();
    let (verifier, issuer): (Arc<dyn TokenVerifier>, Option<String>) = match verify {
        Verify::Jwt { fake, min_refresh } => (
            Arc::new(
                JwtVerifier::builder()
                    .issuer(&fake.base)
                    .jwks_uri(fake.jwks_uri())
                    .audience(&url)
                    .min_refresh(min_refresh)
                    .build()
                    .expect("verifier"),
            ),
            Some(fake.base.clone()),
        ),
        Verify::JwksAt(uri, fake) => (
            Arc::new(
                JwtVerifier::builder()
                    .issuer(&fake.base)
                    .jwks_uri(uri)
                    .audience(&url)
                    .build()
                    .expect("verifier"),
            ),
            Some(fake.base.clone()),
        ),
        Verify::Introspect { fake, secret } => (
            Arc::new(
                IntrospectionVerifier::new(&format!("{}/introspect", fake.base), &url)
                    .expect("verifier")
                    .client_credentials("rs", secret)
                    .issuer(&fake.base),
            ),
            Some(fake.base.clone()),
        ),
        Verify::Keys(keys) => (Arc::new(keys), None),
    };
    let mut auth = AuthLayer::new(verifier);
    if let Some(issuer) = issuer {
        auth = auth
            .with_metadata(
                ProtectedResourceMetadata::new(&url)
                    .authorization_server(issuer)
                    .scopes(scopes)
                    .name("Protected test server"),
            )
            .expect("metadata");
    }
    let http = http.serve_paths(auth.metadata_paths().to_vec());
    // Limits inside authentication: they key on the principal it establishes.
    let rate = rate
        .cloned()
        .unwrap_or_else(|| RateLimitLayer::new(Quota::per_second(1000)));
    let concurrency = concurrency
        .cloned()
        .unwrap_or_else(|| ConcurrencyLimitLayer::new(1000));
    let http = http.layer(concurrency).layer(rate).layer(auth);
    tokio::spawn(http.run());
    Protected { url, runs, gate }
}

// ---------- raw HTTP ----------

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", String::from_utf8_lossy(&self.body)))
    }

    fn challenge(&self) -> &str {
        self.header("www-authenticate")
            .unwrap_or_else(|| panic!("no challenge; status {}", self.status))
    }
}

async fn send(
    method: Method,
    url: &str,
    headers: &[(&str, String)],
    body: impl Into<Bytes>,
) -> Reply {
    let client: HyperClient<HttpConnector, Full<Bytes>> =
        HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut b = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, v.as_str());
    }
    let resp = within(
        "the response",
        client.request(b.body(Full::new(body.into())).unwrap()),
    )
    .await
    .expect("HTTP request");
    let (parts, body) = resp.into_parts();
    let body = within("the body", body.collect())
        .await
        .expect("body")
        .to_bytes();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body,
    }
}

fn bearer(token: &str) -> (&'static str, String) {
    ("authorization", format!("Bearer {token}"))
}

/// A 2026-07-28 request: its headers (with `token`, if any) and body.
async fn modern(
    url: &str,
    token: Option<&str>,
    method: &str,
    name: Option<&str>,
    mut params: Value,
) -> Reply {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    });
    let mut headers = vec![
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json, text/event-stream".to_owned()),
        ("mcp-protocol-version", MODERN.to_owned()),
        ("mcp-method", method.to_owned()),
    ];
    if let Some(n) = name {
        headers.push(("mcp-name", n.to_owned()));
    }
    if let Some(t) = token {
        headers.push(bearer(t));
    }
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    send(Method::POST, url, &headers, body.to_string()).await
}

async fn call(url: &str, token: Option<&str>, tool: &str, args: Value) -> Reply {
    modern(
        url,
        token,
        "tools/call",
        Some(tool),
        json!({"name": tool, "arguments": args}),
    )
    .await
}

/// The text of a successful tool call.
fn text(r: &Reply) -> String {
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    assert!(v.get("error").is_none(), "{v}");
    v["result"]["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text: {v}"))
        .to_owned()
}

/// A client of ours, presenting `token`.
async fn client(url: &str, token: &str) -> Client {
    let config = HttpClientConfig::new(url)
        .expect("url")
        .bearer_token(token)
        .expect("token");
    within(
        "connect",
        Client::builder()
            .mode(ConnectMode::Modern(ProtocolVersion::V2026_07_28))
            .connect(HttpTransport::with_config(config)),
    )
    .await
    .expect("connect")
}

fn assert_invalid_token(r: &Reply, what: &str) {
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{what}");
    let c = r.challenge();
    assert!(c.starts_with("Bearer "), "{what}: {c}");
    assert!(c.contains("error=\"invalid_token\""), "{what}: {c}");
    assert!(c.contains("resource_metadata=\""), "{what}: {c}");
}

// ---------- metadata and challenges ----------

#[tokio::test]
async fn metadata_is_served_at_both_well_known_paths() {
    let (_key, fake, p) = jwt_protected().await;
    let base = p.url.trim_end_matches("/mcp");
    for path in [
        "/.well-known/oauth-protected-resource/mcp",
        "/.well-known/oauth-protected-resource",
    ] {
        let r = send(Method::GET, &format!("{base}{path}"), &[], Bytes::new()).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("access-control-allow-origin"), Some("*"));
        let doc = r.json();
        assert_eq!(doc["resource"], p.url.as_str());
        assert_eq!(doc["authorization_servers"], json!([fake.base]));
        assert_eq!(doc["bearer_methods_supported"], json!(["header"]));
        assert_eq!(
            doc["scopes_supported"],
            json!(["admin", "audit", "files:read", "files:write"])
        );
    }
    // Other paths are still not served.
    let r = send(
        Method::GET,
        &format!("{base}/.well-known/other"),
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_request_without_a_token_gets_a_challenge_a_client_can_follow() {
    let (_key, fake, p) = jwt_protected().await;
    let r = call(&p.url, None, "whoami", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let c = r.challenge().to_owned();
    // No error code when no credentials were sent (RFC 6750 §3.1).
    assert!(!c.contains("error="), "{c}");
    let base = p.url.trim_end_matches("/mcp");
    let metadata = format!("{base}/.well-known/oauth-protected-resource/mcp");
    assert!(
        c.contains(&format!("resource_metadata=\"{metadata}\"")),
        "{c}"
    );
    assert!(
        c.contains("scope=\"admin audit files:read files:write\""),
        "{c}"
    );
    // Following the challenge leads to the authorization server.
    let doc = send(Method::GET, &metadata, &[], Bytes::new()).await.json();
    assert_eq!(doc["authorization_servers"][0], fake.base.as_str());
    // Another scheme counts as no token; a malformed bearer token is an invalid one.
    let basic = send(
        Method::POST,
        &p.url,
        &[
            ("authorization", "Basic dXNlcjpwYXNz".into()),
            ("content-type", "application/json".into()),
        ],
        "{}",
    )
    .await;
    assert_eq!(basic.status, StatusCode::UNAUTHORIZED);
    assert!(!basic.challenge().contains("error="));
    let malformed = call(&p.url, Some("not a token"), "whoami", json!({})).await;
    assert_invalid_token(&malformed, "malformed");
    assert_eq!(p.runs.0.load(Ordering::SeqCst), 0);
}

// ---------- token refusals ----------

#[tokio::test]
async fn expired_wrong_audience_wrong_issuer_and_forged_tokens_are_refused() {
    let (key, fake, p) = jwt_protected().await;
    let good = claims(&fake.base, &p.url, "alice", "files:read");

    let mut expired = good.clone();
    expired["exp"] = json!(now() - 3600);
    expired["iat"] = json!(now() - 7200);
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("http://127.0.0.1:1/other-mcp");
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("http://evil.example");
    let mut no_aud = good.clone();
    no_aud.as_object_mut().unwrap().remove("aud");
    let stranger = Signer::generate("k1");
    // An HS256 token "signed" with the public key: algorithm confusion.
    let confused = mcpwire_auth::jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &good,
        &EncodingKey::from_secret(key.jwk.to_string().as_bytes()),
    )
    .unwrap();

    let cases: Vec<(&str, String, &str)> = vec![
        ("expired", key.sign(&expired), "expired"),
        (
            "wrong audience",
            key.sign(&wrong_aud),
            "not issued for this resource",
        ),
        ("wrong issuer", key.sign(&wrong_iss), "untrusted issuer"),
        ("no audience", key.sign(&no_aud), "aud"),
        ("forged signature", stranger.sign(&good), "signature"),
        ("algorithm confusion", confused, "algorithm"),
        ("not a JWT", "abc.def".into(), "invalid"),
    ];
    for (what, token, description) in cases {
        let r = call(&p.url, Some(&token), "read_file", json!({"path": "a"})).await;
        assert_invalid_token(&r, what);
        assert!(
            r.challenge().contains(description),
            "{what}: {}",
            r.challenge()
        );
        assert_eq!(r.json()["error"]["code"], -32600, "{what}");
    }
    assert_eq!(p.runs.0.load(Ordering::SeqCst), 0, "no refused request ran");
    // The same server serves a good token.
    let r = call(
        &p.url,
        Some(&key.sign(&good)),
        "read_file",
        json!({"path": "a"}),
    )
    .await;
    assert_eq!(text(&r), "contents of a");
    assert_eq!(p.runs.0.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn handlers_see_the_principal_and_its_claims_by_type() {
    let (key, fake, p) = jwt_protected().await;
    let token = key.sign(&claims(&fake.base, &p.url, "alice", "files:read audit"));
    let c = client(&p.url, &token).await;
    let who = within("whoami", c.call_tool("whoami", json!({})))
        .await
        .unwrap();
    assert_eq!(who.content[0].as_text(), Some("alice [audit files:read]"));
    let t = within("tenant", c.call_tool("tenant", json!({})))
        .await
        .unwrap();
    assert_eq!(t.content[0].as_text(), Some("alice-corp"));
    // The audience may differ in the case of scheme and host, and by a trailing slash.
    let shouting = p.url.replace("http://", "HTTP://") + "/";
    let token = key.sign(&claims(&fake.base, &shouting, "bob", ""));
    let r = call(&p.url, Some(&token), "whoami", json!({})).await;
    assert_eq!(text(&r), "bob []");
}

// ---------- scopes ----------

#[tokio::test]
async fn insufficient_scope_gets_403_listing_every_required_scope() {
    let (key, fake, p) = jwt_protected().await;
    let writer = key.sign(&claims(&fake.base, &p.url, "alice", "files:write"));
    let r = call(&p.url, Some(&writer), "write_file", json!({"path": "x"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let c = r.challenge();
    assert!(c.contains("error=\"insufficient_scope\""), "{c}");
    // Both scopes, though the token holds one: one step-up suffices.
    assert!(c.contains("scope=\"audit files:write\""), "{c}");
    let base = p.url.trim_end_matches("/mcp");
    assert!(
        c.contains(&format!(
            "resource_metadata=\"{base}/.well-known/oauth-protected-resource/mcp\""
        )),
        "{c}"
    );
    let body = r.json();
    assert_eq!(body["id"], 1);
    assert_eq!(body["error"]["code"], ErrorCode::FORBIDDEN.0);
    assert_eq!(
        body["error"]["data"]["requiredScopes"],
        json!(["audit", "files:write"])
    );
    assert_eq!(p.runs.0.load(Ordering::SeqCst), 0);

    // Resources and prompts are refused the same way.
    let r = modern(
        &p.url,
        Some(&writer),
        "resources/read",
        Some("secret://plans"),
        json!({"uri": "secret://plans"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.challenge().contains("scope=\"files:read\""));
    let r = modern(
        &p.url,
        Some(&writer),
        "prompts/get",
        Some("admin_prompt"),
        json!({"name": "admin_prompt"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.challenge().contains("scope=\"admin\""));

    // Completing the argument of a prompt the caller may not use is refused too.
    let complete = json!({"ref": {"type": "ref/prompt", "name": "deploy"}, "argument": {"name": "env", "value": "p"}});
    let r = modern(
        &p.url,
        Some(&writer),
        "completion/complete",
        None,
        complete.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.challenge().contains("scope=\"admin\""));
    let admin = key.sign(&claims(&fake.base, &p.url, "root", "admin"));
    let r = modern(&p.url, Some(&admin), "completion/complete", None, complete).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.json()["result"]["completion"]["values"],
        json!(["production", "preview"])
    );

    // After step-up the same call goes through.
    let stepped_up = key.sign(&claims(&fake.base, &p.url, "alice", "files:write audit"));
    let r = call(
        &p.url,
        Some(&stepped_up),
        "write_file",
        json!({"path": "x"}),
    )
    .await;
    assert_eq!(text(&r), "wrote x");
    // A broader scope implies the narrower ones.
    let admin = key.sign(&claims(&fake.base, &p.url, "root", "files:admin"));
    let r = call(&p.url, Some(&admin), "write_file", json!({"path": "y"})).await;
    assert_eq!(text(&r), "wrote y");
}

#[tokio::test]
async fn lists_hide_what_the_caller_may_not_use() {
    let (key, fake, p) = jwt_protected().await;
    let names = |tools: Vec<Tool>| tools.into_iter().map(|t| t.name).collect::<Vec<_>>();

    let nobody = client(&p.url, &key.sign(&claims(&fake.base, &p.url, "eve", ""))).await;
    assert_eq!(
        names(nobody.list_tools().await.unwrap()),
        ["whoami", "tenant", "slow"]
    );
    let uris: Vec<String> = nobody
        .list_resources()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.uri)
        .collect();
    assert_eq!(uris, ["public://readme"]);
    let prompts: Vec<String> = nobody
        .list_prompts()
        .await
        .unwrap()
        .into_iter()
        .map(|p| p.name)
        .collect();
    assert_eq!(prompts, ["hello"]);
    // Hidden is also refused, with the scopes to ask for.
    let e = nobody
        .read_resource("secret://plans")
        .await
        .expect_err("refused");
    assert!(
        e.to_string().contains("403") || e.code() == Some(ErrorCode::FORBIDDEN),
        "{e}"
    );

    let reader = client(
        &p.url,
        &key.sign(&claims(&fake.base, &p.url, "rita", "files:read")),
    )
    .await;
    assert_eq!(
        names(reader.list_tools().await.unwrap()),
        ["whoami", "tenant", "read_file", "slow"]
    );
    assert_eq!(reader.list_resources().await.unwrap().len(), 2);
    let read = reader.read_resource("secret://plans").await.unwrap();
    assert_eq!(read.contents.len(), 1);

    let admin = client(
        &p.url,
        &key.sign(&claims(&fake.base, &p.url, "root", "files:admin admin")),
    )
    .await;
    assert_eq!(admin.list_tools().await.unwrap().len(), 5);
    assert_eq!(admin.list_prompts().await.unwrap().len(), 3);
}

// ---------- JWKS ----------

#[tokio::test]
async fn rotated_keys_are_fetched_once_and_unknown_keys_cannot_force_fetches() {
    let k1 = Signer::generate("k1");
    let fake = FakeAs::start(&[&k1]).await;
    let min_refresh = Duration::from_millis(300);
    let p = protected(
        Verify::Jwt {
            fake: &fake,
            min_refresh,
        },
        None,
        None,
    )
    .await;
    let good = claims(&fake.base, &p.url, "alice", "");
    assert_eq!(
        text(&call(&p.url, Some(&k1.sign(&good)), "whoami", json!({})).await),
        "alice []"
    );
    assert_eq!(
        text(&call(&p.url, Some(&k1.sign(&good)), "whoami", json!({})).await),
        "alice []"
    );
    assert_eq!(fake.fetches(), 1, "the keys are cached");

    // The authorization server rotates to k2.
    let k2 = Signer::generate("k2");
    fake.state.publish(&[&k2]);
    tokio::time::sleep(min_refresh + Duration::from_millis(50)).await;
    assert_eq!(
        text(&call(&p.url, Some(&k2.sign(&good)), "whoami", json!({})).await),
        "alice []"
    );
    assert_eq!(fake.fetches(), 2, "an unknown kid refetches the JWKS");

    // Tokens under made-up key ids, right after: refused without another fetch.
    let rogue = Signer::generate("k3");
    for _ in 0..5 {
        assert_invalid_token(
            &call(&p.url, Some(&rogue.sign(&good)), "whoami", json!({})).await,
            "unknown key",
        );
    }
    assert_eq!(fake.fetches(), 2, "refetches are rate limited");
    // The retired key no longer works.
    assert_invalid_token(
        &call(&p.url, Some(&k1.sign(&good)), "whoami", json!({})).await,
        "retired key",
    );
}

#[tokio::test]
async fn an_unreachable_jwks_is_a_503_not_a_401() {
    let key = Signer::generate("k1");
    let fake = FakeAs::start(&[&key]).await;
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}/jwks", l.local_addr().unwrap())
    };
    let p = protected(Verify::JwksAt(closed, &fake), None, None).await;
    let r = call(
        &p.url,
        Some(&key.sign(&claims(&fake.base, &p.url, "a", ""))),
        "whoami",
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(r.header("www-authenticate").is_none());
}

// ---------- introspection and API keys ----------

#[tokio::test]
async fn introspected_tokens_are_accepted_only_when_active_and_ours() {
    let key = Signer::generate("k1");
    let fake = FakeAs::start(&[&key]).await;
    let p = protected(
        Verify::Introspect {
            fake: &fake,
            secret: "rs-secret",
        },
        None,
        None,
    )
    .await;
    {
        let mut answers = fake.state.answers.lock().unwrap();
        let ok = json!({"active": true, "sub": "olga", "scope": "files:read", "aud": p.url, "iss": fake.base, "exp": now() + 600});
        answers.insert("opaque-good".into(), ok.clone());
        let mut other = ok.clone();
        other["aud"] = json!("https://elsewhere.example/mcp");
        answers.insert("opaque-elsewhere".into(), other);
        let mut old = ok.clone();
        old["exp"] = json!(now() - 10);
        answers.insert("opaque-expired".into(), old);
        let mut foreign = ok;
        foreign["iss"] = json!("https://evil.example");
        answers.insert("opaque-foreign".into(), foreign);
    }
    let r = call(
        &p.url,
        Some("opaque-good"),
        "read_file",
        json!({"path": "f"}),
    )
    .await;
    assert_eq!(text(&r), "contents of f");
    for (token, what) in [
        ("opaque-unknown", "inactive"),
        ("opaque-elsewhere", "wrong audience"),
        ("opaque-expired", "expired"),
        ("opaque-foreign", "wrong issuer"),
    ] {
        assert_invalid_token(&call(&p.url, Some(token), "whoami", json!({})).await, what);
    }
    // Wrong resource-server credentials: the endpoint refuses us, which is not the
    // client's fault.
    let p2 = protected(
        Verify::Introspect {
            fake: &fake,
            secret: "wrong",
        },
        None,
        None,
    )
    .await;
    let r = call(&p2.url, Some("opaque-good"), "whoami", json!({})).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
}

#[tokio::test]
async fn static_api_keys_authenticate_without_oauth() {
    let keys = ApiKeys::from_list("ci:0123456789abcdef-ci-key", ["files:read"]).unwrap();
    let p = protected(Verify::Keys(keys), None, None).await;
    let r = call(&p.url, Some("0123456789abcdef-ci-key"), "whoami", json!({})).await;
    assert_eq!(text(&r), "ci [files:read]");
    let r = call(&p.url, Some("0123456789abcdef-ci-kez"), "whoami", json!({})).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // No metadata to point at: a plain bearer challenge.
    assert!(r.challenge().contains("error=\"invalid_token\""));
    assert!(!r.challenge().contains("resource_metadata"));
    let r = call(&p.url, None, "whoami", json!({})).await;
    assert_eq!(r.challenge(), "Bearer");
    // No metadata is served either.
    let base = p.url.trim_end_matches("/mcp");
    let r = send(
        Method::GET,
        &format!("{base}/.well-known/oauth-protected-resource"),
        &[],
        Bytes::new(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_token_is_not_passed_on_to_the_endpoint() {
    /// Whether the endpoint saw an `Authorization` header, and which caller.
    type Seen = Option<(bool, Option<String>)>;
    #[derive(Clone, Default)]
    struct Spy(Arc<Mutex<Seen>>);
    impl tower::Service<Request<Full<Bytes>>> for Spy {
        type Response = Response<Full<Bytes>>;
        type Error = Infallible;
        type Future = std::future::Ready<Result<Self::Response, Infallible>>;
        fn poll_ready(
            &mut self,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Infallible>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn call(&mut self, req: Request<Full<Bytes>>) -> Self::Future {
            let seen = (
                req.headers().contains_key("authorization"),
                req.extensions()
                    .get::<AuthInfo>()
                    .map(|a| a.subject().to_owned()),
            );
            *self.0.lock().unwrap() = Some(seen);
            std::future::ready(Ok(Response::new(Full::new(Bytes::new()))))
        }
    }
    let keys = ApiKeys::from_list("svc:0123456789abcdef-svc", Vec::<String>::new()).unwrap();
    let spy = Spy::default();
    let mut svc = tower::Layer::layer(&AuthLayer::new(keys), spy.clone());
    let req = Request::post("/mcp")
        .header("authorization", "Bearer 0123456789abcdef-svc")
        .body(Full::new(Bytes::new()))
        .unwrap();
    let r = tower::Service::call(&mut svc, req).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        *spy.0.lock().unwrap(),
        Some((false, Some("svc".to_owned())))
    );
}

// ---------- sessions ----------

/// Opens a legacy session as the holder of `token`; returns its id.
async fn open_session(url: &str, token: &str) -> String {
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json, text/event-stream".to_owned()),
        bearer(token),
    ];
    let init = json!({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": LEGACY, "capabilities": {}, "clientInfo": {"name": "raw", "version": "0"}
    }});
    let r = send(Method::POST, url, &headers, init.to_string()).await;
    assert_eq!(r.status, StatusCode::OK);
    let sid = r.header("mcp-session-id").expect("session id").to_owned();
    let mut h = headers.to_vec();
    h.push(("mcp-session-id", sid.clone()));
    h.push(("mcp-protocol-version", LEGACY.to_owned()));
    let note = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
    assert_eq!(
        send(Method::POST, url, &h, note.to_string()).await.status,
        StatusCode::ACCEPTED
    );
    sid
}

async fn in_session(url: &str, token: &str, sid: &str, method: Method) -> Reply {
    let headers = [
        ("content-type", "application/json".to_owned()),
        ("accept", "application/json, text/event-stream".to_owned()),
        ("mcp-session-id", sid.to_owned()),
        ("mcp-protocol-version", LEGACY.to_owned()),
        bearer(token),
    ];
    let body = if method == Method::POST {
        json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "whoami", "arguments": {}}}).to_string()
    } else {
        String::new()
    };
    send(method, url, &headers, body).await
}

#[tokio::test]
async fn another_token_cannot_use_a_session() {
    let (key, fake, p) = jwt_protected().await;
    let alice = key.sign(&claims(&fake.base, &p.url, "alice", "files:admin"));
    let mallory = key.sign(&claims(&fake.base, &p.url, "mallory", "files:admin"));
    let sid = open_session(&p.url, &alice).await;

    // Mallory holds a valid token and Alice's session id: the session does not exist for
    // her, whatever she does with it.
    for method in [Method::POST, Method::GET, Method::DELETE] {
        let r = in_session(&p.url, &mallory, &sid, method.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{method}");
    }
    // Without a token at all, authentication refuses first.
    let r = send(
        Method::POST,
        &p.url,
        &[
            ("content-type", "application/json".into()),
            ("mcp-session-id", sid.clone()),
        ],
        "{}",
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    // Alice's session is untouched (not deleted by Mallory's DELETE).
    let r = in_session(&p.url, &alice, &sid, Method::POST).await;
    assert_eq!(text(&r), "alice [files:admin]");
    let r = in_session(&p.url, &alice, &sid, Method::DELETE).await;
    assert_eq!(r.status, StatusCode::OK);
}

// ---------- limits ----------

#[tokio::test]
async fn a_rate_limited_principal_gets_429_then_recovers_and_refusals_are_counted() {
    let key = Signer::generate("k1");
    let fake = FakeAs::start(&[&key]).await;
    let rate = RateLimitLayer::new(Quota::new(3, Duration::from_millis(300)));
    let p = protected(
        Verify::Jwt {
            fake: &fake,
            min_refresh: Duration::from_secs(30),
        },
        Some(&rate),
        None,
    )
    .await;
    let alice = key.sign(&claims(&fake.base, &p.url, "alice", ""));
    let bob = key.sign(&claims(&fake.base, &p.url, "bob", ""));
    for _ in 0..3 {
        assert_eq!(
            text(&call(&p.url, Some(&alice), "whoami", json!({})).await),
            "alice []"
        );
    }
    let refused = call(&p.url, Some(&alice), "whoami", json!({})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!(retry >= 1);
    let body = refused.json();
    assert_eq!(body["error"]["code"], ErrorCode::RATE_LIMITED.0);
    let wait_ms = body["error"]["data"]["retryAfterMs"].as_u64().unwrap();
    assert!(wait_ms > 0 && wait_ms <= 300, "{wait_ms}");
    // Bob has his own budget.
    assert_eq!(
        text(&call(&p.url, Some(&bob), "whoami", json!({})).await),
        "bob []"
    );
    let stats = rate.stats();
    assert_eq!(stats.refused, 1);
    assert_eq!(stats.refused_by_principal.get("alice"), Some(&1));
    assert_eq!(stats.refused_by_principal.get("bob"), None);
    // Recovery.
    tokio::time::sleep(Duration::from_millis(wait_ms + 30)).await;
    assert_eq!(
        text(&call(&p.url, Some(&alice), "whoami", json!({})).await),
        "alice []"
    );
    assert_eq!(rate.stats().allowed, 5);
}

#[tokio::test]
async fn too_many_requests_in_flight_get_429() {
    let key = Signer::generate("k1");
    let fake = FakeAs::start(&[&key]).await;
    let limit = ConcurrencyLimitLayer::new(1);
    let p = protected(
        Verify::Jwt {
            fake: &fake,
            min_refresh: Duration::from_secs(30),
        },
        None,
        Some(&limit),
    )
    .await;
    let alice = key.sign(&claims(&fake.base, &p.url, "alice", ""));
    let bob = key.sign(&claims(&fake.base, &p.url, "bob", ""));
    let url = p.url.clone();
    let token = alice.clone();
    let first = tokio::spawn(async move { call(&url, Some(&token), "slow", json!({})).await });
    within("the first call to start", async {
        while limit.in_flight() == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    let second = call(&p.url, Some(&alice), "whoami", json!({})).await;
    assert_eq!(second.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(second.json()["error"]["code"], ErrorCode::RATE_LIMITED.0);
    assert_eq!(
        text(&call(&p.url, Some(&bob), "whoami", json!({})).await),
        "bob []"
    );
    p.gate.0.notify_one();
    assert_eq!(text(&within("the slow call", first).await.unwrap()), "done");
    within("the slot to be freed", async {
        while limit.in_flight() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert_eq!(
        text(&call(&p.url, Some(&alice), "whoami", json!({})).await),
        "alice []"
    );
    assert_eq!(limit.stats().refused_by_principal.get("alice"), Some(&1));
}

// ---------- stdio ----------

fn stdio_client_transport() -> mcpwire_stdio::ChildProcess {
    let cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_limited-stdio-server"));
    mcpwire_stdio::ChildProcess::from_command(cmd).expect("spawn limited-stdio-server")
}

#[tokio::test]
async fn over_stdio_refusals_are_json_rpc_errors() {
    let c = within(
        "connect",
        Client::builder()
            .mode(ConnectMode::Modern(ProtocolVersion::V2026_07_28))
            .connect(stdio_client_transport()),
    )
    .await
    .expect("connect");
    // Let the budget fill up (3 requests, one more every 400 ms).
    tokio::time::sleep(Duration::from_millis(1300)).await;
    let mut refusals = 0;
    let mut retry_ms = 0;
    for _ in 0..6 {
        match within("ping", c.ping()).await {
            Ok(()) => {}
            Err(e) => {
                let obj = e.as_protocol().expect("a JSON-RPC error");
                assert_eq!(obj.code, ErrorCode::RATE_LIMITED);
                retry_ms = obj.data.as_ref().unwrap()["retryAfterMs"].as_u64().unwrap();
                refusals += 1;
            }
        }
    }
    assert!(refusals >= 2, "the burst is 3: {refusals} refusals of 6");
    tokio::time::sleep(Duration::from_millis(retry_ms + 50)).await;
    // Recovered; and the server counted what it refused.
    let counted = within("refusals", c.call_tool("refusals", json!({})))
        .await
        .unwrap();
    assert_eq!(
        counted.content[0].as_text(),
        Some(refusals.to_string().as_str())
    );

    tokio::time::sleep(Duration::from_millis(1300)).await;
    // The fixed identity reaches handlers; scopes apply as over HTTP, as JSON-RPC errors.
    let who = within("whoami", c.call_tool("whoami", json!({})))
        .await
        .unwrap();
    assert_eq!(who.content[0].as_text(), Some("local-user"));
    let tools: Vec<String> = within("list", c.list_tools())
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(!tools.contains(&"admin".to_owned()), "{tools:?}");
    let e = within("admin", c.call_tool("admin", json!({})))
        .await
        .expect_err("refused");
    let obj = e.as_protocol().expect("a JSON-RPC error");
    assert_eq!(obj.code, ErrorCode::FORBIDDEN);
    assert_eq!(
        obj.data.as_ref().unwrap()["requiredScopes"],
        json!(["admin"])
    );
}

#[tokio::test]
async fn without_an_authentication_layer_scoped_items_fail_closed() {
    let (server, runs, _) = mcp_server();
    let c = Client::builder()
        .mode(ConnectMode::Modern(ProtocolVersion::V2026_07_28))
        .connect_in_process(&server)
        .await
        .unwrap();
    let tools: Vec<String> = c
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(tools, ["whoami", "tenant", "slow"]);
    let e = c
        .call_tool("read_file", json!({"path": "x"}))
        .await
        .expect_err("refused");
    assert_eq!(e.code(), Some(ErrorCode::FORBIDDEN));
    // A handler asking for the caller gets a clear refusal too.
    let e = c
        .call_tool("whoami", json!({}))
        .await
        .expect_err("no caller");
    assert_eq!(e.code(), Some(ErrorCode::FORBIDDEN));
    assert_eq!(runs.0.load(Ordering::SeqCst), 0);
}
