//! How the client side connects: plain `http`, and `https` too with the `tls` feature.

use hyper_util::client::legacy::connect::HttpConnector;

/// The connector of the client transport and the OAuth client's HTTP client.
#[cfg(feature = "tls")]
pub(crate) type Connector = hyper_rustls::HttpsConnector<HttpConnector>;
/// The connector of the client transport and the OAuth client's HTTP client.
#[cfg(not(feature = "tls"))]
pub(crate) type Connector = HttpConnector;

/// TLS settings of the client side (feature `tls`).
#[cfg(feature = "tls")]
pub(crate) type TlsConfig = std::sync::Arc<rustls::ClientConfig>;
/// TLS settings of the client side (none without the `tls` feature).
#[cfg(not(feature = "tls"))]
pub(crate) type TlsConfig = ();

/// Whether `https://` URLs can be reached.
pub(crate) const HTTPS: bool = cfg!(feature = "tls");

/// Rustls with the ring provider and Mozilla's root certificates.
#[cfg(feature = "tls")]
pub(crate) fn default_tls() -> TlsConfig {
    let roots = rustls::RootCertStore::from_iter(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("the ring provider supports the default TLS versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    std::sync::Arc::new(config)
}

/// A connector with TCP_NODELAY, speaking TLS to `https://` URLs when the feature is on.
#[cfg_attr(not(feature = "tls"), allow(unused_variables))]
pub(crate) fn connector(tls: Option<&TlsConfig>) -> Connector {
    let mut http = HttpConnector::new();
    http.set_nodelay(true);
    #[cfg(feature = "tls")]
    {
        http.enforce_http(false);
        let config = tls.cloned().unwrap_or_else(default_tls);
        hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config((*config).clone())
            .https_or_http()
            .enable_http1()
            .enable_http2()
            .wrap_connector(http)
    }
    #[cfg(not(feature = "tls"))]
    http
}

/// Whether a URL's scheme can be reached by this build.
pub(crate) fn supported_scheme(scheme: Option<&str>) -> bool {
    match scheme {
        Some("http") => true,
        Some("https") => HTTPS,
        _ => false,
    }
}
