//! DPoP (RFC 9449): a P-256 key held by this client, and the proofs that bind its tokens to
//! it.

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use serde_json::{Value, json};

use super::OAuthError;
use super::pkce::random_token;
use super::token::ProofSigner;
use crate::client::auth::BoxError;

/// A fresh ES256 key for DPoP proofs.
pub(crate) struct DpopKey {
    key: SigningKey,
    jwk: Value,
}

impl DpopKey {
    /// A new random key.
    pub(crate) fn generate() -> Result<Self, OAuthError> {
        let key = loop {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| OAuthError::Random(e.to_string()))?;
            // Out-of-range scalars (about one in 2^32) are drawn again.
            if let Ok(k) = SigningKey::from_slice(&bytes) {
                break k;
            }
        };
        let point = VerifyingKey::from(&key).to_sec1_point(false);
        let b = point.as_bytes();
        let jwk = json!({
            "kty": "EC",
            "crv": "P-256",
            "x": URL_SAFE_NO_PAD.encode(&b[1..33]),
            "y": URL_SAFE_NO_PAD.encode(&b[33..65]),
        });
        Ok(DpopKey { key, jwk })
    }
}

impl ProofSigner for DpopKey {
    fn proof(
        &self,
        htm: &str,
        htu: &str,
        ath: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<String, BoxError> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
        let header = json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": self.jwk});
        let mut claims = json!({"jti": random_token(16)?, "htm": htm, "htu": htu, "iat": now});
        if let Some(a) = ath {
            claims["ath"] = Value::from(a);
        }
        if let Some(n) = nonce {
            claims["nonce"] = Value::from(n);
        }
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature: Signature = self.key.sign(input.as_bytes());
        Ok(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::signature::Verifier as _;

    #[test]
    fn proofs_carry_the_public_key_and_verify() {
        let k = DpopKey::generate().unwrap();
        let p = k
            .proof("POST", "http://rs/mcp", Some("ath"), Some("n1"))
            .unwrap();
        let parts: Vec<&str> = p.split('.').collect();
        let header: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
        let claims: Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(header["typ"], "dpop+jwt");
        assert!(
            header["jwk"].get("d").is_none(),
            "no private key in the proof"
        );
        assert_eq!(claims["htm"], "POST");
        assert_eq!(claims["nonce"], "n1");
        let mut sec1 = vec![4u8];
        for c in ["x", "y"] {
            sec1.extend(
                URL_SAFE_NO_PAD
                    .decode(header["jwk"][c].as_str().unwrap())
                    .unwrap(),
            );
        }
        let public = VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        public
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
        let again = k.proof("POST", "http://rs/mcp", None, None).unwrap();
        assert_ne!(p.split('.').nth(1), again.split('.').nth(1), "fresh jti");
    }
}
