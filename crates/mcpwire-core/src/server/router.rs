//! The dispatcher service and its layers.
//!
//! * [`CatchPanic`]: a handler that panics answers `-32603` and the server goes on.
//! * [`Protocol`]: decides each request's revision — per-request `_meta` on 2026-07-28, the
//!   session's `initialize` before — checks version, required `_meta` keys and the legacy
//!   "no requests before initialize" rule, and sets the request's [`RequestInfo`]
//!   ([`McpRequest::info`]).
//! * [`Router`]: looks the method up in a table generated from the method list and runs it.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::convert::Infallible;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use tower::{Layer, Service};

use super::auth::AuthInfo;
use super::context::{ContextInner, Principal, RequestContext, RequestInfo};
use super::futures::{CatchPanicFuture, ProtocolFuture};
use super::handler::ToolArguments;
use super::meta::MetaParts;
use super::mrtr::{Binding, MrtrRound, RoundDriver, RoundOutcome};
use super::registry::{ListKind, page};
use super::session::{McpRequest, McpResponse, Negotiated, Session};
use super::{Cacheable, Listener, Server};
use crate::connection::BoxFuture;
use crate::error::Error;
use crate::jsonrpc::{self, ErrorCode, ErrorObject, RawJson, parse_params};
use crate::methods::ClientRequestMethod as M;
use crate::types::*;
use crate::version::{Era, ProtocolVersion};

/// The full dispatcher stack [`Server::into_service`] returns.
pub type McpService = CatchPanic<Protocol<Router>>;

/// Answers `-32603` for a handler that panicked, so the server keeps serving.
#[derive(Clone, Copy, Debug, Default)]
pub struct CatchPanicLayer;

impl<S> Layer<S> for CatchPanicLayer {
    type Service = CatchPanic<S>;
    fn layer(&self, inner: S) -> CatchPanic<S> {
        CatchPanic { inner }
    }
}

/// See [`CatchPanicLayer`].
#[derive(Clone, Debug)]
pub struct CatchPanic<S> {
    inner: S,
}

impl<S> Service<McpRequest> for CatchPanic<S>
where
    S: Service<McpRequest, Response = McpResponse, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = McpResponse;
    type Error = Infallible;
    type Future = CatchPanicFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: McpRequest) -> Self::Future {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.inner.call(req))) {
            Ok(fut) => CatchPanicFuture::new(fut),
            Err(payload) => CatchPanicFuture::panicked(payload),
        }
    }
}

/// Applies the protocol's per-request rules before routing; see the module docs.
#[derive(Clone, Debug)]
pub struct ProtocolLayer {
    server: Server,
}

impl ProtocolLayer {
    /// The layer for `server`.
    pub fn new(server: Server) -> Self {
        ProtocolLayer { server }
    }
}

impl<S> Layer<S> for ProtocolLayer {
    type Service = Protocol<S>;
    fn layer(&self, inner: S) -> Protocol<S> {
        Protocol {
            inner,
            server: self.server.clone(),
        }
    }
}

/// See [`ProtocolLayer`].
#[derive(Clone, Debug)]
pub struct Protocol<S> {
    inner: S,
    server: Server,
}

impl<S> Service<McpRequest> for Protocol<S>
where
    S: Service<McpRequest, Response = McpResponse, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = McpResponse;
    type Error = Infallible;
    type Future = ProtocolFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: McpRequest) -> Self::Future {
        // The checks need nothing to wait for: they run here, and the inner service (the
        // one polled ready) is called at once.
        let probed = req.extensions.remove::<ProbedMeta>().map(|p| p.0);
        match resolve_with(&self.server, &req, probed) {
            Ok(info) => {
                req.info = Some(info);
                ProtocolFuture::inner(self.inner.call(req))
            }
            Err(e) => ProtocolFuture::refused(e),
        }
    }
}

#[derive(Deserialize)]
struct MetaProbe {
    #[serde(rename = "_meta", default)]
    meta: Option<RequestMeta>,
}

/// Reads the `_meta` of a request's params without parsing the rest: the full parse behind
/// [`ProbedMeta::read`], which also names the field of a bad `_meta` in its error.
pub(crate) fn probe_meta(params: Option<&RawJson>) -> Result<Option<RequestMeta>, ErrorObject> {
    let Some(p) = params else {
        return Ok(None);
    };
    // The envelope parser noted where `_meta` is: read only that (a bad one is read again
    // below, for the error naming the field).
    if let Some(meta) = p.member("_meta") {
        match meta.map(|m| m.parse::<Option<RequestMeta>>()) {
            None => return Ok(None),
            Some(Ok(meta)) => return Ok(meta),
            Some(Err(_)) => {}
        }
    }
    let text = p.get();
    // Skip the parse when `_meta` cannot be there.
    if !text.contains("_meta") {
        return Ok(None);
    }
    parse_params::<MetaProbe>(Some(p)).map(|m| m.meta)
}

fn missing_meta(key: &str) -> ErrorObject {
    ErrorObject::invalid_params(format!(
        "Invalid params: `_meta` must contain `{key}` (stateless requests carry their protocol \
         version and client capabilities; legacy clients send `initialize` first)"
    ))
}

/// The `_meta` of a request as its transport already read it (to check it against headers),
/// so the protocol layer does not read it a second time. Put it in the request's extensions.
#[derive(Clone, Debug, Default)]
pub struct ProbedMeta(Option<MetaParts<'static>>);

impl ProbedMeta {
    /// Reads the `_meta` of a request's `params`. `session` is the session the request will
    /// be dispatched on: it remembers the client context it read last, so a client that sends
    /// the same capabilities with every request has them parsed once. A `_meta` that does not
    /// parse is an invalid-params error naming the field.
    pub fn read(params: Option<&RawJson>, session: &Session) -> Result<ProbedMeta, ErrorObject> {
        super::meta::read(params, session).map(|m| ProbedMeta(m.map(MetaParts::into_owned)))
    }

    /// Whether the request carried a `_meta` object.
    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// The protocol version the request declared (`io.modelcontextprotocol/protocolVersion`).
    pub fn protocol_version(&self) -> Option<&str> {
        self.0.as_ref()?.protocol_version.as_deref()
    }

    /// Whether the request declared its client capabilities
    /// (`io.modelcontextprotocol/clientCapabilities`).
    pub fn has_client_capabilities(&self) -> bool {
        self.0
            .as_ref()
            .is_some_and(|m| m.client_capabilities.is_some())
    }

    /// Whether the request is a 2026-07-28 one by its `_meta`: it declares a protocol version
    /// or client capabilities.
    pub fn is_modern(&self) -> bool {
        self.0.as_ref().is_some_and(MetaParts::is_modern)
    }
}

/// Works out the revision and client context of a request, or the error refusing it.
pub(crate) fn resolve(server: &Server, req: &McpRequest) -> Result<RequestInfo, ErrorObject> {
    resolve_with(server, req, None)
}

/// [`resolve`], with the request's `_meta` when the transport read it already.
fn resolve_with(
    server: &Server,
    req: &McpRequest,
    probed: Option<Option<MetaParts<'static>>>,
) -> Result<RequestInfo, ErrorObject> {
    let method =
        M::from_name(&req.method).ok_or_else(|| ErrorObject::method_not_found(&req.method))?;
    let meta = match probed {
        Some(meta) => meta,
        None => super::meta::read(req.params.as_ref(), &req.session)?,
    };
    let modern = meta.as_ref().is_some_and(MetaParts::is_modern);
    if modern {
        let meta = meta.unwrap_or_default();
        let requested = meta
            .protocol_version
            .ok_or_else(|| missing_meta(META_PROTOCOL_VERSION))?;
        let caps = meta
            .client_capabilities
            .ok_or_else(|| missing_meta(META_CLIENT_CAPABILITIES))?;
        let version = ProtocolVersion::parse(&requested)
            .filter(|v| v.era() == Era::Modern && server.supports(*v))
            .ok_or_else(|| unsupported_version(server, &requested))?;
        if !method.is_modern() {
            return Err(ErrorObject::method_not_found(&req.method));
        }
        return Ok(RequestInfo {
            method,
            version,
            client_capabilities: caps,
            client_info: meta.client_info,
            progress_token: meta.progress_token,
            log_level: meta.log_level,
        });
    }
    let progress_token = meta.and_then(|m| m.progress_token);
    let legacy = |n: Negotiated| RequestInfo {
        method,
        version: n.version,
        client_capabilities: n.capabilities,
        client_info: Some(n.client_info),
        progress_token: progress_token.clone(),
        log_level: None,
    };
    match (method, req.session.negotiated()) {
        (M::Initialize, _) => {
            if !server.era_enabled(Era::Legacy) {
                return Err(legacy_disabled(server));
            }
            Ok(RequestInfo {
                method,
                version: ProtocolVersion::LATEST_LEGACY,
                client_capabilities: Arc::default(),
                client_info: None,
                progress_token,
                log_level: None,
            })
        }
        (_, Some(n)) if method.is_legacy() => Ok(legacy(n)),
        (_, Some(_)) => Err(ErrorObject::method_not_found(&req.method)),
        // Pings are allowed before the handshake.
        (M::Ping, None) => Ok(RequestInfo {
            method,
            version: ProtocolVersion::LATEST_LEGACY,
            client_capabilities: Arc::default(),
            client_info: None,
            progress_token,
            log_level: None,
        }),
        (_, None) if !server.era_enabled(Era::Modern) => Err(ErrorObject::invalid_request(
            "Invalid Request: send `initialize` before any other request",
        )),
        (_, None) => Err(missing_meta(META_PROTOCOL_VERSION)),
    }
}

fn supported_strings(server: &Server) -> Vec<String> {
    server
        .supported_versions()
        .into_iter()
        .map(|v| v.as_str().to_owned())
        .collect()
}

fn unsupported_version(server: &Server, requested: &str) -> ErrorObject {
    let supported: Vec<String> = server
        .supported_versions()
        .into_iter()
        .filter(|v| v.era() == Era::Modern)
        .map(|v| v.as_str().to_owned())
        .collect();
    ErrorObject::new(
        ErrorCode::UNSUPPORTED_PROTOCOL_VERSION,
        "Unsupported protocol version",
    )
    .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
}

fn legacy_disabled(server: &Server) -> ErrorObject {
    let supported = supported_strings(server);
    ErrorObject::invalid_params(format!(
        "Unsupported protocol version: this server does not accept `initialize`; it speaks {} \
         with per-request `_meta`",
        supported.join(", ")
    ))
    .with_data(serde_json::json!({ "supported": supported }))
}

/// Routes requests to the registered tools, resources and prompts.
///
/// Works on its own too: without [`Protocol`] in front it resolves each request itself.
#[derive(Clone, Debug)]
pub struct Router {
    server: Server,
}

impl Router {
    /// The router of `server`.
    pub fn new(server: Server) -> Self {
        Router { server }
    }
}

impl Service<McpRequest> for Router {
    type Response = McpResponse;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<McpResponse, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: McpRequest) -> Self::Future {
        let server = self.server.clone();
        Box::pin(async move {
            let info = match req.info.take() {
                Some(info) => info,
                None => match resolve(&server, &req) {
                    Ok(info) => info,
                    Err(e) => return Ok(McpResponse::Error(e)),
                },
            };
            Ok(match route(server, info, req).await {
                Ok(r) => r,
                Err(e) => McpResponse::Error(e),
            })
        })
    }
}

/// Fills the fields a result has on 2026-07-28 and omits them before.
trait Shape: serde::Serialize {
    fn modern(&mut self, server_info: Option<Implementation>, cache: Option<CacheHint>);
}

use super::CacheHint;

macro_rules! shape {
    ($($ty:ty => cacheable: $c:tt;)*) => {$(
        impl Shape for $ty {
            fn modern(&mut self, server_info: Option<Implementation>, cache: Option<CacheHint>) {
                self.result_type = Some(ResultType::Complete);
                if let Some(info) = server_info {
                    self.meta.get_or_insert_with(ResultMeta::default).server_info = Some(info);
                }
                shape!(@cache $c self cache);
            }
        }
    )*};
    (@cache true $s:ident $cache:ident) => {
        let hint = $cache.unwrap_or(CacheHint::new(std::time::Duration::ZERO, CacheScope::Public));
        $s.ttl_ms = Some(u64::try_from(hint.ttl.as_millis()).unwrap_or(u64::MAX));
        $s.cache_scope = Some(hint.scope);
    };
    (@cache false $s:ident $cache:ident) => { let _ = $cache; };
}

shape! {
    ListToolsResult => cacheable: true;
    ListResourcesResult => cacheable: true;
    ListResourceTemplatesResult => cacheable: true;
    ListPromptsResult => cacheable: true;
    ReadResourceResult => cacheable: true;
    DiscoverResult => cacheable: true;
    CallToolResult => cacheable: false;
    GetPromptResult => cacheable: false;
    CompleteResult => cacheable: false;
    EmptyResult => cacheable: false;
}

struct Call<'a> {
    server: &'a Server,
    info: RequestInfo,
    req: McpRequest,
}

impl Call<'_> {
    fn modern(&self) -> bool {
        self.info.version.era() == Era::Modern
    }

    fn finish<T: Shape>(&self, mut result: T, cache: Option<Cacheable>) -> McpResponse {
        if self.modern() {
            let config = &self.server.shared.config;
            let info = config.server_info_in_results.then(|| config.info.clone());
            let hint = cache.and_then(|c| config.cache.get(&c).copied());
            result.modern(info, hint);
        }
        McpResponse::result(&result)
    }

    /// [`finish`](Self::finish) for a tool result. When the handler set neither `resultType`
    /// nor `_meta` (the last two members of a `CallToolResult`), they are appended to its JSON
    /// text: the same text, without cloning the server's identity into every result.
    fn finish_tool(&self, result: CallToolResult) -> McpResponse {
        let config = &self.server.shared.config;
        let info_json = config.server_info_in_results.then_some(&config.info_json);
        if !self.modern()
            || result.result_type.is_some()
            || result.meta.is_some()
            || info_json.is_some_and(|j| j.is_empty())
        {
            return self.finish(result, None);
        }
        let mut response = McpResponse::result(&result);
        if let McpResponse::Result(text) = &mut response
            && text.ends_with('}')
        {
            text.pop();
            text.push_str(",\"resultType\":\"complete\"");
            if let Some(info_json) = info_json {
                text.push_str(",\"_meta\":{\"");
                text.push_str(META_SERVER_INFO);
                text.push_str("\":");
                text.push_str(info_json);
                text.push('}');
            }
            text.push('}');
        }
        response
    }

    fn context(&self, mrtr: Option<Arc<MrtrRound>>) -> RequestContext {
        self.context_in(mrtr, None)
    }

    /// The context of a handler; one whose call may become a task (`task`) gets the task's
    /// cancellation token and a channel that goes quiet once it is one.
    fn context_in(
        &self,
        mrtr: Option<Arc<MrtrRound>>,
        task: Option<Arc<super::tasks::TaskLink>>,
    ) -> RequestContext {
        let (cancel, channel) = match &task {
            None => (self.req.cancel.clone(), self.req.channel.clone()),
            Some(t) => (t.cancel.clone(), t.channel(self.req.channel.clone())),
        };
        RequestContext {
            inner: Arc::new(ContextInner {
                id: self.req.id.clone(),
                info: self.info.clone(),
                cancel,
                session: self.req.session.clone(),
                channel,
                extensions: self.req.extensions.clone(),
                server: self.server.clone(),
                mrtr,
                task,
                last_progress: Mutex::new(None),
            }),
        }
    }

    fn principal(&self) -> Option<String> {
        Principal::of(&self.req.extensions)
    }

    fn auth(&self) -> Option<&AuthInfo> {
        self.req.extensions.get::<AuthInfo>()
    }

    /// Whether the caller may see an item requiring `scopes`.
    fn visible(&self, scopes: &[String]) -> bool {
        self.server.allows(self.auth(), scopes)
    }

    /// Refuses the request unless the caller holds `scopes`.
    fn authorize(&self, scopes: &[String]) -> Result<(), ErrorObject> {
        self.server
            .shared
            .config
            .scopes
            .check(self.auth(), scopes)
            .map_err(|e| e.to_error_object())
    }

    fn params_text(&self) -> &str {
        self.req.params.as_ref().map(RawJson::get).unwrap_or("{}")
    }

    fn parse<'de, T: Deserialize<'de>>(&'de self) -> Result<T, ErrorObject> {
        let text = self.params_text();
        match serde_json::from_str(text) {
            Ok(v) => Ok(v),
            Err(_) => {
                let de = &mut serde_json::Deserializer::from_str(text);
                serde_path_to_error::deserialize(de).map_err(|e| jsonrpc::invalid_params_error(&e))
            }
        }
    }

    fn typed<T: serde::de::DeserializeOwned>(&self) -> Result<T, ErrorObject> {
        parse_params(self.req.params.as_ref())
    }

    /// Runs `fut` (a handler) under the request's MRTR round, if any; an unanswered ask
    /// ends the round with an interim result.
    async fn run<T, B: FnOnce() -> Binding>(
        &self,
        round: Option<Round<B>>,
        fut: BoxFuture<'static, Result<T, Error>>,
    ) -> Result<Result<T, Error>, McpResponse> {
        match round {
            None => Ok(fut.await),
            Some((round, binding)) => match RoundDriver::new(fut, round.clone()).await {
                RoundOutcome::Done(r) => Ok(r),
                RoundOutcome::InputRequired => {
                    let binding = binding.get();
                    let (requests, state) = round.finish(&self.server.shared.config.mrtr, &binding);
                    let mut result = InputRequiredResult::new(Some(requests), Some(state));
                    let config = &self.server.shared.config;
                    if config.server_info_in_results {
                        result.meta = Some(ResultMeta {
                            server_info: Some(config.info.clone()),
                            ..ResultMeta::default()
                        });
                    }
                    Err(McpResponse::result(&result))
                }
            },
        }
    }

    /// The MRTR round of a 2026-07-28 request. `binding` (a hash of the salient params) is
    /// computed only when a `requestState` is read or written, not on every call.
    fn round<B: FnOnce() -> Binding>(
        &self,
        binding: B,
        input_responses: Option<JsonObject>,
        request_state: Option<&str>,
    ) -> Result<Option<Round<B>>, ErrorObject> {
        if !self.modern() {
            return Ok(None);
        }
        let binding = match request_state {
            Some(_) => LazyBinding::Ready(binding()),
            None => LazyBinding::Later(binding),
        };
        let sealed = match (&binding, request_state) {
            (LazyBinding::Ready(b), Some(state)) => Some((state, b)),
            _ => None,
        };
        let round =
            MrtrRound::from_request(&self.server.shared.config.mrtr, sealed, input_responses)?;
        Ok(Some((Arc::new(round), binding)))
    }
}

/// A request's MRTR round, and its binding.
type Round<B> = (Arc<MrtrRound>, LazyBinding<B>);

/// A round's [`Binding`], or how to compute it when it is needed.
enum LazyBinding<B> {
    Ready(Binding),
    Later(B),
}

impl<B: FnOnce() -> Binding> LazyBinding<B> {
    fn get(self) -> Binding {
        match self {
            LazyBinding::Ready(b) => b,
            LazyBinding::Later(f) => f(),
        }
    }
}

fn not_offered(method: M) -> ErrorObject {
    ErrorObject::method_not_found(method.name())
}

async fn route(
    server: Server,
    info: RequestInfo,
    req: McpRequest,
) -> Result<McpResponse, ErrorObject> {
    let registry = server.registry();
    let call = Call {
        server: &server,
        info,
        req,
    };
    let method = call.info.method;
    match method {
        M::Initialize => initialize(&call),
        M::Ping => Ok(McpResponse::result(&EmptyResult::default())),
        M::Discover => {
            let mut result = DiscoverResult::new(supported_strings(&server), server.capabilities());
            result.instructions = server.shared.config.instructions.clone();
            Ok(call.finish(result, Some(Cacheable::Discover)))
        }
        M::ListTools => {
            if !registry.has_tools() {
                return Err(not_offered(method));
            }
            let p: PaginatedRequestParams = call.typed()?;
            let tools: Vec<&Arc<super::ToolDef>> = registry
                .tools
                .as_slice()
                .iter()
                .filter(|t| call.visible(&t.scopes))
                .collect();
            let (range, next) = page(
                ListKind::Tools,
                tools.len(),
                p.cursor.as_deref(),
                server.shared.config.page_size,
            )?;
            let modern = call.modern();
            let result = ListToolsResult {
                tools: tools[range]
                    .iter()
                    .map(|t| match (&t.legacy_tool, modern) {
                        (Some(legacy), false) => legacy.clone(),
                        _ => t.tool.clone(),
                    })
                    .collect(),
                next_cursor: next,
                ..Default::default()
            };
            Ok(call.finish(result, Some(Cacheable::Lists)))
        }
        M::CallTool => call_tool(&call, &registry).await,
        M::ListResources => {
            if !registry.has_resources() {
                return Err(not_offered(method));
            }
            // Only the cursor lives on across the listers' awaits (the params are large).
            let cursor = call.typed::<PaginatedRequestParams>()?.cursor;
            let mut all: Vec<Resource> = registry
                .resources
                .as_slice()
                .iter()
                .filter(|r| call.visible(&r.scopes))
                .map(|r| r.resource.clone())
                .collect();
            for t in registry
                .templates
                .iter()
                .filter(|t| call.visible(&t.scopes))
            {
                if let Some(lister) = &t.lister {
                    let listed = lister
                        .list(call.context(None))
                        .await
                        .map_err(Error::into_error_object)?;
                    all.extend(listed);
                }
            }
            let (range, next) = page(
                ListKind::Resources,
                all.len(),
                cursor.as_deref(),
                server.shared.config.page_size,
            )?;
            let result = ListResourcesResult {
                resources: all.drain(range).collect(),
                next_cursor: next,
                ..Default::default()
            };
            Ok(call.finish(result, Some(Cacheable::Lists)))
        }
        M::ListResourceTemplates => {
            if !registry.has_resources() {
                return Err(not_offered(method));
            }
            let p: PaginatedRequestParams = call.typed()?;
            let templates: Vec<&Arc<super::ResourceTemplateDef>> = registry
                .templates
                .iter()
                .filter(|t| call.visible(&t.scopes))
                .collect();
            let (range, next) = page(
                ListKind::Templates,
                templates.len(),
                p.cursor.as_deref(),
                server.shared.config.page_size,
            )?;
            let result = ListResourceTemplatesResult {
                resource_templates: templates[range]
                    .iter()
                    .map(|t| t.template.clone())
                    .collect(),
                next_cursor: next,
                ..Default::default()
            };
            Ok(call.finish(result, Some(Cacheable::Lists)))
        }
        M::ReadResource => read_resource(&call, &registry).await,
        M::Subscribe | M::Unsubscribe => {
            if !registry.has_resources() {
                return Err(not_offered(method));
            }
            let p: SubscribeRequestParams = call.typed()?;
            if let Some(scopes) = registry.resource_scopes(&p.uri) {
                call.authorize(scopes)?;
            }
            if method == M::Subscribe {
                call.req.session.subscribe(&p.uri);
            } else {
                call.req.session.unsubscribe(&p.uri);
            }
            Ok(McpResponse::result(&EmptyResult::default()))
        }
        M::ListPrompts => {
            if !registry.has_prompts() {
                return Err(not_offered(method));
            }
            let p: PaginatedRequestParams = call.typed()?;
            let prompts: Vec<&Arc<super::PromptDef>> = registry
                .prompts
                .as_slice()
                .iter()
                .filter(|p| call.visible(&p.scopes))
                .collect();
            let (range, next) = page(
                ListKind::Prompts,
                prompts.len(),
                p.cursor.as_deref(),
                server.shared.config.page_size,
            )?;
            let result = ListPromptsResult {
                prompts: prompts[range].iter().map(|p| p.prompt.clone()).collect(),
                next_cursor: next,
                ..Default::default()
            };
            Ok(call.finish(result, Some(Cacheable::Lists)))
        }
        M::GetPrompt => get_prompt(&call, &registry).await,
        // Boxed: rare, and their futures are the largest; every request's future would
        // be as large otherwise.
        M::Complete => Box::pin(complete(&call, &registry)).await,
        M::SetLevel => {
            let p: SetLevelRequestParams = call.typed()?;
            call.req.session.set_log_level(p.level);
            Ok(McpResponse::result(&EmptyResult::default()))
        }
        M::SubscriptionsListen => Box::pin(listen(&call, &registry)).await,
        M::GetTask | M::UpdateTask | M::CancelTask => {
            Box::pin(super::tasks::dispatch(&server, &call.info, &call.req)).await
        }
    }
}

/// The capabilities of a legacy session: extensions are a 2026-07-28 concept.
fn legacy_capabilities(server: &Server) -> ServerCapabilities {
    let mut caps = server.capabilities();
    caps.extensions = None;
    caps
}

fn initialize(call: &Call<'_>) -> Result<McpResponse, ErrorObject> {
    let server = call.server;
    let p: InitializeRequestParams = call.typed()?;
    let version = ProtocolVersion::parse(&p.protocol_version)
        .filter(|v| v.era() == Era::Legacy && server.supports(*v))
        .or_else(|| {
            server
                .supported_versions()
                .into_iter()
                .find(|v| v.era() == Era::Legacy)
        })
        .ok_or_else(|| legacy_disabled(server))?;
    call.req.session.begin(Negotiated {
        version,
        capabilities: Arc::new(p.capabilities),
        client_info: Arc::new(p.client_info),
    })?;
    server.register_session(&call.req.session);
    let mut result = InitializeResult::new(
        version.as_str(),
        legacy_capabilities(server),
        server.shared.config.info.clone(),
    );
    result.instructions = server.shared.config.instructions.clone();
    Ok(McpResponse::result(&result))
}

#[derive(Deserialize)]
struct CallToolDispatch<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow, default)]
    arguments: Option<&'a RawValue>,
    #[serde(rename = "inputResponses", default)]
    input_responses: Option<JsonObject>,
    #[serde(rename = "requestState", default)]
    request_state: Option<String>,
}

/// The params of an ordinary `tools/call` (`name`, `arguments`, `_meta`; nothing for MRTR)
/// from where the envelope parser found them, without parsing the params again.
fn call_tool_fast<'a>(call: &'a Call<'_>) -> Option<(CallToolDispatch<'a>, Option<RawJson>)> {
    let params = call.req.params.as_ref()?;
    let (mut name, mut arguments) = (None, None);
    for (key, value) in params.members_of(params.get())? {
        match key {
            "name" => name = Some(value),
            "arguments" => arguments = Some(value),
            "_meta" => {}
            // Anything else (`inputResponses`, `requestState`, ...) takes the full parse.
            _ => return None,
        }
    }
    // A string without escapes; anything else takes the full parse.
    let name = name?.strip_prefix('"')?.strip_suffix('"')?;
    if name.contains('\\') {
        return None;
    }
    let arguments = arguments
        .filter(|a| *a != "null")
        .and_then(|a| params.slice(a));
    let dispatch = CallToolDispatch {
        name: Cow::Borrowed(name),
        arguments: None,
        input_responses: None,
        request_state: None,
    };
    Some((dispatch, arguments))
}

async fn call_tool(
    call: &Call<'_>,
    registry: &super::registry::Registry,
) -> Result<McpResponse, ErrorObject> {
    if !registry.has_tools() {
        return Err(not_offered(M::CallTool));
    }
    let (p, args_raw) = match call_tool_fast(call) {
        Some(fast) => fast,
        None => {
            let p: CallToolDispatch<'_> = call.parse()?;
            let args_raw = match (p.arguments, &call.req.params) {
                (Some(a), Some(params)) if a.get() != "null" => params.slice(a.get()),
                _ => None,
            };
            (p, args_raw)
        }
    };
    let Some(def) = registry.tools.get(&p.name) else {
        return Err(ErrorObject::invalid_params(format!(
            "Unknown tool: {}",
            p.name
        )));
    };
    call.authorize(&def.scopes)?;
    let (name, bound_args) = (p.name.as_ref(), args_raw.clone());
    let round = call.round(
        move || {
            let args = bound_args
                .as_ref()
                .map(RawJson::to_value)
                .unwrap_or(Value::Null);
            Binding::new("tools/call", &[&Value::from(name), &args], call.principal())
        },
        p.input_responses,
        p.request_state.as_deref(),
    )?;
    // Tasks extension: the call may become a task (or a required-task tool be refused).
    let task = super::tasks::plan(
        call.server,
        &call.info,
        def.task_options(),
        &call.req.extensions,
    )?;
    let mrtr = round.as_ref().map(|(r, _)| r.clone());
    let ctx = call.context_in(mrtr.clone(), task.as_ref().map(|t| t.link()));
    let fut = def.handler.call(ctx, ToolArguments::new(args_raw));
    let outcome = match task {
        None => call.run(round, fut).await,
        Some(task) => {
            let fut = task.start(fut, mrtr, call.req.cancel.clone());
            match call.run(round, fut).await {
                Ok(Ok(super::tasks::Started::Task(created))) => {
                    return Ok(McpResponse::result(&created));
                }
                Ok(Ok(super::tasks::Started::Done(r))) => Ok(Ok(r)),
                Ok(Err(e)) => Ok(Err(e)),
                Err(interim) => Err(interim),
            }
        }
    };
    let outcome = match outcome {
        Ok(o) => o,
        Err(interim) => return Ok(interim),
    };
    let mut result = match outcome {
        Ok(r) => r,
        Err(Error::Protocol(e)) => return Err(e),
        Err(other) => CallToolResult::error(other.to_string()),
    };
    if !call.modern() {
        // Before 2026-07-28 structured content must be an object.
        if let Some(v) = result.structured_content.take() {
            result.structured_content = Some(if def.wraps_output() || !v.is_object() {
                serde_json::json!({ "result": v })
            } else {
                v
            });
        }
    }
    Ok(call.finish_tool(result))
}

#[derive(Deserialize)]
struct ReadDispatch {
    uri: String,
    #[serde(rename = "inputResponses", default)]
    input_responses: Option<JsonObject>,
    #[serde(rename = "requestState", default)]
    request_state: Option<String>,
}

fn resource_not_found(call: &Call<'_>, uri: &str) -> ErrorObject {
    let code = if call.modern() {
        ErrorCode::INVALID_PARAMS
    } else {
        ErrorCode::RESOURCE_NOT_FOUND
    };
    ErrorObject::new(code, format!("Resource not found: {uri}"))
        .with_data(serde_json::json!({ "uri": uri }))
}

async fn read_resource(
    call: &Call<'_>,
    registry: &super::registry::Registry,
) -> Result<McpResponse, ErrorObject> {
    if !registry.has_resources() {
        return Err(not_offered(M::ReadResource));
    }
    let p: ReadDispatch = call.parse()?;
    let Some(super::registry::FoundResource {
        handler,
        params,
        scopes,
    }) = registry.find_resource(&p.uri)
    else {
        return Err(resource_not_found(call, &p.uri));
    };
    call.authorize(&scopes)?;
    let round = call.round(
        || {
            Binding::new(
                "resources/read",
                &[&Value::from(p.uri.as_str())],
                call.principal(),
            )
        },
        p.input_responses,
        p.request_state.as_deref(),
    )?;
    let ctx = call.context(round.as_ref().map(|(r, _)| r.clone()));
    let fut = handler.read(ctx, p.uri.clone(), params);
    let outcome = match call.run(round, fut).await {
        Ok(o) => o,
        Err(interim) => return Ok(interim),
    };
    let result = outcome.map_err(Error::into_error_object)?;
    if result.contents.is_empty() {
        // An empty list would be ambiguous with "no such resource" (the spec forbids it).
        return Err(resource_not_found(call, &p.uri));
    }
    Ok(call.finish(result, Some(Cacheable::ResourceRead)))
}

#[derive(Deserialize)]
struct PromptDispatch {
    name: String,
    #[serde(default)]
    arguments: Option<BTreeMap<String, String>>,
    #[serde(rename = "inputResponses", default)]
    input_responses: Option<JsonObject>,
    #[serde(rename = "requestState", default)]
    request_state: Option<String>,
}

async fn get_prompt(
    call: &Call<'_>,
    registry: &super::registry::Registry,
) -> Result<McpResponse, ErrorObject> {
    if !registry.has_prompts() {
        return Err(not_offered(M::GetPrompt));
    }
    let p: PromptDispatch = call.parse()?;
    let Some(def) = registry.prompts.get(&p.name) else {
        return Err(ErrorObject::invalid_params(format!(
            "Unknown prompt: {}",
            p.name
        )));
    };
    call.authorize(&def.scopes)?;
    let arguments = p.arguments.unwrap_or_default();
    for required in def.required_arguments() {
        if !arguments.contains_key(&required.name) {
            return Err(ErrorObject::invalid_params(format!(
                "Missing required argument `{}` of prompt {}",
                required.name, p.name
            )));
        }
    }
    let args_value = serde_json::to_value(&arguments).unwrap_or(Value::Null);
    let round = call.round(
        || {
            Binding::new(
                "prompts/get",
                &[&Value::from(p.name.as_str()), &args_value],
                call.principal(),
            )
        },
        p.input_responses,
        p.request_state.as_deref(),
    )?;
    let ctx = call.context(round.as_ref().map(|(r, _)| r.clone()));
    let fut = def.handler.get(ctx, arguments);
    let outcome = match call.run(round, fut).await {
        Ok(o) => o,
        Err(interim) => return Ok(interim),
    };
    let result = outcome.map_err(Error::into_error_object)?;
    Ok(call.finish(result, None))
}

async fn complete(
    call: &Call<'_>,
    registry: &super::registry::Registry,
) -> Result<McpResponse, ErrorObject> {
    if !registry.has_completions() {
        return Err(not_offered(M::Complete));
    }
    let p: CompleteRequestParams = call.typed()?;
    let handler = match &p.reference {
        CompletionReference::Prompt(r) => {
            let Some(def) = registry.prompts.get(&r.name) else {
                return Err(ErrorObject::invalid_params(format!(
                    "Unknown prompt: {}",
                    r.name
                )));
            };
            call.authorize(&def.scopes)?;
            def.completions.get(&p.argument.name).cloned()
        }
        CompletionReference::Resource(r) => {
            let Some(t) = registry
                .templates
                .iter()
                .find(|t| t.template.uri_template == r.uri)
            else {
                return Err(ErrorObject::invalid_params(format!(
                    "Unknown resource template: {}",
                    r.uri
                )));
            };
            call.authorize(&t.scopes)?;
            t.completions.get(&p.argument.name).cloned()
        }
    };
    let completion = match handler {
        // Arguments without a completer simply have no suggestions.
        None => Completion::new(Vec::new()),
        Some(h) => {
            let context = p.context.and_then(|c| c.arguments).unwrap_or_default();
            let mut c = h
                .complete(call.context(None), p.argument, context)
                .await
                .map_err(Error::into_error_object)?;
            c.values.truncate(Completion::MAX_VALUES);
            c
        }
    };
    Ok(call.finish(CompleteResult::new(completion), None))
}

async fn listen(
    call: &Call<'_>,
    registry: &super::registry::Registry,
) -> Result<McpResponse, ErrorObject> {
    let (tools, resources, prompts) = (
        registry.has_tools(),
        registry.has_resources(),
        registry.has_prompts(),
    );
    if !(tools || resources || prompts) {
        return Err(not_offered(M::SubscriptionsListen));
    }
    let p: SubscriptionsListenRequestParams = call.typed()?;
    let requested = p.notifications;
    // Acknowledge the subset this server will honour.
    let mut ack = SubscriptionFilter::new();
    if tools && requested.tools_list_changed == Some(true) {
        ack.tools_list_changed = Some(true);
    }
    if prompts && requested.prompts_list_changed == Some(true) {
        ack.prompts_list_changed = Some(true);
    }
    if resources && requested.resources_list_changed == Some(true) {
        ack.resources_list_changed = Some(true);
    }
    if resources {
        ack.resource_subscriptions = requested.resource_subscriptions;
    }
    ack.task_ids = super::tasks::listen_task_ids(
        call.server,
        &call.info,
        call.principal().as_deref(),
        requested.task_ids,
    )
    .await?;
    let subscription = call.req.id.clone();
    let params = SubscriptionsAcknowledgedNotificationParams {
        notifications: ack.clone(),
        meta: Some(NotificationMeta::subscription(subscription.clone())),
    };
    if let Ok(text) =
        jsonrpc::encode_notification("notifications/subscriptions/acknowledged", Some(&params))
    {
        call.req.channel.send(text);
    }
    struct Unregister<'a>(&'a Server, u64);
    impl Drop for Unregister<'_> {
        fn drop(&mut self) {
            self.0.remove_listener(self.1);
        }
    }
    let id = call.server.add_listener(Listener {
        subscription: subscription.clone(),
        filter: ack,
        channel: call.req.channel.clone(),
        principal: call.principal(),
    });
    let _guard = Unregister(call.server, id);
    tokio::select! {
        _ = call.req.cancel.cancelled() => {}
        _ = call.req.session.closed().cancelled() => {}
        _ = call.server.shared.shutdown.cancelled() => {
            // The server ends the stream: tell the client, then answer the request.
            let params = CancelledNotificationParams {
                request_id: Some(subscription.clone()),
                reason: Some("the server is shutting down".into()),
                meta: Some(NotificationMeta::subscription(subscription.clone())),
            };
            if let Ok(text) = jsonrpc::encode_notification("notifications/cancelled", Some(&params)) {
                call.req.channel.send(text);
            }
        }
    }
    let config = &call.server.shared.config;
    let result = SubscriptionsListenResult {
        result_type: Some(ResultType::Complete),
        meta: ResultMeta {
            server_info: config.server_info_in_results.then(|| config.info.clone()),
            subscription_id: Some(subscription),
            ..ResultMeta::default()
        },
    };
    Ok(McpResponse::result(&result))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_results_are_shaped_as_the_generic_path_shapes_them() {
        let mut info = Implementation::new("shaper \"test\"", "1.0");
        info.title = Some("A title".into());
        for in_results in [true, false] {
            let server = Server::new(info.clone()).server_info_in_results(in_results);
            let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<String>();
            let out: Arc<dyn crate::connection::Outbound> = Arc::new(tx);
            let session = super::super::Session::new(out.clone());
            let req = McpRequest::new(
                1.into(),
                "tools/call",
                None,
                session,
                out,
                Default::default(),
            );
            for version in [ProtocolVersion::LATEST_LEGACY, ProtocolVersion::LATEST] {
                let call = Call {
                    server: &server,
                    info: RequestInfo {
                        method: M::CallTool,
                        version,
                        client_capabilities: Arc::default(),
                        client_info: None,
                        progress_token: None,
                        log_level: None,
                    },
                    req: McpRequest::new(
                        1.into(),
                        "tools/call",
                        None,
                        req.session.clone(),
                        req.channel.clone(),
                        Default::default(),
                    ),
                };
                let mut with_meta = CallToolResult::text("m");
                with_meta.meta = Some(ResultMeta::default());
                for result in [
                    CallToolResult::text("plain"),
                    CallToolResult::error("failed"),
                    CallToolResult::structured(serde_json::json!({"a": 1}), "{}"),
                    CallToolResult::success([]),
                    with_meta,
                ] {
                    let id = 1.into();
                    assert_eq!(
                        call.finish_tool(result.clone()).into_message(&id),
                        call.finish(result, None).into_message(&id),
                    );
                }
            }
        }
    }
}
