//! The tasks extension (`io.modelcontextprotocol/tasks`) on the client side.
//!
//! A client built with [`ClientBuilder::tasks`](super::ClientBuilder::tasks) declares the
//! extension on every 2026-07-28 request. When the server answers a `tools/call` with a
//! task, [`Client::call_tool`] follows it to its end: it polls `tasks/get` at the interval
//! the server suggests, answers `input_required` tasks with the client's elicitation,
//! sampling and roots handlers through `tasks/update`, and returns the tool result (or the
//! JSON-RPC error of a `failed` task). Cancelling the call (its token, or dropping its
//! future) sends `tasks/cancel`.
//!
//! [`Client::start_tool_call`], [`Client::get_task`], [`Client::update_task`],
//! [`Client::cancel_task`] and [`Client::wait_for_task`] expose the same lifecycle step by
//! step.

use std::collections::HashSet;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::{BoxFuture, Client, RequestOptions};
use crate::error::Error;
use crate::jsonrpc::ErrorObject;
use crate::methods;
use crate::types::{
    CallToolRequestParams, CallToolResult, CancelTaskRequestParams, CreateTaskResult,
    GetTaskRequestParams, GetTaskResult, InputRequests, InputResponse, InputResponses, JsonObject,
    TASKS_EXTENSION, TaskStatus, UpdateTaskRequestParams,
};

/// How a `tools/call` started: with its result, or as a task to follow.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ToolCall {
    /// The server answered directly.
    Complete(CallToolResult),
    /// The server runs the call as a task; follow it with [`Client::wait_for_task`] or
    /// step by step with [`Client::get_task`].
    Task(CreateTaskResult),
}

/// The shortest and longest wait between two polls, whatever the server suggests.
const MIN_POLL: Duration = Duration::from_millis(10);
const MAX_POLL: Duration = Duration::from_secs(60);

/// Sends `tasks/cancel` for a task being followed unless disarmed: the caller dropped the
/// call, or following it failed.
struct CancelOnDrop {
    client: Option<Client>,
    task_id: String,
}

impl CancelOnDrop {
    fn disarm(&mut self) {
        self.client = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let (Some(client), Ok(rt)) = (self.client.take(), tokio::runtime::Handle::try_current())
        {
            let task_id = std::mem::take(&mut self.task_id);
            rt.spawn(async move {
                let _ = client.cancel_task(&task_id).await;
            });
        }
    }
}

impl Client {
    /// Whether this client declares the tasks extension.
    pub fn tasks_declared(&self) -> bool {
        self.inner.capabilities.has_extension(TASKS_EXTENSION)
    }

    /// Reads a task (`tasks/get`): its status and, by status, its input requests, result
    /// or error.
    pub async fn get_task(&self, task_id: &str) -> Result<GetTaskResult, Error> {
        self.get_task_with(task_id, &RequestOptions::default())
            .await
    }

    async fn get_task_with(
        &self,
        task_id: &str,
        opts: &RequestOptions,
    ) -> Result<GetTaskResult, Error> {
        self.request::<methods::GetTask>(GetTaskRequestParams::new(task_id), opts.clone())
            .await
    }

    /// Answers input requests of a task (`tasks/update`).
    pub async fn update_task(&self, task_id: &str, responses: InputResponses) -> Result<(), Error> {
        self.request::<methods::UpdateTask>(
            UpdateTaskRequestParams::new(task_id, responses),
            RequestOptions::default(),
        )
        .await
        .map(drop)
    }

    /// Asks the server to cancel a task (`tasks/cancel`). The server acknowledges at once
    /// and may take a moment to stop it.
    pub async fn cancel_task(&self, task_id: &str) -> Result<(), Error> {
        self.request::<methods::CancelTask>(
            CancelTaskRequestParams::new(task_id),
            RequestOptions::default(),
        )
        .await
        .map(drop)
    }

    /// Calls a tool without following a task: the result, or the task the server created.
    /// Input requests of the call itself (multi round-trip requests) are answered as usual.
    pub async fn start_tool_call(
        &self,
        name: &str,
        arguments: impl Serialize,
        opts: RequestOptions,
    ) -> Result<ToolCall, Error> {
        let params = CallToolRequestParams::new(name, tool_arguments(arguments)?);
        match self
            .request_answer::<methods::CallTool>(params, opts, false)
            .await?
        {
            super::Answer::Complete(obj) => parse_tool_result(obj).map(ToolCall::Complete),
            super::Answer::Task(t) => Ok(ToolCall::Task(*t)),
        }
    }

    /// Follows a task a tool call created to its end, as [`call_tool`](Client::call_tool)
    /// does: the tool result, the JSON-RPC error of a `failed` task, or
    /// [`Error::Cancelled`].
    pub async fn wait_for_task(
        &self,
        task: CreateTaskResult,
        opts: RequestOptions,
    ) -> Result<CallToolResult, Error> {
        let result = self.follow_task(task, &opts).await?;
        parse_tool_result(result)
    }

    /// Polls a task until it ends, answering its input requests; returns its result.
    ///
    /// Boxed: following a task sends requests, and requests follow tasks.
    pub(super) fn follow_task<'a>(
        &'a self,
        task: CreateTaskResult,
        opts: &'a RequestOptions,
    ) -> BoxFuture<'a, Result<JsonObject, Error>> {
        Box::pin(self.follow_task_inner(task, opts))
    }

    async fn follow_task_inner(
        &self,
        task: CreateTaskResult,
        opts: &RequestOptions,
    ) -> Result<JsonObject, Error> {
        let task_id = task.task.task_id;
        let mut guard = CancelOnDrop {
            client: Some(self.clone()),
            task_id: task_id.clone(),
        };
        let cancel = opts.cancel.clone().unwrap_or_default();
        let fallback = self.inner.config.task_poll_interval;
        let interval = |ms: Option<u64>| {
            ms.map(Duration::from_millis)
                .unwrap_or(fallback)
                .clamp(MIN_POLL, MAX_POLL)
        };
        let mut wait = interval(task.task.poll_interval_ms);
        // Keys answered already: a task's keys are unique over its life.
        let mut answered: HashSet<String> = HashSet::new();
        loop {
            tokio::select! {
                _ = tokio::time::sleep(wait) => {}
                _ = cancel.cancelled() => {
                    guard.disarm();
                    let _ = self.cancel_task(&task_id).await;
                    return Err(Error::Cancelled);
                }
            }
            let current = match self.get_task_with(&task_id, opts).await {
                Ok(t) => t.task,
                Err(Error::Cancelled) => {
                    guard.disarm();
                    let _ = self.cancel_task(&task_id).await;
                    return Err(Error::Cancelled);
                }
                Err(e) => return Err(e),
            };
            if current.task.task_id != task_id {
                return Err(Error::InvalidResponse(format!(
                    "tasks/get: asked for task {task_id}, got {}",
                    current.task.task_id
                )));
            }
            wait = interval(current.task.poll_interval_ms.or(task.task.poll_interval_ms));
            match current.task.status {
                TaskStatus::Completed => {
                    guard.disarm();
                    return current.result.ok_or_else(|| {
                        Error::InvalidResponse("tasks/get: a completed task without result".into())
                    });
                }
                TaskStatus::Failed => {
                    guard.disarm();
                    return Err(Error::Protocol(current.error.unwrap_or_else(|| {
                        ErrorObject::internal(
                            current
                                .task
                                .status_message
                                .unwrap_or_else(|| "the task failed".into()),
                        )
                    })));
                }
                TaskStatus::Cancelled => {
                    guard.disarm();
                    return Err(Error::Cancelled);
                }
                TaskStatus::InputRequired => {
                    let fresh: InputRequests = current
                        .input_requests
                        .unwrap_or_default()
                        .into_iter()
                        .filter(|(k, _)| !answered.contains(k))
                        .collect();
                    if fresh.is_empty() {
                        continue;
                    }
                    let keys: Vec<String> = fresh.keys().cloned().collect();
                    let values = self.answer_inputs(fresh).await?;
                    let mut responses = InputResponses::new();
                    for (k, v) in values {
                        let r: InputResponse = serde_json::from_value(v)
                            .map_err(|e| Error::Encode(format!("answer to `{k}`: {e}")))?;
                        responses.insert(k, r);
                    }
                    answered.extend(keys);
                    self.update_task(&task_id, responses).await?;
                }
                TaskStatus::Working => {}
            }
        }
    }
}

pub(super) fn tool_arguments(arguments: impl Serialize) -> Result<Option<JsonObject>, Error> {
    match serde_json::to_value(arguments).map_err(|e| Error::Encode(e.to_string()))? {
        Value::Null => Ok(None),
        Value::Object(o) => Ok(Some(o)),
        _ => Err(Error::Encode("tool arguments must be a JSON object".into())),
    }
}

fn parse_tool_result(obj: JsonObject) -> Result<CallToolResult, Error> {
    serde_json::from_value(Value::Object(obj))
        .map_err(|e| Error::InvalidResponse(format!("tools/call: {e}")))
}
