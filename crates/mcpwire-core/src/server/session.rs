//! Sessions, and the request and response types of the dispatcher service.
//!
//! A [`Session`] is what a legacy client establishes with `initialize`: on stdio one per
//! process, on Streamable HTTP one per `Mcp-Session-Id`. Modern (2026-07-28) requests are
//! stateless; they still arrive through a session object, which then only carries the
//! channel to answer on.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::context::RequestInfo;
use super::meta::MetaCache;
use crate::connection::{Outbound, PendingRequests};
use crate::jsonrpc::{self, ErrorObject, RawJson, RawResponse, RequestId};
use crate::types::{ClientCapabilities, Implementation, LoggingLevel};
use crate::version::ProtocolVersion;

/// Where a legacy session is in its handshake.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// No `initialize` yet.
    New,
    /// `initialize` answered; waiting for `notifications/initialized`.
    Initializing,
    /// `notifications/initialized` received.
    Ready,
}

/// What a legacy session negotiated.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Negotiated {
    /// The revision in use.
    pub version: ProtocolVersion,
    /// The client's capabilities.
    pub capabilities: Arc<ClientCapabilities>,
    /// The client's identity.
    pub client_info: Arc<Implementation>,
}

impl Negotiated {
    /// What a handshake agreed on.
    pub fn new(
        version: ProtocolVersion,
        capabilities: ClientCapabilities,
        client_info: Implementation,
    ) -> Self {
        Negotiated {
            version,
            capabilities: Arc::new(capabilities),
            client_info: Arc::new(client_info),
        }
    }
}

struct SessionState {
    log_level: Option<LoggingLevel>,
    subscriptions: HashSet<String>,
}

/// One client's connection state, plus the channel to reach it.
pub struct Session {
    id: u64,
    outbound: Arc<dyn Outbound>,
    pending: PendingRequests,
    // Set once by the handshake and read by every request: no lock to read it.
    negotiated: OnceLock<Negotiated>,
    /// The client context of stateless requests, parsed last.
    pub(crate) meta_cache: Mutex<MetaCache>,
    state: Mutex<SessionState>,
    phase: watch::Sender<Phase>,
    closed: CancellationToken,
}

static NEXT_SESSION: AtomicU64 = AtomicU64::new(1);

impl Session {
    /// A new session whose session-wide messages (list changes, resource updates, requests
    /// not tied to a client request) go to `outbound`.
    pub fn new(outbound: Arc<dyn Outbound>) -> Arc<Session> {
        Arc::new(Session {
            id: NEXT_SESSION.fetch_add(1, Ordering::Relaxed),
            outbound,
            pending: PendingRequests::new(),
            negotiated: OnceLock::new(),
            meta_cache: Mutex::default(),
            state: Mutex::new(SessionState {
                log_level: None,
                subscriptions: HashSet::new(),
            }),
            phase: watch::Sender::new(Phase::New),
            closed: CancellationToken::new(),
        })
    }

    /// A session that behaves as if the handshake had completed with `negotiated` (for
    /// transports serving legacy clients without keeping sessions).
    pub fn initialized(outbound: Arc<dyn Outbound>, negotiated: Negotiated) -> Arc<Session> {
        let s = Session::new(outbound);
        let _ = s.negotiated.set(negotiated);
        s.phase.send_replace(Phase::Ready);
        s
    }

    /// A process-unique number identifying the session.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The session-wide outgoing channel.
    pub fn outbound(&self) -> &Arc<dyn Outbound> {
        &self.outbound
    }

    /// Where the handshake stands.
    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// What `initialize` negotiated, once it has been answered.
    pub fn negotiated(&self) -> Option<Negotiated> {
        self.negotiated.get().cloned()
    }

    pub(crate) fn begin(&self, negotiated: Negotiated) -> Result<(), ErrorObject> {
        if self.negotiated.set(negotiated).is_err() {
            return Err(ErrorObject::invalid_request(
                "Invalid Request: the session is already initialized",
            ));
        }
        self.phase.send_replace(Phase::Initializing);
        Ok(())
    }

    /// Records `notifications/initialized`.
    pub fn mark_ready(&self) {
        if self.negotiated.get().is_some() {
            self.phase.send_replace(Phase::Ready);
        }
    }

    /// Waits until the client sent `notifications/initialized` (servers must not send
    /// requests before it).
    pub async fn wait_ready(&self) -> bool {
        let mut rx = self.phase.subscribe();
        tokio::select! {
            r = rx.wait_for(|p| *p == Phase::Ready) => r.is_ok(),
            _ = self.closed.cancelled() => false,
        }
    }

    /// The minimum log level set with `logging/setLevel`.
    pub fn log_level(&self) -> Option<LoggingLevel> {
        self.state.lock().unwrap().log_level
    }

    pub(crate) fn set_log_level(&self, level: LoggingLevel) {
        self.state.lock().unwrap().log_level = Some(level);
    }

    pub(crate) fn subscribe(&self, uri: &str) {
        self.state
            .lock()
            .unwrap()
            .subscriptions
            .insert(uri.to_owned());
    }

    pub(crate) fn unsubscribe(&self, uri: &str) {
        self.state.lock().unwrap().subscriptions.remove(uri);
    }

    /// Whether the client subscribed to updates of `uri`.
    pub fn is_subscribed(&self, uri: &str) -> bool {
        self.state.lock().unwrap().subscriptions.contains(uri)
    }

    /// Routes a response from the client to the server request it answers.
    pub fn complete_request(&self, response: RawResponse) -> bool {
        self.pending.complete(response)
    }

    /// Sends a server-to-client request on `channel` and waits for the answer.
    pub(crate) async fn request<P: serde::Serialize>(
        &self,
        channel: &dyn Outbound,
        method: &str,
        params: Option<&P>,
    ) -> Result<RawJson, crate::Error> {
        let outbound = channel;
        let cancel_notice = |id: RequestId| {
            let params = crate::types::CancelledNotificationParams::new(
                id,
                Some("the server request was abandoned".into()),
            );
            if let Ok(text) = jsonrpc::encode_notification("notifications/cancelled", Some(&params))
            {
                outbound.send(text);
            }
        };
        tokio::select! {
            r = self.pending.request(channel, method, params, Some(&cancel_notice)) => r,
            _ = self.closed.cancelled() => Err(crate::Error::Closed),
        }
    }

    /// Fires when the session ends.
    pub fn closed(&self) -> &CancellationToken {
        &self.closed
    }

    /// Ends the session: waiting server requests fail and handlers see the token fire.
    pub fn close(&self) {
        self.closed.cancel();
        self.pending.fail_all();
    }
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("id", &self.id)
            .field("phase", &self.phase())
            .finish()
    }
}

/// A request as the dispatcher service sees it.
///
/// Transports build these: the envelope is parsed, `params` still raw.
pub struct McpRequest {
    /// The request id.
    pub id: RequestId,
    /// The method name.
    pub method: Box<str>,
    /// The params, unparsed.
    pub params: Option<RawJson>,
    /// Typed values attached by transports and layers (for example an authenticated user).
    pub extensions: http::Extensions,
    /// The session the request arrived on.
    pub session: Arc<Session>,
    /// Where messages about this request (progress, logs, server requests) go.
    pub channel: Arc<dyn Outbound>,
    /// Fires when the client cancels the request or goes away.
    pub cancel: CancellationToken,
    /// What the protocol layer ([`Protocol`](super::Protocol)) worked out about the request:
    /// its method, revision and client context. `None` until that layer ran.
    pub info: Option<RequestInfo>,
}

impl McpRequest {
    /// A request arriving on `session`, answered through `channel`.
    pub fn new(
        id: RequestId,
        method: impl Into<Box<str>>,
        params: Option<RawJson>,
        session: Arc<Session>,
        channel: Arc<dyn Outbound>,
        cancel: CancellationToken,
    ) -> Self {
        McpRequest {
            id,
            method: method.into(),
            params,
            extensions: http::Extensions::new(),
            session,
            channel,
            cancel,
            info: None,
        }
    }
}

impl std::fmt::Debug for McpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("McpRequest")
            .field("id", &self.id)
            .field("method", &self.method)
            .field("params", &self.params)
            .finish()
    }
}

/// The dispatcher's answer to one request.
#[derive(Clone, Debug)]
pub enum McpResponse {
    /// A result: the JSON text of the `result` member.
    Result(String),
    /// A JSON-RPC error.
    Error(ErrorObject),
}

/// About the size of the envelope around a result (`{"jsonrpc":"2.0","id":`, an integer id,
/// `,"result":` and the closing brace).
const ENVELOPE_ROOM: usize = 64;

/// The buffer a result is serialized into: most results fit without growing it, with room
/// left for [`McpResponse::into_message`] to add the envelope in place.
const RESULT_CAPACITY: usize = 256;

impl McpResponse {
    /// Serializes a result.
    pub fn result<T: serde::Serialize>(value: &T) -> McpResponse {
        let mut buf = Vec::with_capacity(RESULT_CAPACITY);
        match serde_json::to_writer(&mut buf, value) {
            // serde_json writes UTF-8 only.
            Ok(()) => McpResponse::Result(String::from_utf8(buf).unwrap_or_default()),
            Err(e) => McpResponse::Error(ErrorObject::internal(format!(
                "could not serialize the result: {e}"
            ))),
        }
    }

    /// The whole response message for request `id`.
    pub fn encode(&self, id: &RequestId) -> String {
        match self {
            McpResponse::Result(text) => {
                let mut out = String::with_capacity(text.len() + ENVELOPE_ROOM);
                push_result_head(&mut out, id);
                out.push_str(text);
                out.push('}');
                out
            }
            McpResponse::Error(e) => jsonrpc::encode_error(Some(id), e),
        }
    }

    /// The whole response message for request `id`, reusing the result's buffer when it has
    /// room for the envelope (what [`result`](Self::result) leaves).
    pub fn into_message(mut self, id: &RequestId) -> String {
        // An integer id (the usual kind), and room in the result's buffer: the head goes in
        // front of the result, built on the stack. Anything else is encoded anew.
        if let (McpResponse::Result(text), RequestId::Number(n)) = (&mut self, id) {
            let mut digits = [0u8; 20];
            let mut head = [0u8; 64];
            let mut len = 0;
            for part in [
                RESULT_HEAD.as_bytes(),
                integer(*n, &mut digits),
                RESULT_MID.as_bytes(),
            ] {
                head[len..len + part.len()].copy_from_slice(part);
                len += part.len();
            }
            if text.capacity() - text.len() > len {
                text.insert_str(0, std::str::from_utf8(&head[..len]).unwrap_or_default());
                text.push('}');
                return std::mem::take(text);
            }
        }
        self.encode(id)
    }

    /// The error, if this is one.
    pub fn error(&self) -> Option<&ErrorObject> {
        match self {
            McpResponse::Error(e) => Some(e),
            McpResponse::Result(_) => None,
        }
    }
}

const RESULT_HEAD: &str = "{\"jsonrpc\":\"2.0\",\"id\":";
const RESULT_MID: &str = ",\"result\":";

/// `{"jsonrpc":"2.0","id":ID,"result":`.
fn push_result_head(out: &mut String, id: &RequestId) {
    out.push_str(RESULT_HEAD);
    match id {
        RequestId::Number(n) => {
            let mut digits = [0u8; 20];
            out.push_str(std::str::from_utf8(integer(*n, &mut digits)).unwrap_or("0"));
        }
        RequestId::String(_) => {
            // A string id needs JSON escaping; serializing a string cannot fail.
            out.push_str(&serde_json::to_string(id).unwrap_or_else(|_| "null".into()));
        }
    }
    out.push_str(RESULT_MID);
}

/// `n` in decimal, written into `digits` (without going through `fmt`).
fn integer(n: i64, digits: &mut [u8; 20]) -> &[u8] {
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        // `i64::MIN` has 19 digits: there is room for the sign.
        at -= 1;
        digits[at] = b'-';
    }
    &digits[at..]
}

impl From<ErrorObject> for McpResponse {
    fn from(e: ErrorObject) -> Self {
        McpResponse::Error(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_are_wrapped_in_their_envelope() {
        for id in [
            RequestId::Number(0),
            RequestId::Number(-42),
            RequestId::Number(i64::MIN),
            RequestId::Number(i64::MAX),
            RequestId::from("a \"quoted\" id"),
        ] {
            let expected = format!(
                r#"{{"jsonrpc":"2.0","id":{},"result":{{"a":[1]}}}}"#,
                serde_json::to_string(&id).unwrap()
            );
            let response = McpResponse::result(&serde_json::json!({"a": [1]}));
            assert_eq!(response.encode(&id), expected);
            assert_eq!(response.into_message(&id), expected);
            // A result without room in front of it is copied once.
            let tight = McpResponse::Result(String::from(r#"{"a":[1]}"#));
            assert_eq!(tight.into_message(&id), expected);
        }
    }
}
