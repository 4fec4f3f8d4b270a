//! Reading the per-request `_meta` of 2026-07-28 (protocol version, client identity and
//! capabilities) on every request, cheaply.
//!
//! The envelope parser indexes the members of `params._meta`, so each known key is parsed on
//! its own and nothing else is. A client sends the same capabilities and identity with every
//! request: the session remembers the last ones it parsed, by their exact JSON text, and
//! shares them instead of parsing them again. Anything unusual (no index, a value that does
//! not parse) takes the full parse of [`probe_meta`], which also names the field in error.

use std::borrow::Cow;
use std::sync::Arc;

use serde::de::DeserializeOwned;

use super::router::probe_meta;
use super::session::Session;
use crate::jsonrpc::{ErrorObject, RawJson};
use crate::types::{
    ClientCapabilities, Implementation, LoggingLevel, META_CLIENT_CAPABILITIES, META_CLIENT_INFO,
    META_LOG_LEVEL, META_PROGRESS_TOKEN, META_PROTOCOL_VERSION, ProgressToken, RequestMeta,
};

/// Cached values are at most this long (as JSON text); longer ones are parsed every time.
const MAX_CACHED: usize = 1024;

/// What the protocol layer needs from a request's `_meta`.
#[derive(Clone, Debug, Default)]
pub(crate) struct MetaParts<'a> {
    pub(crate) protocol_version: Option<Cow<'a, str>>,
    pub(crate) client_info: Option<Arc<Implementation>>,
    pub(crate) client_capabilities: Option<Arc<ClientCapabilities>>,
    pub(crate) progress_token: Option<ProgressToken>,
    pub(crate) log_level: Option<LoggingLevel>,
}

impl MetaParts<'_> {
    /// Whether this is the `_meta` of a 2026-07-28 request: it declares a protocol version or
    /// client capabilities.
    pub(crate) fn is_modern(&self) -> bool {
        self.protocol_version.is_some() || self.client_capabilities.is_some()
    }

    /// The same, owning its text.
    pub(crate) fn into_owned(self) -> MetaParts<'static> {
        MetaParts {
            protocol_version: self.protocol_version.map(|v| Cow::Owned(v.into_owned())),
            client_info: self.client_info,
            client_capabilities: self.client_capabilities,
            progress_token: self.progress_token,
            log_level: self.log_level,
        }
    }
}

impl From<RequestMeta> for MetaParts<'_> {
    fn from(meta: RequestMeta) -> Self {
        MetaParts {
            protocol_version: meta.protocol_version.map(Cow::Owned),
            client_info: meta.client_info.map(Arc::new),
            client_capabilities: meta.client_capabilities.map(Arc::new),
            progress_token: meta.progress_token,
            log_level: meta.log_level,
        }
    }
}

/// The client context the session parsed last, with the JSON text it was parsed from.
#[derive(Default)]
pub(crate) struct MetaCache {
    capabilities: Option<(Box<str>, Arc<ClientCapabilities>)>,
    client_info: Option<(Box<str>, Arc<Implementation>)>,
}

/// Reads the `_meta` of `params` (of a request arriving on `session`).
pub(crate) fn read<'a>(
    params: Option<&'a RawJson>,
    session: &Session,
) -> Result<Option<MetaParts<'a>>, ErrorObject> {
    let Some(p) = params else {
        return Ok(None);
    };
    if let Some(meta) = p.member_text("_meta") {
        let Some(meta) = meta.filter(|m| *m != "null") else {
            return Ok(None);
        };
        if let Some(parts) = fast(p, meta, session) {
            return Ok(Some(parts));
        }
    }
    probe_meta(params).map(|m| m.map(MetaParts::from))
}

/// The parts of `meta` (the text of `params._meta`) from the index of its members, or `None`
/// to take the full parse.
fn fast<'a>(params: &'a RawJson, meta: &'a str, session: &Session) -> Option<MetaParts<'a>> {
    let mut parts = MetaParts::default();
    // Never wait for the cache: another thread using it means parsing here.
    let mut cache = session.meta_cache.try_lock().ok();
    for (key, text) in params.members_of(meta)? {
        match key {
            META_PROTOCOL_VERSION => parts.protocol_version = Some(string(text)?),
            META_CLIENT_CAPABILITIES => {
                parts.client_capabilities = Some(cached(
                    cache.as_deref_mut().map(|c| &mut c.capabilities),
                    text,
                )?);
            }
            META_CLIENT_INFO => {
                parts.client_info = Some(cached(
                    cache.as_deref_mut().map(|c| &mut c.client_info),
                    text,
                )?);
            }
            META_PROGRESS_TOKEN => parts.progress_token = Some(parse(text)?),
            META_LOG_LEVEL => parts.log_level = Some(parse(text)?),
            // Other keys (`traceparent`, ...) are not the protocol layer's, but the full parse
            // reads them into JSON values, which refuses what the envelope scan lets through
            // (a number out of range, a lone surrogate): check them the same way.
            _ => {
                serde_json::from_str::<serde_json::Value>(text).ok()?;
            }
        }
    }
    Some(parts)
}

fn parse<T: DeserializeOwned>(text: &str) -> Option<T> {
    serde_json::from_str(text).ok()
}

/// A JSON string: borrowed when it has no escapes.
fn string(text: &str) -> Option<Cow<'_, str>> {
    match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
        Some(plain) if !plain.contains('\\') => Some(Cow::Borrowed(plain)),
        _ => parse::<String>(text).map(Cow::Owned),
    }
}

/// The value `text` parses to: the cached one when it was parsed from the same text.
fn cached<T: DeserializeOwned>(
    slot: Option<&mut Option<(Box<str>, Arc<T>)>>,
    text: &str,
) -> Option<Arc<T>> {
    if let Some(Some((seen, value))) = &slot
        && **seen == *text
    {
        return Some(value.clone());
    }
    let value = Arc::new(parse::<T>(text)?);
    if let Some(slot) = slot
        && text.len() <= MAX_CACHED
    {
        *slot = Some((text.into(), value.clone()));
    }
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::{Message, Parsed, parse_message};

    fn params(meta: &str) -> RawJson {
        let text = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"t","_meta":{meta}}}}}"#
        );
        match parse_message(text) {
            Ok(Parsed::Single(Message::Request(r))) => r.params.unwrap(),
            other => panic!("{other:?}"),
        }
    }

    fn session() -> Arc<Session> {
        let (tx, _rx) = tokio::sync::mpsc::unbounded_channel::<String>();
        Session::new(Arc::new(tx))
    }

    #[test]
    fn the_fast_read_agrees_with_the_full_parse() {
        let session = session();
        for meta in [
            "null",
            "{}",
            r#"{"progressToken":"p1"}"#,
            r#"{"progressToken":7,"io.modelcontextprotocol/logLevel":"debug"}"#,
            r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"roots":{}},"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"traceparent":"x"}"#,
            r#"{"io.modelcontextprotocol/protocolVersion":"2026\u002d07-28","io.modelcontextprotocol/clientCapabilities":{}}"#,
            // Repeated, escaped or bad members: the full parse decides.
            r#"{"progressToken":1,"progressToken":2}"#,
            r#"{"progr\u0065ssToken":1}"#,
            r#"{"io.modelcontextprotocol/protocolVersion":7}"#,
            r#"{"io.modelcontextprotocol/clientInfo":{"name":1}}"#,
            r#"{"io.modelcontextprotocol/logLevel":"loud"}"#,
            r#"{"progressToken":1,"traceparent":1e400}"#,
            r#"{"progressToken":1,"traceparent":"\uDC00\uD800"}"#,
            "[]",
        ] {
            let p = params(meta);
            // Twice: the second read may come from the session's cache.
            for _ in 0..2 {
                let fast = read(Some(&p), &session).map(|m| format!("{m:?}"));
                let full = probe_meta(Some(&p)).map(|m| format!("{:?}", m.map(MetaParts::from)));
                assert_eq!(fast, full, "{meta}");
            }
        }
    }

    #[test]
    fn the_cache_answers_only_for_the_same_text() {
        let session = session();
        let meta = |caps: &str| {
            params(&format!(
                r#"{{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{caps}}}"#
            ))
        };
        let caps = |p: &RawJson| {
            read(Some(p), &session)
                .unwrap()
                .unwrap()
                .client_capabilities
                .unwrap()
        };
        let first = caps(&meta("{}"));
        let again = caps(&meta("{}"));
        assert!(Arc::ptr_eq(&first, &again));
        let other = caps(&meta(r#"{"sampling":{}}"#));
        assert!(other.sampling.is_some());
        assert!(caps(&meta("{}")).sampling.is_none());
    }
}
