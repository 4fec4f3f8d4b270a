//! Where task state lives: the [`TaskStore`] trait and its bounded in-memory default.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::SystemTime;

use async_trait::async_trait;

use crate::types::DetailedTask;

/// One task as a [`TaskStore`] keeps it: what `tasks/get` answers, plus who may read it and
/// until when.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct TaskRecord {
    /// The task and the payload of its status (input requests, result or error).
    pub task: DetailedTask,
    /// The principal of the caller that created the task, when an authentication layer set
    /// one; only the same principal may read, update or cancel it.
    pub owner: Option<String>,
    /// When the task may be discarded (creation plus its TTL); `None` keeps it until the
    /// store decides otherwise.
    pub expires_at: Option<SystemTime>,
}

impl TaskRecord {
    /// A record of `task`, owned by `owner`, kept until `expires_at`.
    pub fn new(task: DetailedTask, owner: Option<String>, expires_at: Option<SystemTime>) -> Self {
        TaskRecord {
            task,
            owner,
            expires_at,
        }
    }

    /// The task's id.
    pub fn task_id(&self) -> &str {
        self.task.task_id()
    }

    /// Whether the record outlived its TTL at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        self.expires_at.is_some_and(|e| e <= now)
    }
}

/// Why a [`TaskStore`] could not do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TaskStoreError {
    /// The store holds as many live tasks as it may; retry later.
    #[error("the task store is full ({capacity} tasks)")]
    Full {
        /// How many tasks the store holds at most.
        capacity: usize,
    },
    /// A task with this id exists already (on create), or no longer exists (on update).
    #[error("task `{0}` conflicts with the stored state")]
    Conflict(String),
    /// The backend failed.
    #[error("task store backend failed: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// Keeps the state of tasks so that `tasks/get` can answer.
///
/// The server writes every change of a task here (creation, `input_required` with its
/// requests, back to `working`, the terminal result) and reads `tasks/get` from here. The
/// work itself, the answers to input requests and cancellation stay in the process that
/// runs the task; a store shared between instances lets any of them answer `tasks/get`,
/// while `tasks/update` and `tasks/cancel` need the instance running the task (HTTP clients
/// send `Mcp-Name: <taskId>` so a load balancer can route them there).
///
/// [`InMemoryTaskStore`] is the default.
#[async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// Saves a new task. Returns only once a [`get`](TaskStore::get) of its id would find
    /// it (a `CreateTaskResult` must not announce a task that cannot be read yet).
    async fn create(&self, record: TaskRecord) -> Result<(), TaskStoreError>;

    /// Replaces the stored state of an existing task.
    async fn update(&self, record: TaskRecord) -> Result<(), TaskStoreError>;

    /// The task with `task_id`, if the store has it. Expired records may be returned; the
    /// server checks the expiry itself.
    async fn get(&self, task_id: &str) -> Result<Option<TaskRecord>, TaskStoreError>;
}

/// A [`TaskStore`] in this process's memory, bounded in size.
///
/// Records are dropped once their TTL elapsed. When the store is full of records that
/// have not, creating a task fails with [`TaskStoreError::Full`] (a record is never dropped
/// before its TTL: the spec promises the client it stays readable that long).
#[derive(Debug)]
pub struct InMemoryTaskStore {
    capacity: usize,
    records: Mutex<HashMap<String, TaskRecord>>,
}

impl Default for InMemoryTaskStore {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemoryTaskStore {
    /// How many tasks [`new`](InMemoryTaskStore::new) keeps at most.
    pub const DEFAULT_CAPACITY: usize = 10_000;

    /// A store of at most [`DEFAULT_CAPACITY`](Self::DEFAULT_CAPACITY) tasks.
    pub fn new() -> Self {
        Self::with_capacity(Self::DEFAULT_CAPACITY)
    }

    /// A store of at most `capacity` tasks (at least one).
    pub fn with_capacity(capacity: usize) -> Self {
        InMemoryTaskStore {
            capacity: capacity.max(1),
            records: Mutex::new(HashMap::new()),
        }
    }

    /// How many records the store holds now (expired ones included until swept).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store holds no record.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, TaskRecord>> {
        // A panic while holding the lock leaves the map consistent (every write is one
        // insert or remove), so a poisoned lock is still usable.
        self.records.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl TaskStore for InMemoryTaskStore {
    async fn create(&self, record: TaskRecord) -> Result<(), TaskStoreError> {
        let mut records = self.lock();
        if records.contains_key(record.task_id()) {
            return Err(TaskStoreError::Conflict(record.task_id().to_owned()));
        }
        if records.len() >= self.capacity {
            let now = SystemTime::now();
            records.retain(|_, r| !r.is_expired(now));
            if records.len() >= self.capacity {
                return Err(TaskStoreError::Full {
                    capacity: self.capacity,
                });
            }
        }
        records.insert(record.task_id().to_owned(), record);
        Ok(())
    }

    async fn update(&self, record: TaskRecord) -> Result<(), TaskStoreError> {
        let mut records = self.lock();
        match records.get_mut(record.task_id()) {
            Some(slot) => {
                *slot = record;
                Ok(())
            }
            None => Err(TaskStoreError::Conflict(record.task_id().to_owned())),
        }
    }

    async fn get(&self, task_id: &str) -> Result<Option<TaskRecord>, TaskStoreError> {
        let mut records = self.lock();
        let now = SystemTime::now();
        if records.get(task_id).is_some_and(|r| r.is_expired(now)) {
            records.remove(task_id);
            return Ok(None);
        }
        Ok(records.get(task_id).cloned())
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::types::{Task, TaskStatus};

    fn record(id: &str, expires_at: Option<SystemTime>) -> TaskRecord {
        let task = Task::new(id, TaskStatus::Working, "t", "t", Some(1000));
        TaskRecord::new(DetailedTask::new(task), None, expires_at)
    }

    #[tokio::test]
    async fn bounded_and_expiring() {
        let store = InMemoryTaskStore::with_capacity(2);
        let past = SystemTime::now() - Duration::from_secs(1);
        let future = SystemTime::now() + Duration::from_secs(3600);
        store.create(record("a", Some(past))).await.unwrap();
        store.create(record("b", Some(future))).await.unwrap();
        // Full: the expired record makes room, the live one does not.
        store.create(record("c", None)).await.unwrap();
        assert!(matches!(
            store.create(record("d", None)).await,
            Err(TaskStoreError::Full { capacity: 2 })
        ));
        assert!(store.get("a").await.unwrap().is_none());
        assert!(store.get("b").await.unwrap().is_some());
        assert!(matches!(
            store.create(record("b", None)).await,
            Err(TaskStoreError::Conflict(_))
        ));
        // Updating replaces; updating an unknown task is refused.
        let mut b = store.get("b").await.unwrap().unwrap();
        b.task.task.status = TaskStatus::Completed;
        store.update(b).await.unwrap();
        assert_eq!(
            store.get("b").await.unwrap().unwrap().task.status(),
            TaskStatus::Completed
        );
        assert!(store.update(record("zz", None)).await.is_err());
    }
}
