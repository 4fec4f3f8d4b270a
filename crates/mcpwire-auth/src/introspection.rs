//! Opaque tokens, checked by asking the authorization server (RFC 7662).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use base64::Engine as _;
use bytes::Bytes;
use mcpwire_core::connection::BoxFuture;
use mcpwire_core::server::AuthInfo;
use mcpwire_core::types::JsonObject;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use crate::fetch::{FetchError, HttpFetcher, HyperFetcher};
use crate::jwt::{ConfigError, absolute_url, auth_for_audiences, canonical, now_secs};
use crate::verifier::{TokenVerifier, VerifyError};

/// The most answers kept in the cache.
const CACHE_LIMIT: usize = 10_000;

/// Verifies tokens by asking the authorization server's introspection endpoint
/// (RFC 7662), authenticating as this resource server with HTTP Basic credentials.
///
/// An answer counts only when it is `active`, has not expired, names this server in
/// `aud`, and (when configured) comes from the expected issuer. Positive answers can be
/// cached for a short time ([`cache_ttl`](Self::cache_ttl), never past the token's
/// `exp`); the cache is keyed by a hash of the token, never the token itself.
pub struct IntrospectionVerifier {
    endpoint: http::Uri,
    basic: Option<String>,
    audiences: Vec<String>,
    issuer: Option<String>,
    cache_ttl: Duration,
    cache: Mutex<HashMap<[u8; 32], (AuthInfo, Instant)>>,
    fetcher: Arc<dyn HttpFetcher>,
}

impl std::fmt::Debug for IntrospectionVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntrospectionVerifier")
            .field("endpoint", &self.endpoint)
            .field("audiences", &self.audiences)
            .field("issuer", &self.issuer)
            .finish_non_exhaustive()
    }
}

impl IntrospectionVerifier {
    /// Asks `endpoint` about tokens, accepting those issued for `audience` (this server's
    /// resource URI).
    pub fn new(endpoint: &str, audience: impl Into<String>) -> Result<Self, ConfigError> {
        Ok(IntrospectionVerifier {
            endpoint: absolute_url(endpoint)?,
            basic: None,
            audiences: vec![canonical(&audience.into())],
            issuer: None,
            cache_ttl: Duration::ZERO,
            cache: Mutex::new(HashMap::new()),
            fetcher: Arc::new(HyperFetcher::new()),
        })
    }

    /// Authenticates to the endpoint as client `id` with `secret` (HTTP Basic, RFC 6749
    /// §2.3.1).
    pub fn client_credentials(mut self, id: &str, secret: &str) -> Self {
        let enc = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let pair = format!("{}:{}", enc(id), enc(secret));
        self.basic = Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(pair)
        ));
        self
    }

    /// Also accepts tokens issued for `audience`.
    pub fn audience(mut self, audience: impl Into<String>) -> Self {
        self.audiences.push(canonical(&audience.into()));
        self
    }

    /// Requires answers to name `issuer` in `iss` when they carry one.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.issuer = Some(issuer.into());
        self
    }

    /// Reuses positive answers for up to `ttl` (default: ask every time). A revoked token
    /// stays usable that long.
    pub fn cache_ttl(mut self, ttl: Duration) -> Self {
        self.cache_ttl = ttl;
        self
    }

    /// Asks with `fetcher` (default: [`HyperFetcher`]).
    pub fn fetcher(mut self, fetcher: impl HttpFetcher) -> Self {
        self.fetcher = Arc::new(fetcher);
        self
    }

    fn cached(&self, key: &[u8; 32]) -> Option<AuthInfo> {
        let mut cache = self.cache.lock().unwrap();
        match cache.get(key) {
            Some((info, until)) if *until > Instant::now() => Some(info.clone()),
            Some(_) => {
                cache.remove(key);
                None
            }
            None => None,
        }
    }

    fn remember(&self, key: [u8; 32], info: &AuthInfo) {
        if self.cache_ttl.is_zero() {
            return;
        }
        let mut ttl = self.cache_ttl;
        if let Some(exp) = info.expires_at()
            && let Ok(left) = exp.duration_since(std::time::SystemTime::now())
        {
            ttl = ttl.min(left);
        }
        let now = Instant::now();
        let mut cache = self.cache.lock().unwrap();
        if cache.len() >= CACHE_LIMIT {
            cache.retain(|_, (_, until)| *until > now);
            if cache.len() >= CACHE_LIMIT {
                return;
            }
        }
        cache.insert(key, (info.clone(), now + ttl));
    }

    async fn introspect(&self, token: &str) -> Result<JsonObject, VerifyError> {
        let url = self.endpoint.to_string();
        let body: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("token", token)
            .append_pair("token_type_hint", "access_token")
            .finish();
        let mut request = http::Request::post(self.endpoint.clone())
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .header(http::header::ACCEPT, "application/json");
        if let Some(b) = &self.basic {
            request = request.header(http::header::AUTHORIZATION, b);
        }
        let request = request.body(Bytes::from(body)).map_err(|e| {
            VerifyError::Unavailable(FetchError::Http {
                url: url.clone(),
                source: Box::new(e),
            })
        })?;
        let response = self
            .fetcher
            .fetch(request)
            .await
            .map_err(VerifyError::Unavailable)?;
        if !response.status().is_success() {
            return Err(VerifyError::Unavailable(FetchError::Status {
                url,
                status: response.status(),
            }));
        }
        serde_json::from_slice(response.body()).map_err(|e| {
            VerifyError::Unavailable(FetchError::Document {
                url,
                reason: e.to_string(),
            })
        })
    }

    fn judge(&self, answer: JsonObject) -> Result<AuthInfo, VerifyError> {
        if answer.get("active").and_then(Value::as_bool) != Some(true) {
            return Err(VerifyError::Inactive);
        }
        let now = now_secs();
        if let Some(exp) = answer.get("exp").and_then(Value::as_u64)
            && exp <= now
        {
            return Err(VerifyError::Expired);
        }
        if let Some(nbf) = answer.get("nbf").and_then(Value::as_u64)
            && nbf > now
        {
            return Err(VerifyError::NotYetValid);
        }
        if let (Some(expected), Some(iss)) =
            (&self.issuer, answer.get("iss").and_then(Value::as_str))
            && iss != expected
        {
            return Err(VerifyError::WrongIssuer);
        }
        auth_for_audiences(answer, &self.audiences)
    }
}

impl TokenVerifier for IntrospectionVerifier {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthInfo, VerifyError>> {
        Box::pin(async move {
            let key: [u8; 32] = Sha256::digest(token.as_bytes()).into();
            if let Some(info) = self.cached(&key) {
                return Ok(info);
            }
            let answer = self.introspect(token).await?;
            let info = self.judge(answer)?;
            self.remember(key, &info);
            Ok(info)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verifier() -> IntrospectionVerifier {
        IntrospectionVerifier::new("http://127.0.0.1:9/introspect", "https://rs.example/mcp")
            .unwrap()
            .issuer("https://as.example")
    }

    fn answer(v: Value) -> JsonObject {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn answers_are_judged() {
        let v = verifier();
        let future = now_secs() + 600;
        let ok = v
            .judge(answer(serde_json::json!({
                "active": true, "sub": "bob", "scope": "x y", "aud": "HTTPS://rs.example/mcp/",
                "iss": "https://as.example", "exp": future
            })))
            .unwrap();
        assert_eq!(ok.subject(), "bob");
        assert_eq!(ok.scopes(), ["x", "y"]);
        assert!(matches!(
            v.judge(answer(serde_json::json!({"active": false}))),
            Err(VerifyError::Inactive)
        ));
        assert!(matches!(
            v.judge(answer(serde_json::json!({"active": true, "sub": "b", "aud": "https://rs.example/mcp", "exp": 1}))),
            Err(VerifyError::Expired)
        ));
        assert!(matches!(
            v.judge(answer(
                serde_json::json!({"active": true, "sub": "b", "aud": "https://other.example"})
            )),
            Err(VerifyError::WrongAudience)
        ));
        assert!(matches!(
            v.judge(answer(serde_json::json!({"active": true, "sub": "b", "aud": "https://rs.example/mcp", "iss": "https://evil.example"}))),
            Err(VerifyError::WrongIssuer)
        ));
        // No audience at all is not this server's token.
        assert!(matches!(
            v.judge(answer(serde_json::json!({"active": true, "sub": "b"}))),
            Err(VerifyError::WrongAudience)
        ));
    }

    #[test]
    fn positive_answers_are_cached_briefly() {
        let v = verifier().cache_ttl(Duration::from_secs(60));
        let info = AuthInfo::new("bob");
        v.remember([1; 32], &info);
        assert_eq!(v.cached(&[1; 32]).unwrap().subject(), "bob");
        assert!(v.cached(&[2; 32]).is_none());
        let uncached = verifier();
        uncached.remember([1; 32], &info);
        assert!(uncached.cached(&[1; 32]).is_none());
    }
}
