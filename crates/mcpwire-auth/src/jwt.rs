//! Signed JWT access tokens, checked against the authorization server's JWKS.

use std::collections::HashSet;
use std::str::FromStr as _;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use mcpwire_core::connection::BoxFuture;
use mcpwire_core::server::AuthInfo;
use mcpwire_core::types::JsonObject;
use serde_json::Value;

use crate::fetch::{FetchError, HttpFetcher, HyperFetcher};
use crate::verifier::{TokenVerifier, VerifyError};

/// The algorithms allowed unless configured otherwise: every asymmetric one. Shared-secret
/// (`HS*`) algorithms have no place in a JWKS and are never allowed by default.
const DEFAULT_ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Verifies JWT access tokens (RFC 9068 and the common variants) against the keys the
/// authorization server publishes.
///
/// Checks the signature with a key of the JWKS (matched by `kid`, and by `alg` when the key
/// names one), the algorithm against an allow-list, `iss` against the issuer, `aud` against
/// this server's resource URI (RFC 8707; scheme and host compared without case, a trailing
/// slash ignored), `exp` and `nbf` (with a leeway for clock skew).
///
/// The JWKS is fetched on first use and cached. A token signed with a key the cache does
/// not know triggers a refetch (the authorization server rotated its keys), at most once
/// per [`min_refresh`](JwtVerifierBuilder::min_refresh) so that tokens with made-up key
/// ids cannot make the server hammer the JWKS endpoint. When a refetch fails, the keys
/// already known keep working.
///
/// ```no_run
/// use mcpwire_auth::JwtVerifier;
///
/// let verifier = JwtVerifier::builder()
///     .issuer("https://auth.example.com")
///     .jwks_uri("https://auth.example.com/.well-known/jwks.json")
///     .audience("https://mcp.example.com/mcp")
///     .build()?;
/// # Ok::<(), mcpwire_auth::ConfigError>(())
/// ```
pub struct JwtVerifier {
    config: Config,
    keys: RwLock<Arc<KeySet>>,
    /// Held while fetching, so that concurrent misses wait for one fetch.
    refresh: tokio::sync::Mutex<()>,
}

struct Config {
    issuer: String,
    audiences: Vec<String>,
    source: Source,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    cache_ttl: Duration,
    min_refresh: Duration,
    fetcher: Arc<dyn HttpFetcher>,
}

enum Source {
    Uri(http::Uri),
    Fixed,
}

/// The keys known, and when they were fetched.
struct KeySet {
    keys: Vec<Key>,
    fetched: Option<Instant>,
}

struct Key {
    kid: Option<String>,
    alg: Option<Algorithm>,
    key: DecodingKey,
}

impl std::fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.config.issuer)
            .field("audiences", &self.config.audiences)
            .field("algorithms", &self.config.algorithms)
            .finish_non_exhaustive()
    }
}

/// A configuration the verifiers cannot work with.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A required setting is missing.
    #[error("missing setting: {0}")]
    Missing(&'static str),
    /// A URL does not parse or is not absolute.
    #[error("invalid URL `{url}`: {reason}")]
    Url {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// Some other setting is invalid.
    #[error("{0}")]
    Invalid(String),
}

/// Builds a [`JwtVerifier`].
#[derive(Default)]
pub struct JwtVerifierBuilder {
    issuer: Option<String>,
    audiences: Vec<String>,
    jwks_uri: Option<String>,
    jwks: Option<Value>,
    algorithms: Option<Vec<Algorithm>>,
    leeway: Option<Duration>,
    cache_ttl: Option<Duration>,
    min_refresh: Option<Duration>,
    fetcher: Option<Arc<dyn HttpFetcher>>,
}

impl std::fmt::Debug for JwtVerifierBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JwtVerifierBuilder")
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("jwks_uri", &self.jwks_uri)
            .finish_non_exhaustive()
    }
}

impl JwtVerifierBuilder {
    /// The issuer tokens must name in `iss` (compared exactly). Required.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// A resource URI tokens must name in `aud`: this server's canonical URI. Required;
    /// call again to accept several.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(audience.into());
        self
    }

    /// Where the authorization server publishes its keys.
    pub fn jwks_uri(mut self, uri: impl Into<String>) -> Self {
        self.jwks_uri = Some(uri.into());
        self
    }

    /// Uses these keys (a JWKS document) instead of fetching them.
    pub fn jwks(mut self, jwks: Value) -> Self {
        self.jwks = Some(jwks);
        self
    }

    /// The signing algorithms accepted (default: every asymmetric algorithm; never `HS*`
    /// unless listed here).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// The clock skew tolerated on `exp` and `nbf` (default 60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = Some(leeway);
        self
    }

    /// How long fetched keys are used before they are fetched again (default 10 minutes).
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = Some(ttl);
        self
    }

    /// The shortest time between two fetches, however many unknown keys arrive (default
    /// 30 s).
    pub fn min_refresh(mut self, interval: Duration) -> Self {
        self.min_refresh = Some(interval);
        self
    }

    /// Fetches the JWKS with `fetcher` (default: [`HyperFetcher`]).
    pub fn fetcher(mut self, fetcher: impl HttpFetcher) -> Self {
        self.fetcher = Some(Arc::new(fetcher));
        self
    }

    /// The verifier, or what is missing.
    pub fn build(self) -> Result<JwtVerifier, ConfigError> {
        // One provider for the process: enabling a second jsonwebtoken backend elsewhere
        // must not make verification panic.
        let _ = jsonwebtoken::crypto::CryptoProvider::install_default(
            &jsonwebtoken::crypto::rust_crypto::DEFAULT_PROVIDER,
        );
        let issuer = self.issuer.ok_or(ConfigError::Missing("issuer"))?;
        if self.audiences.is_empty() {
            return Err(ConfigError::Missing(
                "audience (this server's resource URI)",
            ));
        }
        let algorithms = self
            .algorithms
            .unwrap_or_else(|| DEFAULT_ALGORITHMS.to_vec());
        if algorithms.is_empty() {
            return Err(ConfigError::Invalid("allow at least one algorithm".into()));
        }
        let (source, keys) = match (self.jwks_uri, self.jwks) {
            (_, Some(doc)) => (Source::Fixed, parse_jwks(&doc)),
            (Some(uri), None) => (Source::Uri(absolute_url(&uri)?), Vec::new()),
            (None, None) => return Err(ConfigError::Missing("jwks_uri or jwks")),
        };
        Ok(JwtVerifier {
            config: Config {
                issuer,
                audiences: self.audiences.iter().map(|a| canonical(a)).collect(),
                source,
                algorithms,
                leeway: self.leeway.unwrap_or(Duration::from_secs(60)),
                cache_ttl: self.cache_ttl.unwrap_or(Duration::from_secs(600)),
                min_refresh: self.min_refresh.unwrap_or(Duration::from_secs(30)),
                fetcher: self
                    .fetcher
                    .unwrap_or_else(|| Arc::new(HyperFetcher::new())),
            },
            keys: RwLock::new(Arc::new(KeySet {
                keys,
                fetched: None,
            })),
            refresh: tokio::sync::Mutex::new(()),
        })
    }
}

/// Parses `url` as an absolute `http`/`https` URL.
pub(crate) fn absolute_url(url: &str) -> Result<http::Uri, ConfigError> {
    let bad = |reason| ConfigError::Url {
        url: url.to_owned(),
        reason,
    };
    let uri: http::Uri = url.parse().map_err(|_| bad("it does not parse"))?;
    match uri.scheme_str() {
        Some("http" | "https") => {}
        _ => return Err(bad("use an absolute http:// or https:// URL")),
    }
    if uri.authority().is_none() {
        return Err(bad("it names no host"));
    }
    Ok(uri)
}

/// A resource URI for comparison: scheme and host lower-cased, one trailing `/` dropped.
pub(crate) fn canonical(uri: &str) -> String {
    let uri = uri.trim();
    let (head, rest) = match uri.find("://") {
        Some(i) => {
            let after = &uri[i + 3..];
            let end = after.find('/').map_or(uri.len(), |j| i + 3 + j);
            (&uri[..end], &uri[end..])
        }
        None => ("", uri),
    };
    let mut out = head.to_ascii_lowercase();
    out.push_str(rest.strip_suffix('/').unwrap_or(rest));
    out
}

/// The usable signing keys of a JWKS document; keys that do not parse, are meant for
/// encryption, or use an unknown algorithm are skipped (one odd key must not disable the
/// others).
fn parse_jwks(doc: &Value) -> Vec<Key> {
    let Some(keys) = doc.get("keys").and_then(Value::as_array) else {
        return Vec::new();
    };
    keys.iter()
        .filter_map(|k| {
            let jwk: Jwk = serde_json::from_value(k.clone()).ok()?;
            if matches!(
                jwk.common.public_key_use,
                Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
            ) {
                return None;
            }
            let alg = match &jwk.common.key_algorithm {
                Some(a) => Some(Algorithm::from_str(&a.to_string()).ok()?),
                None => None,
            };
            let key = DecodingKey::from_jwk(&jwk).ok()?;
            Some(Key {
                kid: jwk.common.key_id.clone(),
                alg,
                key,
            })
        })
        .collect()
}

impl JwtVerifier {
    /// Starts configuring a verifier.
    pub fn builder() -> JwtVerifierBuilder {
        JwtVerifierBuilder::default()
    }

    /// How many keys are known now.
    pub fn key_count(&self) -> usize {
        self.keys.read().unwrap().keys.len()
    }

    fn snapshot(&self) -> Arc<KeySet> {
        self.keys.read().unwrap().clone()
    }

    /// Fetches the JWKS again unless it was fetched less than `min_refresh` ago (by this
    /// call or a concurrent one); returns the keys to use.
    async fn refresh(&self, seen: &Arc<KeySet>) -> Result<Arc<KeySet>, FetchError> {
        let Source::Uri(uri) = &self.config.source else {
            return Ok(self.snapshot());
        };
        let _guard = self.refresh.lock().await;
        let current = self.snapshot();
        if !Arc::ptr_eq(&current, seen) {
            // Someone else fetched while we waited.
            return Ok(current);
        }
        if current
            .fetched
            .is_some_and(|at| at.elapsed() < self.config.min_refresh)
        {
            return Ok(current);
        }
        let request = http::Request::get(uri.clone())
            .header(http::header::ACCEPT, "application/json")
            .body(Bytes::new())
            .map_err(|e| FetchError::Http {
                url: uri.to_string(),
                source: Box::new(e),
            })?;
        let response = self.config.fetcher.fetch(request).await?;
        if !response.status().is_success() {
            return Err(FetchError::Status {
                url: uri.to_string(),
                status: response.status(),
            });
        }
        let doc: Value =
            serde_json::from_slice(response.body()).map_err(|e| FetchError::Document {
                url: uri.to_string(),
                reason: e.to_string(),
            })?;
        let keys = parse_jwks(&doc);
        if keys.is_empty() {
            return Err(FetchError::Document {
                url: uri.to_string(),
                reason: "it holds no usable signing key".into(),
            });
        }
        tracing::debug!(url = %uri, keys = keys.len(), "fetched the JWKS");
        let next = Arc::new(KeySet {
            keys,
            fetched: Some(Instant::now()),
        });
        *self.keys.write().unwrap() = next.clone();
        Ok(next)
    }

    fn validation(&self, alg: Algorithm) -> Validation {
        let mut v = Validation::new(alg);
        v.leeway = self.config.leeway.as_secs();
        v.validate_nbf = true;
        // The audience is compared below, canonically (RFC 8707).
        v.validate_aud = false;
        v.set_issuer(&[&self.config.issuer]);
        v.set_required_spec_claims(&["exp", "iss", "aud"]);
        v
    }

    fn check(&self, token: &str, keys: &KeySet, header: &jsonwebtoken::Header) -> Checked {
        let candidates = keys.keys.iter().filter(|k| {
            (header.kid.is_none() || k.kid == header.kid)
                && k.alg.is_none_or(|a| a == header.alg)
                && k.key.family() == header.alg.family()
        });
        let validation = self.validation(header.alg);
        let mut last = None;
        for key in candidates {
            match jsonwebtoken::decode::<JsonObject>(token, &key.key, &validation) {
                Ok(data) => return Checked::Valid(data.claims),
                // Another key (without a `kid`) may still match.
                Err(e) if matches!(e.kind(), ErrorKind::InvalidSignature) => {
                    last = Some(VerifyError::Invalid("the signature does not verify".into()))
                }
                Err(e) => return Checked::Refused(refusal(e.kind())),
            }
        }
        match last {
            Some(e) => Checked::Refused(e),
            None => Checked::NoKey,
        }
    }

    fn to_auth(&self, claims: JsonObject) -> Result<AuthInfo, VerifyError> {
        auth_for_audiences(claims, &self.config.audiences)
    }
}

enum Checked {
    Valid(JsonObject),
    Refused(VerifyError),
    NoKey,
}

fn refusal(kind: &ErrorKind) -> VerifyError {
    match kind {
        ErrorKind::ExpiredSignature => VerifyError::Expired,
        ErrorKind::ImmatureSignature => VerifyError::NotYetValid,
        ErrorKind::InvalidIssuer => VerifyError::WrongIssuer,
        ErrorKind::InvalidAudience => VerifyError::WrongAudience,
        ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => VerifyError::Algorithm,
        ErrorKind::MissingRequiredClaim(c) => {
            VerifyError::Invalid(format!("the token has no `{c}` claim"))
        }
        ErrorKind::InvalidClaimFormat(c) => {
            VerifyError::Invalid(format!("the token's `{c}` claim is malformed"))
        }
        ErrorKind::InvalidSignature => VerifyError::Invalid("the signature does not verify".into()),
        _ => VerifyError::Invalid("the token is malformed".into()),
    }
}

/// The caller described by access-token claims whose `aud` (a string or an array) names one
/// of `accepted` (canonical resource URIs); [`VerifyError::WrongAudience`] otherwise. Used for
/// JWTs and introspection answers alike.
pub(crate) fn auth_for_audiences(
    claims: JsonObject,
    accepted: &[String],
) -> Result<AuthInfo, VerifyError> {
    let audiences: Vec<String> = match claims.get("aud") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    if !audiences.iter().any(|a| accepted.contains(&canonical(a))) {
        return Err(VerifyError::WrongAudience);
    }
    auth_from_claims(claims, audiences)
}

/// The caller described by access-token claims (`sub`, `client_id`/`azp`, `scope`/`scp`,
/// `iss`, `exp`), used for JWTs and introspection answers alike.
fn auth_from_claims(claims: JsonObject, audiences: Vec<String>) -> Result<AuthInfo, VerifyError> {
    let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
    let client_id = text("client_id").or_else(|| text("azp"));
    let subject = text("sub")
        .or_else(|| client_id.clone())
        .ok_or_else(|| VerifyError::Invalid("the token names no subject".into()))?;
    let mut scopes: HashSet<String> = HashSet::new();
    for name in ["scope", "scp"] {
        match claims.get(name) {
            Some(Value::String(s)) => scopes.extend(s.split_whitespace().map(str::to_owned)),
            Some(Value::Array(a)) => {
                scopes.extend(a.iter().filter_map(|v| v.as_str().map(str::to_owned)))
            }
            _ => {}
        }
    }
    let mut info = AuthInfo::new(subject)
        .with_scopes(scopes)
        .with_audience(audiences);
    if let Some(c) = client_id {
        info = info.with_client_id(c);
    }
    if let Some(iss) = text("iss") {
        info = info.with_issuer(iss);
    }
    if let Some(exp) = claims.get("exp").and_then(Value::as_u64) {
        info = info.with_expires_at(UNIX_EPOCH + Duration::from_secs(exp));
    }
    Ok(info.with_claims(claims))
}

/// Seconds since the epoch.
pub(crate) fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl TokenVerifier for JwtVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthInfo, VerifyError>> {
        Box::pin(async move {
            let header = jsonwebtoken::decode_header(token)
                .map_err(|_| VerifyError::Invalid("the token is not a JWT".into()))?;
            // Refuse before any fetch: an attacker's choice of algorithm costs nothing.
            if !self.config.algorithms.contains(&header.alg) {
                return Err(VerifyError::Algorithm);
            }
            let mut keys = self.snapshot();
            let stale = keys
                .fetched
                .is_none_or(|at| at.elapsed() >= self.config.cache_ttl);
            if stale && matches!(self.config.source, Source::Uri(_)) {
                match self.refresh(&keys).await {
                    Ok(k) => keys = k,
                    // Keep serving with the keys known, if any.
                    Err(e) if !keys.keys.is_empty() => {
                        tracing::warn!(error = %e, "could not refresh the JWKS; using the cached keys");
                    }
                    Err(e) => return Err(VerifyError::Unavailable(e)),
                }
            }
            let claims = match self.check(token, &keys, &header) {
                Checked::Valid(c) => c,
                Checked::Refused(e) => return Err(e),
                Checked::NoKey => {
                    // A key we do not know: the server may have rotated its keys.
                    let fresh = self
                        .refresh(&keys)
                        .await
                        .map_err(VerifyError::Unavailable)?;
                    match self.check(token, &fresh, &header) {
                        Checked::Valid(c) => c,
                        Checked::Refused(e) => return Err(e),
                        Checked::NoKey => {
                            return Err(VerifyError::Invalid(
                                "no key of the authorization server matches the token".into(),
                            ));
                        }
                    }
                }
            };
            self.to_auth(claims)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resource_uris_compare_canonically() {
        assert_eq!(
            canonical("HTTPS://MCP.Example.com/mcp"),
            "https://mcp.example.com/mcp"
        );
        assert_eq!(
            canonical("https://mcp.example.com/"),
            "https://mcp.example.com"
        );
        assert_eq!(
            canonical("https://mcp.example.com/Path/"),
            "https://mcp.example.com/Path"
        );
        assert_ne!(
            canonical("https://a.example/mcp"),
            canonical("https://a.example/other")
        );
    }

    #[test]
    fn builder_refuses_incomplete_configurations() {
        let missing_aud = JwtVerifier::builder()
            .issuer("https://as")
            .jwks_uri("https://as/jwks")
            .build();
        assert!(matches!(missing_aud, Err(ConfigError::Missing(_))));
        let bad_url = JwtVerifier::builder()
            .issuer("https://as")
            .audience("https://rs")
            .jwks_uri("not a url")
            .build();
        assert!(matches!(bad_url, Err(ConfigError::Url { .. })));
        let no_algs = JwtVerifier::builder()
            .issuer("https://as")
            .audience("https://rs")
            .jwks(serde_json::json!({"keys": []}))
            .algorithms([])
            .build();
        assert!(matches!(no_algs, Err(ConfigError::Invalid(_))));
    }

    #[test]
    fn odd_keys_are_skipped() {
        let doc = serde_json::json!({"keys": [
            {"kty": "EC", "crv": "P-256", "x": "bad", "y": "bad", "kid": "broken"},
            {"kty": "oct", "k": "c2VjcmV0", "use": "enc", "kid": "enc"},
            {"kty": "weird"},
            {"kty": "oct", "k": "c2VjcmV0", "alg": "HS256", "kid": "ok"}
        ]});
        let keys = parse_jwks(&doc);
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid.as_deref(), Some("ok"));
        assert!(parse_jwks(&serde_json::json!({"nokeys": 1})).is_empty());
    }

    #[test]
    fn claims_give_the_caller() {
        let claims: JsonObject = serde_json::from_value(serde_json::json!({
            "sub": "alice", "azp": "app", "scope": "a b", "scp": ["c"], "iss": "https://as", "exp": 2_000_000_000u64
        }))
        .unwrap();
        let info = auth_from_claims(claims, vec!["https://rs".into()]).unwrap();
        assert_eq!(info.subject(), "alice");
        assert_eq!(info.client_id(), Some("app"));
        assert_eq!(info.scopes(), ["a", "b", "c"]);
        assert_eq!(info.issuer(), Some("https://as"));
        assert!(info.expires_at().is_some());
        let nobody: JsonObject = serde_json::from_value(serde_json::json!({"scope": "a"})).unwrap();
        assert!(matches!(
            auth_from_claims(nobody, Vec::new()),
            Err(VerifyError::Invalid(_))
        ));
    }
}
