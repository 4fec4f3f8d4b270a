//! The OAuth client of `mcpwire-http` (feature `oauth`) against a small authorization server
//! and a protected MCP endpoint written here, over loopback sockets.
//!
//! The authorization server (axum) serves RFC 8414 metadata, dynamic registration, an
//! authorization endpoint that approves at once (302 to the redirect URI with `code`,
//! `state` and `iss`), and a token endpoint that checks PKCE, `resource` and the client,
//! and honours refresh tokens. The MCP endpoint is `McpHttpService` behind a middleware that
//! answers 401 with a `WWW-Authenticate` challenge until it sees a token the authorization
//! server issued, and 403 `insufficient_scope` for tool calls without `mcp:write` when asked
//! to. Every test asserts what the servers saw, not only that the client got through.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Form, Query, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::StatusCode;
use http::header::{AUTHORIZATION, LOCATION, WWW_AUTHENTICATE};
use mcpwire_core::ProtocolVersion;
use mcpwire_core::client::{Client, ConnectMode};
use mcpwire_core::connection::BoxFuture;
use mcpwire_http::oauth::{
    AuthorizationHandler, AuthorizationRequest, AuthorizationResponse, HttpFetch,
    InMemoryTokenStore, OAuthClient, PlainHttp,
};
use mcpwire_http::{HttpClientConfig, HttpTransport, McpHttpService};
use mcpwire_tests::fixture;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

/// The bound of every wait.
const WAIT: Duration = Duration::from_secs(20);

#[derive(Clone, Copy, PartialEq)]
enum Iss {
    Correct,
    Wrong,
}

/// How the servers behave.
#[derive(Clone)]
struct Setup {
    iss: Iss,
    pkce: bool,
    expires_in: u64,
    refresh_tokens: bool,
    /// `tools/call` needs `mcp:write` (403 `insufficient_scope` otherwise).
    write_for_calls: bool,
    /// The scope of the 403 challenge.
    step_up_scope: &'static str,
    prm_resource: Option<String>,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            iss: Iss::Correct,
            pkce: true,
            expires_in: 3600,
            refresh_tokens: false,
            write_for_calls: false,
            step_up_scope: "mcp:write",
            prm_resource: None,
        }
    }
}

/// What the servers saw.
#[derive(Default)]
struct Seen {
    registrations: Vec<Value>,
    authorizations: Vec<HashMap<String, String>>,
    token_requests: Vec<HashMap<String, String>>,
    /// The `Authorization` header of every request to the MCP endpoint.
    mcp_auth: Vec<Option<String>>,
}

struct Pending {
    challenge: String,
    scope: String,
    resource: String,
    redirect_uri: String,
    client_id: String,
}

struct World {
    setup: Setup,
    as_base: String,
    rs_base: String,
    seen: Mutex<Seen>,
    codes: Mutex<HashMap<String, Pending>>,
    /// Access token -> (scopes, expiry).
    tokens: Mutex<HashMap<String, (Vec<String>, Instant)>>,
    /// Refresh token -> scopes.
    refresh: Mutex<HashMap<String, Vec<String>>>,
    counter: Mutex<u64>,
}

impl World {
    fn next(&self, prefix: &str) -> String {
        let mut c = self.counter.lock().unwrap();
        *c += 1;
        format!("{prefix}-{c}")
    }

    fn seen<T>(&self, f: impl FnOnce(&Seen) -> T) -> T {
        f(&self.seen.lock().unwrap())
    }

    fn mcp_url(&self) -> String {
        format!("{}/mcp", self.rs_base)
    }

    fn prm_url(&self) -> String {
        format!("{}/.well-known/oauth-protected-resource/mcp", self.rs_base)
    }

    fn issue(&self, scopes: Vec<String>) -> Value {
        let access = self.next("at");
        self.tokens.lock().unwrap().insert(
            access.clone(),
            (
                scopes.clone(),
                Instant::now() + Duration::from_secs(self.setup.expires_in),
            ),
        );
        let mut body = json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": self.setup.expires_in,
            "scope": scopes.join(" "),
        });
        if self.setup.refresh_tokens {
            let rt = self.next("rt");
            self.refresh.lock().unwrap().insert(rt.clone(), scopes);
            body["refresh_token"] = Value::from(rt);
        }
        body
    }
}

fn oauth_error(status: StatusCode, error: &str) -> Response {
    (status, axum::Json(json!({ "error": error }))).into_response()
}

// ---------- the authorization server ----------

async fn as_metadata(State(w): State<Arc<World>>) -> Response {
    let b = &w.as_base;
    let mut m = json!({
        "issuer": b,
        "authorization_endpoint": format!("{b}/authorize"),
        "token_endpoint": format!("{b}/token"),
        "registration_endpoint": format!("{b}/register"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none"],
        "scopes_supported": ["mcp:basic", "mcp:write"],
        "authorization_response_iss_parameter_supported": true,
    });
    if w.setup.pkce {
        m["code_challenge_methods_supported"] = json!(["S256"]);
    }
    axum::Json(m).into_response()
}

async fn register(State(w): State<Arc<World>>, axum::Json(body): axum::Json<Value>) -> Response {
    w.seen.lock().unwrap().registrations.push(body.clone());
    let id = w.next("client");
    (
        StatusCode::CREATED,
        axum::Json(json!({
            "client_id": id,
            "client_name": body["client_name"],
            "redirect_uris": body["redirect_uris"],
            "token_endpoint_auth_method": "none",
        })),
    )
        .into_response()
}

async fn authorize(
    State(w): State<Arc<World>>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    w.seen.lock().unwrap().authorizations.push(q.clone());
    let get = |k: &str| q.get(k).cloned().unwrap_or_default();
    if get("response_type") != "code" || get("code_challenge_method") != "S256" {
        return oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    }
    let code = w.next("code");
    w.codes.lock().unwrap().insert(
        code.clone(),
        Pending {
            challenge: get("code_challenge"),
            scope: get("scope"),
            resource: get("resource"),
            redirect_uri: get("redirect_uri"),
            client_id: get("client_id"),
        },
    );
    let mut to = url::Url::parse(&get("redirect_uri")).expect("redirect_uri");
    {
        let mut p = to.query_pairs_mut();
        p.append_pair("code", &code)
            .append_pair("state", &get("state"));
        match w.setup.iss {
            Iss::Correct => p.append_pair("iss", &w.as_base),
            Iss::Wrong => p.append_pair("iss", "https://evil.example.com"),
        };
    }
    (StatusCode::FOUND, [(LOCATION, to.to_string())]).into_response()
}

async fn token(State(w): State<Arc<World>>, Form(f): Form<HashMap<String, String>>) -> Response {
    w.seen.lock().unwrap().token_requests.push(f.clone());
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    match get("grant_type").as_str() {
        "authorization_code" => {
            let Some(p) = w.codes.lock().unwrap().remove(&get("code")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(get("code_verifier").as_bytes()));
            if computed != p.challenge
                || get("redirect_uri") != p.redirect_uri
                || get("resource") != p.resource
                || get("client_id") != p.client_id
            {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            }
            let scopes = p.scope.split_whitespace().map(str::to_owned).collect();
            axum::Json(w.issue(scopes)).into_response()
        }
        "refresh_token" => {
            let Some(scopes) = w.refresh.lock().unwrap().remove(&get("refresh_token")) else {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
            };
            if get("resource") != w.mcp_url() {
                return oauth_error(StatusCode::BAD_REQUEST, "invalid_target");
            }
            axum::Json(w.issue(scopes)).into_response()
        }
        _ => oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type"),
    }
}

// ---------- the protected MCP endpoint ----------

async fn prm(State(w): State<Arc<World>>) -> Response {
    axum::Json(json!({
        "resource": w.setup.prm_resource.clone().unwrap_or_else(|| w.mcp_url()),
        "authorization_servers": [w.as_base],
        "scopes_supported": ["mcp:basic"],
    }))
    .into_response()
}

/// Lets through requests with a live token of ours; challenges the others.
async fn guard(State(w): State<Arc<World>>, req: Request, next: Next) -> Response {
    let auth = req
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    w.seen.lock().unwrap().mcp_auth.push(auth.clone());
    let live = auth
        .as_deref()
        .and_then(|a| a.strip_prefix("Bearer "))
        .and_then(|t| w.tokens.lock().unwrap().get(t).cloned())
        .filter(|(_, expiry)| *expiry > Instant::now());
    let Some((scopes, _)) = live else {
        let challenge = format!(
            r#"Bearer error="invalid_token", scope="mcp:basic", resource_metadata="{}""#,
            w.prm_url()
        );
        return (StatusCode::UNAUTHORIZED, [(WWW_AUTHENTICATE, challenge)]).into_response();
    };
    if !w.setup.write_for_calls {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let method = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v["method"].as_str().map(str::to_owned));
    if method.as_deref() == Some("tools/call") && !scopes.iter().any(|s| s == "mcp:write") {
        let challenge = format!(
            r#"Bearer error="insufficient_scope", scope="{}", resource_metadata="{}""#,
            w.setup.step_up_scope,
            w.prm_url()
        );
        return (StatusCode::FORBIDDEN, [(WWW_AUTHENTICATE, challenge)]).into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

async fn start(setup: Setup) -> Arc<World> {
    let as_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let rs_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let world = Arc::new(World {
        setup,
        as_base: format!("http://{}", as_listener.local_addr().unwrap()),
        rs_base: format!("http://{}", rs_listener.local_addr().unwrap()),
        seen: Mutex::default(),
        codes: Mutex::default(),
        tokens: Mutex::default(),
        refresh: Mutex::default(),
        counter: Mutex::default(),
    });
    let auth_server = Router::new()
        .route("/.well-known/oauth-authorization-server", get(as_metadata))
        .route("/register", post(register))
        .route("/authorize", get(authorize))
        .route("/token", post(token))
        .with_state(world.clone());
    let mcp = Router::new()
        .route_service("/mcp", McpHttpService::new(fixture::server(None)))
        .layer(axum::middleware::from_fn_with_state(world.clone(), guard));
    let resource_server = Router::new()
        .route("/.well-known/oauth-protected-resource/mcp", get(prm))
        .with_state(world.clone())
        .merge(mcp);
    tokio::spawn(async move { axum::serve(as_listener, auth_server).await });
    tokio::spawn(async move { axum::serve(rs_listener, resource_server).await });
    world
}

// ---------- the client side ----------

/// Approves without a user: fetches the authorization URL and reads the redirect.
struct Headless(PlainHttp);

impl AuthorizationHandler for Headless {
    fn redirect_uri(&self) -> String {
        "http://127.0.0.1:1/callback".into()
    }

    fn authorize<'a>(
        &'a self,
        request: &'a AuthorizationRequest,
    ) -> BoxFuture<'a, Result<AuthorizationResponse, Box<dyn std::error::Error + Send + Sync>>>
    {
        Box::pin(async move {
            let mut req = http::Request::new(Bytes::new());
            *req.uri_mut() = request.url.as_str().parse()?;
            let resp = self.0.fetch(req).await?;
            assert_eq!(
                resp.status(),
                StatusCode::FOUND,
                "redirects are not followed"
            );
            let location = resp.headers()[LOCATION].to_str()?;
            Ok(AuthorizationResponse::from_redirect(
                &request.url.join(location)?,
            ))
        })
    }
}

fn oauth(world: &World) -> OAuthClient {
    oauth_with(world, Arc::new(InMemoryTokenStore::new()))
}

fn oauth_with(world: &World, store: Arc<InMemoryTokenStore>) -> OAuthClient {
    OAuthClient::builder(&world.mcp_url())
        .unwrap()
        .client_name("auth-client-test")
        .authorization_handler(Headless(PlainHttp::new()))
        .token_store(store)
        .build()
        .unwrap()
}

async fn connect(world: &World, oauth: OAuthClient, mode: ConnectMode) -> Result<Client, String> {
    let config = HttpClientConfig::new(&world.mcp_url()).unwrap().auth(oauth);
    tokio::time::timeout(
        WAIT,
        Client::builder()
            .mode(mode)
            .connect(HttpTransport::with_config(config)),
    )
    .await
    .expect("connect timed out")
    .map_err(|e| e.to_string())
}

const MODERN: ConnectMode = ConnectMode::Modern(ProtocolVersion::V2026_07_28);
const LEGACY: ConnectMode = ConnectMode::Legacy(ProtocolVersion::V2025_11_25);

async fn echo(client: &Client) -> Result<String, String> {
    tokio::time::timeout(WAIT, client.call_tool("echo", json!({"text": "hi"})))
        .await
        .expect("call timed out")
        .map(|r| r.text_content())
        .map_err(|e| e.to_string())
}

// ---------- tests ----------

#[tokio::test]
async fn a_401_runs_discovery_registration_and_the_code_flow_once() {
    for mode in [MODERN, LEGACY] {
        let w = start(Setup::default()).await;
        let client = connect(&w, oauth(&w), mode).await.expect("connects");
        client.list_tools().await.unwrap();
        assert!(echo(&client).await.unwrap().contains("hi"));
        client.close();

        w.seen(|s| {
            assert_eq!(s.registrations.len(), 1, "{mode:?}");
            let reg = &s.registrations[0];
            assert_eq!(reg["application_type"], "native");
            assert_eq!(reg["redirect_uris"], json!(["http://127.0.0.1:1/callback"]));
            assert_eq!(reg["token_endpoint_auth_method"], "none");

            assert_eq!(s.authorizations.len(), 1, "one authorization for {mode:?}");
            let a = &s.authorizations[0];
            assert_eq!(a["resource"], w.mcp_url());
            assert_eq!(a["scope"], "mcp:basic", "the challenge's scope");
            assert_eq!(a["code_challenge_method"], "S256");
            assert_eq!(a["code_challenge"].len(), 43);
            assert!(a["state"].len() >= 16);

            assert_eq!(s.token_requests.len(), 1);
            let t = &s.token_requests[0];
            assert_eq!(t["grant_type"], "authorization_code");
            assert_eq!(t["resource"], w.mcp_url());

            // The first request went without a token; all later ones carry the one issued.
            assert_eq!(s.mcp_auth.first(), Some(&None));
            let issued = s.mcp_auth[1].clone();
            assert!(
                issued
                    .as_deref()
                    .is_some_and(|h| h.starts_with("Bearer at-"))
            );
            assert!(s.mcp_auth[1..].iter().all(|h| *h == issued));
            assert!(s.mcp_auth.len() >= 4);
        });
    }
}

#[tokio::test]
async fn insufficient_scope_steps_up_with_the_union_of_scopes() {
    let w = start(Setup {
        write_for_calls: true,
        ..Setup::default()
    })
    .await;
    let client = connect(&w, oauth(&w), MODERN).await.unwrap();
    client.list_tools().await.unwrap();
    assert!(echo(&client).await.unwrap().contains("hi"));
    w.seen(|s| {
        let scopes: Vec<_> = s
            .authorizations
            .iter()
            .map(|a| a["scope"].clone())
            .collect();
        assert_eq!(scopes, ["mcp:basic", "mcp:basic mcp:write"]);
        assert_eq!(s.registrations.len(), 1, "the registration is reused");
    });
    // The stepped-up token serves the next calls without another authorization.
    echo(&client).await.unwrap();
    assert_eq!(w.seen(|s| s.authorizations.len()), 2);
}

#[tokio::test]
async fn a_step_up_asking_for_nothing_new_is_not_retried() {
    let w = start(Setup {
        write_for_calls: true,
        step_up_scope: "mcp:basic",
        ..Setup::default()
    })
    .await;
    let client = connect(&w, oauth(&w), MODERN).await.unwrap();
    let err = echo(&client).await.unwrap_err();
    assert!(err.contains("403"), "{err}");
    assert_eq!(w.seen(|s| s.authorizations.len()), 1);
}

#[tokio::test]
async fn expiring_tokens_are_refreshed_without_the_user() {
    let w = start(Setup {
        expires_in: 5,
        refresh_tokens: true,
        ..Setup::default()
    })
    .await;
    let client = connect(&w, oauth(&w), MODERN).await.unwrap();
    echo(&client).await.unwrap();
    echo(&client).await.unwrap();
    w.seen(|s| {
        assert_eq!(s.authorizations.len(), 1, "no second authorization");
        let refreshes: Vec<_> = s
            .token_requests
            .iter()
            .filter(|t| t["grant_type"] == "refresh_token")
            .collect();
        assert!(
            !refreshes.is_empty(),
            "tokens expiring within 30 s are renewed"
        );
        for r in refreshes {
            assert_eq!(r["resource"], w.mcp_url());
            assert!(r["refresh_token"].starts_with("rt-"));
        }
        // The server never saw a refused token after the first 401.
        assert_eq!(s.mcp_auth.iter().filter(|h| h.is_none()).count(), 1);
    });
}

#[tokio::test]
async fn a_wrong_iss_is_refused_before_the_code_is_used() {
    let w = start(Setup {
        iss: Iss::Wrong,
        ..Setup::default()
    })
    .await;
    let err = connect(&w, oauth(&w), MODERN).await.unwrap_err();
    assert!(err.contains("https://evil.example.com"), "{err}");
    w.seen(|s| {
        assert_eq!(s.authorizations.len(), 1);
        assert!(
            s.token_requests.is_empty(),
            "the code never reached the token endpoint"
        );
    });
}

#[tokio::test]
async fn metadata_about_another_resource_is_not_used() {
    let w = start(Setup {
        prm_resource: Some("https://evil.example.com/mcp".into()),
        ..Setup::default()
    })
    .await;
    let err = connect(&w, oauth(&w), MODERN).await.unwrap_err();
    assert!(err.contains("evil.example.com"), "{err}");
    w.seen(|s| {
        assert!(s.registrations.is_empty());
        assert!(s.authorizations.is_empty());
    });
}

#[tokio::test]
async fn no_pkce_support_means_no_authorization() {
    let w = start(Setup {
        pkce: false,
        ..Setup::default()
    })
    .await;
    let err = connect(&w, oauth(&w), MODERN).await.unwrap_err();
    assert!(err.contains("PKCE"), "{err}");
    assert!(w.seen(|s| s.authorizations.is_empty()));
}

#[tokio::test]
async fn stored_tokens_serve_the_next_client_and_authorizing_up_front_avoids_the_401() {
    let w = start(Setup::default()).await;
    let store = Arc::new(InMemoryTokenStore::new());
    let first = oauth_with(&w, store.clone());
    first.authorize().await.unwrap();
    let tokens = first.tokens().await.unwrap().expect("tokens");
    assert_eq!(tokens.resource, w.mcp_url());
    assert_eq!(tokens.issuer, w.as_base);
    let client = connect(&w, first, MODERN).await.unwrap();
    echo(&client).await.unwrap();
    client.close();
    // A second client with the same store starts with the token.
    let second = connect(&w, oauth_with(&w, store), LEGACY).await.unwrap();
    echo(&second).await.unwrap();
    w.seen(|s| {
        assert_eq!(s.authorizations.len(), 1);
        assert!(
            s.mcp_auth.iter().all(Option::is_some),
            "no request went without a token: {:?}",
            s.mcp_auth
        );
    });
}
