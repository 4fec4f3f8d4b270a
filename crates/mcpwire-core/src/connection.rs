//! The message engine shared by servers and clients on stream transports.
//!
//! One task runs a connection, as two futures polled in turn. The reader routes what
//! arrives: requests run concurrently (each is polled once on the spot, and continues as a
//! task of its own only if it has to wait), notifications are handled in arrival order before
//! the next message is read, responses complete the requests this side is waiting for. The
//! writer drains the outgoing queue into the transport and flushes only when the queue runs
//! empty, so a burst of responses costs one write. A request answered without waiting never
//! leaves the task: no spawn, no channel hop to another thread.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::Poll;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::error::Error;
use crate::jsonrpc::{
    self, ErrorObject, Message, Parsed, RawJson, RawNotification, RawRequest, RawResponse,
    RequestId,
};
use crate::transport::{MessageSink, MessageStream, Transport, TransportError};

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where outgoing messages of a connection, session or response stream go.
pub trait Outbound: Send + Sync + 'static {
    /// Sends one complete message; `false` when the channel is closed.
    fn send(&self, message: String) -> bool;
}

impl Outbound for mpsc::UnboundedSender<String> {
    fn send(&self, message: String) -> bool {
        mpsc::UnboundedSender::send(self, message).is_ok()
    }
}

type Waiter = oneshot::Sender<Result<RawJson, ErrorObject>>;

/// Requests this side sent and is waiting to be answered.
#[derive(Default)]
pub struct PendingRequests {
    waiters: Mutex<HashMap<RequestId, Waiter>>,
    next_id: AtomicI64,
}

impl PendingRequests {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Routes a response to its waiter; `false` when nobody waits for that id.
    pub fn complete(&self, response: RawResponse) -> bool {
        let Some(id) = response.id else {
            return false;
        };
        let waiter = self.waiters.lock().unwrap().remove(&id);
        match waiter {
            Some(w) => {
                let _ = w.send(response.outcome);
                true
            }
            None => false,
        }
    }

    /// Fails every waiting request (the connection closed).
    pub fn fail_all(&self) {
        self.waiters.lock().unwrap().clear();
    }

    /// Sends a request on `outbound` and waits for its response.
    ///
    /// Dropping the returned future forgets the request; `on_cancel` then runs with its
    /// id, so the caller can tell the peer (stdio sends `notifications/cancelled`).
    pub async fn request<P: serde::Serialize + ?Sized>(
        &self,
        outbound: &dyn Outbound,
        method: &str,
        params: Option<&P>,
        on_cancel: Option<&(dyn Fn(RequestId) + Send + Sync)>,
    ) -> Result<RawJson, Error> {
        let id = self.allocate_id();
        self.request_as(id, outbound, method, params, on_cancel)
            .await
    }

    /// A fresh request id.
    pub fn allocate_id(&self) -> RequestId {
        RequestId::Number(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Like [`request`](Self::request), with an id from [`allocate_id`](Self::allocate_id).
    pub async fn request_as<P: serde::Serialize + ?Sized>(
        &self,
        id: RequestId,
        outbound: &dyn Outbound,
        method: &str,
        params: Option<&P>,
        on_cancel: Option<&(dyn Fn(RequestId) + Send + Sync)>,
    ) -> Result<RawJson, Error> {
        let text = jsonrpc::encode_request(&id, method, params)
            .map_err(|e| Error::Encode(e.to_string()))?;
        let (tx, rx) = oneshot::channel();
        self.waiters.lock().unwrap().insert(id.clone(), tx);
        let mut guard = PendingGuard {
            pending: self,
            id: Some(id.clone()),
            on_cancel,
        };
        if !outbound.send(text) {
            return Err(Error::Closed);
        }
        let outcome = rx.await;
        guard.id = None;
        match outcome {
            Ok(Ok(raw)) => Ok(raw),
            Ok(Err(e)) => Err(Error::Protocol(e)),
            Err(_) => Err(Error::Closed),
        }
    }
}

struct PendingGuard<'a> {
    pending: &'a PendingRequests,
    id: Option<RequestId>,
    on_cancel: Option<&'a (dyn Fn(RequestId) + Send + Sync)>,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take() {
            let was_waiting = self.pending.waiters.lock().unwrap().remove(&id).is_some();
            if let (true, Some(f)) = (was_waiting, self.on_cancel) {
                f(id);
            }
        }
    }
}

/// What a connection does with incoming messages.
pub trait Handler: Send + Sync + 'static {
    /// Handles a request; resolves to the full response message, or `None` to send nothing.
    /// `cancel` fires when the peer cancels the request or the connection shuts down.
    ///
    /// The future is polled once by the connection's task as soon as the request is read;
    /// if it is not done then, it goes on as a task of its own. Work that computes for long
    /// without awaiting belongs in `spawn_blocking`, as anywhere in async code.
    fn on_request(
        &self,
        request: RawRequest,
        cancel: CancellationToken,
    ) -> BoxFuture<'static, Option<String>>;

    /// Whether `request` must complete before the next message is read (an ordering
    /// barrier, such as the `initialize` handshake).
    fn is_barrier(&self, _request: &RawRequest) -> bool {
        false
    }

    /// Handles a notification. The next message is read only after this resolves.
    fn on_notification(&self, notification: RawNotification) -> BoxFuture<'static, ()>;

    /// Handles a response to a request this side sent.
    fn on_response(&self, response: RawResponse);

    /// Called once when the connection has ended (both directions).
    fn on_close(&self) {}
}

/// Settings of a connection.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ConnectionConfig {
    /// How long in-flight requests may run after the peer closed its side.
    pub drain_timeout: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            drain_timeout: Duration::from_secs(10),
        }
    }
}

struct InFlight {
    cancel: CancellationToken,
    abort: tokio::task::AbortHandle,
}

/// The shared state of one running connection.
pub struct Connection {
    outbound: mpsc::UnboundedSender<String>,
    in_flight: Mutex<HashMap<RequestId, InFlight>>,
    shutdown: CancellationToken,
}

impl Connection {
    /// A connection whose outgoing messages go to `outbound`.
    pub fn new(outbound: mpsc::UnboundedSender<String>) -> Arc<Self> {
        Arc::new(Connection {
            outbound,
            in_flight: Mutex::new(HashMap::new()),
            shutdown: CancellationToken::new(),
        })
    }

    /// The outgoing channel.
    pub fn outbound(&self) -> &mpsc::UnboundedSender<String> {
        &self.outbound
    }

    /// Fires when the connection is shutting down.
    pub fn shutdown_token(&self) -> &CancellationToken {
        &self.shutdown
    }

    /// Cancels an in-flight request: fires its token and aborts its task. No response is
    /// sent for it. Unknown ids are ignored.
    pub fn cancel(&self, id: &RequestId) -> bool {
        let entry = self.in_flight.lock().unwrap().remove(id);
        match entry {
            Some(f) => {
                f.cancel.cancel();
                f.abort.abort();
                true
            }
            None => false,
        }
    }

    /// Stops the connection: the read loop ends and in-flight requests are cancelled.
    pub fn close(&self) {
        self.shutdown.cancel();
    }
}

/// Runs a connection until the peer closes it or [`Connection::close`] is called.
///
/// `handler` receives everything that arrives; `conn` must have been created with the
/// sending end of `rx`.
///
/// Reading and writing are two futures polled by the calling task, reading first: every
/// message already received is handled before the writer drains the outgoing queue, so a
/// burst of requests is answered with one write, and a request answered without waiting never
/// leaves the task (see [`Handler::on_request`]).
pub async fn run<T: Transport>(
    transport: T,
    conn: Arc<Connection>,
    rx: mpsc::UnboundedReceiver<String>,
    handler: Arc<dyn Handler>,
    config: ConnectionConfig,
) -> Result<(), TransportError> {
    let (sink, stream) = transport.split();
    let closing = CancellationToken::new();
    let outgoing = Mutex::new(Outgoing {
        rx,
        answers: VecDeque::new(),
    });
    let reader = read_loop(stream, &conn, &handler, &config, &closing, &outgoing);
    let writer = write_loop(sink, &outgoing, closing.clone());
    // Biased: the reader first on every wake, so the writer sends a burst of answers at once.
    let (result, ()) = tokio::join!(biased; reader, writer);
    result
}

/// What the writer sends: the outgoing channel, and the answers the reader produced itself.
///
/// An answer made on the spot does not go through the channel: that would wake the
/// connection's own task, costing a second round of polls (and a system call) for nothing,
/// since the writer runs right after the reader anyway. To keep the order in which messages
/// were sent, the reader moves what the channel holds into `answers` before its answer.
struct Outgoing {
    rx: mpsc::UnboundedReceiver<String>,
    answers: VecDeque<String>,
}

impl Outgoing {
    /// Queues an answer behind everything sent before it.
    fn answer(queue: &Mutex<Outgoing>, message: String) {
        let mut q = queue.lock().unwrap();
        while let Ok(earlier) = q.rx.try_recv() {
            q.answers.push_back(earlier);
        }
        q.answers.push_back(message);
    }

    /// The next message, if one is waiting.
    fn try_next(queue: &Mutex<Outgoing>) -> Option<String> {
        let mut q = queue.lock().unwrap();
        match q.answers.pop_front() {
            Some(m) => Some(m),
            None => q.rx.try_recv().ok(),
        }
    }
}

async fn read_loop<R: MessageStream>(
    mut stream: R,
    conn: &Arc<Connection>,
    handler: &Arc<dyn Handler>,
    config: &ConnectionConfig,
    closing: &CancellationToken,
    outgoing: &Mutex<Outgoing>,
) -> Result<(), TransportError> {
    let mut tasks = JoinSet::new();
    // One waiter for the whole loop: a fresh one per message would lock the token's list twice.
    let mut shutdown = std::pin::pin!(conn.shutdown.cancelled());
    let out = Out {
        conn,
        queue: outgoing,
    };
    let result = loop {
        // Checked first, as a flag: polling the waiter on every message costs more, and it
        // is polled below whenever the loop would wait.
        if conn.shutdown.is_cancelled() {
            break Ok(());
        }
        let next = tokio::select! {
            biased;
            next = stream.recv() => next,
            // Reap finished request tasks so the set does not grow without bound.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
            _ = &mut shutdown => break Ok(()),
        };
        let text = match next {
            None => break Ok(()),
            Some(Ok(text)) => text,
            Some(Err(e)) if e.is_recoverable() => {
                let error = ErrorObject::invalid_request(format!("Invalid Request: {e}"));
                out.answer(jsonrpc::encode_error(None, &error));
                continue;
            }
            Some(Err(e)) => break Err(e),
        };
        match jsonrpc::parse_message(text) {
            Err(invalid) => {
                out.answer(jsonrpc::encode_error(invalid.id.as_ref(), &invalid.error));
            }
            Ok(Parsed::Single(msg)) => dispatch(msg, &out, handler, &mut tasks).await,
            Ok(Parsed::Batch(items)) => dispatch_batch(items, &out, handler, &mut tasks).await,
        }
    };
    // The peer is gone (or we were told to stop): let running requests finish, within
    // bounds, so a client that writes requests and then closes its side still gets answers.
    conn.shutdown.cancel();
    let tokens: Vec<CancellationToken> = conn
        .in_flight
        .lock()
        .unwrap()
        .values()
        .map(|f| f.cancel.clone())
        .collect();
    for t in tokens {
        t.cancel();
    }
    let drain = async { while tasks.join_next().await.is_some() {} };
    if tokio::time::timeout(config.drain_timeout, drain)
        .await
        .is_err()
    {
        tasks.abort_all();
    }
    let aborted: Vec<InFlight> = conn
        .in_flight
        .lock()
        .unwrap()
        .drain()
        .map(|(_, f)| f)
        .collect();
    for f in aborted {
        f.cancel.cancel();
        f.abort.abort();
    }
    handler.on_close();
    // Senders live on in sessions and contexts; tell the writer to flush what is queued
    // and close the transport.
    closing.cancel();
    result
}

/// Where the reader sends: answers it makes itself go to the writer directly.
struct Out<'a> {
    conn: &'a Arc<Connection>,
    queue: &'a Mutex<Outgoing>,
}

impl Out<'_> {
    fn answer(&self, message: String) {
        Outgoing::answer(self.queue, message);
    }
}

async fn dispatch(
    msg: Message,
    out: &Out<'_>,
    handler: &Arc<dyn Handler>,
    tasks: &mut JoinSet<()>,
) {
    let conn = out.conn;
    match msg {
        Message::Request(req) if handler.is_barrier(&req) => {
            let fut = handler.on_request(req, conn.shutdown.child_token());
            if let Some(text) = fut.await {
                out.answer(text);
            }
        }
        Message::Request(req) => start_request(req, out, handler, tasks).await,
        Message::Notification(n) => {
            if let Some(id) = (&*n.method == "notifications/cancelled")
                .then(|| cancelled_id(&n))
                .flatten()
            {
                // Let the runtime drop the aborted task before the next message is read (its
                // drop ends what it holds, such as a subscription): a request read next is
                // often answered on the spot, before any other task runs.
                if conn.cancel(&id) {
                    tokio::task::yield_now().await;
                }
            }
            handler.on_notification(n).await;
        }
        Message::Response(r) => handler.on_response(r),
    }
}

fn cancelled_id(n: &RawNotification) -> Option<RequestId> {
    #[derive(serde::Deserialize)]
    struct P {
        #[serde(rename = "requestId")]
        request_id: RequestId,
    }
    n.params
        .as_ref()
        .and_then(|p| p.parse::<P>().ok())
        .map(|p| p.request_id)
}

/// Starts a request: its future is polled once right here, and a request answered without
/// waiting (most tool calls) is queued for writing at once, with no task and no in-flight
/// entry. One that waits continues as a task of its own, cancellable by id.
async fn start_request(
    req: RawRequest,
    out: &Out<'_>,
    handler: &Arc<dyn Handler>,
    tasks: &mut JoinSet<()>,
) {
    let conn = out.conn;
    let id = req.id.clone();
    // A token of its own (not a child of the shutdown token): linking and unlinking a child
    // costs locks on every request; shutdown cancels the tokens of in-flight requests.
    let cancel = CancellationToken::new();
    let mut fut = handler.on_request(req, cancel.clone());
    let first = std::future::poll_fn(|cx| {
        let polled =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| fut.as_mut().poll(cx)));
        std::task::Poll::Ready(polled)
    })
    .await;
    match first {
        Ok(std::task::Poll::Ready(answer)) => {
            if let Some(msg) = answer {
                out.answer(msg);
            }
            return;
        }
        Ok(std::task::Poll::Pending) => {}
        Err(_) => {
            tracing::error!(%id, "request handler panicked");
            let error = ErrorObject::internal("Internal error: the handler panicked");
            out.answer(jsonrpc::encode_error(Some(&id), &error));
            return;
        }
    }
    let c = conn.clone();
    let task_id = id.clone();
    // Hold the in-flight lock while spawning so the task cannot remove its entry before
    // the entry exists.
    let mut in_flight = conn.in_flight.lock().unwrap();
    let abort = tasks.spawn(async move {
        let out = fut.await;
        let still_wanted = c.in_flight.lock().unwrap().remove(&task_id).is_some();
        if let (Some(msg), true) = (out, still_wanted) {
            let _ = c.outbound.send(msg);
        }
    });
    in_flight.insert(id, InFlight { cancel, abort });
}

async fn dispatch_batch(
    items: Vec<Result<Message, jsonrpc::InvalidMessage>>,
    out: &Out<'_>,
    handler: &Arc<dyn Handler>,
    tasks: &mut JoinSet<()>,
) {
    let conn = out.conn;
    let mut responses: Vec<BoxFuture<'static, Option<String>>> = Vec::new();
    for item in items {
        match item {
            Err(invalid) => {
                let text = jsonrpc::encode_error(invalid.id.as_ref(), &invalid.error);
                responses.push(Box::pin(async move { Some(text) }));
            }
            Ok(Message::Request(req)) => {
                responses.push(handler.on_request(req, conn.shutdown.child_token()));
            }
            Ok(other) => dispatch(other, out, handler, tasks).await,
        }
    }
    if responses.is_empty() {
        return;
    }
    let c = conn.clone();
    tasks.spawn(async move {
        let answers: Vec<String> = futures_util::future::join_all(responses)
            .await
            .into_iter()
            .flatten()
            .collect();
        if !answers.is_empty() {
            let _ = c.outbound.send(format!("[{}]", answers.join(",")));
        }
    });
}

async fn write_loop<S: MessageSink>(
    mut sink: S,
    outgoing: &Mutex<Outgoing>,
    closing: CancellationToken,
) {
    let mut closed = std::pin::pin!(closing.cancelled());
    'outer: loop {
        let first = std::future::poll_fn(|cx| {
            {
                let mut q = outgoing.lock().unwrap();
                if let Some(m) = q.answers.pop_front() {
                    return Poll::Ready(Some(m));
                }
                if let Poll::Ready(m) = q.rx.poll_recv(cx) {
                    return Poll::Ready(m);
                }
            }
            // Closing: send what is queued, then stop.
            match closed.as_mut().poll(cx) {
                Poll::Ready(()) => Poll::Ready(Outgoing::try_next(outgoing)),
                Poll::Pending => Poll::Pending,
            }
        })
        .await;
        let Some(first) = first else {
            break;
        };
        if sink.send(first).await.is_err() {
            break;
        }
        while let Some(next) = Outgoing::try_next(outgoing) {
            if sink.send(next).await.is_err() {
                break 'outer;
            }
        }
        if sink.flush().await.is_err() {
            break;
        }
    }
    let _ = sink.close().await;
}
