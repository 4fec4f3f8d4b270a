//! An MCP server protected by OAuth: the notes server ([`notes`]) behind
//! [`AuthLayer`], with per-principal rate and concurrency limits,
//! and (by default) a demo authorization server ([`demo_as`]) to log in to.
//!
//! [`start`] wires it all up; the binary `protected-server` calls it with the command line's
//! choices, and the tests call it on free ports.

pub mod demo_as;
pub mod login;
pub mod notes;

use std::io;
use std::time::Duration;

use mcpwire::auth::{
    ApiKeys, AuthLayer, ConcurrencyLimitLayer, JwtVerifier, ProtectedResourceMetadata, Quota,
    RateLimitLayer,
};
use mcpwire::http::{HttpConfig, HttpServer};

/// Who issues the tokens the server accepts.
#[derive(Clone, Debug)]
pub enum Tokens {
    /// The built-in demo authorization server, listening on this address.
    Demo {
        /// Where it listens, e.g. `127.0.0.1:3001`.
        listen: String,
    },
    /// An external authorization server publishing JWT access tokens.
    External {
        /// Its issuer URL (`iss` of its tokens).
        issuer: String,
        /// Where it publishes its keys.
        jwks_uri: String,
    },
    /// Static API keys from this environment variable (no OAuth).
    ApiKeys {
        /// The variable, e.g. `NOTES_API_KEYS`.
        env: String,
    },
}

/// How to run the server.
#[derive(Clone, Debug)]
pub struct Options {
    /// Where the MCP endpoint listens, e.g. `127.0.0.1:3000`.
    pub listen: String,
    /// Who issues tokens.
    pub tokens: Tokens,
    /// Requests per principal: bursts of this many, refilled at this rate per minute.
    pub per_minute: u32,
    /// Requests in flight per principal.
    pub in_flight: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            listen: "127.0.0.1:3000".into(),
            tokens: Tokens::Demo {
                listen: "127.0.0.1:3001".into(),
            },
            per_minute: 120,
            in_flight: 8,
        }
    }
}

/// The running server.
pub struct Running {
    /// The MCP endpoint (also the resource URI tokens must name).
    pub mcp_url: String,
    /// The authorization server's issuer URL (none with API keys).
    pub issuer: Option<String>,
    /// Where the protected resource metadata is (none with API keys).
    pub metadata_url: Option<String>,
    /// The rate limit, for its counts.
    pub rate: RateLimitLayer,
    /// The concurrency limit, for its counts.
    pub concurrency: ConcurrencyLimitLayer,
    /// The server; ends when the server does.
    pub task: tokio::task::JoinHandle<io::Result<()>>,
}

/// The scope clients get when they ask for none, and what the metadata advertises: enough
/// to read. Writing needs a step-up.
pub const BASIC_SCOPE: &str = "notes:read";

/// Starts the server (and the demo authorization server, if chosen).
pub async fn start(options: Options) -> io::Result<Running> {
    let server = notes::server();
    let all_scopes = server.declared_scopes();
    let http = HttpServer::bind_with(&options.listen, server, HttpConfig::default()).await?;
    let mcp_url = http.url();
    let invalid =
        |e: &dyn std::fmt::Display| io::Error::new(io::ErrorKind::InvalidInput, e.to_string());
    let (auth, issuer) = match options.tokens {
        Tokens::ApiKeys { env } => {
            let keys = ApiKeys::from_env(&env, all_scopes).map_err(|e| invalid(&e))?;
            (AuthLayer::new(keys), None)
        }
        Tokens::Demo { listen } => {
            let listener = tokio::net::TcpListener::bind(&listen).await?;
            let issuer = demo_as::serve(listener, mcp_url.clone(), all_scopes, BASIC_SCOPE).await?;
            (
                jwt_auth(&issuer, &format!("{issuer}/jwks"), &mcp_url).map_err(|e| invalid(&e))?,
                Some(issuer),
            )
        }
        Tokens::External { issuer, jwks_uri } => (
            jwt_auth(&issuer, &jwks_uri, &mcp_url).map_err(|e| invalid(&e))?,
            Some(issuer),
        ),
    };
    let metadata_url = auth.metadata_url().map(str::to_owned);
    let rate = RateLimitLayer::new(Quota::new(
        options.per_minute.max(1),
        Duration::from_secs(60) / options.per_minute.max(1),
    ));
    let concurrency = ConcurrencyLimitLayer::new(options.in_flight).total(256);
    let http = http
        .serve_paths(auth.metadata_paths().to_vec())
        // The limits key on the principal, so they go inside authentication.
        .layer(concurrency.clone())
        .layer(rate.clone())
        .layer(auth);
    Ok(Running {
        mcp_url,
        issuer,
        metadata_url,
        rate,
        concurrency,
        task: tokio::spawn(http.run()),
    })
}

/// Authentication with JWT access tokens of `issuer`, for the resource `resource`.
fn jwt_auth(
    issuer: &str,
    jwks_uri: &str,
    resource: &str,
) -> Result<AuthLayer, mcpwire::auth::ConfigError> {
    let verifier = JwtVerifier::builder()
        .issuer(issuer)
        .jwks_uri(jwks_uri)
        .audience(resource)
        .build()?;
    AuthLayer::new(verifier).with_metadata(
        ProtectedResourceMetadata::new(resource)
            .authorization_server(issuer)
            .scopes([BASIC_SCOPE])
            .name("Notes (mcpwire protected-server example)"),
    )
}
