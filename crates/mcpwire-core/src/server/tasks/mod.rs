//! The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663) on the server side.
//!
//! A tool opts in with [`ToolBuilder::task_support`](super::ToolBuilder::task_support);
//! its handler is written as for any tool. When a client that declared the extension in
//! its request's capabilities calls it, the SDK decides to run it as a task:
//!
//! * the handler runs inline for the tool's [`task_after`](super::ToolBuilder::task_after)
//!   window (zero by default). If it finishes within it, the client gets the result
//!   directly; input it asks for meanwhile is gathered with ordinary multi round-trip
//!   requests on the call itself;
//! * then the task is stored (so `tasks/get` finds it at once), the call answers
//!   `CreateTaskResult`, and the handler goes on in the background;
//! * `ctx.elicit`, `ctx.sample` and `ctx.list_roots` from then on turn the task
//!   `input_required`; `tasks/update` answers them and the handler resumes where it waited;
//! * the handler's result becomes `completed` (a tool error included), a JSON-RPC error or
//!   a panic `failed`; `tasks/cancel` drops the handler's future and fires its
//!   cancellation token, and the task ends `cancelled`.
//!
//! Clients that did not declare the extension get the tool's result directly from an
//! [`Optional`](TaskSupport::Optional) tool, and `-32021` from a
//! [`Required`](TaskSupport::Required) one.
//!
//! Task ids are 128 random bits from the operating system; a task created by a caller an
//! authentication layer identified (see [`Principal`](super::Principal)) is visible to that
//! principal only. Progress and log notifications are not sent for tasks.

mod live;
mod store;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::task::Poll;
use std::time::{Duration, SystemTime};

use serde::Deserialize;
use tokio_util::sync::CancellationToken;

pub use store::{InMemoryTaskStore, TaskRecord, TaskStore, TaskStoreError};

use self::live::{LiveTask, iso8601, new_task_id};
use super::Server;
use super::context::{Principal, RequestInfo};
use super::mrtr::MrtrRound;
use super::session::{McpRequest, McpResponse};
use crate::connection::{BoxFuture, Outbound};
use crate::error::Error;
use crate::jsonrpc::{self, ErrorCode, ErrorObject};
use crate::methods::ClientRequestMethod as M;
use crate::types::{
    CallToolResult, CreateTaskResult, DetailedTask, EmptyResult, GetTaskResult, JsonObject,
    ResultMeta, ResultType, TASKS_EXTENSION, Task, TaskStatus,
};
use crate::version::{Era, ProtocolVersion};

/// Whether a tool may run as a task.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TaskSupport {
    /// Never: the tool always answers directly (the default).
    #[default]
    Forbidden,
    /// When the client declared the tasks extension; otherwise the tool answers directly.
    Optional,
    /// Only as a task: clients that did not declare the extension get `-32021` (missing
    /// required client capability).
    Required,
}

/// How one tool takes part in the tasks extension.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ToolTaskOptions {
    pub(crate) support: TaskSupport,
    /// How long the handler runs inline before the call becomes a task.
    pub(crate) after: Duration,
}

/// Settings of the tasks extension on a server: where task state is kept, how long tasks
/// live and how often clients should poll.
#[derive(Clone)]
pub struct TaskConfig {
    store: Arc<dyn TaskStore>,
    ttl: Option<Duration>,
    poll_interval: Duration,
}

impl std::fmt::Debug for TaskConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskConfig")
            .field("ttl", &self.ttl)
            .field("poll_interval", &self.poll_interval)
            .finish()
    }
}

impl Default for TaskConfig {
    fn default() -> Self {
        TaskConfig {
            store: Arc::new(InMemoryTaskStore::new()),
            ttl: Some(Duration::from_secs(3600)),
            poll_interval: Duration::from_millis(500),
        }
    }
}

impl TaskConfig {
    /// An [`InMemoryTaskStore`], a one-hour TTL and a 500 ms polling interval.
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps task state in `store`.
    pub fn store(mut self, store: impl TaskStore) -> Self {
        self.store = Arc::new(store);
        self
    }

    /// Keeps task state in a shared `store`.
    pub fn store_arc(mut self, store: Arc<dyn TaskStore>) -> Self {
        self.store = store;
        self
    }

    /// How long a task lives after its creation (`ttlMs`); `None` for no limit. A task
    /// still running when its TTL elapses is stopped and reported `failed`.
    pub fn ttl(mut self, ttl: Option<Duration>) -> Self {
        self.ttl = ttl;
        self
    }

    /// The polling interval suggested to clients (`pollIntervalMs`, at least 1 ms).
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(1));
        self
    }
}

/// The tasks extension of one server: its settings and the tasks running in this process.
pub(crate) struct TaskRuntime {
    config: TaskConfig,
    /// Set with `Server::tasks`: the extension is offered even without task tools.
    explicit: bool,
    live: Mutex<HashMap<String, Arc<LiveTask>>>,
}

impl TaskRuntime {
    pub(crate) fn new(config: TaskConfig, explicit: bool) -> Arc<TaskRuntime> {
        Arc::new(TaskRuntime {
            config,
            explicit,
            live: Mutex::new(HashMap::new()),
        })
    }

    pub(crate) fn explicit(&self) -> bool {
        self.explicit
    }

    fn live_map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<LiveTask>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn live(&self, task_id: &str) -> Option<Arc<LiveTask>> {
        self.live_map().get(task_id).cloned()
    }

    pub(crate) fn forget(&self, task_id: &str) {
        self.live_map().remove(task_id);
    }

    /// How many tasks run in this process now.
    pub(crate) fn running(&self) -> usize {
        self.live_map().len()
    }

    /// The record of `task_id` if `principal` may see it.
    async fn lookup(
        &self,
        task_id: &str,
        principal: Option<&str>,
    ) -> Result<TaskRecord, ErrorObject> {
        let not_found = || ErrorObject::invalid_params("Failed to retrieve task: Task not found");
        let record = self.config.store.get(task_id).await.map_err(|e| {
            ErrorObject::internal(format!("Internal error: the task store failed: {e}"))
        })?;
        // Another caller's task is reported exactly like one that does not exist.
        let record = record
            .filter(|r| r.owner.as_deref() == principal)
            .ok_or_else(not_found)?;
        if record.is_expired(SystemTime::now()) {
            return Err(ErrorObject::invalid_params(
                "Failed to retrieve task: Task has expired",
            ));
        }
        Ok(record)
    }
}

/// Whether the request declared the tasks extension (only 2026-07-28 requests can).
pub(crate) fn client_declared(info: &RequestInfo) -> bool {
    info.version.era() == Era::Modern && info.client_capabilities.has_extension(TASKS_EXTENSION)
}

fn missing_extension(version: ProtocolVersion) -> ErrorObject {
    let code = match version.era() {
        Era::Modern => ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
        // Before 2026-07-28 no code was assigned; the request is invalid for this client.
        Era::Legacy => ErrorCode::INVALID_REQUEST,
    };
    ErrorObject::new(
        code,
        format!(
            "Missing required client capability: this request needs the {TASKS_EXTENSION} extension"
        ),
    )
    .with_data(serde_json::json!({
        "requiredCapabilities": { "extensions": { TASKS_EXTENSION: {} } }
    }))
}

/// The `_meta` results of `server` carry (its identity, when configured).
pub(crate) fn result_meta(server: &Server) -> Option<ResultMeta> {
    let config = &server.shared.config;
    config.server_info_in_results.then(|| ResultMeta {
        server_info: Some(config.info.clone()),
        ..ResultMeta::default()
    })
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Connects a tool call's context to the task it may become.
pub(crate) struct TaskLink {
    /// The handler's cancellation token (the request's until the call becomes a task).
    pub(crate) cancel: CancellationToken,
    live: OnceLock<Arc<LiveTask>>,
}

impl TaskLink {
    /// The task, once the call became one.
    pub(crate) fn live(&self) -> Option<&Arc<LiveTask>> {
        self.live.get()
    }

    /// `channel` until the call becomes a task; then nothing (tasks carry no progress or
    /// log notifications).
    pub(crate) fn channel(self: &Arc<Self>, channel: Arc<dyn Outbound>) -> Arc<dyn Outbound> {
        Arc::new(TaskChannel {
            link: self.clone(),
            inner: channel,
        })
    }
}

struct TaskChannel {
    link: Arc<TaskLink>,
    inner: Arc<dyn Outbound>,
}

impl Outbound for TaskChannel {
    fn send(&self, message: String) -> bool {
        if self.link.live.get().is_some() {
            return true;
        }
        self.inner.send(message)
    }
}

/// A tools/call that may become a task.
pub(crate) struct TaskPlan {
    server: Server,
    link: Arc<TaskLink>,
    options: ToolTaskOptions,
    owner: Option<String>,
}

/// What a call that may become a task started as.
pub(crate) enum Started {
    /// The handler finished inline.
    Done(CallToolResult),
    /// The call became this task.
    Task(CreateTaskResult),
}

/// Decides whether a call of a tool with `options` may become a task: `None` to run it as
/// usual, or the `-32021` error of a required-task tool the client cannot accept.
pub(crate) fn plan(
    server: &Server,
    info: &RequestInfo,
    options: ToolTaskOptions,
    extensions: &http::Extensions,
) -> Result<Option<TaskPlan>, ErrorObject> {
    match (options.support, client_declared(info)) {
        (TaskSupport::Forbidden, _) => Ok(None),
        (TaskSupport::Required, false) => Err(missing_extension(info.version)),
        (_, false) => Ok(None),
        (_, true) => Ok(Some(TaskPlan {
            server: server.clone(),
            link: Arc::new(TaskLink {
                cancel: CancellationToken::new(),
                live: OnceLock::new(),
            }),
            options,
            owner: Principal::of(extensions),
        })),
    }
}

/// Fires a token when dropped, unless disarmed.
struct CancelOnDrop(Option<CancellationToken>);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(t) = self.0.take() {
            t.cancel();
        }
    }
}

impl TaskPlan {
    /// The link the call's context carries.
    pub(crate) fn link(&self) -> Arc<TaskLink> {
        self.link.clone()
    }

    /// Runs `fut` (the handler) inline for the tool's window, then as a task. `round` is
    /// the call's MRTR round: an ask it records ends the call with `input_required`, which
    /// the caller (driving this future under the round) answers.
    pub(crate) fn start(
        self,
        fut: BoxFuture<'static, Result<CallToolResult, Error>>,
        round: Option<Arc<MrtrRound>>,
        request_cancel: CancellationToken,
    ) -> BoxFuture<'static, Result<Started, Error>> {
        Box::pin(self.run(fut, round, request_cancel))
    }

    async fn run(
        self,
        mut fut: BoxFuture<'static, Result<CallToolResult, Error>>,
        round: Option<Arc<MrtrRound>>,
        request_cancel: CancellationToken,
    ) -> Result<Started, Error> {
        // Until the call is a task, dropping it (the request was cancelled) or cancelling
        // the request reaches the handler's token as it would on a direct call. A handler
        // that finished, or a round that ended for input, is no cancellation.
        let mut guard = CancelOnDrop(Some(self.link.cancel.clone()));
        if !self.options.after.is_zero() {
            let deadline = tokio::time::sleep(self.options.after);
            let request_cancelled = request_cancel.cancelled();
            tokio::pin!(deadline, request_cancelled);
            let mut cancelled = false;
            let link_cancel = self.link.cancel.clone();
            let inline = std::future::poll_fn(|cx| {
                if !cancelled && request_cancelled.as_mut().poll(cx).is_ready() {
                    cancelled = true;
                    link_cancel.cancel();
                }
                if let Poll::Ready(r) = fut.as_mut().poll(cx) {
                    return Poll::Ready(Some(r));
                }
                // A cancelled call, or one waiting on its MRTR round, does not become a task.
                if round.as_ref().is_some_and(|r| r.has_asks()) {
                    // The round ends here and drops this future; the handler is not cancelled.
                    guard.0 = None;
                    return Poll::Pending;
                }
                if cancelled {
                    return Poll::Pending;
                }
                if deadline.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(None);
                }
                Poll::Pending
            })
            .await;
            if let Some(r) = inline {
                guard.0 = None;
                return r.map(Started::Done);
            }
        }
        let rt = self.server.shared.config.tasks.clone();
        let now = SystemTime::now();
        let ttl = rt.config.ttl;
        let expires_at = ttl.and_then(|t| now.checked_add(t));
        let stamp = iso8601(now);
        let task = Task::new(
            new_task_id()?,
            TaskStatus::Working,
            stamp.clone(),
            stamp,
            ttl.map(millis),
        )
        .with_poll_interval_ms(millis(rt.config.poll_interval));
        let record = TaskRecord::new(
            DetailedTask::new(task.clone()),
            self.owner.clone(),
            expires_at,
        );
        if let Err(e) = rt.config.store.create(record.clone()).await {
            tracing::warn!(error = %e, "could not create a task");
            return match self.options.support {
                TaskSupport::Required => Err(Error::Protocol(ErrorObject::internal(format!(
                    "Internal error: cannot create a task now: {e}"
                )))),
                // The call can still be answered directly.
                _ => {
                    let r = fut.await;
                    guard.0 = None;
                    r.map(Started::Done)
                }
            };
        }
        let live = LiveTask::new(
            record,
            self.link.cancel.clone(),
            rt.config.store.clone(),
            &self.server,
        );
        rt.live_map().insert(task.task_id.clone(), live.clone());
        // From here on the handler's asks go to the task.
        let _ = self.link.live.set(live.clone());
        guard.0 = None;
        tokio::spawn(live::run(
            live,
            fut,
            ttl,
            self.server.shared.shutdown.clone(),
        ));
        let mut created = CreateTaskResult::new(task);
        created.meta = result_meta(&self.server);
        Ok(Started::Task(created))
    }
}

#[derive(Deserialize)]
struct TaskParams {
    #[serde(rename = "taskId")]
    task_id: String,
    /// Kept as raw JSON: answers to keys that are not outstanding are ignored, whatever
    /// their shape.
    #[serde(rename = "inputResponses", default)]
    input_responses: Option<JsonObject>,
}

/// Answers `tasks/get`, `tasks/update` and `tasks/cancel`.
pub(crate) async fn dispatch(
    server: &Server,
    info: &RequestInfo,
    req: &McpRequest,
) -> Result<McpResponse, ErrorObject> {
    if !server.tasks_enabled() {
        return Err(ErrorObject::method_not_found(info.method.name()));
    }
    if !client_declared(info) {
        return Err(missing_extension(info.version));
    }
    let p: TaskParams = jsonrpc::parse_params(req.params.as_ref())?;
    let rt = &server.shared.config.tasks;
    let principal = Principal::of(&req.extensions);
    let record = rt.lookup(&p.task_id, principal.as_deref()).await?;
    let ack = || {
        McpResponse::result(&EmptyResult {
            result_type: Some(ResultType::Complete),
            meta: result_meta(server),
        })
    };
    match info.method {
        M::GetTask => {
            let mut result = GetTaskResult::new(record.task);
            result.meta = result_meta(server);
            Ok(McpResponse::result(&result))
        }
        M::UpdateTask => {
            let responses = p.input_responses.ok_or_else(|| {
                ErrorObject::invalid_params("Invalid params: `inputResponses` is required")
            })?;
            if let Some(live) = rt.live(&p.task_id) {
                live.answer(responses).await;
            }
            Ok(ack())
        }
        M::CancelTask => {
            // Cancelling a task that ended already is acknowledged all the same.
            if let Some(live) = rt.live(&p.task_id) {
                live.cancel.cancel();
            }
            Ok(ack())
        }
        other => Err(ErrorObject::method_not_found(other.name())),
    }
}

/// The task ids a `subscriptions/listen` request asked about that this server will report
/// on: the caller's own, existing tasks. Asking without the extension is refused.
pub(crate) async fn listen_task_ids(
    server: &Server,
    info: &RequestInfo,
    principal: Option<&str>,
    requested: Option<Vec<String>>,
) -> Result<Option<Vec<String>>, ErrorObject> {
    /// More ids than any client follows at once; the rest are not acknowledged.
    const MAX_IDS: usize = 256;
    let Some(ids) = requested.filter(|ids| !ids.is_empty()) else {
        return Ok(None);
    };
    if !client_declared(info) {
        return Err(missing_extension(info.version));
    }
    if !server.tasks_enabled() {
        return Ok(Some(Vec::new()));
    }
    let rt = &server.shared.config.tasks;
    let mut acked: Vec<String> = Vec::new();
    for id in ids.into_iter().take(MAX_IDS) {
        if !acked.contains(&id) && rt.lookup(&id, principal).await.is_ok() {
            acked.push(id);
        }
    }
    Ok(Some(acked))
}
