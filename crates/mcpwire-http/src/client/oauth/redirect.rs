//! The interactive step: sending the user agent to the authorization endpoint and getting
//! the redirect back, behind [`AuthorizationHandler`]; [`LoopbackRedirect`] does it for
//! desktop and command-line programs.

use std::sync::Arc;
use std::time::Duration;

use mcpwire_core::connection::BoxFuture;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpListener;
use url::Url;

use super::OAuthError;
use crate::client::auth::BoxError;

/// An authorization request, ready for the user agent.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct AuthorizationRequest {
    /// The URL to open: the authorization endpoint with every parameter.
    pub url: Url,
    /// The `redirect_uri` in the URL.
    pub redirect_uri: String,
    /// The `state` in the URL; the response must carry it back.
    pub state: String,
}

/// What came back to the redirect URI: the parameters of its query.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizationResponse {
    /// The authorization code.
    pub code: Option<String>,
    /// The state, as sent in the request.
    pub state: Option<String>,
    /// The issuer of the server that answered (RFC 9207).
    pub iss: Option<String>,
    /// The error code, when the server refused (RFC 6749 §4.1.2.1).
    pub error: Option<String>,
    /// The error's description.
    pub error_description: Option<String>,
}

impl AuthorizationResponse {
    /// The response in `query` (`code=…&state=…`, form-encoded, without the `?`).
    pub fn from_query(query: &str) -> Self {
        let mut r = AuthorizationResponse::default();
        for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
            let slot = match &*k {
                "code" => &mut r.code,
                "state" => &mut r.state,
                "iss" => &mut r.iss,
                "error" => &mut r.error,
                "error_description" => &mut r.error_description,
                _ => continue,
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        r
    }

    /// The response the user agent was redirected to at `url`.
    pub fn from_redirect(url: &Url) -> Self {
        Self::from_query(url.query().unwrap_or(""))
    }

    /// Checks the response for the request with `state`, sent to the server whose
    /// validated metadata says `issuer` and `iss_supported`, and returns the code.
    ///
    /// The `iss` check (RFC 9207 §2.4, as MCP requires it) comes first and compares strings
    /// exactly: a present `iss` must equal `issuer`; an absent one is refused when the server
    /// advertises it. Nothing of a response that fails it, error or not, is used.
    pub fn into_code(
        self,
        state: &str,
        issuer: &str,
        iss_supported: bool,
    ) -> Result<String, OAuthError> {
        match &self.iss {
            Some(iss) if iss != issuer => {
                return Err(OAuthError::IssuerParameter {
                    expected: issuer.to_owned(),
                    found: Some(iss.clone()),
                });
            }
            None if iss_supported => {
                return Err(OAuthError::IssuerParameter {
                    expected: issuer.to_owned(),
                    found: None,
                });
            }
            _ => {}
        }
        if self.state.as_deref() != Some(state) {
            return Err(OAuthError::StateMismatch);
        }
        if let Some(error) = self.error {
            return Err(OAuthError::AuthorizationDenied {
                error,
                description: self.error_description,
            });
        }
        self.code.ok_or(OAuthError::MissingCode)
    }
}

/// Takes the user agent through authorization: opens [`AuthorizationRequest::url`] and
/// returns what came back to the redirect URI.
///
/// [`LoopbackRedirect`] does it for desktop and command-line programs; a GUI embeds a web
/// view; a test against a server that approves at once can fetch the URL and read the
/// `Location` of the answer.
pub trait AuthorizationHandler: Send + Sync + 'static {
    /// The redirect URI registered for the client and sent in authorization requests.
    fn redirect_uri(&self) -> String;

    /// Has the user authorize `request` and returns the redirect's parameters.
    fn authorize<'a>(
        &'a self,
        request: &'a AuthorizationRequest,
    ) -> BoxFuture<'a, Result<AuthorizationResponse, BoxError>>;
}

type ShowUrl = dyn Fn(&Url) + Send + Sync;

/// An [`AuthorizationHandler`] for desktop and command-line programs: listens on
/// `127.0.0.1`, opens the browser at the authorization URL (or prints it), and receives
/// `code`, `state` and `iss` at `http://127.0.0.1:<port>/callback` (RFC 8252 §7.3).
pub struct LoopbackRedirect {
    listener: tokio::sync::Mutex<TcpListener>,
    redirect_uri: String,
    path: String,
    timeout: Duration,
    open_browser: bool,
    show: Arc<ShowUrl>,
}

impl std::fmt::Debug for LoopbackRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoopbackRedirect")
            .field("redirect_uri", &self.redirect_uri)
            .field("timeout", &self.timeout)
            .field("open_browser", &self.open_browser)
            .finish()
    }
}

impl LoopbackRedirect {
    /// Listens on `127.0.0.1:port` (`0`: any free port) for the redirect to `/callback`.
    pub async fn bind(port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("127.0.0.1", port)).await?;
        let port = listener.local_addr()?.port();
        Ok(LoopbackRedirect {
            listener: tokio::sync::Mutex::new(listener),
            redirect_uri: format!("http://127.0.0.1:{port}/callback"),
            path: "/callback".into(),
            timeout: Duration::from_secs(300),
            open_browser: true,
            show: Arc::new(|url: &Url| {
                #[allow(clippy::print_stderr)] // the user must see where to go
                {
                    eprintln!("Open this address in your browser to authorize:\n  {url}");
                }
            }),
        })
    }

    /// How long to wait for the user (default 5 minutes).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether to open the system's browser (default `true`); the URL is shown either way.
    pub fn open_browser(mut self, open: bool) -> Self {
        self.open_browser = open;
        self
    }

    /// Shows the authorization URL with `show` instead of printing it to stderr.
    pub fn show_url(mut self, show: impl Fn(&Url) + Send + Sync + 'static) -> Self {
        self.show = Arc::new(show);
        self
    }

    async fn wait(&self, state: &str) -> Result<AuthorizationResponse, BoxError> {
        let listener = self.listener.lock().await;
        loop {
            let (mut stream, _) = listener.accept().await?;
            // One request line and headers, within a few seconds and 16 KiB.
            let mut buf = Vec::new();
            let read = tokio::time::timeout(Duration::from_secs(5), async {
                let mut chunk = [0u8; 2048];
                while buf.len() < 16 * 1024 && !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    let n = stream.read(&mut chunk).await?;
                    if n == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..n]);
                }
                Ok::<_, std::io::Error>(())
            })
            .await;
            if !matches!(read, Ok(Ok(()))) {
                continue;
            }
            let line = String::from_utf8_lossy(&buf);
            let target = line
                .lines()
                .next()
                .and_then(|l| l.strip_prefix("GET "))
                .and_then(|l| l.split(' ').next())
                .unwrap_or("");
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let response = AuthorizationResponse::from_query(query);
            let ours = path == self.path && response.state.as_deref() == Some(state);
            let (status, body) = if ours {
                (
                    "200 OK",
                    "<!doctype html><title>Authorized</title>\
                     <p>You can close this window and return to the application.</p>",
                )
            } else {
                ("404 Not Found", "<!doctype html><title>Not found</title>")
            };
            let reply = format!(
                "HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\n\
                 content-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
            let _ = stream.shutdown().await;
            if ours {
                return Ok(response);
            }
        }
    }
}

impl AuthorizationHandler for LoopbackRedirect {
    fn redirect_uri(&self) -> String {
        self.redirect_uri.clone()
    }

    fn authorize<'a>(
        &'a self,
        request: &'a AuthorizationRequest,
    ) -> BoxFuture<'a, Result<AuthorizationResponse, BoxError>> {
        Box::pin(async move {
            (self.show)(&request.url);
            if self.open_browser
                && let Err(e) = open_in_browser(request.url.as_str())
            {
                tracing::debug!(error = %e, "could not open a browser");
            }
            tokio::time::timeout(self.timeout, self.wait(&request.state))
                .await
                .map_err(|_| -> BoxError {
                    format!(
                        "no authorization arrived at {} within {:?}",
                        self.redirect_uri, self.timeout
                    )
                    .into()
                })?
        })
    }
}

/// Opens `url` in the system's browser, without waiting for it.
pub fn open_in_browser(url: &str) -> std::io::Result<()> {
    use std::process::{Command, Stdio};
    let mut cmd = if cfg!(target_os = "macos") {
        let mut c = Command::new("open");
        c.arg(url);
        c
    } else if cfg!(windows) {
        let mut c = Command::new("rundll32");
        c.arg("url.dll,FileProtocolHandler").arg(url);
        c
    } else {
        let mut c = Command::new("xdg-open");
        c.arg(url);
        c
    };
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(q: &str) -> AuthorizationResponse {
        AuthorizationResponse::from_query(q)
    }

    const AS: &str = "http://localhost:9000";

    #[test]
    fn iss_is_compared_exactly_whenever_present() {
        // Advertised and right.
        assert_eq!(
            response("code=c&state=s&iss=http%3A%2F%2Flocalhost%3A9000")
                .into_code("s", AS, true)
                .unwrap(),
            "c"
        );
        // Advertised and missing.
        assert!(matches!(
            response("code=c&state=s").into_code("s", AS, true),
            Err(OAuthError::IssuerParameter { found: None, .. })
        ));
        // Not advertised, missing: proceed.
        assert_eq!(
            response("code=c&state=s")
                .into_code("s", AS, false)
                .unwrap(),
            "c"
        );
        // Wrong, advertised or not.
        for advertised in [true, false] {
            assert!(
                response("code=c&state=s&iss=https://evil.example.com")
                    .into_code("s", AS, advertised)
                    .is_err()
            );
        }
        // No normalisation: a trailing slash or another case is another issuer.
        for iss in [
            "http://localhost:9000/",
            "HTTP://localhost:9000",
            "http://localhost:9000:80",
        ] {
            let q = format!("code=c&state=s&iss={}", urlencode(iss));
            assert!(response(&q).into_code("s", AS, true).is_err(), "{iss}");
        }
    }

    #[test]
    fn a_wrong_iss_hides_the_error() {
        let r = response("error=access_denied&state=s&iss=https://evil.example.com");
        assert!(matches!(
            r.into_code("s", AS, true),
            Err(OAuthError::IssuerParameter { .. })
        ));
        let r = response("error=access_denied&error_description=no&state=s");
        assert!(matches!(
            r.into_code("s", AS, false),
            Err(OAuthError::AuthorizationDenied { .. })
        ));
    }

    #[test]
    fn state_must_come_back() {
        assert!(matches!(
            response("code=c&state=other").into_code("s", AS, false),
            Err(OAuthError::StateMismatch)
        ));
        assert!(matches!(
            response("code=c").into_code("s", AS, false),
            Err(OAuthError::StateMismatch)
        ));
        assert!(matches!(
            response("state=s").into_code("s", AS, false),
            Err(OAuthError::MissingCode)
        ));
    }

    fn urlencode(s: &str) -> String {
        url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
    }

    #[tokio::test]
    async fn the_loopback_handler_receives_the_redirect() {
        let handler = LoopbackRedirect::bind(0)
            .await
            .unwrap()
            .open_browser(false)
            .show_url(|_| {})
            .timeout(Duration::from_secs(10));
        let redirect = handler.redirect_uri();
        assert!(redirect.starts_with("http://127.0.0.1:"));
        let request = AuthorizationRequest {
            url: Url::parse("http://127.0.0.1:1/authorize").unwrap(),
            redirect_uri: redirect.clone(),
            state: "st".into(),
        };
        let addr = redirect
            .trim_start_matches("http://")
            .trim_end_matches("/callback")
            .to_owned();
        let browser = tokio::spawn(async move {
            let get = |target: String| {
                let addr = addr.clone();
                async move {
                    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                    s.write_all(format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n").as_bytes())
                        .await
                        .unwrap();
                    let mut out = String::new();
                    s.read_to_string(&mut out).await.unwrap();
                    out
                }
            };
            // A stray request (a favicon, a stale tab) is not the answer.
            assert!(get("/favicon.ico".into()).await.starts_with("HTTP/1.1 404"));
            assert!(
                get("/callback?code=old&state=stale".into())
                    .await
                    .starts_with("HTTP/1.1 404")
            );
            get("/callback?code=abc&state=st&iss=http%3A%2F%2Fas".into()).await
        });
        let r = handler.authorize(&request).await.unwrap();
        assert_eq!(r.code.as_deref(), Some("abc"));
        assert_eq!(r.iss.as_deref(), Some("http://as"));
        assert!(browser.await.unwrap().starts_with("HTTP/1.1 200"));
    }
}
