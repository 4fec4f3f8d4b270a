//! The Streamable HTTP transport over real loopback sockets, rule by rule: raw HTTP requests
//! (and raw TCP bytes for malformed ones) against `mcpwire-http`'s server, checking status
//! codes, headers and JSON-RPC error bodies, plus our `HttpTransport` client where the rule
//! involves both halves. Every MCP feature over HTTP is covered by `features.rs`; this file is
//! about the HTTP layer.
//!
//! Every wait is bounded (`within`), so a bug fails a test instead of hanging it.

mod common;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use mcpwire_core::ProtocolVersion;
use mcpwire_core::client::{Client, ConnectMode};
use mcpwire_core::security::OriginPolicy;
use mcpwire_core::server::{McpRequest, McpResponse, McpService, RequestContext, Server, ToolDef};
use mcpwire_http::{HttpConfig, HttpServer, HttpTransport, McpHttpService};
use mcpwire_tests::fixture;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

/// The bound of every wait.
const WAIT: Duration = Duration::from_secs(10);

const MODERN: &str = "2026-07-28";
const LEGACY: &str = "2025-11-25";

async fn within<F: Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(WAIT, f)
        .await
        .unwrap_or_else(|_| panic!("timed out after {WAIT:?}: {what}"))
}

/// Polls `check` until it holds (bounded).
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    within(what, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

// ---------- servers ----------

struct Running {
    url: String,
    addr: SocketAddr,
    service: McpHttpService,
}

async fn start(server: Server, config: HttpConfig) -> Running {
    let http = HttpServer::bind_with("127.0.0.1:0", server, config)
        .await
        .expect("bind");
    let running = Running {
        url: http.url(),
        addr: http.local_addr().expect("address"),
        service: http.service().clone(),
    };
    tokio::spawn(http.run());
    running
}

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

fn dyn_tool(name: &str) -> ToolDef {
    ToolDef::builder(name)
        .description("Added by a test")
        .handler(|_: NoArgs, _ctx: RequestContext| async move { "dynamic" })
}

/// A tool that reports progress, then waits (30 s at most) until released, recording
/// whether its cancellation token fired.
fn held_tool(log: Arc<Mutex<Vec<String>>>, release: Arc<tokio::sync::Notify>) -> ToolDef {
    ToolDef::builder("held")
        .description("Progress, then wait to be released")
        .handler(move |_: NoArgs, ctx: RequestContext| {
            let log = log.clone();
            let release = release.clone();
            async move {
                log.lock().unwrap().push("started".into());
                ctx.progress(1.0, None, Some("waiting"));
                let token = ctx.cancellation_token().clone();
                let log2 = log.clone();
                tokio::spawn(async move {
                    token.cancelled().await;
                    log2.lock().unwrap().push("token".into());
                });
                tokio::select! {
                    () = release.notified() => {}
                    () = tokio::time::sleep(Duration::from_secs(30)) => {}
                }
                log.lock().unwrap().push("finished".into());
                "released"
            }
        })
}

fn has(log: &Mutex<Vec<String>>, what: &str) -> bool {
    log.lock().unwrap().iter().any(|e| e == what)
}

fn fixture_events(server: &Server) -> Arc<fixture::Events> {
    server.state::<fixture::Events>().expect("fixture state")
}

fn fixture_has(server: &Server, what: &str) -> bool {
    has(&fixture_events(server).log, what)
}

// ---------- raw HTTP ----------

type Headers = Vec<(String, String)>;

fn hdrs(pairs: &[(&str, &str)]) -> Headers {
    pairs
        .iter()
        .map(|(k, v)| (k.to_ascii_lowercase(), (*v).to_owned()))
        .collect()
}

fn set(mut h: Headers, name: &str, value: &str) -> Headers {
    h.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    h.push((name.to_ascii_lowercase(), value.to_owned()));
    h
}

fn unset(mut h: Headers, name: &str) -> Headers {
    h.retain(|(k, _)| !k.eq_ignore_ascii_case(name));
    h
}

/// `Content-Type` and `Accept` as a conforming client sends them.
fn json_headers() -> Headers {
    hdrs(&[
        ("content-type", "application/json"),
        ("accept", "application/json, text/event-stream"),
    ])
}

/// The headers of a 2026-07-28 request.
fn modern_headers(method: &str, name: Option<&str>) -> Headers {
    let mut h = set(json_headers(), "mcp-protocol-version", MODERN);
    h = set(h, "mcp-method", method);
    if let Some(n) = name {
        h = set(h, "mcp-name", n);
    }
    h
}

/// The headers of a request within legacy session `sid`.
fn session_headers(sid: &str, version: &str) -> Headers {
    let h = set(json_headers(), "mcp-session-id", sid);
    set(h, "mcp-protocol-version", version)
}

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientInfo": {"name": "raw-http", "version": "0"},
        "io.modelcontextprotocol/clientCapabilities": {}
    })
}

/// A 2026-07-28 request: `params` with the required `_meta`.
fn modern_req(id: u64, method: &str, mut params: Value) -> Value {
    let mut m = meta();
    if let Some(extra) = params.get("_meta").and_then(Value::as_object) {
        for (k, v) in extra {
            m[k] = v.clone();
        }
    }
    params["_meta"] = m;
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn req(id: u64, method: &str, params: Value) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
}

fn echo(text: &str) -> Value {
    json!({"name": "echo", "arguments": {"text": text}})
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text()))
    }

    /// Asserts a JSON-RPC error body with `status` and `code` whose message mentions every
    /// fragment; returns the body.
    #[track_caller]
    fn assert_error(&self, status: StatusCode, code: i64, fragments: &[&str]) -> Value {
        assert_eq!(self.status, status, "body: {}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "body: {}",
            self.text()
        );
        let body = self.json();
        assert_eq!(body["jsonrpc"], "2.0", "{body}");
        assert_eq!(body["error"]["code"], code, "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        for f in fragments {
            assert!(message.contains(f), "message {message:?} lacks {f:?}");
        }
        body
    }

    /// Asserts a 200 JSON answer carrying a result; returns the result.
    #[track_caller]
    fn assert_result(&self) -> Value {
        assert_eq!(self.status, StatusCode::OK, "body: {}", self.text());
        assert_eq!(self.header("content-type"), Some("application/json"));
        let body = self.json();
        assert!(body.get("error").is_none(), "{body}");
        body["result"].clone()
    }
}

/// The text of a `CallToolResult`.
fn tool_text(result: &Value) -> String {
    result["content"][0]["text"]
        .as_str()
        .unwrap_or_else(|| panic!("no text content: {result}"))
        .to_owned()
}

#[derive(Clone)]
struct Raw {
    client: HyperClient<HttpConnector, Full<Bytes>>,
    base: String,
    path: String,
}

impl Raw {
    fn new(url: &str) -> Raw {
        let after_scheme = url.find("://").map_or(0, |i| i + 3);
        let slash = url[after_scheme..]
            .find('/')
            .map_or(url.len(), |i| i + after_scheme);
        Raw {
            client: HyperClient::builder(TokioExecutor::new()).build(HttpConnector::new()),
            base: url[..slash].to_owned(),
            path: url[slash..].to_owned(),
        }
    }

    fn build(
        &self,
        method: Method,
        path: Option<&str>,
        headers: &Headers,
        body: impl Into<Bytes>,
    ) -> Request<Full<Bytes>> {
        let uri = format!("{}{}", self.base, path.unwrap_or(&self.path));
        let mut b = Request::builder().method(method).uri(uri);
        for (k, v) in headers {
            b = b.header(k.as_str(), v.as_str());
        }
        b.body(Full::new(body.into())).expect("request")
    }

    async fn open(&self, req: Request<Full<Bytes>>) -> Response<Incoming> {
        within("the response head", self.client.request(req))
            .await
            .expect("HTTP request")
    }

    async fn send(&self, req: Request<Full<Bytes>>) -> Reply {
        let resp = self.open(req).await;
        let (parts, body) = resp.into_parts();
        let body = within("the response body", body.collect())
            .await
            .expect("body")
            .to_bytes();
        Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    async fn post(&self, headers: &Headers, body: &Value) -> Reply {
        self.send(self.build(Method::POST, None, headers, body.to_string()))
            .await
    }

    async fn post_bytes(&self, headers: &Headers, body: impl Into<Bytes>) -> Reply {
        self.send(self.build(Method::POST, None, headers, body))
            .await
    }

    async fn post_stream(&self, headers: &Headers, body: &Value) -> Response<Incoming> {
        self.open(self.build(Method::POST, None, headers, body.to_string()))
            .await
    }

    async fn bare(&self, method: Method, headers: &Headers) -> Reply {
        self.send(self.build(method, None, headers, Bytes::new()))
            .await
    }

    /// A 2026-07-28 `tools/call` of `echo`, which must answer `text`.
    async fn assert_serves(&self) {
        let r = self
            .post(
                &modern_headers("tools/call", Some("echo")),
                &modern_req(77, "tools/call", echo("still serving")),
            )
            .await;
        assert_eq!(tool_text(&r.assert_result()), "still serving");
    }

    /// `initialize` + `notifications/initialized`; returns the session id.
    async fn session(&self, version: &str, capabilities: Value) -> String {
        let r = self
            .post(
                &json_headers(),
                &req(
                    0,
                    "initialize",
                    json!({
                        "protocolVersion": version,
                        "capabilities": capabilities,
                        "clientInfo": {"name": "raw-http", "version": "0"}
                    }),
                ),
            )
            .await;
        let result = r.assert_result();
        assert_eq!(result["protocolVersion"], version);
        let sid = r
            .header("mcp-session-id")
            .expect("initialize must assign Mcp-Session-Id")
            .to_owned();
        let r = self
            .post(
                &session_headers(&sid, version),
                &json!({"jsonrpc": "2.0", "method": "notifications/initialized"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
        assert!(r.body.is_empty());
        sid
    }
}

// ---------- SSE ----------

#[derive(Debug, Default)]
struct Event {
    id: Option<String>,
    event: Option<String>,
    data: String,
    retry: Option<u64>,
}

impl Event {
    fn json(&self) -> Value {
        serde_json::from_str(&self.data)
            .unwrap_or_else(|e| panic!("event data is not JSON ({e}): {self:?}"))
    }
}

struct SseReader {
    body: Incoming,
    buf: String,
}

impl SseReader {
    #[track_caller]
    fn of(resp: Response<Incoming>) -> SseReader {
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()
                .get("content-type")
                .and_then(|v| v.to_str().ok()),
            Some("text/event-stream")
        );
        assert_eq!(
            resp.headers()
                .get("x-accel-buffering")
                .and_then(|v| v.to_str().ok()),
            Some("no"),
            "SSE responses disable proxy buffering"
        );
        SseReader {
            body: resp.into_body(),
            buf: String::new(),
        }
    }

    /// The next event (keep-alive comments skipped), `None` when the stream ends.
    async fn next_raw(&mut self) -> Option<Event> {
        loop {
            if let Some(pos) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..pos + 2).collect();
                let mut e = Event::default();
                let mut fields = 0;
                let mut data: Vec<&str> = Vec::new();
                for line in block.lines() {
                    if line.is_empty() || line.starts_with(':') {
                        continue;
                    }
                    fields += 1;
                    let (name, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match name {
                        "id" => e.id = Some(value.to_owned()),
                        "event" => e.event = Some(value.to_owned()),
                        "data" => data.push(value),
                        "retry" => e.retry = value.parse().ok(),
                        _ => {}
                    }
                }
                if fields == 0 {
                    continue;
                }
                e.data = data.join("\n");
                return Some(e);
            }
            match self.body.frame().await {
                Some(Ok(frame)) => {
                    if let Ok(d) = frame.into_data() {
                        self.buf
                            .push_str(&String::from_utf8_lossy(&d).replace("\r\n", "\n"));
                    }
                }
                _ => return None,
            }
        }
    }

    async fn next(&mut self, what: &str) -> Event {
        within(what, self.next_raw())
            .await
            .unwrap_or_else(|| panic!("the stream ended before {what}"))
    }

    /// The next event carrying a message (priming events skipped).
    async fn message(&mut self, what: &str) -> (Event, Value) {
        loop {
            let e = self.next(what).await;
            if !e.data.is_empty() {
                assert_eq!(e.event.as_deref().unwrap_or("message"), "message");
                let v = e.json();
                return (e, v);
            }
        }
    }

    async fn assert_ends(&mut self) {
        let rest = within("the end of the stream", self.next_raw()).await;
        assert!(rest.is_none(), "expected the stream to end, got {rest:?}");
    }
}

// ---------- raw TCP ----------

/// Writes `bytes` and reads until the server closes or a quiet second passes.
async fn tcp_exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = within("connect", TcpStream::connect(addr))
        .await
        .expect("connect");
    s.write_all(bytes).await.expect("write");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(Duration::from_secs(1), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) | Err(_) => break,
            Ok(Ok(n)) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Writes `bytes`, then drops the connection at once.
async fn tcp_hang_up(addr: SocketAddr, bytes: &[u8]) {
    let mut s = within("connect", TcpStream::connect(addr))
        .await
        .expect("connect");
    s.write_all(bytes).await.expect("write");
    drop(s);
}

fn http_post_head(addr: SocketAddr, extra: &str, content_length: usize) -> String {
    format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\n{extra}Content-Length: {content_length}\r\n\r\n"
    )
}

// ---------- clients ----------

async fn client(url: &str, mode: ConnectMode) -> Client {
    within(
        "connect",
        common::full_client(Arc::default())
            .mode(mode)
            .connect(HttpTransport::new(url).expect("url")),
    )
    .await
    .unwrap_or_else(|e| panic!("connecting to {url} ({mode:?}): {e}"))
}

async fn client_echo(c: &Client, text: &str) {
    let r = within("echo", c.call_tool("echo", json!({ "text": text })))
        .await
        .unwrap_or_else(|e| panic!("echo {text:?}: {e}"));
    assert_eq!(r.text_content(), text);
}

fn modern_mode() -> ConnectMode {
    ConnectMode::Modern(ProtocolVersion::V2026_07_28)
}

fn legacy_mode() -> ConnectMode {
    ConnectMode::Legacy(ProtocolVersion::V2025_11_25)
}

// =====================================================================================
// 1. 2026-07-28 POST
// =====================================================================================

#[tokio::test]
async fn modern_plain_call_is_answered_with_one_json_object() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let r = raw
        .post(
            &modern_headers("tools/call", Some("echo")),
            &modern_req(1, "tools/call", echo("hi")),
        )
        .await;
    let result = r.assert_result();
    assert_eq!(r.json()["id"], 1);
    assert_eq!(tool_text(&result), "hi");
    // No protocol-level sessions in 2026-07-28.
    assert!(r.header("mcp-session-id").is_none());

    // A notification is accepted with 202 and no body.
    let r = raw
        .post(
            &modern_headers("notifications/cancelled", None),
            &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                    "params": {"requestId": 99}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.body.is_empty());

    // A response without a session has nothing to answer.
    let r = raw
        .post(
            &modern_headers("tools/call", None),
            &json!({"jsonrpc": "2.0", "id": 5, "result": {}}),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["Mcp-Session-Id"]);

    // Batches do not exist in 2026-07-28.
    let r = raw
        .post(
            &modern_headers("tools/call", Some("echo")),
            &json!([modern_req(1, "tools/call", echo("a"))]),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["batch"]);
}

#[tokio::test]
async fn modern_progress_turns_the_answer_into_an_sse_stream() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let body = modern_req(
        2,
        "tools/call",
        json!({"name": "progress", "arguments": {"steps": 3}, "_meta": {"progressToken": "p-1"}}),
    );
    let resp = raw
        .post_stream(&modern_headers("tools/call", Some("progress")), &body)
        .await;
    assert_eq!(
        resp.headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-cache")
    );
    let mut sse = SseReader::of(resp);
    for step in 1..=3 {
        let (e, m) = sse.message("a progress notification").await;
        assert_eq!(m["method"], "notifications/progress", "{m}");
        assert_eq!(m["params"]["progressToken"], "p-1");
        assert_eq!(m["params"]["progress"], f64::from(step));
        assert_eq!(m["params"]["total"], 3.0);
        // 2026-07-28 streams are not resumable: no event ids.
        assert!(e.id.is_none(), "{e:?}");
    }
    let (_, m) = sse.message("the result").await;
    assert_eq!(m["id"], 2);
    assert_eq!(tool_text(&m["result"]), "3 steps");
    sse.assert_ends().await;

    // A client accepting JSON only gets the result alone.
    let r = raw
        .post(
            &set(
                modern_headers("tools/call", Some("progress")),
                "accept",
                "application/json",
            ),
            &body,
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "3 steps");
}

#[tokio::test]
async fn modern_header_validation_failures_get_their_status_and_code() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let call = modern_headers("tools/call", Some("echo"));
    let body = modern_req(3, "tools/call", echo("hi"));
    let with_meta = |m: Value| {
        let mut b = body.clone();
        b["params"]["_meta"] = m;
        b
    };
    let mut other_version = meta();
    other_version["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let mut no_version = meta();
    no_version
        .as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/protocolVersion");
    let mut no_caps = meta();
    no_caps
        .as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientCapabilities");

    struct Case {
        what: &'static str,
        headers: Headers,
        body: Value,
        status: StatusCode,
        code: i64,
        fragments: &'static [&'static str],
    }
    let bad = StatusCode::BAD_REQUEST;
    let cases = vec![
        Case {
            what: "no MCP-Protocol-Version",
            headers: unset(call.clone(), "mcp-protocol-version"),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["Header mismatch", "MCP-Protocol-Version"],
        },
        Case {
            what: "MCP-Protocol-Version differs from _meta",
            headers: set(call.clone(), "mcp-protocol-version", LEGACY),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["MCP-Protocol-Version", "'2025-11-25'", "'2026-07-28'"],
        },
        Case {
            what: "a version the server does not implement",
            headers: set(call.clone(), "mcp-protocol-version", "2099-01-01"),
            body: with_meta(other_version),
            status: bad,
            code: -32022,
            fragments: &["Unsupported protocol version"],
        },
        Case {
            what: "_meta without the protocol version",
            headers: call.clone(),
            body: with_meta(no_version),
            status: bad,
            code: -32602,
            fragments: &["io.modelcontextprotocol/protocolVersion"],
        },
        Case {
            what: "_meta without the client capabilities",
            headers: call.clone(),
            body: with_meta(no_caps),
            status: bad,
            code: -32602,
            fragments: &["io.modelcontextprotocol/clientCapabilities"],
        },
        Case {
            what: "no _meta at all but a 2026-07-28 header",
            headers: call.clone(),
            body: req(3, "tools/call", echo("hi")),
            status: bad,
            code: -32602,
            fragments: &["io.modelcontextprotocol/protocolVersion"],
        },
        Case {
            what: "no Mcp-Method",
            headers: unset(call.clone(), "mcp-method"),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["Mcp-Method"],
        },
        Case {
            what: "Mcp-Method differs",
            headers: set(call.clone(), "mcp-method", "tools/list"),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["Mcp-Method", "'tools/list'", "'tools/call'"],
        },
        Case {
            what: "header values are case-sensitive",
            headers: set(call.clone(), "mcp-method", "TOOLS/CALL"),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["'TOOLS/CALL'"],
        },
        Case {
            what: "tools/call without Mcp-Name",
            headers: unset(call.clone(), "mcp-name"),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["Mcp-Name"],
        },
        Case {
            what: "tools/call with another Mcp-Name",
            headers: set(call.clone(), "mcp-name", "add"),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["Mcp-Name", "'add'", "'echo'"],
        },
        Case {
            what: "resources/read without Mcp-Name",
            headers: modern_headers("resources/read", None),
            body: modern_req(4, "resources/read", json!({"uri": "fixture://static"})),
            status: bad,
            code: -32020,
            fragments: &["Mcp-Name"],
        },
        Case {
            what: "resources/read with another Mcp-Name",
            headers: modern_headers("resources/read", Some("fixture://binary")),
            body: modern_req(4, "resources/read", json!({"uri": "fixture://static"})),
            status: bad,
            code: -32020,
            fragments: &["'fixture://binary'", "'fixture://static'"],
        },
        Case {
            what: "prompts/get without Mcp-Name",
            headers: modern_headers("prompts/get", None),
            body: modern_req(
                5,
                "prompts/get",
                json!({"name": "greet", "arguments": {"name": "Ada"}}),
            ),
            status: bad,
            code: -32020,
            fragments: &["Mcp-Name"],
        },
        Case {
            what: "prompts/get with another Mcp-Name",
            headers: modern_headers("prompts/get", Some("greeting")),
            body: modern_req(
                5,
                "prompts/get",
                json!({"name": "greet", "arguments": {"name": "Ada"}}),
            ),
            status: bad,
            code: -32020,
            fragments: &["'greeting'", "'greet'"],
        },
        Case {
            what: "a malformed Base64 Mcp-Name",
            headers: set(call.clone(), "mcp-name", "=?base64?ZW!!!Nobw?="),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["Mcp-Name", "Base64"],
        },
        Case {
            what: "a Base64 Mcp-Name of another name",
            // "add"
            headers: set(call.clone(), "mcp-name", "=?base64?YWRk?="),
            body: body.clone(),
            status: bad,
            code: -32020,
            fragments: &["'add'", "'echo'"],
        },
        Case {
            what: "an unknown method",
            headers: modern_headers("foo/bar", None),
            body: modern_req(6, "foo/bar", json!({})),
            status: StatusCode::NOT_FOUND,
            code: -32601,
            fragments: &["foo/bar"],
        },
        Case {
            what: "a method of the legacy era only",
            headers: modern_headers("initialize", None),
            body: modern_req(6, "initialize", json!({})),
            status: StatusCode::NOT_FOUND,
            code: -32601,
            fragments: &["initialize"],
        },
    ];
    for case in cases {
        eprintln!("case: {}", case.what);
        let r = raw.post(&case.headers, &case.body).await;
        let body = r.assert_error(case.status, case.code, case.fragments);
        // The error answers the request.
        assert_eq!(body["id"], case.body["id"], "{}", case.what);
        if case.code == -32022 {
            assert_eq!(body["error"]["data"]["supported"], json!([MODERN]));
            assert_eq!(body["error"]["data"]["requested"], "2099-01-01");
        }
    }

    // What passes: the plain call, a Base64-sentinel Mcp-Name, and the other named methods.
    let ok = [
        (call.clone(), body.clone()),
        (
            set(call.clone(), "mcp-name", "=?base64?ZWNobw==?="),
            body.clone(),
        ),
        (
            modern_headers("resources/read", Some("fixture://static")),
            modern_req(4, "resources/read", json!({"uri": "fixture://static"})),
        ),
        (
            modern_headers("prompts/get", Some("greet")),
            modern_req(
                5,
                "prompts/get",
                json!({"name": "greet", "arguments": {"name": "Ada"}}),
            ),
        ),
        // Methods without a name ignore Mcp-Name.
        (
            modern_headers("tools/list", None),
            modern_req(7, "tools/list", json!({})),
        ),
    ];
    for (headers, body) in ok {
        let r = raw.post(&headers, &body).await;
        r.assert_result();
    }
}

/// The dispatcher of `server`, with a tool whose `x-mcp-header` annotation is invalid (on a
/// `number`) slipped into `tools/list` results: our registry refuses to register one, but a
/// client must cope with other servers.
#[derive(Clone)]
struct WithInvalidTool(McpService);

impl tower_service::Service<McpRequest> for WithInvalidTool {
    type Response = McpResponse;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<McpResponse, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, req: McpRequest) -> Self::Future {
        let list = &*req.method == "tools/list";
        let answer = self.0.call(req);
        Box::pin(async move {
            match answer.await? {
                McpResponse::Result(text) if list => {
                    let mut result: Value = serde_json::from_str(&text).expect("tools/list");
                    result["tools"].as_array_mut().expect("tools").push(json!({
                        "name": "bad",
                        "description": "An annotation on a number: invalid",
                        "inputSchema": {"type": "object", "properties": {
                            "x": {"type": "number", "x-mcp-header": "X"}
                        }}
                    }));
                    Ok(McpResponse::Result(result.to_string()))
                }
                other => Ok(other),
            }
        })
    }
}

/// Serves `server` through [`WithInvalidTool`]; returns the endpoint URL.
async fn start_with_invalid_tool(server: Server) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let service = WithInvalidTool(server.clone().into_service());
    let http = HttpServer::from_listener(
        listener,
        McpHttpService::with_service(server, service, HttpConfig::default()),
    );
    let url = http.url();
    tokio::spawn(http.run());
    url
}

/// A server whose `route` tool mirrors three arguments into `Mcp-Param-*` headers.
fn param_server() -> Server {
    let schema = |v: Value| match v {
        Value::Object(o) => o,
        _ => unreachable!(),
    };
    Server::new(mcpwire_core::types::Implementation::new("params", "1")).tool(
        ToolDef::builder("route")
            .description("Routed by region")
            .input_schema(schema(json!({
                "type": "object",
                "properties": {
                    "region": {"type": "string", "x-mcp-header": "Region"},
                    "count": {"type": "integer", "x-mcp-header": "Count"},
                    "opts": {"type": "object", "properties": {
                        "dryRun": {"type": "boolean", "x-mcp-header": "Dry-Run"}
                    }},
                    "query": {"type": "string"}
                },
                "required": ["query"]
            })))
            .handler(|args: Value, _ctx: RequestContext| async move {
                format!(
                    "{}|{}|{}|{}",
                    args["region"], args["count"], args["opts"]["dryRun"], args["query"]
                )
            }),
    )
}

#[tokio::test]
async fn modern_param_headers_are_checked_against_the_arguments() {
    let running = start(param_server(), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let call = modern_headers("tools/call", Some("route"));
    let args = json!({"region": "us-west1", "count": 42, "opts": {"dryRun": true}, "query": "q"});
    let body =
        |args: &Value| modern_req(8, "tools/call", json!({"name": "route", "arguments": args}));
    let full = set(
        set(
            set(call.clone(), "mcp-param-region", "us-west1"),
            "mcp-param-count",
            "42",
        ),
        "mcp-param-dry-run",
        "true",
    );

    // Right.
    let r = raw.post(&full, &body(&args)).await;
    assert_eq!(tool_text(&r.assert_result()), "\"us-west1\"|42|true|\"q\"");
    // Integers compare numerically.
    let r = raw
        .post(&set(full.clone(), "mcp-param-count", "42.0"), &body(&args))
        .await;
    r.assert_result();
    // Header names are case-insensitive (hyper lowercases them; the value matters).
    // Base64-encoded values are decoded first.
    let mut unicode = args.clone();
    unicode["region"] = json!("Hello, 世界");
    let r = raw
        .post(
            &set(
                full.clone(),
                "mcp-param-region",
                "=?base64?SGVsbG8sIOS4lueVjA==?=",
            ),
            &body(&unicode),
        )
        .await;
    assert!(tool_text(&r.assert_result()).starts_with("\"Hello, 世界\""));
    // Absent and null arguments expect no header.
    let r = raw
        .post(
            &unset(unset(full.clone(), "mcp-param-region"), "mcp-param-dry-run"),
            &body(&json!({"region": null, "count": 42, "query": "q"})),
        )
        .await;
    r.assert_result();

    let bad = StatusCode::BAD_REQUEST;
    for (what, headers, args, fragments) in [
        (
            "Region missing",
            unset(full.clone(), "mcp-param-region"),
            args.clone(),
            &["Mcp-Param-Region"][..],
        ),
        (
            "Region differs",
            set(full.clone(), "mcp-param-region", "eu-west1"),
            args.clone(),
            &["Mcp-Param-Region", "'eu-west1'", "'us-west1'"][..],
        ),
        (
            "Count differs",
            set(full.clone(), "mcp-param-count", "43"),
            args.clone(),
            &["Mcp-Param-Count", "'43'"][..],
        ),
        (
            "Count is not a number",
            set(full.clone(), "mcp-param-count", "forty-two"),
            args.clone(),
            &["Mcp-Param-Count"][..],
        ),
        (
            "nested Dry-Run missing",
            unset(full.clone(), "mcp-param-dry-run"),
            args.clone(),
            &["Mcp-Param-Dry-Run"][..],
        ),
        (
            "booleans are lowercase",
            set(full.clone(), "mcp-param-dry-run", "True"),
            args.clone(),
            &["Mcp-Param-Dry-Run", "'True'"][..],
        ),
        (
            "Base64 of another value",
            // "eu-west1"
            set(full.clone(), "mcp-param-region", "=?base64?ZXUtd2VzdDE=?="),
            args.clone(),
            &["Mcp-Param-Region", "'eu-west1'"][..],
        ),
        (
            "malformed Base64",
            set(full.clone(), "mcp-param-region", "=?base64?@@@?="),
            args.clone(),
            &["Mcp-Param-Region", "invalid"][..],
        ),
        (
            "a header for an argument the body does not have",
            full.clone(),
            json!({"count": 42, "opts": {"dryRun": true}, "query": "q"}),
            &["Mcp-Param-Region"][..],
        ),
    ] {
        eprintln!("case: {what}");
        let r = raw.post(&headers, &body(&args)).await;
        r.assert_error(bad, -32020, fragments);
    }

    // A value with bytes outside visible ASCII is refused.
    let mut request = raw.build(Method::POST, None, &full, body(&args).to_string());
    request.headers_mut().insert(
        "mcp-param-region",
        HeaderValue::from_bytes(b"us-w\xe9st1").unwrap(),
    );
    let r = raw.send(request).await;
    r.assert_error(bad, -32020, &["Mcp-Param-Region", "invalid"]);
}

#[tokio::test]
async fn our_client_mirrors_param_headers_and_drops_invalid_tools() {
    let url = start_with_invalid_tool(param_server()).await;
    let raw = Raw::new(&url);
    let r = raw
        .post(
            &modern_headers("tools/list", None),
            &modern_req(1, "tools/list", json!({})),
        )
        .await;
    let listed: Vec<Value> = r.assert_result()["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].clone())
        .collect();
    assert_eq!(
        listed,
        [json!("route"), json!("bad")],
        "the server lists both"
    );
    let c = client(&url, modern_mode()).await;
    let tools = within("tools/list", c.list_tools()).await.unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        ["route"],
        "the tool with an invalid annotation is dropped"
    );
    for (region, count) in [("us-west1", 7), ("Hello, 世界", -3), (" padded ", 0)] {
        let r = within(
            "route",
            c.call_tool(
                "route",
                json!({"region": region, "count": count, "opts": {"dryRun": false}, "query": "q"}),
            ),
        )
        .await
        .unwrap_or_else(|e| panic!("route {region:?}: {e}"));
        assert_eq!(
            r.text_content(),
            format!("{}|{count}|false|\"q\"", json!(region))
        );
    }
    // Without the optional arguments, no headers are needed.
    let r = within("route", c.call_tool("route", json!({"query": "q"})))
        .await
        .unwrap();
    assert_eq!(r.text_content(), "null|null|null|\"q\"");
    c.close();
}

#[tokio::test]
async fn our_client_mirrors_param_headers_before_listing_tools() {
    // The spec: on a HeaderMismatch about Mcp-Param-* headers, the client should list the
    // tools and retry. A client that calls a tool it knows by name must still succeed.
    let running = start(param_server(), HttpConfig::default()).await;
    let c = client(&running.url, modern_mode()).await;
    let r = within(
        "route",
        c.call_tool("route", json!({"region": "us-west1", "query": "q"})),
    )
    .await
    .unwrap_or_else(|e| panic!("route before tools/list: {e}"));
    assert_eq!(r.text_content(), "\"us-west1\"|null|null|\"q\"");
    c.close();
}

#[tokio::test]
async fn our_client_relists_when_a_tools_headers_changed() {
    let server = param_server();
    let running = start(server.clone(), HttpConfig::default()).await;
    let c = client(&running.url, modern_mode()).await;
    within("tools/list", c.list_tools()).await.unwrap();
    // The tool now mirrors `region` as `Zone`: what the client learnt is stale.
    assert!(server.remove_tool("route"));
    let schema = json!({"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": "Zone"},
        "query": {"type": "string"}
    }});
    server
        .add_tool(
            ToolDef::builder("route")
                .input_schema(schema.as_object().unwrap().clone())
                .handler(|args: Value, _ctx: RequestContext| async move {
                    format!("zone {}", args["region"])
                }),
        )
        .unwrap();
    let r = within(
        "route",
        c.call_tool("route", json!({"region": "eu-1", "query": "q"})),
    )
    .await
    .unwrap_or_else(|e| panic!("route after its headers changed: {e}"));
    assert_eq!(r.text_content(), "zone \"eu-1\"");
    c.close();
}

// =====================================================================================
// 2. Content checks
// =====================================================================================

#[tokio::test]
async fn content_type_accept_size_encoding_and_method_are_checked() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().max_body_bytes(1024),
    )
    .await;
    let raw = Raw::new(&running.url);
    let call = modern_headers("tools/call", Some("echo"));
    let body = modern_req(1, "tools/call", echo("hi"));

    let r = raw.post(&unset(call.clone(), "content-type"), &body).await;
    let e = r.assert_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        -32600,
        &["application/json"],
    );
    assert!(e["id"].is_null());
    let r = raw
        .post(&set(call.clone(), "content-type", "text/plain"), &body)
        .await;
    r.assert_error(
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        -32600,
        &["Content-Type"],
    );
    // Parameters of the media type are fine.
    let r = raw
        .post(
            &set(
                call.clone(),
                "content-type",
                "application/json; charset=utf-8",
            ),
            &body,
        )
        .await;
    r.assert_result();

    let r = raw
        .post(&set(call.clone(), "accept", "text/html"), &body)
        .await;
    r.assert_error(
        StatusCode::NOT_ACCEPTABLE,
        -32600,
        &["application/json", "text/event-stream"],
    );

    let big = modern_req(1, "tools/call", echo(&"x".repeat(2000)));
    let r = raw.post(&call, &big).await;
    r.assert_error(StatusCode::PAYLOAD_TOO_LARGE, -32600, &["1024"]);

    let r = raw
        .post_bytes(&call, "{\"jsonrpc\": \"2.0\", \"id\": 1,")
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32700, &[]);
    let r = raw.post_bytes(&call, "{\"jsonrpc\": \"2.0\"}").await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &[]);
    let r = raw.post_bytes(&call, "[]").await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["empty batch"]);
    let r = raw
        .post_bytes(
            &call,
            &b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/\xff\xfe\"}"[..],
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32700, &["UTF-8"]);

    for m in [Method::PUT, Method::PATCH] {
        let r = raw.bare(m, &json_headers()).await;
        r.assert_error(
            StatusCode::METHOD_NOT_ALLOWED,
            -32600,
            &["Method Not Allowed"],
        );
        assert_eq!(r.header("allow"), Some("GET, POST, DELETE"));
    }

    // The standalone server answers its paths only.
    let r = raw
        .send(raw.build(Method::POST, Some("/other"), &call, body.to_string()))
        .await;
    r.assert_error(StatusCode::NOT_FOUND, -32600, &["no MCP endpoint"]);
    let r = raw
        .send(raw.build(Method::GET, Some("/sse"), &json_headers(), Bytes::new()))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    raw.assert_serves().await;
}

#[tokio::test]
async fn a_modern_only_server_refuses_get_and_delete_and_ignores_sessions() {
    let server = fixture::server(None).protocol_versions(&[ProtocolVersion::V2026_07_28]);
    let running = start(server, HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let get = set(json_headers(), "accept", "text/event-stream");
    for (m, h) in [
        (Method::GET, get),
        (Method::DELETE, set(json_headers(), "mcp-session-id", "abc")),
        (Method::PUT, json_headers()),
    ] {
        let r = raw.bare(m.clone(), &h).await;
        r.assert_error(StatusCode::METHOD_NOT_ALLOWED, -32600, &["POST"]);
        assert_eq!(r.header("allow"), Some("POST"), "{m}");
    }
    // An Mcp-Session-Id header is ignored, and none is minted or echoed.
    let r = raw
        .post(
            &set(
                set(
                    modern_headers("tools/call", Some("echo")),
                    "mcp-session-id",
                    "0123456789abcdef0123456789abcdef",
                ),
                "last-event-id",
                "1-1",
            ),
            &modern_req(1, "tools/call", echo("hi")),
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "hi");
    assert!(r.header("mcp-session-id").is_none());
    // `initialize` is refused with the versions served.
    let r = raw
        .post(
            &json_headers(),
            &req(
                0,
                "initialize",
                json!({"protocolVersion": LEGACY, "capabilities": {},
                       "clientInfo": {"name": "old", "version": "0"}}),
            ),
        )
        .await;
    assert!(r.header("mcp-session-id").is_none());
    let body = r.json();
    assert_eq!(body["error"]["code"], -32602, "{body}");
    assert_eq!(body["error"]["data"]["supported"], json!([MODERN]));
    // Neither a session nor `_meta`: told what to send.
    let r = raw
        .post(&json_headers(), &req(1, "tools/call", echo("hi")))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["MCP-Protocol-Version"]);
}

// =====================================================================================
// 3. Security
// =====================================================================================

#[tokio::test]
async fn hostile_origin_and_host_are_forbidden() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().legacy_sse("/sse", "/messages"),
    )
    .await;
    let raw = Raw::new(&running.url);
    let call = modern_headers("tools/call", Some("echo"));
    let body = modern_req(1, "tools/call", echo("hi"));
    for (header, value, fragment) in [
        (
            "origin",
            "http://evil.example",
            "Origin `http://evil.example`",
        ),
        ("origin", "null", "Origin `null`"),
        ("origin", "http://localhost.evil.example:8080", "Origin"),
        ("host", "evil.example", "Host `evil.example`"),
        ("host", "localhost.evil.example:3000", "Host"),
    ] {
        let r = raw.post(&set(call.clone(), header, value), &body).await;
        let e = r.assert_error(StatusCode::FORBIDDEN, -32600, &["Forbidden", fragment]);
        assert!(e["id"].is_null(), "{e}");
        // Every method and path is guarded, not only POST.
        for (m, path) in [
            (Method::GET, None),
            (Method::DELETE, None),
            (Method::GET, Some("/sse")),
        ] {
            let h = set(
                set(json_headers(), "accept", "text/event-stream"),
                header,
                value,
            );
            let r = raw.send(raw.build(m.clone(), path, &h, Bytes::new())).await;
            assert_eq!(
                r.status,
                StatusCode::FORBIDDEN,
                "{m} {path:?} {header}: {value}"
            );
        }
    }
    // Loopback origins pass.
    let origin = format!("http://localhost:{}", running.addr.port());
    let r = raw.post(&set(call.clone(), "origin", &origin), &body).await;
    assert_eq!(tool_text(&r.assert_result()), "hi");

    // With an allow-list.
    let policy = OriginPolicy::localhost()
        .allow_host("mcp.example.com")
        .allow_origin("https://app.example.com");
    let running = start(
        fixture::server(None),
        HttpConfig::default().origin_policy(policy),
    )
    .await;
    let raw = Raw::new(&running.url);
    let public = set(call.clone(), "host", "mcp.example.com");
    let r = raw
        .post(
            &set(public.clone(), "origin", "https://app.example.com"),
            &body,
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "hi");
    let r = raw.post(&public, &body).await;
    r.assert_result();
    let r = raw
        .post(
            &set(public.clone(), "origin", "https://other.example.com"),
            &body,
        )
        .await;
    r.assert_error(
        StatusCode::FORBIDDEN,
        -32600,
        &["https://other.example.com"],
    );
    let r = raw
        .post(&set(call.clone(), "host", "other.example.com"), &body)
        .await;
    r.assert_error(StatusCode::FORBIDDEN, -32600, &["other.example.com"]);
}

// =====================================================================================
// 4. Legacy sessions (2025-03-26 .. 2025-11-25)
// =====================================================================================

#[tokio::test]
async fn legacy_sessions_are_assigned_checked_and_ended() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let a = raw.session(LEGACY, json!({})).await;
    let b = raw.session(LEGACY, json!({})).await;
    for sid in [&a, &b] {
        assert_eq!(sid.len(), 32, "{sid}");
        assert!(
            sid.bytes().all(|c| c.is_ascii_hexdigit()),
            "{sid} is not hex"
        );
    }
    assert_ne!(a, b);
    assert_eq!(running.service.session_count(), 2);

    let r = raw
        .post(
            &session_headers(&a, LEGACY),
            &req(1, "tools/call", echo("in a")),
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "in a");

    let unknown = "0123456789abcdef0123456789abcdef";
    let r = raw
        .post(
            &session_headers(unknown, LEGACY),
            &req(1, "tools/call", echo("x")),
        )
        .await;
    r.assert_error(StatusCode::NOT_FOUND, -32600, &["session"]);
    // Neither session nor `_meta`.
    let r = raw
        .post(
            &set(json_headers(), "mcp-protocol-version", LEGACY),
            &req(1, "tools/call", echo("x")),
        )
        .await;
    r.assert_error(
        StatusCode::BAD_REQUEST,
        -32600,
        &["Mcp-Session-Id", "initialize"],
    );
    // A version header that does not fit the session.
    let r = raw
        .post(
            &session_headers(&a, "2099-01-01"),
            &req(1, "tools/call", echo("x")),
        )
        .await;
    r.assert_error(
        StatusCode::BAD_REQUEST,
        -32600,
        &["MCP-Protocol-Version", "2099-01-01"],
    );

    let r = raw.bare(Method::DELETE, &session_headers(&a, LEGACY)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = raw
        .post(
            &session_headers(&a, LEGACY),
            &req(2, "tools/call", echo("x")),
        )
        .await;
    r.assert_error(StatusCode::NOT_FOUND, -32600, &["session"]);
    let r = raw.bare(Method::DELETE, &session_headers(&a, LEGACY)).await;
    r.assert_error(StatusCode::NOT_FOUND, -32600, &["session"]);
    let r = raw.bare(Method::DELETE, &json_headers()).await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["Mcp-Session-Id"]);
    let r = raw
        .bare(
            Method::GET,
            &set(json_headers(), "accept", "text/event-stream"),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["Mcp-Session-Id"]);
    assert_eq!(running.service.session_count(), 1);

    // b lives on.
    let r = raw
        .post(
            &session_headers(&b, LEGACY),
            &req(3, "tools/call", echo("in b")),
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "in b");
}

#[tokio::test]
async fn idle_sessions_expire_and_our_client_starts_a_new_one() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().session_idle_timeout(Duration::from_millis(500)),
    )
    .await;
    let raw = Raw::new(&running.url);
    let sid = raw.session(LEGACY, json!({})).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &req(1, "tools/call", echo("late")),
        )
        .await;
    r.assert_error(StatusCode::NOT_FOUND, -32600, &["expired"]);

    let c = client(&running.url, legacy_mode()).await;
    client_echo(&c, "before").await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    client_echo(&c, "after expiry").await;
    client_echo(&c, "and again").await;
    c.close();
}

#[tokio::test]
async fn the_number_of_sessions_is_bounded() {
    let running = start(fixture::server(None), HttpConfig::default().max_sessions(2)).await;
    let raw = Raw::new(&running.url);
    let a = raw.session(LEGACY, json!({})).await;
    let _b = raw.session(LEGACY, json!({})).await;
    let init = req(
        0,
        "initialize",
        json!({"protocolVersion": LEGACY, "capabilities": {},
               "clientInfo": {"name": "third", "version": "0"}}),
    );
    let r = raw.post(&json_headers(), &init).await;
    r.assert_error(
        StatusCode::SERVICE_UNAVAILABLE,
        -32603,
        &["too many sessions"],
    );
    assert!(r.header("mcp-session-id").is_none());
    assert_eq!(running.service.session_count(), 2);
    // Ending one makes room.
    let r = raw.bare(Method::DELETE, &session_headers(&a, LEGACY)).await;
    assert_eq!(r.status, StatusCode::OK);
    raw.session(LEGACY, json!({})).await;
}

fn get_headers(sid: &str) -> Headers {
    set(session_headers(sid, LEGACY), "accept", "text/event-stream")
}

/// On a server with `max_streams(1)`: waits until the one stream slot is free, i.e. the
/// server noticed that the last stream's client went away (a short modern SSE answer probes).
async fn wait_for_free_stream(raw: &Raw) {
    let probe = modern_req(
        90,
        "tools/call",
        json!({"name": "progress", "arguments": {"steps": 1}, "_meta": {"progressToken": "probe"}}),
    );
    within("a free stream slot", async {
        loop {
            let resp = raw
                .post_stream(&modern_headers("tools/call", Some("progress")), &probe)
                .await;
            if resp.status() == StatusCode::OK {
                let mut sse = SseReader::of(resp);
                while sse.next_raw().await.is_some() {}
                return;
            }
            assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

/// Opens a GET stream, retrying while the (single) stream slot is still taken.
async fn open_get(raw: &Raw, headers: &Headers) -> SseReader {
    within("a GET stream", async {
        loop {
            let resp = raw
                .open(raw.build(Method::GET, None, headers, Bytes::new()))
                .await;
            if resp.status() != StatusCode::SERVICE_UNAVAILABLE {
                return SseReader::of(resp);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
}

#[tokio::test]
async fn the_get_stream_carries_server_messages_and_resumes() {
    let server = fixture::server(None);
    // One stream slot: when it is free again, the server noticed a departed client.
    let running = start(
        server.clone(),
        HttpConfig::default()
            .retry(Duration::from_millis(250))
            .max_streams(1),
    )
    .await;
    let raw = Raw::new(&running.url);
    let sid = raw.session(LEGACY, json!({})).await;

    let r = raw
        .bare(Method::GET, &unset(get_headers(&sid), "accept"))
        .await;
    r.assert_error(StatusCode::NOT_ACCEPTABLE, -32600, &["text/event-stream"]);
    let r = raw
        .bare(
            Method::GET,
            &get_headers("0123456789abcdef0123456789abcdef"),
        )
        .await;
    r.assert_error(StatusCode::NOT_FOUND, -32600, &["session"]);

    let mut sse = open_get(&raw, &get_headers(&sid)).await;
    let prime = sse.next("the priming event").await;
    assert!(prime.id.is_some(), "{prime:?}");
    assert_eq!(prime.retry, Some(250));
    assert!(prime.data.is_empty());

    server.add_tool(dyn_tool("t1")).unwrap();
    let (e1, m) = sse.message("tools/list_changed").await;
    assert_eq!(m["method"], "notifications/tools/list_changed");
    let id1 = e1.id.clone().expect("events of resumable streams have ids");
    assert_ne!(Some(&id1), prime.id.as_ref());

    // Resource updates reach subscribers on the same stream.
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &req(
                1,
                "resources/subscribe",
                json!({"uri": "fixture://watched"}),
            ),
        )
        .await;
    r.assert_result();
    server.notify_resource_updated("fixture://watched");
    let (e2, m) = sse.message("resources/updated").await;
    assert_eq!(m["method"], "notifications/resources/updated");
    assert_eq!(m["params"]["uri"], "fixture://watched");
    let last_seen = e2.id.clone().expect("an event id");

    // The client goes away; the server notices, then says more.
    drop(sse);
    wait_for_free_stream(&raw).await;
    server.add_tool(dyn_tool("t2")).unwrap();
    server.remove_tool("t1");
    server.notify_resource_updated("fixture://watched");

    // Resuming after the last event seen replays everything missed, in order.
    let resume = set(get_headers(&sid), "last-event-id", &last_seen);
    let mut sse = open_get(&raw, &resume).await;
    let mut got = Vec::new();
    for _ in 0..3 {
        let (e, m) = sse.message("a replayed event").await;
        assert!(e.id.is_some());
        got.push(m["method"].as_str().unwrap_or_default().to_owned());
    }
    assert_eq!(
        got,
        [
            "notifications/tools/list_changed",
            "notifications/tools/list_changed",
            "notifications/resources/updated",
        ]
    );
    // ...and the stream goes on live.
    server.add_tool(dyn_tool("t3")).unwrap();
    let (_, m) = sse.message("live after resuming").await;
    assert_eq!(m["method"], "notifications/tools/list_changed");
}

#[tokio::test]
async fn the_get_stream_keeps_messages_of_non_resumable_sessions_for_the_next_get() {
    // 2025-06-18 streams have no priming event and no ids: what comes while nobody listens
    // waits for the next GET.
    let server = fixture::server(None);
    let running = start(server.clone(), HttpConfig::default().max_streams(1)).await;
    let raw = Raw::new(&running.url);
    let version = "2025-06-18";
    let sid = raw.session(version, json!({})).await;
    let get = set(
        session_headers(&sid, version),
        "accept",
        "text/event-stream",
    );
    let mut sse = open_get(&raw, &get).await;
    server.add_tool(dyn_tool("t1")).unwrap();
    let (e, m) = sse.message("list_changed").await;
    assert!(e.id.is_none(), "2025-06-18 streams are not primed: {e:?}");
    assert_eq!(m["method"], "notifications/tools/list_changed");
    drop(sse);
    wait_for_free_stream(&raw).await;
    server.add_tool(dyn_tool("t2")).unwrap();
    server.add_tool(dyn_tool("t3")).unwrap();
    let mut sse = open_get(&raw, &get).await;
    for _ in 0..2 {
        let (_, m) = sse.message("a message kept while nobody listened").await;
        assert_eq!(m["method"], "notifications/tools/list_changed");
    }
}

#[tokio::test]
async fn a_dropped_response_stream_resumes_with_last_event_id() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(tokio::sync::Notify::new());
    let server = fixture::server(None).tool(held_tool(log.clone(), release.clone()));
    let running = start(
        server,
        HttpConfig::default().retry(Duration::from_millis(100)),
    )
    .await;
    let raw = Raw::new(&running.url);
    let sid = raw.session(LEGACY, json!({})).await;
    let call = req(
        5,
        "tools/call",
        json!({"name": "held", "arguments": {}, "_meta": {"progressToken": 1}}),
    );
    let mut sse = SseReader::of(raw.post_stream(&session_headers(&sid, LEGACY), &call).await);
    let prime = sse.next("the priming event").await;
    assert!(prime.id.is_some() && prime.data.is_empty(), "{prime:?}");
    assert_eq!(prime.retry, Some(100));
    let (progress, m) = sse.message("progress").await;
    assert_eq!(m["method"], "notifications/progress");
    drop(sse);
    // Disconnecting is no cancellation in the legacy era: the handler goes on.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!has(&log, "token"), "{:?}", log.lock().unwrap());
    release.notify_one();
    eventually("the handler finished", || has(&log, "finished")).await;

    let resume = set(
        get_headers(&sid),
        "last-event-id",
        progress.id.as_deref().unwrap(),
    );
    let mut sse = SseReader::of(
        raw.open(raw.build(Method::GET, None, &resume, Bytes::new()))
            .await,
    );
    let (_, m) = sse.message("the result, replayed").await;
    assert_eq!(m["id"], 5);
    assert_eq!(tool_text(&m["result"]), "released");
    // The response stream is complete: it ends after the replay.
    sse.assert_ends().await;

    // From the priming event, everything is replayed.
    let resume = set(
        get_headers(&sid),
        "last-event-id",
        prime.id.as_deref().unwrap(),
    );
    let mut sse = SseReader::of(
        raw.open(raw.build(Method::GET, None, &resume, Bytes::new()))
            .await,
    );
    let (_, m) = sse.message("progress, replayed").await;
    assert_eq!(m["method"], "notifications/progress");
    let (_, m) = sse.message("the result, replayed").await;
    assert_eq!(m["id"], 5);
    sse.assert_ends().await;
}

#[tokio::test]
async fn elicitation_travels_on_the_request_stream() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let sid = raw.session(LEGACY, json!({"elicitation": {}})).await;
    let mut sse = SseReader::of(
        raw.post_stream(
            &session_headers(&sid, LEGACY),
            &req(
                3,
                "tools/call",
                json!({"name": "ask_name", "arguments": {}}),
            ),
        )
        .await,
    );
    let (_, ask) = sse.message("elicitation/create").await;
    assert_eq!(ask["method"], "elicitation/create", "{ask}");
    assert_eq!(ask["params"]["message"], "What is your name?");
    let ask_id = ask["id"].clone();
    assert!(!ask_id.is_null());

    // A response without the session is refused; with it, accepted.
    let answer = json!({"jsonrpc": "2.0", "id": ask_id,
                        "result": {"action": "accept", "content": {"name": "Ada"}}});
    let r = raw
        .post(
            &set(json_headers(), "mcp-protocol-version", LEGACY),
            &answer,
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["Mcp-Session-Id"]);
    let r = raw.post(&session_headers(&sid, LEGACY), &answer).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());

    let (_, m) = sse.message("the result").await;
    assert_eq!(m["id"], 3);
    assert_eq!(tool_text(&m["result"]), "hello Ada");
    sse.assert_ends().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancelled_notification_stops_a_running_request() {
    let server = fixture::server(None);
    let running = start(server.clone(), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let sid = raw.session(LEGACY, json!({})).await;
    let pending = {
        let raw = raw.clone();
        let sid = sid.clone();
        tokio::spawn(async move {
            raw.post(
                &session_headers(&sid, LEGACY),
                &req(
                    9,
                    "tools/call",
                    json!({"name": "slow", "arguments": {"ms": 20000}}),
                ),
            )
            .await
        })
    };
    eventually("slow started", || fixture_has(&server, "slow:started")).await;
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                    "params": {"requestId": 9, "reason": "test"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    eventually("the token fired", || fixture_has(&server, "slow:token")).await;
    eventually("the handler was dropped", || {
        fixture_has(&server, "slow:dropped")
    })
    .await;
    assert!(!fixture_has(&server, "slow:finished"));
    // The POST ends (it cannot carry a result): as a cancellation, not a server failure.
    let r = within("the cancelled POST", pending).await.unwrap();
    let body = r.assert_error(StatusCode::OK, -32603, &["cancelled"]);
    assert_eq!(body["id"], 9);
    // The session is fine.
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &req(10, "tools/call", echo("after")),
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "after");
}

#[tokio::test]
async fn batches_are_answered_in_2025_03_26_sessions_only() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let old = "2025-03-26";
    let sid = raw.session(old, json!({})).await;
    let r = raw
        .post(
            &session_headers(&sid, old),
            &json!([
                req(1, "ping", json!({})),
                {"jsonrpc": "2.0", "method": "notifications/roots/list_changed"},
                req(2, "tools/call", echo("in a batch")),
            ]),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let answers = r.json();
    let answers = answers.as_array().expect("a batch answers an array");
    assert_eq!(answers.len(), 2, "{answers:?}");
    let by_id = |id: i64| {
        answers
            .iter()
            .find(|a| a["id"] == id)
            .unwrap_or_else(|| panic!("no answer {id}: {answers:?}"))
    };
    assert_eq!(by_id(1)["result"], json!({}));
    assert_eq!(tool_text(&by_id(2)["result"]), "in a batch");
    // Notifications alone: accepted.
    let r = raw
        .post(
            &session_headers(&sid, old),
            &json!([{"jsonrpc": "2.0", "method": "notifications/roots/list_changed"}]),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);

    // 2025-06-18 removed batching.
    let sid = raw.session(LEGACY, json!({})).await;
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &json!([req(1, "ping", json!({}))]),
        )
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["batch", "2025-03-26"]);
    // And without a session.
    let r = raw
        .post(&json_headers(), &json!([req(1, "ping", json!({}))]))
        .await;
    r.assert_error(StatusCode::BAD_REQUEST, -32600, &["batch"]);
}

#[tokio::test]
async fn stateless_legacy_mode_serves_without_sessions() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().stateless_legacy(),
    )
    .await;
    let raw = Raw::new(&running.url);
    let r = raw
        .post(
            &json_headers(),
            &req(
                0,
                "initialize",
                json!({"protocolVersion": LEGACY, "capabilities": {},
                       "clientInfo": {"name": "raw", "version": "0"}}),
            ),
        )
        .await;
    assert_eq!(r.assert_result()["protocolVersion"], LEGACY);
    assert!(r.header("mcp-session-id").is_none());
    assert_eq!(running.service.session_count(), 0);
    for headers in [
        set(json_headers(), "mcp-protocol-version", LEGACY),
        // Without the header: taken as 2025-03-26.
        json_headers(),
    ] {
        let r = raw
            .post(&headers, &req(1, "tools/call", echo("stateless")))
            .await;
        assert_eq!(tool_text(&r.assert_result()), "stateless");
    }
    for m in [Method::GET, Method::DELETE] {
        let r = raw
            .bare(m, &set(json_headers(), "accept", "text/event-stream"))
            .await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(r.header("allow"), Some("POST"));
    }
    let c = client(&running.url, legacy_mode()).await;
    client_echo(&c, "through our client").await;
    c.close();
    let c = client(&running.url, ConnectMode::Auto).await;
    assert_eq!(c.protocol_version(), ProtocolVersion::V2026_07_28);
    client_echo(&c, "modern beside it").await;
    c.close();
}

// =====================================================================================
// 5. 2024-11-05 HTTP+SSE
// =====================================================================================

#[tokio::test]
async fn http_sse_names_its_endpoint_and_answers_on_the_stream() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().legacy_sse("/sse", "/messages"),
    )
    .await;
    let raw = Raw::new(&running.url);
    let accept = hdrs(&[("accept", "text/event-stream")]);
    let mut sse = SseReader::of(
        raw.open(raw.build(Method::GET, Some("/sse"), &accept, Bytes::new()))
            .await,
    );
    let endpoint = sse.next("the endpoint event").await;
    assert_eq!(endpoint.event.as_deref(), Some("endpoint"));
    assert!(
        endpoint.data.starts_with("/messages?sessionId="),
        "{endpoint:?}"
    );
    assert_eq!(running.service.session_count(), 1);
    let post = |body: Value| {
        raw.send(raw.build(
            Method::POST,
            Some(&endpoint.data),
            &json_headers(),
            body.to_string(),
        ))
    };
    let r = post(req(
        0,
        "initialize",
        json!({"protocolVersion": "2024-11-05", "capabilities": {},
               "clientInfo": {"name": "raw", "version": "0"}}),
    ))
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text());
    assert!(r.body.is_empty());
    let (_, m) = sse.message("the initialize result").await;
    assert_eq!(m["id"], 0);
    assert_eq!(m["result"]["protocolVersion"], "2024-11-05");
    let r = post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = post(req(1, "tools/call", echo("over http+sse"))).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let (_, m) = sse.message("the tool result").await;
    assert_eq!(m["id"], 1);
    assert_eq!(tool_text(&m["result"]), "over http+sse");
    // Malformed input is answered on the stream too.
    let r = raw
        .send(raw.build(Method::POST, Some(&endpoint.data), &json_headers(), "{oops"))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let (_, m) = sse.message("the parse error").await;
    assert_eq!(m["error"]["code"], -32700);

    let r = raw
        .send(raw.build(
            Method::POST,
            Some("/messages?sessionId=nope"),
            &json_headers(),
            req(2, "ping", json!({})).to_string(),
        ))
        .await;
    r.assert_error(StatusCode::NOT_FOUND, -32600, &["session"]);

    // Closing the stream ends the session.
    drop(sse);
    eventually("the session ended", || running.service.session_count() == 0).await;
    let r = post(req(3, "ping", json!({}))).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn http_sse_requests_can_be_cancelled_and_time_out() {
    let server = fixture::server(None);
    let running = start(
        server.clone(),
        HttpConfig::default()
            .legacy_sse("/sse", "/messages")
            .request_timeout(Duration::from_secs(1)),
    )
    .await;
    let raw = Raw::new(&running.url);
    let accept = hdrs(&[("accept", "text/event-stream")]);
    let mut sse = SseReader::of(
        raw.open(raw.build(Method::GET, Some("/sse"), &accept, Bytes::new()))
            .await,
    );
    let endpoint = sse.next("the endpoint event").await.data;
    let post = |body: Value| {
        raw.send(raw.build(
            Method::POST,
            Some(&endpoint),
            &json_headers(),
            body.to_string(),
        ))
    };
    post(req(
        0,
        "initialize",
        json!({"protocolVersion": "2024-11-05", "capabilities": {},
               "clientInfo": {"name": "raw", "version": "0"}}),
    ))
    .await;
    sse.message("the initialize result").await;
    post(json!({"jsonrpc": "2.0", "method": "notifications/initialized"})).await;

    // Cancelled by notification: no answer at all, so not even the timeout's.
    let r = post(req(
        1,
        "tools/call",
        json!({"name": "slow", "arguments": {"ms": 20000}}),
    ))
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    eventually("slow started", || fixture_has(&server, "slow:started")).await;
    let r = post(
        json!({"jsonrpc": "2.0", "method": "notifications/cancelled",
                        "params": {"requestId": 1}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    eventually("slow's token fired", || fixture_has(&server, "slow:token")).await;
    eventually("slow was dropped", || fixture_has(&server, "slow:dropped")).await;

    // Timed out: answered with an error on the stream. Had request 1 gone on, its own
    // timeout error would have come first.
    let r = post(req(
        2,
        "tools/call",
        json!({"name": "slow", "arguments": {"ms": 20000}}),
    ))
    .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let (_, m) = sse.message("the timeout error").await;
    assert_eq!(m["id"], 2, "{m}");
    assert_eq!(m["error"]["code"], -32603);
    assert!(
        m["error"]["message"]
            .as_str()
            .unwrap()
            .contains("did not complete within"),
        "{m}"
    );
}

#[tokio::test]
async fn our_client_falls_back_to_http_sse() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().legacy_sse("/sse", "/messages"),
    )
    .await;
    let sse_url = running.url.replace("/mcp", "/sse");
    let c = client(&sse_url, ConnectMode::Legacy(ProtocolVersion::V2024_11_05)).await;
    assert_eq!(c.protocol_version(), ProtocolVersion::V2024_11_05);
    client_echo(&c, "fell back").await;
    let tools = within("tools/list", c.list_tools()).await.unwrap();
    assert!(tools.iter().any(|t| t.name == "echo"));
    assert_eq!(running.service.session_count(), 1);
    c.close();
    drop(c);
    eventually("the session ended with the stream", || {
        running.service.session_count() == 0
    })
    .await;
}

// =====================================================================================
// 6. Robustness
// =====================================================================================

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_connections_and_garbage_leave_the_server_serving() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);
    let addr = running.addr;
    let body = modern_req(1, "tools/call", echo("tcp")).to_string();
    let modern_extra =
        "MCP-Protocol-Version: 2026-07-28\r\nMcp-Method: tools/call\r\nMcp-Name: echo\r\n";

    // A well-formed request over raw TCP, with header names in odd case.
    let odd = format!(
        "{}{body}",
        http_post_head(
            addr,
            "mcp-PROTOCOL-version: 2026-07-28\r\nMCP-METHOD: tools/call\r\nmCp-NaMe: echo\r\nConnection: close\r\n",
            body.len()
        )
    );
    let answer = tcp_exchange(addr, odd.as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"text\":\"tcp\""), "{answer}");

    // The body stops half way and the client hangs up.
    let partial = format!(
        "{}{}",
        http_post_head(addr, modern_extra, body.len() + 500),
        body
    );
    tcp_hang_up(addr, partial.as_bytes()).await;
    raw.assert_serves().await;

    // The body stops half way, the connection stays open but the client says nothing more:
    // meanwhile others are served.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    idle.write_all(partial.as_bytes()).await.unwrap();
    raw.assert_serves().await;
    drop(idle);

    // Half-written headers, then gone.
    tcp_hang_up(addr, b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Ty").await;
    raw.assert_serves().await;

    // Garbage.
    let answer = tcp_exchange(addr, b"\x00\x01\x02\xff\xfe garbage \r\n\r\n").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 400"),
        "{answer}"
    );
    let answer = tcp_exchange(addr, b"GET / HTTP/9.9\r\n\r\n").await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 "),
        "{answer}"
    );
    raw.assert_serves().await;

    // An absurd Content-Length.
    let answer = tcp_exchange(
        addr,
        http_post_head(addr, modern_extra, usize::MAX / 2).as_bytes(),
    )
    .await;
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 4"),
        "{answer}"
    );
    raw.assert_serves().await;

    // A stream dropped in the middle (legacy GET stream and modern response stream).
    let sid = raw.session(LEGACY, json!({})).await;
    let mut sse = SseReader::of(
        raw.open(raw.build(Method::GET, None, &get_headers(&sid), Bytes::new()))
            .await,
    );
    sse.next("the priming event").await;
    drop(sse);
    let mut sse = SseReader::of(
        raw.post_stream(
            &modern_headers("tools/call", Some("progress")),
            &modern_req(
                2,
                "tools/call",
                json!({"name": "progress", "arguments": {"steps": 50},
                       "_meta": {"progressToken": "t"}}),
            ),
        )
        .await,
    );
    sse.message("progress").await;
    drop(sse);
    raw.assert_serves().await;
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &req(3, "tools/call", echo("legacy too")),
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "legacy too");
}

#[tokio::test]
async fn chunked_bodies_are_read_and_bounded() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().max_body_bytes(1024),
    )
    .await;
    let addr = running.addr;
    let head = format!(
        "POST /mcp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n\
         Mcp-Method: tools/call\r\nMcp-Name: echo\r\nTransfer-Encoding: chunked\r\n\
         Connection: close\r\n\r\n"
    );
    let chunked = |body: &str| {
        let mut out = head.clone();
        for piece in body.as_bytes().chunks(100) {
            out.push_str(&format!("{:x}\r\n", piece.len()));
            out.push_str(std::str::from_utf8(piece).unwrap());
            out.push_str("\r\n");
        }
        out.push_str("0\r\n\r\n");
        out
    };
    let body = modern_req(1, "tools/call", echo("in chunks")).to_string();
    let answer = tcp_exchange(addr, chunked(&body).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"text\":\"in chunks\""), "{answer}");
    // Without a Content-Length, the limit still holds.
    let body = modern_req(1, "tools/call", echo(&"y".repeat(3000))).to_string();
    let answer = tcp_exchange(addr, chunked(&body).as_bytes()).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("limited to 1024 bytes"), "{answer}");
}

#[tokio::test]
async fn http2_with_prior_knowledge_is_served() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let mut raw = Raw::new(&running.url);
    raw.client = HyperClient::builder(TokioExecutor::new())
        .http2_only(true)
        .build(HttpConnector::new());
    let r = raw
        .post(
            &modern_headers("tools/call", Some("echo")),
            &modern_req(1, "tools/call", echo("over h2")),
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "over h2");
    let resp = raw
        .post_stream(
            &modern_headers("tools/call", Some("progress")),
            &modern_req(
                2,
                "tools/call",
                json!({"name": "progress", "arguments": {"steps": 2},
                       "_meta": {"progressToken": "h2"}}),
            ),
        )
        .await;
    assert_eq!(resp.version(), http::Version::HTTP_2);
    let mut sse = SseReader::of(resp);
    sse.message("progress 1").await;
    sse.message("progress 2").await;
    let (_, m) = sse.message("the result").await;
    assert_eq!(tool_text(&m["result"]), "2 steps");
    sse.assert_ends().await;
    let sid = raw.session(LEGACY, json!({})).await;
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &req(3, "tools/call", echo("h2 session")),
        )
        .await;
    assert_eq!(tool_text(&r.assert_result()), "h2 session");
}

#[tokio::test]
async fn idle_streams_carry_keep_alive_comments() {
    let running = start(
        fixture::server(None),
        HttpConfig::default().keep_alive(Some(Duration::from_millis(50))),
    )
    .await;
    let raw = Raw::new(&running.url);
    let sid = raw.session(LEGACY, json!({})).await;
    let resp = raw
        .open(raw.build(Method::GET, None, &get_headers(&sid), Bytes::new()))
        .await;
    let mut body = resp.into_body();
    let mut seen = String::new();
    within("a keep-alive comment", async {
        while !seen.lines().any(|l| l.starts_with(':')) {
            match body.frame().await {
                Some(Ok(f)) => {
                    if let Ok(d) = f.into_data() {
                        seen.push_str(&String::from_utf8_lossy(&d));
                    }
                }
                other => panic!("the stream ended: {other:?} after {seen:?}"),
            }
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_stream_cancels_a_modern_request() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(tokio::sync::Notify::new());
    let server = fixture::server(None).tool(held_tool(log.clone(), release));
    let running = start(server.clone(), HttpConfig::default()).await;
    let raw = Raw::new(&running.url);

    // Answer pending as JSON (the handler said nothing yet): hanging up cancels.
    let pending = {
        let raw = raw.clone();
        tokio::spawn(async move {
            raw.post(
                &modern_headers("tools/call", Some("slow")),
                &modern_req(
                    1,
                    "tools/call",
                    json!({"name": "slow", "arguments": {"ms": 20000}}),
                ),
            )
            .await
        })
    };
    eventually("slow started", || fixture_has(&server, "slow:started")).await;
    pending.abort();
    eventually("slow's token fired", || fixture_has(&server, "slow:token")).await;
    eventually("slow was dropped", || fixture_has(&server, "slow:dropped")).await;
    assert!(!fixture_has(&server, "slow:finished"));

    // An SSE response: closing the stream cancels.
    let mut sse = SseReader::of(
        raw.post_stream(
            &modern_headers("tools/call", Some("held")),
            &modern_req(
                2,
                "tools/call",
                json!({"name": "held", "arguments": {}, "_meta": {"progressToken": 2}}),
            ),
        )
        .await,
    );
    let (_, m) = sse.message("progress").await;
    assert_eq!(m["method"], "notifications/progress");
    drop(sse);
    eventually("held's token fired", || has(&log, "token")).await;
    assert!(!has(&log, "finished"));
    raw.assert_serves().await;

    // The fixture itself can tell, through our client.
    let c = client(&running.url, modern_mode()).await;
    let r = within("events", c.call_tool("events", json!({})))
        .await
        .unwrap();
    assert!(
        r.text_content().contains("slow:token"),
        "{}",
        r.text_content()
    );
    c.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_clients_at_once_on_both_eras() {
    let running = start(fixture::server(None), HttpConfig::default()).await;
    let mut tasks = Vec::new();
    for i in 0..20 {
        for mode in [modern_mode(), legacy_mode()] {
            let url = running.url.clone();
            tasks.push(tokio::spawn(async move {
                let c = client(&url, mode).await;
                for j in 0..3 {
                    client_echo(&c, &format!("client {i} call {j} ({mode:?})")).await;
                }
                let r = within("add", c.call_tool("add", json!({"a": i, "b": 1})))
                    .await
                    .unwrap();
                assert_eq!(r.structured_content, Some(json!({"sum": i + 1})));
                c.close();
            }));
        }
    }
    for t in tasks {
        within("a client", t).await.expect("client task");
    }
    raw_serves(&running.url).await;
}

async fn raw_serves(url: &str) {
    Raw::new(url).assert_serves().await;
}

#[tokio::test]
async fn the_number_of_streams_is_bounded() {
    let log = Arc::new(Mutex::new(Vec::new()));
    let release = Arc::new(tokio::sync::Notify::new());
    let server = fixture::server(None).tool(held_tool(log.clone(), release.clone()));
    let running = start(server, HttpConfig::default().max_streams(1)).await;
    let raw = Raw::new(&running.url);
    let sid = raw.session(LEGACY, json!({})).await;
    let mut first = SseReader::of(
        raw.open(raw.build(Method::GET, None, &get_headers(&sid), Bytes::new()))
            .await,
    );
    first.next("the priming event").await;

    let r = raw.bare(Method::GET, &get_headers(&sid)).await;
    r.assert_error(
        StatusCode::SERVICE_UNAVAILABLE,
        -32603,
        &["too many open streams"],
    );
    let held = modern_req(
        4,
        "tools/call",
        json!({"name": "held", "arguments": {}, "_meta": {"progressToken": 4}}),
    );
    let r = raw
        .post(&modern_headers("tools/call", Some("held")), &held)
        .await;
    let e = r.assert_error(
        StatusCode::SERVICE_UNAVAILABLE,
        -32603,
        &["too many open streams"],
    );
    assert_eq!(e["id"], 4);
    // The refused request was cancelled, not left running.
    eventually("the refused handler was cancelled", || has(&log, "token")).await;
    // JSON answers need no stream.
    raw.assert_serves().await;

    // Closing the stream frees its slot.
    drop(first);
    within("a free stream slot", async {
        loop {
            let resp = raw
                .post_stream(&modern_headers("tools/call", Some("held")), &held)
                .await;
            if resp.status() == StatusCode::OK {
                let mut sse = SseReader::of(resp);
                sse.message("progress").await;
                release.notify_one();
                let (_, m) = sse.message("the result").await;
                assert_eq!(tool_text(&m["result"]), "released");
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

#[tokio::test]
async fn a_request_timeout_answers_an_error_and_cancels_the_handler() {
    let server = fixture::server(None);
    let running = start(
        server.clone(),
        HttpConfig::default().request_timeout(Duration::from_millis(500)),
    )
    .await;
    let raw = Raw::new(&running.url);
    let r = raw
        .post(
            &modern_headers("tools/call", Some("slow")),
            &modern_req(
                1,
                "tools/call",
                json!({"name": "slow", "arguments": {"ms": 20000}}),
            ),
        )
        .await;
    let e = r.assert_error(StatusCode::OK, -32603, &["did not complete within"]);
    assert_eq!(e["id"], 1);
    eventually("slow was dropped", || fixture_has(&server, "slow:dropped")).await;
    eventually("slow's token fired", || fixture_has(&server, "slow:token")).await;

    // The same in a legacy session.
    let sid = raw.session(LEGACY, json!({})).await;
    let r = raw
        .post(
            &session_headers(&sid, LEGACY),
            &req(
                2,
                "tools/call",
                json!({"name": "slow", "arguments": {"ms": 20000}}),
            ),
        )
        .await;
    r.assert_error(StatusCode::OK, -32603, &["did not complete within"]);
    // Quick requests are unaffected.
    raw.assert_serves().await;
}

// =====================================================================================
// 7. Mounted in axum
// =====================================================================================

#[tokio::test]
async fn mounted_in_axum_beside_other_routes() {
    let app = axum::Router::new()
        .route("/health", axum::routing::get(|| async { "ok" }))
        .route_service("/mcp", McpHttpService::new(fixture::server(None)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let url = format!("http://{addr}/mcp");

    let raw = Raw::new(&url);
    let r = raw
        .send(raw.build(Method::GET, Some("/health"), &Headers::new(), Bytes::new()))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.text(), "ok");
    raw.assert_serves().await;

    for mode in [ConnectMode::Auto, legacy_mode()] {
        let c = client(&url, mode).await;
        client_echo(&c, &format!("through axum ({mode:?})")).await;
        c.close();
    }
    // The origin check applies inside axum too.
    let r = raw
        .post(
            &set(
                modern_headers("tools/call", Some("echo")),
                "origin",
                "http://evil.example",
            ),
            &modern_req(1, "tools/call", echo("x")),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}
