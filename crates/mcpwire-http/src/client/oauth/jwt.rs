//! `private_key_jwt` client assertions signed with ES256 (RFC 7523, RFC 7518 §3.4).

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey as _;
use serde_json::json;

use super::OAuthError;
use super::pkce::random_token;
use crate::client::auth::BoxError;

/// A signer for [`OAuthClientBuilder::client_assertion`](super::OAuthClientBuilder::client_assertion)
/// from a P-256 private key in PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
///
/// Each assertion has `iss` and `sub` set to the client id, `aud` to the authorization
/// server's issuer, a lifetime of five minutes and a random `jti`.
pub fn es256_signer(
    pem: &str,
) -> Result<impl Fn(&str, &str) -> Result<String, BoxError> + Send + Sync + 'static, OAuthError> {
    let key =
        SigningKey::from_pkcs8_pem(pem).map_err(|e| OAuthError::Assertion(e.to_string().into()))?;
    Ok(move |client_id: &str, audience: &str| sign(&key, client_id, audience))
}

fn sign(key: &SigningKey, client_id: &str, audience: &str) -> Result<String, BoxError> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let header = json!({"alg": "ES256", "typ": "JWT"});
    let claims = json!({
        "iss": client_id,
        "sub": client_id,
        "aud": audience,
        "iat": now,
        "exp": now + 300,
        "jti": random_token(16)?,
    });
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let signature: Signature = key.sign(input.as_bytes());
    Ok(format!(
        "{input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::ecdsa::VerifyingKey;
    use p256::ecdsa::signature::Verifier as _;

    // A throwaway P-256 key made for this test.
    const PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgjoP+I+If6+JPf0jx
KC3ep8fKNVzxayfWVtxwguj6CUKhRANCAASXl8RmKr4dK072QioTBo0Drx3U4kd1
+h9WHIwHOceMTyM9oRXr7dpAEmwn92xiDpwwAGfri9MIOWzDDaZV1x10
-----END PRIVATE KEY-----";

    #[test]
    fn assertions_are_signed_es256_jwts_with_the_right_claims() {
        let signer = es256_signer(PEM).unwrap();
        let jwt = signer("client-1", "http://as.example").unwrap();
        let parts: Vec<&str> = jwt.split('.').collect();
        assert_eq!(parts.len(), 3);
        let claims: serde_json::Value =
            serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
        assert_eq!(claims["iss"], "client-1");
        assert_eq!(claims["sub"], "client-1");
        assert_eq!(claims["aud"], "http://as.example");
        let key = SigningKey::from_pkcs8_pem(PEM).unwrap();
        let sig = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
        VerifyingKey::from(&key)
            .verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &sig)
            .unwrap();
        assert!(es256_signer("not a key").is_err());
    }
}
