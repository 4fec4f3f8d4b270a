//! The Streamable HTTP client transport.
//!
//! [`HttpTransport`] turns the message channel the client engine expects into HTTP:
//!
//! * every request is a POST whose response is either one JSON object or an SSE stream
//!   carrying the request's notifications, server-to-client requests and finally its
//!   response; notifications and responses are POSTs answered `202 Accepted`, sent in order;
//! * 2026-07-28 requests carry `MCP-Protocol-Version`, `Mcp-Method`, `Mcp-Name` and the
//!   `Mcp-Param-*` headers of the tool's `x-mcp-header` annotations (learnt from `tools/list`,
//!   whose tools with invalid annotations are dropped); cancelling such a request closes its
//!   stream;
//! * legacy sessions keep the `Mcp-Session-Id` from `initialize`, open the GET stream for
//!   server-initiated messages once initialized, resume broken streams with `Last-Event-ID`,
//!   start a new session transparently when the server answers 404 (the session expired),
//!   and are ended with DELETE when the transport closes;
//! * a server that refuses `initialize` by POST with 400, 404 or 405, without a JSON-RPC error
//!   only a 2026-07-28 server sends, is tried as a 2024-11-05 HTTP+SSE server (GET the URL,
//!   POST to the endpoint it names).
//!
//! HTTP failures of a request reach the caller as JSON-RPC errors of that request.
//!
//! Authorization: an [`AuthProvider`] set with [`HttpClientConfig::auth`] supplies the
//! `Authorization` header of every request and is asked what to do when the server answers
//! `401`, or `403` with `error="insufficient_scope"`; [`oauth::OAuthClient`] (feature `oauth`)
//! is the provider implementing MCP authorization (OAuth 2.1).

pub mod auth;
mod connect;
#[cfg(feature = "oauth")]
pub mod oauth;

pub use auth::{AuthProvider, BoxError, Challenge, Refusal};

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt as _;
use http::header::{ACCEPT, CONTENT_TYPE, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, StatusCode, Uri};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use mcpwire_core::jsonrpc::{self, ErrorCode, ErrorObject, RequestId};
use mcpwire_core::param_headers::HeaderParam;
use mcpwire_core::transport::{MessageSink, MessageStream, Transport, TransportError};
use mcpwire_core::types::Tool;
use mcpwire_core::{Era, ProtocolVersion};
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::Value;
use sse_stream::{Sse, SseStream};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::headers;

/// Why an [`HttpTransport`] could not be created.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum HttpClientError {
    /// The URL does not parse.
    #[error("invalid URL `{url}`: {reason}")]
    InvalidUrl {
        /// The URL given.
        url: String,
        /// Why it was refused.
        reason: String,
    },
    /// The URL's scheme is neither `http` nor (with the `tls` feature) `https`.
    #[error(
        "unsupported URL scheme in `{0}`: this transport speaks `http`, and `https` when mcpwire-http's `tls` feature is on"
    )]
    UnsupportedScheme(String),
    /// A configured header is not a valid HTTP header.
    #[error("invalid header `{0}`")]
    InvalidHeader(String),
}

/// Settings of an [`HttpTransport`].
#[derive(Clone)]
#[non_exhaustive]
pub struct HttpClientConfig {
    /// The MCP endpoint.
    pub url: Uri,
    /// Headers sent with every request (authorization, say).
    pub headers: HeaderMap,
    /// The largest message accepted from the server (default 64 MiB).
    pub max_message_bytes: usize,
    /// How many times in a row a broken stream is resumed before giving up (default 5).
    pub reconnect_attempts: u32,
    /// The delay before resuming when the server suggested none (default 1 s).
    pub reconnect_delay: Duration,
    /// Whether to open the session's GET stream for server-initiated messages (default `true`).
    pub open_get_stream: bool,
    /// Whether to try the 2024-11-05 HTTP+SSE transport when the server refuses POST
    /// (default `true`).
    pub legacy_sse_fallback: bool,
    /// What supplies the `Authorization` header and handles refusals (default: nothing).
    pub auth: Option<Arc<dyn AuthProvider>>,
    /// TLS settings for `https://` (feature `tls`; default: Mozilla's root certificates).
    tls: Option<connect::TlsConfig>,
}

impl std::fmt::Debug for HttpClientConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpClientConfig")
            .field("url", &self.url)
            .field("headers", &self.headers.keys().collect::<Vec<_>>())
            .field("max_message_bytes", &self.max_message_bytes)
            .field("reconnect_attempts", &self.reconnect_attempts)
            .field("reconnect_delay", &self.reconnect_delay)
            .field("open_get_stream", &self.open_get_stream)
            .field("legacy_sse_fallback", &self.legacy_sse_fallback)
            .field("auth", &self.auth.is_some())
            .finish()
    }
}

impl HttpClientConfig {
    /// The defaults for the endpoint at `url` (`http://host:port/path`).
    pub fn new(url: &str) -> Result<Self, HttpClientError> {
        let uri: Uri =
            url.parse()
                .map_err(|e: http::uri::InvalidUri| HttpClientError::InvalidUrl {
                    url: url.to_owned(),
                    reason: e.to_string(),
                })?;
        match uri.scheme_str() {
            s @ Some(_) if connect::supported_scheme(s) => {}
            Some(_) => return Err(HttpClientError::UnsupportedScheme(url.to_owned())),
            None => {
                return Err(HttpClientError::InvalidUrl {
                    url: url.to_owned(),
                    reason: "the URL needs a scheme and a host (http://host:port/path)".into(),
                });
            }
        }
        if uri.host().is_none() {
            return Err(HttpClientError::InvalidUrl {
                url: url.to_owned(),
                reason: "the URL has no host".into(),
            });
        }
        Ok(HttpClientConfig {
            url: uri,
            headers: HeaderMap::new(),
            max_message_bytes: 64 * 1024 * 1024,
            reconnect_attempts: 5,
            reconnect_delay: Duration::from_secs(1),
            open_get_stream: true,
            legacy_sse_fallback: true,
            auth: None,
            tls: None,
        })
    }

    /// Uses `config` for `https://` connections: your own root certificates (a private
    /// certificate authority, say) or client certificates.
    #[cfg(feature = "tls")]
    pub fn tls_config(mut self, config: Arc<rustls::ClientConfig>) -> Self {
        self.tls = Some(config);
        self
    }

    /// Authorizes requests with `provider` (an [`oauth::OAuthClient`], say): it supplies the
    /// `Authorization` header of every request and decides what happens when the server
    /// refuses one.
    pub fn auth(mut self, provider: impl AuthProvider) -> Self {
        self.auth = Some(Arc::new(provider));
        self
    }

    /// Authorizes requests with a provider already shared elsewhere.
    pub fn auth_shared(mut self, provider: Arc<dyn AuthProvider>) -> Self {
        self.auth = Some(provider);
        self
    }

    /// Adds a header sent with every request.
    pub fn header(mut self, name: &str, value: &str) -> Result<Self, HttpClientError> {
        let n = HeaderName::try_from(name)
            .map_err(|_| HttpClientError::InvalidHeader(name.to_owned()))?;
        let v = HeaderValue::try_from(value)
            .map_err(|_| HttpClientError::InvalidHeader(name.to_owned()))?;
        self.headers.append(n, v);
        Ok(self)
    }

    /// Sets `Authorization: Bearer {token}`.
    pub fn bearer_token(self, token: &str) -> Result<Self, HttpClientError> {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Sets the largest message accepted.
    pub fn max_message_bytes(mut self, bytes: usize) -> Self {
        self.max_message_bytes = bytes;
        self
    }

    /// Sets how often a broken stream is resumed in a row, and the default delay.
    pub fn reconnect(mut self, attempts: u32, delay: Duration) -> Self {
        self.reconnect_attempts = attempts;
        self.reconnect_delay = delay;
        self
    }

    /// Does not open the GET stream of legacy sessions.
    pub fn without_get_stream(mut self) -> Self {
        self.open_get_stream = false;
        self
    }

    /// Does not fall back to the 2024-11-05 HTTP+SSE transport.
    pub fn without_legacy_sse_fallback(mut self) -> Self {
        self.legacy_sse_fallback = false;
        self
    }
}

/// The client side of Streamable HTTP, for
/// [`ClientBuilder::connect`](mcpwire_core::client::ClientBuilder::connect).
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use mcpwire_core::client::Client;
/// use mcpwire_http::HttpTransport;
///
/// let client = Client::builder().connect(HttpTransport::new("http://127.0.0.1:3000/mcp")?).await?;
/// for tool in client.list_tools().await? {
///     println!("{}", tool.name);
/// }
/// # Ok(()) }
/// ```
pub struct HttpTransport {
    shared: Arc<Shared>,
    inbound: mpsc::UnboundedReceiver<Result<String, TransportError>>,
}

impl std::fmt::Debug for HttpTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpTransport")
            .field("url", &self.shared.config.url)
            .finish()
    }
}

impl HttpTransport {
    /// A transport to the endpoint at `url`, with the default settings.
    pub fn new(url: &str) -> Result<Self, HttpClientError> {
        Ok(Self::with_config(HttpClientConfig::new(url)?))
    }

    /// A transport with `config`.
    pub fn with_config(config: HttpClientConfig) -> Self {
        let client = HyperClient::builder(TokioExecutor::new())
            .build(connect::connector(config.tls.as_ref()));
        let (tx, rx) = mpsc::unbounded_channel();
        HttpTransport {
            shared: Arc::new(Shared {
                client,
                config,
                inbound: tx,
                state: Mutex::new(State::default()),
                reinit: tokio::sync::Mutex::new(()),
                closed: CancellationToken::new(),
            }),
            inbound: rx,
        }
    }
}

impl Transport for HttpTransport {
    type Sink = HttpSink;
    type Stream = HttpStream;

    fn split(self) -> (HttpSink, HttpStream) {
        (
            HttpSink {
                shared: self.shared.clone(),
            },
            HttpStream {
                closed: self.shared.closed.clone(),
                inbound: self.inbound,
            },
        )
    }
}

/// The sending half of [`HttpTransport`].
pub struct HttpSink {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for HttpSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpSink")
    }
}

/// The receiving half of [`HttpTransport`].
pub struct HttpStream {
    closed: CancellationToken,
    inbound: mpsc::UnboundedReceiver<Result<String, TransportError>>,
}

impl std::fmt::Debug for HttpStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HttpStream")
    }
}

impl MessageStream for HttpStream {
    async fn recv(&mut self) -> Option<Result<String, TransportError>> {
        tokio::select! {
            biased;
            m = self.inbound.recv() => m,
            () = self.closed.cancelled() => None,
        }
    }
}

impl MessageSink for HttpSink {
    async fn send(&mut self, message: String) -> Result<(), TransportError> {
        if self.shared.closed.is_cancelled() {
            return Err(TransportError::Closed);
        }
        self.shared.clone().send(message).await;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        self.shared.close().await;
        Ok(())
    }
}

impl Drop for HttpSink {
    fn drop(&mut self) {
        self.shared.abort_all();
    }
}

// ---------- internals ----------

type Body = Full<Bytes>;

struct InFlight {
    method: Arc<str>,
    modern: bool,
    abort: Option<tokio::task::AbortHandle>,
    /// The response reached the engine (possibly on another stream than the request's).
    answered: bool,
}

#[derive(Default)]
struct State {
    session_id: Option<HeaderValue>,
    /// The revision negotiated by `initialize`, sent as `MCP-Protocol-Version`.
    legacy_version: Option<HeaderValue>,
    /// The `initialize` request, replayed when the session expires.
    initialize: Option<String>,
    inflight: HashMap<RequestId, InFlight>,
    /// `x-mcp-header` parameters of the tools seen in `tools/list`.
    tools: HashMap<String, Arc<[HeaderParam]>>,
    get_stream: Option<tokio::task::AbortHandle>,
    /// The endpoint of a 2024-11-05 HTTP+SSE server, once found.
    legacy_sse: Option<Uri>,
    legacy_sse_stream: Option<tokio::task::AbortHandle>,
}

struct Shared {
    client: HyperClient<connect::Connector, Body>,
    config: HttpClientConfig,
    inbound: mpsc::UnboundedSender<Result<String, TransportError>>,
    state: Mutex<State>,
    /// Serialises starting a new session after a 404.
    reinit: tokio::sync::Mutex<()>,
    closed: CancellationToken,
}

/// What the transport needs to know about an outgoing message.
#[derive(Deserialize)]
struct Outgoing {
    #[serde(default)]
    id: Option<RequestId>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<OutParams>,
}

#[derive(Deserialize, Default)]
struct OutParams {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    uri: Option<String>,
    /// Kept raw: only tools with `x-mcp-header` parameters need it parsed.
    #[serde(default)]
    arguments: Option<Box<serde_json::value::RawValue>>,
    #[serde(rename = "requestId", default)]
    request_id: Option<RequestId>,
    #[serde(rename = "taskId", default)]
    task_id: Option<String>,
    #[serde(rename = "_meta", default)]
    meta: Option<MetaProbe>,
}

#[derive(Deserialize, Default)]
struct MetaProbe {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", default)]
    protocol_version: Option<String>,
}

/// What the transport needs to know about an incoming message.
#[derive(Deserialize)]
struct IncomingProbe {
    #[serde(default)]
    id: Option<RequestId>,
    #[serde(default)]
    method: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ResultOf<T> {
    result: T,
}

#[derive(Deserialize)]
struct InitializeProbe {
    #[serde(rename = "protocolVersion")]
    protocol_version: String,
}

#[derive(Deserialize)]
struct ToolsProbe {
    tools: Vec<Tool>,
}

/// How a POST ended, for the request it carried.
enum Outcome {
    /// The response reached the engine.
    Answered,
    /// The stream ended after event `last_id`, without the response.
    Broken {
        last_id: Option<String>,
        retry: Option<Duration>,
    },
    /// The session is gone (404 to a request carrying a session id).
    SessionGone,
    /// The server refuses POSTs to this URL (400, 404 or 405 to `initialize`, without a
    /// modern JSON-RPC error): the status and the body.
    PostRefused(StatusCode, String),
    /// A 2026-07-28 tool call was refused for its `Mcp-Param-*` headers (the tool is unknown
    /// to us or changed): the error body, relayed unless listing the tools helps.
    ParamHeadersStale(String),
}

fn error_text(id: &RequestId, code: ErrorCode, message: String) -> String {
    jsonrpc::encode_error(Some(id), &ErrorObject::new(code, message))
}

fn header_value(v: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(v).ok()
}

impl Shared {
    fn deliver(&self, text: String) {
        let _ = self.inbound.send(Ok(text));
    }

    /// Passes a message from the server to the engine, learning from responses on the way;
    /// returns the id when it is a response.
    fn incoming(&self, text: String) -> Option<RequestId> {
        let probe: IncomingProbe = match serde_json::from_str(&text) {
            Ok(p) => p,
            Err(_) => {
                // Not ours to judge: the engine answers malformed messages.
                self.deliver(text);
                return None;
            }
        };
        let response_id = match (probe.id, probe.method) {
            (Some(id), None) => Some(id),
            _ => None,
        };
        let Some(id) = response_id else {
            self.deliver(text);
            return None;
        };
        let method = {
            let mut state = self.state.lock().unwrap();
            match state.inflight.get_mut(&id) {
                Some(f) => {
                    let m = f.method.clone();
                    f.answered = true;
                    if f.abort.is_none() {
                        // No task owns the entry (2024-11-05 transport): forget it now.
                        state.inflight.remove(&id);
                    }
                    Some(m)
                }
                None => None,
            }
        };
        let text = match method.as_deref() {
            Some("initialize") => {
                if let Ok(r) = serde_json::from_str::<ResultOf<InitializeProbe>>(&text) {
                    self.state.lock().unwrap().legacy_version =
                        header_value(&r.result.protocol_version);
                }
                text
            }
            Some("tools/list") => self.learn_tools(text),
            _ => text,
        };
        self.deliver(text);
        Some(id)
    }

    /// Remembers the `x-mcp-header` parameters of listed tools; drops tools whose
    /// annotations are invalid, as the spec requires.
    fn learn_tools(&self, text: String) -> String {
        let Ok(list) = serde_json::from_str::<ResultOf<ToolsProbe>>(&text) else {
            return text;
        };
        let mut invalid = Vec::new();
        {
            let mut state = self.state.lock().unwrap();
            for tool in &list.result.tools {
                match headers::header_params(&tool.input_schema) {
                    Ok(p) if p.is_empty() => {
                        state.tools.remove(&tool.name);
                    }
                    Ok(p) => {
                        state.tools.insert(tool.name.clone(), p.into());
                    }
                    Err(why) => {
                        tracing::warn!(tool = %tool.name, "dropping a tool with an invalid x-mcp-header annotation: {why}");
                        state.tools.remove(&tool.name);
                        invalid.push(tool.name.clone());
                    }
                }
            }
        }
        if invalid.is_empty() {
            return text;
        }
        let Ok(mut v) = serde_json::from_str::<Value>(&text) else {
            return text;
        };
        if let Some(tools) = v.pointer_mut("/result/tools").and_then(Value::as_array_mut) {
            tools.retain(|t| {
                !t.get("name")
                    .and_then(Value::as_str)
                    .is_some_and(|n| invalid.iter().any(|i| i == n))
            });
        }
        v.to_string()
    }

    async fn send(self: Arc<Self>, text: String) {
        let out: Outgoing = match serde_json::from_str(&text) {
            Ok(o) => o,
            Err(_) => {
                // The engine only sends messages; a batch or anything else goes as is.
                let _ = self.post(text, HeaderMap::new(), None).await;
                return;
            }
        };
        match (out.id, out.method) {
            (Some(id), Some(method)) => {
                self.send_request(id, method, out.params.unwrap_or_default(), text)
            }
            (None, Some(method)) => {
                self.send_notification(&method, out.params.unwrap_or_default(), text)
                    .await
            }
            (_, None) => {
                // A response to a server-to-client request.
                if let Err(e) = self.post_and_drain(text, HeaderMap::new()).await {
                    tracing::debug!(error = %e, "posting a response failed");
                }
            }
        }
    }

    fn send_request(
        self: &Arc<Self>,
        id: RequestId,
        method: String,
        params: OutParams,
        text: String,
    ) {
        let modern_version = params
            .meta
            .as_ref()
            .and_then(|m| m.protocol_version.as_deref())
            .filter(|v| ProtocolVersion::parse(v).is_some_and(|v| v.era() == Era::Modern))
            .map(str::to_owned);
        let mut extra = HeaderMap::new();
        if let Some(version) = &modern_version {
            if let Some(v) = header_value(version) {
                extra.insert(headers::PROTOCOL_VERSION, v);
            }
            if let Some(v) = header_value(&method) {
                extra.insert(headers::METHOD, v);
            }
            let name = match method.as_str() {
                "tools/call" | "prompts/get" => params.name.as_deref(),
                "resources/read" => params.uri.as_deref(),
                // Tasks extension: intermediaries route a task's requests on its id.
                "tasks/get" | "tasks/update" | "tasks/cancel" => params.task_id.as_deref(),
                _ => None,
            };
            if let Some(v) = name.and_then(|n| header_value(&headers::encode_value(n))) {
                extra.insert(headers::NAME, v);
            }
            if method == "tools/call" {
                self.param_headers(&params, &mut extra);
            }
        }
        if method == "initialize" {
            self.state.lock().unwrap().initialize = Some(text.clone());
        }
        let method: Arc<str> = method.into();
        let mut state = self.state.lock().unwrap();
        let legacy_sse = state.legacy_sse.is_some();
        let abort = if legacy_sse {
            // 2024-11-05: the response arrives on the session's stream.
            let this = self.clone();
            tokio::spawn(async move {
                if let Err(e) = this.post_and_drain(text, extra).await {
                    tracing::debug!(error = %e, "posting a request failed");
                }
            });
            None
        } else {
            let this = self.clone();
            let task_id = id.clone();
            let task_method = method.clone();
            Some(
                tokio::spawn(async move {
                    this.run_request(&task_id, &task_method, text, extra).await;
                    let mut state = this.state.lock().unwrap();
                    // An entry without a task awaits its response on the 2024-11-05 stream.
                    if state
                        .inflight
                        .get(&task_id)
                        .is_some_and(|f| f.abort.is_some())
                    {
                        state.inflight.remove(&task_id);
                    }
                })
                .abort_handle(),
            )
        };
        state.inflight.insert(
            id,
            InFlight {
                method,
                modern: modern_version.is_some(),
                abort,
                answered: false,
            },
        );
    }

    fn param_headers(&self, params: &OutParams, extra: &mut HeaderMap) {
        let Some(name) = params.name.as_deref() else {
            return;
        };
        let Some(tool) = self.state.lock().unwrap().tools.get(name).cloned() else {
            return;
        };
        if tool.is_empty() {
            return;
        }
        let args = params
            .arguments
            .as_ref()
            .and_then(|a| serde_json::from_str(a.get()).ok())
            .unwrap_or_else(|| Value::Object(Default::default()));
        let args = &args;
        for p in tool.iter() {
            let Some(value) = headers::param_value(args, p) else {
                continue;
            };
            let name = HeaderName::try_from(format!("{}{}", headers::PARAM_PREFIX, p.header));
            if let (Ok(n), Some(v)) = (name, header_value(&headers::encode_value(&value))) {
                extra.insert(n, v);
            }
        }
    }

    async fn send_notification(self: Arc<Self>, method: &str, params: OutParams, text: String) {
        if method == "notifications/cancelled" {
            let target = params
                .request_id
                .and_then(|id| self.state.lock().unwrap().inflight.remove(&id));
            if let Some(f) = &target
                && f.modern
            {
                // 2026-07-28: closing the request's stream is the cancellation.
                if let Some(a) = &f.abort {
                    a.abort();
                }
                return;
            }
            if let Err(e) = self.post_and_drain(text, HeaderMap::new()).await {
                tracing::debug!(error = %e, "posting a cancellation failed");
            }
            if let Some(a) = target.and_then(|f| f.abort) {
                a.abort();
            }
            return;
        }
        if let Err(e) = self.post_and_drain(text, HeaderMap::new()).await {
            tracing::debug!(error = %e, "posting a notification failed");
        }
        if method == "notifications/initialized" {
            self.open_get_stream().await;
        }
    }

    /// The URL messages are POSTed to.
    fn post_url(&self) -> Uri {
        self.state
            .lock()
            .unwrap()
            .legacy_sse
            .clone()
            .unwrap_or_else(|| self.config.url.clone())
    }

    fn request(&self, method: Method, uri: Uri, extra: HeaderMap, body: Bytes) -> Request<Body> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method.clone();
        *req.uri_mut() = uri;
        let h = req.headers_mut();
        for (k, v) in &self.config.headers {
            h.append(k, v.clone());
        }
        if method == Method::POST {
            h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            h.insert(
                ACCEPT,
                HeaderValue::from_static("application/json, text/event-stream"),
            );
        } else if method == Method::GET {
            h.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        }
        {
            let state = self.state.lock().unwrap();
            if state.legacy_sse.is_none()
                && let Some(s) = &state.session_id
            {
                h.insert(headers::SESSION_ID, s.clone());
            }
            if !extra.contains_key(headers::PROTOCOL_VERSION)
                && let Some(v) = &state.legacy_version
            {
                h.insert(headers::PROTOCOL_VERSION, v.clone());
            }
        }
        for (k, v) in extra {
            if let Some(k) = k {
                h.insert(k, v);
            }
        }
        req
    }

    async fn post(
        &self,
        text: String,
        extra: HeaderMap,
        uri: Option<Uri>,
    ) -> Result<http::Response<Incoming>, String> {
        let uri = uri.unwrap_or_else(|| self.post_url());
        let req = self.request(Method::POST, uri, extra, Bytes::from(text));
        self.execute(req).await
    }

    /// Sends `req`, with the `Authorization` header of the configured provider, and sends it
    /// again when the provider resolved a refusal (at most [`AUTH_ROUNDS`] times).
    async fn execute(&self, req: Request<Body>) -> Result<http::Response<Incoming>, String> {
        let Some(auth) = self.config.auth.clone() else {
            return self.client.request(req).await.map_err(|e| error_chain(&e));
        };
        let (parts, body) = req.into_parts();
        let body = body
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let mut round = 0;
        loop {
            let (mut attempt, ()) = Request::new(()).into_parts();
            attempt.method = parts.method.clone();
            attempt.uri = parts.uri.clone();
            attempt.headers = parts.headers.clone();
            auth.authorize(&mut attempt)
                .await
                .map_err(|e| format!("authorization failed: {}", error_chain(&*e)))?;
            let header = attempt.headers.get(http::header::AUTHORIZATION).cloned();
            let req = Request::from_parts(attempt, Full::new(body.clone()));
            let resp = self
                .client
                .request(req)
                .await
                .map_err(|e| error_chain(&e))?;
            let status = resp.status();
            if round >= AUTH_ROUNDS
                || !(status == StatusCode::UNAUTHORIZED || status == StatusCode::FORBIDDEN)
            {
                return Ok(resp);
            }
            let refusal = Refusal::new(status, parts.uri.clone(), resp.headers(), header);
            if status == StatusCode::FORBIDDEN && !refusal.is_insufficient_scope() {
                return Ok(resp);
            }
            if self.closed.is_cancelled() {
                return Ok(resp);
            }
            match auth.on_refusal(&refusal).await {
                Ok(true) => {
                    // Read what is left of the refusal so the connection can be reused.
                    let _ = tokio::time::timeout(
                        Duration::from_secs(1),
                        Limited::new(resp.into_body(), 64 * 1024).collect(),
                    )
                    .await;
                    round += 1;
                }
                Ok(false) => return Ok(resp),
                Err(e) => return Err(format!("authorization failed: {}", error_chain(&*e))),
            }
        }
    }

    /// POSTs a notification or response and waits for the server to take it.
    async fn post_and_drain(&self, text: String, extra: HeaderMap) -> Result<(), String> {
        let resp = self.post(text, extra, None).await?;
        let status = resp.status();
        let _ = resp.into_body().collect().await;
        if status.is_success() {
            Ok(())
        } else {
            Err(format!("the server answered {status}"))
        }
    }

    /// Runs one request to completion: POST, read the answer, resume or start a new session
    /// as needed; the engine always gets a response.
    async fn run_request(
        self: &Arc<Self>,
        id: &RequestId,
        method: &str,
        text: String,
        mut extra: HeaderMap,
    ) {
        let mut renewed = false;
        // A modern tool call refused for its Mcp-Param-* headers is retried once after
        // `tools/list`, as the spec advises.
        let mut params_retry = method == "tools/call" && extra.contains_key(headers::METHOD);
        loop {
            let had_session = self.state.lock().unwrap().session_id.clone();
            let resp = match self.post(text.clone(), extra.clone(), None).await {
                Ok(r) => r,
                Err(e) => {
                    self.deliver(error_text(
                        id,
                        ErrorCode::INTERNAL_ERROR,
                        format!("HTTP request to {} failed: {e}", self.config.url),
                    ));
                    return;
                }
            };
            let outcome = self
                .read_answer(resp, id, method, had_session.is_some(), params_retry)
                .await;
            match outcome {
                Outcome::Answered => return,
                Outcome::ParamHeadersStale(body) => {
                    params_retry = false;
                    let changed = self.refresh_tools(&extra, &text).await
                        && self.refresh_param_headers(&text, &mut extra);
                    if !changed {
                        // Nothing new to send: the server's refusal is the answer.
                        if !self.relay_json(&body, id) {
                            self.deliver(error_text(
                                id,
                                ErrorCode::HEADER_MISMATCH,
                                format!(
                                    "the server refused the request's headers: {}",
                                    truncate(body.trim(), 200)
                                ),
                            ));
                        }
                        return;
                    }
                }
                Outcome::SessionGone if !renewed && method != "initialize" => {
                    renewed = true;
                    if let Err(e) = self.renew_session(had_session).await {
                        self.deliver(error_text(
                            id,
                            ErrorCode::INTERNAL_ERROR,
                            format!("the session expired and a new one could not be started: {e}"),
                        ));
                        return;
                    }
                }
                Outcome::SessionGone => {
                    self.deliver(error_text(
                        id,
                        ErrorCode::INTERNAL_ERROR,
                        "the server no longer knows this session".into(),
                    ));
                    return;
                }
                Outcome::PostRefused(status, body) => {
                    match self.clone().open_legacy_sse().await {
                        Ok(endpoint) => {
                            // Re-send the initialize to the endpoint; the answer comes on the stream.
                            self.state
                                .lock()
                                .unwrap()
                                .inflight
                                .entry(id.clone())
                                .and_modify(|f| f.abort = None);
                            if let Err(e) = self.post(text, HeaderMap::new(), Some(endpoint)).await
                            {
                                self.deliver(error_text(
                                    id,
                                    ErrorCode::INTERNAL_ERROR,
                                    format!("HTTP request failed: {e}"),
                                ));
                            }
                        }
                        Err(e) => {
                            let detail = body.trim();
                            let detail = if detail.is_empty() {
                                String::new()
                            } else {
                                format!(" ({})", truncate(detail, 200))
                            };
                            self.deliver(error_text(
                                id,
                                ErrorCode::INVALID_REQUEST,
                                format!("the server refused the request with HTTP {status}{detail}, and is not a 2024-11-05 HTTP+SSE server either: {e}"),
                            ))
                        }
                    }
                    return;
                }
                Outcome::Broken { last_id, retry } => {
                    if !self.resume(id, last_id, retry).await && !self.answered(id) {
                        self.deliver(error_text(
                            id,
                            ErrorCode::INTERNAL_ERROR,
                            "the server closed the response stream before answering".into(),
                        ));
                    }
                    return;
                }
            }
        }
    }

    /// Reads the answer to a POSTed request.
    async fn read_answer(
        &self,
        resp: http::Response<Incoming>,
        id: &RequestId,
        method: &str,
        had_session: bool,
        params_retry: bool,
    ) -> Outcome {
        let status = resp.status();
        if status == StatusCode::NOT_FOUND && had_session {
            return Outcome::SessionGone;
        }
        if method == "initialize"
            && !had_session
            && self.config.legacy_sse_fallback
            && matches!(
                status,
                StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND | StatusCode::METHOD_NOT_ALLOWED
            )
        {
            // A modern server explains itself with a JSON-RPC error of its own; anything else
            // (an empty body, a page, a generic error) may be a 2024-11-05 HTTP+SSE server.
            let body = Limited::new(resp.into_body(), self.config.max_message_bytes)
                .collect()
                .await
                .map(|b| String::from_utf8_lossy(&b.to_bytes()).into_owned())
                .unwrap_or_default();
            if is_modern_error(&body) && self.relay_json(&body, id) {
                return Outcome::Answered;
            }
            return Outcome::PostRefused(status, body);
        }
        if method == "initialize"
            && status.is_success()
            && let Some(s) = resp.headers().get(headers::SESSION_ID)
        {
            self.state.lock().unwrap().session_id = Some(s.clone());
        }
        if status == StatusCode::ACCEPTED {
            self.deliver(error_text(
                id,
                ErrorCode::INTERNAL_ERROR,
                "the server accepted the request without answering it".into(),
            ));
            return Outcome::Answered;
        }
        if is_sse(resp.headers()) && status.is_success() {
            return self.read_stream(resp.into_body(), Some(id)).await;
        }
        let body = match Limited::new(resp.into_body(), self.config.max_message_bytes)
            .collect()
            .await
        {
            Ok(b) => b.to_bytes(),
            Err(e) => {
                self.deliver(error_text(
                    id,
                    ErrorCode::INTERNAL_ERROR,
                    format!("reading the response failed: {e}"),
                ));
                return Outcome::Answered;
            }
        };
        let text = String::from_utf8_lossy(&body).into_owned();
        // The server cannot say which header in a way a program reads: the call is retried if
        // listing the tools changes its headers.
        if params_retry
            && status == StatusCode::BAD_REQUEST
            && error_code(&text) == Some(ErrorCode::HEADER_MISMATCH)
        {
            return Outcome::ParamHeadersStale(text);
        }
        if self.relay_json(&text, id) {
            return Outcome::Answered;
        }
        let detail = text.trim();
        let detail = if detail.is_empty() {
            String::new()
        } else {
            format!(": {}", truncate(detail, 200))
        };
        let code = if status.is_client_error() {
            ErrorCode::INVALID_REQUEST
        } else {
            ErrorCode::INTERNAL_ERROR
        };
        self.deliver(error_text(
            id,
            code,
            format!("the server answered HTTP {status}{detail}"),
        ));
        Outcome::Answered
    }

    /// Relays a JSON body (one message or a batch); `true` when it held the response to `id`.
    fn relay_json(&self, text: &str, id: &RequestId) -> bool {
        let Ok(value) = serde_json::from_str::<Value>(text) else {
            return false;
        };
        let items = match value {
            Value::Array(items) => items,
            v @ Value::Object(_) => vec![v],
            _ => return false,
        };
        let mut answered = false;
        for item in items {
            // An error about the request without its id (a 400 with `id: null`) is ours.
            let is_orphan_error =
                item.get("error").is_some() && item.get("id").is_none_or(Value::is_null);
            let text = if is_orphan_error {
                let error = item
                    .get("error")
                    .cloned()
                    .and_then(|e| serde_json::from_value::<ErrorObject>(e).ok())
                    .unwrap_or_else(|| ErrorObject::internal("the server answered with an error"));
                jsonrpc::encode_error(Some(id), &error)
            } else {
                item.to_string()
            };
            if self.incoming(text).as_ref() == Some(id) {
                answered = true;
            }
        }
        answered
    }

    /// Relays the messages of an SSE stream until it ends or carries the response to `id`.
    async fn read_stream(&self, body: Incoming, id: Option<&RequestId>) -> Outcome {
        let mut events = SseStream::new(body);
        let mut last_id = None;
        let mut retry = None;
        while let Some(event) = events.next().await {
            let Ok(event) = event else { break };
            let Sse {
                event: kind,
                data,
                id: event_id,
                retry: r,
            } = event;
            if let Some(e) = event_id {
                last_id = Some(e);
            }
            if let Some(r) = r {
                retry = Some(Duration::from_millis(r));
            }
            let Some(data) = data.filter(|d| !d.is_empty()) else {
                continue;
            };
            if kind.as_deref().is_some_and(|k| k != "message") {
                continue;
            }
            if data.len() > self.config.max_message_bytes {
                let _ = self.inbound.send(Err(TransportError::TooLarge {
                    limit: self.config.max_message_bytes,
                }));
                continue;
            }
            let answered = self.incoming(data);
            if id.is_some() && answered.as_ref() == id {
                return Outcome::Answered;
            }
        }
        Outcome::Broken { last_id, retry }
    }

    /// Lists the tools again (2026-07-28, with the `_meta` of request `original`) to learn
    /// their `x-mcp-header` annotations, following every page; `false` on any failure.
    async fn refresh_tools(&self, extra: &HeaderMap, original: &str) -> bool {
        let mut meta = serde_json::from_str::<Value>(original)
            .ok()
            .and_then(|v| v.pointer("/params/_meta").cloned())
            .unwrap_or_else(|| Value::Object(Default::default()));
        if let Some(m) = meta.as_object_mut() {
            m.remove("progressToken");
        }
        let mut headers = HeaderMap::new();
        if let Some(v) = extra.get(headers::PROTOCOL_VERSION) {
            headers.insert(headers::PROTOCOL_VERSION, v.clone());
        }
        headers.insert(headers::METHOD, HeaderValue::from_static("tools/list"));
        let mut cursor: Option<Value> = None;
        // A bound on the pages, against a server whose cursors go round in circles.
        for page in 0..100 {
            let id = format!("mcpwire-http/tools/list/{page}");
            let mut params = serde_json::json!({ "_meta": meta });
            if let Some(c) = cursor.take() {
                params["cursor"] = c;
            }
            let body = serde_json::json!({
                "jsonrpc": "2.0", "id": id, "method": "tools/list", "params": params
            });
            let Ok(resp) = self.post(body.to_string(), headers.clone(), None).await else {
                return false;
            };
            if !resp.status().is_success() {
                return false;
            }
            let ours = |v: &Value| v.get("id").and_then(Value::as_str) == Some(id.as_str());
            let answer = if is_sse(resp.headers()) {
                let mut events = SseStream::new(resp.into_body());
                let mut found = None;
                while let Some(Ok(e)) = events.next().await {
                    if let Some(v) = e
                        .data
                        .and_then(|d| serde_json::from_str::<Value>(&d).ok())
                        .filter(ours)
                    {
                        found = Some(v);
                        break;
                    }
                }
                found
            } else {
                Limited::new(resp.into_body(), self.config.max_message_bytes)
                    .collect()
                    .await
                    .ok()
                    .and_then(|b| serde_json::from_slice::<Value>(&b.to_bytes()).ok())
            };
            let Some(v) = answer.filter(|v| ours(v) && v.pointer("/result/tools").is_some()) else {
                return false;
            };
            cursor = v
                .pointer("/result/nextCursor")
                .filter(|c| !c.is_null())
                .cloned();
            self.learn_tools(v.to_string());
            if cursor.is_none() {
                return true;
            }
        }
        false
    }

    /// Replaces the `Mcp-Param-*` headers of tool call `original` by what the tools now say;
    /// `true` when they changed.
    fn refresh_param_headers(&self, original: &str, extra: &mut HeaderMap) -> bool {
        let params_of = |h: &HeaderMap| -> Vec<(HeaderName, HeaderValue)> {
            let mut v: Vec<_> = h
                .iter()
                .filter(|(k, _)| k.as_str().starts_with(headers::PARAM_PREFIX))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            v.sort_by(|a, b| a.0.as_str().cmp(b.0.as_str()));
            v
        };
        let before = params_of(extra);
        for (k, _) in &before {
            extra.remove(k);
        }
        if let Ok(out) = serde_json::from_str::<Outgoing>(original) {
            self.param_headers(&out.params.unwrap_or_default(), extra);
        }
        params_of(extra) != before
    }

    /// Whether the response to `id` already reached the engine.
    fn answered(&self, id: &RequestId) -> bool {
        self.state
            .lock()
            .unwrap()
            .inflight
            .get(id)
            .is_some_and(|f| f.answered)
    }

    /// Resumes a broken response stream with `Last-Event-ID` (legacy sessions).
    async fn resume(
        &self,
        id: &RequestId,
        mut last_id: Option<String>,
        mut retry: Option<Duration>,
    ) -> bool {
        for _ in 0..self.config.reconnect_attempts {
            if self.answered(id) {
                // The response came another way (the session's GET stream, say).
                return true;
            }
            let Some(last) = last_id.clone() else {
                return false;
            };
            if self.state.lock().unwrap().session_id.is_none() {
                return false;
            }
            tokio::time::sleep(retry.unwrap_or(self.config.reconnect_delay)).await;
            let mut extra = HeaderMap::new();
            if let Some(v) = header_value(&last) {
                extra.insert(headers::LAST_EVENT_ID, v);
            }
            let req = self.request(Method::GET, self.config.url.clone(), extra, Bytes::new());
            let Ok(resp) = self.execute(req).await else {
                continue;
            };
            if !resp.status().is_success() || !is_sse(resp.headers()) {
                return false;
            }
            match self.read_stream(resp.into_body(), Some(id)).await {
                Outcome::Answered => return true,
                Outcome::Broken {
                    last_id: l,
                    retry: r,
                } => {
                    last_id = l.or(last_id);
                    retry = r.or(retry);
                }
                _ => return false,
            }
        }
        false
    }

    /// Starts a new session after the server forgot ours, by replaying `initialize`.
    async fn renew_session(self: &Arc<Self>, expired: Option<HeaderValue>) -> Result<(), String> {
        let _one_at_a_time = self.reinit.lock().await;
        let init = {
            let mut state = self.state.lock().unwrap();
            if state.session_id != expired {
                // Someone else already renewed it.
                return Ok(());
            }
            state.session_id = None;
            if let Some(a) = state.get_stream.take() {
                a.abort();
            }
            state.initialize.clone()
        };
        let init = init.ok_or("no initialize request to replay")?;
        let resp = self.post(init, HeaderMap::new(), None).await?;
        if !resp.status().is_success() {
            return Err(format!("initialize was answered HTTP {}", resp.status()));
        }
        let session = resp.headers().get(headers::SESSION_ID).cloned();
        // The answer is the engine's business no more: read and drop it.
        let _ = resp.into_body().collect().await;
        self.state.lock().unwrap().session_id = session;
        let initialized = jsonrpc::encode_notification::<()>("notifications/initialized", None)
            .map_err(|e| e.to_string())?;
        self.post_and_drain(initialized, HeaderMap::new()).await?;
        self.open_get_stream().await;
        Ok(())
    }

    /// Opens the GET stream of a legacy session, keeping it open until the transport closes,
    /// and waits (at most 5 s) until the server answered the GET: servers drop messages for
    /// a stream that is not open yet, so later requests must not overtake it.
    async fn open_get_stream(self: &Arc<Self>) {
        if !self.config.open_get_stream || self.closed.is_cancelled() {
            return;
        }
        let (opened, answered) = tokio::sync::oneshot::channel();
        {
            let mut state = self.state.lock().unwrap();
            if state.session_id.is_none() || state.legacy_sse.is_some() {
                return;
            }
            if let Some(old) = state.get_stream.take() {
                old.abort();
            }
            let this = self.clone();
            state.get_stream = Some(
                tokio::spawn(async move { this.get_stream_loop(opened).await }).abort_handle(),
            );
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), answered).await;
    }

    async fn get_stream_loop(self: Arc<Self>, opened: tokio::sync::oneshot::Sender<()>) {
        let mut opened = Some(opened);
        let mut last_id: Option<String> = None;
        let mut retry = None;
        let mut failures = 0;
        loop {
            let mut extra = HeaderMap::new();
            if let Some(v) = last_id.as_deref().and_then(header_value) {
                extra.insert(headers::LAST_EVENT_ID, v);
            }
            let req = self.request(Method::GET, self.config.url.clone(), extra, Bytes::new());
            let answer = self.execute(req).await;
            if let Some(tx) = opened.take() {
                let _ = tx.send(());
            }
            match answer {
                Ok(resp) if resp.status().is_success() && is_sse(resp.headers()) => {
                    failures = 0;
                    if let Outcome::Broken {
                        last_id: l,
                        retry: r,
                    } = self.read_stream(resp.into_body(), None).await
                    {
                        last_id = l.or(last_id);
                        retry = r.or(retry);
                    }
                }
                // 405: the server offers no such stream. 404: the session is gone; the next
                // request starts a new one and reopens the stream.
                Ok(_) => return,
                Err(_) => failures += 1,
            }
            if failures > self.config.reconnect_attempts {
                return;
            }
            tokio::time::sleep(retry.unwrap_or(self.config.reconnect_delay)).await;
        }
    }

    /// Connects to a 2024-11-05 HTTP+SSE server: GET the URL, wait for the `endpoint` event.
    async fn open_legacy_sse(self: Arc<Self>) -> Result<Uri, String> {
        let req = self.request(
            Method::GET,
            self.config.url.clone(),
            HeaderMap::new(),
            Bytes::new(),
        );
        let resp = self.execute(req).await?;
        if !resp.status().is_success() || !is_sse(resp.headers()) {
            return Err(format!("GET answered HTTP {}", resp.status()));
        }
        let mut events = SseStream::new(resp.into_body());
        let endpoint = loop {
            match tokio::time::timeout(Duration::from_secs(10), events.next()).await {
                Ok(Some(Ok(e))) if e.event.as_deref() == Some("endpoint") => {
                    break e.data.unwrap_or_default();
                }
                Ok(Some(Ok(_))) => continue,
                Ok(_) => return Err("the stream ended before naming its endpoint".into()),
                Err(_) => return Err("no endpoint event within 10 s".into()),
            }
        };
        let endpoint = resolve(&self.config.url, endpoint.trim())?;
        self.state.lock().unwrap().legacy_sse = Some(endpoint.clone());
        let this = self.clone();
        let task = tokio::spawn(async move {
            while let Some(event) = events.next().await {
                let Ok(event) = event else { break };
                if event.event.as_deref().is_some_and(|k| k != "message") {
                    continue;
                }
                if let Some(data) = event.data.filter(|d| !d.is_empty()) {
                    this.incoming(data);
                }
            }
            // The stream is the session: without it nothing more arrives.
            let _ = this.inbound.send(Err(TransportError::Closed));
        });
        self.state.lock().unwrap().legacy_sse_stream = Some(task.abort_handle());
        Ok(endpoint)
    }

    fn abort_all(&self) {
        let mut state = self.state.lock().unwrap();
        for (_, f) in state.inflight.drain() {
            if let Some(a) = f.abort {
                a.abort();
            }
        }
        if let Some(a) = state.get_stream.take() {
            a.abort();
        }
        if let Some(a) = state.legacy_sse_stream.take() {
            a.abort();
        }
    }

    async fn close(&self) {
        if self.closed.is_cancelled() {
            return;
        }
        self.abort_all();
        let session = {
            let state = self.state.lock().unwrap();
            state.session_id.is_some() && state.legacy_sse.is_none()
        };
        if session {
            // End the session; a server that does not allow it answers 405, which is fine.
            let req = self.request(
                Method::DELETE,
                self.config.url.clone(),
                HeaderMap::new(),
                Bytes::new(),
            );
            let _ = tokio::time::timeout(Duration::from_secs(5), self.execute(req)).await;
        }
        self.closed.cancel();
    }
}

fn content_type(h: &HeaderMap) -> String {
    h.get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase()
}

fn is_sse(h: &HeaderMap) -> bool {
    content_type(h).starts_with("text/event-stream")
}

/// The code of a JSON-RPC error body.
fn error_code(body: &str) -> Option<ErrorCode> {
    #[derive(Deserialize)]
    struct Envelope {
        error: Code,
    }
    #[derive(Deserialize)]
    struct Code {
        code: ErrorCode,
    }
    serde_json::from_str::<Envelope>(body)
        .ok()
        .map(|e| e.error.code)
}

/// Whether `body` is a JSON-RPC error only a 2026-07-28 server sends about a request it
/// refused (header mismatch, missing capability, unsupported version, unknown method).
fn is_modern_error(body: &str) -> bool {
    error_code(body).is_some_and(|c| {
        [
            ErrorCode::HEADER_MISMATCH,
            ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
            ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
            ErrorCode::METHOD_NOT_FOUND,
        ]
        .contains(&c)
    })
}

/// How many times one request is sent again after its provider resolved a refusal.
const AUTH_ROUNDS: u32 = 3;

/// An error with its sources, on one line.
fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut msg = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let s_text = s.to_string();
        if !msg.contains(&s_text) {
            msg = format!("{msg}: {s_text}");
        }
        source = s.source();
    }
    msg
}

fn truncate(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// Resolves the endpoint a 2024-11-05 server names against its base URL.
fn resolve(base: &Uri, endpoint: &str) -> Result<Uri, String> {
    if endpoint.starts_with("http://") || endpoint.starts_with("https://") {
        let uri: Uri = endpoint
            .parse()
            .map_err(|e| format!("invalid endpoint `{endpoint}`: {e}"))?;
        if uri.authority() != base.authority() {
            return Err(format!("the endpoint `{endpoint}` is on another origin"));
        }
        return Ok(uri);
    }
    let path = if endpoint.starts_with('/') {
        endpoint.to_owned()
    } else {
        let base_path = base.path();
        let dir = &base_path[..base_path.rfind('/').map_or(0, |i| i + 1)];
        format!("{dir}{endpoint}")
    };
    let mut parts = base.clone().into_parts();
    parts.path_and_query = Some(
        path.parse()
            .map_err(|e| format!("invalid endpoint `{endpoint}`: {e}"))?,
    );
    Uri::from_parts(parts).map_err(|e| format!("invalid endpoint `{endpoint}`: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_resolve_against_the_base() {
        let base: Uri = "http://127.0.0.1:8080/sse".parse().unwrap();
        assert_eq!(
            resolve(&base, "/messages?sessionId=1").unwrap().to_string(),
            "http://127.0.0.1:8080/messages?sessionId=1"
        );
        assert_eq!(
            resolve(&base, "messages?x=1").unwrap().to_string(),
            "http://127.0.0.1:8080/messages?x=1"
        );
        assert!(resolve(&base, "http://evil.example/messages").is_err());
        assert_eq!(
            resolve(&base, "http://127.0.0.1:8080/m")
                .unwrap()
                .to_string(),
            "http://127.0.0.1:8080/m"
        );
    }

    #[test]
    fn urls_are_checked() {
        assert!(HttpClientConfig::new("http://127.0.0.1:3000/mcp").is_ok());
        assert!(matches!(
            HttpClientConfig::new("ftp://x/mcp"),
            Err(HttpClientError::UnsupportedScheme(_))
        ));
        assert!(HttpClientConfig::new("/mcp").is_err());
        assert!(HttpClientConfig::new("not a url").is_err());
        assert!(
            HttpClientConfig::new("http://x/")
                .unwrap()
                .header("bad header", "v")
                .is_err()
        );
    }
}
