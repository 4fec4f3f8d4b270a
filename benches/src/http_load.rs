//! Driving a Streamable HTTP MCP server: `C` workers, each on its own keep-alive connection,
//! sending one request at a time, on one shared legacy session, on one session each, or
//! statelessly (2026-07-28, with its headers).
//!
//! Everything runs on one thread (a current-thread tokio runtime), so the load generator
//! takes at most one core.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE, HOST, HeaderName, HeaderValue};
use http::{HeaderMap, Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::SendRequest;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;

use crate::messages::{self, Era, Received, Template, Workload};
use crate::stats::{self, Summary};

/// How legacy workers share sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sessions {
    /// Every worker uses one session.
    Shared,
    /// Each worker opens its own.
    PerWorker,
}

impl Sessions {
    /// Parses `one` or `per-worker`.
    pub fn parse(s: &str) -> Option<Sessions> {
        match s {
            "one" | "shared" => Some(Sessions::Shared),
            "per-worker" | "many" => Some(Sessions::PerWorker),
            _ => None,
        }
    }
}

/// What an HTTP run does.
#[derive(Clone, Debug)]
pub struct HttpRun {
    /// The MCP endpoint, `http://host:port/path`.
    pub url: String,
    /// The era spoken.
    pub era: Era,
    /// Session sharing (legacy only).
    pub sessions: Sessions,
    /// The tool called.
    pub workload: Workload,
    /// Workers (connections), each with one request in flight.
    pub concurrency: usize,
    /// How long to measure.
    pub duration: Duration,
    /// How long to load the server before measuring.
    pub warmup: Duration,
    /// The server's process id, for its peak memory.
    pub pid: Option<u32>,
}

impl HttpRun {
    /// A run against `url` with the defaults: legacy, one session, `echo`, 1 worker, 5 s.
    pub fn new(url: &str) -> HttpRun {
        HttpRun {
            url: url.into(),
            era: Era::Legacy,
            sessions: Sessions::Shared,
            workload: Workload::default(),
            concurrency: 1,
            duration: Duration::from_secs(5),
            warmup: Duration::from_millis(500),
            pid: None,
        }
    }
}

/// Where requests go.
#[derive(Clone, Debug)]
pub struct Target {
    addr: SocketAddr,
    authority: HeaderValue,
    /// The request target (`/mcp`), parsed once: requests clone it.
    path: http::Uri,
}

impl Target {
    /// Parses an `http://` URL naming an IP address (the suite only loads local servers).
    pub fn parse(url: &str) -> Result<Target, String> {
        let uri: http::Uri = url.parse().map_err(|e| format!("bad URL `{url}`: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!("only http:// URLs are supported, not `{url}`"));
        }
        let authority = uri
            .authority()
            .ok_or_else(|| format!("no host in `{url}`"))?;
        let host = authority
            .host()
            .trim_start_matches('[')
            .trim_end_matches(']');
        let ip: std::net::IpAddr = if host == "localhost" {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            host.parse()
                .map_err(|_| format!("give the host of `{url}` as an IP address"))?
        };
        let port = authority.port_u16().unwrap_or(80);
        Ok(Target {
            addr: SocketAddr::new(ip, port),
            authority: HeaderValue::from_str(authority.as_str())
                .map_err(|e| format!("bad host in `{url}`: {e}"))?,
            path: uri
                .path()
                .parse()
                .map_err(|e| format!("bad path in `{url}`: {e}"))?,
        })
    }
}

/// One keep-alive HTTP/1.1 connection.
pub struct Connection {
    sender: SendRequest<Full<Bytes>>,
    target: Arc<Target>,
}

/// An answer: status, headers and the whole body.
pub struct Reply {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
}

impl Connection {
    /// Connects (with `TCP_NODELAY`).
    pub async fn open(target: &Arc<Target>) -> Result<Connection, String> {
        let stream = TcpStream::connect(target.addr)
            .await
            .map_err(|e| format!("cannot connect to {}: {e}", target.addr))?;
        let _ = stream.set_nodelay(true);
        let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| format!("HTTP handshake failed: {e}"))?;
        tokio::spawn(async move {
            let _ = conn.await;
        });
        Ok(Connection {
            sender,
            target: target.clone(),
        })
    }

    /// Sends one request and reads the whole answer.
    pub async fn send(
        &mut self,
        method: Method,
        headers: &HeaderMap,
        body: Bytes,
    ) -> Result<Reply, String> {
        let mut req = Request::new(Full::new(body));
        *req.method_mut() = method;
        *req.uri_mut() = self.target.path.clone();
        *req.headers_mut() = headers.clone();
        req.headers_mut()
            .insert(HOST, self.target.authority.clone());
        self.sender
            .ready()
            .await
            .map_err(|e| format!("the connection closed: {e}"))?;
        let response = self
            .sender
            .send_request(req)
            .await
            .map_err(|e| format!("the request failed: {e}"))?;
        let (parts, body) = response.into_parts();
        let body = body
            .collect()
            .await
            .map_err(|e| format!("reading the answer failed: {e}"))?
            .to_bytes();
        Ok(Reply {
            status: parts.status,
            headers: parts.headers,
            body,
        })
    }

    /// POSTs a JSON-RPC request and checks that it was answered successfully (a JSON body
    /// or an SSE stream carrying the answer).
    pub async fn call(
        &mut self,
        headers: &HeaderMap,
        body: Bytes,
        id: u64,
    ) -> Result<Reply, String> {
        let reply = self.send(Method::POST, headers, body).await?;
        check_reply(&reply, id)?;
        Ok(reply)
    }
}

/// Checks that `reply` answers request `id` successfully.
pub fn check_reply(reply: &Reply, id: u64) -> Result<(), String> {
    if reply.status != StatusCode::OK {
        return Err(format!(
            "HTTP {} for request {id}: {}",
            reply.status,
            messages::excerpt(&reply.body)
        ));
    }
    let sse = reply
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/event-stream"));
    let expect = |text: &[u8]| -> Result<bool, String> {
        match messages::check(text)? {
            Received::Answer(got) if got == id => Ok(true),
            Received::Answer(got) => Err(format!("answer to request {got}, expected {id}")),
            Received::Notification => Ok(false),
        }
    };
    if !sse {
        return if expect(&reply.body)? {
            Ok(())
        } else {
            Err(format!("no answer to request {id} in the body"))
        };
    }
    // An SSE stream: the answer is one of its events.
    for event in reply
        .body
        .split(|b| *b == b'\n')
        .collect::<Vec<_>>()
        .split(|l| {
            let l = l.strip_suffix(b"\r").unwrap_or(l);
            l.is_empty()
        })
    {
        let mut data = Vec::new();
        for line in event {
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if let Some(d) = line.strip_prefix(b"data:") {
                if !data.is_empty() {
                    data.push(b'\n');
                }
                data.extend_from_slice(d.strip_prefix(b" ").unwrap_or(d));
            }
        }
        if !data.is_empty() && expect(&data)? {
            return Ok(());
        }
    }
    Err(format!("the event stream never answered request {id}"))
}

fn base_headers() -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(
        ACCEPT,
        HeaderValue::from_static("application/json, text/event-stream"),
    );
    h
}

const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");
const PROTOCOL_VERSION: HeaderName = HeaderName::from_static("mcp-protocol-version");

/// The headers of a tool call in `era` (`session` on legacy).
pub fn call_headers(
    era: Era,
    workload: &Workload,
    session: Option<&str>,
) -> Result<HeaderMap, String> {
    let mut h = base_headers();
    h.insert(PROTOCOL_VERSION, HeaderValue::from_static(era.version()));
    match era {
        Era::Legacy => {
            if let Some(s) = session {
                h.insert(
                    SESSION_ID,
                    HeaderValue::from_str(s).map_err(|_| "the session id is not a header value")?,
                );
            }
        }
        Era::Modern => {
            h.insert("mcp-method", HeaderValue::from_static("tools/call"));
            h.insert(
                "mcp-name",
                HeaderValue::from_str(&workload.tool)
                    .map_err(|_| "the tool name is not a plain header value")?,
            );
        }
    }
    Ok(h)
}

/// Opens a legacy session on `conn`: `initialize`, then `notifications/initialized`.
pub async fn open_session(conn: &mut Connection) -> Result<String, String> {
    let reply = conn
        .call(
            &base_headers(),
            Bytes::from(messages::initialize().text(0)),
            0,
        )
        .await?;
    let id = reply
        .headers
        .get(SESSION_ID)
        .and_then(|v| v.to_str().ok())
        .ok_or("initialize was answered without an Mcp-Session-Id")?
        .to_owned();
    let headers = call_headers(Era::Legacy, &Workload::default(), Some(&id))?;
    let reply = conn
        .send(
            Method::POST,
            &headers,
            Bytes::from_static(messages::INITIALIZED.as_bytes()),
        )
        .await?;
    if reply.status != StatusCode::ACCEPTED {
        return Err(format!(
            "notifications/initialized got HTTP {} (expected 202)",
            reply.status
        ));
    }
    Ok(id)
}

/// Ends a legacy session with DELETE.
pub async fn close_session(conn: &mut Connection, id: &str) -> Result<(), String> {
    let headers = call_headers(Era::Legacy, &Workload::default(), Some(id))?;
    let reply = conn.send(Method::DELETE, &headers, Bytes::new()).await?;
    if !reply.status.is_success() {
        return Err(format!("DELETE of a session got HTTP {}", reply.status));
    }
    Ok(())
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

struct Worker {
    conn: Connection,
    headers: HeaderMap,
    session: Option<String>,
}

/// Runs `run`; the first failed request ends it with an error.
pub fn run(run: &HttpRun) -> Result<Summary, String> {
    let target = Arc::new(Target::parse(&run.url)?);
    runtime()?.block_on(run_async(run, target))
}

async fn run_async(run: &HttpRun, target: Arc<Target>) -> Result<Summary, String> {
    let request = messages::tool_call(run.era, &run.workload);
    let mut workers = Vec::with_capacity(run.concurrency);
    let mut shared: Option<String> = None;
    for _ in 0..run.concurrency.max(1) {
        let mut conn = Connection::open(&target).await?;
        let session = match (run.era, run.sessions) {
            (Era::Modern, _) => None,
            (Era::Legacy, Sessions::PerWorker) => Some(open_session(&mut conn).await?),
            (Era::Legacy, Sessions::Shared) => {
                if shared.is_none() {
                    shared = Some(open_session(&mut conn).await?);
                }
                shared.clone()
            }
        };
        let headers = call_headers(run.era, &run.workload, session.as_deref())?;
        workers.push(Worker {
            conn,
            headers,
            session,
        });
    }
    let start = Instant::now() + Duration::from_millis(5);
    let measure_from = start + run.warmup;
    let end = measure_from + run.duration;
    let mut set = tokio::task::JoinSet::new();
    for (index, w) in workers.into_iter().enumerate() {
        let request = request.clone();
        set.spawn(worker(w, request, index as u64, start, measure_from, end));
    }
    let mut latencies = Vec::new();
    let mut last_done = measure_from;
    let mut finished = Vec::new();
    while let Some(joined) = set.join_next().await {
        let (w, mut l, done) = match joined {
            Ok(Ok(x)) => x,
            Ok(Err(e)) => {
                set.abort_all();
                return Err(e);
            }
            Err(e) => return Err(format!("a worker failed: {e}")),
        };
        latencies.append(&mut l);
        last_done = last_done.max(done);
        finished.push(w);
    }
    let mut summary = Summary::from_latencies(&mut latencies, last_done - measure_from);
    summary.peak_rss_kib = run.pid.and_then(stats::peak_rss_kib);
    // Leave the server as we found it.
    let mut closed = std::collections::HashSet::new();
    for mut w in finished {
        if let Some(s) = w.session.take()
            && closed.insert(s.clone())
        {
            close_session(&mut w.conn, &s).await?;
        }
    }
    Ok(summary)
}

async fn worker(
    mut w: Worker,
    request: Template,
    index: u64,
    start: Instant,
    measure_from: Instant,
    end: Instant,
) -> Result<(Worker, Vec<u64>, Instant), String> {
    tokio::time::sleep_until(start.into()).await;
    let mut latencies = Vec::with_capacity(16 * 1024);
    let mut last_done = start;
    // Ids are unique across workers: worker i uses i + 1, i + 1 + 2^32, ...
    let mut id = index + 1;
    let mut body = Vec::with_capacity(512);
    loop {
        let sent = Instant::now();
        if sent >= end {
            break;
        }
        body.clear();
        request.write(id, &mut body);
        w.conn
            .call(&w.headers, Bytes::copy_from_slice(&body), id)
            .await?;
        let done = Instant::now();
        if sent >= measure_from {
            latencies.push((done - sent).as_nanos() as u64);
            last_done = done;
        }
        id += 1 << 32;
    }
    Ok((w, latencies, last_done))
}

/// The memory an HTTP server spends on idle legacy sessions.
#[derive(Clone, Debug)]
pub struct SessionMemory {
    /// Sessions per batch.
    pub count: usize,
    /// RSS before the first batch, in KiB.
    pub before_kib: u64,
    /// RSS with the first batch open.
    pub open_kib: u64,
    /// RSS after the first batch was deleted.
    pub deleted_kib: u64,
    /// RSS with the second batch open.
    pub reopened_kib: u64,
    /// RSS with each further batch open (each opened after the one before was deleted).
    pub later_kib: Vec<u64>,
}

impl SessionMemory {
    /// Bytes per idle session (first batch).
    pub fn per_session_bytes(&self) -> f64 {
        (self.open_kib.saturating_sub(self.before_kib) as f64 * 1024.0) / self.count.max(1) as f64
    }

    /// How much more the second batch took than the first, in KiB (negative: less).
    pub fn growth_kib(&self) -> i64 {
        self.reopened_kib as i64 - self.open_kib as i64
    }

    /// How much more the last batch took than the second, in KiB: growth that goes on batch
    /// after batch is memory that is not given back. (The second batch can take a little more
    /// than the first once: the allocator's per-thread arenas each keep what their thread
    /// freed, and the new batch's sessions need not land on the same threads.)
    pub fn later_growth_kib(&self) -> i64 {
        self.later_kib
            .last()
            .map_or(0, |&last| last as i64 - self.reopened_kib as i64)
    }

    /// One line for people.
    pub fn line(&self) -> String {
        format!(
            "{} idle sessions: {:.0} bytes each (RSS {} -> {}); after DELETE {}; {} more: {} ({:+} KiB); {} batches later: {:+} KiB",
            self.count,
            self.per_session_bytes(),
            stats::kib(self.before_kib),
            stats::kib(self.open_kib),
            stats::kib(self.deleted_kib),
            self.count,
            stats::kib(self.reopened_kib),
            self.growth_kib(),
            self.later_kib.len(),
            self.later_growth_kib(),
        )
    }
}

/// How many batches follow the second one in [`session_memory`].
const LATER_BATCHES: usize = 3;

/// Opens `count` legacy sessions and leaves them idle, reads the RSS of `pid`, deletes them,
/// opens `count` more and reads it again; then does so for a few more batches.
pub fn session_memory(url: &str, pid: u32, count: usize) -> Result<SessionMemory, String> {
    let target = Arc::new(Target::parse(url)?);
    runtime()?.block_on(async {
        let mut conns = Vec::new();
        for _ in 0..4 {
            conns.push(Connection::open(&target).await?);
        }
        // Warm the server's one-off structures (connection buffers, first allocations).
        let warm = open_many(&mut conns, 16).await?;
        close_many(&mut conns, &warm).await?;
        settle().await;
        let rss = || stats::rss_kib(pid).ok_or_else(|| format!("no process {pid}"));
        let before_kib = rss()?;
        let first = open_many(&mut conns, count).await?;
        settle().await;
        let open_kib = rss()?;
        close_many(&mut conns, &first).await?;
        settle().await;
        let deleted_kib = rss()?;
        let mut open = Vec::new();
        for _ in 0..=LATER_BATCHES {
            let batch = open_many(&mut conns, count).await?;
            settle().await;
            open.push(rss()?);
            close_many(&mut conns, &batch).await?;
            settle().await;
        }
        let reopened_kib = open.remove(0);
        Ok(SessionMemory {
            count,
            before_kib,
            open_kib,
            deleted_kib,
            reopened_kib,
            later_kib: open,
        })
    })
}

async fn settle() {
    tokio::time::sleep(Duration::from_millis(150)).await;
}

async fn open_many(conns: &mut [Connection], count: usize) -> Result<Vec<String>, String> {
    let per = count.div_ceil(conns.len().max(1));
    let mut remaining = count;
    let mut tasks = Vec::new();
    for conn in conns.iter_mut() {
        let n = per.min(remaining);
        remaining -= n;
        tasks.push(async move {
            let mut ids = Vec::with_capacity(n);
            for _ in 0..n {
                ids.push(open_session(conn).await?);
            }
            Ok::<_, String>(ids)
        });
    }
    let mut all = Vec::with_capacity(count);
    for ids in join_all(tasks).await {
        all.extend(ids?);
    }
    Ok(all)
}

async fn close_many(conns: &mut [Connection], ids: &[String]) -> Result<(), String> {
    let per = ids.len().div_ceil(conns.len().max(1)).max(1);
    let tasks: Vec<_> = conns
        .iter_mut()
        .zip(ids.chunks(per))
        .map(|(conn, chunk)| async move {
            for id in chunk {
                close_session(conn, id).await?;
            }
            Ok::<_, String>(())
        })
        .collect();
    for r in join_all(tasks).await {
        r?;
    }
    Ok(())
}

/// Polls futures on this task until all are done (a tiny `join_all`).
async fn join_all<F: std::future::Future>(futures: Vec<F>) -> Vec<F::Output> {
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut outputs: Vec<Option<F::Output>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (f, out) in futures.iter_mut().zip(outputs.iter_mut()) {
            if out.is_none() {
                match f.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => *out = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    outputs.into_iter().flatten().collect()
}

/// Waits until something accepts connections at `url` (a server starting up).
pub fn wait_for_listener(url: &str, timeout: Duration) -> Result<(), String> {
    let target = Target::parse(url)?;
    let deadline = Instant::now() + timeout;
    loop {
        if std::net::TcpStream::connect_timeout(&target.addr, Duration::from_millis(200)).is_ok() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("nothing listens at {url} after {timeout:?}"));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(content_type: &str, body: &str) -> Reply {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_str(content_type).unwrap());
        Reply {
            status: StatusCode::OK,
            headers,
            body: Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn answers_are_found_in_json_and_in_event_streams() {
        let json = reply(
            "application/json",
            r#"{"jsonrpc":"2.0","id":5,"result":{}}"#,
        );
        assert!(check_reply(&json, 5).is_ok());
        assert!(check_reply(&json, 6).is_err());
        let sse = reply(
            "text/event-stream",
            "id: 1\ndata: \n\nevent: message\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\nevent: message\r\ndata: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}\r\n\r\n",
        );
        assert!(check_reply(&sse, 9).is_ok());
        let unanswered = reply(
            "text/event-stream",
            "data: {\"jsonrpc\":\"2.0\",\"method\":\"x\"}\n\n",
        );
        assert!(check_reply(&unanswered, 9).is_err());
        let mut failed = json;
        failed.status = StatusCode::NOT_FOUND;
        assert!(check_reply(&failed, 5).is_err());
    }

    #[test]
    fn targets_need_an_http_url_with_an_address() {
        let t = Target::parse("http://127.0.0.1:3000/mcp").unwrap();
        assert_eq!(t.addr, "127.0.0.1:3000".parse().unwrap());
        assert_eq!(t.path.path(), "/mcp");
        assert!(Target::parse("https://127.0.0.1/mcp").is_err());
        assert!(Target::parse("http://example.com/mcp").is_err());
        assert!(Target::parse("http://localhost:1/mcp").is_ok());
    }
}
