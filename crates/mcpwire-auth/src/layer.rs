//! The HTTP authentication layer: bearer tokens in, [`AuthInfo`] out; challenges and the
//! protected resource metadata for clients.

use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::header::{ALLOW, AUTHORIZATION, HeaderValue, WWW_AUTHENTICATE};
use http::{Method, Request, Response, StatusCode};
use mcpwire_core::connection::BoxFuture;
use mcpwire_core::jsonrpc::ErrorObject;
use mcpwire_core::server::{AuthInfo, InsufficientScope, Principal};
use tower::{Layer, Service};

use crate::body::{ReplyBody, error, json};
use crate::jwt::ConfigError;
use crate::metadata::ProtectedResourceMetadata;
use crate::verifier::{TokenVerifier, VerifyError};

/// Authenticates every request with a bearer token, for an MCP endpoint served over HTTP
/// ([`McpHttpService`](https://docs.rs/mcpwire-http), directly or mounted in axum).
///
/// * Without a token: `401` with `WWW-Authenticate: Bearer resource_metadata="…",
///   scope="…"`, which starts a client's OAuth flow.
/// * With a token the [`TokenVerifier`] refuses: `401` with `error="invalid_token"` (or
///   `503` when the verifier cannot reach the authorization server).
/// * With a valid token: the request goes on carrying the caller's [`AuthInfo`] and
///   [`Principal`], and without its `Authorization` header (tokens are not passed on).
/// * A `403` from the endpoint for a caller lacking scopes gets this layer's
///   `resource_metadata` added to its `insufficient_scope` challenge.
/// * `GET` on the metadata's well-known paths answers the protected resource metadata
///   (RFC 9728), without authentication.
///
/// ```no_run
/// # async fn run(server: mcpwire_core::server::Server) -> Result<(), Box<dyn std::error::Error>> {
/// use mcpwire_auth::{AuthLayer, JwtVerifier, ProtectedResourceMetadata};
///
/// let http = mcpwire_http::HttpServer::bind("127.0.0.1:3000", server).await?;
/// let resource = http.url();
/// let verifier = JwtVerifier::builder()
///     .issuer("https://auth.example.com")
///     .jwks_uri("https://auth.example.com/jwks.json")
///     .audience(&resource)
///     .build()?;
/// let auth = AuthLayer::new(verifier).with_metadata(
///     ProtectedResourceMetadata::new(&resource).authorization_server("https://auth.example.com"),
/// )?;
/// http.serve_paths(auth.metadata_paths().to_vec()).layer(auth).run().await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct AuthLayer {
    shared: Arc<Shared>,
}

#[derive(Clone)]
struct Shared {
    verifier: Arc<dyn TokenVerifier>,
    metadata: Option<Bytes>,
    metadata_url: Option<String>,
    paths: Vec<String>,
    required: Vec<String>,
    challenge_scope: Option<String>,
}

impl std::fmt::Debug for AuthLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthLayer")
            .field("metadata_url", &self.shared.metadata_url)
            .field("required_scopes", &self.shared.required)
            .finish_non_exhaustive()
    }
}

impl AuthLayer {
    /// Authenticates with `verifier`. Without [`with_metadata`](Self::with_metadata), the
    /// challenges name no metadata (enough for API keys).
    pub fn new(verifier: impl TokenVerifier) -> Self {
        AuthLayer {
            shared: Arc::new(Shared {
                verifier: Arc::new(verifier),
                metadata: None,
                metadata_url: None,
                paths: Vec::new(),
                required: Vec::new(),
                challenge_scope: None,
            }),
        }
    }

    /// Serves `metadata` at its well-known paths and names it in every challenge. Its
    /// `scopes_supported` becomes the `scope` of the `401` challenge unless
    /// [`require_scopes`](Self::require_scopes) says otherwise.
    pub fn with_metadata(self, metadata: ProtectedResourceMetadata) -> Result<Self, ConfigError> {
        metadata.validate()?;
        let paths = metadata.well_known_paths()?;
        let url = metadata.metadata_url()?;
        let body = serde_json::to_vec(&metadata)
            .map_err(|e| ConfigError::Invalid(format!("the metadata does not serialise: {e}")))?;
        let mut layer = self;
        let shared = Arc::make_mut(&mut layer.shared);
        if shared.required.is_empty() {
            shared.challenge_scope = metadata
                .scopes_supported
                .as_ref()
                .filter(|s| !s.is_empty())
                .map(|s| s.join(" "));
        }
        shared.metadata = Some(Bytes::from(body));
        shared.metadata_url = Some(url);
        shared.paths = paths;
        Ok(layer)
    }

    /// Requires every request to carry all of `scopes` (refused with `403` otherwise); they
    /// are the `scope` of the `401` challenge. Scopes of single tools, resources and prompts
    /// are declared where those are defined instead.
    pub fn require_scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let shared = Arc::make_mut(&mut self.shared);
        shared.required = scopes.into_iter().map(Into::into).collect();
        shared.challenge_scope = (!shared.required.is_empty()).then(|| shared.required.join(" "));
        self
    }

    /// The paths this layer answers with the metadata (route them to it when serving
    /// standalone: [`HttpServer::serve_paths`](https://docs.rs/mcpwire-http)).
    pub fn metadata_paths(&self) -> &[String] {
        &self.shared.paths
    }

    /// The URL of the metadata document, as named in challenges.
    pub fn metadata_url(&self) -> Option<&str> {
        self.shared.metadata_url.as_deref()
    }
}

impl<S> Layer<S> for AuthLayer {
    type Service = Auth<S>;
    fn layer(&self, inner: S) -> Auth<S> {
        Auth {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service of [`AuthLayer`].
#[derive(Clone)]
pub struct Auth<S> {
    inner: S,
    shared: Arc<Shared>,
}

impl<S> std::fmt::Debug for Auth<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Auth").finish_non_exhaustive()
    }
}

/// Escapes a challenge parameter value (a quoted-string).
fn quoted(value: &str) -> String {
    value.replace('\\', "\\\\").replace('"', "\\\"")
}

impl Shared {
    /// A `Bearer` challenge with the given parameters (each `(name, value)`), plus the
    /// metadata URL.
    fn challenge(&self, params: &[(&str, &str)]) -> HeaderValue {
        let mut parts: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", quoted(v)))
            .collect();
        if let Some(url) = &self.metadata_url {
            parts.push(format!("resource_metadata=\"{}\"", quoted(url)));
        }
        let text = if parts.is_empty() {
            "Bearer".to_owned()
        } else {
            format!("Bearer {}", parts.join(", "))
        };
        HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static("Bearer"))
    }

    fn unauthorized<B: ReplyBody>(&self, refusal: Option<&VerifyError>) -> Response<B> {
        let scope = self.challenge_scope.as_deref();
        let (message, header) = match refusal {
            None => {
                let params: Vec<(&str, &str)> = scope.map(|s| ("scope", s)).into_iter().collect();
                (
                    "Unauthorized: this server needs a bearer token".to_owned(),
                    self.challenge(&params),
                )
            }
            Some(e) => {
                let description = e.to_string();
                let mut params = vec![
                    ("error", "invalid_token"),
                    ("error_description", description.as_str()),
                ];
                if let Some(s) = scope {
                    params.push(("scope", s));
                }
                (
                    format!("Unauthorized: {description}"),
                    self.challenge(&params),
                )
            }
        };
        let mut r = error(
            StatusCode::UNAUTHORIZED,
            &ErrorObject::invalid_request(message),
        );
        r.headers_mut().insert(WWW_AUTHENTICATE, header);
        r
    }

    fn insufficient<B: ReplyBody>(&self, denied: &InsufficientScope) -> Response<B> {
        let mut r = error(StatusCode::FORBIDDEN, &denied.to_error_object());
        self.add_scope_challenge(r.headers_mut(), denied);
        r
    }

    fn add_scope_challenge(&self, headers: &mut http::HeaderMap, denied: &InsufficientScope) {
        let scope = denied.scope_param();
        headers.insert(
            WWW_AUTHENTICATE,
            self.challenge(&[
                ("error", "insufficient_scope"),
                ("scope", &scope),
                (
                    "error_description",
                    "the token lacks a scope this request needs",
                ),
            ]),
        );
    }

    fn metadata<B: ReplyBody>(&self, method: &Method) -> Response<B> {
        let Some(doc) = &self.metadata else {
            return error(
                StatusCode::NOT_FOUND,
                &ErrorObject::invalid_request("Not Found"),
            );
        };
        let mut r = match *method {
            Method::GET | Method::HEAD => json(StatusCode::OK, doc.clone()),
            Method::OPTIONS => {
                let mut r = json(StatusCode::NO_CONTENT, Bytes::new());
                r.headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("GET, HEAD, OPTIONS"));
                r
            }
            _ => {
                let mut r = error(
                    StatusCode::METHOD_NOT_ALLOWED,
                    &ErrorObject::invalid_request("Method Not Allowed: GET the metadata"),
                );
                r.headers_mut()
                    .insert(ALLOW, HeaderValue::from_static("GET, HEAD, OPTIONS"));
                return r;
            }
        };
        // Public metadata: browser-based clients must be able to read it.
        r.headers_mut().insert(
            http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        r.headers_mut().insert(
            http::header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=300"),
        );
        r
    }
}

/// What the `Authorization` header holds.
enum Credentials<'a> {
    None,
    Bearer(&'a str),
    Malformed(&'static str),
}

fn credentials(headers: &http::HeaderMap) -> Credentials<'_> {
    let mut values = headers.get_all(AUTHORIZATION).iter();
    let Some(value) = values.next() else {
        return Credentials::None;
    };
    if values.next().is_some() {
        return Credentials::Malformed("send one Authorization header");
    }
    let Ok(text) = value.to_str() else {
        return Credentials::Malformed("the Authorization header is not ASCII");
    };
    let text = text.trim();
    let (scheme, token) = text.split_once(' ').unwrap_or((text, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        // Another scheme: this server knows none but Bearer.
        return Credentials::None;
    }
    let token = token.trim();
    // RFC 6750 §2.1: b64token.
    let b64token = !token.is_empty()
        && token.trim_end_matches('=').bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/')
        });
    if !b64token {
        return Credentials::Malformed("the bearer token is malformed");
    }
    Credentials::Bearer(token)
}

impl<S, B, RB> Service<Request<B>> for Auth<S>
where
    S: Service<Request<B>, Response = Response<RB>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
    B: Send + 'static,
    RB: ReplyBody + Send + 'static,
{
    type Response = Response<RB>;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Response<RB>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        let shared = self.shared.clone();
        if shared.paths.iter().any(|p| p == req.uri().path()) {
            let r = shared.metadata(req.method());
            return Box::pin(std::future::ready(Ok(r)));
        }
        // Take the service that was polled ready; leave a clone for the next call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let token = match credentials(req.headers()) {
            Credentials::None => {
                return Box::pin(std::future::ready(Ok(shared.unauthorized(None))));
            }
            Credentials::Malformed(why) => {
                let e = VerifyError::Invalid(why.to_owned());
                return Box::pin(std::future::ready(Ok(shared.unauthorized(Some(&e)))));
            }
            Credentials::Bearer(t) => t.to_owned(),
        };
        Box::pin(async move {
            let auth = match shared.verifier.verify(&token).await {
                Ok(a) => a,
                Err(e) if e.is_unavailable() => {
                    tracing::warn!(error = %e, "cannot verify tokens");
                    return Ok(error(
                        StatusCode::SERVICE_UNAVAILABLE,
                        &ErrorObject::internal(
                            "Service Unavailable: the token cannot be checked now; retry later",
                        ),
                    ));
                }
                Err(e) => {
                    tracing::debug!(error = %e, "refused a token");
                    return Ok(shared.unauthorized(Some(&e)));
                }
            };
            drop(token);
            let missing = shared.required.iter().any(|s| !auth.has_scope(s));
            if missing {
                return Ok(
                    shared.insufficient(&InsufficientScope::new(shared.required.clone(), true))
                );
            }
            // The token stops here: nothing behind this layer can pass it on.
            req.headers_mut().remove(AUTHORIZATION);
            req.extensions_mut()
                .insert(Principal(auth.subject().to_owned()));
            req.extensions_mut().insert(auth);
            let mut response = inner.call(req).await?;
            if response.status() == StatusCode::FORBIDDEN
                && let Some(denied) = response.extensions().get::<InsufficientScope>().cloned()
            {
                shared.add_scope_challenge(response.headers_mut(), &denied);
            }
            Ok(response)
        })
    }
}

/// Attaches a fixed caller to every request: for stdio, where the spec asks servers to take
/// credentials from the environment rather than from each request, and for tests.
///
/// Works on the dispatcher (`tower::Service<McpRequest>`), for example around
/// [`Server::into_service`](mcpwire_core::server::Server::into_service) given to
/// [`Server::serve_service`](mcpwire_core::server::Server::serve_service).
#[derive(Clone, Debug)]
pub struct IdentityLayer {
    auth: AuthInfo,
}

impl IdentityLayer {
    /// Every request is made by `auth`.
    pub fn new(auth: AuthInfo) -> Self {
        IdentityLayer { auth }
    }
}

impl<S> Layer<S> for IdentityLayer {
    type Service = Identity<S>;
    fn layer(&self, inner: S) -> Identity<S> {
        Identity {
            inner,
            auth: self.auth.clone(),
        }
    }
}

/// The service of [`IdentityLayer`].
#[derive(Clone, Debug)]
pub struct Identity<S> {
    inner: S,
    auth: AuthInfo,
}

impl<S> Service<mcpwire_core::server::McpRequest> for Identity<S>
where
    S: Service<mcpwire_core::server::McpRequest>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: mcpwire_core::server::McpRequest) -> S::Future {
        req.extensions
            .insert(Principal(self.auth.subject().to_owned()));
        req.extensions.insert(self.auth.clone());
        self.inner.call(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> http::HeaderMap {
        let mut h = http::HeaderMap::new();
        for v in values {
            h.append(AUTHORIZATION, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn authorization_headers_are_read_strictly() {
        assert!(matches!(credentials(&headers(&[])), Credentials::None));
        assert!(matches!(
            credentials(&headers(&["Basic dXNlcjpwYXNz"])),
            Credentials::None
        ));
        assert!(matches!(
            credentials(&headers(&["bearer abc.DEF-_~+/=="])),
            Credentials::Bearer("abc.DEF-_~+/==")
        ));
        assert!(matches!(
            credentials(&headers(&["Bearer "])),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(&headers(&["Bearer a b"])),
            Credentials::Malformed(_)
        ));
        assert!(matches!(
            credentials(&headers(&["Bearer a", "Bearer b"])),
            Credentials::Malformed(_)
        ));
    }

    #[derive(Clone)]
    struct Ok200;
    impl Service<Request<()>> for Ok200 {
        type Response = Response<http_body_util::Full<Bytes>>;
        type Error = std::convert::Infallible;
        type Future = std::future::Ready<Result<Self::Response, Self::Error>>;
        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
            Poll::Ready(Ok(()))
        }
        fn call(&mut self, _: Request<()>) -> Self::Future {
            std::future::ready(Ok(Response::new(http_body_util::Full::new(Bytes::new()))))
        }
    }

    #[tokio::test]
    async fn scopes_required_of_every_request_are_challenged() {
        let keys = crate::ApiKeys::new()
            .key(
                "0123456789abcdef-a",
                AuthInfo::new("a").with_scopes(["read"]),
            )
            .unwrap()
            .key(
                "0123456789abcdef-b",
                AuthInfo::new("b").with_scopes(["read", "use"]),
            )
            .unwrap();
        let layer = AuthLayer::new(keys).require_scopes(["read", "use"]);
        let mut svc = layer.layer(Ok200);
        let req = |token: Option<&str>| {
            let mut b = Request::post("/mcp");
            if let Some(t) = token {
                b = b.header(AUTHORIZATION, format!("Bearer {t}"));
            }
            b.body(()).unwrap()
        };
        let r = svc.call(req(None)).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.headers()[WWW_AUTHENTICATE], r#"Bearer scope="read use""#);
        let r = svc.call(req(Some("0123456789abcdef-a"))).await.unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
        assert!(
            r.headers()[WWW_AUTHENTICATE]
                .to_str()
                .unwrap()
                .starts_with(r#"Bearer error="insufficient_scope", scope="read use""#)
        );
        let r = svc.call(req(Some("0123456789abcdef-b"))).await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }

    #[test]
    fn challenges_quote_their_values() {
        let layer = AuthLayer::new(crate::ApiKeys::new());
        let h = layer
            .shared
            .challenge(&[("error_description", "a \"quoted\" word")]);
        assert_eq!(
            h.to_str().unwrap(),
            r#"Bearer error_description="a \"quoted\" word""#
        );
        assert_eq!(layer.shared.challenge(&[]).to_str().unwrap(), "Bearer");
    }
}
