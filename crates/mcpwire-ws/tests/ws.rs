//! The WebSocket transport over real loopback sockets: our client against a test server on
//! both eras, the handshake's origin checks, size limits, misbehaving peers and many
//! clients at once.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use mcpwire_core::client::{Client, ConnectMode, RequestOptions};
use mcpwire_core::security::OriginPolicy;
use mcpwire_core::server::handler::Json;
use mcpwire_core::server::{RequestContext, Server, ToolDef};
use mcpwire_core::transport::{MessageSink, Transport, TransportError};
use mcpwire_core::types::{ElicitResult, Implementation, JsonObject};
use mcpwire_core::{Error, ProtocolVersion};
use mcpwire_ws::http::{HeaderMap, HeaderValue, StatusCode};
use mcpwire_ws::tokio_tungstenite::tungstenite::protocol::frame::Frame;
use mcpwire_ws::tokio_tungstenite::tungstenite::protocol::frame::coding::{
    CloseCode, Data, OpCode,
};
use mcpwire_ws::tokio_tungstenite::tungstenite::{Bytes, Message};
use mcpwire_ws::tokio_tungstenite::{self, MaybeTlsStream, WebSocketStream};
use mcpwire_ws::{ConnectError, WsConfig, WsTransport, serve_ws};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

const MODERN: ConnectMode = ConnectMode::Modern(ProtocolVersion::V2026_07_28);
const LEGACY: ConnectMode = ConnectMode::Legacy(ProtocolVersion::V2025_11_25);
const WAIT: Duration = Duration::from_secs(10);

#[derive(Deserialize, JsonSchema)]
struct Pair {
    a: i64,
    b: i64,
}

#[derive(Serialize, Deserialize, JsonSchema)]
struct Sum {
    sum: i64,
}

#[derive(Deserialize, JsonSchema)]
struct Text {
    text: String,
}

#[derive(Deserialize, JsonSchema)]
struct Steps {
    steps: u32,
}

#[derive(Deserialize, JsonSchema)]
struct Millis {
    ms: u64,
}

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

#[derive(Deserialize, JsonSchema)]
struct Person {
    name: String,
}

fn test_server() -> Server {
    Server::new(Implementation::new("ws-test", "0.1.0"))
        .tool(
            ToolDef::builder("add")
                .description("Add two integers")
                .output::<Sum>()
                .handler(
                    |a: Pair, _ctx: RequestContext| async move { Json(Sum { sum: a.a + a.b }) },
                ),
        )
        .tool(
            ToolDef::builder("echo")
                .description("Echo the text")
                .handler(|a: Text, _ctx: RequestContext| async move { a.text }),
        )
        .tool(
            ToolDef::builder("progress")
                .description("Report progress in steps")
                .handler(|a: Steps, ctx: RequestContext| async move {
                    for i in 1..=a.steps {
                        ctx.progress(f64::from(i), Some(f64::from(a.steps)), Some("working"));
                        tokio::task::yield_now().await;
                    }
                    format!("{} steps", a.steps)
                }),
        )
        .tool(
            ToolDef::builder("ask_name")
                .description("Ask the user's name")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    match ctx.elicit_form::<Person>("What is your name?").await? {
                        Some(p) => Ok::<_, Error>(format!("hello {}", p.name)),
                        None => Ok("no name given".to_owned()),
                    }
                }),
        )
        .tool(
            ToolDef::builder("slow")
                .description("Sleep for a while")
                .handler(|a: Millis, _ctx: RequestContext| async move {
                    tokio::time::sleep(Duration::from_millis(a.ms)).await;
                    "done"
                }),
        )
}

/// A running server; dropping it stops the server and every connection.
struct Running {
    addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn start(config: WsConfig) -> Running {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let task = tokio::spawn(serve_ws(test_server(), listener, config));
    Running { addr, task }
}

async fn client(url: &str, mode: ConnectMode) -> Client {
    let transport = WsTransport::connect(url).await.expect("connect");
    Client::builder()
        .info(Implementation::new("ws-test-client", "0.0.1"))
        .mode(mode)
        .on_elicitation(|_params| async move {
            let mut content = JsonObject::new();
            content.insert("name".into(), "Ada".into());
            Ok(ElicitResult::accept(content))
        })
        .connect(transport)
        .await
        .expect("MCP connect")
}

type Raw = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// A plain WebSocket client that speaks no MCP of its own.
async fn raw(url: &str) -> Raw {
    tokio_tungstenite::connect_async(url).await.unwrap().0
}

/// The next message that is not a ping or pong.
async fn next(ws: &mut Raw) -> Option<Message> {
    loop {
        match tokio::time::timeout(WAIT, ws.next()).await.expect("timely") {
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
            Some(Ok(m)) => return Some(m),
            Some(Err(_)) | None => return None,
        }
    }
}

fn modern_request(id: i64, method: &str, mut params: Value) -> String {
    params["_meta"] = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}).to_string()
}

/// Checks that `c` still works.
async fn still_works(c: &Client, a: i64) {
    let r = c.call_tool("add", json!({"a": a, "b": 1})).await.unwrap();
    assert_eq!(r.structured_content, Some(json!({"sum": a + 1})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_eras_list_call_report_progress_and_elicit() {
    let server = start(WsConfig::default()).await;
    for (mode, version) in [
        (MODERN, ProtocolVersion::V2026_07_28),
        (LEGACY, ProtocolVersion::V2025_11_25),
    ] {
        eprintln!("mode: {mode:?}");
        let c = client(&server.url(), mode).await;
        assert_eq!(c.protocol_version(), version);
        assert_eq!(c.server_info().unwrap().name, "ws-test");

        let tools = c.list_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["add", "echo", "progress", "ask_name", "slow"]);

        let r = c.call_tool("add", json!({"a": 2, "b": 3})).await.unwrap();
        assert!(!r.is_error());
        assert_eq!(r.structured_content, Some(json!({"sum": 5})));

        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let r = c
            .call_tool_with(
                "progress",
                json!({"steps": 4}),
                RequestOptions::new()
                    .on_progress(move |p| s.lock().unwrap().push((p.progress, p.total))),
            )
            .await
            .unwrap();
        assert_eq!(r.text_content(), "4 steps");
        assert_eq!(
            *seen.lock().unwrap(),
            (1..=4)
                .map(|i| (f64::from(i), Some(4.0)))
                .collect::<Vec<_>>()
        );

        let r = c.call_tool("ask_name", json!({})).await.unwrap();
        assert_eq!(r.text_content(), "hello Ada");

        // Text with every kind of character survives the framing.
        let text = "quotes \" backslash \\ newline \n tab \t unicode é 漢字 🦀";
        let r = c.call_tool("echo", json!({"text": text})).await.unwrap();
        assert_eq!(r.text_content(), text);

        c.ping().await.unwrap();
        c.close();
    }
}

#[tokio::test]
async fn auto_mode_discovers_the_modern_era() {
    let server = start(WsConfig::default()).await;
    let c = client(&server.url(), ConnectMode::Auto).await;
    assert_eq!(c.protocol_version(), ProtocolVersion::V2026_07_28);
    still_works(&c, 1).await;
}

#[tokio::test]
async fn any_path_is_accepted_and_the_mcp_subprotocol_is_selected() {
    let server = start(WsConfig::default()).await;
    let c = client(&format!("{}/some/path?x=1", server.url()), LEGACY).await;
    still_works(&c, 2).await;

    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(
            server.url(),
        )
        .unwrap();
    request.headers_mut().insert(
        "sec-websocket-protocol",
        HeaderValue::from_static("chat, mcp"),
    );
    let (_ws, response) = tokio_tungstenite::connect_async(request).await.unwrap();
    assert_eq!(response.headers()["sec-websocket-protocol"], "mcp");
}

#[tokio::test]
async fn hostile_origin_or_host_is_refused_with_403() {
    let server = start(WsConfig::default()).await;
    for (name, value) in [
        ("origin", "http://evil.example"),
        ("origin", "null"),
        ("host", "evil.example"),
    ] {
        let mut headers = HeaderMap::new();
        headers.insert(name, HeaderValue::from_static(value));
        let e = WsTransport::connect_with_headers(&server.url(), headers)
            .await
            .unwrap_err();
        let ConnectError::Rejected { status, body, .. } = e else {
            panic!("{name}: {value}: not a refusal: {e}");
        };
        assert_eq!(status, StatusCode::FORBIDDEN, "{name}: {value}");
        let body = body.unwrap_or_default();
        assert!(body.starts_with("Forbidden:"), "{body:?}");
        assert!(body.len() < 100, "{body:?}");
    }

    // The refusal on the wire: a complete, short HTTP response.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = TcpStream::connect(server.addr).await.unwrap();
    let request = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nOrigin: https://evil.example\r\nConnection: Upgrade\r\n\
         Upgrade: websocket\r\nSec-WebSocket-Version: 13\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n",
        server.addr
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(WAIT, tcp.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    assert!(response.starts_with("HTTP/1.1 403"), "{response}");
    assert!(
        response.ends_with("\r\n\r\nForbidden: Origin not allowed\n"),
        "{response}"
    );

    // A loopback origin is fine, and so is an origin the policy allows.
    let mut headers = HeaderMap::new();
    headers.insert(
        "origin",
        HeaderValue::from_str(&format!("http://localhost:{}", server.addr.port())).unwrap(),
    );
    let t = WsTransport::connect_with_headers(&server.url(), headers)
        .await
        .unwrap();
    still_works(&Client::builder().mode(MODERN).connect(t).await.unwrap(), 3).await;

    let custom = start(
        WsConfig::new()
            .origin_policy(OriginPolicy::localhost().allow_origin("https://app.example")),
    )
    .await;
    let mut headers = HeaderMap::new();
    headers.insert("origin", HeaderValue::from_static("https://app.example"));
    let t = WsTransport::connect_with_headers(&custom.url(), headers)
        .await
        .unwrap();
    still_works(&Client::builder().mode(LEGACY).connect(t).await.unwrap(), 4).await;
}

#[tokio::test]
async fn oversized_message_closes_only_that_connection_with_1009() {
    let server = start(WsConfig::new().max_message_size(64 * 1024)).await;
    let healthy = client(&server.url(), MODERN).await;

    // One frame over the limit.
    let mut ws = raw(&server.url()).await;
    let big = modern_request(
        1,
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "x".repeat(100_000)}}),
    );
    ws.send(Message::text(big)).await.unwrap();
    match next(&mut ws).await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close frame with 1009, got {other:?}"),
    }

    // A message over the limit in small fragments.
    let mut ws = raw(&server.url()).await;
    let chunk = Bytes::from(vec![b' '; 16 * 1024]);
    ws.feed(Message::Frame(Frame::message(
        chunk.clone(),
        OpCode::Data(Data::Text),
        false,
    )))
    .await
    .unwrap();
    for _ in 0..5 {
        ws.feed(Message::Frame(Frame::message(
            chunk.clone(),
            OpCode::Data(Data::Continue),
            false,
        )))
        .await
        .unwrap();
    }
    ws.flush().await.unwrap();
    match next(&mut ws).await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close frame with 1009, got {other:?}"),
    }

    // A frame over the frame limit is refused from its header; what follows of it is read
    // and discarded, so that the close frame reaches the peer rather than a reset (10 MB is
    // enough for the reset to happen without that).
    let frames = start(WsConfig::new().max_frame_size(16 * 1024)).await;
    let mut ws = raw(&frames.url()).await;
    let huge = modern_request(
        1,
        "tools/call",
        json!({"name": "echo", "arguments": {"text": "x".repeat(10_000_000)}}),
    );
    ws.send(Message::text(huge)).await.unwrap();
    match next(&mut ws).await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        other => panic!("expected a close frame with 1009, got {other:?}"),
    }
    still_works(&client(&frames.url(), MODERN).await, 11).await;

    // Our client, sending too much, loses its connection (and only its own).
    let victim = client(&server.url(), LEGACY).await;
    let e = victim
        .call_tool("echo", json!({"text": "y".repeat(100_000)}))
        .await
        .unwrap_err();
    assert!(matches!(e, Error::Closed), "{e}");

    // Just under the limit is fine.
    let r = healthy
        .call_tool("echo", json!({"text": "z".repeat(60_000)}))
        .await
        .unwrap();
    assert_eq!(r.text_content().len(), 60_000);
    still_works(&healthy, 5).await;
    still_works(&client(&server.url(), LEGACY).await, 6).await;
}

#[tokio::test]
async fn abrupt_disconnect_mid_request_does_not_affect_other_connections() {
    let server = start(WsConfig::default()).await;
    let healthy = client(&server.url(), LEGACY).await;
    let slow_call = {
        let other = client(&server.url(), MODERN).await;
        tokio::spawn(async move {
            tokio::join!(
                other.call_tool("slow", json!({"ms": 300})),
                healthy.call_tool("slow", json!({"ms": 300})),
            )
            .1
            .map(|r| (healthy, r))
        })
    };

    // A connection reset (no close frame, no FIN) in the middle of a request.
    let mut ws = raw(&server.url()).await;
    ws.send(Message::text(modern_request(
        1,
        "tools/call",
        json!({"name": "slow", "arguments": {"ms": 500}}),
    )))
    .await
    .unwrap();
    match ws.get_ref() {
        MaybeTlsStream::Plain(tcp) => tcp.set_zero_linger().unwrap(),
        _ => unreachable!(),
    }
    drop(ws);

    // Our client dropped mid-request: the socket closes without a close frame.
    let dropped = client(&server.url(), MODERN).await;
    let pending = tokio::spawn(async move { dropped.call_tool("slow", json!({"ms": 500})).await });
    tokio::time::sleep(Duration::from_millis(50)).await;
    pending.abort();

    // Half a frame, then gone.
    let mut ws = raw(&server.url()).await;
    match ws.get_mut() {
        MaybeTlsStream::Plain(tcp) => {
            use tokio::io::AsyncWriteExt;
            tcp.write_all(&[0x81, 0xfe, 0x10]).await.unwrap();
        }
        _ => unreachable!(),
    }
    drop(ws);

    let (healthy, r) = tokio::time::timeout(WAIT, slow_call)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(r.text_content(), "done");
    still_works(&healthy, 7).await;
    still_works(&client(&server.url(), MODERN).await, 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_concurrent_clients() {
    let server = start(WsConfig::default()).await;
    let url = server.url();
    let tasks: Vec<_> = (0..10i64)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let mode = if i % 2 == 0 { MODERN } else { LEGACY };
                let c = client(&url, mode).await;
                for j in 0..5 {
                    let r = c.call_tool("add", json!({"a": i, "b": j})).await.unwrap();
                    assert_eq!(r.structured_content, Some(json!({"sum": i + j})));
                }
                let count = Arc::new(Mutex::new(0));
                let n = count.clone();
                let (slow, progress, name) = tokio::join!(
                    c.call_tool("slow", json!({"ms": 100})),
                    c.call_tool_with(
                        "progress",
                        json!({"steps": 3}),
                        RequestOptions::new().on_progress(move |_| *n.lock().unwrap() += 1),
                    ),
                    c.call_tool("ask_name", json!({})),
                );
                assert_eq!(slow.unwrap().text_content(), "done");
                assert_eq!(progress.unwrap().text_content(), "3 steps");
                assert_eq!(*count.lock().unwrap(), 3);
                assert_eq!(name.unwrap().text_content(), "hello Ada");
                c.close();
            })
        })
        .collect();
    for t in tasks {
        tokio::time::timeout(WAIT, t).await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn binary_frames_are_answered_with_an_error_and_reading_goes_on() {
    let server = start(WsConfig::default()).await;
    let mut ws = raw(&server.url()).await;
    ws.send(Message::binary(
        modern_request(1, "server/discover", json!({})).into_bytes(),
    ))
    .await
    .unwrap();
    let Some(Message::Text(answer)) = next(&mut ws).await else {
        panic!("no answer to a binary frame");
    };
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["error"]["code"], -32600, "{answer}");
    assert_eq!(answer["id"], Value::Null);

    ws.send(Message::text(modern_request(
        2,
        "server/discover",
        json!({}),
    )))
    .await
    .unwrap();
    let Some(Message::Text(answer)) = next(&mut ws).await else {
        panic!("no answer after the binary frame");
    };
    let answer: Value = serde_json::from_str(&answer).unwrap();
    assert_eq!(answer["id"], 2);
    assert!(answer["result"]["supportedVersions"].is_array(), "{answer}");
}

#[tokio::test]
async fn invalid_utf8_fails_the_connection_with_1007() {
    let server = start(WsConfig::default()).await;
    let healthy = client(&server.url(), MODERN).await;
    let mut ws = raw(&server.url()).await;
    let frame = Frame::message(
        Bytes::from_static(b"{\"a\":\"\xff\xfe\"}"),
        OpCode::Data(Data::Text),
        true,
    );
    ws.send(Message::Frame(frame)).await.unwrap();
    match next(&mut ws).await {
        Some(Message::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Invalid),
        other => panic!("expected a close frame with 1007, got {other:?}"),
    }
    still_works(&healthy, 9).await;
}

#[tokio::test]
async fn pings_are_answered_and_a_close_frame_is_answered_and_ends_the_connection() {
    let server = start(WsConfig::default()).await;
    let mut ws = raw(&server.url()).await;
    ws.send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .unwrap();
    let pong = tokio::time::timeout(WAIT, ws.next()).await.unwrap();
    match pong {
        Some(Ok(Message::Pong(data))) => assert_eq!(&data[..], b"are you there"),
        other => panic!("expected a pong, got {other:?}"),
    }
    // Unsolicited pongs are ignored.
    ws.send(Message::Pong(Bytes::new())).await.unwrap();
    ws.send(Message::text(modern_request(
        1,
        "server/discover",
        json!({}),
    )))
    .await
    .unwrap();
    assert!(matches!(next(&mut ws).await, Some(Message::Text(_))));

    ws.close(None).await.unwrap();
    match next(&mut ws).await {
        Some(Message::Close(_)) => {}
        other => panic!("expected the close reply, got {other:?}"),
    }
    assert!(
        tokio::time::timeout(WAIT, ws.next())
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn closing_the_client_side_sends_a_normal_close() {
    // A server of our own making, to see what the client sends.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let accepting = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let mut got = Vec::new();
        while let Some(Ok(m)) = ws.next().await {
            let close = matches!(m, Message::Close(_));
            got.push(m);
            if close {
                break;
            }
        }
        got
    });
    let t = WsTransport::connect(&format!("ws://{addr}")).await.unwrap();
    let (mut sink, _stream) = t.split();
    sink.send("{\"jsonrpc\":\"2.0\",\"method\":\"a\"}".to_owned())
        .await
        .unwrap();
    sink.send("{\"jsonrpc\":\"2.0\",\"method\":\"b\"}".to_owned())
        .await
        .unwrap();
    sink.flush().await.unwrap();
    sink.close().await.unwrap();
    assert!(matches!(
        sink.send("{}".to_owned()).await,
        Err(TransportError::Closed)
    ));
    let got = tokio::time::timeout(WAIT, accepting)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.len(), 3, "{got:?}");
    assert_eq!(
        got[0],
        Message::text("{\"jsonrpc\":\"2.0\",\"method\":\"a\"}")
    );
    assert_eq!(
        got[1],
        Message::text("{\"jsonrpc\":\"2.0\",\"method\":\"b\"}")
    );
    match &got[2] {
        Message::Close(Some(frame)) => assert_eq!(frame.code, CloseCode::Normal),
        other => panic!("expected a close frame with 1000, got {other:?}"),
    }
}

#[tokio::test]
async fn stopping_the_server_closes_its_connections() {
    let server = start(WsConfig::default()).await;
    let c = client(&server.url(), LEGACY).await;
    still_works(&c, 10).await;
    let url = server.url();
    drop(server);
    // The connections end as soon as the aborted server task is dropped.
    let e = tokio::time::timeout(WAIT, async {
        loop {
            match c.call_tool("add", json!({"a": 1, "b": 2})).await {
                Err(e) => return e,
                Ok(_) => tokio::time::sleep(Duration::from_millis(10)).await,
            }
        }
    })
    .await
    .unwrap();
    assert!(matches!(e, Error::Closed | Error::Transport(_)), "{e}");
    assert!(WsTransport::connect(&url).await.is_err());
}

#[tokio::test]
async fn connect_errors_are_told_apart() {
    let e = WsTransport::connect("wss://127.0.0.1:1").await.unwrap_err();
    assert!(matches!(e, ConnectError::TlsNotSupported), "{e}");
    let e = WsTransport::connect("not a url").await.unwrap_err();
    assert!(matches!(e, ConnectError::InvalidUrl(_)), "{e}");
    // A port nobody listens on.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let e = WsTransport::connect(&format!("ws://{addr}"))
        .await
        .unwrap_err();
    assert!(matches!(e, ConnectError::Io(_)), "{e}");
    let e: Error = e.into();
    assert!(matches!(e, Error::Transport(_)));
}
