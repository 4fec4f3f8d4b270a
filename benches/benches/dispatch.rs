//! Micro-benchmarks of dispatch: one `tools/call` through the server's service stack
//! (protocol layer, router, tool handler, result encoding), with 1 and with 1,000 tools
//! registered, on both eras; and `initialize` opening a session.
//!
//! ```sh
//! cargo bench -p mcpwire-benches --bench dispatch
//! ```

use std::hint::black_box;
use std::sync::Arc;

use criterion::{Criterion, criterion_group, criterion_main};
use mcpwire::connection::Outbound;
use mcpwire::jsonrpc::{Message, Parsed, RawJson, RequestId};
use mcpwire::prelude::*;
use mcpwire::server::{McpRequest, Negotiated, Session};
use mcpwire::tool;
use mcpwire::types::{ClientCapabilities, Implementation};
use schemars::JsonSchema;
use serde::Deserialize;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// Answer the text.
#[tool]
async fn echo(
    /// The text.
    text: String,
) -> String {
    text
}

#[derive(Deserialize, JsonSchema)]
struct FillerArgs {
    text: String,
}

fn server(extra: usize) -> Server {
    let mut s = mcpwire::server!().tool(echo);
    for i in 0..extra {
        s = s.tool(
            ToolDef::builder(format!("tool_{i:04}"))
                .handler(|a: FillerArgs, _ctx: RequestContext| async move { a.text }),
        );
    }
    s
}

struct Discard;

impl Outbound for Discard {
    fn send(&self, _message: String) -> bool {
        true
    }
}

fn params(text: &str) -> Option<RawJson> {
    match mcpwire::jsonrpc::parse_message(text.to_owned()) {
        Ok(Parsed::Single(Message::Request(r))) => r.params,
        _ => None,
    }
}

const LEGACY: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello, benchmark"}}}"#;
const MODERN: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}},"name":"echo","arguments":{"text":"hello, benchmark"}}}"#;

fn dispatch(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime");
    let mut g = c.benchmark_group("dispatch tools/call");
    for tools in [0usize, 1000] {
        let server = server(tools);
        let service = server.clone().into_service();
        let channel: Arc<dyn Outbound> = Arc::new(Discard);
        let session = Session::initialized(
            channel.clone(),
            Negotiated::new(
                ProtocolVersion::V2025_11_25,
                ClientCapabilities::default(),
                Implementation::new("bench", "1"),
            ),
        );
        for (era, text) in [("legacy", LEGACY), ("2026", MODERN)] {
            let p = params(text);
            let name = format!("{era}, {} tools", tools + 1);
            g.bench_function(name, |b| {
                b.iter(|| {
                    let req = McpRequest::new(
                        RequestId::Number(1),
                        "tools/call",
                        p.clone(),
                        session.clone(),
                        channel.clone(),
                        CancellationToken::new(),
                    );
                    let svc = service.clone();
                    let response = rt.block_on(svc.oneshot(req));
                    black_box(response.map(|r| r.encode(&RequestId::Number(1))))
                })
            });
        }
    }
    g.finish();
}

criterion_group!(benches, dispatch);
criterion_main!(benches);
