//! The request context: what a handler can do besides returning its result.
//!
//! The same calls work on every protocol revision. `elicit`, `sample` and `list_roots`
//! send a real server-to-client request on the legacy era, and on 2026-07-28 become an
//! `InputRequiredResult` that the client answers by retrying (see the `mrtr` module docs
//! for exactly what re-runs), or, in a tool call running as a task, turn the task
//! `input_required` until `tasks/update` answers (the handler is not re-run).

use std::any::{Any, TypeId};
use std::sync::{Arc, Mutex};

use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::Server;
use super::mrtr::{Lookup, MrtrRound, park};
use super::session::Session;
use super::tasks::TaskLink;
use crate::connection::Outbound;
use crate::error::Error;
use crate::jsonrpc::{self, ErrorCode, ErrorObject, RequestId};
use crate::methods::ClientRequestMethod;
use crate::types::{
    ClientCapabilities, CreateMessageRequestParams, CreateMessageResult, ElicitRequestFormParams,
    ElicitRequestParams, ElicitResult, Implementation, InputRequest, JsonObject, ListRootsResult,
    LoggingLevel, LoggingMessageNotificationParams, ProgressNotificationParams, ProgressToken,
};
use crate::version::{Era, ProtocolVersion};

/// Everything known about a request before its handler runs: method, revision, and what
/// the client declared. Set on [`McpRequest::info`](super::McpRequest::info) by the protocol
/// layer.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RequestInfo {
    /// The method.
    pub method: ClientRequestMethod,
    /// The revision the request is served on.
    pub version: ProtocolVersion,
    /// The client's capabilities (per request on 2026-07-28, per session before).
    pub client_capabilities: Arc<ClientCapabilities>,
    /// The client's identity, if known.
    pub client_info: Option<Arc<Implementation>>,
    /// The request's progress token.
    pub progress_token: Option<ProgressToken>,
    /// The per-request log level (2026-07-28).
    pub log_level: Option<LoggingLevel>,
}

/// An identity string used to bind state to a caller: the `requestState` of 2026-07-28
/// and the legacy HTTP sessions a caller opens (another caller cannot use them).
///
/// Authentication layers attach it beside the [`AuthInfo`](super::AuthInfo); when only
/// the latter is present, its subject is used.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Principal(pub String);

impl Principal {
    /// The principal of a request, from its extensions: the [`Principal`] if attached,
    /// else the subject of its [`AuthInfo`](super::AuthInfo).
    pub fn of(extensions: &http::Extensions) -> Option<String> {
        extensions
            .get::<Principal>()
            .map(|p| p.0.clone())
            .or_else(|| {
                extensions
                    .get::<super::AuthInfo>()
                    .map(|a| a.subject().to_owned())
            })
    }
}

pub(crate) struct ContextInner {
    pub(crate) id: RequestId,
    pub(crate) info: RequestInfo,
    pub(crate) cancel: CancellationToken,
    pub(crate) session: Arc<Session>,
    pub(crate) channel: Arc<dyn Outbound>,
    pub(crate) extensions: http::Extensions,
    pub(crate) server: Server,
    pub(crate) mrtr: Option<Arc<MrtrRound>>,
    /// Set for a tool call that may become a task (tasks extension).
    pub(crate) task: Option<Arc<TaskLink>>,
    pub(crate) last_progress: Mutex<Option<f64>>,
}

/// What a handler receives besides its arguments.
///
/// Cheap to clone; clones refer to the same request.
#[derive(Clone)]
pub struct RequestContext {
    pub(crate) inner: Arc<ContextInner>,
}

impl std::fmt::Debug for RequestContext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequestContext")
            .field("id", &self.inner.id)
            .field("method", &self.inner.info.method)
            .field("version", &self.inner.info.version)
            .finish()
    }
}

fn missing_capability(version: ProtocolVersion, name: &str, required: Value) -> Error {
    let data = serde_json::json!({ "requiredCapabilities": required });
    let code = match version.era() {
        Era::Modern => ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
        // Before 2026-07-28 no code was assigned; the request is invalid for this client.
        Era::Legacy => ErrorCode::INVALID_REQUEST,
    };
    Error::Protocol(
        ErrorObject::new(
            code,
            format!("the client did not declare the `{name}` capability this request needs"),
        )
        .with_data(data),
    )
}

impl RequestContext {
    /// The request id.
    pub fn request_id(&self) -> &RequestId {
        &self.inner.id
    }

    /// The method being served.
    pub fn method(&self) -> ClientRequestMethod {
        self.inner.info.method
    }

    /// The protocol revision the request is served on.
    pub fn protocol_version(&self) -> ProtocolVersion {
        self.inner.info.version
    }

    /// The era of that revision.
    pub fn era(&self) -> Era {
        self.inner.info.version.era()
    }

    /// What the client declared it supports.
    pub fn client_capabilities(&self) -> &ClientCapabilities {
        &self.inner.info.client_capabilities
    }

    /// The client's name and version, if it sent them.
    pub fn client_info(&self) -> Option<&Implementation> {
        self.inner.info.client_info.as_deref()
    }

    /// Everything known about the request.
    pub fn request_info(&self) -> &RequestInfo {
        &self.inner.info
    }

    /// Fires when the client cancels the request (or disconnects). Hand a clone to work you
    /// spawn; the handler's own future is also dropped when this fires. For a tool call
    /// running as a task it fires on `tasks/cancel` (or when the task's time to live
    /// elapses), not when the call's connection goes away.
    pub fn cancellation_token(&self) -> &CancellationToken {
        &self.inner.cancel
    }

    /// Whether the request was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    /// Typed values attached by the transport and layers (for example the authenticated user).
    pub fn extensions(&self) -> &http::Extensions {
        &self.inner.extensions
    }

    /// The authenticated caller, when an authentication layer attached one.
    pub fn auth(&self) -> Option<&super::AuthInfo> {
        self.inner.extensions.get::<super::AuthInfo>()
    }

    /// Shared state registered with [`Server::with_state`].
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner.server.state::<T>()
    }

    /// The server, to add or remove tools, resources and prompts or to notify subscribers.
    pub fn server(&self) -> &Server {
        &self.inner.server
    }

    /// The session this request arrived on.
    pub fn session(&self) -> &Arc<Session> {
        &self.inner.session
    }

    fn send(&self, method: &str, params: &impl serde::Serialize) {
        if let Ok(text) = jsonrpc::encode_notification(method, Some(params)) {
            self.inner.channel.send(text);
        }
    }

    /// Reports progress. Does nothing when the client sent no progress token, or when
    /// `progress` does not exceed the last value reported (the spec requires increase).
    pub fn progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let Some(token) = &self.inner.info.progress_token else {
            return;
        };
        {
            let mut last = self.inner.last_progress.lock().unwrap();
            if matches!(*last, Some(prev) if progress <= prev) {
                return;
            }
            *last = Some(progress);
        }
        let params = ProgressNotificationParams::new(
            token.clone(),
            progress,
            total,
            message.map(str::to_owned),
        );
        self.send("notifications/progress", &params);
    }

    /// Whether a log message at `level` would be sent.
    ///
    /// On 2026-07-28 only requests that set `io.modelcontextprotocol/logLevel` receive logs.
    /// Before, the level set with `logging/setLevel` applies, and everything is sent until
    /// the client sets one.
    pub fn log_enabled(&self, level: LoggingLevel) -> bool {
        match self.era() {
            Era::Modern => matches!(self.inner.info.log_level, Some(min) if level >= min),
            Era::Legacy => self
                .inner
                .session
                .log_level()
                .is_none_or(|min| level >= min),
        }
    }

    /// Sends a log message about this request (`notifications/message`).
    pub fn log(&self, level: LoggingLevel, logger: Option<&str>, data: impl Into<Value>) {
        if !self.log_enabled(level) {
            return;
        }
        let params =
            LoggingMessageNotificationParams::new(level, logger.map(str::to_owned), data.into());
        self.send("notifications/message", &params);
    }

    /// Logs at `debug`.
    pub fn debug(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Debug, None, message.into());
    }

    /// Logs at `info`.
    pub fn info(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Info, None, message.into());
    }

    /// Logs at `warning`.
    pub fn warning(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Warning, None, message.into());
    }

    /// Logs at `error`.
    pub fn error(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Error, None, message.into());
    }

    /// Asks the user for input (elicitation), under an automatic key.
    pub async fn elicit(
        &self,
        params: impl Into<ElicitRequestParams>,
    ) -> Result<ElicitResult, Error> {
        self.elicit_keyed(None, params).await
    }

    /// Asks the user for input under `key` (the key of the `inputRequests` entry on
    /// 2026-07-28; ignored before). `None` picks an automatic key.
    pub async fn elicit_keyed(
        &self,
        key: Option<&str>,
        params: impl Into<ElicitRequestParams>,
    ) -> Result<ElicitResult, Error> {
        let params = params.into();
        let caps = self.client_capabilities();
        match &params {
            ElicitRequestParams::Form(_) if !caps.supports_form_elicitation() => {
                return Err(missing_capability(
                    self.protocol_version(),
                    "elicitation",
                    serde_json::json!({"elicitation": {"form": {}}}),
                ));
            }
            ElicitRequestParams::Url(_) if !caps.supports_url_elicitation() => {
                return Err(missing_capability(
                    self.protocol_version(),
                    "elicitation",
                    serde_json::json!({"elicitation": {"url": {}}}),
                ));
            }
            _ => {}
        }
        self.ask(
            key,
            "elicitation",
            InputRequest::elicit(params),
            "elicitation/create",
        )
        .await
    }

    /// Asks the user to fill in a form shaped like `T` and parses the answer into `T`.
    ///
    /// Returns `Ok(None)` when the user declined or cancelled.
    pub async fn elicit_form<T: DeserializeOwned + schemars::JsonSchema>(
        &self,
        message: impl Into<String>,
    ) -> Result<Option<T>, Error> {
        let schema = super::schema::elicitation_schema_for::<T>();
        let result = self
            .elicit(ElicitRequestFormParams::new(message, schema))
            .await?;
        match (result.action, result.content) {
            (crate::types::ElicitAction::Accept, Some(content)) => {
                serde_json::from_value(Value::Object(content))
                    .map(Some)
                    .map_err(|e| Error::InvalidResponse(format!("elicitation answer: {e}")))
            }
            (crate::types::ElicitAction::Accept, None) => Err(Error::InvalidResponse(
                "elicitation accepted without content".into(),
            )),
            _ => Ok(None),
        }
    }

    /// Asks the client's model for a completion (sampling), under an automatic key.
    pub async fn sample(
        &self,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, Error> {
        self.sample_keyed(None, params).await
    }

    /// Asks the client's model for a completion under `key`.
    pub async fn sample_keyed(
        &self,
        key: Option<&str>,
        params: CreateMessageRequestParams,
    ) -> Result<CreateMessageResult, Error> {
        let caps = self.client_capabilities();
        match &caps.sampling {
            None => {
                return Err(missing_capability(
                    self.protocol_version(),
                    "sampling",
                    serde_json::json!({"sampling": {}}),
                ));
            }
            Some(s) if params.tools.is_some() && s.tools.is_none() => {
                return Err(missing_capability(
                    self.protocol_version(),
                    "sampling.tools",
                    serde_json::json!({"sampling": {"tools": {}}}),
                ));
            }
            _ => {}
        }
        self.ask(
            key,
            "sampling",
            InputRequest::create_message(params),
            "sampling/createMessage",
        )
        .await
    }

    /// Asks the client for its roots, under an automatic key.
    pub async fn list_roots(&self) -> Result<ListRootsResult, Error> {
        self.list_roots_keyed(None).await
    }

    /// Asks the client for its roots under `key`.
    pub async fn list_roots_keyed(&self, key: Option<&str>) -> Result<ListRootsResult, Error> {
        if self.client_capabilities().roots.is_none() {
            return Err(missing_capability(
                self.protocol_version(),
                "roots",
                serde_json::json!({"roots": {}}),
            ));
        }
        self.ask(key, "roots", InputRequest::list_roots(), "roots/list")
            .await
    }

    async fn ask<R: DeserializeOwned>(
        &self,
        key: Option<&str>,
        kind: &str,
        request: InputRequest,
        method: &str,
    ) -> Result<R, Error> {
        // Once the call runs as a task, asks wait for `tasks/update`.
        if let Some(task) = self.inner.task.as_ref().and_then(|t| t.live()) {
            let value = task.ask(key, kind, request).await?;
            return serde_json::from_value(value).map_err(|e| {
                Error::Protocol(ErrorObject::invalid_params(format!(
                    "Invalid params: inputResponses: the answer to `{method}` is malformed: {e}"
                )))
            });
        }
        match (&self.inner.mrtr, self.era()) {
            (Some(round), _) => {
                let auto;
                let key = match key {
                    Some(k) => k,
                    None => {
                        auto = round.next_key(kind);
                        &auto
                    }
                };
                match round.lookup(key, request) {
                    Lookup::Answered(value) => serde_json::from_value(value).map_err(|e| {
                        Error::Protocol(ErrorObject::invalid_params(format!(
                            "Invalid params: inputResponses.{key}: {e}"
                        )))
                    }),
                    Lookup::Asked => park().await,
                }
            }
            (None, Era::Modern) => Err(Error::Protocol(ErrorObject::internal(format!(
                "`{method}` can only be asked while serving tools/call, prompts/get or resources/read"
            )))),
            (None, Era::Legacy) => {
                let session = &self.inner.session;
                if !session.wait_ready().await {
                    return Err(Error::Closed);
                }
                let params: Value = match request {
                    InputRequest::Elicit(r) => serde_json::to_value(&r.params),
                    InputRequest::CreateMessage(r) => serde_json::to_value(&r.params),
                    InputRequest::ListRoots(r) => serde_json::to_value(&r.params),
                }
                .map_err(|e| Error::Encode(e.to_string()))?;
                let params = (!params.is_null()).then_some(params);
                let raw = session
                    .request(&*self.inner.channel, method, params.as_ref())
                    .await?;
                raw.parse()
                    .map_err(|e| Error::InvalidResponse(format!("answer to {method}: {e}")))
            }
        }
    }
}

/// Typed shared state, taken from the server by type.
#[derive(Default)]
pub(crate) struct StateMap(
    pub(crate) std::collections::HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
);

impl StateMap {
    pub(crate) fn get<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.0
            .get(&TypeId::of::<T>())
            .and_then(|a| a.clone().downcast::<T>().ok())
    }
}

/// Shared state in a handler's arguments (used by the attribute macros and by hand).
#[derive(Clone, Debug)]
pub struct State<T>(pub Arc<T>);

impl<T> std::ops::Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> State<T> {
    /// Takes the state of type `T` from the request's server.
    pub fn from_context(ctx: &RequestContext) -> Result<State<T>, Error> {
        ctx.state::<T>().map(State).ok_or_else(|| {
            Error::internal(format!(
                "no state of type `{}` was registered with Server::with_state",
                std::any::type_name::<T>()
            ))
        })
    }
}

/// Builds a form schema (`requestedSchema`) from JSON schema properties.
pub fn form_schema(properties: JsonObject, required: &[&str]) -> JsonObject {
    let mut o = JsonObject::new();
    o.insert("type".into(), Value::from("object"));
    o.insert("properties".into(), Value::Object(properties));
    o.insert(
        "required".into(),
        Value::Array(required.iter().map(|r| Value::from(*r)).collect()),
    );
    o
}
