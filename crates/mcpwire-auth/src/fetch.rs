//! How verifiers reach the authorization server (JWKS documents, token introspection).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response};
use http_body_util::{BodyExt as _, Full, Limited};
use mcpwire_core::connection::BoxFuture;

/// Sends the few HTTP requests verifiers make: JWKS fetches and introspection calls.
///
/// [`HyperFetcher`] is the default; implement this to reuse your own HTTP client (for
/// proxies, custom TLS roots, or `https://` without the `tls` feature).
pub trait HttpFetcher: Send + Sync + 'static {
    /// Sends `request` and reads the whole response.
    fn fetch(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, FetchError>>;
}

impl<T: HttpFetcher + ?Sized> HttpFetcher for Arc<T> {
    fn fetch(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, FetchError>> {
        (**self).fetch(request)
    }
}

/// Why a document could not be fetched.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL cannot be fetched by this fetcher (for example `https://` without TLS).
    #[error("cannot fetch `{url}`: {reason}")]
    Unsupported {
        /// The URL.
        url: String,
        /// Why.
        reason: &'static str,
    },
    /// The connection or the exchange failed.
    #[error("request to `{url}` failed: {source}")]
    Http {
        /// The URL.
        url: String,
        /// The underlying error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// No answer within the time limit.
    #[error("request to `{url}` timed out after {after:?}")]
    Timeout {
        /// The URL.
        url: String,
        /// The limit.
        after: Duration,
    },
    /// The server answered with an unexpected status.
    #[error("`{url}` answered {status}")]
    Status {
        /// The URL.
        url: String,
        /// The status.
        status: http::StatusCode,
    },
    /// The answer was not the expected document.
    #[error("`{url}` sent an invalid document: {reason}")]
    Document {
        /// The URL.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
}

#[cfg(feature = "tls")]
type Connector = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;
#[cfg(not(feature = "tls"))]
type Connector = hyper_util::client::legacy::connect::HttpConnector;

/// The built-in [`HttpFetcher`] (hyper): `http://` always, `https://` with the `tls`
/// feature (rustls and the platform's root certificates). Answers are limited in size
/// (1 MiB) and time (10 s by default).
#[derive(Clone)]
pub struct HyperFetcher {
    client: hyper_util::client::legacy::Client<Connector, Full<Bytes>>,
    timeout: Duration,
    max_bytes: usize,
}

impl std::fmt::Debug for HyperFetcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HyperFetcher")
            .field("timeout", &self.timeout)
            .field("tls", &cfg!(feature = "tls"))
            .finish()
    }
}

impl Default for HyperFetcher {
    fn default() -> Self {
        Self::new()
    }
}

impl HyperFetcher {
    /// A fetcher with the defaults.
    pub fn new() -> Self {
        let builder =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new());
        HyperFetcher {
            client: builder.build(connector()),
            timeout: Duration::from_secs(10),
            max_bytes: 1024 * 1024,
        }
    }

    /// Gives up on a request after `timeout` (default 10 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

#[cfg(feature = "tls")]
fn connector() -> Connector {
    // An explicit provider: the process default may be unset, or ambiguous when other
    // crates enable a second rustls backend.
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = match hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(provider.clone())
    {
        Ok(b) => b,
        Err(e) => {
            // https fetches then fail with a certificate error; the process goes on.
            tracing::warn!(error = %e, "no platform root certificates; https fetches will fail");
            let config = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .expect("the ring provider supports TLS 1.2 and 1.3")
                .with_root_certificates(rustls::RootCertStore::empty())
                .with_no_client_auth();
            hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(config)
        }
    };
    builder.https_or_http().enable_http1().build()
}

#[cfg(not(feature = "tls"))]
fn connector() -> Connector {
    hyper_util::client::legacy::connect::HttpConnector::new()
}

impl HttpFetcher for HyperFetcher {
    fn fetch(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, FetchError>> {
        Box::pin(async move {
            let url = request.uri().to_string();
            if !cfg!(feature = "tls") && request.uri().scheme_str() == Some("https") {
                return Err(FetchError::Unsupported {
                    url,
                    reason: "https needs the `tls` feature of mcpwire-auth, or an HttpFetcher of your own",
                });
            }
            let request = request.map(Full::new);
            let exchange = async {
                let response =
                    self.client
                        .request(request)
                        .await
                        .map_err(|e| FetchError::Http {
                            url: url.clone(),
                            source: Box::new(e),
                        })?;
                let (parts, body) = response.into_parts();
                let bytes = Limited::new(body, self.max_bytes)
                    .collect()
                    .await
                    .map_err(|e| FetchError::Http {
                        url: url.clone(),
                        source: e,
                    })?
                    .to_bytes();
                Ok(Response::from_parts(parts, bytes))
            };
            match tokio::time::timeout(self.timeout, exchange).await {
                Ok(r) => r,
                Err(_) => Err(FetchError::Timeout {
                    url,
                    after: self.timeout,
                }),
            }
        })
    }
}
