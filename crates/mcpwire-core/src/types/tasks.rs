//! The tasks extension (`io.modelcontextprotocol/tasks`, SEP-2663): a `tools/call` answered
//! with a task handle the client polls with `tasks/get`, feeds with `tasks/update` and stops
//! with `tasks/cancel`.
//!
//! Every shape here is flat on the wire: a [`CreateTaskResult`] is the [`Task`] fields plus
//! `resultType: "task"`, a [`GetTaskResult`] is a [`DetailedTask`] plus
//! `resultType: "complete"`.

use serde::{Deserialize, Serialize};

use super::common::{JsonObject, NotificationMeta, RequestMeta, ResultMeta, ResultType, tag};
use super::messages::{Notification, Request, ResultResponse};
use super::mrtr::{InputRequests, InputResponses};
use crate::jsonrpc::ErrorObject;
use crate::methods;

/// The identifier of the tasks extension, the key under `capabilities.extensions`.
pub const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// Where a task is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TaskStatus {
    /// The request is being processed.
    Working,
    /// The server waits for the client to answer the task's `inputRequests`.
    InputRequired,
    /// The request finished with a result (a tool result with `isError: true` included).
    Completed,
    /// The request failed with a JSON-RPC error.
    Failed,
    /// The request was cancelled before it finished.
    Cancelled,
}

impl TaskStatus {
    /// Whether the task can no longer change (`completed`, `failed` or `cancelled`).
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            TaskStatus::Completed | TaskStatus::Failed | TaskStatus::Cancelled
        )
    }

    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::Working => "working",
            TaskStatus::InputRequired => "input_required",
            TaskStatus::Completed => "completed",
            TaskStatus::Failed => "failed",
            TaskStatus::Cancelled => "cancelled",
        }
    }
}

impl std::fmt::Display for TaskStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What every task carries: its id, status and timing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Task {
    /// The server-generated identifier, used by every `tasks/*` request.
    pub task_id: String,
    /// The current status.
    pub status: TaskStatus,
    /// A human-readable note on the current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// When the task was created (ISO 8601).
    pub created_at: String,
    /// When the task last changed (ISO 8601).
    pub last_updated_at: String,
    /// How long after creation the server may discard the task, in milliseconds; `None`
    /// (`null` on the wire, always present) for unlimited.
    pub ttl_ms: Option<u64>,
    /// How often the client should poll, in milliseconds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub poll_interval_ms: Option<u64>,
}

impl Task {
    /// A task with the required fields.
    pub fn new(
        task_id: impl Into<String>,
        status: TaskStatus,
        created_at: impl Into<String>,
        last_updated_at: impl Into<String>,
        ttl_ms: Option<u64>,
    ) -> Self {
        Task {
            task_id: task_id.into(),
            status,
            status_message: None,
            created_at: created_at.into(),
            last_updated_at: last_updated_at.into(),
            ttl_ms,
            poll_interval_ms: None,
        }
    }

    /// Sets the status message.
    pub fn with_status_message(mut self, message: impl Into<String>) -> Self {
        self.status_message = Some(message.into());
        self
    }

    /// Sets the suggested polling interval.
    pub fn with_poll_interval_ms(mut self, ms: u64) -> Self {
        self.poll_interval_ms = Some(ms);
        self
    }
}

/// A task with the payload of its status inlined: the outstanding `inputRequests` while
/// `input_required`, the `result` once `completed`, the `error` once `failed`.
///
/// This is what `tasks/get` answers and what `notifications/tasks` carries.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct DetailedTask {
    /// The task's common fields.
    #[serde(flatten)]
    pub task: Task,
    /// Requests the client should answer with `tasks/update` (status `input_required`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<InputRequests>,
    /// The result of the underlying request (status `completed`), shaped like that
    /// request's result (a `CallToolResult` for `tools/call`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<JsonObject>,
    /// The JSON-RPC error the underlying request failed with (status `failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorObject>,
}

impl DetailedTask {
    /// A task without payload (`working` or `cancelled`).
    pub fn new(task: Task) -> Self {
        DetailedTask {
            task,
            input_requests: None,
            result: None,
            error: None,
        }
    }

    /// The task's id.
    pub fn task_id(&self) -> &str {
        &self.task.task_id
    }

    /// The task's status.
    pub fn status(&self) -> TaskStatus {
        self.task.status
    }
}

tag!(
    /// The `resultType` of [`CreateTaskResult`].
    TaskResultTag = "task"
);

/// The answer to a request the server chose to run as a task (`resultType: "task"`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CreateTaskResult {
    /// The task's initial state.
    #[serde(flatten)]
    pub task: Task,
    /// `task`.
    pub result_type: TaskResultTag,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ResultMeta>,
}

impl CreateTaskResult {
    /// The result announcing `task`.
    pub fn new(task: Task) -> Self {
        CreateTaskResult {
            task,
            result_type: TaskResultTag,
            meta: None,
        }
    }
}

/// The result of `tasks/get`: the task as it is now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GetTaskResult {
    /// The task and its payload.
    #[serde(flatten)]
    pub task: DetailedTask,
    /// `complete`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_type: Option<ResultType>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ResultMeta>,
}

impl GetTaskResult {
    /// The result describing `task`.
    pub fn new(task: DetailedTask) -> Self {
        GetTaskResult {
            task,
            result_type: Some(ResultType::Complete),
            meta: None,
        }
    }
}

/// Params of `tasks/get`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct GetTaskRequestParams {
    /// The task to read.
    pub task_id: String,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<RequestMeta>,
}

impl GetTaskRequestParams {
    /// Params reading `task_id`.
    pub fn new(task_id: impl Into<String>) -> Self {
        GetTaskRequestParams {
            task_id: task_id.into(),
            meta: None,
        }
    }
}

/// Params of `tasks/update`: answers to the task's outstanding input requests.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct UpdateTaskRequestParams {
    /// The task to update.
    pub task_id: String,
    /// Answers keyed like the `inputRequests` they answer.
    pub input_responses: InputResponses,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<RequestMeta>,
}

impl UpdateTaskRequestParams {
    /// Params answering input requests of `task_id`.
    pub fn new(task_id: impl Into<String>, input_responses: InputResponses) -> Self {
        UpdateTaskRequestParams {
            task_id: task_id.into(),
            input_responses,
            meta: None,
        }
    }
}

/// Params of `tasks/cancel`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CancelTaskRequestParams {
    /// The task to cancel.
    pub task_id: String,
    /// Request metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<RequestMeta>,
}

impl CancelTaskRequestParams {
    /// Params cancelling `task_id`.
    pub fn new(task_id: impl Into<String>) -> Self {
        CancelTaskRequestParams {
            task_id: task_id.into(),
            meta: None,
        }
    }
}

/// Params of `notifications/tasks`: the task as `tasks/get` would return it now.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TaskStatusNotificationParams {
    /// The task and its payload.
    #[serde(flatten)]
    pub task: DetailedTask,
    /// Notification metadata (the `subscriptions/listen` stream it belongs to).
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<NotificationMeta>,
}

impl TaskStatusNotificationParams {
    /// A notification describing `task`.
    pub fn new(task: DetailedTask) -> Self {
        TaskStatusNotificationParams { task, meta: None }
    }
}

/// `tasks/get` request.
pub type GetTaskRequest = Request<methods::GetTask>;
/// `tasks/update` request.
pub type UpdateTaskRequest = Request<methods::UpdateTask>;
/// `tasks/cancel` request.
pub type CancelTaskRequest = Request<methods::CancelTask>;
/// Response to `tasks/get`.
pub type GetTaskResultResponse = ResultResponse<GetTaskResult>;
/// Response to a `tools/call` the server runs as a task.
pub type CreateTaskResultResponse = ResultResponse<CreateTaskResult>;
/// `notifications/tasks`.
pub type TaskStatusNotification = Notification<methods::TaskStatusChanged>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn create_task_result_is_flat_and_keeps_null_ttl() {
        let task = Task::new(
            "t1",
            TaskStatus::Working,
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00Z",
            None,
        )
        .with_poll_interval_ms(250);
        let v = serde_json::to_value(CreateTaskResult::new(task)).unwrap();
        assert_eq!(
            v,
            json!({
                "taskId": "t1",
                "status": "working",
                "createdAt": "2026-01-01T00:00:00Z",
                "lastUpdatedAt": "2026-01-01T00:00:00Z",
                "ttlMs": null,
                "pollIntervalMs": 250,
                "resultType": "task"
            })
        );
        let back: CreateTaskResult = serde_json::from_value(v).unwrap();
        assert_eq!(back.task.ttl_ms, None);
        // Another resultType is not a CreateTaskResult.
        let other = json!({"taskId": "t", "status": "working", "createdAt": "x",
            "lastUpdatedAt": "x", "ttlMs": 1, "resultType": "complete"});
        assert!(serde_json::from_value::<CreateTaskResult>(other).is_err());
    }

    #[test]
    fn detailed_task_inlines_its_payload() {
        let v = json!({
            "taskId": "t2", "status": "failed", "createdAt": "a", "lastUpdatedAt": "b",
            "ttlMs": 60000, "error": {"code": -32603, "message": "boom"},
            "resultType": "complete"
        });
        let r: GetTaskResult = serde_json::from_value(v.clone()).unwrap();
        assert_eq!(r.task.status(), TaskStatus::Failed);
        assert_eq!(r.task.error.as_ref().unwrap().message, "boom");
        assert!(r.task.result.is_none());
        assert_eq!(serde_json::to_value(&r).unwrap(), v);
        assert!(TaskStatus::Failed.is_terminal());
        assert!(!TaskStatus::InputRequired.is_terminal());
    }
}
