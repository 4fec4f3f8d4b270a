//! The harness of the integration tests: connect our client to the fixture server over a
//! chosen wire and era, with every message validated against the spec's schema.

#![allow(dead_code, unreachable_pub)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use mcpwire_core::client::{Client, ClientBuilder, ConnectMode};
use mcpwire_core::server::Server;
use mcpwire_core::transport::memory;
use mcpwire_core::types::*;
use mcpwire_core::{Era, ProtocolVersion};
use mcpwire_stdio::ChildProcess;
use mcpwire_tests::fixture;
use mcpwire_tests::tap::{Recorder, Tap};

/// How the client reaches the server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wire {
    /// The in-memory duplex transport.
    Memory,
    /// A spawned `fixture-server` process over stdio.
    Stdio,
    /// Streamable HTTP on a loopback port.
    Http,
    /// WebSocket on a loopback port.
    Ws,
}

/// One combination to run a test in.
#[derive(Clone, Copy, Debug)]
pub struct Setup {
    pub wire: Wire,
    pub mode: ConnectMode,
}

impl Setup {
    pub fn era(&self) -> Era {
        match self.mode {
            ConnectMode::Legacy(_) => Era::Legacy,
            _ => Era::Modern,
        }
    }

    pub fn version(&self) -> ProtocolVersion {
        match self.mode {
            ConnectMode::Legacy(v) | ConnectMode::Modern(v) => v,
            _ => ProtocolVersion::LATEST,
        }
    }
}

/// The main combinations: both wires, both eras (the stdio modern one via auto detection).
pub fn setups() -> Vec<Setup> {
    vec![
        Setup {
            wire: Wire::Memory,
            mode: ConnectMode::Modern(ProtocolVersion::V2026_07_28),
        },
        Setup {
            wire: Wire::Memory,
            mode: ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
        },
        Setup {
            wire: Wire::Stdio,
            mode: ConnectMode::Auto,
        },
        Setup {
            wire: Wire::Stdio,
            mode: ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
        },
        Setup {
            wire: Wire::Http,
            mode: ConnectMode::Auto,
        },
        Setup {
            wire: Wire::Http,
            mode: ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
        },
        Setup {
            wire: Wire::Ws,
            mode: ConnectMode::Auto,
        },
        Setup {
            wire: Wire::Ws,
            mode: ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
        },
    ]
}

/// The older legacy revisions, for the basics.
pub fn older_setups() -> Vec<Setup> {
    [
        ProtocolVersion::V2025_06_18,
        ProtocolVersion::V2025_03_26,
        ProtocolVersion::V2024_11_05,
    ]
    .into_iter()
    .map(|v| Setup {
        wire: Wire::Memory,
        mode: ConnectMode::Legacy(v),
    })
    .collect()
}

/// A connected client and what it recorded.
pub struct Connected {
    pub client: Client,
    pub recorder: Recorder,
    pub logs: Arc<Mutex<Vec<LoggingMessageNotificationParams>>>,
    pub setup: Setup,
}

impl Connected {
    /// Checks that every message both sides sent was valid for the revision in use.
    pub fn finish(self) {
        self.client.close();
        self.recorder.assert_clean();
    }
}

/// A client answering elicitations ("Ada", then "Grace", ...), sampling and roots.
pub fn full_client(logs: Arc<Mutex<Vec<LoggingMessageNotificationParams>>>) -> ClientBuilder {
    let names = Arc::new(AtomicUsize::new(0));
    Client::builder()
        .info(Implementation::new("mcpwire-tests", "0.0.1"))
        .on_elicitation(move |_params| {
            let n = names.fetch_add(1, Ordering::SeqCst);
            async move {
                let name = ["Ada", "Grace", "Barbara"][n % 3];
                let mut content = JsonObject::new();
                content.insert("name".into(), name.into());
                Ok(ElicitResult::accept(content))
            }
        })
        .on_sampling(|params| async move {
            let question = params
                .messages
                .first()
                .and_then(|m| m.content.as_slice().first())
                .and_then(SamplingContent::as_text)
                .unwrap_or_default()
                .to_owned();
            Ok(CreateMessageResult::text(
                "test-model",
                format!("echo: {question}"),
            ))
        })
        .roots(vec![Root::new("file:///tmp/project").with_name("project")])
        .on_logging(move |m| logs.lock().unwrap().push(m))
}

/// Serves `server` over Streamable HTTP on a free loopback port; returns the endpoint URL.
/// The server runs until the test's runtime ends.
pub async fn http_server(server: Server) -> String {
    http_server_with(server, mcpwire_http::HttpConfig::default()).await
}

/// [`http_server`] with settings.
pub async fn http_server_with(server: Server, config: mcpwire_http::HttpConfig) -> String {
    let http = mcpwire_http::HttpServer::bind_with("127.0.0.1:0", server, config)
        .await
        .expect("bind");
    let url = http.url();
    tokio::spawn(http.run());
    url
}

/// Connects a fully capable client to the fixture server.
pub async fn connect(setup: Setup) -> Connected {
    connect_with(setup, None, |b| b).await
}

/// Connects with a page size and a customised client builder.
pub async fn connect_with(
    setup: Setup,
    page_size: Option<usize>,
    customize: impl FnOnce(ClientBuilder) -> ClientBuilder,
) -> Connected {
    let logs = Arc::new(Mutex::new(Vec::new()));
    let recorder = Recorder::new();
    let builder = customize(full_client(logs.clone()).mode(setup.mode));
    let client = match setup.wire {
        Wire::Memory => {
            let server: Server = fixture::server(page_size);
            let (client_side, server_side) = memory::duplex();
            tokio::spawn(async move {
                let _ = server.serve(server_side).await;
            });
            builder
                .connect(Tap::new(client_side, recorder.clone()))
                .await
        }
        Wire::Stdio => {
            let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_fixture-server"));
            if let Some(n) = page_size {
                cmd.args(["--page-size", &n.to_string()]);
            }
            let child = ChildProcess::from_command(cmd).expect("spawn fixture-server");
            builder.connect(Tap::new(child, recorder.clone())).await
        }
        Wire::Http => {
            let url = http_server(fixture::server(page_size)).await;
            let transport = mcpwire_http::HttpTransport::new(&url).expect("url");
            builder.connect(Tap::new(transport, recorder.clone())).await
        }
        Wire::Ws => {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            let addr = listener.local_addr().expect("address");
            tokio::spawn(mcpwire_ws::serve_ws(
                fixture::server(page_size),
                listener,
                mcpwire_ws::WsConfig::default(),
            ));
            let transport = mcpwire_ws::WsTransport::connect(&format!("ws://{addr}/mcp"))
                .await
                .expect("connect");
            builder.connect(Tap::new(transport, recorder.clone())).await
        }
    }
    .unwrap_or_else(|e| panic!("connecting {setup:?}: {e}"));
    Connected {
        client,
        recorder,
        logs,
        setup,
    }
}
