//! Legacy-era sessions over HTTP: ids, idle expiry, bounded count, and the SSE streams of
//! each session with their resumption state.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use mcpwire_core::connection::Outbound;
use mcpwire_core::jsonrpc::RequestId;
use mcpwire_core::server::{Server, Session};
use sse_stream::Sse;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;
use tokio_util::sync::CancellationToken;

use super::events::EventStore;

/// The standalone (GET) stream of a session.
pub(crate) const STANDALONE: u64 = 0;

/// Messages kept for a standalone stream nobody is listening on.
const STANDALONE_BACKLOG: usize = 256;

struct Stream {
    live: Option<mpsc::UnboundedSender<Sse>>,
    finished: bool,
}

/// One session's HTTP state.
pub(crate) struct HttpSession {
    pub(crate) id: Arc<str>,
    pub(crate) core: Arc<Session>,
    last_active: Mutex<Instant>,
    streams: Mutex<HashMap<u64, Stream>>,
    backlog: Mutex<VecDeque<String>>,
    next_stream: AtomicU64,
    store: Arc<dyn EventStore>,
    /// Whether events get ids (revisions that resume streams).
    pub(crate) resumable: bool,
    /// A 2024-11-05 HTTP+SSE session: everything goes on its one stream.
    pub(crate) legacy_sse: bool,
    /// The principal that opened the session; only it can use the session.
    owner: Option<Arc<str>>,
    /// Requests being handled, for `notifications/cancelled`.
    running: Mutex<HashMap<RequestId, Running>>,
}

struct Running {
    token: CancellationToken,
    abort: Option<AbortHandle>,
}

/// Session-wide messages (list changes, resource updates): to the standalone stream.
struct SessionOutbound(Weak<HttpSession>);

impl Outbound for SessionOutbound {
    fn send(&self, message: String) -> bool {
        match self.0.upgrade() {
            Some(s) => {
                s.deliver(STANDALONE, message);
                true
            }
            None => false,
        }
    }
}

/// Messages about one request: to that request's stream.
pub(crate) struct StreamOutbound {
    pub(crate) session: Arc<HttpSession>,
    pub(crate) stream: u64,
}

impl Outbound for StreamOutbound {
    fn send(&self, message: String) -> bool {
        self.session.deliver(self.stream, message);
        true
    }
}

fn random_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random number generator failed");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl HttpSession {
    fn new(
        store: Arc<dyn EventStore>,
        resumable: bool,
        legacy_sse: bool,
        owner: Option<Arc<str>>,
    ) -> Arc<HttpSession> {
        Arc::new_cyclic(|weak: &Weak<HttpSession>| HttpSession {
            id: random_id().into(),
            core: Session::new(Arc::new(SessionOutbound(weak.clone()))),
            last_active: Mutex::new(Instant::now()),
            streams: Mutex::new(HashMap::new()),
            backlog: Mutex::new(VecDeque::new()),
            next_stream: AtomicU64::new(1),
            store,
            resumable,
            legacy_sse,
            owner,
            running: Mutex::new(HashMap::new()),
        })
    }

    /// Whether a request made by `principal` may use this session: the principal that
    /// opened it, exactly (an unauthenticated session is open to unauthenticated requests
    /// only).
    fn belongs_to(&self, principal: Option<&str>) -> bool {
        self.owner.as_deref() == principal
    }

    /// Records a request being handled, before its task starts.
    pub(crate) fn track(&self, id: RequestId, token: CancellationToken) {
        self.running
            .lock()
            .unwrap()
            .insert(id, Running { token, abort: None });
    }

    /// Attaches the task of a tracked request (unless it already finished).
    pub(crate) fn attach(&self, id: &RequestId, abort: AbortHandle) {
        if let Some(r) = self.running.lock().unwrap().get_mut(id) {
            r.abort = Some(abort);
        }
    }

    /// Forgets a request that finished.
    pub(crate) fn untrack(&self, id: &RequestId) {
        self.running.lock().unwrap().remove(id);
    }

    /// Cancels request `id` (`notifications/cancelled`): fires its token and drops its handler.
    pub(crate) fn cancel(&self, id: &RequestId) {
        if let Some(r) = self.running.lock().unwrap().remove(id) {
            r.token.cancel();
            if let Some(a) = r.abort {
                a.abort();
            }
        }
    }

    pub(crate) fn touch(&self) {
        *self.last_active.lock().unwrap() = Instant::now();
    }

    fn idle_for(&self) -> Duration {
        self.last_active.lock().unwrap().elapsed()
    }

    /// A new stream for the response to one request.
    pub(crate) fn open_stream(&self, live: mpsc::UnboundedSender<Sse>) -> u64 {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        self.streams.lock().unwrap().insert(
            id,
            Stream {
                live: Some(live),
                finished: false,
            },
        );
        id
    }

    /// The priming event of a stream: an id and no data, so the client can resume from it.
    pub(crate) fn prime(&self, stream: u64, retry: Duration) -> Option<Sse> {
        self.resumable.then(|| {
            let id = self.store.store(&self.id, stream, "");
            Sse::default()
                .id(id)
                .retry_duration(retry)
                .data(String::new())
        })
    }

    fn event(&self, stream: u64, message: String) -> Sse {
        let sse = Sse::default().event("message");
        if self.resumable {
            let id = self.store.store(&self.id, stream, &message);
            sse.id(id).data(message)
        } else {
            sse.data(message)
        }
    }

    /// Sends `message` on `stream`, storing it for resumption.
    pub(crate) fn deliver(&self, stream: u64, message: String) {
        let stream = if self.legacy_sse { STANDALONE } else { stream };
        let mut streams = self.streams.lock().unwrap();
        if stream == STANDALONE && streams.get(&STANDALONE).is_none_or(|s| s.live.is_none()) {
            // Nobody listens yet: keep it for the next GET.
            self.keep_for_next_get(message);
            return;
        }
        // Without event ids, a message the departed listener never got waits for the next GET.
        let keep = (stream == STANDALONE && !self.resumable).then(|| message.clone());
        let sse = self.event(stream, message);
        if let Some(s) = streams.get_mut(&stream)
            && let Some(live) = &s.live
            && live.send(sse).is_err()
        {
            s.live = None;
            if let Some(m) = keep {
                self.keep_for_next_get(m);
            }
        }
    }

    fn keep_for_next_get(&self, message: String) {
        let mut backlog = self.backlog.lock().unwrap();
        if backlog.len() == STANDALONE_BACKLOG {
            backlog.pop_front();
        }
        backlog.push_back(message);
    }

    /// Marks a response stream complete: its live connection ends after what was sent.
    pub(crate) fn finish(&self, stream: u64) {
        let mut streams = self.streams.lock().unwrap();
        if let Some(s) = streams.get_mut(&stream) {
            s.finished = true;
            s.live = None;
        }
        streams.retain(|id, s| *id == STANDALONE || !s.finished || s.live.is_some());
    }

    /// Opens (or re-opens) the standalone stream on a GET, delivering what waited for it.
    pub(crate) fn attach_standalone(&self, live: mpsc::UnboundedSender<Sse>) {
        let mut streams = self.streams.lock().unwrap();
        let backlog: Vec<String> = self.backlog.lock().unwrap().drain(..).collect();
        for m in backlog {
            let _ = live.send(self.event(STANDALONE, m));
        }
        streams.insert(
            STANDALONE,
            Stream {
                live: Some(live),
                finished: false,
            },
        );
    }

    /// Resumes the stream `last_event_id` belongs to on a new connection: replays what came
    /// after it, then continues live unless the stream already finished. `false` when the
    /// id is unknown.
    pub(crate) fn resume(&self, last_event_id: &str, live: mpsc::UnboundedSender<Sse>) -> bool {
        let mut streams = self.streams.lock().unwrap();
        let Some(super::events::Replay { stream, events }) =
            self.store.replay_after(&self.id, last_event_id)
        else {
            return false;
        };
        for (id, m) in events {
            let _ = live.send(Sse::default().event("message").id(id).data(m.to_string()));
        }
        if stream == STANDALONE {
            // What came after the listener was found gone was never stored: it waited here.
            let backlog: Vec<String> = self.backlog.lock().unwrap().drain(..).collect();
            for m in backlog {
                let _ = live.send(self.event(STANDALONE, m));
            }
        }
        match streams.get_mut(&stream) {
            Some(s) if !s.finished => s.live = Some(live),
            None if stream == STANDALONE => {
                streams.insert(
                    STANDALONE,
                    Stream {
                        live: Some(live),
                        finished: false,
                    },
                );
            }
            _ => {}
        }
        true
    }

    fn close(&self, server: &Server) {
        for (_, r) in self.running.lock().unwrap().drain() {
            r.token.cancel();
            if let Some(a) = r.abort {
                a.abort();
            }
        }
        self.core.close();
        server.unregister_session(&self.core);
        self.store.forget(&self.id);
        self.streams.lock().unwrap().clear();
    }
}

/// Why a session could not be created.
#[derive(Debug)]
pub(crate) struct Full;

/// Every live session of one HTTP service.
pub(crate) struct SessionStore {
    sessions: Mutex<HashMap<Arc<str>, Arc<HttpSession>>>,
    max: usize,
    idle_timeout: Duration,
    last_sweep: Mutex<Instant>,
    store: Arc<dyn EventStore>,
    server: Server,
}

impl SessionStore {
    pub(crate) fn new(
        server: Server,
        max: usize,
        idle_timeout: Duration,
        store: Arc<dyn EventStore>,
    ) -> Self {
        SessionStore {
            sessions: Mutex::new(HashMap::new()),
            max,
            idle_timeout,
            last_sweep: Mutex::new(Instant::now()),
            store,
            server,
        }
    }

    /// A new session owned by `owner` (sweeping expired ones first when the table is full).
    pub(crate) fn create(
        &self,
        resumable: bool,
        legacy_sse: bool,
        owner: Option<String>,
    ) -> Result<Arc<HttpSession>, Full> {
        self.sweep_if_due(false);
        if self.sessions.lock().unwrap().len() >= self.max {
            self.sweep_if_due(true);
            if self.sessions.lock().unwrap().len() >= self.max {
                return Err(Full);
            }
        }
        let session = HttpSession::new(
            self.store.clone(),
            resumable,
            legacy_sse,
            owner.map(Arc::from),
        );
        self.sessions
            .lock()
            .unwrap()
            .insert(session.id.clone(), session.clone());
        Ok(session)
    }

    /// The session `id`, if it exists, has not expired, and belongs to `principal`.
    ///
    /// A session of another principal is reported as absent: the caller learns nothing
    /// about it (not even that the id is valid) and it stays untouched.
    pub(crate) fn get(&self, id: &str, principal: Option<&str>) -> Option<Arc<HttpSession>> {
        let session = self.sessions.lock().unwrap().get(id).cloned()?;
        if !session.belongs_to(principal) {
            return None;
        }
        if session.idle_for() > self.idle_timeout {
            self.remove(id);
            return None;
        }
        session.touch();
        Some(session)
    }

    /// Ends session `id` if it belongs to `principal`; `false` if there was none.
    pub(crate) fn remove_owned(&self, id: &str, principal: Option<&str>) -> bool {
        let owned = self
            .sessions
            .lock()
            .unwrap()
            .get(id)
            .is_some_and(|s| s.belongs_to(principal));
        owned && self.remove(id)
    }

    /// Ends session `id`; `false` if there was none.
    pub(crate) fn remove(&self, id: &str) -> bool {
        let removed = self.sessions.lock().unwrap().remove(id);
        match removed {
            Some(s) => {
                s.close(&self.server);
                true
            }
            None => false,
        }
    }

    /// How many sessions are open.
    pub(crate) fn len(&self) -> usize {
        self.sessions.lock().unwrap().len()
    }

    fn sweep_if_due(&self, force: bool) {
        {
            let mut last = self.last_sweep.lock().unwrap();
            if !force && last.elapsed() < Duration::from_secs(10) {
                return;
            }
            *last = Instant::now();
        }
        let expired: Vec<Arc<str>> = self
            .sessions
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, s)| s.idle_for() > self.idle_timeout)
            .map(|(id, _)| id.clone())
            .collect();
        for id in expired {
            self.remove(&id);
        }
    }
}
