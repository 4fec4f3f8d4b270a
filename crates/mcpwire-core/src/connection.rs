//! The message engine shared by servers and clients on stream transports.
//!
//! One task reads messages and routes them: requests are spawned and run concurrently,
//! notifications are handled in arrival order before the next message is read, responses
//! complete the requests this side is waiting for. One task writes: it drains the outgoing
//! queue into the transport and flushes only when the queue runs empty, so a burst of
//! responses costs one write.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
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
pub async fn run<T: Transport>(
    transport: T,
    conn: Arc<Connection>,
    rx: mpsc::UnboundedReceiver<String>,
    handler: Arc<dyn Handler>,
    config: ConnectionConfig,
) -> Result<(), TransportError> {
    let (sink, mut stream) = transport.split();
    let closing = CancellationToken::new();
    let writer = tokio::spawn(write_loop(sink, rx, closing.clone()));
    let mut tasks = JoinSet::new();
    let result = loop {
        let next = tokio::select! {
            biased;
            _ = conn.shutdown.cancelled() => break Ok(()),
            next = stream.recv() => next,
            // Reap finished request tasks so the set does not grow without bound.
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let text = match next {
            None => break Ok(()),
            Some(Ok(text)) => text,
            Some(Err(e)) if e.is_recoverable() => {
                let error = ErrorObject::invalid_request(format!("Invalid Request: {e}"));
                let _ = conn.outbound.send(jsonrpc::encode_error(None, &error));
                continue;
            }
            Some(Err(e)) => break Err(e),
        };
        match jsonrpc::parse_message(text) {
            Err(invalid) => {
                let _ = conn
                    .outbound
                    .send(jsonrpc::encode_error(invalid.id.as_ref(), &invalid.error));
            }
            Ok(Parsed::Single(msg)) => dispatch(msg, &conn, &handler, &mut tasks).await,
            Ok(Parsed::Batch(items)) => dispatch_batch(items, &conn, &handler, &mut tasks).await,
        }
    };
    // The peer is gone (or we were told to stop): let running requests finish, within
    // bounds, so a client that writes requests and then closes its side still gets answers.
    conn.shutdown.cancel();
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
    let _ = writer.await;
    result
}

async fn dispatch(
    msg: Message,
    conn: &Arc<Connection>,
    handler: &Arc<dyn Handler>,
    tasks: &mut JoinSet<()>,
) {
    match msg {
        Message::Request(req) if handler.is_barrier(&req) => {
            let fut = handler.on_request(req, conn.shutdown.child_token());
            if let Some(text) = fut.await {
                let _ = conn.outbound.send(text);
            }
        }
        Message::Request(req) => spawn_request(req, conn, handler, tasks),
        Message::Notification(n) => {
            if let Some(id) = (&*n.method == "notifications/cancelled")
                .then(|| cancelled_id(&n))
                .flatten()
            {
                conn.cancel(&id);
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

fn spawn_request(
    req: RawRequest,
    conn: &Arc<Connection>,
    handler: &Arc<dyn Handler>,
    tasks: &mut JoinSet<()>,
) {
    let id = req.id.clone();
    let cancel = conn.shutdown.child_token();
    let fut = handler.on_request(req, cancel.clone());
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
    conn: &Arc<Connection>,
    handler: &Arc<dyn Handler>,
    tasks: &mut JoinSet<()>,
) {
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
            Ok(other) => dispatch(other, conn, handler, tasks).await,
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
    mut rx: mpsc::UnboundedReceiver<String>,
    closing: CancellationToken,
) {
    'outer: loop {
        let first = tokio::select! {
            m = rx.recv() => m,
            _ = closing.cancelled() => rx.try_recv().ok(),
        };
        let Some(first) = first else {
            break;
        };
        if sink.send(first).await.is_err() {
            break;
        }
        while let Ok(next) = rx.try_recv() {
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
