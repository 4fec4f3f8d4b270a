//! An axum application with an MCP endpoint beside its other routes.
//!
//! `McpHttpService` is a plain `tower::Service<http::Request<B>>`, so it mounts with
//! `route_service` like any other service; the rest of the application is unchanged.

use axum::Router;
use axum::routing::get;
use mcpwire::http::{HttpConfig, McpHttpService};

/// The application: a home page, a health check and the calculator's MCP endpoint.
pub fn app() -> Router {
    let mcp = McpHttpService::with_config(calculator::server(), HttpConfig::default());
    Router::new()
        .route("/", get(|| async { "The calculator, over MCP at /mcp" }))
        .route("/health", get(|| async { "ok" }))
        .route_service("/mcp", mcp)
}
