//! The "limit" servers' whole protocol: parse one JSON-RPC message with `serde_json`, answer
//! it. No SDK, no validation beyond what parsing gives, no sessions kept (the HTTP limit keeps
//! a set of ids): the cost of JSON-RPC itself, against which the SDK is measured.
//!
//! The answers have the same shape and size as mcpwire's (`content` with one text block,
//! `structuredContent` for `add`, `resultType` and `_meta.serverInfo` on 2026-07-28), so the
//! two are compared on equal work.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow)]
    method: Cow<'a, str>,
    #[serde(borrow, default)]
    params: Option<Params<'a>>,
}

#[derive(Deserialize, Default)]
struct Params<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    arguments: Option<Arguments<'a>>,
    #[serde(rename = "_meta", borrow, default)]
    meta: Option<Meta<'a>>,
}

#[derive(Deserialize, Default)]
struct Arguments<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
    #[serde(default)]
    a: Option<f64>,
    #[serde(default)]
    b: Option<f64>,
}

#[derive(Deserialize)]
struct Meta<'a> {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow, default)]
    protocol_version: Option<Cow<'a, str>>,
}

#[derive(Serialize)]
struct Text<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct Structured {
    result: f64,
}

#[derive(Serialize)]
struct ServerInfo {
    name: &'static str,
    version: &'static str,
}

const INFO: ServerInfo = ServerInfo {
    name: "limit-server",
    version: "0.1.0",
};

#[derive(Serialize)]
struct ResultMeta {
    #[serde(rename = "io.modelcontextprotocol/serverInfo")]
    server_info: ServerInfo,
}

#[derive(Serialize)]
struct CallResult<'a> {
    content: [Text<'a>; 1],
    #[serde(rename = "structuredContent", skip_serializing_if = "Option::is_none")]
    structured: Option<Structured>,
    #[serde(rename = "resultType", skip_serializing_if = "Option::is_none")]
    result_type: Option<&'static str>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    meta: Option<ResultMeta>,
}

const INITIALIZE_RESULT: &str = r#"{"protocolVersion":"2025-11-25","capabilities":{"tools":{"listChanged":true},"logging":{}},"serverInfo":{"name":"limit-server","version":"0.1.0"}}"#;
const DISCOVER_RESULT: &str = r#"{"supportedVersions":["2026-07-28","2025-11-25"],"capabilities":{"tools":{"listChanged":true},"logging":{}},"resultType":"complete","ttlMs":0,"cacheScope":"public","_meta":{"io.modelcontextprotocol/serverInfo":{"name":"limit-server","version":"0.1.0"}}}"#;

/// What [`answer`] did with a message.
#[derive(Debug, PartialEq, Eq)]
pub enum Answered {
    /// A notification: nothing to send.
    Nothing,
    /// A response was appended to the output.
    Response,
    /// The response to `initialize` was appended (the HTTP limit opens a session).
    Initialized,
}

/// Answers one message, appending the response (without a newline) to `out`.
pub fn answer(message: &[u8], out: &mut Vec<u8>) -> Answered {
    let req: Request<'_> = match serde_json::from_slice(message) {
        Ok(r) => r,
        Err(_) => {
            out.extend_from_slice(
                br#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error"}}"#,
            );
            return Answered::Response;
        }
    };
    let Some(id) = req.id else {
        return Answered::Nothing;
    };
    let params = req.params.unwrap_or_default();
    let modern = params
        .meta
        .as_ref()
        .is_some_and(|m| m.protocol_version.is_some());
    out.extend_from_slice(br#"{"jsonrpc":"2.0","id":"#);
    out.extend_from_slice(id.get().as_bytes());
    let mut answered = Answered::Response;
    match &*req.method {
        "tools/call" => {
            let args = params.arguments.unwrap_or_default();
            let (text, structured) = match params.name.as_deref() {
                Some("add") => {
                    let sum = args.a.unwrap_or(0.0) + args.b.unwrap_or(0.0);
                    (
                        Cow::Owned(format!("{sum:?}")),
                        Some(Structured { result: sum }),
                    )
                }
                _ => (args.text.unwrap_or(Cow::Borrowed("")), None),
            };
            let result = CallResult {
                content: [Text {
                    kind: "text",
                    text: &text,
                }],
                structured,
                result_type: modern.then_some("complete"),
                meta: modern.then_some(ResultMeta { server_info: INFO }),
            };
            out.extend_from_slice(br#","result":"#);
            // Serialising these types into memory cannot fail.
            let _ = serde_json::to_writer(&mut *out, &result);
        }
        "initialize" => {
            out.extend_from_slice(br#","result":"#);
            out.extend_from_slice(INITIALIZE_RESULT.as_bytes());
            answered = Answered::Initialized;
        }
        "server/discover" => {
            out.extend_from_slice(br#","result":"#);
            out.extend_from_slice(DISCOVER_RESULT.as_bytes());
        }
        "ping" => out.extend_from_slice(br#","result":{}"#),
        _ => out.extend_from_slice(br#","error":{"code":-32601,"message":"Method not found"}"#),
    }
    out.push(b'}');
    answered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(message: &str) -> (Answered, serde_json::Value) {
        let mut out = Vec::new();
        let a = answer(message.as_bytes(), &mut out);
        let v = if out.is_empty() {
            serde_json::Value::Null
        } else {
            serde_json::from_slice(&out).unwrap()
        };
        (a, v)
    }

    #[test]
    fn answers_like_the_benchmark_server() {
        let (a, v) = reply(
            r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hi \"you\""}}}"#,
        );
        assert_eq!(a, Answered::Response);
        assert_eq!(v["id"], 3);
        assert_eq!(v["result"]["content"][0]["text"], "hi \"you\"");
        assert!(v["result"].get("resultType").is_none());
        let (_, v) = reply(
            r#"{"jsonrpc":"2.0","id":"x","method":"tools/call","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"},"name":"add","arguments":{"a":1,"b":2}}}"#,
        );
        assert_eq!(v["id"], "x");
        assert_eq!(v["result"]["structuredContent"]["result"], 3.0);
        assert_eq!(v["result"]["resultType"], "complete");
        let (a, v) = reply(r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{}}"#);
        assert_eq!(a, Answered::Initialized);
        assert_eq!(v["result"]["protocolVersion"], "2025-11-25");
        let (a, _) = reply(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        assert_eq!(a, Answered::Nothing);
        let (_, v) = reply(r#"{"jsonrpc":"2.0","id":1,"method":"nope"}"#);
        assert_eq!(v["error"]["code"], -32601);
        let (_, v) = reply("garbage");
        assert_eq!(v["error"]["code"], -32700);
    }
}
