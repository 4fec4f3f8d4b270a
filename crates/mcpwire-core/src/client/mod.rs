//! The MCP client: connect to any server over any transport, on either era.
//!
//! ```no_run
//! # async fn demo(transport: mcpwire_core::transport::memory::MemoryTransport) -> Result<(), mcpwire_core::Error> {
//! use mcpwire_core::client::Client;
//!
//! let client = Client::builder().connect(transport).await?;
//! for tool in client.list_tools().await? {
//!     println!("{}", tool.name);
//! }
//! let result = client.call_tool("add", serde_json::json!({"a": 1, "b": 2})).await?;
//! println!("{}", result.text_content());
//! # Ok(()) }
//! ```
//!
//! In [`ConnectMode::Auto`] (the default) the client probes with `server/discover` and falls
//! back to the `initialize` handshake on any error that is not a recognised 2026-07-28
//! error, or when the probe times out, as the specification's stdio binding describes.

mod subscription;
mod tasks;

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;
use tokio::sync::mpsc;

pub use crate::connection::{
    self, BoxFuture, Connection, ConnectionConfig, Handler, Outbound, PendingRequests,
};
use crate::error::Error;
use crate::jsonrpc::{
    self, ErrorCode, ErrorObject, RawJson, RawNotification, RawRequest, RawResponse, RequestId,
};
use crate::methods::{self, Method, NotificationMethod};
use crate::server::Server;
use crate::transport::{Transport, memory};
use crate::types::*;
use crate::version::{Era, ProtocolVersion};
pub use subscription::{ServerEvent, Subscription};
pub use tasks::ToolCall;
/// A token that cancels requests (re-exported from `tokio-util`).
pub use tokio_util::sync::CancellationToken;

/// How the client picks the protocol era.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum ConnectMode {
    /// Probe with `server/discover`; fall back to `initialize` (the default).
    #[default]
    Auto,
    /// Speak this 2026-07-28-or-later revision only.
    Modern(ProtocolVersion),
    /// Open a legacy session offering this revision.
    Legacy(ProtocolVersion),
}

type ElicitFn =
    dyn Fn(ElicitRequestParams) -> BoxFuture<'static, Result<ElicitResult, Error>> + Send + Sync;
type SampleFn = dyn Fn(CreateMessageRequestParams) -> BoxFuture<'static, Result<CreateMessageResult, Error>>
    + Send
    + Sync;
type RootsFn = dyn Fn() -> BoxFuture<'static, Result<ListRootsResult, Error>> + Send + Sync;
type LogFn = dyn Fn(LoggingMessageNotificationParams) + Send + Sync;

/// A progress update for one request.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Progress {
    /// Progress so far.
    pub progress: f64,
    /// Total, when known.
    pub total: Option<f64>,
    /// Status text.
    pub message: Option<String>,
}

type ProgressFn = dyn Fn(Progress) + Send + Sync;

/// Per-request options.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct RequestOptions {
    /// Gives up (and cancels) after this long; default: the client's request timeout.
    pub timeout: Option<Duration>,
    /// Called for every progress notification of the request.
    pub on_progress: Option<Arc<ProgressFn>>,
    /// Cancels the request when fired.
    pub cancel: Option<CancellationToken>,
    /// The minimum level of log messages to receive about this request (2026-07-28).
    pub log_level: Option<LoggingLevel>,
}

impl std::fmt::Debug for RequestOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestOptions")
            .field("timeout", &self.timeout)
            .field("on_progress", &self.on_progress.is_some())
            .field("log_level", &self.log_level)
            .finish()
    }
}

impl RequestOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the timeout.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Receives progress updates.
    pub fn on_progress(mut self, f: impl Fn(Progress) + Send + Sync + 'static) -> Self {
        self.on_progress = Some(Arc::new(f));
        self
    }

    /// Cancels the request when `token` fires.
    pub fn cancel_on(mut self, token: CancellationToken) -> Self {
        self.cancel = Some(token);
        self
    }

    /// Asks for log messages at `level` and above about this request.
    pub fn log_level(mut self, level: LoggingLevel) -> Self {
        self.log_level = Some(level);
        self
    }
}

/// Configures and connects a [`Client`].
pub struct ClientBuilder {
    info: Implementation,
    mode: ConnectMode,
    elicit: Option<Arc<ElicitFn>>,
    sample: Option<Arc<SampleFn>>,
    sample_tools: bool,
    roots: Option<Arc<RootsFn>>,
    on_log: Option<Arc<LogFn>>,
    request_timeout: Duration,
    probe_timeout: Duration,
    max_input_rounds: usize,
    extensions: Option<serde_json::Map<String, Value>>,
    task_poll_interval: Duration,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("info", &self.info)
            .field("mode", &self.mode)
            .finish()
    }
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            info: Implementation::new("mcpwire-client", env!("CARGO_PKG_VERSION")),
            mode: ConnectMode::Auto,
            elicit: None,
            sample: None,
            sample_tools: false,
            roots: None,
            on_log: None,
            request_timeout: Duration::from_secs(60),
            probe_timeout: Duration::from_secs(5),
            max_input_rounds: 16,
            extensions: None,
            task_poll_interval: Duration::from_secs(1),
        }
    }
}

impl ClientBuilder {
    /// Sets the identity sent to servers.
    pub fn info(mut self, info: Implementation) -> Self {
        self.info = info;
        self
    }

    /// Sets how the era is chosen.
    pub fn mode(mut self, mode: ConnectMode) -> Self {
        self.mode = mode;
        self
    }

    /// Answers elicitations (declares the `elicitation` capability, form and URL modes).
    pub fn on_elicitation<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(ElicitRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ElicitResult, Error>> + Send + 'static,
    {
        self.elicit = Some(Arc::new(move |p| Box::pin(f(p))));
        self
    }

    /// Answers sampling requests (declares the `sampling` capability).
    pub fn on_sampling<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn(CreateMessageRequestParams) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CreateMessageResult, Error>> + Send + 'static,
    {
        self.sample = Some(Arc::new(move |p| Box::pin(f(p))));
        self
    }

    /// Also declares support for tool use in sampling (`sampling.tools`).
    pub fn sampling_with_tools(mut self) -> Self {
        self.sample_tools = true;
        self
    }

    /// Answers `roots/list` with a fixed list (declares the `roots` capability).
    pub fn roots(self, roots: Vec<Root>) -> Self {
        self.on_list_roots(move || {
            let roots = roots.clone();
            async move { Ok(ListRootsResult::new(roots)) }
        })
    }

    /// Answers `roots/list` with a function (declares the `roots` capability).
    pub fn on_list_roots<F, Fut>(mut self, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ListRootsResult, Error>> + Send + 'static,
    {
        self.roots = Some(Arc::new(move || Box::pin(f())));
        self
    }

    /// Receives log messages (`notifications/message`).
    pub fn on_logging(
        mut self,
        f: impl Fn(LoggingMessageNotificationParams) + Send + Sync + 'static,
    ) -> Self {
        self.on_log = Some(Arc::new(f));
        self
    }

    /// Sets the default request timeout (60 s).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets how long the `server/discover` probe may take before falling back (5 s).
    pub fn probe_timeout(mut self, timeout: Duration) -> Self {
        self.probe_timeout = timeout;
        self
    }

    /// Declares an extension (2026-07-28 `capabilities.extensions`).
    pub fn extension(mut self, id: impl Into<String>, settings: Value) -> Self {
        self.extensions
            .get_or_insert_with(Default::default)
            .insert(id.into(), settings);
        self
    }

    /// Declares the tasks extension (`io.modelcontextprotocol/tasks`, 2026-07-28): the
    /// server may then answer a `tools/call` with a task, which [`Client::call_tool`]
    /// follows to its end (polling, answering input requests with this client's handlers,
    /// cancelling it when the call is cancelled). See `docs/tasks.md`.
    pub fn tasks(self) -> Self {
        self.extension(TASKS_EXTENSION, Value::Object(JsonObject::new()))
    }

    /// How long to wait between polls of a task whose server suggests no interval
    /// (default one second; a server's `pollIntervalMs` takes precedence).
    pub fn task_poll_interval(mut self, interval: Duration) -> Self {
        self.task_poll_interval = interval;
        self
    }

    fn capabilities(&self) -> ClientCapabilities {
        let mut caps = ClientCapabilities::new();
        if self.elicit.is_some() {
            caps = caps.with_elicitation();
        }
        if self.sample.is_some() {
            let mut s = SamplingCapability::default();
            if self.sample_tools {
                s.tools = Some(JsonObject::new());
            }
            caps.sampling = Some(s);
        }
        if self.roots.is_some() {
            caps.roots = Some(RootsCapability::default());
        }
        caps.extensions = self.extensions.clone();
        caps
    }

    /// Connects over `transport` and negotiates the era.
    pub async fn connect<T: Transport>(self, transport: T) -> Result<Client, Error> {
        let (tx, rx) = mpsc::unbounded_channel();
        let conn = Connection::new(tx.clone());
        let capabilities = self.capabilities();
        let inner = Arc::new(ClientInner {
            conn: conn.clone(),
            outbound: Arc::new(tx),
            pending: PendingRequests::new(),
            capabilities,
            state: RwLock::new(None),
            progress: Mutex::new(HashMap::new()),
            next_token: AtomicI64::new(1),
            routes: Mutex::new(subscription::Routes::default()),
            config: self,
        });
        let handler = Arc::new(ClientHandler {
            inner: Arc::downgrade(&inner),
        });
        let runner = tokio::spawn(connection::run(
            transport,
            conn,
            rx,
            handler,
            ConnectionConfig::default(),
        ));
        let client = Client {
            inner,
            _runner: Arc::new(RunnerGuard(runner)),
        };
        client.negotiate().await?;
        Ok(client)
    }

    /// Connects to `server` in this process, over an in-memory transport.
    pub async fn connect_in_process(self, server: &Server) -> Result<Client, Error> {
        let (client_side, server_side) = memory::duplex();
        let server = server.clone();
        tokio::spawn(async move {
            let _ = server.serve(server_side).await;
        });
        self.connect(client_side).await
    }
}

struct RunnerGuard(tokio::task::JoinHandle<Result<(), crate::transport::TransportError>>);

impl Drop for RunnerGuard {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// What the client learned about the server.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ServerState {
    /// The revision in use.
    pub version: ProtocolVersion,
    /// The server's identity.
    pub info: Option<Implementation>,
    /// What the server offers.
    pub capabilities: ServerCapabilities,
    /// Guidance for the model.
    pub instructions: Option<String>,
    /// Every revision the server advertised (2026-07-28 discovery).
    pub supported_versions: Vec<String>,
}

pub(crate) struct ClientInner {
    conn: Arc<Connection>,
    outbound: Arc<dyn Outbound>,
    pending: PendingRequests,
    capabilities: ClientCapabilities,
    state: RwLock<Option<ServerState>>,
    progress: Mutex<HashMap<ProgressToken, Arc<ProgressFn>>>,
    next_token: AtomicI64,
    pub(crate) routes: Mutex<subscription::Routes>,
    config: ClientBuilder,
}

/// A connected MCP client. Cheap to clone; clones share the connection.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<ClientInner>,
    _runner: Arc<RunnerGuard>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.server_state())
            .finish()
    }
}

fn is_modern_error(e: &Error) -> bool {
    matches!(
        e.code(),
        Some(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION)
            | Some(ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY)
            | Some(ErrorCode::HEADER_MISMATCH)
    )
}

impl Client {
    /// Starts configuring a client.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// What the client learned about the server during connection.
    pub fn server_state(&self) -> Option<ServerState> {
        self.inner.state.read().unwrap().clone()
    }

    fn state(&self) -> ServerState {
        self.server_state()
            .expect("the client negotiated before it was handed out")
    }

    /// The revision in use.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.state().version
    }

    /// The server's identity.
    pub fn server_info(&self) -> Option<Implementation> {
        self.state().info
    }

    /// What the server offers.
    pub fn server_capabilities(&self) -> ServerCapabilities {
        self.state().capabilities
    }

    /// The server's instructions for the model.
    pub fn instructions(&self) -> Option<String> {
        self.state().instructions
    }

    async fn negotiate(&self) -> Result<(), Error> {
        let cfg = &self.inner.config;
        match cfg.mode {
            ConnectMode::Legacy(v) => self.initialize(v).await,
            ConnectMode::Modern(v) => self.discover(v).await,
            ConnectMode::Auto => {
                let probe =
                    tokio::time::timeout(cfg.probe_timeout, self.discover(ProtocolVersion::LATEST))
                        .await;
                match probe {
                    Ok(Ok(())) => Ok(()),
                    Ok(Err(e)) if is_modern_error(&e) => {
                        // A modern server that does not speak our preferred revision: retry
                        // with one we share, or use its legacy handshake if that is all it has.
                        let supported = unsupported_list(&e);
                        let shared = supported
                            .iter()
                            .filter_map(|s| ProtocolVersion::parse(s))
                            .filter(|v| v.era() == Era::Modern)
                            .max();
                        match shared {
                            Some(v) => self.discover(v).await,
                            None => self.initialize(ProtocolVersion::LATEST_LEGACY).await,
                        }
                    }
                    Ok(Err(Error::Closed)) | Ok(Err(Error::Transport(_))) => Err(Error::Closed),
                    _ => self.initialize(ProtocolVersion::LATEST_LEGACY).await,
                }
            }
        }
    }

    async fn discover(&self, version: ProtocolVersion) -> Result<(), Error> {
        let params = self.modern_params(&RequestParams::default(), version, None, None)?;
        let raw = self
            .send_raw(
                methods::Discover::NAME,
                Some(&params),
                &RequestOptions::default(),
            )
            .await?;
        let result: DiscoverResult = raw
            .parse()
            .map_err(|e| Error::InvalidResponse(format!("server/discover: {e}")))?;
        let chosen = if result
            .supported_versions
            .iter()
            .any(|v| v == version.as_str())
        {
            version
        } else {
            result
                .supported_versions
                .iter()
                .filter_map(|s| ProtocolVersion::parse(s))
                .filter(|v| v.era() == Era::Modern)
                .max()
                .ok_or_else(|| {
                    Error::Unsupported(format!(
                        "the server supports none of our revisions ({})",
                        result.supported_versions.join(", ")
                    ))
                })?
        };
        *self.inner.state.write().unwrap() = Some(ServerState {
            version: chosen,
            info: result.server_info().cloned(),
            capabilities: result.capabilities,
            instructions: result.instructions,
            supported_versions: result.supported_versions,
        });
        Ok(())
    }

    async fn initialize(&self, version: ProtocolVersion) -> Result<(), Error> {
        let params = InitializeRequestParams::new(
            version.as_str(),
            self.inner.capabilities.clone(),
            self.inner.config.info.clone(),
        );
        let raw = self
            .send_raw(
                methods::Initialize::NAME,
                Some(&params),
                &RequestOptions::default(),
            )
            .await?;
        let result: InitializeResult = raw
            .parse()
            .map_err(|e| Error::InvalidResponse(format!("initialize: {e}")))?;
        let negotiated = ProtocolVersion::parse(&result.protocol_version)
            .filter(|v| v.era() == Era::Legacy)
            .ok_or_else(|| {
                Error::Unsupported(format!(
                    "the server answered initialize with revision {}",
                    result.protocol_version
                ))
            })?;
        *self.inner.state.write().unwrap() = Some(ServerState {
            version: negotiated,
            info: Some(result.server_info),
            capabilities: result.capabilities,
            instructions: result.instructions,
            supported_versions: vec![result.protocol_version],
        });
        let note = jsonrpc::encode_notification::<()>(methods::Initialized::NAME, None)
            .map_err(|e| Error::Encode(e.to_string()))?;
        if !self.inner.outbound.send(note) {
            return Err(Error::Closed);
        }
        Ok(())
    }

    fn modern_params<P: Serialize>(
        &self,
        params: &P,
        version: ProtocolVersion,
        progress: Option<ProgressToken>,
        log_level: Option<LoggingLevel>,
    ) -> Result<Value, Error> {
        let mut v = serde_json::to_value(params).map_err(|e| Error::Encode(e.to_string()))?;
        if v.is_null() {
            v = Value::Object(JsonObject::new());
        }
        let obj = v
            .as_object_mut()
            .ok_or_else(|| Error::Encode("request params must be an object".into()))?;
        let mut meta = match obj.remove("_meta") {
            Some(m) => serde_json::from_value::<RequestMeta>(m).unwrap_or_default(),
            None => RequestMeta::default(),
        };
        if version.era() == Era::Modern {
            meta.protocol_version = Some(version.as_str().to_owned());
            meta.client_info = Some(self.inner.config.info.clone());
            meta.client_capabilities = Some(self.inner.capabilities.clone());
            if log_level.is_some() {
                meta.log_level = log_level;
            }
        }
        if progress.is_some() {
            meta.progress_token = progress;
        }
        if !meta.is_empty() {
            obj.insert(
                "_meta".into(),
                serde_json::to_value(&meta).map_err(|e| Error::Encode(e.to_string()))?,
            );
        }
        Ok(v)
    }

    async fn send_raw<P: Serialize>(
        &self,
        method: &str,
        params: Option<&P>,
        opts: &RequestOptions,
    ) -> Result<RawJson, Error> {
        let outbound = self.inner.outbound.clone();
        let on_cancel = move |id: RequestId| {
            let params = CancelledNotificationParams::new(id, Some("request cancelled".into()));
            if let Ok(text) = jsonrpc::encode_notification(methods::Cancelled::NAME, Some(&params))
            {
                outbound.send(text);
            }
        };
        let fut =
            self.inner
                .pending
                .request(&*self.inner.outbound, method, params, Some(&on_cancel));
        let timeout = opts.timeout.unwrap_or(self.inner.config.request_timeout);
        let cancel = opts.cancel.clone().unwrap_or_default();
        tokio::select! {
            r = tokio::time::timeout(timeout, fut) => r.map_err(|_| Error::Timeout(timeout))?,
            _ = cancel.cancelled() => Err(Error::Cancelled),
            _ = self.inner.conn.shutdown_token().cancelled() => Err(Error::Closed),
        }
    }

    /// Sends request `M` and returns its result, answering input requests (2026-07-28)
    /// with the client's handlers and retrying until the result is complete. A `tools/call`
    /// the server runs as a task (tasks extension) is followed to its end.
    pub async fn request<M: Method>(
        &self,
        params: M::Params,
        opts: RequestOptions,
    ) -> Result<M::Result, Error> {
        match self.request_answer::<M>(params, opts, true).await? {
            Answer::Complete(obj) => serde_json::from_value(Value::Object(obj))
                .map_err(|e| Error::InvalidResponse(format!("{}: {e}", M::NAME))),
            Answer::Task(t) => Err(Error::InvalidResponse(format!(
                "{}: task {} was not followed",
                M::NAME,
                t.task.task_id
            ))),
        }
    }

    /// [`request`](Client::request), stopping at a task unless `follow_tasks`.
    async fn request_answer<M: Method>(
        &self,
        params: M::Params,
        opts: RequestOptions,
        follow_tasks: bool,
    ) -> Result<Answer, Error> {
        let state = self.state();
        let token = opts.on_progress.as_ref().map(|f| {
            let token =
                ProgressToken::Number(self.inner.next_token.fetch_add(1, Ordering::Relaxed));
            self.inner
                .progress
                .lock()
                .unwrap()
                .insert(token.clone(), f.clone());
            token
        });
        struct Unregister<'a>(&'a Client, Option<ProgressToken>);
        impl Drop for Unregister<'_> {
            fn drop(&mut self) {
                if let Some(t) = &self.1 {
                    self.0.inner.progress.lock().unwrap().remove(t);
                }
            }
        }
        let _unregister = Unregister(self, token.clone());
        let log_level = opts.log_level;
        let mut value = self.modern_params(&params, state.version, token, log_level)?;
        let mut rounds = 0;
        loop {
            let raw = self.send_raw(M::NAME, Some(&value), &opts).await?;
            let obj: JsonObject = raw
                .parse()
                .map_err(|e| Error::InvalidResponse(format!("{}: {e}", M::NAME)))?;
            match result_type_of(&obj) {
                ResultType::Complete => return Ok(Answer::Complete(obj)),
                ResultType::InputRequired => {
                    rounds += 1;
                    if rounds > self.inner.config.max_input_rounds {
                        return Err(Error::InvalidResponse(format!(
                            "{}: still asking for input after {} rounds",
                            M::NAME,
                            rounds - 1
                        )));
                    }
                    let interim: InputRequiredResult =
                        serde_json::from_value(Value::Object(obj))
                            .map_err(|e| Error::InvalidResponse(format!("{}: {e}", M::NAME)))?;
                    let responses = self
                        .answer_inputs(interim.input_requests.unwrap_or_default())
                        .await?;
                    let p = value.as_object_mut().expect("params are an object");
                    if responses.is_empty() {
                        p.remove("inputResponses");
                    } else {
                        p.insert(
                            "inputResponses".into(),
                            serde_json::to_value(&responses)
                                .map_err(|e| Error::Encode(e.to_string()))?,
                        );
                    }
                    match interim.request_state {
                        Some(s) => {
                            p.insert("requestState".into(), Value::String(s));
                        }
                        None => {
                            p.remove("requestState");
                        }
                    }
                }
                ResultType::Task => {
                    // Only tools/call may run as a task, and only for a client that asked.
                    if M::NAME != methods::CallTool::NAME {
                        return Err(Error::InvalidResponse(format!(
                            "{}: a task answer to a method that cannot run as a task",
                            M::NAME
                        )));
                    }
                    if !self.tasks_declared() {
                        return Err(Error::InvalidResponse(format!(
                            "{}: the server answered with a task, but this client did not \
                             declare the {TASKS_EXTENSION} extension",
                            M::NAME
                        )));
                    }
                    let created: CreateTaskResult = serde_json::from_value(Value::Object(obj))
                        .map_err(|e| Error::InvalidResponse(format!("{}: {e}", M::NAME)))?;
                    if !follow_tasks {
                        return Ok(Answer::Task(Box::new(created)));
                    }
                    return self.follow_task(created, &opts).await.map(Answer::Complete);
                }
                ResultType::Other(t) => {
                    return Err(Error::InvalidResponse(format!(
                        "{}: unknown resultType `{t}`",
                        M::NAME
                    )));
                }
            }
        }
    }

    async fn answer_inputs(
        &self,
        requests: InputRequests,
    ) -> Result<BTreeMap<String, Value>, Error> {
        let futures = requests.into_iter().map(|(key, request)| async move {
            let value = self.answer_one(request).await?;
            Ok::<_, Error>((key, value))
        });
        futures_util::future::try_join_all(futures)
            .await
            .map(|pairs| pairs.into_iter().collect())
    }

    async fn answer_one(&self, request: InputRequest) -> Result<Value, Error> {
        let cfg = &self.inner.config;
        let to_value =
            |r: Result<Value, serde_json::Error>| r.map_err(|e| Error::Encode(e.to_string()));
        match request {
            InputRequest::Elicit(r) => match &cfg.elicit {
                Some(f) => to_value(serde_json::to_value(f(r.params).await?)),
                None => Err(Error::Unsupported(
                    "the server asked for elicitation, which this client does not handle".into(),
                )),
            },
            InputRequest::CreateMessage(r) => match &cfg.sample {
                Some(f) => to_value(serde_json::to_value(f(r.params).await?)),
                None => Err(Error::Unsupported(
                    "the server asked for sampling, which this client does not handle".into(),
                )),
            },
            InputRequest::ListRoots(_) => match &cfg.roots {
                Some(f) => to_value(serde_json::to_value(f().await?)),
                None => Err(Error::Unsupported(
                    "the server asked for roots, which this client does not handle".into(),
                )),
            },
        }
    }

    async fn list_all<M, T>(
        &self,
        extract: impl Fn(M::Result) -> (Vec<T>, Option<Cursor>),
    ) -> Result<Vec<T>, Error>
    where
        M: Method<Params = PaginatedRequestParams>,
    {
        let mut out = Vec::new();
        let mut cursor = None;
        loop {
            let result = self
                .request::<M>(
                    PaginatedRequestParams::new(cursor),
                    RequestOptions::default(),
                )
                .await?;
            let (items, next) = extract(result);
            out.extend(items);
            match next {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    }

    /// Every tool, following pagination.
    pub async fn list_tools(&self) -> Result<Vec<Tool>, Error> {
        self.list_all::<methods::ListTools, _>(|r| (r.tools, r.next_cursor))
            .await
    }

    /// One page of tools.
    pub async fn list_tools_page(&self, cursor: Option<Cursor>) -> Result<ListToolsResult, Error> {
        self.request::<methods::ListTools>(
            PaginatedRequestParams::new(cursor),
            RequestOptions::default(),
        )
        .await
    }

    /// Calls a tool with `arguments` (anything serializing to a JSON object, or `()`).
    pub async fn call_tool(
        &self,
        name: &str,
        arguments: impl Serialize,
    ) -> Result<CallToolResult, Error> {
        self.call_tool_with(name, arguments, RequestOptions::default())
            .await
    }

    /// Calls a tool with options (progress, timeout, cancellation).
    ///
    /// A call the server runs as a task (tasks extension, see [`ClientBuilder::tasks`]) is
    /// followed to its end; `opts.timeout` then bounds each request of it (the call, every
    /// poll and update), not the whole task, and cancelling sends `tasks/cancel`.
    pub async fn call_tool_with(
        &self,
        name: &str,
        arguments: impl Serialize,
        opts: RequestOptions,
    ) -> Result<CallToolResult, Error> {
        let args = tasks::tool_arguments(arguments)?;
        self.request::<methods::CallTool>(CallToolRequestParams::new(name, args), opts)
            .await
    }

    /// Every resource, following pagination.
    pub async fn list_resources(&self) -> Result<Vec<Resource>, Error> {
        self.list_all::<methods::ListResources, _>(|r| (r.resources, r.next_cursor))
            .await
    }

    /// Every resource template, following pagination.
    pub async fn list_resource_templates(&self) -> Result<Vec<ResourceTemplate>, Error> {
        self.list_all::<methods::ListResourceTemplates, _>(|r| {
            (r.resource_templates, r.next_cursor)
        })
        .await
    }

    /// Reads a resource.
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, Error> {
        self.request::<methods::ReadResource>(
            ReadResourceRequestParams::new(uri),
            RequestOptions::default(),
        )
        .await
    }

    /// Every prompt, following pagination.
    pub async fn list_prompts(&self) -> Result<Vec<Prompt>, Error> {
        self.list_all::<methods::ListPrompts, _>(|r| (r.prompts, r.next_cursor))
            .await
    }

    /// Gets a prompt filled in with `arguments`.
    pub async fn get_prompt(
        &self,
        name: &str,
        arguments: impl IntoIterator<Item = (impl Into<String>, impl Into<String>)>,
    ) -> Result<GetPromptResult, Error> {
        let args: BTreeMap<String, String> = arguments
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let args = (!args.is_empty()).then_some(args);
        self.request::<methods::GetPrompt>(
            GetPromptRequestParams::new(name, args),
            RequestOptions::default(),
        )
        .await
    }

    /// Asks for completions of an argument.
    pub async fn complete(&self, params: CompleteRequestParams) -> Result<Completion, Error> {
        self.request::<methods::Complete>(params, RequestOptions::default())
            .await
            .map(|r| r.completion)
    }

    /// Sets the minimum level of log messages (legacy: `logging/setLevel`; 2026-07-28 has
    /// no such request, set [`RequestOptions::log_level`] per request instead).
    pub async fn set_logging_level(&self, level: LoggingLevel) -> Result<(), Error> {
        if self.protocol_version().era() == Era::Modern {
            return Err(Error::Unsupported(
                "2026-07-28 sets the log level per request (RequestOptions::log_level)".into(),
            ));
        }
        self.request::<methods::SetLevel>(
            SetLevelRequestParams::new(level),
            RequestOptions::default(),
        )
        .await
        .map(drop)
    }

    /// Checks that the server answers (legacy `ping`; `server/discover` on 2026-07-28).
    pub async fn ping(&self) -> Result<(), Error> {
        match self.protocol_version().era() {
            Era::Legacy => self
                .request::<methods::Ping>(RequestParams::default(), RequestOptions::default())
                .await
                .map(drop),
            Era::Modern => self
                .request::<methods::Discover>(RequestParams::default(), RequestOptions::default())
                .await
                .map(drop),
        }
    }

    /// Listens for server events: list changes and updates of resources (legacy
    /// `resources/subscribe` plus session notifications, or a `subscriptions/listen` stream on
    /// 2026-07-28). Dropping the subscription ends it.
    pub async fn subscribe(&self, filter: SubscriptionFilter) -> Result<Subscription, Error> {
        subscription::subscribe(self, filter).await
    }

    /// Closes the connection.
    pub fn close(&self) {
        self.inner.conn.close();
    }

    pub(crate) fn outbound(&self) -> &Arc<dyn Outbound> {
        &self.inner.outbound
    }

    pub(crate) fn pending(&self) -> &PendingRequests {
        &self.inner.pending
    }

    pub(crate) fn params_for<P: Serialize>(&self, params: &P) -> Result<Value, Error> {
        self.modern_params(params, self.protocol_version(), None, None)
    }
}

/// A result as it arrived: complete, or a task not followed.
enum Answer {
    Complete(JsonObject),
    Task(Box<CreateTaskResult>),
}

fn unsupported_list(e: &Error) -> Vec<String> {
    e.as_protocol()
        .and_then(|p| p.data.as_ref())
        .and_then(|d| d.get("supported"))
        .and_then(|s| serde_json::from_value(s.clone()).ok())
        .unwrap_or_default()
}

struct ClientHandler {
    inner: std::sync::Weak<ClientInner>,
}

impl Handler for ClientHandler {
    fn on_request(
        &self,
        request: RawRequest,
        _cancel: CancellationToken,
    ) -> BoxFuture<'static, Option<String>> {
        let inner = self.inner.upgrade();
        Box::pin(async move {
            let inner = inner?;
            let id = request.id.clone();
            let outcome = serve_server_request(&inner, request).await;
            Some(match outcome {
                Ok(v) => jsonrpc::encode_result(&id, &v).unwrap_or_else(|e| {
                    jsonrpc::encode_error(Some(&id), &ErrorObject::internal(e.to_string()))
                }),
                Err(e) => jsonrpc::encode_error(Some(&id), &e),
            })
        })
    }

    fn on_notification(&self, n: RawNotification) -> BoxFuture<'static, ()> {
        if let Some(inner) = self.inner.upgrade() {
            on_server_notification(&inner, n);
        }
        Box::pin(async {})
    }

    fn on_response(&self, response: RawResponse) {
        if let Some(inner) = self.inner.upgrade() {
            inner.pending.complete(response);
        }
    }

    fn on_close(&self) {
        if let Some(inner) = self.inner.upgrade() {
            inner.pending.fail_all();
            inner.routes.lock().unwrap().close_all();
        }
    }
}

async fn serve_server_request(
    inner: &ClientInner,
    request: RawRequest,
) -> Result<Value, ErrorObject> {
    let cfg = &inner.config;
    let not_supported = |what: &str| ErrorObject::method_not_found(what);
    let to_obj =
        |r: Result<Value, serde_json::Error>| r.map_err(|e| ErrorObject::internal(e.to_string()));
    match &*request.method {
        "ping" => Ok(Value::Object(JsonObject::new())),
        "sampling/createMessage" => {
            let f = cfg
                .sample
                .as_ref()
                .ok_or_else(|| not_supported("sampling/createMessage"))?;
            let p: CreateMessageRequestParams = jsonrpc::parse_params(request.params.as_ref())?;
            to_obj(serde_json::to_value(
                f(p).await.map_err(Error::into_error_object)?,
            ))
        }
        "elicitation/create" => {
            let f = cfg
                .elicit
                .as_ref()
                .ok_or_else(|| not_supported("elicitation/create"))?;
            let p: ElicitRequestParams = jsonrpc::parse_params(request.params.as_ref())?;
            to_obj(serde_json::to_value(
                f(p).await.map_err(Error::into_error_object)?,
            ))
        }
        "roots/list" => {
            let f = cfg
                .roots
                .as_ref()
                .ok_or_else(|| not_supported("roots/list"))?;
            to_obj(serde_json::to_value(
                f().await.map_err(Error::into_error_object)?,
            ))
        }
        other => Err(ErrorObject::method_not_found(other)),
    }
}

fn on_server_notification(inner: &ClientInner, n: RawNotification) {
    match &*n.method {
        "notifications/progress" => {
            if let Some(Ok(p)) = n
                .params
                .as_ref()
                .map(|p| p.parse::<ProgressNotificationParams>())
            {
                let f = inner
                    .progress
                    .lock()
                    .unwrap()
                    .get(&p.progress_token)
                    .cloned();
                if let Some(f) = f {
                    f(Progress {
                        progress: p.progress,
                        total: p.total,
                        message: p.message,
                    });
                }
            }
        }
        "notifications/message" => {
            if let (Some(f), Some(Ok(p))) = (
                &inner.config.on_log,
                n.params
                    .as_ref()
                    .map(|p| p.parse::<LoggingMessageNotificationParams>()),
            ) {
                f(p);
            }
        }
        _ => inner.routes.lock().unwrap().dispatch(&n),
    }
}
