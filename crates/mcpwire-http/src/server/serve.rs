//! Serving [`McpHttpService`] standalone on a TCP listener (hyper, HTTP/1.1 and HTTP/2).

use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use mcpwire_core::jsonrpc::ErrorObject;
use mcpwire_core::server::{McpRequest, McpResponse, Server};
use tokio::net::{TcpListener, ToSocketAddrs};
use tower::ServiceExt as _;

use super::{HttpConfig, McpHttpService, ResponseBody, error_response};

/// How long a client has to send its request headers.
const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(30);

/// How long open connections get to finish after shutdown is requested.
const DEFAULT_GRACE: Duration = Duration::from_secs(5);

/// A standalone Streamable HTTP server: a TCP listener serving one [`McpHttpService`] at
/// [`HttpConfig::path`] (and the 2024-11-05 paths when enabled).
///
/// ```no_run
/// # async fn run(server: mcpwire_core::server::Server) -> std::io::Result<()> {
/// let http = mcpwire_http::HttpServer::bind("127.0.0.1:3000", server).await?;
/// println!("serving {}", http.url());
/// http.run().await
/// # }
/// ```
///
/// HTTP middleware (authentication, rate limits) wraps the endpoint with
/// [`layer`](HttpServer::layer); paths such a layer answers itself (the OAuth protected
/// resource metadata, say) are routed to it with [`serve_path`](HttpServer::serve_path).
/// Every other path gets 404 without reaching the layers.
pub struct HttpServer<S = mcpwire_core::server::McpService, H = McpHttpService<S>> {
    listener: TcpListener,
    service: McpHttpService<S>,
    http: H,
    extra_paths: Vec<String>,
    grace: Duration,
}

impl<S, H> std::fmt::Debug for HttpServer<S, H> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpServer")
            .field("local_addr", &self.listener.local_addr().ok())
            .field("service", &self.service)
            .field("extra_paths", &self.extra_paths)
            .finish()
    }
}

impl HttpServer {
    /// Binds `addr` and serves `server` with the default settings (loopback clients only;
    /// see [`HttpConfig::origin_policy`] to serve others).
    pub async fn bind(addr: impl ToSocketAddrs, server: Server) -> io::Result<Self> {
        Self::bind_with(addr, server, HttpConfig::default()).await
    }

    /// Binds `addr` and serves `server` with `config`.
    pub async fn bind_with(
        addr: impl ToSocketAddrs,
        server: Server,
        config: HttpConfig,
    ) -> io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        Ok(Self::from_listener(
            listener,
            McpHttpService::with_config(server, config),
        ))
    }
}

impl<S> HttpServer<S>
where
    S: tower::Service<McpRequest, Response = McpResponse, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    /// Serves `service` on an already bound `listener`.
    pub fn from_listener(listener: TcpListener, service: McpHttpService<S>) -> Self {
        HttpServer {
            listener,
            http: service.clone(),
            service,
            extra_paths: Vec::new(),
            grace: DEFAULT_GRACE,
        }
    }
}

impl<S, H> HttpServer<S, H> {
    /// Wraps what answers HTTP requests in `layer` (a `tower::Layer`): the layers apply to
    /// the MCP endpoint and to the paths added with [`serve_path`](Self::serve_path). The
    /// last layer added is the outermost.
    pub fn layer<L: tower::Layer<H>>(self, layer: L) -> HttpServer<S, L::Service> {
        HttpServer {
            listener: self.listener,
            service: self.service,
            http: layer.layer(self.http),
            extra_paths: self.extra_paths,
            grace: self.grace,
        }
    }

    /// Also routes requests for `path` (any method) through the layers, for paths a layer
    /// answers itself, such as `/.well-known/oauth-protected-resource`.
    pub fn serve_path(mut self, path: impl Into<String>) -> Self {
        let path = path.into();
        if !self.extra_paths.contains(&path) {
            self.extra_paths.push(path);
        }
        self
    }

    /// [`serve_path`](Self::serve_path) for each of `paths`.
    pub fn serve_paths(mut self, paths: impl IntoIterator<Item = impl Into<String>>) -> Self {
        for p in paths {
            self = self.serve_path(p);
        }
        self
    }

    /// How long open connections (SSE streams included) get to finish after shutdown is
    /// requested before they are closed (default 5 s).
    pub fn grace_period(mut self, grace: Duration) -> Self {
        self.grace = grace;
        self
    }

    /// The address the server listens on.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The URL of the MCP endpoint, e.g. `http://127.0.0.1:3000/mcp`.
    pub fn url(&self) -> String {
        let addr = self
            .local_addr()
            .map(|a| a.to_string())
            .unwrap_or_else(|_| "127.0.0.1".into());
        format!("http://{addr}{}", self.service.config().path)
    }

    /// The service being served (for its session count, say).
    pub fn service(&self) -> &McpHttpService<S> {
        &self.service
    }
}

impl<S, H, B> HttpServer<S, H>
where
    H: tower::Service<Request<Incoming>, Response = Response<B>, Error = Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    H::Future: Send + 'static,
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<super::BoxError>,
{
    /// Serves until the process ends.
    pub async fn run(self) -> io::Result<()> {
        self.run_until(std::future::pending()).await
    }

    /// Serves until `shutdown` completes, then stops accepting, lets open connections finish
    /// within the grace period and returns.
    pub async fn run_until(self, shutdown: impl Future<Output = ()>) -> io::Result<()> {
        let HttpServer {
            listener,
            service,
            http,
            extra_paths,
            grace,
        } = self;
        let routes = Arc::new(Routes::of(service.config(), extra_paths));
        drop(service);
        let service = http;
        let mut builder = Builder::new(TokioExecutor::new());
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(HEADER_READ_TIMEOUT);
        let graceful = GracefulShutdown::new();
        tokio::pin!(shutdown);
        loop {
            let (stream, _peer) = tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) if is_transient(&e) => {
                        // Out of file descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    Err(e) => return Err(e),
                },
                () = &mut shutdown => break,
            };
            let _ = stream.set_nodelay(true);
            let svc = service.clone();
            let routes = routes.clone();
            let hyper_service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let svc = svc.clone();
                let routes = routes.clone();
                async move {
                    if !routes.serves(&req) {
                        return Ok::<_, Infallible>(not_found().map(UnsyncBoxBody::new));
                    }
                    let response = svc.oneshot(req).await?;
                    Ok(response.map(|b| UnsyncBoxBody::new(b.map_err(Into::into))))
                }
            });
            let conn = builder.serve_connection(TokioIo::new(stream), hyper_service);
            let conn = graceful.watch(conn.into_owned());
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            });
        }
        drop(listener);
        let _ = tokio::time::timeout(grace, graceful.shutdown()).await;
        Ok(())
    }
}

fn is_transient(e: &io::Error) -> bool {
    !matches!(
        e.kind(),
        io::ErrorKind::InvalidInput
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::PermissionDenied
    )
}

/// The paths the standalone server answers.
struct Routes {
    mcp: String,
    sse: Option<(String, String)>,
    extra: Vec<String>,
}

impl Routes {
    fn of(config: &HttpConfig, extra: Vec<String>) -> Self {
        Routes {
            mcp: config.path.clone(),
            sse: config.legacy_sse_paths.clone(),
            extra,
        }
    }

    fn serves<B>(&self, req: &Request<B>) -> bool {
        let path = req.uri().path();
        if path == self.mcp || self.extra.iter().any(|p| p == path) {
            return true;
        }
        match &self.sse {
            Some((stream, messages)) => {
                (path == stream && req.method() == Method::GET)
                    || (path == messages && req.method() == Method::POST)
            }
            None => false,
        }
    }
}

fn not_found() -> Response<ResponseBody> {
    error_response(
        StatusCode::NOT_FOUND,
        None,
        &ErrorObject::invalid_request("Not Found: no MCP endpoint at this path"),
    )
}

/// Serves `server` at `http://{addr}/mcp` with the default settings until the process ends.
pub async fn serve(server: Server, addr: impl ToSocketAddrs) -> io::Result<()> {
    HttpServer::bind(addr, server).await?.run().await
}

/// Serves `server` with `config` until `shutdown` completes.
pub async fn serve_with_shutdown(
    server: Server,
    addr: impl ToSocketAddrs,
    config: HttpConfig,
    shutdown: impl Future<Output = ()>,
) -> io::Result<()> {
    HttpServer::bind_with(addr, server, config)
        .await?
        .run_until(shutdown)
        .await
}
