//! Authentication of WebSocket connections (`WsConfig::verifier`): no token is refused at the
//! upgrade with 401, a bad token closes the connection with 1008, and a good one makes every
//! request carry the caller, so per-item scopes apply as over HTTP.

use std::time::Duration;

use mcpwire_auth::ApiKeys;
use mcpwire_core::client::{Client, ConnectMode};
use mcpwire_core::server::{AuthInfo, RequestContext, Server, ToolDef};
use mcpwire_core::types::Implementation;
use mcpwire_core::{ErrorCode, ProtocolVersion};
use mcpwire_ws::{ConnectError, WsConfig, WsTransport, serve_ws};
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(10);
const KEY: &str = "0123456789abcdef0123456789";

fn server() -> Server {
    Server::new(Implementation::new("ws-auth", "1.0.0"))
        .tool(
            ToolDef::builder("whoami")
                .description("The caller")
                .handler(|_: Value, ctx: RequestContext| async move {
                    AuthInfo::from_context(&ctx).map(|a| a.subject().to_owned())
                }),
        )
        .tool(
            ToolDef::builder("admin_only")
                .description("Needs the admin scope")
                .scopes(["admin"])
                .handler(|_: Value, _ctx: RequestContext| async move { "secret" }),
        )
}

async fn start() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let keys = ApiKeys::new()
        .key(KEY, AuthInfo::new("alice").with_scopes(["read"]))
        .unwrap();
    tokio::spawn(serve_ws(server(), listener, WsConfig::new().verifier(keys)));
    format!("ws://{addr}/mcp")
}

fn bearer(token: &str) -> http::HeaderMap {
    let mut h = http::HeaderMap::new();
    h.insert(
        http::header::AUTHORIZATION,
        format!("Bearer {token}").parse().unwrap(),
    );
    h
}

#[tokio::test]
async fn an_upgrade_without_a_token_is_refused_with_401() {
    let url = start().await;
    let e = tokio::time::timeout(WAIT, WsTransport::connect(&url))
        .await
        .unwrap()
        .unwrap_err();
    match e {
        ConnectError::Rejected {
            status, headers, ..
        } => {
            assert_eq!(status, http::StatusCode::UNAUTHORIZED);
            assert_eq!(headers[http::header::WWW_AUTHENTICATE], "Bearer");
        }
        other => panic!("expected a 401 rejection, got {other}"),
    }
}

#[tokio::test]
async fn a_bad_token_closes_the_connection() {
    let url = start().await;
    let transport = tokio::time::timeout(
        WAIT,
        WsTransport::connect_with_headers(&url, bearer("not-the-key-at-all-0000")),
    )
    .await
    .unwrap()
    .expect("the upgrade itself succeeds");
    let result = tokio::time::timeout(
        WAIT,
        Client::builder()
            .mode(ConnectMode::Legacy(ProtocolVersion::V2025_11_25))
            .connect(transport),
    )
    .await
    .expect("no hang");
    assert!(result.is_err(), "a refused token must not get a session");
}

#[tokio::test]
async fn a_good_token_names_the_caller_and_scopes_apply() {
    let url = start().await;
    for (mode, era) in [
        (ConnectMode::Auto, mcpwire_core::Era::Modern),
        (
            ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
            mcpwire_core::Era::Legacy,
        ),
    ] {
        let transport = WsTransport::connect_with_headers(&url, bearer(KEY))
            .await
            .unwrap();
        let client = tokio::time::timeout(WAIT, Client::builder().mode(mode).connect(transport))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(client.protocol_version().era(), era);
        let me = client.call_tool("whoami", json!({})).await.unwrap();
        assert_eq!(me.text_content(), "alice");
        let names: Vec<String> = client
            .list_tools()
            .await
            .unwrap()
            .into_iter()
            .map(|t| t.name)
            .collect();
        assert_eq!(names, ["whoami"], "a tool the caller may not use is hidden");
        let e = client.call_tool("admin_only", json!({})).await.unwrap_err();
        assert_eq!(e.code(), Some(ErrorCode::FORBIDDEN), "{e}");
        client.close();
    }
}
