//! The Streamable HTTP server: a `tower::Service<http::Request<B>>` serving both eras.
//!
//! * **2026-07-28**: every request is a stateless POST. The headers (`MCP-Protocol-Version`,
//!   `Mcp-Method`, `Mcp-Name`, `Mcp-Param-*`) are checked against the body before dispatch,
//!   each failure with the spec's status and error code. A request is answered with one JSON
//!   object when the handler sends nothing else, or with an SSE stream carrying its progress
//!   and log notifications first; closing that stream cancels the request. `subscriptions/listen`
//!   is a long-lived SSE stream.
//! * **2025-03-26 to 2025-11-25**: `initialize` opens a session (`Mcp-Session-Id`, from the OS
//!   random number generator); GET opens the session's stream for server-initiated messages;
//!   DELETE ends the session; unknown and expired sessions get 404. Server-to-client requests
//!   travel on the SSE stream of the request they belong to. Streams are resumable: events carry
//!   ids unique in the session, kept in an [`EventStore`]; a GET with `Last-Event-ID` replays what
//!   was missed and continues. Sessions idle longer than the configured timeout are evicted and
//!   their number is bounded. A stateless mode serves legacy clients without sessions.
//! * **2024-11-05 HTTP+SSE** (opt-in): `GET /sse` opens the stream, whose first event names the
//!   endpoint the client POSTs to.
//!
//! Every request passes the [`OriginPolicy`] first (DNS-rebinding defence, 403 on refusal).

mod events;
mod serve;
mod sessions;

use std::borrow::Cow;
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use http::header::{ACCEPT, ALLOW, CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use http_body::Body;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited};
use mcpwire_core::connection::{BoxFuture, Outbound};
use mcpwire_core::jsonrpc::{
    self, ErrorCode, ErrorObject, Message, Parsed, RawNotification, RawRequest, RequestId,
};
use mcpwire_core::methods::ClientRequestMethod;
use mcpwire_core::security::OriginPolicy;
use mcpwire_core::server::{
    AuthInfo, InsufficientScope, McpRequest, McpResponse, McpService, Negotiated, Principal,
    ProbedMeta, Server, Session,
};
use mcpwire_core::types::{ClientCapabilities, Implementation};
use mcpwire_core::{Era, ProtocolVersion};
use serde::Deserialize;
use sse_stream::{KeepAlive, Sse, SseBody};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

pub use events::{EventStore, InMemoryEventStore, Replay, parse_event_id};
pub use serve::{HttpServer, serve, serve_with_shutdown};

use crate::headers;
use sessions::{HttpSession, STANDALONE, SessionStore, StreamOutbound};

/// A boxed error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The body of every response of [`McpHttpService`].
pub type ResponseBody = BoxBody<Bytes, BoxError>;

/// Settings of the HTTP server. Start from [`HttpConfig::default`] and adjust.
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpConfig {
    /// `Host`/`Origin` validation (default: loopback only).
    pub origin_policy: OriginPolicy,
    /// The largest request body accepted (default 4 MiB); larger bodies get 413.
    pub max_body_bytes: usize,
    /// Legacy sessions idle longer than this are evicted (default 30 minutes).
    pub session_idle_timeout: Duration,
    /// The most legacy sessions kept at once (default 10 000); beyond, `initialize` gets 503.
    pub max_sessions: usize,
    /// The most SSE streams open at once (default 10 000); beyond, requests get 503.
    pub max_streams: usize,
    /// A handler running longer than this is cancelled and answered `-32603` (default: no
    /// limit). `subscriptions/listen` streams are exempt.
    pub request_timeout: Option<Duration>,
    /// Interval of SSE keep-alive comments (default 15 s).
    pub keep_alive: Option<Duration>,
    /// The `retry` sent with priming events of resumable streams (default 1 s).
    pub retry: Duration,
    /// Whether legacy clients get sessions (default `true`). Without sessions, legacy clients
    /// are served statelessly: no GET stream, no server-to-client requests.
    pub legacy_sessions: bool,
    /// Serve the 2024-11-05 HTTP+SSE transport at these paths (stream, messages); default off.
    pub legacy_sse_paths: Option<(String, String)>,
    /// Where events of resumable streams are kept (default: in memory, 1024 per session).
    pub event_store: Arc<dyn EventStore>,
    /// The MCP endpoint's path when serving standalone (default `/mcp`).
    pub path: String,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            origin_policy: OriginPolicy::default(),
            max_body_bytes: 4 * 1024 * 1024,
            session_idle_timeout: Duration::from_secs(30 * 60),
            max_sessions: 10_000,
            max_streams: 10_000,
            request_timeout: None,
            keep_alive: Some(Duration::from_secs(15)),
            retry: Duration::from_secs(1),
            legacy_sessions: true,
            legacy_sse_paths: None,
            event_store: Arc::new(InMemoryEventStore::default()),
            path: "/mcp".into(),
        }
    }
}

impl HttpConfig {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the `Host`/`Origin` policy.
    pub fn origin_policy(mut self, policy: OriginPolicy) -> Self {
        self.origin_policy = policy;
        self
    }

    /// Sets the largest request body.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Sets the idle timeout of legacy sessions.
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.session_idle_timeout = timeout;
        self
    }

    /// Sets the most legacy sessions kept.
    pub fn max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n;
        self
    }

    /// Sets the most SSE streams open at once.
    pub fn max_streams(mut self, n: usize) -> Self {
        self.max_streams = n;
        self
    }

    /// Cancels handlers running longer than `timeout`.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = Some(timeout);
        self
    }

    /// Sets (or with `None` disables) SSE keep-alive comments.
    pub fn keep_alive(mut self, interval: Option<Duration>) -> Self {
        self.keep_alive = interval;
        self
    }

    /// Sets the `retry` of priming events.
    pub fn retry(mut self, retry: Duration) -> Self {
        self.retry = retry;
        self
    }

    /// Serves legacy clients without sessions.
    pub fn stateless_legacy(mut self) -> Self {
        self.legacy_sessions = false;
        self
    }

    /// Also serves the 2024-11-05 HTTP+SSE transport (`GET stream_path`, `POST messages_path`).
    pub fn legacy_sse(
        mut self,
        stream_path: impl Into<String>,
        messages_path: impl Into<String>,
    ) -> Self {
        self.legacy_sse_paths = Some((stream_path.into(), messages_path.into()));
        self
    }

    /// Keeps events of resumable streams in `store`.
    pub fn event_store(mut self, store: Arc<dyn EventStore>) -> Self {
        self.event_store = store;
        self
    }

    /// Sets the MCP endpoint's path for standalone serving.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
}

struct Inner<S> {
    server: Server,
    service: S,
    config: HttpConfig,
    sessions: Arc<SessionStore>,
    stateless: Arc<Session>,
    streams: Arc<Semaphore>,
}

/// The MCP endpoint as a `tower::Service`: mount it in axum (`route_service("/mcp", svc)`) or
/// serve it standalone with [`HttpServer`].
pub struct McpHttpService<S = McpService> {
    inner: Arc<Inner<S>>,
}

impl<S> Clone for McpHttpService<S> {
    fn clone(&self) -> Self {
        McpHttpService {
            inner: self.inner.clone(),
        }
    }
}

impl<S> std::fmt::Debug for McpHttpService<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpHttpService")
            .field("server", &self.inner.server)
            .field("sessions", &self.inner.sessions.len())
            .finish()
    }
}

impl McpHttpService<McpService> {
    /// Serves `server` with the default settings.
    pub fn new(server: Server) -> Self {
        Self::with_config(server, HttpConfig::default())
    }

    /// Serves `server` with `config`.
    pub fn with_config(server: Server, config: HttpConfig) -> Self {
        let service = server.clone().into_service();
        Self::with_service(server, service, config)
    }
}

struct Discard;

impl Outbound for Discard {
    fn send(&self, _message: String) -> bool {
        false
    }
}

impl<S> McpHttpService<S>
where
    S: tower::Service<McpRequest, Response = McpResponse, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    /// Serves `server` through `service` (the server's dispatcher with your tower layers).
    pub fn with_service(server: Server, service: S, config: HttpConfig) -> Self {
        let sessions = Arc::new(SessionStore::new(
            server.clone(),
            config.max_sessions,
            config.session_idle_timeout,
            config.event_store.clone(),
        ));
        let streams = Arc::new(Semaphore::new(config.max_streams));
        McpHttpService {
            inner: Arc::new(Inner {
                server,
                service,
                config,
                sessions,
                stateless: Session::new(Arc::new(Discard)),
                streams,
            }),
        }
    }
}

impl<S> McpHttpService<S> {
    /// The number of legacy sessions open.
    pub fn session_count(&self) -> usize {
        self.inner.sessions.len()
    }

    /// The settings.
    pub fn config(&self) -> &HttpConfig {
        &self.inner.config
    }

    /// The server being served.
    pub fn server(&self) -> &Server {
        &self.inner.server
    }
}

impl<S, B> tower::Service<Request<B>> for McpHttpService<S>
where
    S: tower::Service<McpRequest, Response = McpResponse, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
    B: Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<ResponseBody>;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response<ResponseBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move { Ok(inner.handle(req).await) })
    }
}

// ---------- responses ----------

fn full(
    status: StatusCode,
    content_type: Option<&'static str>,
    body: impl Into<Bytes>,
) -> Response<ResponseBody> {
    let mut r = Response::new(
        Full::new(body.into())
            .map_err(|never: Infallible| match never {})
            .boxed(),
    );
    *r.status_mut() = status;
    if let Some(ct) = content_type {
        r.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static(ct));
    }
    r
}

fn error_response(
    status: StatusCode,
    id: Option<&RequestId>,
    error: &ErrorObject,
) -> Response<ResponseBody> {
    full(
        status,
        Some("application/json"),
        jsonrpc::encode_error(id, error),
    )
}

/// `403` for a caller lacking scopes: the JSON-RPC error, an `insufficient_scope` bearer
/// challenge listing every scope needed (RFC 6750 §3.1), and the refusal itself in the
/// response's extensions, where an authentication layer in front adds its
/// `resource_metadata` to the challenge.
fn forbidden(id: Option<&RequestId>, denied: &InsufficientScope) -> Response<ResponseBody> {
    let mut r = error_response(StatusCode::FORBIDDEN, id, &denied.to_error_object());
    let challenge = format!(
        "Bearer error=\"insufficient_scope\", scope=\"{}\", error_description=\"the token lacks a scope this request needs\"",
        denied.scope_param()
    );
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        r.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
    }
    r.extensions_mut().insert(denied.clone());
    r
}

fn empty(status: StatusCode) -> Response<ResponseBody> {
    full(status, None, Bytes::new())
}

fn header_mismatch(id: &RequestId, detail: impl std::fmt::Display) -> Response<ResponseBody> {
    error_response(
        StatusCode::BAD_REQUEST,
        Some(id),
        &ErrorObject::new(
            ErrorCode::HEADER_MISMATCH,
            format!("Header mismatch: {detail}"),
        ),
    )
}

fn method_not_allowed(allow: &'static str) -> Response<ResponseBody> {
    let mut r = error_response(
        StatusCode::METHOD_NOT_ALLOWED,
        None,
        &ErrorObject::invalid_request(format!("Method Not Allowed: this endpoint accepts {allow}")),
    );
    r.headers_mut()
        .insert(ALLOW, HeaderValue::from_static(allow));
    r
}

/// Cancels a request whose client went away while its JSON answer was pending.
struct DisconnectGuard(Option<(CancellationToken, tokio::task::AbortHandle)>);

impl Drop for DisconnectGuard {
    fn drop(&mut self) {
        if let Some((token, abort)) = self.0.take()
            && !abort.is_finished()
        {
            token.cancel();
            abort.abort();
        }
    }
}

/// Holds a stream slot and cancels the request when the client goes away.
struct StreamGuard {
    _permit: tokio::sync::OwnedSemaphorePermit,
    cancel: Option<(CancellationToken, tokio::task::AbortHandle)>,
    /// A 2024-11-05 session lives as long as its stream.
    end_session: Option<(std::sync::Weak<SessionStore>, Arc<str>)>,
}

impl StreamGuard {
    fn new(permit: tokio::sync::OwnedSemaphorePermit) -> Self {
        StreamGuard {
            _permit: permit,
            cancel: None,
            end_session: None,
        }
    }

    fn cancelling(mut self, token: CancellationToken, abort: tokio::task::AbortHandle) -> Self {
        self.cancel = Some((token, abort));
        self
    }

    fn ending_session(mut self, sessions: &Arc<SessionStore>, id: Arc<str>) -> Self {
        self.end_session = Some((Arc::downgrade(sessions), id));
        self
    }
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        if let Some((token, abort)) = self.cancel.take() {
            token.cancel();
            abort.abort();
        }
        if let Some((sessions, id)) = self.end_session.take()
            && let Some(sessions) = sessions.upgrade()
        {
            sessions.remove(&id);
        }
    }
}

pin_project_lite::pin_project! {
    struct EventSource {
        #[pin]
        rx: tokio_stream_shim::Receiver,
        guard: StreamGuard,
    }
}

/// A tiny `Stream` over an unbounded receiver (avoids a dependency on `tokio-stream`).
mod tokio_stream_shim {
    use super::*;

    pub(super) struct Receiver(pub(super) mpsc::UnboundedReceiver<Sse>);

    impl Stream for Receiver {
        type Item = Result<Sse, Infallible>;
        fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
            self.0.poll_recv(cx).map(|o| o.map(Ok))
        }
    }
}

impl Stream for EventSource {
    type Item = Result<Sse, Infallible>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.project().rx.poll_next(cx)
    }
}

pin_project_lite::pin_project! {
    /// A tokio sleep as the keep-alive timer of `sse-stream`.
    struct KeepAliveTimer {
        #[pin]
        sleep: tokio::time::Sleep,
    }
}

impl std::future::Future for KeepAliveTimer {
    type Output = ();
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        self.project().sleep.poll(cx)
    }
}

impl sse_stream::Timer for KeepAliveTimer {
    fn from_duration(duration: Duration) -> Self {
        KeepAliveTimer {
            sleep: tokio::time::sleep(duration),
        }
    }

    fn reset(self: Pin<&mut Self>, instant: std::time::Instant) {
        self.project().sleep.reset(instant.into());
    }
}

fn sse_response(
    rx: mpsc::UnboundedReceiver<Sse>,
    guard: StreamGuard,
    keep_alive: Option<Duration>,
) -> Response<ResponseBody> {
    let source = EventSource {
        rx: tokio_stream_shim::Receiver(rx),
        guard,
    };
    let body: ResponseBody = match keep_alive {
        Some(every) => SseBody::new(source)
            .with_keep_alive::<KeepAliveTimer>(KeepAlive::new().interval(every))
            .map_err(|e| -> BoxError { Box::new(e) })
            .boxed(),
        None => SseBody::new(source)
            .map_err(|e| -> BoxError { Box::new(e) })
            .boxed(),
    };
    let mut r = Response::new(body);
    let h = r.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

fn message_event(text: String) -> Sse {
    Sse::default().event("message").data(text)
}

// ---------- request parsing ----------

struct Accept {
    json: bool,
    sse: bool,
}

/// A POST whose headers passed the checks every POST gets, with its body.
struct Posted {
    headers: HeaderMap,
    extensions: http::Extensions,
    text: String,
    /// Whether the client accepts an SSE response.
    accepts_sse: bool,
}

fn accept(headers: &HeaderMap) -> Accept {
    let Some(value) = headers.get(ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Accept {
            json: true,
            sse: true,
        };
    };
    let mut a = Accept {
        json: false,
        sse: false,
    };
    for part in value.split(',') {
        let media = part.split(';').next().unwrap_or("").trim();
        // Compared without allocating: this runs on every request.
        let is = |name: &str| media.eq_ignore_ascii_case(name);
        if is("application/json") || is("application/*") {
            a.json = true;
        } else if is("text/event-stream") || is("text/*") {
            a.sse = true;
        } else if media == "*/*" {
            a.json = true;
            a.sse = true;
        }
    }
    a
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, ()> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v.to_str().map(|s| Some(s.trim())).map_err(|_| ()),
    }
}

/// What the HTTP layer reads from a request's params (to check headers, and to decide on
/// resumability), borrowed from the body.
#[derive(Deserialize, Default)]
struct NameProbe<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    uri: Option<Cow<'a, str>>,
    /// `tasks/get`, `tasks/update` and `tasks/cancel` route on the task id.
    #[serde(rename = "taskId", borrow, default)]
    task_id: Option<Cow<'a, str>>,
    /// Kept raw: only tools with `x-mcp-header` parameters need it parsed.
    #[serde(borrow, default)]
    arguments: Option<&'a serde_json::value::RawValue>,
    #[serde(rename = "protocolVersion", borrow, default)]
    protocol_version: Option<Cow<'a, str>>,
}

impl<'a> NameProbe<'a> {
    fn read(params: Option<&'a mcpwire_core::jsonrpc::RawJson>) -> NameProbe<'a> {
        params
            .and_then(|p| serde_json::from_str(p.get()).ok())
            .unwrap_or_default()
    }
}

enum Mode {
    /// 2026-07-28: cancel on disconnect, no event ids.
    Modern,
    /// A legacy session: resumable streams.
    Session(Arc<HttpSession>),
    /// Legacy without a session.
    Stateless,
}

impl<S> Inner<S>
where
    S: tower::Service<McpRequest, Response = McpResponse, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    async fn handle<B>(self: Arc<Self>, req: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        if let Err(refusal) = self.config.origin_policy.check(req.headers()) {
            return error_response(
                StatusCode::FORBIDDEN,
                None,
                &ErrorObject::invalid_request(format!("Forbidden: {refusal}")),
            );
        }
        if let Some((stream_path, messages_path)) = &self.config.legacy_sse_paths {
            let path = req.uri().path();
            if req.method() == Method::GET && path == stream_path {
                return self.legacy_sse_open(req.extensions());
            }
            if req.method() == Method::POST && path == messages_path {
                return self.legacy_sse_post(req).await;
            }
        }
        match *req.method() {
            Method::POST => self.post(req).await,
            Method::GET => self.get(req.headers(), req.extensions()),
            Method::DELETE => self.delete(req.headers(), req.extensions()),
            _ => method_not_allowed(self.allowed()),
        }
    }

    fn legacy_stateful(&self) -> bool {
        self.config.legacy_sessions && self.server.serves_era(Era::Legacy)
    }

    fn allowed(&self) -> &'static str {
        if self.legacy_stateful() {
            "GET, POST, DELETE"
        } else {
            "POST"
        }
    }

    async fn read_body<B>(&self, req: Request<B>) -> Result<Posted, Response<ResponseBody>>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let (parts, body) = req.into_parts();
        let ct_ok = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                // Compared without allocating, as `accept` does.
                v.trim()
                    .get(.."application/json".len())
                    .is_some_and(|p| p.eq_ignore_ascii_case("application/json"))
            });
        if !ct_ok {
            return Err(error_response(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                None,
                &ErrorObject::invalid_request(
                    "Unsupported Media Type: send Content-Type: application/json",
                ),
            ));
        }
        let accepted = accept(&parts.headers);
        if !accepted.json && !accepted.sse {
            return Err(error_response(
                StatusCode::NOT_ACCEPTABLE,
                None,
                &ErrorObject::invalid_request(
                    "Not Acceptable: accept application/json and text/event-stream",
                ),
            ));
        }
        let bytes = match Limited::new(body, self.config.max_body_bytes)
            .collect()
            .await
        {
            Ok(c) => c.to_bytes(),
            Err(e) => {
                let too_large = e
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some();
                return Err(if too_large {
                    error_response(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        None,
                        &ErrorObject::invalid_request(format!(
                            "Payload Too Large: messages are limited to {} bytes",
                            self.config.max_body_bytes
                        )),
                    )
                } else {
                    error_response(
                        StatusCode::BAD_REQUEST,
                        None,
                        &ErrorObject::invalid_request("Bad Request: the body could not be read"),
                    )
                });
            }
        };
        match String::from_utf8(bytes.into()) {
            Ok(text) => Ok(Posted {
                headers: parts.headers,
                extensions: parts.extensions,
                text,
                accepts_sse: accepted.sse,
            }),
            Err(_) => Err(error_response(
                StatusCode::BAD_REQUEST,
                None,
                &ErrorObject::parse_error("the body is not UTF-8"),
            )),
        }
    }

    async fn post<B>(self: Arc<Self>, req: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let Posted {
            headers,
            extensions,
            text,
            accepts_sse,
        } = match self.read_body(req).await {
            Ok(x) => x,
            Err(r) => return r,
        };
        let Ok(session_id) = header_str(&headers, headers::SESSION_ID) else {
            return error_response(
                StatusCode::BAD_REQUEST,
                None,
                &ErrorObject::invalid_request("Bad Request: invalid Mcp-Session-Id"),
            );
        };
        let Ok(version_header) = header_str(&headers, headers::PROTOCOL_VERSION) else {
            return error_response(
                StatusCode::BAD_REQUEST,
                None,
                &ErrorObject::invalid_request("Bad Request: invalid MCP-Protocol-Version"),
            );
        };
        let parsed = match jsonrpc::parse_message(text) {
            Ok(p) => p,
            Err(invalid) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    invalid.id.as_ref(),
                    &invalid.error,
                );
            }
        };
        let session = match session_id {
            Some(id) if self.legacy_stateful() => {
                match self.sessions.get(id, Principal::of(&extensions).as_deref()) {
                    Some(s) => Some(s),
                    None => {
                        return error_response(
                            StatusCode::NOT_FOUND,
                            None,
                            &ErrorObject::invalid_request(
                                "Not Found: the session does not exist or has expired; initialize a new one",
                            ),
                        );
                    }
                }
            }
            _ => None,
        };
        if let (Some(_), Some(v)) = (&session, version_header)
            && !ProtocolVersion::parse(v)
                .is_some_and(|v| v.era() == Era::Legacy && self.server.supports_version(v))
        {
            return error_response(
                StatusCode::BAD_REQUEST,
                None,
                &ErrorObject::invalid_request(format!(
                    "Bad Request: unsupported MCP-Protocol-Version `{v}`"
                )),
            );
        }
        let msg = match parsed {
            Parsed::Single(m) => m,
            Parsed::Batch(items) => return self.batch(items, session, extensions).await,
        };
        match msg {
            Message::Request(r) => {
                if let Some(s) = session {
                    return self
                        .dispatch(r, s.core.clone(), Mode::Session(s), accepts_sse, extensions)
                        .await;
                }
                // Read with the stateless session's cache: the session stateless requests
                // are dispatched on.
                let meta = match ProbedMeta::read(r.params.as_ref(), &self.stateless) {
                    Ok(m) => m,
                    Err(e) => return error_response(StatusCode::BAD_REQUEST, Some(&r.id), &e),
                };
                let meta_modern = meta.is_modern();
                let header_modern = version_header.is_some_and(|v| {
                    ProtocolVersion::parse(v).is_none_or(|v| v.era() == Era::Modern)
                });
                if &*r.method == "initialize" && !meta_modern {
                    return self.initialize(r, accepts_sse, extensions).await;
                }
                if meta_modern || header_modern {
                    return self
                        .modern(r, &headers, version_header, meta, accepts_sse, extensions)
                        .await;
                }
                if !self.legacy_stateful() && self.server.serves_era(Era::Legacy) {
                    let version = version_header
                        .and_then(ProtocolVersion::parse)
                        .unwrap_or(ProtocolVersion::V2025_03_26);
                    let session = Session::initialized(
                        Arc::new(Discard),
                        Negotiated::new(
                            version,
                            ClientCapabilities::default(),
                            Implementation::new("unknown", "0"),
                        ),
                    );
                    return self
                        .dispatch(r, session, Mode::Stateless, accepts_sse, extensions)
                        .await;
                }
                error_response(
                    StatusCode::BAD_REQUEST,
                    Some(&r.id),
                    &ErrorObject::invalid_request(
                        "Bad Request: send MCP-Protocol-Version and `_meta` (2026-07-28), or initialize a session and send its Mcp-Session-Id",
                    ),
                )
            }
            Message::Notification(n) => {
                if let Some(s) = session {
                    self.notification(&s, &n);
                }
                empty(StatusCode::ACCEPTED)
            }
            Message::Response(r) => match session {
                Some(s) => {
                    s.core.complete_request(r);
                    empty(StatusCode::ACCEPTED)
                }
                None => error_response(
                    StatusCode::BAD_REQUEST,
                    None,
                    &ErrorObject::invalid_request(
                        "Bad Request: a response needs the Mcp-Session-Id of its session",
                    ),
                ),
            },
        }
    }

    /// Checks the headers of a 2026-07-28 request against its body, then dispatches it.
    async fn modern(
        self: Arc<Self>,
        r: RawRequest,
        headers: &HeaderMap,
        version_header: Option<&str>,
        meta: ProbedMeta,
        accepts_sse: bool,
        mut extensions: http::Extensions,
    ) -> Response<ResponseBody> {
        let id = r.id.clone();
        let Some(version_header) = version_header else {
            return header_mismatch(&id, "the MCP-Protocol-Version header is required");
        };
        let missing = |key: &str| {
            error_response(
                StatusCode::BAD_REQUEST,
                Some(&id),
                &ErrorObject::invalid_params(format!(
                    "Invalid params: `_meta` must contain `{key}`"
                )),
            )
        };
        let Some(meta_version) = meta.protocol_version() else {
            return missing(mcpwire_core::types::META_PROTOCOL_VERSION);
        };
        if !meta.has_client_capabilities() {
            return missing(mcpwire_core::types::META_CLIENT_CAPABILITIES);
        }
        if meta_version != version_header {
            return header_mismatch(
                &id,
                format!(
                    "MCP-Protocol-Version header value '{version_header}' does not match body value '{meta_version}'"
                ),
            );
        }
        let served = ProtocolVersion::parse(meta_version)
            .is_some_and(|v| v.era() == Era::Modern && self.server.supports_version(v));
        if !served {
            let supported: Vec<String> = self
                .server
                .supported_versions()
                .into_iter()
                .filter(|v| v.era() == Era::Modern)
                .map(|v| v.as_str().to_owned())
                .collect();
            return error_response(
                StatusCode::BAD_REQUEST,
                Some(&id),
                &ErrorObject::new(
                    ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
                    "Unsupported protocol version",
                )
                .with_data(
                    serde_json::json!({ "supported": supported, "requested": meta_version }),
                ),
            );
        }
        match header_str(headers, headers::METHOD) {
            Ok(Some(m)) if m == &*r.method => {}
            Ok(Some(m)) => {
                return header_mismatch(
                    &id,
                    format!(
                        "Mcp-Method header value '{m}' does not match body value '{}'",
                        r.method
                    ),
                );
            }
            Ok(None) => return header_mismatch(&id, "the Mcp-Method header is required"),
            Err(()) => return header_mismatch(&id, "the Mcp-Method header is not valid"),
        }
        let method = ClientRequestMethod::from_name(&r.method).filter(|m| m.is_modern());
        let Some(method) = method else {
            return error_response(
                StatusCode::NOT_FOUND,
                Some(&id),
                &ErrorObject::method_not_found(&r.method),
            );
        };
        if matches!(
            method,
            ClientRequestMethod::CallTool
                | ClientRequestMethod::ReadResource
                | ClientRequestMethod::GetPrompt
        ) || method.is_task_method()
        {
            let probe = NameProbe::read(r.params.as_ref());
            let body_name = if method == ClientRequestMethod::ReadResource {
                probe.uri.as_deref()
            } else if method.is_task_method() {
                probe.task_id.as_deref()
            } else {
                probe.name.as_deref()
            };
            match headers
                .get(headers::NAME)
                .map(|v| headers::decode_value(v.as_bytes()))
            {
                None => return header_mismatch(&id, "the Mcp-Name header is required"),
                Some(Err(e)) => {
                    return header_mismatch(&id, format!("the Mcp-Name header is invalid: {e}"));
                }
                Some(Ok(name)) => {
                    if Some(name.as_str()) != body_name {
                        return header_mismatch(
                            &id,
                            format!(
                                "Mcp-Name header value '{name}' does not match body value '{}'",
                                body_name.unwrap_or("")
                            ),
                        );
                    }
                }
            }
            if method == ClientRequestMethod::CallTool
                && let Some(response) = self.check_param_headers(&id, &probe, headers)
            {
                return response;
            }
        }
        // Checked against the headers above; the protocol layer need not parse it again.
        extensions.insert(meta);
        let session = self.stateless.clone();
        self.dispatch(r, session, Mode::Modern, accepts_sse, extensions)
            .await
    }

    /// Validates the `Mcp-Param-*` headers of a tool call against the tool's `x-mcp-header`
    /// annotations and the arguments.
    fn check_param_headers(
        &self,
        id: &RequestId,
        probe: &NameProbe<'_>,
        headers: &HeaderMap,
    ) -> Option<Response<ResponseBody>> {
        let tool = self.server.find_tool(probe.name.as_deref()?)?;
        let params = tool.header_params().ok()?;
        if params.is_empty() {
            return None;
        }
        let args = probe
            .arguments
            .and_then(|a| serde_json::from_str(a.get()).ok())
            .unwrap_or_else(|| serde_json::Value::Object(Default::default()));
        let args = &args;
        for p in params {
            let name = format!("{}{}", headers::PARAM_PREFIX, p.header);
            let header = headers
                .get(name.as_str())
                .map(|v| headers::decode_value(v.as_bytes()));
            match (headers::param_value(args, p), header) {
                (Some(_), None) => {
                    return Some(header_mismatch(
                        id,
                        format!("the Mcp-Param-{} header is required", p.header),
                    ));
                }
                (_, Some(Err(e))) => {
                    return Some(header_mismatch(
                        id,
                        format!("the Mcp-Param-{} header is invalid: {e}", p.header),
                    ));
                }
                (Some(body), Some(Ok(h))) if !headers::value_matches(p.kind, &h, &body) => {
                    return Some(header_mismatch(
                        id,
                        format!(
                            "Mcp-Param-{} header value '{h}' does not match body value '{body}'",
                            p.header
                        ),
                    ));
                }
                // Something routed on a value the handler will not see.
                (None, Some(Ok(h))) => {
                    return Some(header_mismatch(
                        id,
                        format!(
                            "Mcp-Param-{} header value '{h}' does not match the body, which has no value for it",
                            p.header
                        ),
                    ));
                }
                _ => {}
            }
        }
        None
    }

    async fn initialize(
        self: Arc<Self>,
        r: RawRequest,
        accepts_sse: bool,
        extensions: http::Extensions,
    ) -> Response<ResponseBody> {
        if !self.server.serves_era(Era::Legacy) {
            // Let the dispatcher explain which versions are served.
            let session = self.stateless.clone();
            return self
                .dispatch(r, session, Mode::Stateless, accepts_sse, extensions)
                .await;
        }
        if !self.config.legacy_sessions {
            let session = Session::new(Arc::new(Discard));
            return self
                .dispatch(r, session, Mode::Stateless, accepts_sse, extensions)
                .await;
        }
        // Streams of revisions from 2025-11-25 on start with a priming event.
        let probe = NameProbe::read(r.params.as_ref());
        let resumable = probe
            .protocol_version
            .as_deref()
            .and_then(ProtocolVersion::parse)
            .is_none_or(|v| v >= ProtocolVersion::V2025_11_25);
        let session = match self
            .sessions
            .create(resumable, false, Principal::of(&extensions))
        {
            Ok(s) => s,
            Err(_) => {
                return error_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    Some(&r.id),
                    &ErrorObject::internal("Service Unavailable: too many sessions; retry later"),
                );
            }
        };
        let core = session.core.clone();
        let id = session.id.clone();
        let mut response = self
            .clone()
            .dispatch(r, core, Mode::Session(session), accepts_sse, extensions)
            .await;
        if response.status().is_success() {
            if let Ok(v) = HeaderValue::from_str(&id) {
                response.headers_mut().insert(headers::SESSION_ID, v);
            }
        } else {
            self.sessions.remove(&id);
        }
        response
    }

    /// Starts the handler of `r`: cancelled by `cancel`, by `notifications/cancelled` within
    /// session `tracked`, and by the request timeout (which also answers it).
    fn spawn_handler(
        &self,
        r: RawRequest,
        session: Arc<Session>,
        channel: Arc<dyn Outbound>,
        cancel: &CancellationToken,
        tracked: Option<Arc<HttpSession>>,
        extensions: http::Extensions,
    ) -> tokio::task::JoinHandle<McpResponse> {
        match self.start_handler(r, session, channel, cancel, tracked, extensions) {
            Ok(done) => tokio::spawn(std::future::ready(done)),
            Err(running) => running,
        }
    }

    /// Like [`spawn_handler`](Self::spawn_handler), but polls the handler once first: one
    /// that answers without waiting (most do) is done (`Ok`) with no task spawned, no thread
    /// hop and no wake-up of the connection's task.
    fn start_handler(
        &self,
        r: RawRequest,
        session: Arc<Session>,
        channel: Arc<dyn Outbound>,
        cancel: &CancellationToken,
        tracked: Option<Arc<HttpSession>>,
        extensions: http::Extensions,
    ) -> Result<McpResponse, tokio::task::JoinHandle<McpResponse>> {
        let id = r.id.clone();
        let timeout = if &*r.method == "subscriptions/listen" {
            None
        } else {
            self.config.request_timeout
        };
        let mut req = McpRequest::new(r.id, r.method, r.params, session, channel, cancel.clone());
        req.extensions = extensions;
        let svc = self.service.clone();
        if let Some(s) = &tracked {
            s.track(id.clone(), cancel.clone());
        }
        let untrack_from = tracked.clone();
        let tracked_id = id.clone();
        let timed_out = cancel.clone();
        let mut fut = Box::pin(async move {
            let fut = svc.oneshot(req);
            let response = match timeout {
                None => fut.await.unwrap_or_else(|never| match never {}),
                Some(t) => match tokio::time::timeout(t, fut).await {
                    Ok(r) => r.unwrap_or_else(|never| match never {}),
                    Err(_) => {
                        // The handler is dropped; work it spawned watches the token.
                        timed_out.cancel();
                        McpResponse::Error(ErrorObject::internal(format!(
                            "Internal error: the request did not complete within {t:?}"
                        )))
                    }
                },
            };
            if let Some(s) = untrack_from {
                s.untrack(&tracked_id);
            }
            response
        });
        let waker = std::task::Waker::noop();
        let polled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            fut.as_mut().poll(&mut Context::from_waker(waker))
        }));
        match polled {
            Ok(Poll::Ready(response)) => return Ok(response),
            Ok(Poll::Pending) => {}
            Err(_) => {
                if let Some(s) = &tracked {
                    s.untrack(&id);
                }
                return Ok(McpResponse::Error(ErrorObject::internal(
                    "Internal error: the handler panicked",
                )));
            }
        }
        // It waits: it goes on as a task (whose first poll registers its own wake-ups).
        let handle = tokio::spawn(fut);
        if let Some(s) = &tracked {
            s.attach(&id, handle.abort_handle());
        }
        Err(handle)
    }

    /// Runs one request: one JSON response when the handler sends nothing before its result,
    /// an SSE stream otherwise.
    async fn dispatch(
        self: Arc<Self>,
        r: RawRequest,
        session: Arc<Session>,
        mode: Mode,
        accepts_sse: bool,
        extensions: http::Extensions,
    ) -> Response<ResponseBody> {
        if let Err(denied) =
            self.server
                .authorize(extensions.get::<AuthInfo>(), &r.method, r.params.as_ref())
        {
            return forbidden(Some(&r.id), &denied);
        }
        let id = r.id.clone();
        let (tx, mut rx) = mpsc::unbounded_channel::<String>();
        let cancel = CancellationToken::new();
        let tracked = match &mode {
            Mode::Session(s) => Some(s.clone()),
            _ => None,
        };
        let started = self.start_handler(r, session, Arc::new(tx), &cancel, tracked, extensions);
        let response_id = id.clone();
        let modern = matches!(mode, Mode::Modern);
        let mut handle = match started {
            Ok(done) => {
                return self.answer_done(&response_id, Ok(done), rx, accepts_sse, mode, modern);
            }
            Err(running) => running,
        };
        // 2026-07-28: a client that disconnects before the answer cancels the request.
        let mut on_disconnect =
            DisconnectGuard(modern.then(|| (cancel.clone(), handle.abort_handle())));
        let first = tokio::select! {
            biased;
            done = &mut handle => Err(done),
            message = rx.recv() => Ok(message),
        };
        let first_message = match first {
            Err(done) => {
                return self.answer_done(&response_id, done, rx, accepts_sse, mode, modern);
            }
            Ok(None) => {
                let done = (&mut handle).await;
                return json_reply(&response_id, done, modern);
            }
            Ok(Some(m)) => m,
        };
        if !accepts_sse {
            // The client cannot receive notifications; answer with the result alone.
            drop(first_message);
            tokio::spawn(async move { while rx.recv().await.is_some() {} });
            let done = (&mut handle).await;
            return json_reply(&response_id, done, modern);
        }
        // From here the stream's guard takes over.
        on_disconnect.0 = None;
        let Ok(permit) = self.streams.clone().try_acquire_owned() else {
            cancel.cancel();
            handle.abort();
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                Some(&response_id),
                &ErrorObject::internal("Service Unavailable: too many open streams"),
            );
        };
        let (sse_tx, sse_rx) = mpsc::unbounded_channel::<Sse>();
        let keep_alive = self.config.keep_alive;
        match mode {
            Mode::Session(s) => {
                let stream = s.open_stream(sse_tx.clone());
                if let Some(prime) = s.prime(stream, self.config.retry) {
                    let _ = sse_tx.send(prime);
                }
                drop(sse_tx);
                s.deliver(stream, first_message);
                let out = StreamOutbound {
                    session: s.clone(),
                    stream,
                };
                tokio::spawn(async move {
                    forward(&mut rx, &mut handle, &response_id, &out).await;
                    s.finish(stream);
                });
                // A legacy client that drops the stream may resume it; the handler goes on.
                sse_response(sse_rx, StreamGuard::new(permit), keep_alive)
            }
            Mode::Modern | Mode::Stateless => {
                let _ = sse_tx.send(message_event(first_message));
                let abort = handle.abort_handle();
                let out = SseOutbound(sse_tx);
                tokio::spawn(async move {
                    forward(&mut rx, &mut handle, &response_id, &out).await;
                });
                // Closing the stream cancels the request.
                sse_response(
                    sse_rx,
                    StreamGuard::new(permit).cancelling(cancel, abort),
                    keep_alive,
                )
            }
        }
    }

    /// The answer of a handler that finished: one JSON object when it said nothing else, a
    /// short SSE stream when it sent messages before its result.
    fn answer_done(
        &self,
        response_id: &RequestId,
        done: Result<McpResponse, tokio::task::JoinError>,
        mut rx: mpsc::UnboundedReceiver<String>,
        accepts_sse: bool,
        mode: Mode,
        modern: bool,
    ) -> Response<ResponseBody> {
        match rx.try_recv() {
            // Nothing else was said: one JSON object.
            Err(_) => json_reply(response_id, done, modern),
            Ok(m) if !accepts_sse => {
                drop(m);
                json_reply(response_id, done, modern)
            }
            Ok(m) => {
                let final_text = match done {
                    Ok(resp) => resp.encode(response_id),
                    Err(_) => jsonrpc::encode_error(
                        Some(response_id),
                        &ErrorObject::internal("Internal error"),
                    ),
                };
                self.stream_finished(m, rx, final_text, mode)
            }
        }
    }

    /// The handler finished but sent messages before its result: a short SSE stream.
    fn stream_finished(
        &self,
        first: String,
        mut rx: mpsc::UnboundedReceiver<String>,
        final_text: String,
        mode: Mode,
    ) -> Response<ResponseBody> {
        let Ok(permit) = self.streams.clone().try_acquire_owned() else {
            return full(StatusCode::OK, Some("application/json"), final_text);
        };
        let (sse_tx, sse_rx) = mpsc::unbounded_channel::<Sse>();
        let mut messages = vec![first];
        while let Ok(m) = rx.try_recv() {
            messages.push(m);
        }
        messages.push(final_text);
        match mode {
            Mode::Session(s) => {
                let stream = s.open_stream(sse_tx.clone());
                if let Some(prime) = s.prime(stream, self.config.retry) {
                    let _ = sse_tx.send(prime);
                }
                drop(sse_tx);
                for m in messages {
                    s.deliver(stream, m);
                }
                s.finish(stream);
            }
            _ => {
                for m in messages {
                    let _ = sse_tx.send(message_event(m));
                }
            }
        }
        sse_response(sse_rx, StreamGuard::new(permit), None)
    }

    async fn batch(
        self: Arc<Self>,
        items: Vec<Result<Message, jsonrpc::InvalidMessage>>,
        session: Option<Arc<HttpSession>>,
        extensions: http::Extensions,
    ) -> Response<ResponseBody> {
        // Batching existed in 2025-03-26 only; 2025-06-18 removed it.
        let Some(session) = session.filter(|s| {
            s.core
                .negotiated()
                .is_some_and(|n| n.version == ProtocolVersion::V2025_03_26)
        }) else {
            return error_response(
                StatusCode::BAD_REQUEST,
                None,
                &ErrorObject::invalid_request(
                    "Bad Request: JSON-RPC batches are only accepted within a 2025-03-26 session",
                ),
            );
        };
        // Refuse the whole batch, before any of it runs, if the caller may not make one of
        // its requests: a 403 challenge lists every scope they need together.
        let mut required: Vec<String> = Vec::new();
        let mut denied = None;
        for r in items.iter().filter_map(|i| match i {
            Ok(Message::Request(r)) => Some(r),
            _ => None,
        }) {
            if let Err(e) =
                self.server
                    .authorize(extensions.get::<AuthInfo>(), &r.method, r.params.as_ref())
            {
                required.extend(e.required.iter().cloned());
                denied = Some(e);
            }
        }
        if let Some(mut e) = denied {
            required.sort();
            required.dedup();
            e.required = required;
            return forbidden(None, &e);
        }
        let mut answers = Vec::new();
        let mut futures = Vec::new();
        for item in items {
            match item {
                Err(invalid) => {
                    answers.push(jsonrpc::encode_error(invalid.id.as_ref(), &invalid.error))
                }
                Ok(Message::Request(r)) => {
                    let id = r.id.clone();
                    let out: Arc<dyn Outbound> = Arc::new(StreamOutbound {
                        session: session.clone(),
                        stream: STANDALONE,
                    });
                    let handle = self.spawn_handler(
                        r,
                        session.core.clone(),
                        out,
                        &CancellationToken::new(),
                        Some(session.clone()),
                        extensions.clone(),
                    );
                    futures.push(async move { handle.await.ok().map(|resp| resp.encode(&id)) });
                }
                Ok(Message::Notification(n)) => self.notification(&session, &n),
                Ok(Message::Response(r)) => {
                    session.core.complete_request(r);
                }
            }
        }
        // Cancelled requests get no answer.
        answers.extend(
            futures_util::future::join_all(futures)
                .await
                .into_iter()
                .flatten(),
        );
        if answers.is_empty() {
            return empty(StatusCode::ACCEPTED);
        }
        full(
            StatusCode::OK,
            Some("application/json"),
            format!("[{}]", answers.join(",")),
        )
    }

    /// A notification within a legacy session.
    fn notification(&self, session: &HttpSession, n: &RawNotification) {
        if &*n.method == "notifications/cancelled" {
            #[derive(Deserialize)]
            struct Cancelled {
                #[serde(rename = "requestId")]
                request_id: RequestId,
            }
            if let Some(c) = n.params.as_ref().and_then(|p| p.parse::<Cancelled>().ok()) {
                session.cancel(&c.request_id);
            }
        }
        self.server.handle_notification(&session.core, n);
    }

    fn session_from(
        &self,
        headers: &HeaderMap,
        extensions: &http::Extensions,
    ) -> Result<Arc<HttpSession>, Response<ResponseBody>> {
        let id = match header_str(headers, headers::SESSION_ID) {
            Ok(Some(id)) => id,
            _ => {
                return Err(error_response(
                    StatusCode::BAD_REQUEST,
                    None,
                    &ErrorObject::invalid_request(
                        "Bad Request: the Mcp-Session-Id header is required",
                    ),
                ));
            }
        };
        let principal = Principal::of(extensions);
        self.sessions.get(id, principal.as_deref()).ok_or_else(|| {
            error_response(
                StatusCode::NOT_FOUND,
                None,
                &ErrorObject::invalid_request(
                    "Not Found: the session does not exist or has expired",
                ),
            )
        })
    }

    /// GET: the session's stream for server-initiated messages, or a resumed stream.
    fn get(&self, headers: &HeaderMap, extensions: &http::Extensions) -> Response<ResponseBody> {
        if !self.legacy_stateful() {
            return method_not_allowed(self.allowed());
        }
        if !accept(headers).sse || headers.get(ACCEPT).is_none() {
            return error_response(
                StatusCode::NOT_ACCEPTABLE,
                None,
                &ErrorObject::invalid_request(
                    "Not Acceptable: a GET stream needs Accept: text/event-stream",
                ),
            );
        }
        let session = match self.session_from(headers, extensions) {
            Ok(s) => s,
            Err(r) => return r,
        };
        let Ok(permit) = self.streams.clone().try_acquire_owned() else {
            return error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                None,
                &ErrorObject::internal("Service Unavailable: too many open streams"),
            );
        };
        let (sse_tx, sse_rx) = mpsc::unbounded_channel::<Sse>();
        let last = header_str(headers, headers::LAST_EVENT_ID).ok().flatten();
        let resumed = last.is_some_and(|id| session.resume(id, sse_tx.clone()));
        if !resumed {
            if let Some(prime) = session.prime(STANDALONE, self.config.retry) {
                let _ = sse_tx.send(prime);
            }
            session.attach_standalone(sse_tx);
        }
        sse_response(sse_rx, StreamGuard::new(permit), self.config.keep_alive)
    }

    /// DELETE: ends the session.
    fn delete(&self, headers: &HeaderMap, extensions: &http::Extensions) -> Response<ResponseBody> {
        if !self.legacy_stateful() {
            return method_not_allowed(self.allowed());
        }
        let principal = Principal::of(extensions);
        match header_str(headers, headers::SESSION_ID) {
            Ok(Some(id)) if self.sessions.remove_owned(id, principal.as_deref()) => {
                empty(StatusCode::OK)
            }
            Ok(Some(_)) => error_response(
                StatusCode::NOT_FOUND,
                None,
                &ErrorObject::invalid_request(
                    "Not Found: the session does not exist or has expired",
                ),
            ),
            _ => error_response(
                StatusCode::BAD_REQUEST,
                None,
                &ErrorObject::invalid_request("Bad Request: the Mcp-Session-Id header is required"),
            ),
        }
    }

    /// `GET /sse` of the 2024-11-05 transport: a session whose one stream carries everything.
    fn legacy_sse_open(&self, extensions: &http::Extensions) -> Response<ResponseBody> {
        let Ok(permit) = self.streams.clone().try_acquire_owned() else {
            return empty(StatusCode::SERVICE_UNAVAILABLE);
        };
        let Ok(session) = self.sessions.create(false, true, Principal::of(extensions)) else {
            return empty(StatusCode::SERVICE_UNAVAILABLE);
        };
        let (sse_tx, sse_rx) = mpsc::unbounded_channel::<Sse>();
        let messages_path = self
            .config
            .legacy_sse_paths
            .as_ref()
            .map(|p| p.1.as_str())
            .unwrap_or("/messages");
        let _ = sse_tx.send(
            Sse::default()
                .event("endpoint")
                .data(format!("{messages_path}?sessionId={}", session.id)),
        );
        session.attach_standalone(sse_tx);
        let guard = StreamGuard::new(permit).ending_session(&self.sessions, session.id.clone());
        sse_response(sse_rx, guard, self.config.keep_alive)
    }

    async fn legacy_sse_post<B>(self: Arc<Self>, req: Request<B>) -> Response<ResponseBody>
    where
        B: Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        let session_id = req
            .uri()
            .query()
            .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("sessionId=")))
            .map(str::to_owned);
        let principal = Principal::of(req.extensions());
        let Some(session) = session_id.and_then(|id| self.sessions.get(&id, principal.as_deref()))
        else {
            return error_response(
                StatusCode::NOT_FOUND,
                None,
                &ErrorObject::invalid_request("Not Found: unknown session"),
            );
        };
        let Posted {
            extensions, text, ..
        } = match self.read_body(req).await {
            Ok(x) => x,
            Err(r) => return r,
        };
        let msg = match jsonrpc::parse_message(text) {
            Ok(Parsed::Single(m)) => m,
            Ok(Parsed::Batch(_)) => {
                return error_response(
                    StatusCode::BAD_REQUEST,
                    None,
                    &ErrorObject::invalid_request("Bad Request: batches are not supported here"),
                );
            }
            Err(invalid) => {
                session.deliver(
                    STANDALONE,
                    jsonrpc::encode_error(invalid.id.as_ref(), &invalid.error),
                );
                return empty(StatusCode::ACCEPTED);
            }
        };
        match msg {
            Message::Request(r) => {
                if let Err(denied) = self.server.authorize(
                    extensions.get::<AuthInfo>(),
                    &r.method,
                    r.params.as_ref(),
                ) {
                    return forbidden(Some(&r.id), &denied);
                }
                let id = r.id.clone();
                let out: Arc<dyn Outbound> = Arc::new(StreamOutbound {
                    session: session.clone(),
                    stream: STANDALONE,
                });
                let handle = self.spawn_handler(
                    r,
                    session.core.clone(),
                    out,
                    &CancellationToken::new(),
                    Some(session.clone()),
                    extensions,
                );
                tokio::spawn(async move {
                    // A cancelled request gets no answer.
                    if let Ok(resp) = handle.await {
                        session.deliver(STANDALONE, resp.encode(&id));
                    }
                });
            }
            Message::Notification(n) => self.notification(&session, &n),
            Message::Response(r) => {
                session.core.complete_request(r);
            }
        }
        empty(StatusCode::ACCEPTED)
    }
}

/// Where a forwarder writes a request's messages.
trait Sink: Send + Sync {
    fn put(&self, message: String);
}

struct SseOutbound(mpsc::UnboundedSender<Sse>);

impl Sink for SseOutbound {
    fn put(&self, message: String) {
        let _ = self.0.send(message_event(message));
    }
}

impl Sink for StreamOutbound {
    fn put(&self, message: String) {
        self.session.deliver(self.stream, message);
    }
}

/// Moves a request's messages, then its final response, to `sink`.
async fn forward(
    rx: &mut mpsc::UnboundedReceiver<String>,
    handle: &mut tokio::task::JoinHandle<McpResponse>,
    id: &RequestId,
    sink: &dyn Sink,
) {
    loop {
        tokio::select! {
            biased;
            m = rx.recv() => match m {
                Some(m) => sink.put(m),
                None => break,
            },
            done = &mut *handle => {
                while let Ok(m) = rx.try_recv() {
                    sink.put(m);
                }
                if let Ok(resp) = done {
                    sink.put(resp.encode(id));
                }
                return;
            }
        }
    }
    if let Ok(resp) = handle.await {
        sink.put(resp.encode(id));
    }
}

/// The HTTP status of a JSON-RPC outcome.
fn status_of(response: &McpResponse, modern: bool) -> StatusCode {
    match response.error().map(|e| e.code) {
        Some(ErrorCode::PARSE_ERROR) | Some(ErrorCode::INVALID_REQUEST) => StatusCode::BAD_REQUEST,
        Some(ErrorCode::METHOD_NOT_FOUND) if modern => StatusCode::NOT_FOUND,
        Some(ErrorCode::HEADER_MISMATCH)
        | Some(ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY)
        | Some(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION)
            if modern =>
        {
            StatusCode::BAD_REQUEST
        }
        _ => StatusCode::OK,
    }
}

fn json_reply(
    id: &RequestId,
    done: Result<McpResponse, tokio::task::JoinError>,
    modern: bool,
) -> Response<ResponseBody> {
    match done {
        Ok(resp) => full(
            status_of(&resp, modern),
            Some("application/json"),
            resp.encode(id),
        ),
        // The POST of a request cancelled with `notifications/cancelled` must still end.
        Err(e) if e.is_cancelled() => error_response(
            StatusCode::OK,
            Some(id),
            &ErrorObject::internal("Request cancelled"),
        ),
        Err(_) => error_response(
            StatusCode::INTERNAL_SERVER_ERROR,
            Some(id),
            &ErrorObject::internal("Internal error"),
        ),
    }
}
