//! Per-principal rate and concurrency limits, as tower layers that work on HTTP requests
//! (refusing with `429`) and on the dispatcher's `McpRequest`s (refusing with a JSON-RPC
//! error, for stdio and other stream transports). Refusals are counted.

use std::collections::{BTreeMap, HashMap};
use std::convert::Infallible;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use http::header::{HeaderValue, RETRY_AFTER};
use http::{Request, Response, StatusCode};
use mcpwire_core::connection::BoxFuture;
use mcpwire_core::jsonrpc::{ErrorCode, ErrorObject};
use mcpwire_core::server::{McpRequest, McpResponse, Principal};
use tower::{Layer, Service};

use crate::body::{ReplyBody, error};

/// The key of requests without a principal (unauthenticated, or stdio without an
/// [`IdentityLayer`](crate::IdentityLayer)): they share one budget.
const ANONYMOUS: &str = "";

/// The most principals whose refusals are counted one by one.
const MAX_COUNTED: usize = 10_000;

/// How fast a principal may send requests: `burst` at once, then one every `interval`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota {
    burst: u32,
    interval: Duration,
}

impl Quota {
    /// `n` requests per second on average, bursts of `n`.
    pub fn per_second(n: u32) -> Self {
        Self::new(n, Duration::from_secs(1) / n.max(1))
    }

    /// `n` requests per minute on average, bursts of `n`.
    pub fn per_minute(n: u32) -> Self {
        Self::new(n, Duration::from_secs(60) / n.max(1))
    }

    /// Bursts of `burst` requests, then one every `interval`.
    pub fn new(burst: u32, interval: Duration) -> Self {
        Quota {
            burst: burst.max(1),
            interval: interval.max(Duration::from_nanos(1)),
        }
    }

    /// The same rate with bursts of `burst`.
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }
}

/// What a limit layer has let through and refused so far.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LimitStats {
    /// Requests let through.
    pub allowed: u64,
    /// Requests refused.
    pub refused: u64,
    /// Refusals per principal (`""` for requests without one); at most 10 000 principals
    /// are counted one by one.
    pub refused_by_principal: BTreeMap<String, u64>,
}

#[derive(Default)]
struct Counters {
    allowed: AtomicU64,
    refused: AtomicU64,
    by_principal: Mutex<HashMap<String, u64>>,
}

impl Counters {
    fn allow(&self) {
        self.allowed.fetch_add(1, Ordering::Relaxed);
    }

    fn refuse(&self, principal: &str) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        let mut by = self.by_principal.lock().unwrap();
        if let Some(n) = by.get_mut(principal) {
            *n += 1;
        } else if by.len() < MAX_COUNTED {
            by.insert(principal.to_owned(), 1);
        }
    }

    fn stats(&self) -> LimitStats {
        LimitStats {
            allowed: self.allowed.load(Ordering::Relaxed),
            refused: self.refused.load(Ordering::Relaxed),
            refused_by_principal: self
                .by_principal
                .lock()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect(),
        }
    }
}

fn principal_of(extensions: &http::Extensions) -> String {
    Principal::of(extensions).unwrap_or_else(|| ANONYMOUS.to_owned())
}

// ---------- rate ----------

/// The budgets of every principal (GCRA: one instant per principal).
struct Limiter {
    quota: Quota,
    /// When each principal's budget is next full again ("theoretical arrival time").
    tat: Mutex<HashMap<String, Instant>>,
    max_principals: usize,
    counters: Counters,
}

impl Limiter {
    /// Takes one request from `principal`'s budget, or says how long until one is left.
    fn acquire(&self, principal: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let q = self.quota;
        let tolerance = q.interval * (q.burst - 1);
        let mut tat = self.tat.lock().unwrap();
        let current = tat.get(principal).copied().unwrap_or(now).max(now);
        let earliest = current.checked_sub(tolerance).unwrap_or(now);
        if earliest > now {
            return Err(earliest - now);
        }
        if let Some(t) = tat.get_mut(principal) {
            *t = current + q.interval;
            return Ok(());
        }
        if tat.len() >= self.max_principals {
            // Budgets that are full again carry no information: forget them.
            tat.retain(|_, t| *t > now);
        }
        tat.insert(principal.to_owned(), current + q.interval);
        Ok(())
    }

    fn check(&self, principal: &str) -> Result<(), Duration> {
        let r = self.acquire(principal);
        match r {
            Ok(()) => self.counters.allow(),
            Err(_) => self.counters.refuse(principal),
        }
        r
    }
}

/// Limits how fast each principal may send requests (a token bucket per principal; the
/// principal comes from the request's extensions, so put this inside the authentication
/// layer). Refused HTTP requests get `429 Too Many Requests` with `Retry-After`;
/// refused `McpRequest`s get [`ErrorCode::RATE_LIMITED`] with `data.retryAfterMs`.
///
/// Clones share the budgets and the counts ([`stats`](Self::stats)).
#[derive(Clone)]
pub struct RateLimitLayer {
    limiter: Arc<Limiter>,
}

impl std::fmt::Debug for RateLimitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimitLayer")
            .field("quota", &self.limiter.quota)
            .finish_non_exhaustive()
    }
}

impl RateLimitLayer {
    /// Gives every principal `quota`.
    pub fn new(quota: Quota) -> Self {
        RateLimitLayer {
            limiter: Arc::new(Limiter {
                quota,
                tat: Mutex::new(HashMap::new()),
                max_principals: 100_000,
                counters: Counters::default(),
            }),
        }
    }

    /// What was let through and refused so far.
    pub fn stats(&self) -> LimitStats {
        self.limiter.counters.stats()
    }
}

impl<S> Layer<S> for RateLimitLayer {
    type Service = RateLimit<S>;
    fn layer(&self, inner: S) -> RateLimit<S> {
        RateLimit {
            inner,
            limiter: self.limiter.clone(),
        }
    }
}

/// The service of [`RateLimitLayer`].
#[derive(Clone)]
pub struct RateLimit<S> {
    inner: S,
    limiter: Arc<Limiter>,
}

impl<S> std::fmt::Debug for RateLimit<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimit").finish_non_exhaustive()
    }
}

fn too_many<B: ReplyBody>(retry: Duration) -> Response<B> {
    let mut r = error(StatusCode::TOO_MANY_REQUESTS, &rate_error(retry));
    let secs = retry.as_secs() + u64::from(retry.subsec_nanos() > 0);
    r.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(secs.max(1)));
    r
}

fn rate_error(retry: Duration) -> ErrorObject {
    let ms = u64::try_from(retry.as_millis()).unwrap_or(u64::MAX).max(1);
    ErrorObject::new(
        ErrorCode::RATE_LIMITED,
        format!("Too Many Requests: retry in {ms} ms"),
    )
    .with_data(serde_json::json!({ "retryAfterMs": ms }))
}

impl<S, B, RB> Service<Request<B>> for RateLimit<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    RB: ReplyBody + Send + 'static,
    S::Error: 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = LimitFuture<S::Future, Response<RB>, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        match self.limiter.check(&principal_of(req.extensions())) {
            Ok(()) => LimitFuture::inner(self.inner.call(req)),
            Err(retry) => LimitFuture::refused(too_many(retry)),
        }
    }
}

impl<S> Service<McpRequest> for RateLimit<S>
where
    S: Service<McpRequest, Response = McpResponse, Error = Infallible>,
{
    type Response = McpResponse;
    type Error = Infallible;
    type Future = LimitFuture<S::Future, McpResponse, Infallible>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: McpRequest) -> Self::Future {
        match self.limiter.check(&principal_of(&req.extensions)) {
            Ok(()) => LimitFuture::inner(self.inner.call(req)),
            Err(retry) => LimitFuture::refused(McpResponse::Error(rate_error(retry))),
        }
    }
}

pin_project_lite::pin_project! {
    /// The future of [`RateLimit`]: the inner service's, or an immediate refusal.
    pub struct LimitFuture<F, R, E> {
        #[pin]
        future: Option<F>,
        refusal: Option<Result<R, E>>,
    }
}

impl<F, R, E> LimitFuture<F, R, E> {
    fn inner(future: F) -> Self {
        LimitFuture {
            future: Some(future),
            refusal: None,
        }
    }

    fn refused(answer: R) -> Self {
        LimitFuture {
            future: None,
            refusal: Some(Ok(answer)),
        }
    }
}

impl<F, R, E> std::future::Future for LimitFuture<F, R, E>
where
    F: std::future::Future<Output = Result<R, E>>,
{
    type Output = Result<R, E>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Some(f) = this.future.as_pin_mut() {
            return f.poll(cx);
        }
        Poll::Ready(
            this.refusal
                .take()
                .expect("a refusal is not polled after it completed"),
        )
    }
}

// ---------- concurrency ----------

struct Slots {
    per_principal: usize,
    total: Option<usize>,
    in_flight: Mutex<(usize, HashMap<String, usize>)>,
    counters: Counters,
}

/// One request in flight; frees its slot when dropped.
struct Permit {
    slots: Arc<Slots>,
    principal: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut g = self.slots.in_flight.lock().unwrap();
        g.0 = g.0.saturating_sub(1);
        if let Some(n) = g.1.get_mut(&self.principal) {
            *n -= 1;
            if *n == 0 {
                g.1.remove(&self.principal);
            }
        }
    }
}

impl Slots {
    fn acquire(self: &Arc<Self>, principal: String) -> Option<Permit> {
        let mut g = self.in_flight.lock().unwrap();
        let mine = g.1.get(&principal).copied().unwrap_or(0);
        let full = mine >= self.per_principal || self.total.is_some_and(|t| g.0 >= t);
        if full {
            drop(g);
            self.counters.refuse(&principal);
            return None;
        }
        g.0 += 1;
        *g.1.entry(principal.clone()).or_insert(0) += 1;
        drop(g);
        self.counters.allow();
        Some(Permit {
            slots: self.clone(),
            principal,
        })
    }
}

/// Limits how many requests each principal (and, optionally, everyone together) may
/// have in flight. An HTTP request holds its slot until its response body ends (an SSE
/// stream included); an `McpRequest` until its handler finishes. Refusals are immediate
/// (`429`, or [`ErrorCode::RATE_LIMITED`]) rather than queued, and counted.
#[derive(Clone)]
pub struct ConcurrencyLimitLayer {
    slots: Arc<Slots>,
}

impl std::fmt::Debug for ConcurrencyLimitLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConcurrencyLimitLayer")
            .field("per_principal", &self.slots.per_principal)
            .field("total", &self.slots.total)
            .finish_non_exhaustive()
    }
}

impl ConcurrencyLimitLayer {
    /// At most `per_principal` requests in flight per principal.
    pub fn new(per_principal: usize) -> Self {
        ConcurrencyLimitLayer {
            slots: Arc::new(Slots {
                per_principal: per_principal.max(1),
                total: None,
                in_flight: Mutex::new((0, HashMap::new())),
                counters: Counters::default(),
            }),
        }
    }

    /// Also at most `total` requests in flight altogether.
    pub fn total(self, total: usize) -> Self {
        let slots = &self.slots;
        ConcurrencyLimitLayer {
            slots: Arc::new(Slots {
                per_principal: slots.per_principal,
                total: Some(total.max(1)),
                in_flight: Mutex::new((0, HashMap::new())),
                counters: Counters::default(),
            }),
        }
    }

    /// What was let through and refused so far.
    pub fn stats(&self) -> LimitStats {
        self.slots.counters.stats()
    }

    /// How many requests are in flight now.
    pub fn in_flight(&self) -> usize {
        self.slots.in_flight.lock().unwrap().0
    }
}

impl<S> Layer<S> for ConcurrencyLimitLayer {
    type Service = ConcurrencyLimit<S>;
    fn layer(&self, inner: S) -> ConcurrencyLimit<S> {
        ConcurrencyLimit {
            inner,
            slots: self.slots.clone(),
        }
    }
}

/// The service of [`ConcurrencyLimitLayer`].
#[derive(Clone)]
pub struct ConcurrencyLimit<S> {
    inner: S,
    slots: Arc<Slots>,
}

impl<S> std::fmt::Debug for ConcurrencyLimit<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConcurrencyLimit").finish_non_exhaustive()
    }
}

fn busy() -> ErrorObject {
    ErrorObject::new(
        ErrorCode::RATE_LIMITED,
        "Too Many Requests: too many requests in flight; retry when one completes",
    )
    .with_data(serde_json::json!({ "retryAfterMs": 1000 }))
}

pin_project_lite::pin_project! {
    /// A response body that holds a concurrency slot until it ends or is dropped.
    pub struct LimitedBody<B> {
        #[pin]
        body: B,
        permit: Option<PermitHandle>,
    }
}

/// A slot held by a [`LimitedBody`].
pub struct PermitHandle(#[allow(dead_code)] Permit);

impl std::fmt::Debug for PermitHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PermitHandle")
    }
}

impl<B: http_body::Body> http_body::Body for LimitedBody<B> {
    type Data = B::Data;
    type Error = B::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<B::Data>, B::Error>>> {
        let this = self.project();
        let r = this.body.poll_frame(cx);
        if let Poll::Ready(None) = r {
            // The body ended: the request is over.
            this.permit.take();
        }
        r
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.body.size_hint()
    }
}

impl<B: ReplyBody> ReplyBody for LimitedBody<B> {
    fn from_bytes(bytes: bytes::Bytes) -> Self {
        LimitedBody {
            body: B::from_bytes(bytes),
            permit: None,
        }
    }
}

impl<S, B, RB> Service<Request<B>> for ConcurrencyLimit<S>
where
    S: Service<Request<B>, Response = Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    RB: ReplyBody + Send + 'static,
{
    type Response = Response<LimitedBody<RB>>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<LimitedBody<RB>>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: Request<B>) -> Self::Future {
        let Some(permit) = self.slots.acquire(principal_of(req.extensions())) else {
            let mut r: Response<LimitedBody<RB>> = error(StatusCode::TOO_MANY_REQUESTS, &busy());
            r.headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from_static("1"));
            return Box::pin(std::future::ready(Ok(r)));
        };
        let fut = self.inner.call(req);
        Box::pin(async move {
            let response = fut.await?;
            Ok(response.map(|body| LimitedBody {
                body,
                permit: Some(PermitHandle(permit)),
            }))
        })
    }
}

impl<S> Service<McpRequest> for ConcurrencyLimit<S>
where
    S: Service<McpRequest, Response = McpResponse, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = McpResponse;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<McpResponse, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, req: McpRequest) -> Self::Future {
        let Some(permit) = self.slots.acquire(principal_of(&req.extensions)) else {
            return Box::pin(std::future::ready(Ok(McpResponse::Error(busy()))));
        };
        let fut = self.inner.call(req);
        Box::pin(async move {
            let r = fut.await;
            drop(permit);
            r
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, interval: Duration) -> Limiter {
        Limiter {
            quota: Quota::new(burst, interval),
            tat: Mutex::new(HashMap::new()),
            max_principals: 2,
            counters: Counters::default(),
        }
    }

    #[test]
    fn bursts_then_refuses_then_recovers() {
        let l = limiter(3, Duration::from_millis(100));
        for _ in 0..3 {
            assert!(l.check("a").is_ok());
        }
        let retry = l.check("a").unwrap_err();
        assert!(retry <= Duration::from_millis(100) && retry > Duration::ZERO);
        // Another principal has its own budget.
        assert!(l.check("b").is_ok());
        std::thread::sleep(retry + Duration::from_millis(5));
        assert!(l.check("a").is_ok());
        assert!(l.check("a").is_err());
        let stats = l.counters.stats();
        assert_eq!((stats.allowed, stats.refused), (5, 2));
        assert_eq!(stats.refused_by_principal["a"], 2);
    }

    #[test]
    fn full_budgets_are_forgotten_when_the_table_is_full() {
        let l = limiter(1, Duration::from_millis(1));
        assert!(l.check("a").is_ok());
        assert!(l.check("b").is_ok());
        std::thread::sleep(Duration::from_millis(5));
        assert!(l.check("c").is_ok());
        assert!(l.tat.lock().unwrap().len() <= 2);
    }

    #[test]
    fn slots_are_per_principal_and_freed_on_drop() {
        let layer = ConcurrencyLimitLayer::new(1).total(2);
        let slots = &layer.slots;
        let a = slots.acquire("a".into()).unwrap();
        assert!(slots.acquire("a".into()).is_none());
        let b = slots.acquire("b".into()).unwrap();
        assert!(slots.acquire("c".into()).is_none(), "the total is reached");
        assert_eq!(layer.in_flight(), 2);
        drop(a);
        assert!(slots.acquire("a".into()).is_some());
        drop(b);
        let stats = layer.stats();
        assert_eq!((stats.allowed, stats.refused), (3, 2));
    }

    #[test]
    fn quotas_spread_their_rate() {
        assert_eq!(
            Quota::per_second(4),
            Quota::new(4, Duration::from_millis(250))
        );
        assert_eq!(Quota::per_minute(0).burst, 1);
        assert_eq!(Quota::per_second(10).with_burst(2).burst, 2);
    }
}
