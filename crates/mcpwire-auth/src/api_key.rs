//! Static API keys: bearer tokens fixed in the server's configuration, for servers that
//! need no OAuth.

use mcpwire_core::connection::BoxFuture;
use mcpwire_core::server::AuthInfo;
use sha2::{Digest as _, Sha256};
use subtle::{ConditionallySelectable as _, ConstantTimeEq as _};

use crate::verifier::{TokenVerifier, VerifyError};

/// The shortest key accepted: 16 bytes, so that guessing is hopeless.
pub const MIN_KEY_LEN: usize = 16;

/// A set of static keys, each standing for one caller with its scopes.
///
/// Presented keys are hashed (SHA-256) and compared with every stored hash in constant
/// time, without stopping at a match: how long a check takes says nothing about the keys.
/// Only the hashes are kept in memory.
///
/// ```
/// use mcpwire_auth::ApiKeys;
/// use mcpwire_core::server::AuthInfo;
///
/// let keys = ApiKeys::new()
///     .key("a-long-random-secret-0001", AuthInfo::new("ci").with_scopes(["deploy"]))?;
/// # Ok::<(), mcpwire_auth::ApiKeyError>(())
/// ```
#[derive(Clone, Default)]
pub struct ApiKeys {
    keys: Vec<([u8; 32], AuthInfo)>,
}

impl std::fmt::Debug for ApiKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiKeys")
            .field("keys", &self.keys.len())
            .finish()
    }
}

/// Why keys could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ApiKeyError {
    /// The environment variable is not set (or not UTF-8).
    #[error("the environment variable `{0}` is not set")]
    NotSet(String),
    /// The list holds no key.
    #[error("no API key is given")]
    Empty,
    /// A key is too short (the message says which entry, never the key).
    #[error("API key {index} is {len} bytes long; use at least {MIN_KEY_LEN}")]
    TooShort {
        /// Its position, from 1.
        index: usize,
        /// Its length.
        len: usize,
    },
    /// The same key is given twice.
    #[error("API key {0} is given twice")]
    Duplicate(usize),
}

impl ApiKeys {
    /// No keys yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Accepts `secret` as the credential of `caller`.
    pub fn key(mut self, secret: impl AsRef<[u8]>, caller: AuthInfo) -> Result<Self, ApiKeyError> {
        let secret = secret.as_ref();
        let index = self.keys.len() + 1;
        if secret.len() < MIN_KEY_LEN {
            return Err(ApiKeyError::TooShort {
                index,
                len: secret.len(),
            });
        }
        let digest: [u8; 32] = Sha256::digest(secret).into();
        if self.keys.iter().any(|(d, _)| *d == digest) {
            return Err(ApiKeyError::Duplicate(index));
        }
        self.keys.push((digest, caller));
        Ok(self)
    }

    /// Loads keys from the environment variable `var`, each granting `scopes`.
    ///
    /// The value lists keys separated by commas or whitespace; each is `name:secret` (the
    /// caller is `name`) or a bare `secret` (the caller is `api-key-N`, N counting from 1).
    /// A secret containing `:` must be given with a name.
    pub fn from_env(
        var: &str,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, ApiKeyError> {
        let value = std::env::var(var).map_err(|_| ApiKeyError::NotSet(var.to_owned()))?;
        Self::from_list(&value, scopes)
    }

    /// Loads keys from `list`, written as for [`from_env`](Self::from_env).
    pub fn from_list(
        list: &str,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Result<Self, ApiKeyError> {
        let scopes: Vec<String> = scopes.into_iter().map(Into::into).collect();
        let mut keys = ApiKeys::new();
        for (i, entry) in list
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|e| !e.is_empty())
            .enumerate()
        {
            let (name, secret) = match entry.split_once(':') {
                Some((name, secret)) if !name.is_empty() => (name.to_owned(), secret),
                _ => (format!("api-key-{}", i + 1), entry),
            };
            keys = keys.key(secret, AuthInfo::new(name).with_scopes(scopes.clone()))?;
        }
        if keys.keys.is_empty() {
            return Err(ApiKeyError::Empty);
        }
        Ok(keys)
    }

    /// How many keys are accepted.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is accepted.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The caller `token` stands for, checked in constant time.
    pub fn check(&self, token: &str) -> Option<&AuthInfo> {
        let digest: [u8; 32] = Sha256::digest(token.as_bytes()).into();
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, (d, _)) in self.keys.iter().enumerate() {
            let hit = d.ct_eq(&digest);
            index.conditional_assign(&(i as u64), hit);
            found |= hit;
        }
        bool::from(found).then(|| &self.keys[index as usize].1)
    }
}

impl TokenVerifier for ApiKeys {
    fn verify<'a>(&'a self, token: &'a str) -> BoxFuture<'a, Result<AuthInfo, VerifyError>> {
        let result = self
            .check(token)
            .cloned()
            .ok_or_else(|| VerifyError::Invalid("unknown API key".into()));
        Box::pin(std::future::ready(result))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_identify_their_callers() {
        let keys = ApiKeys::new()
            .key("0123456789abcdef-one", AuthInfo::new("one"))
            .unwrap()
            .key(
                "0123456789abcdef-two",
                AuthInfo::new("two").with_scopes(["s"]),
            )
            .unwrap();
        assert_eq!(keys.check("0123456789abcdef-two").unwrap().subject(), "two");
        assert_eq!(keys.check("0123456789abcdef-one").unwrap().subject(), "one");
        assert!(keys.check("0123456789abcdef-thr").is_none());
        assert!(keys.check("").is_none());
        assert!(ApiKeys::new().check("anything").is_none());
    }

    #[test]
    fn weak_or_repeated_keys_are_refused() {
        assert_eq!(
            ApiKeys::new().key("short", AuthInfo::new("x")).unwrap_err(),
            ApiKeyError::TooShort { index: 1, len: 5 }
        );
        let once = ApiKeys::new()
            .key("0123456789abcdef", AuthInfo::new("a"))
            .unwrap();
        assert_eq!(
            once.key("0123456789abcdef", AuthInfo::new("b"))
                .unwrap_err(),
            ApiKeyError::Duplicate(2)
        );
    }

    #[test]
    fn keys_load_from_lists() {
        let keys = ApiKeys::from_list(
            "alice:0123456789abcdef-alice, 0123456789abcdef-bare",
            ["read"],
        )
        .unwrap();
        assert_eq!(keys.len(), 2);
        let alice = keys.check("0123456789abcdef-alice").unwrap();
        assert_eq!(alice.subject(), "alice");
        assert_eq!(alice.scopes(), ["read"]);
        assert_eq!(
            keys.check("0123456789abcdef-bare").unwrap().subject(),
            "api-key-2"
        );
        assert_eq!(
            ApiKeys::from_list(" , ", ["read"]).unwrap_err(),
            ApiKeyError::Empty
        );
        let var = "MCPWIRE_AUTH_TEST_KEYS_NEVER_SET_4f1c";
        assert_eq!(
            ApiKeys::from_env(var, ["read"]).unwrap_err(),
            ApiKeyError::NotSet(var.into())
        );
    }
}
