//! The request headers of Streamable HTTP: names, value encoding, and the `x-mcp-header`
//! annotations that mirror tool arguments into `Mcp-Param-{Name}` headers (2026-07-28).

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;

/// `MCP-Protocol-Version`.
pub const PROTOCOL_VERSION: &str = "mcp-protocol-version";
/// `Mcp-Session-Id` (legacy era).
pub const SESSION_ID: &str = "mcp-session-id";
/// `Mcp-Method` (2026-07-28).
pub const METHOD: &str = "mcp-method";
/// `Mcp-Name` (2026-07-28).
pub const NAME: &str = "mcp-name";
/// Prefix of the headers mirroring tool arguments (2026-07-28).
pub const PARAM_PREFIX: &str = "mcp-param-";
/// `Last-Event-ID` (legacy resumption).
pub const LAST_EVENT_ID: &str = "last-event-id";

const SENTINEL_START: &str = "=?base64?";
const SENTINEL_END: &str = "?=";

fn is_plain_safe(v: &str) -> bool {
    let padded = v.starts_with([' ', '\t']) || v.ends_with([' ', '\t']);
    let printable = v.bytes().all(|b| (0x20..=0x7e).contains(&b));
    let looks_encoded = v.starts_with(SENTINEL_START) && v.ends_with(SENTINEL_END);
    printable && !padded && !looks_encoded
}

/// Encodes a value for an `Mcp-Name` or `Mcp-Param-*` header: as is when it is plain
/// printable ASCII without surrounding whitespace, else `=?base64?...?=`.
pub fn encode_value(v: &str) -> String {
    if is_plain_safe(v) {
        v.to_owned()
    } else {
        format!(
            "{SENTINEL_START}{}{SENTINEL_END}",
            STANDARD.encode(v.as_bytes())
        )
    }
}

/// Decodes a header value: the Base64 sentinel form, or a plain value (which must consist
/// of visible ASCII, space and tab). Surrounding whitespace of plain values is trimmed, as
/// HTTP field values are.
pub fn decode_value(raw: &[u8]) -> Result<String, &'static str> {
    let text = std::str::from_utf8(raw).map_err(|_| "the value is not ASCII")?;
    if !text
        .bytes()
        .all(|b| b == b'\t' || (0x20..=0x7e).contains(&b))
    {
        return Err("the value contains characters not allowed in a header");
    }
    let text = text.trim_matches([' ', '\t']);
    if let Some(inner) = text
        .strip_prefix(SENTINEL_START)
        .and_then(|t| t.strip_suffix(SENTINEL_END))
    {
        let bytes = STANDARD
            .decode(inner)
            .map_err(|_| "the Base64 value is malformed")?;
        return String::from_utf8(bytes).map_err(|_| "the Base64 value is not UTF-8");
    }
    Ok(text.to_owned())
}

pub use mcpwire_core::param_headers::{
    HeaderParam, ParamKind, header_params, param_value, value_matches,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_encode_per_the_spec_table() {
        for (raw, enc) in [
            ("us-west1", "us-west1"),
            ("Hello, 世界", "=?base64?SGVsbG8sIOS4lueVjA==?="),
            (" padded ", "=?base64?IHBhZGRlZCA=?="),
            ("line1\nline2", "=?base64?bGluZTEKbGluZTI=?="),
            ("=?base64?literal?=", "=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?="),
            ("us west 1", "us west 1"),
            ("", ""),
        ] {
            assert_eq!(encode_value(raw), enc, "{raw:?}");
            assert_eq!(decode_value(enc.as_bytes()).unwrap(), raw, "{enc:?}");
        }
        assert!(decode_value(b"=?base64?SGVsbG8?=").is_err());
        assert!(decode_value(b"=?base64?SGVs!!!bG8=?=").is_err());
        assert_eq!(decode_value(b"SGVsbG8=").unwrap(), "SGVsbG8=");
        assert_eq!(decode_value(b"  name  ").unwrap(), "name");
        assert!(decode_value("caf\u{e9}".as_bytes()).is_err());
    }
}
