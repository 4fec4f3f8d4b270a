//! The raw MCP messages the load generator sends, for either protocol era, and the check
//! every answer passes.
//!
//! Nothing here uses the SDK: requests are JSON texts built from templates, answers are read
//! with a borrowing `serde_json` parse of the envelope, so any MCP server can be driven.

use serde::Deserialize;
use serde_json::value::RawValue;

/// The protocol era a run speaks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Era {
    /// 2025-11-25: `initialize` first (one session per connection or `Mcp-Session-Id`).
    Legacy,
    /// 2026-07-28: stateless requests carrying `_meta` (and headers over HTTP).
    Modern,
}

impl Era {
    /// Parses `legacy` or `modern`.
    pub fn parse(s: &str) -> Option<Era> {
        match s {
            "legacy" | "2025-11-25" => Some(Era::Legacy),
            "modern" | "2026-07-28" => Some(Era::Modern),
            _ => None,
        }
    }

    /// The protocol version string of the era.
    pub fn version(self) -> &'static str {
        match self {
            Era::Legacy => LEGACY_VERSION,
            Era::Modern => MODERN_VERSION,
        }
    }

    /// A short name for tables.
    pub fn name(self) -> &'static str {
        match self {
            Era::Legacy => "legacy",
            Era::Modern => "2026",
        }
    }
}

/// The legacy revision the load generator negotiates.
pub const LEGACY_VERSION: &str = "2025-11-25";
/// The stateless revision.
pub const MODERN_VERSION: &str = "2026-07-28";

/// The `_meta` every 2026-07-28 request carries.
const MODERN_META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"mcpwire-loadgen","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}"#;

/// Which tool a run calls, and with what.
#[derive(Clone, Debug)]
pub struct Workload {
    /// The tool's name.
    pub tool: String,
    /// The `arguments` object, as JSON text.
    pub arguments: String,
}

impl Default for Workload {
    fn default() -> Self {
        Workload {
            tool: "echo".into(),
            arguments: r#"{"text":"hello, benchmark"}"#.into(),
        }
    }
}

impl Workload {
    /// A workload; `arguments` must be a JSON object.
    pub fn new(tool: &str, arguments: &str) -> Result<Workload, String> {
        let value: serde_json::Value = serde_json::from_str(arguments)
            .map_err(|e| format!("the tool arguments are not JSON: {e}"))?;
        if !value.is_object() {
            return Err("the tool arguments must be a JSON object".into());
        }
        let tool_json = serde_json::to_string(tool).map_err(|e| e.to_string())?;
        if tool_json.len() != tool.len() + 2 {
            return Err("the tool name needs JSON escapes; use a plain name".into());
        }
        Ok(Workload {
            tool: tool.into(),
            // Compact, so a request is one line on stdio.
            arguments: value.to_string(),
        })
    }
}

/// A request text cut around its id, so request `n` costs one small concatenation.
#[derive(Clone, Debug)]
pub struct Template {
    head: String,
    tail: String,
}

impl Template {
    /// The request `method` with `params` (a JSON object text, or `None`).
    pub fn new(method: &str, params: Option<&str>) -> Template {
        let tail = match params {
            Some(p) => format!(r#","method":"{method}","params":{p}}}"#),
            None => format!(r#","method":"{method}"}}"#),
        };
        Template {
            head: r#"{"jsonrpc":"2.0","id":"#.into(),
            tail,
        }
    }

    /// The request with id `id`, appended to `out`.
    pub fn write(&self, id: u64, out: &mut Vec<u8>) {
        out.extend_from_slice(self.head.as_bytes());
        let mut digits = [0u8; 20];
        out.extend_from_slice(format_u64(id, &mut digits));
        out.extend_from_slice(self.tail.as_bytes());
    }

    /// The request with id `id`.
    pub fn text(&self, id: u64) -> String {
        let mut out = Vec::with_capacity(self.head.len() + self.tail.len() + 20);
        self.write(id, &mut out);
        // Only ASCII digits were inserted into valid UTF-8.
        String::from_utf8(out).unwrap_or_default()
    }
}

fn format_u64(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    &buf[i..]
}

/// The `tools/call` request of `workload` in `era`.
pub fn tool_call(era: Era, workload: &Workload) -> Template {
    let params = match era {
        Era::Legacy => format!(
            r#"{{"name":"{}","arguments":{}}}"#,
            workload.tool, workload.arguments
        ),
        Era::Modern => format!(
            r#"{{{MODERN_META},"name":"{}","arguments":{}}}"#,
            workload.tool, workload.arguments
        ),
    };
    Template::new("tools/call", Some(&params))
}

/// The legacy `initialize` request.
pub fn initialize() -> Template {
    Template::new(
        "initialize",
        Some(&format!(
            r#"{{"protocolVersion":"{LEGACY_VERSION}","capabilities":{{}},"clientInfo":{{"name":"mcpwire-loadgen","version":"1"}}}}"#
        )),
    )
}

/// The 2026-07-28 `server/discover` request.
pub fn discover() -> Template {
    Template::new("server/discover", Some(&format!("{{{MODERN_META}}}")))
}

/// The first request of a connection in `era`: `initialize` or `server/discover`.
pub fn first_request(era: Era) -> Template {
    match era {
        Era::Legacy => initialize(),
        Era::Modern => discover(),
    }
}

/// The notification that completes the legacy handshake.
pub const INITIALIZED: &str = r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#;

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default)]
    id: Option<serde_json::Value>,
    #[serde(borrow, default)]
    method: Option<&'a str>,
    #[serde(default)]
    result: Option<ResultProbe>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct ResultProbe {
    #[serde(rename = "isError", default)]
    is_error: Option<bool>,
}

/// What one received message turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum Received {
    /// A successful answer to request `id`.
    Answer(u64),
    /// A notification from the server (logging, progress): not an answer.
    Notification,
}

/// Checks one received message: a successful result for a numeric id the caller sent, or a
/// notification. Errors, tool errors, server requests and garbage are failures, described.
pub fn check(text: &[u8]) -> Result<Received, String> {
    let env: Envelope<'_> = serde_json::from_slice(text)
        .map_err(|e| format!("unreadable message ({e}): {}", excerpt(text)))?;
    if let Some(method) = env.method {
        return if env.id.is_some() {
            Err(format!(
                "the server sent a request ({method}); the load generator answers none"
            ))
        } else {
            Ok(Received::Notification)
        };
    }
    if let Some(error) = env.error {
        return Err(format!("error response: {}", error.get()));
    }
    let id = env
        .id
        .as_ref()
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| format!("response without a numeric id: {}", excerpt(text)))?;
    match env.result {
        None => Err(format!("response without a result: {}", excerpt(text))),
        Some(ResultProbe {
            is_error: Some(true),
        }) => Err(format!("the tool failed: {}", excerpt(text))),
        Some(_) => Ok(Received::Answer(id)),
    }
}

/// The start of `text`, for error messages.
pub fn excerpt(text: &[u8]) -> String {
    let s = String::from_utf8_lossy(text);
    if s.len() > 300 {
        let mut end = 300;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}...", &s[..end])
    } else {
        s.into_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_make_valid_requests_in_both_eras() {
        let w = Workload::default();
        let legacy: serde_json::Value =
            serde_json::from_str(&tool_call(Era::Legacy, &w).text(42)).unwrap();
        assert_eq!(legacy["id"], 42);
        assert_eq!(legacy["params"]["name"], "echo");
        assert!(legacy["params"].get("_meta").is_none());
        let modern: serde_json::Value =
            serde_json::from_str(&tool_call(Era::Modern, &w).text(0)).unwrap();
        assert_eq!(modern["id"], 0);
        assert_eq!(
            modern["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"],
            "2026-07-28"
        );
        assert!(
            modern["params"]["_meta"]["io.modelcontextprotocol/clientCapabilities"].is_object()
        );
        let init: serde_json::Value = serde_json::from_str(&initialize().text(7)).unwrap();
        assert_eq!(init["params"]["protocolVersion"], LEGACY_VERSION);
        let discover: serde_json::Value = serde_json::from_str(&discover().text(1)).unwrap();
        assert_eq!(discover["method"], "server/discover");
    }

    #[test]
    fn workloads_refuse_bad_arguments() {
        assert!(Workload::new("add", r#"{"a":1,"b":2}"#).is_ok());
        assert!(Workload::new("add", "[1]").is_err());
        assert!(Workload::new("add", "{").is_err());
        assert!(Workload::new("a\"b", "{}").is_err());
    }

    #[test]
    fn checks_tell_answers_from_failures() {
        assert_eq!(
            check(br#"{"jsonrpc":"2.0","id":3,"result":{"content":[]}}"#),
            Ok(Received::Answer(3))
        );
        assert_eq!(
            check(br#"{"jsonrpc":"2.0","method":"notifications/message","params":{}}"#),
            Ok(Received::Notification)
        );
        for bad in [
            &br#"{"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no"}}"#[..],
            br#"{"jsonrpc":"2.0","id":3,"result":{"content":[],"isError":true}}"#,
            br#"{"jsonrpc":"2.0","id":"x","result":{}}"#,
            br#"{"jsonrpc":"2.0","id":1,"method":"roots/list"}"#,
            b"not json",
        ] {
            assert!(check(bad).is_err(), "{}", excerpt(bad));
        }
    }
}
