//! A client logs in to the protected server the way the MCP authorization spec describes,
//! step by step over loopback HTTP: 401 challenge, protected resource metadata,
//! authorization server metadata, dynamic registration, authorization code with PKCE and
//! `resource`, token, then MCP calls with the token, a 403 step-up challenge, and the
//! step-up itself.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use bytes::Bytes;
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use mcpwire::client::{Client, ConnectMode};
use mcpwire::http::{HttpClientConfig, HttpTransport};
use mcpwire::{ErrorCode, ProtocolVersion};
use protected_server::{Options, Tokens};
use serde_json::{Value, json};
use sha2::Digest as _;

const WAIT: Duration = Duration::from_secs(10);

struct Reply {
    status: StatusCode,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("no {name} header (status {})", self.status))
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON")
    }
}

async fn send(method: Method, url: &str, headers: &[(&str, &str)], body: String) -> Reply {
    let client: HyperClient<HttpConnector, Full<Bytes>> =
        HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new());
    let mut b = Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(*k, *v);
    }
    let resp = tokio::time::timeout(
        WAIT,
        client.request(b.body(Full::new(body.into())).unwrap()),
    )
    .await
    .expect("in time")
    .expect("HTTP");
    let (parts, body) = resp.into_parts();
    Reply {
        status: parts.status,
        headers: parts.headers,
        body: body.collect().await.expect("body").to_bytes(),
    }
}

/// `key="value"` out of a challenge.
fn param<'a>(challenge: &'a str, key: &str) -> &'a str {
    let start = challenge
        .find(&format!("{key}=\""))
        .unwrap_or_else(|| panic!("no {key} in {challenge}"))
        + key.len()
        + 2;
    let len = challenge[start..].find('"').expect("closing quote");
    &challenge[start..start + len]
}

/// Logs in through the demo authorization server asking for `scope`; returns the token
/// response.
async fn log_in(metadata_url: &str, resource: &str, scope: &str, user: &str) -> Value {
    let prm = send(Method::GET, metadata_url, &[], String::new())
        .await
        .json();
    assert_eq!(prm["resource"], resource);
    let issuer = prm["authorization_servers"][0].as_str().unwrap().to_owned();
    let asm = send(
        Method::GET,
        &format!("{issuer}/.well-known/oauth-authorization-server"),
        &[],
        String::new(),
    )
    .await
    .json();
    assert_eq!(asm["issuer"], issuer.as_str());
    assert_eq!(asm["code_challenge_methods_supported"], json!(["S256"]));

    // Dynamic client registration.
    let redirect = "http://127.0.0.1:53682/callback";
    let reg = send(
        Method::POST,
        asm["registration_endpoint"].as_str().unwrap(),
        &[("content-type", "application/json")],
        json!({"redirect_uris": [redirect], "client_name": "login test", "token_endpoint_auth_method": "none"}).to_string(),
    )
    .await;
    assert_eq!(reg.status, StatusCode::CREATED);
    let client_id = reg.json()["client_id"].as_str().unwrap().to_owned();

    // Authorization code with PKCE and the resource indicator.
    let verifier = "a-very-long-pkce-code-verifier-of-at-least-43-characters-0123";
    let challenge = URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier.as_bytes()));
    let query: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", &client_id)
        .append_pair("redirect_uri", redirect)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scope", scope)
        .append_pair("state", "xyz")
        .append_pair("resource", resource)
        .append_pair("login_hint", user)
        .finish();
    let auth = send(
        Method::GET,
        &format!(
            "{}?{query}",
            asm["authorization_endpoint"].as_str().unwrap()
        ),
        &[],
        String::new(),
    )
    .await;
    assert_eq!(auth.status, StatusCode::FOUND);
    let location = auth.header("location").to_owned();
    assert!(location.starts_with(redirect), "{location}");
    let params: std::collections::HashMap<String, String> =
        form_urlencoded::parse(location.split_once('?').unwrap().1.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["state"], "xyz");
    assert_eq!(params["iss"], issuer, "RFC 9207");

    let form: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", &params["code"])
        .append_pair("redirect_uri", redirect)
        .append_pair("client_id", &client_id)
        .append_pair("code_verifier", verifier)
        .append_pair("resource", resource)
        .finish();
    let token = send(
        Method::POST,
        asm["token_endpoint"].as_str().unwrap(),
        &[("content-type", "application/x-www-form-urlencoded")],
        form.clone(),
    )
    .await;
    assert_eq!(token.status, StatusCode::OK);
    // A code works once.
    let again = send(
        Method::POST,
        asm["token_endpoint"].as_str().unwrap(),
        &[("content-type", "application/x-www-form-urlencoded")],
        form,
    )
    .await;
    assert_eq!(again.status, StatusCode::BAD_REQUEST);
    token.json()
}

async fn connect(url: &str, token: &str) -> Client {
    let config = HttpClientConfig::new(url)
        .unwrap()
        .bearer_token(token)
        .unwrap();
    Client::builder()
        .mode(ConnectMode::Modern(ProtocolVersion::V2026_07_28))
        .connect(HttpTransport::with_config(config))
        .await
        .expect("connect with the token")
}

#[tokio::test]
async fn a_client_logs_in_and_steps_up() {
    let running = protected_server::start(Options {
        listen: "127.0.0.1:0".into(),
        tokens: Tokens::Demo {
            listen: "127.0.0.1:0".into(),
        },
        ..Options::default()
    })
    .await
    .expect("start");
    let url = running.mcp_url.clone();

    // 1. Without a token: a challenge naming the metadata and the basic scope.
    let first = send(
        Method::POST,
        &url,
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
        ],
        "{}".into(),
    )
    .await;
    assert_eq!(first.status, StatusCode::UNAUTHORIZED);
    let challenge = first.header("www-authenticate").to_owned();
    assert_eq!(param(&challenge, "scope"), "notes:read");
    let metadata_url = param(&challenge, "resource_metadata").to_owned();
    assert_eq!(Some(&metadata_url), running.metadata_url.as_ref());

    // 2. Log in with the scope the challenge named.
    let tokens = log_in(&metadata_url, &url, "notes:read", "alice").await;
    assert_eq!(tokens["token_type"], "Bearer");
    assert!(tokens["refresh_token"].is_string());
    let reader = connect(&url, tokens["access_token"].as_str().unwrap()).await;
    let who = reader.call_tool("whoami", json!({})).await.unwrap();
    let who = who.content[0].as_text().unwrap().to_owned();
    assert!(
        who.starts_with("alice (client client-") && who.ends_with("[notes:read]"),
        "{who}"
    );
    let names: Vec<String> = reader
        .list_tools()
        .await
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert_eq!(names, ["whoami", "list_notes"], "write tools are hidden");

    // 3. Writing needs a step-up: 403 with every scope the tool needs.
    let forbidden = send(
        Method::POST,
        &url,
        &[
            ("content-type", "application/json"),
            ("accept", "application/json, text/event-stream"),
            (
                "authorization",
                &format!("Bearer {}", tokens["access_token"].as_str().unwrap()),
            ),
            ("mcp-protocol-version", "2026-07-28"),
            ("mcp-method", "tools/call"),
            ("mcp-name", "add_note"),
        ],
        json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {
            "name": "add_note", "arguments": {"text": "hello"},
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": "2026-07-28",
                "io.modelcontextprotocol/clientCapabilities": {}
            }
        }})
        .to_string(),
    )
    .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let challenge = forbidden.header("www-authenticate").to_owned();
    assert_eq!(param(&challenge, "error"), "insufficient_scope");
    assert_eq!(param(&challenge, "scope"), "notes:write");
    assert_eq!(forbidden.json()["error"]["code"], ErrorCode::FORBIDDEN.0);

    // 4. Step up: the union of what was granted and what the challenge asks.
    let tokens = log_in(&metadata_url, &url, "notes:read notes:write", "alice").await;
    let writer = connect(&url, tokens["access_token"].as_str().unwrap()).await;
    let added = writer
        .call_tool("add_note", json!({"text": "hello"}))
        .await
        .unwrap();
    assert_eq!(added.content[0].as_text(), Some("1 notes"));
    let listed = reader.call_tool("list_notes", json!({})).await.unwrap();
    assert_eq!(listed.structured_content.unwrap()[0]["author"], "alice");

    // 5. A refresh token is bound to its client.
    let issuer = running.issuer.clone().unwrap();
    let refresh = |rt: String| {
        let issuer = issuer.clone();
        async move {
            let form: String = form_urlencoded::Serializer::new(String::new())
                .append_pair("grant_type", "refresh_token")
                .append_pair("refresh_token", &rt)
                .append_pair("client_id", "unknown-client")
                .finish();
            send(
                Method::POST,
                &format!("{issuer}/token"),
                &[("content-type", "application/x-www-form-urlencoded")],
                form,
            )
            .await
        }
    };
    let stolen = refresh(tokens["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(stolen.status, StatusCode::UNAUTHORIZED);

    // 6. Nobody else's token gets in, and nothing was refused by the limits.
    let bad = send(
        Method::POST,
        &url,
        &[
            ("content-type", "application/json"),
            ("authorization", "Bearer not.a.token"),
        ],
        "{}".into(),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    assert_eq!(running.rate.stats().refused, 0);
    assert!(running.rate.stats().allowed > 0);
}

#[tokio::test]
async fn the_authorization_server_refuses_what_it_must() {
    let running = protected_server::start(Options {
        listen: "127.0.0.1:0".into(),
        tokens: Tokens::Demo {
            listen: "127.0.0.1:0".into(),
        },
        ..Options::default()
    })
    .await
    .expect("start");
    let issuer = running.issuer.clone().unwrap();
    let base = |extra: &[(&str, &str)]| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        s.append_pair("response_type", "code")
            .append_pair("client_id", protected_server::demo_as::DEMO_CLIENT)
            .append_pair("redirect_uri", "http://127.0.0.1:9999/callback")
            .append_pair("code_challenge", "abc")
            .append_pair("code_challenge_method", "S256");
        for (k, v) in extra {
            s.append_pair(k, v);
        }
        format!("{issuer}/authorize?{}", s.finish())
    };
    // A token for another resource is not issued.
    let r = send(
        Method::GET,
        &base(&[("resource", "https://other.example/mcp")]),
        &[],
        String::new(),
    )
    .await;
    assert!(r.header("location").contains("error=invalid_target"));
    // Nor one without the resource indicator.
    let r = send(Method::GET, &base(&[]), &[], String::new()).await;
    assert!(r.header("location").contains("error=invalid_target"));
    // Nor unknown scopes.
    let r = send(
        Method::GET,
        &base(&[
            ("resource", &running.mcp_url),
            ("scope", "notes:everything"),
        ]),
        &[],
        String::new(),
    )
    .await;
    assert!(r.header("location").contains("error=invalid_scope"));
    // An unregistered redirect URI gets no redirect at all.
    let url = base(&[("resource", &running.mcp_url)])
        .replace("127.0.0.1%3A9999%2Fcallback", "evil.example%2Fcallback");
    let r = send(Method::GET, &url, &[], String::new()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}
