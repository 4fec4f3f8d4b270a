//! The client transport over `https://` (feature `tls`): a TLS server with a certificate of
//! our own, trusted through `HttpClientConfig::tls_config`, on both eras; the default roots
//! refuse that certificate with a clear error.

use std::sync::Arc;
use std::time::Duration;

use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use mcpwire_core::ProtocolVersion;
use mcpwire_core::client::{Client, ConnectMode};
use mcpwire_http::{HttpClientConfig, HttpTransport, McpHttpService};
use mcpwire_tests::fixture;
use serde_json::json;

const WAIT: Duration = Duration::from_secs(10);

/// Serves the fixture over TLS on a loopback port; returns the port and the certificate.
async fn tls_server() -> (u16, rustls::pki_types::CertificateDer<'static>) {
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let der = cert.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::try_from(cert.signing_key.serialize_der()).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let service = McpHttpService::new(fixture::server(None));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let acceptor = acceptor.clone();
            let service = service.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let _ = Builder::new(TokioExecutor::new())
                    .serve_connection(TokioIo::new(tls), TowerToHyperService::new(service))
                    .await;
            });
        }
    });
    (port, der)
}

fn trusting(cert: rustls::pki_types::CertificateDer<'static>) -> Arc<rustls::ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    Arc::new(
        rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .unwrap()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

#[tokio::test]
async fn https_with_our_own_root_works_on_both_eras() {
    let (port, cert) = tls_server().await;
    let url = format!("https://localhost:{port}/mcp");
    for (mode, era) in [
        (ConnectMode::Auto, mcpwire_core::Era::Modern),
        (
            ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
            mcpwire_core::Era::Legacy,
        ),
    ] {
        let config = HttpClientConfig::new(&url)
            .unwrap()
            .tls_config(trusting(cert.clone()));
        let client = tokio::time::timeout(
            WAIT,
            Client::builder()
                .mode(mode)
                .connect(HttpTransport::with_config(config)),
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(client.protocol_version().era(), era);
        let r = tokio::time::timeout(WAIT, client.call_tool("echo", json!({"text": "over tls"})))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.text_content(), "over tls");
        client.close();
    }
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_clearly() {
    let (port, _cert) = tls_server().await;
    let url = format!("https://localhost:{port}/mcp");
    let result = tokio::time::timeout(
        WAIT,
        Client::builder()
            .mode(ConnectMode::Legacy(ProtocolVersion::V2025_11_25))
            .connect(HttpTransport::new(&url).unwrap()),
    )
    .await
    .expect("no hang");
    let e = result.expect_err("a self-signed certificate is not trusted by default");
    let text = e.to_string().to_lowercase();
    assert!(text.contains("certificate") || text.contains("tls"), "{e}");
}
