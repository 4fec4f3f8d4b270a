//! A stdio server behind a fixed identity and a rate limit, for the stdio tests of
//! `auth_server.rs`: bursts of 3 requests, then one every 400 ms.
//!
//! Tools: `refusals` (how many requests the limit refused so far), `whoami` (the caller
//! the identity layer attached) and `admin` (needs the `admin` scope, which the caller
//! lacks).

use std::time::Duration;

use mcpwire_auth::{IdentityLayer, Quota, RateLimitLayer};
use mcpwire_core::server::{AuthInfo, RequestContext, Server, ToolDef};
use mcpwire_core::types::Implementation;

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct NoArgs {}

#[tokio::main]
async fn main() -> Result<(), mcpwire_core::Error> {
    let limit = RateLimitLayer::new(Quota::new(3, Duration::from_millis(400)));
    let counts = limit.clone();
    let server = Server::new(Implementation::new("limited-stdio-server", "1.0.0"))
        .tool(
            ToolDef::builder("refusals")
                .description("How many requests the rate limit refused")
                .handler(move |_: NoArgs, _ctx: RequestContext| {
                    let refused = counts.stats().refused;
                    async move { refused.to_string() }
                }),
        )
        .tool(
            ToolDef::builder("whoami")
                .description("The caller")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    ctx.auth()
                        .map(|a| a.subject().to_owned())
                        .unwrap_or_default()
                }),
        )
        .tool(
            ToolDef::builder("admin")
                .description("Needs the admin scope")
                .scopes(["admin"])
                .handler(|_: NoArgs, _ctx: RequestContext| async move { "admin" }),
        );
    let service = tower::ServiceBuilder::new()
        .layer(IdentityLayer::new(
            AuthInfo::new("local-user").with_scopes(["files:read"]),
        ))
        .layer(limit)
        .service(server.clone().into_service());
    server.serve_service(service, mcpwire_stdio::stdio()).await
}
