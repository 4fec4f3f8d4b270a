//! Protocol rules checked message by message, with a raw JSON-RPC peer over the in-memory
//! transport: version and `_meta` checks, the legacy handshake, MRTR state handling, the
//! shape of results on each era.

use std::time::Duration;

use mcpwire_core::transport::memory::{self, MemoryTransport};
use mcpwire_core::transport::{MessageSink, MessageStream, Transport};
use mcpwire_tests::fixture;
use mcpwire_tests::tap::{Recorder, Side};
use serde_json::{Value, json};

/// A hand-driven client: sends raw JSON, reads raw JSON; validates both directions.
struct Raw {
    sink: <MemoryTransport as Transport>::Sink,
    stream: <MemoryTransport as Transport>::Stream,
    recorder: Recorder,
}

impl Raw {
    fn new() -> Raw {
        Self::with_server(fixture::server(None))
    }

    fn with_server(server: mcpwire_core::server::Server) -> Raw {
        let (client, server_side) = memory::duplex();
        tokio::spawn(async move {
            let _ = server.serve(server_side).await;
        });
        let (sink, stream) = client.split();
        Raw {
            sink,
            stream,
            recorder: Recorder::server_only(),
        }
    }

    async fn send(&mut self, v: Value) {
        let text = v.to_string();
        self.recorder.observe(Side::Client, &text);
        self.sink.send(text).await.unwrap();
    }

    async fn recv(&mut self) -> Value {
        let text = tokio::time::timeout(Duration::from_secs(5), self.stream.recv())
            .await
            .expect("a message within 5 s")
            .expect("the server is still there")
            .unwrap();
        self.recorder.observe(Side::Server, &text);
        serde_json::from_str(&text).unwrap()
    }

    /// Sends a request and returns its response, collecting notifications on the way.
    async fn call(&mut self, v: Value) -> (Value, Vec<Value>) {
        let id = v["id"].clone();
        self.send(v).await;
        let mut notes = Vec::new();
        loop {
            let m = self.recv().await;
            if m.get("id") == Some(&id) && m.get("method").is_none() {
                return (m, notes);
            }
            notes.push(m);
        }
    }

    async fn initialize(&mut self, version: &str) -> Value {
        let (r, _) = self
            .call(json!({"jsonrpc":"2.0","id":"init","method":"initialize","params":{
                "protocolVersion": version, "capabilities": {}, "clientInfo": {"name":"raw","version":"1"}}}))
            .await;
        self.send(json!({"jsonrpc":"2.0","method":"notifications/initialized"}))
            .await;
        r
    }
}

fn meta(caps: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "raw", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": caps,
    })
}

fn modern(id: i64, method: &str, mut params: Value) -> Value {
    params["_meta"] = meta(json!({}));
    json!({"jsonrpc":"2.0","id":id,"method":method,"params":params})
}

#[tokio::test]
async fn the_tap_catches_schema_violations() {
    let r = Recorder::new();
    r.observe(
        Side::Client,
        &modern(1, "tools/list", json!({})).to_string(),
    );
    // A 2026-07-28 result without `resultType`, `ttlMs` and `cacheScope`.
    r.observe(
        Side::Server,
        r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[]}}"#,
    );
    assert!(!r.failures().is_empty());
    let r = Recorder::new();
    r.observe(Side::Client, r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"x","version":"1"}}}"#);
    // An initialize result without `serverInfo`.
    r.observe(
        Side::Server,
        r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-11-25","capabilities":{}}}"#,
    );
    assert_eq!(r.failures().len(), 1, "{:?}", r.failures());
}

#[tokio::test]
async fn modern_requests_need_their_meta_and_a_supported_version() {
    let mut raw = Raw::new();
    let (r, _) = raw
        .call(json!({"jsonrpc":"2.0","id":1,"method":"server/discover","params":{}}))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    let (r, _) = raw
        .call(
            json!({"jsonrpc":"2.0","id":2,"method":"server/discover","params":{"_meta":{
            "io.modelcontextprotocol/clientCapabilities": {}}}}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602, "missing protocolVersion: {r}");
    let (r, _) = raw
        .call(
            json!({"jsonrpc":"2.0","id":3,"method":"server/discover","params":{"_meta":{
            "io.modelcontextprotocol/protocolVersion": "2026-07-28"}}}),
        )
        .await;
    assert_eq!(
        r["error"]["code"], -32602,
        "missing clientCapabilities: {r}"
    );
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("clientCapabilities")
    );
    let mut req = modern(4, "server/discover", json!({}));
    req["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"] = json!("v999.0.0");
    let (r, _) = raw.call(req).await;
    assert_eq!(r["id"], 4);
    assert_eq!(r["error"]["code"], -32022);
    assert_eq!(r["error"]["data"]["requested"], "v999.0.0");
    assert_eq!(r["error"]["data"]["supported"], json!(["2026-07-28"]));
    // clientInfo is optional.
    let mut req = modern(5, "server/discover", json!({}));
    req["params"]["_meta"]
        .as_object_mut()
        .unwrap()
        .remove("io.modelcontextprotocol/clientInfo");
    let (r, _) = raw.call(req).await;
    let result = &r["result"];
    assert_eq!(result["resultType"], "complete");
    assert_eq!(
        result["supportedVersions"],
        json!([
            "2026-07-28",
            "2025-11-25",
            "2025-06-18",
            "2025-03-26",
            "2024-11-05"
        ])
    );
    assert_eq!(
        result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"],
        "fixture"
    );
    assert!(result["ttlMs"].is_u64() && result["cacheScope"] == "public");
    // Methods that exist only on the legacy era are unknown on the modern one.
    for (i, m) in [
        "initialize",
        "ping",
        "logging/setLevel",
        "resources/subscribe",
        "resources/unsubscribe",
    ]
    .iter()
    .enumerate()
    {
        let (r, _) = raw
            .call(modern(
                10 + i as i64,
                m,
                json!({"uri": "x", "level": "info"}),
            ))
            .await;
        assert_eq!(r["error"]["code"], -32601, "{m}: {r}");
    }
    let (r, _) = raw.call(modern(20, "unknown/method", json!({}))).await;
    assert_eq!(r["error"]["code"], -32601);
    raw.recorder.assert_clean();
}

#[tokio::test]
async fn modern_results_carry_cache_hints_and_server_identity() {
    let mut raw = Raw::new();
    for (id, method, params) in [
        (1, "tools/list", json!({})),
        (2, "prompts/list", json!({})),
        (3, "resources/list", json!({})),
        (4, "resources/templates/list", json!({})),
        (5, "resources/read", json!({"uri": "fixture://static"})),
    ] {
        let (r, _) = raw.call(modern(id, method, params)).await;
        let result = &r["result"];
        assert_eq!(result["resultType"], "complete", "{method}");
        assert!(result["ttlMs"].is_u64(), "{method}");
        assert!(result["cacheScope"].is_string(), "{method}");
        assert_eq!(
            result["_meta"]["io.modelcontextprotocol/serverInfo"]["version"],
            "1.2.3"
        );
    }
    let (r, _) = raw
        .call(modern(
            6,
            "tools/call",
            json!({"name": "echo", "arguments": {"text": "x"}}),
        ))
        .await;
    assert_eq!(r["result"]["resultType"], "complete");
    assert!(r["result"].get("ttlMs").is_none());
    // Tools are listed in a deterministic order.
    let (a, _) = raw.call(modern(7, "tools/list", json!({}))).await;
    let (b, _) = raw.call(modern(8, "tools/list", json!({}))).await;
    assert_eq!(a["result"]["tools"], b["result"]["tools"]);
    raw.recorder.assert_clean();
}

#[tokio::test]
async fn legacy_handshake_rules() {
    let mut raw = Raw::new();
    // Nothing but ping before initialize.
    let (r, _) = raw
        .call(json!({"jsonrpc":"2.0","id":1,"method":"tools/list"}))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    assert!(
        r["error"]["message"]
            .as_str()
            .unwrap()
            .contains("initialize")
    );
    let (r, _) = raw
        .call(json!({"jsonrpc":"2.0","id":2,"method":"ping"}))
        .await;
    assert_eq!(r["result"], json!({}));
    // An unknown revision is answered with the newest legacy one.
    let r = raw.initialize("1999-01-01").await;
    assert_eq!(r["result"]["protocolVersion"], "2025-11-25");
    assert_eq!(r["result"]["serverInfo"]["name"], "fixture");
    assert!(r["result"].get("resultType").is_none());
    // Legacy empty results are exactly `{}`.
    for (id, method, params) in [
        (3, "ping", json!({})),
        (4, "logging/setLevel", json!({"level": "info"})),
        (
            5,
            "resources/subscribe",
            json!({"uri": "fixture://watched"}),
        ),
        (
            6,
            "resources/unsubscribe",
            json!({"uri": "fixture://watched"}),
        ),
    ] {
        let (r, _) = raw
            .call(json!({"jsonrpc":"2.0","id":id,"method":method,"params":params}))
            .await;
        assert_eq!(r["result"], json!({}), "{method}");
    }
    // A second initialize on the same session is refused.
    let (r, _) = raw
        .call(json!({"jsonrpc":"2.0","id":7,"method":"initialize","params":{
            "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name":"raw","version":"1"}}}))
        .await;
    assert_eq!(r["error"]["code"], -32600);
    // Modern-only methods do not exist on a legacy session.
    let (r, _) = raw
        .call(json!({"jsonrpc":"2.0","id":8,"method":"server/discover"}))
        .await;
    assert_eq!(r["error"]["code"], -32601);
    // Lists have no modern fields.
    let (r, _) = raw
        .call(json!({"jsonrpc":"2.0","id":9,"method":"tools/list"}))
        .await;
    assert!(r["result"].get("ttlMs").is_none() && r["result"].get("resultType").is_none());
    // An invalid log level names the problem.
    let (r, _) = raw
        .call(
            json!({"jsonrpc":"2.0","id":10,"method":"logging/setLevel","params":{"level":"loud"}}),
        )
        .await;
    assert_eq!(r["error"]["code"], -32602);
    raw.recorder.assert_clean();
}

#[tokio::test]
async fn both_eras_are_served_on_one_connection() {
    let mut raw = Raw::new();
    raw.initialize("2025-06-18").await;
    let (legacy, _) = raw.call(json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"a"}}})).await;
    assert!(legacy["result"].get("resultType").is_none());
    let (modern_r, _) = raw
        .call(modern(
            2,
            "tools/call",
            json!({"name":"echo","arguments":{"text":"b"}}),
        ))
        .await;
    assert_eq!(modern_r["result"]["resultType"], "complete");
}

#[tokio::test]
async fn mrtr_state_is_sealed_bound_and_checked() {
    let mut raw = Raw::new();
    let caps = json!({"elicitation": {}});
    let call = |id: i64, extra: Value| {
        let mut params = json!({"name": "ask_name", "arguments": {}});
        for (k, v) in extra.as_object().unwrap() {
            params[k] = v.clone();
        }
        params["_meta"] = meta(caps.clone());
        json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":params})
    };
    let (r, _) = raw.call(call(1, json!({}))).await;
    let result = &r["result"];
    assert_eq!(result["resultType"], "input_required");
    let requests = result["inputRequests"].as_object().unwrap();
    assert_eq!(requests.len(), 1);
    let (key, request) = requests.iter().next().unwrap();
    assert_eq!(request["method"], "elicitation/create");
    assert_eq!(
        request["params"]["requestedSchema"]["properties"]["name"]["type"],
        "string"
    );
    let state = result["requestState"].as_str().unwrap().to_owned();
    let answer = json!({key: {"action": "accept", "content": {"name": "Ada"}}});

    // A tampered state is refused.
    let (r, _) = raw
        .call(call(
            2,
            json!({"inputResponses": answer, "requestState": format!("{state}x")}),
        ))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    // So is a state presented on a different request.
    let mut other = call(3, json!({"inputResponses": answer, "requestState": state}));
    other["params"]["arguments"] = json!({"extra": 1});
    let (r, _) = raw.call(other).await;
    assert_eq!(r["error"]["code"], -32602);
    // The genuine retry completes.
    let (r, _) = raw
        .call(call(
            4,
            json!({"inputResponses": answer, "requestState": state}),
        ))
        .await;
    assert_eq!(r["result"]["content"][0]["text"], "hello Ada");
    // Answers without a state are taken at face value.
    let (r, _) = raw.call(call(5, json!({"inputResponses": answer}))).await;
    assert_eq!(r["result"]["content"][0]["text"], "hello Ada");
    // A missing answer is asked for again; unknown extra answers are ignored.
    let (r, _) = raw
        .call(call(
            6,
            json!({"inputResponses": {"wrong_key": {"action": "decline"}}}),
        ))
        .await;
    assert_eq!(r["result"]["resultType"], "input_required");
    // An answer of the wrong shape is a protocol error.
    let (r, _) = raw
        .call(call(7, json!({"inputResponses": {key: 12345}})))
        .await;
    assert_eq!(r["error"]["code"], -32602);
    // Without the capability the server does not ask: -32021.
    let mut no_caps = call(8, json!({}));
    no_caps["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"] =
        json!({"sampling": {}});
    let (r, _) = raw.call(no_caps).await;
    assert_eq!(r["error"]["code"], -32021);
    assert_eq!(
        r["error"]["data"]["requiredCapabilities"]["elicitation"],
        json!({"form": {}})
    );
    // Lists never answer input_required.
    let (r, _) = raw.call(modern(9, "tools/list", json!({}))).await;
    assert_eq!(r["result"]["resultType"], "complete");
    raw.recorder.assert_clean();
}

#[tokio::test]
async fn listen_streams_are_acknowledged_tagged_and_filtered() {
    let mut raw = Raw::new();
    raw.send(modern(
        1,
        "subscriptions/listen",
        json!({"notifications": {"promptsListChanged": true, "toolsListChanged": true}}),
    ))
    .await;
    let ack = raw.recv().await;
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(
        ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        1
    );
    assert_eq!(
        ack["params"]["notifications"],
        json!({"toolsListChanged": true, "promptsListChanged": true})
    );
    raw.send(modern(
        2,
        "subscriptions/listen",
        json!({"notifications": {"resourceSubscriptions": ["fixture://watched"]}}),
    ))
    .await;
    let ack2 = raw.recv().await;
    assert_eq!(
        ack2["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        2
    );
    let (_, notes) = raw
        .call(modern(
            3,
            "tools/call",
            json!({"name": "add_tool", "arguments": {"name": "t1"}}),
        ))
        .await;
    // Only the first stream asked for tool changes.
    let changes: Vec<&Value> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/tools/list_changed")
        .collect();
    assert_eq!(changes.len(), 1, "{notes:?}");
    assert_eq!(
        changes[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        1
    );
    let (_, notes) = raw
        .call(modern(
            4,
            "tools/call",
            json!({"name": "touch", "arguments": {"uri": "fixture://watched"}}),
        ))
        .await;
    let updated: Vec<&Value> = notes
        .iter()
        .filter(|n| n["method"] == "notifications/resources/updated")
        .collect();
    assert_eq!(updated.len(), 1);
    assert_eq!(
        updated[0]["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        2
    );
    // Cancelling a stream ends it without a response.
    raw.send(json!({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}))
        .await;
    let (_, notes) = raw
        .call(modern(
            5,
            "tools/call",
            json!({"name": "remove_tool", "arguments": {"name": "t1"}}),
        ))
        .await;
    assert!(
        notes
            .iter()
            .all(|n| n["method"] != "notifications/tools/list_changed"),
        "{notes:?}"
    );
    raw.recorder.assert_clean();
}

#[tokio::test]
async fn a_server_shutdown_ends_listen_streams_gracefully() {
    let server = fixture::server(None);
    let mut raw = Raw::with_server(server.clone());
    raw.send(modern(
        7,
        "subscriptions/listen",
        json!({"notifications": {"toolsListChanged": true}}),
    ))
    .await;
    assert_eq!(
        raw.recv().await["method"],
        "notifications/subscriptions/acknowledged"
    );
    server.shutdown();
    let cancelled = raw.recv().await;
    assert_eq!(cancelled["method"], "notifications/cancelled");
    assert_eq!(cancelled["params"]["requestId"], 7);
    let end = raw.recv().await;
    assert_eq!(end["id"], 7);
    assert_eq!(
        end["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"],
        7
    );
    raw.recorder.assert_clean();
}

#[tokio::test]
async fn batches_of_2025_03_26_get_array_answers() {
    let mut raw = Raw::new();
    raw.initialize("2025-03-26").await;
    raw.sink
        .send(r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}},{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"b"}}}]"#.into())
        .await
        .unwrap();
    let text = raw.stream.recv().await.unwrap().unwrap();
    let answers: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(answers.len(), 2);
    assert_eq!(answers[0]["id"], 1);
    assert_eq!(answers[1]["result"]["content"][0]["text"], "b");
}
