//! A transport wrapper that validates every message passing through it against the
//! `schema.json` of the protocol revision in use.
//!
//! Requests and notifications are checked against the definition of their method
//! (`CallToolRequest`, `ProgressNotification`, ...), results against the result type of the
//! request they answer (`CallToolResult`, or `InputRequiredResult`), errors against the
//! error definition of their code where the revision has one. Messages of the tasks
//! extension (`tasks/*`, `notifications/tasks`, and a `CreateTaskResult` answering
//! `tools/call`) are checked against the extension's own `schema.json`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mcpwire_core::transport::{MessageSink, MessageStream, Transport, TransportError};
use serde_json::Value;

use crate::SchemaValidator;

/// The schema definitions of a method: request, result.
fn defs(method: &str) -> Option<(&'static str, &'static str)> {
    Some(match method {
        "initialize" => ("InitializeRequest", "InitializeResult"),
        "ping" => ("PingRequest", "EmptyResult"),
        "server/discover" => ("DiscoverRequest", "DiscoverResult"),
        "tools/list" => ("ListToolsRequest", "ListToolsResult"),
        "tools/call" => ("CallToolRequest", "CallToolResult"),
        "resources/list" => ("ListResourcesRequest", "ListResourcesResult"),
        "resources/templates/list" => (
            "ListResourceTemplatesRequest",
            "ListResourceTemplatesResult",
        ),
        "resources/read" => ("ReadResourceRequest", "ReadResourceResult"),
        "resources/subscribe" => ("SubscribeRequest", "EmptyResult"),
        "resources/unsubscribe" => ("UnsubscribeRequest", "EmptyResult"),
        "prompts/list" => ("ListPromptsRequest", "ListPromptsResult"),
        "prompts/get" => ("GetPromptRequest", "GetPromptResult"),
        "completion/complete" => ("CompleteRequest", "CompleteResult"),
        "logging/setLevel" => ("SetLevelRequest", "EmptyResult"),
        "subscriptions/listen" => ("SubscriptionsListenRequest", "SubscriptionsListenResult"),
        "sampling/createMessage" => ("CreateMessageRequest", "CreateMessageResult"),
        "elicitation/create" => ("ElicitRequest", "ElicitResult"),
        "roots/list" => ("ListRootsRequest", "ListRootsResult"),
        _ => return None,
    })
}

/// The definitions of a tasks-extension method in the extension's schema: request, result.
fn task_defs(method: &str) -> Option<(&'static str, &'static str)> {
    Some(match method {
        "tasks/get" => ("GetTaskRequest", "GetTaskResult"),
        "tasks/update" => ("UpdateTaskRequest", "UpdateTaskResult"),
        "tasks/cancel" => ("CancelTaskRequest", "CancelTaskResult"),
        _ => return None,
    })
}

/// The folder of the tasks extension's schema under the spec folder.
const TASKS_SCHEMA: &str = "ext-tasks";

fn notification_def(method: &str) -> Option<&'static str> {
    Some(match method {
        "notifications/initialized" => "InitializedNotification",
        "notifications/cancelled" => "CancelledNotification",
        "notifications/progress" => "ProgressNotification",
        "notifications/message" => "LoggingMessageNotification",
        "notifications/resources/updated" => "ResourceUpdatedNotification",
        "notifications/resources/list_changed" => "ResourceListChangedNotification",
        "notifications/tools/list_changed" => "ToolListChangedNotification",
        "notifications/prompts/list_changed" => "PromptListChangedNotification",
        "notifications/roots/list_changed" => "RootsListChangedNotification",
        "notifications/subscriptions/acknowledged" => "SubscriptionsAcknowledgedNotification",
        _ => return None,
    })
}

/// Which side sent a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The client.
    Client,
    /// The server.
    Server,
}

#[derive(Default)]
struct State {
    /// Method of each request in flight, by (sender, id).
    requests: HashMap<(bool, String), String>,
    /// Revision of each request, by (sender, id), for modern requests.
    request_versions: HashMap<(bool, String), String>,
    /// The legacy revision, once `initialize` was answered.
    legacy: Option<String>,
    count: usize,
    failures: Vec<String>,
}

/// Validates the traffic of one connection.
#[derive(Clone, Default)]
pub struct Recorder {
    state: Arc<Mutex<State>>,
    skip_client: bool,
}

impl Recorder {
    /// A recorder with nothing seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A recorder that validates only what the server sends: for tests whose client is a
    /// hand-written peer sending deliberately bad messages.
    pub fn server_only() -> Self {
        Recorder {
            state: Arc::default(),
            skip_client: true,
        }
    }

    /// Every violation seen so far.
    pub fn failures(&self) -> Vec<String> {
        self.state.lock().unwrap().failures.clone()
    }

    /// How many messages were validated.
    pub fn count(&self) -> usize {
        self.state.lock().unwrap().count
    }

    /// Panics listing every violation; also checks that traffic was seen at all.
    pub fn assert_clean(&self) {
        let st = self.state.lock().unwrap();
        assert!(st.count > 0, "no message passed through the validating tap");
        assert!(
            st.failures.is_empty(),
            "{} of {} messages violate the schema:\n{}",
            st.failures.len(),
            st.count,
            st.failures.join("\n")
        );
    }

    /// Validates one message sent by `side`.
    pub fn observe(&self, side: Side, text: &str) {
        let msg: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => {
                self.fail(format!("{side:?} sent invalid JSON ({e}): {text}"));
                return;
            }
        };
        let mut st = self.state.lock().unwrap();
        st.count += 1;
        let from_client = side == Side::Client;
        let id_key = msg.get("id").map(|id| id.to_string());
        // What the tasks extension's schema checks: (definition, value).
        let mut extension: Option<(&'static str, Value)> = None;
        let version_of_meta = msg
            .pointer("/params/_meta/io.modelcontextprotocol~1protocolVersion")
            .and_then(Value::as_str)
            .map(str::to_owned);
        let (version, def) = if let Some(method) = msg.get("method").and_then(Value::as_str) {
            match (&id_key, defs(method)) {
                (Some(id), Some((req_def, _))) => {
                    st.requests
                        .insert((from_client, id.clone()), method.to_owned());
                    let v = version_of_meta.clone().or_else(|| st.legacy.clone());
                    if let Some(v) = &version_of_meta {
                        st.request_versions
                            .insert((from_client, id.clone()), v.clone());
                    }
                    (v, Some(req_def))
                }
                (None, _) => {
                    if method == "notifications/tasks" {
                        extension = Some(("TaskStatusNotification", msg.clone()));
                    }
                    (
                        version_of_meta.or_else(|| st.legacy.clone()),
                        notification_def(method),
                    )
                }
                (Some(id), None) => {
                    // Remembered so its response can be checked too.
                    st.requests
                        .insert((from_client, id.clone()), method.to_owned());
                    if let Some(v) = &version_of_meta {
                        st.request_versions
                            .insert((from_client, id.clone()), v.clone());
                    }
                    if let Some((req_def, _)) = task_defs(method) {
                        extension = Some((req_def, msg.clone()));
                    }
                    (version_of_meta.or_else(|| st.legacy.clone()), None)
                }
            }
        } else {
            // A response: its request was sent by the other side.
            let key = (!from_client, id_key.clone().unwrap_or_default());
            let method = st.requests.remove(&key);
            let v = st
                .request_versions
                .remove(&key)
                .or_else(|| st.legacy.clone());
            if let (Some("initialize"), Some(pv)) = (
                method.as_deref(),
                msg.pointer("/result/protocolVersion")
                    .and_then(Value::as_str),
            ) {
                st.legacy = Some(pv.to_owned());
            }
            let v = if method.as_deref() == Some("initialize") {
                st.legacy.clone()
            } else {
                v
            };
            let def = match (msg.get("result"), method.as_deref().and_then(defs)) {
                (Some(r), _)
                    if r.get("resultType").and_then(Value::as_str) == Some("input_required") =>
                {
                    Some("InputRequiredResult")
                }
                (Some(r), _) if r.get("resultType").and_then(Value::as_str) == Some("task") => {
                    extension = Some(("CreateTaskResult", r.clone()));
                    None
                }
                (Some(_), Some((_, result_def))) => Some(result_def),
                _ => None,
            };
            if let (Some(r), Some((_, result_def))) =
                (msg.get("result"), method.as_deref().and_then(task_defs))
            {
                extension = Some((result_def, r.clone()));
            }
            (v, def)
        };
        drop(st);
        // Before any revision is known (a failed probe), or for a revision that does not
        // exist (a test asking for `v999`), there is no schema to check against.
        let Some(version) = version.filter(|v| mcpwire_core::ProtocolVersion::parse(v).is_some())
        else {
            return;
        };
        if self.skip_client && side == Side::Client {
            return;
        }
        if let Some((def, target)) = &extension
            && let Err(e) = SchemaValidator::for_extension(TASKS_SCHEMA).validate(def, target)
        {
            self.fail(format!(
                "[tasks extension] {side:?} {def} invalid: {e}\n  {text}"
            ));
        }
        let validator = SchemaValidator::for_version(&version);
        let envelope = if validator.has_def("JSONRPCMessage") {
            "JSONRPCMessage"
        } else {
            "JSONRPCRequest"
        };
        if let Err(e) = validator.validate(envelope, &msg) {
            self.fail(format!(
                "[{version}] {side:?} message is not a {envelope}: {e}\n  {text}"
            ));
        }
        let (target, def) = match def {
            Some(d) if msg.get("result").is_some() => (msg.get("result").cloned().unwrap(), d),
            Some(d) => (msg.clone(), d),
            None => return,
        };
        if !validator.has_def(def) {
            return;
        }
        if let Err(e) = validator.validate(def, &target) {
            self.fail(format!("[{version}] {side:?} {def} invalid: {e}\n  {text}"));
        }
    }

    fn fail(&self, f: String) {
        self.state.lock().unwrap().failures.push(f);
    }
}

/// Wraps a client's transport: what it sends is the client's, what it receives the server's.
pub struct Tap<T> {
    inner: T,
    recorder: Recorder,
}

impl<T> Tap<T> {
    /// Validates everything `inner` carries.
    pub fn new(inner: T, recorder: Recorder) -> Self {
        Tap { inner, recorder }
    }
}

/// The sending half of a [`Tap`].
pub struct TapSink<S> {
    inner: S,
    recorder: Recorder,
}

/// The receiving half of a [`Tap`].
pub struct TapStream<R> {
    inner: R,
    recorder: Recorder,
}

impl<T: Transport> Transport for Tap<T> {
    type Sink = TapSink<T::Sink>;
    type Stream = TapStream<T::Stream>;
    fn split(self) -> (Self::Sink, Self::Stream) {
        let (s, r) = self.inner.split();
        (
            TapSink {
                inner: s,
                recorder: self.recorder.clone(),
            },
            TapStream {
                inner: r,
                recorder: self.recorder,
            },
        )
    }
}

impl<S: MessageSink> MessageSink for TapSink<S> {
    async fn send(&mut self, message: String) -> Result<(), TransportError> {
        self.recorder.observe(Side::Client, &message);
        self.inner.send(message).await
    }
    async fn flush(&mut self) -> Result<(), TransportError> {
        self.inner.flush().await
    }
    async fn close(&mut self) -> Result<(), TransportError> {
        self.inner.close().await
    }
}

impl<R: MessageStream> MessageStream for TapStream<R> {
    async fn recv(&mut self) -> Option<Result<String, TransportError>> {
        let m = self.inner.recv().await;
        if let Some(Ok(text)) = &m {
            self.recorder.observe(Side::Server, text);
        }
        m
    }
}
