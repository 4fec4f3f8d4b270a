//! The MCP endpoint and the application's own routes answer side by side.

use std::time::Duration;

use mcpwire::http::HttpTransport;
use mcpwire::prelude::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn get(addr: std::net::SocketAddr, path: &str) -> String {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    response
}

#[tokio::test]
async fn mcp_and_other_routes_share_the_app() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, axum_app::app()).await });

    let health = tokio::time::timeout(Duration::from_secs(10), get(addr, "/health"))
        .await
        .unwrap();
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(health.ends_with("ok"), "{health}");

    for (mode, era) in [
        (ConnectMode::Auto, mcpwire::Era::Modern),
        (
            ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
            mcpwire::Era::Legacy,
        ),
    ] {
        let transport = HttpTransport::new(&format!("http://{addr}/mcp")).unwrap();
        let client = tokio::time::timeout(
            Duration::from_secs(10),
            Client::builder().mode(mode).connect(transport),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(client.protocol_version().era(), era);
        let sum = client
            .call_tool("add", serde_json::json!({"a": 2, "b": 3}))
            .await
            .unwrap();
        assert_eq!(sum.text_content(), "5");
        client.close();
    }

    let missing = get(addr, "/nope").await;
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
}
