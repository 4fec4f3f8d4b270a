//! Who is calling, and what they may use: the authenticated caller ([`AuthInfo`]), its
//! typed claims ([`TokenClaims`]), the scopes tools, resources and prompts require, and the
//! refusal when a caller lacks them ([`InsufficientScope`]).
//!
//! Authentication itself happens in front of the dispatcher (an HTTP layer that verifies
//! bearer tokens, or a layer that attaches a fixed identity on stdio); it attaches an
//! [`AuthInfo`] to the request's extensions. From there the server:
//!
//! * hides from `tools/list`, `resources/list`, `resources/templates/list` and
//!   `prompts/list` every item whose scopes the caller does not hold;
//! * refuses calls, reads, `prompts/get` and completions of such items with
//!   [`ErrorCode::FORBIDDEN`] listing every scope the item needs (the HTTP transport
//!   answers `403` with an `insufficient_scope` challenge instead);
//! * gives handlers the caller by type: an [`AuthInfo`] or [`TokenClaims<T>`] argument.
//!
//! Items without scopes are open to every caller, authenticated or not. An item with
//! scopes is refused to a request that carries no [`AuthInfo`] at all: forgetting the
//! authentication layer fails closed.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::SystemTime;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::context::RequestContext;
use crate::error::Error;
use crate::jsonrpc::{ErrorCode, ErrorObject};
use crate::types::JsonObject;

#[derive(Clone)]
struct AuthInner {
    subject: String,
    client_id: Option<String>,
    scopes: Vec<String>,
    issuer: Option<String>,
    audience: Vec<String>,
    expires_at: Option<SystemTime>,
    claims: JsonObject,
}

/// The authenticated caller of a request: who it is, which scopes its token grants, and
/// the token's claims. Never the token itself, so handlers cannot pass it on to other
/// services (the spec forbids token passthrough).
///
/// Attached to requests by authentication layers; handlers take it as an argument (or
/// call [`RequestContext::auth`]). Cheap to clone.
#[derive(Clone)]
pub struct AuthInfo {
    inner: Arc<AuthInner>,
}

impl std::fmt::Debug for AuthInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Claims can hold personal data: keep them out of logs.
        f.debug_struct("AuthInfo")
            .field("subject", &self.inner.subject)
            .field("client_id", &self.inner.client_id)
            .field("scopes", &self.inner.scopes)
            .field("issuer", &self.inner.issuer)
            .finish_non_exhaustive()
    }
}

impl AuthInfo {
    /// A caller identified as `subject` (the token's `sub`, an API key's name), with no
    /// scopes yet.
    pub fn new(subject: impl Into<String>) -> Self {
        AuthInfo {
            inner: Arc::new(AuthInner {
                subject: subject.into(),
                client_id: None,
                scopes: Vec::new(),
                issuer: None,
                audience: Vec::new(),
                expires_at: None,
                claims: JsonObject::new(),
            }),
        }
    }

    fn edit(mut self, f: impl FnOnce(&mut AuthInner)) -> Self {
        f(Arc::make_mut(&mut self.inner));
        self
    }

    /// Sets the scopes the token grants (duplicates are dropped).
    pub fn with_scopes(self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let mut v: Vec<String> = scopes.into_iter().map(Into::into).collect();
        v.sort();
        v.dedup();
        self.edit(|i| i.scopes = v)
    }

    /// Sets the OAuth client the token was issued to.
    pub fn with_client_id(self, client_id: impl Into<String>) -> Self {
        let c = client_id.into();
        self.edit(|i| i.client_id = Some(c))
    }

    /// Sets the token's issuer.
    pub fn with_issuer(self, issuer: impl Into<String>) -> Self {
        let iss = issuer.into();
        self.edit(|i| i.issuer = Some(iss))
    }

    /// Sets the token's audiences (the resources it was issued for).
    pub fn with_audience(self, audience: impl IntoIterator<Item = impl Into<String>>) -> Self {
        let aud = audience.into_iter().map(Into::into).collect();
        self.edit(|i| i.audience = aud)
    }

    /// Sets when the token expires.
    pub fn with_expires_at(self, at: SystemTime) -> Self {
        self.edit(|i| i.expires_at = Some(at))
    }

    /// Sets the token's claims (a JWT's payload, an introspection response).
    pub fn with_claims(self, claims: JsonObject) -> Self {
        self.edit(|i| i.claims = claims)
    }

    /// Who the caller is.
    pub fn subject(&self) -> &str {
        &self.inner.subject
    }

    /// The OAuth client the token was issued to, if known.
    pub fn client_id(&self) -> Option<&str> {
        self.inner.client_id.as_deref()
    }

    /// The scopes the token grants, sorted.
    pub fn scopes(&self) -> &[String] {
        &self.inner.scopes
    }

    /// Whether the token grants `scope` itself (scope hierarchies are applied by the
    /// server; see [`Server::scope_implies`](super::Server::scope_implies)).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.inner
            .scopes
            .binary_search_by(|s| s.as_str().cmp(scope))
            .is_ok()
    }

    /// The token's issuer, if known.
    pub fn issuer(&self) -> Option<&str> {
        self.inner.issuer.as_deref()
    }

    /// The resources the token was issued for.
    pub fn audience(&self) -> &[String] {
        &self.inner.audience
    }

    /// When the token expires, if known.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.inner.expires_at
    }

    /// All of the token's claims.
    pub fn claims(&self) -> &JsonObject {
        &self.inner.claims
    }

    /// One claim by name.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.inner.claims.get(name)
    }

    /// The caller of the request `ctx` serves, or a [`ErrorCode::FORBIDDEN`] error when the
    /// request was not authenticated (how handler arguments of this type are filled).
    pub fn from_context(ctx: &RequestContext) -> Result<AuthInfo, Error> {
        ctx.auth().cloned().ok_or_else(|| {
            Error::Protocol(ErrorObject::new(
                ErrorCode::FORBIDDEN,
                "Forbidden: this request needs an authenticated caller",
            ))
        })
    }
}

/// The claims of the caller's token parsed into `T`, as a handler argument.
///
/// ```
/// use mcpwire_core::server::TokenClaims;
///
/// #[derive(serde::Deserialize)]
/// struct Claims {
///     sub: String,
///     #[serde(default)]
///     tenant: Option<String>,
/// }
///
/// fn greet(claims: &TokenClaims<Claims>) -> String {
///     format!("hello {} of {:?}", claims.sub, claims.tenant)
/// }
/// ```
#[derive(Clone, Debug)]
pub struct TokenClaims<T>(pub T);

impl<T> std::ops::Deref for TokenClaims<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> TokenClaims<T> {
    /// Parses the claims of the caller of `ctx`; a [`ErrorCode::FORBIDDEN`] error when the
    /// request was not authenticated or the claims do not fit `T`.
    pub fn from_context(ctx: &RequestContext) -> Result<TokenClaims<T>, Error> {
        let auth = AuthInfo::from_context(ctx)?;
        serde_json::from_value(Value::Object(auth.claims().clone()))
            .map(TokenClaims)
            .map_err(|e| {
                Error::Protocol(ErrorObject::new(
                    ErrorCode::FORBIDDEN,
                    format!("Forbidden: the token's claims are not what this server expects: {e}"),
                ))
            })
    }
}

/// Why a caller may not use an item: the scopes it needs, all of them.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("insufficient scope: this needs {}", required.join(" "))]
#[non_exhaustive]
pub struct InsufficientScope {
    /// Every scope the item requires (not only the missing ones), so that one step-up
    /// authorization suffices.
    pub required: Vec<String>,
    /// Whether the request carried an authenticated caller at all.
    pub authenticated: bool,
}

impl InsufficientScope {
    /// A refusal naming `required`.
    pub fn new(required: Vec<String>, authenticated: bool) -> Self {
        InsufficientScope {
            required,
            authenticated,
        }
    }

    /// The scopes as the `scope` parameter of a challenge: space-separated.
    pub fn scope_param(&self) -> String {
        self.required.join(" ")
    }

    /// The JSON-RPC error answering the request ([`ErrorCode::FORBIDDEN`], with
    /// `data.requiredScopes`).
    pub fn to_error_object(&self) -> ErrorObject {
        ErrorObject::new(
            ErrorCode::FORBIDDEN,
            format!(
                "Forbidden: insufficient scope; this needs `{}`",
                self.scope_param()
            ),
        )
        .with_data(serde_json::json!({ "requiredScopes": self.required }))
    }
}

/// Which scopes imply which: a broader scope grants the narrower ones (transitively).
/// Built once when the server is configured.
#[derive(Clone, Debug, Default)]
pub(crate) struct ScopeHierarchy {
    /// For each scope, every scope it implies (its transitive closure, itself excluded).
    implied: HashMap<String, BTreeSet<String>>,
}

impl ScopeHierarchy {
    pub(crate) fn add(&mut self, broader: String, narrower: Vec<String>) {
        self.implied.entry(broader).or_default().extend(narrower);
        // Recompute the closure: small tables, built once at configuration.
        loop {
            let mut changed = false;
            let snapshot = self.implied.clone();
            for set in self.implied.values_mut() {
                let extra: Vec<String> = set
                    .iter()
                    .filter_map(|s| snapshot.get(s))
                    .flatten()
                    .filter(|s| !set.contains(*s))
                    .cloned()
                    .collect();
                if !extra.is_empty() {
                    set.extend(extra);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
    }

    /// Whether `granted` holds `required`, directly or through a broader scope.
    pub(crate) fn grants(&self, granted: &AuthInfo, required: &str) -> bool {
        granted.has_scope(required)
            || (!self.implied.is_empty()
                && granted.scopes().iter().any(|g| {
                    self.implied
                        .get(g)
                        .is_some_and(|set| set.contains(required))
                }))
    }

    /// Whether a request authenticated as `auth` (or not at all) may use an item requiring
    /// `required`.
    pub(crate) fn allows(&self, auth: Option<&AuthInfo>, required: &[String]) -> bool {
        if required.is_empty() {
            return true;
        }
        match auth {
            None => false,
            Some(a) => required.iter().all(|r| self.grants(a, r)),
        }
    }

    pub(crate) fn check(
        &self,
        auth: Option<&AuthInfo>,
        required: &[String],
    ) -> Result<(), InsufficientScope> {
        if self.allows(auth, required) {
            Ok(())
        } else {
            Err(InsufficientScope::new(required.to_vec(), auth.is_some()))
        }
    }
}

/// Normalises a list of scopes given at registration: trimmed, empty ones dropped, sorted,
/// without duplicates.
pub(crate) fn scope_list(scopes: impl IntoIterator<Item = impl Into<String>>) -> Arc<[String]> {
    let mut v: Vec<String> = scopes
        .into_iter()
        .map(|s| s.into().trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    v.sort();
    v.dedup();
    v.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(scopes: &[&str]) -> AuthInfo {
        AuthInfo::new("u").with_scopes(scopes.iter().copied())
    }

    #[test]
    fn hierarchy_grants_transitively() {
        let mut h = ScopeHierarchy::default();
        h.add("admin".into(), vec!["files".into()]);
        h.add(
            "files".into(),
            vec!["files:read".into(), "files:write".into()],
        );
        let admin = caller(&["admin"]);
        assert!(h.grants(&admin, "files:write"));
        assert!(h.grants(&admin, "admin"));
        let reader = caller(&["files:read"]);
        assert!(h.grants(&reader, "files:read"));
        assert!(!h.grants(&reader, "files:write"));
        assert!(!h.grants(&reader, "files"));
    }

    #[test]
    fn unauthenticated_requests_only_reach_open_items() {
        let h = ScopeHierarchy::default();
        assert!(h.allows(None, &[]));
        assert!(!h.allows(None, &["a".into()]));
        let e = h.check(None, &["a".into(), "b".into()]).unwrap_err();
        assert_eq!(e.scope_param(), "a b");
        assert!(!e.authenticated);
        let partial = caller(&["a"]);
        let e = h
            .check(Some(&partial), &["a".into(), "b".into()])
            .unwrap_err();
        // Every required scope is listed, not only the missing one.
        assert_eq!(e.required, ["a", "b"]);
        assert_eq!(e.to_error_object().code, ErrorCode::FORBIDDEN);
    }

    #[test]
    fn scope_lists_are_normalised() {
        let l = scope_list([" b", "a", "", "b"]);
        assert_eq!(&*l, ["a", "b"]);
        let info = caller(&["z", "a", "a"]);
        assert_eq!(info.scopes(), ["a", "z"]);
        assert!(info.has_scope("z") && !info.has_scope("b"));
        let shared = info.clone();
        let edited = info.with_client_id("c");
        assert_eq!(shared.client_id(), None);
        assert_eq!(edited.client_id(), Some("c"));
    }
}
