//! The authorization hook of [`HttpTransport`](super::HttpTransport).
//!
//! An [`AuthProvider`] gives the transport the `Authorization` header of every HTTP request
//! and is told when the server refuses one: `401 Unauthorized`, or `403 Forbidden` with
//! `error="insufficient_scope"`. It then decides whether the request is sent again (after
//! it obtained a better token, say). [`OAuthClient`](super::oauth::OAuthClient) (feature
//! `oauth`) is the provider that implements MCP authorization; a fixed token needs no
//! provider at all: [`HttpClientConfig::bearer_token`](super::HttpClientConfig::bearer_token).

use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use mcpwire_core::connection::BoxFuture;

/// An error of any kind, as providers report them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Supplies the credentials of an [`HttpTransport`](super::HttpTransport)'s requests.
///
/// The transport calls [`authorize`](AuthProvider::authorize) before every HTTP request
/// (POST, GET and DELETE alike) and [`on_refusal`](AuthProvider::on_refusal) when the server
/// refuses one; if that returns `Ok(true)`, the request is authorized and sent again, at
/// most three times in a row. Requests may run concurrently: a provider serialises its own
/// work, and can tell from [`Refusal::authorization`] whether a newer credential already
/// replaced the refused one.
pub trait AuthProvider: Send + Sync + 'static {
    /// Adds the credentials of a request about to be sent: usually an `Authorization`
    /// header; the method and URL are there for schemes that sign them (DPoP, say).
    fn authorize<'a>(
        &'a self,
        request: &'a mut http::request::Parts,
    ) -> BoxFuture<'a, Result<(), BoxError>>;

    /// The server refused a request; `Ok(true)` sends it again, `Ok(false)` hands the refusal
    /// to the caller as it is, and an error fails the request with that error.
    fn on_refusal<'a>(&'a self, refusal: &'a Refusal) -> BoxFuture<'a, Result<bool, BoxError>>;
}

/// A request the server refused for its credentials.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Refusal {
    /// `401 Unauthorized`, or `403 Forbidden` with `error="insufficient_scope"`.
    pub status: StatusCode,
    /// The URL of the refused request.
    pub url: Uri,
    /// The challenges of the response's `WWW-Authenticate` headers, in order.
    pub challenges: Vec<Challenge>,
    /// The `Authorization` header the refused request carried.
    pub authorization: Option<HeaderValue>,
    /// The headers of the refusal (`DPoP-Nonce`, say).
    pub headers: HeaderMap,
}

impl Refusal {
    /// A refusal with `status` of a request to `url` that carried `authorization`, with the
    /// challenges of `headers` (the response's).
    pub fn new(
        status: StatusCode,
        url: Uri,
        headers: &HeaderMap,
        authorization: Option<HeaderValue>,
    ) -> Self {
        let challenges = headers
            .get_all(http::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(Challenge::parse_all)
            .collect();
        Refusal {
            status,
            url,
            challenges,
            authorization,
            headers: headers.clone(),
        }
    }

    /// The first `Bearer` or `DPoP` challenge (the OAuth ones), if any.
    pub fn bearer(&self) -> Option<&Challenge> {
        self.challenges.iter().find(|c| {
            c.scheme.eq_ignore_ascii_case("bearer") || c.scheme.eq_ignore_ascii_case("dpop")
        })
    }

    /// Whether the server asks for more scopes (`403` with `error="insufficient_scope"`).
    pub fn is_insufficient_scope(&self) -> bool {
        self.status == StatusCode::FORBIDDEN
            && self
                .challenges
                .iter()
                .any(|c| c.error() == Some("insufficient_scope"))
    }
}

/// One challenge of a `WWW-Authenticate` header (RFC 9110 §11.6.1): a scheme with either
/// parameters or a `token68`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Challenge {
    /// The authentication scheme (`Bearer`, `DPoP`, `Basic`…), as sent.
    pub scheme: String,
    /// The parameters, names lowercased, quoted values unescaped.
    pub params: Vec<(String, String)>,
    /// The `token68` form's value, when the challenge has one instead of parameters.
    pub token68: Option<String>,
}

impl Challenge {
    /// The challenges of one `WWW-Authenticate` header value; what does not parse is
    /// skipped, never an error.
    pub fn parse_all(header: &str) -> Vec<Challenge> {
        let mut p = Parser {
            s: header.as_bytes(),
            i: 0,
        };
        let mut out = Vec::new();
        loop {
            p.skip(|b| b == b',' || is_space(b));
            if p.done() {
                return out;
            }
            let Some(scheme) = p.token() else {
                // Not a token: skip to the next comma and try again.
                p.skip(|b| b != b',');
                continue;
            };
            let mut challenge = Challenge {
                scheme,
                params: Vec::new(),
                token68: None,
            };
            p.skip(is_space);
            if let Some(t) = p.token68() {
                challenge.token68 = Some(t);
            } else {
                p.params(&mut challenge.params);
            }
            out.push(challenge);
        }
    }

    /// The value of parameter `name` (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `scope` parameter, split on spaces.
    pub fn scopes(&self) -> Vec<String> {
        self.param("scope")
            .map(|s| s.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The `resource_metadata` parameter (RFC 9728 §5.1).
    pub fn resource_metadata(&self) -> Option<&str> {
        self.param("resource_metadata")
    }

    /// The `error` parameter (RFC 6750 §3.1).
    pub fn error(&self) -> Option<&str> {
        self.param("error")
    }

    /// The `error_description` parameter.
    pub fn error_description(&self) -> Option<&str> {
        self.param("error_description")
    }
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

impl Parser<'_> {
    fn done(&self) -> bool {
        self.i >= self.s.len()
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn skip(&mut self, f: impl Fn(u8) -> bool) {
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
    }

    fn token(&mut self) -> Option<String> {
        let start = self.i;
        self.skip(is_tchar);
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }

    /// A `token68` (`abc123==`): letters, digits and `-._~+/`, then any `=`, followed by the
    /// end of the header or a comma.
    fn token68(&mut self) -> Option<String> {
        let t68 = |b: u8| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b);
        let start = self.i;
        let mut j = start;
        while j < self.s.len() && t68(self.s[j]) {
            j += 1;
        }
        if j == start {
            return None;
        }
        while j < self.s.len() && self.s[j] == b'=' {
            j += 1;
        }
        let mut k = j;
        while k < self.s.len() && is_space(self.s[k]) {
            k += 1;
        }
        if k < self.s.len() && self.s[k] != b',' {
            return None;
        }
        self.i = j;
        Some(String::from_utf8_lossy(&self.s[start..j]).into_owned())
    }

    /// `name=value` pairs separated by commas, up to the next challenge.
    fn params(&mut self, out: &mut Vec<(String, String)>) {
        loop {
            self.skip(|b| b == b',' || is_space(b));
            let save = self.i;
            let Some(name) = self.token() else {
                return;
            };
            self.skip(is_space);
            if self.peek() != Some(b'=') {
                // A bare token: the scheme of the next challenge.
                self.i = save;
                return;
            }
            self.i += 1;
            self.skip(is_space);
            let value = if self.peek() == Some(b'"') {
                self.quoted()
            } else {
                // A token, leniently: anything up to a comma or a space (`scope=a:b`).
                let start = self.i;
                self.skip(|b| b != b',' && !is_space(b));
                String::from_utf8_lossy(&self.s[start..self.i]).into_owned()
            };
            out.push((name.to_ascii_lowercase(), value));
            self.skip(is_space);
            match self.peek() {
                Some(b',') | None => {}
                // Garbage after a value: skip to the next comma.
                Some(_) => self.skip(|b| b != b','),
            }
        }
    }

    fn quoted(&mut self) -> String {
        self.i += 1;
        let mut v = Vec::new();
        while let Some(b) = self.peek() {
            self.i += 1;
            match b {
                b'"' => break,
                b'\\' => {
                    if let Some(n) = self.peek() {
                        v.push(n);
                        self.i += 1;
                    }
                }
                _ => v.push(b),
            }
        }
        String::from_utf8_lossy(&v).into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_challenges_parse() {
        let c = Challenge::parse_all(
            r#"Bearer error="invalid_token", error_description="Missing \"Authorization\" header", scope="a b", resource_metadata="http://x/.well-known/oauth-protected-resource/mcp""#,
        );
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].scheme, "Bearer");
        assert_eq!(c[0].error(), Some("invalid_token"));
        assert_eq!(
            c[0].error_description(),
            Some(r#"Missing "Authorization" header"#)
        );
        assert_eq!(c[0].scopes(), vec!["a", "b"]);
        assert_eq!(
            c[0].resource_metadata(),
            Some("http://x/.well-known/oauth-protected-resource/mcp")
        );
    }

    #[test]
    fn several_challenges_and_token68() {
        let c = Challenge::parse_all(
            r#"Basic realm="x", Bearer scope=files:read,error=insufficient_scope, Negotiate abc123=="#,
        );
        let schemes: Vec<_> = c.iter().map(|c| c.scheme.as_str()).collect();
        assert_eq!(schemes, ["Basic", "Bearer", "Negotiate"]);
        assert_eq!(c[0].param("REALM"), Some("x"));
        assert_eq!(c[1].param("scope"), Some("files:read"));
        assert_eq!(c[1].error(), Some("insufficient_scope"));
        assert_eq!(c[2].token68.as_deref(), Some("abc123=="));
        assert!(c[2].params.is_empty());
    }

    #[test]
    fn bare_schemes_and_garbage_do_not_panic() {
        let c = Challenge::parse_all("Bearer");
        assert_eq!(c.len(), 1);
        assert!(c[0].params.is_empty());
        for junk in [
            "",
            ",,,",
            "=",
            "\"",
            "Bearer a=\"unterminated",
            "Bearer =x, y",
            "é",
        ] {
            let _ = Challenge::parse_all(junk);
        }
        let c = Challenge::parse_all("Bearer a=\"unterminated");
        assert_eq!(c[0].param("a"), Some("unterminated"));
    }

    #[test]
    fn refusals_know_insufficient_scope() {
        let mut h = HeaderMap::new();
        h.append(
            http::header::WWW_AUTHENTICATE,
            HeaderValue::from_static(r#"Bearer error="insufficient_scope", scope="w""#),
        );
        let r = Refusal::new(
            StatusCode::FORBIDDEN,
            Uri::from_static("http://x/"),
            &h,
            None,
        );
        assert!(r.is_insufficient_scope());
        assert_eq!(r.bearer().unwrap().scopes(), vec!["w"]);
        let r = Refusal::new(
            StatusCode::UNAUTHORIZED,
            Uri::from_static("http://x/"),
            &h,
            None,
        );
        assert!(!r.is_insufficient_scope());
    }
}
