//! The HTTP requests of the OAuth flow, behind [`HttpFetch`] so that any HTTP stack (with
//! TLS, proxies, …) can carry them.

use std::time::Duration;

use bytes::Bytes;
use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt as _, Full, Limited};
use hyper_util::client::legacy::Client as HyperClient;
use hyper_util::rt::TokioExecutor;
use mcpwire_core::connection::BoxFuture;
use serde::de::DeserializeOwned;
use url::Url;

use super::OAuthError;
use crate::client::auth::BoxError;

/// Sends the HTTP requests of the OAuth flow (metadata, registration, tokens).
///
/// Implementations return the whole response and **never follow redirects**. The default,
/// [`PlainHttp`], speaks plain `http` only; give
/// [`OAuthClientBuilder::http_client`](super::OAuthClientBuilder::http_client) one built on
/// a TLS-capable stack to reach `https` authorization servers.
pub trait HttpFetch: Send + Sync + 'static {
    /// Sends `request` and returns the response with its whole body.
    fn fetch(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, BoxError>>;
}

/// An [`HttpFetch`] over hyper: `http`, and `https` with the `tls` feature; with a timeout
/// and a body limit.
#[derive(Clone, Debug)]
pub struct PlainHttp {
    client: HyperClient<crate::client::connect::Connector, Full<Bytes>>,
    timeout: Duration,
    max_body: usize,
}

impl Default for PlainHttp {
    fn default() -> Self {
        Self::new()
    }
}

impl PlainHttp {
    /// A client with a 30 s timeout per request and a 1 MiB body limit.
    pub fn new() -> Self {
        let client = HyperClient::builder(TokioExecutor::new())
            .build(crate::client::connect::connector(None));
        PlainHttp {
            client,
            timeout: Duration::from_secs(30),
            max_body: 1024 * 1024,
        }
    }

    /// A client using `config` for `https://` (feature `tls`): your own root certificates,
    /// for example.
    #[cfg(feature = "tls")]
    pub fn with_tls(config: std::sync::Arc<rustls::ClientConfig>) -> Self {
        PlainHttp {
            client: HyperClient::builder(TokioExecutor::new())
                .build(crate::client::connect::connector(Some(&config))),
            ..Self::new()
        }
    }

    /// Sets the time limit of one request, body included.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Sets the largest response body accepted.
    pub fn max_body(mut self, bytes: usize) -> Self {
        self.max_body = bytes;
        self
    }

    async fn send(&self, request: Request<Bytes>) -> Result<Response<Bytes>, BoxError> {
        if !crate::client::connect::supported_scheme(request.uri().scheme_str()) {
            return Err(format!(
                "`{}`: the built-in HTTP client speaks http, and https only with \
                 mcpwire-http's `tls` feature (or give OAuthClientBuilder::http_client \
                 a client of your own)",
                request.uri()
            )
            .into());
        }
        let (parts, body) = request.into_parts();
        let request = Request::from_parts(parts, Full::new(body));
        let response = self.client.request(request).await?;
        let (parts, body) = response.into_parts();
        let body = Limited::new(body, self.max_body)
            .collect()
            .await?
            .to_bytes();
        Ok(Response::from_parts(parts, body))
    }
}

impl HttpFetch for PlainHttp {
    fn fetch(&self, request: Request<Bytes>) -> BoxFuture<'_, Result<Response<Bytes>, BoxError>> {
        Box::pin(async move {
            let uri = request.uri().to_string();
            tokio::time::timeout(self.timeout, self.send(request))
                .await
                .map_err(|_| format!("`{uri}` did not answer within {:?}", self.timeout))?
        })
    }
}

/// What a request to the authorization server came back with.
pub(crate) struct Answer {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
    pub(crate) url: String,
}

impl Answer {
    /// The body as `T`, whatever the status.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, OAuthError> {
        serde_json::from_slice(&self.body).map_err(|e| OAuthError::InvalidResponse {
            url: self.url.clone(),
            reason: e.to_string(),
        })
    }

    /// A short, printable excerpt of the body.
    pub(crate) fn excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(200) {
            Some((i, _)) => format!("{}…", &text[..i]),
            None => text.to_owned(),
        }
    }
}

/// Sends one request through `http`.
pub(crate) async fn send(
    http: &dyn HttpFetch,
    method: Method,
    url: &Url,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, OAuthError> {
    let mut request = Request::new(body);
    *request.method_mut() = method;
    *request.uri_mut() =
        url.as_str()
            .parse()
            .map_err(|e: http::uri::InvalidUri| OAuthError::InvalidUrl {
                url: url.to_string(),
                reason: e.to_string(),
            })?;
    *request.headers_mut() = headers;
    let response = http.fetch(request).await.map_err(|e| OAuthError::Http {
        url: url.to_string(),
        source: e,
    })?;
    let (parts, body) = response.into_parts();
    Ok(Answer {
        status: parts.status,
        headers: parts.headers,
        body,
        url: url.to_string(),
    })
}

/// `GET url` asking for JSON.
pub(crate) async fn get_json(http: &dyn HttpFetch, url: &Url) -> Result<Answer, OAuthError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    send(http, Method::GET, url, headers, Bytes::new()).await
}

/// `POST url` with a JSON body.
pub(crate) async fn post_json(
    http: &dyn HttpFetch,
    url: &Url,
    body: &serde_json::Value,
) -> Result<Answer, OAuthError> {
    let mut headers = HeaderMap::new();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    send(
        http,
        Method::POST,
        url,
        headers,
        Bytes::from(body.to_string()),
    )
    .await
}

/// `POST url` with a form body (`application/x-www-form-urlencoded`) and extra `headers`.
pub(crate) async fn post_form(
    http: &dyn HttpFetch,
    url: &Url,
    form: &[(&str, &str)],
    mut headers: HeaderMap,
) -> Result<Answer, OAuthError> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form)
        .finish();
    headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-www-form-urlencoded"),
    );
    send(http, Method::POST, url, headers, Bytes::from(body)).await
}
