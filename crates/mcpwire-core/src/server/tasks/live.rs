//! A task while its handler runs in this process: its state, the input requests it waits
//! on, and the runner that drives the handler to the end.

use std::collections::{BTreeMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures_util::FutureExt as _;
use serde_json::Value;
use tokio::sync::{Mutex, oneshot};
use tokio_util::sync::CancellationToken;

use super::store::{TaskRecord, TaskStore};
use crate::connection::BoxFuture;
use crate::error::Error;
use crate::jsonrpc::{self, ErrorObject};
use crate::server::{Server, Shared};
use crate::types::{
    CallToolResult, InputRequest, InputRequests, JsonObject, NotificationMeta, ResultMeta,
    ResultType, TaskStatus, TaskStatusNotificationParams,
};

/// An input request the handler waits on.
struct Pending {
    request: InputRequest,
    answer: oneshot::Sender<Value>,
}

struct LiveState {
    record: TaskRecord,
    pending: BTreeMap<String, Pending>,
    /// Every key used so far: a key names one request over the task's whole life.
    keys: HashSet<String>,
    seq: u64,
}

/// A task whose handler runs in this process.
pub(crate) struct LiveTask {
    pub(crate) id: String,
    /// The handler's cancellation token; `tasks/cancel` fires it.
    pub(crate) cancel: CancellationToken,
    store: Arc<dyn TaskStore>,
    server: Weak<Shared>,
    /// Serialises changes, so the store sees them in order.
    state: Mutex<LiveState>,
}

impl LiveTask {
    pub(crate) fn new(
        record: TaskRecord,
        cancel: CancellationToken,
        store: Arc<dyn TaskStore>,
        server: &Server,
    ) -> Arc<LiveTask> {
        Arc::new(LiveTask {
            id: record.task_id().to_owned(),
            cancel,
            store,
            server: Arc::downgrade(&server.shared),
            state: Mutex::new(LiveState {
                record,
                pending: BTreeMap::new(),
                keys: HashSet::new(),
                seq: 0,
            }),
        })
    }

    fn server(&self) -> Option<Server> {
        self.server.upgrade().map(|shared| Server { shared })
    }

    /// Stamps the change, writes it to the store and tells subscribed listeners.
    async fn commit(&self, st: &mut LiveState) {
        st.record.task.task.last_updated_at = iso8601(SystemTime::now());
        if let Err(e) = self.store.update(st.record.clone()).await {
            tracing::warn!(task = %self.id, error = %e, "could not store a task's new state");
        }
        if let Some(server) = self.server() {
            notify(&server, &st.record);
        }
    }

    /// Asks the client for input: the task turns `input_required` until `tasks/update`
    /// answers under the returned key.
    pub(crate) async fn ask(
        self: &Arc<Self>,
        key: Option<&str>,
        kind: &str,
        request: InputRequest,
    ) -> Result<Value, Error> {
        let (key, rx) = {
            let mut st = self.state.lock().await;
            if st.record.task.status().is_terminal() {
                return Err(Error::Cancelled);
            }
            let key = unique_key(&mut st, key, kind);
            let (tx, rx) = oneshot::channel();
            st.pending.insert(
                key.clone(),
                Pending {
                    request,
                    answer: tx,
                },
            );
            refresh_input(&mut st);
            self.commit(&mut st).await;
            (key, rx)
        };
        // If the handler stops waiting (it was dropped, or gave up), withdraw the request.
        struct Withdraw(Option<(Arc<LiveTask>, String)>);
        impl Drop for Withdraw {
            fn drop(&mut self) {
                if let (Some((task, key)), Ok(rt)) =
                    (self.0.take(), tokio::runtime::Handle::try_current())
                {
                    rt.spawn(async move { task.withdraw(&key).await });
                }
            }
        }
        let mut guard = Withdraw(Some((self.clone(), key)));
        let answer = rx.await;
        guard.0 = None;
        answer.map_err(|_| Error::Cancelled)
    }

    async fn withdraw(&self, key: &str) {
        let mut st = self.state.lock().await;
        // A cancelled task is about to record its end; no interim state in between.
        if st.pending.remove(key).is_some()
            && !st.record.task.status().is_terminal()
            && !self.cancel.is_cancelled()
        {
            refresh_input(&mut st);
            self.commit(&mut st).await;
        }
    }

    /// Delivers `tasks/update` answers. Keys that are not outstanding are ignored.
    pub(crate) async fn answer(&self, responses: JsonObject) {
        let mut st = self.state.lock().await;
        if st.record.task.status().is_terminal() {
            return;
        }
        let mut answered = false;
        for (key, value) in responses {
            if value.is_null() {
                continue;
            }
            if let Some(p) = st.pending.remove(&key) {
                // The handler may have stopped waiting; the answer is then moot.
                let _ = p.answer.send(value);
                answered = true;
            }
        }
        if answered {
            refresh_input(&mut st);
            self.commit(&mut st).await;
        }
    }

    /// Records how the task ended and forgets it.
    async fn finish(&self, end: End) {
        let server = self.server();
        {
            let mut st = self.state.lock().await;
            if !st.record.task.status().is_terminal() {
                st.pending.clear();
                let detailed = &mut st.record.task;
                detailed.input_requests = None;
                let (status, message) = match end {
                    End::Finished(r) => match *r {
                        Ok(result) => {
                            detailed.result = Some(shape_result(result, server.as_ref()));
                            (TaskStatus::Completed, None)
                        }
                        Err(Error::Protocol(e)) => {
                            let message = e.message.to_string();
                            detailed.error = Some(e);
                            (TaskStatus::Failed, Some(message))
                        }
                        // As on a direct call: other errors are tool errors the model can read.
                        Err(other) => {
                            let result = CallToolResult::error(other.to_string());
                            detailed.result = Some(shape_result(result, server.as_ref()));
                            (TaskStatus::Completed, None)
                        }
                    },
                    End::Panicked => {
                        detailed.error = Some(ErrorObject::internal(
                            "Internal error: the handler panicked",
                        ));
                        (TaskStatus::Failed, Some("the handler panicked".to_owned()))
                    }
                    End::Cancelled => (
                        TaskStatus::Cancelled,
                        Some("cancelled at the client's request".to_owned()),
                    ),
                    End::Expired => {
                        detailed.error = Some(ErrorObject::internal(
                            "Internal error: the task outlived its time to live",
                        ));
                        (
                            TaskStatus::Failed,
                            Some("the task outlived its time to live".to_owned()),
                        )
                    }
                    End::Shutdown => (
                        TaskStatus::Cancelled,
                        Some("the server is shutting down".to_owned()),
                    ),
                };
                detailed.task.status = status;
                detailed.task.status_message = message;
                self.commit(&mut st).await;
            }
        }
        if let Some(server) = server {
            server.shared.config.tasks.forget(&self.id);
        }
    }
}

/// How a task's handler ended.
enum End {
    Finished(Box<Result<CallToolResult, Error>>),
    Panicked,
    Cancelled,
    Expired,
    Shutdown,
}

/// Drives `fut` (the tool handler) to its end: its result, `tasks/cancel`, the TTL or the
/// server's shutdown, whichever comes first. The handler's future is dropped when it did
/// not finish, and its token fires so work it spawned stops too.
pub(crate) async fn run(
    task: Arc<LiveTask>,
    fut: BoxFuture<'static, Result<CallToolResult, Error>>,
    ttl: Option<Duration>,
    shutdown: CancellationToken,
) {
    let expiry = async move {
        match ttl {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending().await,
        }
    };
    let end = tokio::select! {
        biased;
        r = AssertUnwindSafe(fut).catch_unwind() => match r {
            Ok(r) => End::Finished(Box::new(r)),
            Err(_) => {
                tracing::error!(task = %task.id, "task handler panicked");
                End::Panicked
            }
        },
        _ = task.cancel.cancelled() => End::Cancelled,
        _ = expiry => End::Expired,
        _ = shutdown.cancelled() => End::Shutdown,
    };
    if !matches!(end, End::Finished(_) | End::Panicked) {
        task.cancel.cancel();
    }
    task.finish(end).await;
}

fn unique_key(st: &mut LiveState, key: Option<&str>, kind: &str) -> String {
    let base = match key {
        Some(k) => k.to_owned(),
        None => {
            st.seq += 1;
            format!("{kind}-{}", st.seq)
        }
    };
    if st.keys.insert(base.clone()) {
        return base;
    }
    loop {
        st.seq += 1;
        let k = format!("{base}-{}", st.seq);
        if st.keys.insert(k.clone()) {
            return k;
        }
    }
}

/// Sets status and `inputRequests` from what is outstanding.
fn refresh_input(st: &mut LiveState) {
    let detailed = &mut st.record.task;
    if st.pending.is_empty() {
        detailed.task.status = TaskStatus::Working;
        detailed.input_requests = None;
    } else {
        detailed.task.status = TaskStatus::InputRequired;
        let requests: InputRequests = st
            .pending
            .iter()
            .map(|(k, p)| (k.clone(), p.request.clone()))
            .collect();
        detailed.input_requests = Some(requests);
    }
    detailed.task.status_message = None;
}

/// The tool result as the call itself would have answered it on 2026-07-28.
fn shape_result(mut result: CallToolResult, server: Option<&Server>) -> JsonObject {
    result.result_type = Some(ResultType::Complete);
    if let Some(meta) = server.and_then(super::result_meta) {
        result
            .meta
            .get_or_insert_with(ResultMeta::default)
            .server_info = meta.server_info;
    }
    match serde_json::to_value(&result) {
        Ok(Value::Object(o)) => o,
        _ => JsonObject::new(),
    }
}

/// Sends `notifications/tasks` to the `subscriptions/listen` streams following the task.
fn notify(server: &Server, record: &TaskRecord) {
    let (_, listeners) = server.targets();
    for l in listeners {
        let wants = l
            .filter
            .task_ids
            .as_ref()
            .is_some_and(|ids| ids.iter().any(|id| id == record.task_id()));
        if !wants || l.principal != record.owner {
            continue;
        }
        let mut params = TaskStatusNotificationParams::new(record.task.clone());
        params.meta = Some(NotificationMeta::subscription(l.subscription.clone()));
        if let Ok(text) = jsonrpc::encode_notification("notifications/tasks", Some(&params)) {
            l.channel.send(text);
        }
    }
}

/// A fresh task id: 128 bits from the operating system's random number generator, in hex.
pub(crate) fn new_task_id() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| {
        Error::internal(format!("Internal error: no randomness for a task id ({e})"))
    })?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// `t` as an ISO 8601 UTC timestamp with milliseconds (`2026-07-28T12:00:00.000Z`).
pub(crate) fn iso8601(t: SystemTime) -> String {
    let since = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (y, m, d) = civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0));
    let rem = secs % 86_400;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        since.subsec_millis()
    )
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_iso8601() {
        assert_eq!(iso8601(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let t = UNIX_EPOCH + Duration::from_millis(1_700_000_000_123);
        assert_eq!(iso8601(t), "2023-11-14T22:13:20.123Z");
        // A leap day, and the day after.
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_782_400)),
            "2000-02-29T00:00:00.000Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(951_868_800)),
            "2000-03-01T00:00:00.000Z"
        );
        assert_eq!(
            iso8601(UNIX_EPOCH + Duration::from_secs(4_102_444_799)),
            "2099-12-31T23:59:59.000Z"
        );
    }

    #[test]
    fn task_ids_are_long_and_distinct() {
        let a = new_task_id().unwrap();
        let b = new_task_id().unwrap();
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }
}
