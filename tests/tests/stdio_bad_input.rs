//! Bad input over a real stdio pipe: each gets the spec's answer and the server keeps serving.

use std::process::Stdio;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

struct Proc {
    child: Child,
    stdin: ChildStdin,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl Proc {
    fn spawn() -> Proc {
        let mut child = Command::new(env!("CARGO_BIN_EXE_fixture-server"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        Proc {
            child,
            stdin,
            stdout,
        }
    }

    async fn write(&mut self, bytes: &[u8]) {
        self.stdin.write_all(bytes).await.unwrap();
        self.stdin.flush().await.unwrap();
    }

    async fn line(&mut self, text: &str) {
        self.write(format!("{text}\n").as_bytes()).await;
    }

    async fn read(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.stdout.next_line())
            .await
            .expect("an answer within 10 s")
            .unwrap()
            .expect("stdout still open");
        serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("stdout carried non-JSON ({e}): {line}"))
    }

    async fn initialize(&mut self) {
        self.line(r#"{"jsonrpc":"2.0","id":"init","method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}"#).await;
        assert_eq!(self.read().await["id"], "init");
        self.line(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#)
            .await;
    }

    /// The server still answers a normal request.
    async fn still_serving(&mut self, id: i64) {
        self.line(&json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":"echo","arguments":{"text":"alive"}}}).to_string()).await;
        let r = self.read().await;
        assert_eq!(r["id"], id);
        assert_eq!(r["result"]["content"][0]["text"], "alive", "{r}");
    }
}

#[tokio::test]
async fn a_request_before_initialize_is_refused() {
    let mut p = Proc::spawn();
    p.line(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .await;
    let r = p.read().await;
    assert_eq!(r["id"], 1);
    assert_eq!(r["error"]["code"], -32602);
    p.initialize().await;
    p.still_serving(2).await;
}

#[tokio::test]
async fn malformed_messages_get_errors_and_serving_goes_on() {
    let mut p = Proc::spawn();
    p.initialize().await;
    let cases: &[(&str, i64, Value)] = &[
        // truncated JSON
        (
            r#"{"jsonrpc":"2.0","id":5,"method":"tools/li"#,
            -32700,
            Value::Null,
        ),
        // not JSON at all
        ("hello there", -32700, Value::Null),
        // wrong type for a param: the error names the field
        (
            r#"{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":7}}"#,
            -32602,
            json!(6),
        ),
        // unknown method
        (
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/explode","params":{}}"#,
            -32601,
            json!(7),
        ),
        // wrong jsonrpc version
        (
            r#"{"jsonrpc":"1.0","id":8,"method":"ping"}"#,
            -32600,
            json!(8),
        ),
        // params that are not an object
        (
            r#"{"jsonrpc":"2.0","id":9,"method":"ping","params":"x"}"#,
            -32600,
            json!(9),
        ),
        // an id of the wrong type
        (
            r#"{"jsonrpc":"2.0","id":{"x":1},"method":"ping"}"#,
            -32600,
            Value::Null,
        ),
    ];
    for (i, (text, code, id)) in cases.iter().enumerate() {
        p.line(text).await;
        let r = p.read().await;
        assert_eq!(r["error"]["code"], *code, "{text}: {r}");
        assert_eq!(r["id"], *id, "{text}: {r}");
        if *code == -32602 {
            assert!(
                r["error"]["message"].as_str().unwrap().contains("name"),
                "{r}"
            );
        }
        p.still_serving(100 + i as i64).await;
    }
}

#[tokio::test]
async fn a_10_mb_line_is_refused_and_the_next_line_is_served() {
    let mut p = Proc::spawn();
    p.initialize().await;
    let big = format!(
        "{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{{\"name\":\"echo\",\"arguments\":{{\"text\":\"{}\"}}}}}}\n",
        "x".repeat(10 * 1024 * 1024)
    );
    p.write(big.as_bytes()).await;
    let r = p.read().await;
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(
        r["error"]["message"].as_str().unwrap().contains("bytes"),
        "{r}"
    );
    p.still_serving(2).await;
}

#[tokio::test]
async fn stray_notifications_and_responses_are_ignored() {
    let mut p = Proc::spawn();
    p.initialize().await;
    // Cancelling a request that does not exist, a malformed cancellation, an unknown
    // notification, a response to nothing, invalid UTF-8: none gets an answer...
    p.line(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":"nope"}}"#)
        .await;
    p.line(r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{"bad":true}}}"#).await;
    p.line(r#"{"jsonrpc":"2.0","method":"notifications/whatever"}"#)
        .await;
    p.line(r#"{"jsonrpc":"2.0","id":12345,"result":{}}"#).await;
    // ...except invalid UTF-8, which is an invalid request.
    p.write(b"\xff\xfe\xfd\n").await;
    let r = p.read().await;
    assert_eq!(r["error"]["code"], -32600);
    p.still_serving(1).await;
}

#[tokio::test]
async fn closing_stdin_lets_running_requests_finish_then_exits() {
    let mut p = Proc::spawn();
    p.initialize().await;
    p.line(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"slow","arguments":{"ms":300}}}"#).await;
    drop(p.stdin);
    let r = tokio::time::timeout(Duration::from_secs(10), p.stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let r: Value = serde_json::from_str(&r).unwrap();
    assert_eq!(r["result"]["content"][0]["text"], "done");
    let status = tokio::time::timeout(Duration::from_secs(10), p.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success());
}

#[tokio::test]
async fn an_abrupt_disconnect_mid_request_does_not_crash_the_server() {
    let mut p = Proc::spawn();
    p.initialize().await;
    p.line(r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"progress","arguments":{"steps":1000},"_meta":{"progressToken":1}}}"#).await;
    // Read one progress notification, then vanish without reading the rest.
    let first = p.read().await;
    assert_eq!(first["method"], "notifications/progress");
    drop(p.stdout);
    drop(p.stdin);
    let status = tokio::time::timeout(Duration::from_secs(15), p.child.wait())
        .await
        .unwrap()
        .unwrap();
    // Writing to a closed pipe ends the server; it must not panic (exit code 101).
    assert_ne!(status.code(), Some(101), "{status:?}");
}
