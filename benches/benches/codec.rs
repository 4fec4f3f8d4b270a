//! Micro-benchmarks of the JSON-RPC codec: parsing typical incoming messages (envelope only,
//! then the params into their type) and writing typical outgoing ones.
//!
//! ```sh
//! cargo bench -p mcpwire-benches --bench codec
//! ```

use std::hint::black_box;

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use mcpwire::jsonrpc::{self, Message, Parsed, RequestId};
use mcpwire::server::McpResponse;
use mcpwire::types::{CallToolRequestParams, CallToolResult, ContentBlock};

const CALL_LEGACY: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello, benchmark"}}}"#;
const CALL_MODERN: &str = r#"{"jsonrpc":"2.0","id":42,"method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"mcpwire-loadgen","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}},"name":"echo","arguments":{"text":"hello, benchmark"}}}"#;
const INITIALIZE: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{"roots":{"listChanged":true},"sampling":{}},"clientInfo":{"name":"bench","version":"1.0.0"}}}"#;
const RESULT: &str =
    r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hello, benchmark"}]}}"#;

fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    for (name, text) in [
        ("tools/call legacy", CALL_LEGACY),
        ("tools/call 2026", CALL_MODERN),
        ("initialize", INITIALIZE),
        ("result", RESULT),
    ] {
        g.bench_function(name, |b| {
            // The copy of the text (what a transport hands over) is made outside the timing.
            b.iter_batched(
                || black_box(text).to_owned(),
                jsonrpc::parse_message,
                BatchSize::SmallInput,
            )
        });
    }
    g.bench_function("tools/call params", |b| {
        let Ok(Parsed::Single(Message::Request(req))) = jsonrpc::parse_message(CALL_LEGACY.into())
        else {
            panic!("the fixture is a request");
        };
        b.iter(|| jsonrpc::parse_params::<CallToolRequestParams>(black_box(req.params.as_ref())))
    });
    g.finish();
}

fn serialise(c: &mut Criterion) {
    let mut g = c.benchmark_group("serialise");
    let result = CallToolResult::success(vec![ContentBlock::text("hello, benchmark")]);
    let id = RequestId::Number(42);
    g.bench_function("CallToolResult response", |b| {
        b.iter(|| McpResponse::result(black_box(&result)).encode(black_box(&id)))
    });
    g.bench_function("request", |b| {
        let params = serde_json::json!({"name": "echo", "arguments": {"text": "hello"}});
        b.iter(|| jsonrpc::encode_request(black_box(&id), "tools/call", Some(black_box(&params))))
    });
    g.bench_function("error response", |b| {
        let e = mcpwire::ErrorObject::method_not_found("nope");
        b.iter(|| jsonrpc::encode_error(Some(black_box(&id)), black_box(&e)))
    });
    g.finish();
}

criterion_group!(benches, parse, serialise);
criterion_main!(benches);
