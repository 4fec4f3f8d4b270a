//! The Streamable HTTP "limit" server: a minimal hyper endpoint with no SDK.
//!
//! ```sh
//! limit-http 127.0.0.1:3001     # POST (and DELETE) http://127.0.0.1:3001/mcp
//! ```
//!
//! A POST body is parsed with `serde_json` and answered with one JSON object; `initialize`
//! opens a session (an id in a set), DELETE closes it. Same runtime as `bench-server`
//! (`#[tokio::main]`), `TCP_NODELAY` on every connection.

use std::collections::HashSet;
use std::convert::Infallible;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http::header::CONTENT_TYPE;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use mcpwire_benches::limit::{self, Answered};
use tokio::net::TcpListener;

#[derive(Default)]
struct State {
    sessions: Mutex<HashSet<Box<str>>>,
    next: AtomicU64,
}

fn reply(status: StatusCode, body: Vec<u8>) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}

async fn handle(req: Request<Incoming>, state: Arc<State>) -> Response<Full<Bytes>> {
    if req.uri().path() != "/mcp" {
        return reply(StatusCode::NOT_FOUND, Vec::new());
    }
    let session = req
        .headers()
        .get("mcp-session-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let known = |id: &str| state.sessions.lock().is_ok_and(|s| s.contains(id));
    match *req.method() {
        Method::POST => {
            if session.as_deref().is_some_and(|id| !known(id)) {
                return reply(StatusCode::NOT_FOUND, Vec::new());
            }
            let Ok(body) = req.into_body().collect().await else {
                return reply(StatusCode::BAD_REQUEST, Vec::new());
            };
            let body = body.to_bytes();
            let mut out = Vec::with_capacity(256);
            let answered = limit::answer(&body, &mut out);
            if answered == Answered::Nothing {
                return reply(StatusCode::ACCEPTED, Vec::new());
            }
            let mut r = reply(StatusCode::OK, out);
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            if answered == Answered::Initialized {
                let n = state.next.fetch_add(1, Ordering::Relaxed);
                let id = format!("{:032x}", n ^ 0x5eed_5eed_5eed_5eed);
                if let Ok(mut s) = state.sessions.lock() {
                    s.insert(id.as_str().into());
                }
                if let Ok(v) = HeaderValue::from_str(&id) {
                    r.headers_mut().insert("mcp-session-id", v);
                }
            }
            r
        }
        Method::DELETE => {
            let removed = session.is_some_and(|id| {
                state
                    .sessions
                    .lock()
                    .is_ok_and(|mut s| s.remove(id.as_str()))
            });
            if removed {
                reply(StatusCode::OK, Vec::new())
            } else {
                reply(StatusCode::NOT_FOUND, Vec::new())
            }
        }
        _ => reply(StatusCode::METHOD_NOT_ALLOWED, Vec::new()),
    }
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let Some(addr) = std::env::args().nth(1) else {
        eprintln!("usage: limit-http ADDR");
        std::process::exit(2);
    };
    let listener = TcpListener::bind(addr.as_str()).await?;
    let state = Arc::new(State::default());
    loop {
        let (stream, _) = listener.accept().await?;
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        let service = hyper::service::service_fn(move |req| {
            let state = state.clone();
            async move { Ok::<_, Infallible>(handle(req, state).await) }
        });
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
