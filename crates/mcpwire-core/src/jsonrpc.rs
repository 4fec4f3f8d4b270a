//! JSON-RPC 2.0 framing: request ids, error objects, error codes and the envelope parser.
//!
//! Incoming text is parsed in two steps. [`parse_message`] reads only the envelope
//! (`jsonrpc`, `id`, `method`, and where `params`, `result` and `error` start and end);
//! `params` and `result` stay as raw JSON slices of the received buffer until the route
//! is known, and are then parsed once into the handler's type with [`parse_params`].

use std::borrow::Cow;
use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use serde::de::{self, DeserializeOwned, Deserializer, Visitor};
use serde::ser::Serializer;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_json::value::RawValue;

mod scan;

/// The `jsonrpc` member every message carries.
pub const JSONRPC_VERSION: &str = "2.0";

/// A request id: a string or an integer (MCP forbids `null`).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(Arc<str>),
}

impl RequestId {
    /// The id as JSON.
    pub fn to_value(&self) -> Value {
        match self {
            RequestId::Number(n) => Value::from(*n),
            RequestId::String(s) => Value::from(&**s),
        }
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => f.write_str(s),
        }
    }
}

impl From<i64> for RequestId {
    fn from(n: i64) -> Self {
        RequestId::Number(n)
    }
}

impl From<&str> for RequestId {
    fn from(s: &str) -> Self {
        RequestId::String(s.into())
    }
}

impl From<String> for RequestId {
    fn from(s: String) -> Self {
        RequestId::String(s.into())
    }
}

impl Serialize for RequestId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            RequestId::Number(n) => s.serialize_i64(*n),
            RequestId::String(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = RequestId;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or integer request id")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<RequestId, E> {
                Ok(RequestId::Number(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<RequestId, E> {
                i64::try_from(v)
                    .map(RequestId::Number)
                    .map_err(|_| E::custom("request id out of range"))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<RequestId, E> {
                // Some peers write integral ids as floats (`1.0`); accept those only.
                if v.fract() == 0.0 && v.abs() < 9.007_199_254_740_992e15 {
                    Ok(RequestId::Number(v as i64))
                } else {
                    Err(E::custom("request id must be an integer or a string"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<RequestId, E> {
                Ok(RequestId::String(v.into()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A JSON-RPC error code, with named constants for every code JSON-RPC and MCP define.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    /// `-32700`: the message is not valid JSON.
    pub const PARSE_ERROR: ErrorCode = ErrorCode(-32700);
    /// `-32600`: the message is JSON but not a valid request.
    pub const INVALID_REQUEST: ErrorCode = ErrorCode(-32600);
    /// `-32601`: the method does not exist or is not offered.
    pub const METHOD_NOT_FOUND: ErrorCode = ErrorCode(-32601);
    /// `-32602`: the params are invalid (also: unknown tool or prompt, resource not found
    /// from 2026-07-28 on, bad cursor, missing per-request `_meta`).
    pub const INVALID_PARAMS: ErrorCode = ErrorCode(-32602);
    /// `-32603`: an internal error in the receiver.
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(-32603);
    /// `-32002`: resource not found, as revisions up to 2025-11-25 define it.
    pub const RESOURCE_NOT_FOUND: ErrorCode = ErrorCode(-32002);
    /// `-32042`: URL elicitation required (2025-11-25 only).
    pub const URL_ELICITATION_REQUIRED: ErrorCode = ErrorCode(-32042);
    /// `-32020`: an HTTP header disagrees with the body (2026-07-28).
    pub const HEADER_MISMATCH: ErrorCode = ErrorCode(-32020);
    /// `-32021`: the request needs a client capability the client did not declare (2026-07-28).
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: ErrorCode = ErrorCode(-32021);
    /// `-32022`: the request's protocol version is not supported (2026-07-28).
    pub const UNSUPPORTED_PROTOCOL_VERSION: ErrorCode = ErrorCode(-32022);
    /// `-31403`: the caller may not make this request: it is not authenticated, or its
    /// token lacks a scope the item needs (`data.requiredScopes` lists them all).
    ///
    /// Defined by mcpwire, outside the JSON-RPC reserved range as the spec asks of codes it
    /// does not define; over HTTP the same refusal is a `403` with
    /// `WWW-Authenticate: Bearer error="insufficient_scope"`.
    pub const FORBIDDEN: ErrorCode = ErrorCode(-31403);
    /// `-31429`: the caller sent too many requests; `data.retryAfterMs` says when to retry.
    ///
    /// Defined by mcpwire (see [`FORBIDDEN`](Self::FORBIDDEN)); over HTTP the same refusal is
    /// a `429` with `Retry-After`.
    pub const RATE_LIMITED: ErrorCode = ErrorCode(-31429);
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A JSON-RPC error object: what a failed request answers with.
///
/// Wire errors are data. A tool that fails does not produce one of these; it returns a
/// `CallToolResult` with `isError: true` so the model can read it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} ({code})")]
#[non_exhaustive]
pub struct ErrorObject {
    /// The error code.
    pub code: ErrorCode,
    /// A short description.
    pub message: Cow<'static, str>,
    /// Extra information.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        ErrorObject {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// Attaches `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }

    /// `-32700` parse error.
    pub fn parse_error(detail: impl fmt::Display) -> Self {
        Self::new(ErrorCode::PARSE_ERROR, format!("Parse error: {detail}"))
    }

    /// `-32600` invalid request.
    pub fn invalid_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::INVALID_REQUEST, message)
    }

    /// `-32601` method not found, naming the method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(
            ErrorCode::METHOD_NOT_FOUND,
            format!("Method not found: {method}"),
        )
    }

    /// `-32602` invalid params.
    pub fn invalid_params(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }

    /// `-32603` internal error.
    pub fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::INTERNAL_ERROR, message)
    }
}

/// Raw JSON text owned by one received message, with a typed view onto part of it.
///
/// Holds the whole received buffer and the byte range of one value inside it, so
/// `params` and `result` are never copied out of the line they arrived in.
#[derive(Clone)]
pub struct RawJson {
    buf: Arc<Received>,
    range: Range<usize>,
}

/// A received text, shared by the values that are parts of it.
struct Received {
    // A `String`, not a `str`: wrapping a received `String` then moves it, where an
    // `Arc<str>` would copy every message once more.
    text: String,
    // Where the members of the `params` object and of its `_meta` are, when the envelope
    // parser noted them.
    params: Option<scan::Indexed>,
    meta: Option<scan::Indexed>,
}

impl Received {
    fn new(text: String) -> Arc<Received> {
        Arc::new(Received {
            text,
            params: None,
            meta: None,
        })
    }
}

impl RawJson {
    /// Wraps a complete JSON text.
    pub fn from_string(text: String) -> Self {
        let len = text.len();
        RawJson {
            buf: Received::new(text),
            range: 0..len,
        }
    }

    /// Serializes a value into raw JSON.
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Self, serde_json::Error> {
        serde_json::to_string(value).map(Self::from_string)
    }

    /// A view of `part`, which must be a slice of this value's text (as returned by a
    /// borrowing parse of [`get`](Self::get)); `None` otherwise.
    pub fn slice(&self, part: &str) -> Option<RawJson> {
        let whole = self.get();
        let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
        if start + part.len() > whole.len() {
            return None;
        }
        let base = self.range.start;
        Some(RawJson {
            buf: self.buf.clone(),
            range: base + start..base + start + part.len(),
        })
    }

    /// The index of this value's members, if the envelope parser made one.
    fn members(&self) -> Option<&scan::Members> {
        self.indexed(&self.range)
    }

    /// The index of the members of the object at `range` of the text, if the envelope parser
    /// made one.
    fn indexed(&self, range: &Range<usize>) -> Option<&scan::Members> {
        [&self.buf.params, &self.buf.meta]
            .into_iter()
            .flatten()
            .find(|(indexed, _)| indexed == range)
            .map(|(_, members)| members)
    }

    /// Where the value of member `key` of this object is, when the envelope parser indexed
    /// its members: `None` when it did not, `Some(None)` when the object has no such member.
    fn member_range(&self, key: &str) -> Option<Option<Range<usize>>> {
        let members = self.members()?;
        let text = &self.buf.text;
        Some(
            members
                .iter()
                .find(|m| text[m.key()] == *key)
                .map(|m| m.value()),
        )
    }

    /// The value of member `key` of this object, when the envelope parser indexed its
    /// members: `None` when it did not (parse the text instead), `Some(None)` when the object
    /// has no such member.
    pub(crate) fn member(&self, key: &str) -> Option<Option<RawJson>> {
        Some(self.member_range(key)?.map(|range| RawJson {
            buf: self.buf.clone(),
            range,
        }))
    }

    /// Like [`member`](Self::member), the member's JSON text.
    pub(crate) fn member_text(&self, key: &str) -> Option<Option<&str>> {
        Some(self.member_range(key)?.map(|range| &self.buf.text[range]))
    }

    /// The keys and values of the members of `part` (a slice of this value's text, as
    /// [`member_text`](Self::member_text) returns), when the envelope parser indexed them.
    pub(crate) fn members_of<'s>(
        &'s self,
        part: &str,
    ) -> Option<impl Iterator<Item = (&'s str, &'s str)> + 's> {
        let text = &self.buf.text;
        let start = (part.as_ptr() as usize).checked_sub(text.as_ptr() as usize)?;
        let members = self.indexed(&(start..start + part.len()))?;
        Some(members.iter().map(|m| (&text[m.key()], &text[m.value()])))
    }

    /// The JSON text.
    pub fn get(&self) -> &str {
        &self.buf.text[self.range.clone()]
    }

    /// Parses the text into `T`.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(self.get())
    }

    /// Parses the text into a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::from_str(self.get()).unwrap_or(Value::Null)
    }
}

impl fmt::Debug for RawJson {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.get())
    }
}

impl Serialize for RawJson {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        // The text was validated when it was parsed, so it can be embedded verbatim.
        match serde_json::from_str::<&RawValue>(self.get()) {
            Ok(raw) => raw.serialize(s),
            Err(e) => Err(serde::ser::Error::custom(e)),
        }
    }
}

/// A request as received: id, method and still-unparsed params.
#[derive(Clone, Debug)]
pub struct RawRequest {
    /// The request id.
    pub id: RequestId,
    /// The method name.
    pub method: Box<str>,
    /// The params object, unparsed.
    pub params: Option<RawJson>,
}

/// A notification as received.
#[derive(Clone, Debug)]
pub struct RawNotification {
    /// The method name.
    pub method: Box<str>,
    /// The params object, unparsed.
    pub params: Option<RawJson>,
}

/// A response as received.
#[derive(Clone, Debug)]
pub struct RawResponse {
    /// The id of the request this answers; `None` for an error about an unreadable request.
    pub id: Option<RequestId>,
    /// The result, unparsed, or the error.
    pub outcome: Result<RawJson, ErrorObject>,
}

/// One received JSON-RPC message, envelope parsed, payload raw.
#[derive(Clone, Debug)]
pub enum Message {
    /// A request.
    Request(RawRequest),
    /// A notification.
    Notification(RawNotification),
    /// A response.
    Response(RawResponse),
}

/// What a received text turned out to be.
#[derive(Debug)]
pub enum Parsed {
    /// One message.
    Single(Message),
    /// A JSON-RPC batch (allowed by revision 2025-03-26 only); entries that are not valid
    /// messages are errors to answer individually.
    Batch(Vec<Result<Message, InvalidMessage>>),
}

/// A text that is not a valid JSON-RPC message, with the error to answer it with.
#[derive(Debug, Clone)]
pub struct InvalidMessage {
    /// The id, when one could be read (the error answer should carry it).
    pub id: Option<RequestId>,
    /// The error to answer with.
    pub error: ErrorObject,
}

#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
    #[serde(borrow, default, deserialize_with = "present")]
    result: Option<&'a RawValue>,
    #[serde(default)]
    error: Option<Value>,
}

// A member that is there, even as `null`, is `Some`: `"id": null` is not a missing id, and
// `"result": null` is a result (of a method that returns nothing), not a missing one.
fn present<'de, T: Deserialize<'de>, D: Deserializer<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Parses one received text (a line on stdio, a body on HTTP, a frame on WebSocket).
///
/// Only the envelope is interpreted; `params` and `result` are kept raw.
pub fn parse_message(text: String) -> Result<Parsed, InvalidMessage> {
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return parse_batch(&text);
    }
    parse_in(text).map(Parsed::Single)
}

fn parse_batch(text: &str) -> Result<Parsed, InvalidMessage> {
    let items: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| InvalidMessage {
        id: None,
        error: ErrorObject::parse_error(e),
    })?;
    if items.is_empty() {
        return Err(InvalidMessage {
            id: None,
            error: ErrorObject::invalid_request("Invalid Request: empty batch"),
        });
    }
    Ok(Parsed::Batch(
        items
            .into_iter()
            .map(|raw| parse_in(raw.get().to_owned()))
            .collect(),
    ))
}

fn range_in(buf: &str, part: &str) -> Range<usize> {
    let start = part.as_ptr() as usize - buf.as_ptr() as usize;
    start..start + part.len()
}

/// The `id` member of a message, read.
enum IdField {
    Absent,
    Null,
    Valid(RequestId),
    Invalid,
}

/// The members of an envelope, wherever they came from (the fast scan or `serde_json`).
struct Parts<'a> {
    jsonrpc: Option<&'a str>,
    id: IdField,
    method: Option<&'a str>,
    params: Option<RawJson>,
    result: Option<RawJson>,
    error: Option<Value>,
}

fn parse_in(text: String) -> Result<Message, InvalidMessage> {
    if let Some(env) = scan::envelope(&text) {
        let id = match env.id {
            scan::Id::Absent => IdField::Absent,
            scan::Id::Null => IdField::Null,
            scan::Id::Number(n) => IdField::Valid(RequestId::Number(n)),
            scan::Id::Str(range) => IdField::Valid(RequestId::String(text[range].into())),
        };
        let (params, members, meta) = match env.params {
            Some(p) => (Some(p.range), p.members, p.meta),
            None => (None, None, None),
        };
        let buf = Arc::new(Received {
            params: params.clone().zip(members),
            meta,
            text,
        });
        let raw = |range: Range<usize>| RawJson {
            buf: buf.clone(),
            range,
        };
        let text = &buf.text;
        return build(Parts {
            jsonrpc: env.jsonrpc.map(|r| &text[r]),
            id,
            method: env.method.map(|r| &text[r]),
            params: params.map(raw),
            result: env.result.map(raw),
            error: None,
        });
    }
    let buf = Received::new(text);
    let env: Envelope<'_> = match serde_json::from_str(&buf.text) {
        Ok(env) => env,
        Err(e) if e.is_syntax() || e.is_eof() => {
            return Err(InvalidMessage {
                id: None,
                error: ErrorObject::parse_error(e),
            });
        }
        Err(e) => {
            return Err(InvalidMessage {
                id: None,
                error: ErrorObject::invalid_request(format!("Invalid Request: {e}")),
            });
        }
    };
    // serde reads a struct from an array too (`["2.0",1,"ping"]`): a message is an object.
    if !buf.text.trim_start().starts_with('{') {
        return Err(InvalidMessage {
            id: None,
            error: ErrorObject::invalid_request("Invalid Request: a message must be a JSON object"),
        });
    }
    let id = match env.id {
        None => IdField::Absent,
        Some(Value::Null) => IdField::Null,
        Some(v) => match RequestId::deserialize(&v) {
            Ok(id) => IdField::Valid(id),
            Err(_) => IdField::Invalid,
        },
    };
    let raw = |part: &RawValue| RawJson {
        buf: buf.clone(),
        range: range_in(&buf.text, part.get()),
    };
    build(Parts {
        jsonrpc: env.jsonrpc.as_deref(),
        id,
        method: env.method.as_deref(),
        params: env.params.map(raw),
        result: env.result.map(raw),
        error: env.error,
    })
}

fn build(env: Parts<'_>) -> Result<Message, InvalidMessage> {
    let null_id = matches!(env.id, IdField::Null);
    let id = match env.id {
        IdField::Absent | IdField::Null => None,
        IdField::Valid(id) => Some(id),
        IdField::Invalid => {
            return Err(InvalidMessage {
                id: None,
                error: ErrorObject::invalid_request(
                    "Invalid Request: id must be a string or an integer",
                ),
            });
        }
    };
    let invalid = |id: Option<RequestId>, msg: &'static str| InvalidMessage {
        id,
        error: ErrorObject::invalid_request(msg),
    };
    if env.jsonrpc != Some(JSONRPC_VERSION) {
        return Err(invalid(id, "Invalid Request: jsonrpc must be \"2.0\""));
    }
    if let Some(method) = env.method {
        if null_id {
            return Err(invalid(None, "Invalid Request: id must not be null"));
        }
        if env.result.is_some() || env.error.is_some() {
            return Err(invalid(
                id,
                "Invalid Request: a request cannot carry result or error",
            ));
        }
        if let Some(p) = &env.params {
            let first = p.get().as_bytes().first();
            if first != Some(&b'{') && first != Some(&b'[') {
                return Err(invalid(
                    id,
                    "Invalid Request: params must be an object or an array",
                ));
            }
        }
        let params = env.params;
        let method: Box<str> = method.into();
        return Ok(match id {
            Some(id) => Message::Request(RawRequest { id, method, params }),
            None => Message::Notification(RawNotification { method, params }),
        });
    }
    match (env.result, env.error) {
        (Some(result), None) => match id {
            Some(id) => Ok(Message::Response(RawResponse {
                id: Some(id),
                outcome: Ok(result),
            })),
            None => Err(invalid(None, "Invalid Request: a result must carry an id")),
        },
        (None, Some(err)) => {
            let error = ErrorObject::deserialize(&err).map_err(|_| {
                invalid(
                    id.clone(),
                    "Invalid Request: error must have an integer code and a message",
                )
            })?;
            Ok(Message::Response(RawResponse {
                id,
                outcome: Err(error),
            }))
        }
        (Some(_), Some(_)) => Err(invalid(
            id,
            "Invalid Request: a response cannot carry both result and error",
        )),
        (None, None) => Err(invalid(
            id,
            "Invalid Request: a message needs a method, a result or an error",
        )),
    }
}

/// Parses params (or a result) into `T`; on failure the error names the field path.
///
/// The fast path is a plain `serde_json` parse; only when it fails is the text parsed
/// again with `serde_path_to_error` so the error message can say which field was wrong.
pub fn parse_params<T: DeserializeOwned>(params: Option<&RawJson>) -> Result<T, ErrorObject> {
    let text = params.map(RawJson::get).unwrap_or("{}");
    match serde_json::from_str(text) {
        Ok(v) => Ok(v),
        Err(_) => {
            let de = &mut serde_json::Deserializer::from_str(text);
            match serde_path_to_error::deserialize::<_, T>(de) {
                Ok(v) => Ok(v),
                Err(e) => Err(invalid_params_error(&e)),
            }
        }
    }
}

/// The `-32602` error for a deserialization failure, naming the field path.
pub fn invalid_params_error(e: &serde_path_to_error::Error<serde_json::Error>) -> ErrorObject {
    let path = e.path().to_string();
    let inner = e.inner().to_string();
    // serde_json appends " at line L column C", which means nothing to the peer.
    let inner = match inner.rfind(" at line ") {
        Some(i) => &inner[..i],
        None => &inner[..],
    };
    if path == "." || path.is_empty() {
        ErrorObject::invalid_params(format!("Invalid params: {inner}"))
    } else {
        ErrorObject::invalid_params(format!("Invalid params: {path}: {inner}"))
            .with_data(serde_json::json!({ "path": path }))
    }
}

#[derive(Serialize)]
struct ResultEnvelope<'a, R: ?Sized> {
    jsonrpc: &'static str,
    id: &'a RequestId,
    result: &'a R,
}

#[derive(Serialize)]
struct ErrorEnvelope<'a> {
    jsonrpc: &'static str,
    #[serde(serialize_with = "serialize_opt_id")]
    id: Option<&'a RequestId>,
    error: &'a ErrorObject,
}

fn serialize_opt_id<S: Serializer>(id: &Option<&RequestId>, s: S) -> Result<S::Ok, S::Error> {
    match id {
        Some(id) => id.serialize(s),
        None => s.serialize_none(),
    }
}

#[derive(Serialize)]
struct RequestEnvelope<'a, P: ?Sized> {
    jsonrpc: &'static str,
    id: &'a RequestId,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a P>,
}

#[derive(Serialize)]
struct NotificationEnvelope<'a, P: ?Sized> {
    jsonrpc: &'static str,
    method: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    params: Option<&'a P>,
}

/// Writes a result response.
pub fn encode_result<R: Serialize + ?Sized>(
    id: &RequestId,
    result: &R,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&ResultEnvelope {
        jsonrpc: JSONRPC_VERSION,
        id,
        result,
    })
}

/// Writes an error response. `id` is `None` only when the request's id could not be read.
pub fn encode_error(id: Option<&RequestId>, error: &ErrorObject) -> String {
    serde_json::to_string(&ErrorEnvelope {
        jsonrpc: JSONRPC_VERSION,
        id,
        error,
    })
    .unwrap_or_else(|_| {
        // Only a non-string map key inside `data` can fail; drop the data then.
        let bare = ErrorObject::new(error.code, error.message.clone());
        serde_json::to_string(&ErrorEnvelope {
            jsonrpc: JSONRPC_VERSION,
            id,
            error: &bare,
        })
        .unwrap_or_default()
    })
}

/// Writes a request.
pub fn encode_request<P: Serialize + ?Sized>(
    id: &RequestId,
    method: &str,
    params: Option<&P>,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&RequestEnvelope {
        jsonrpc: JSONRPC_VERSION,
        id,
        method,
        params,
    })
}

/// Writes a notification.
pub fn encode_notification<P: Serialize + ?Sized>(
    method: &str,
    params: Option<&P>,
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&NotificationEnvelope {
        jsonrpc: JSONRPC_VERSION,
        method,
        params,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn single(text: &str) -> Message {
        match parse_message(text.to_owned()).unwrap() {
            Parsed::Single(m) => m,
            Parsed::Batch(_) => panic!("batch"),
        }
    }

    #[test]
    fn null_params_and_null_results_read_the_same_on_every_path() {
        // `params: null` counts as no params.
        for text in [
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","params" : null }"#,
        ] {
            let Message::Request(r) = single(text) else {
                panic!("not a request: {text}")
            };
            assert!(r.params.is_none(), "{text}");
        }
        let Message::Notification(n) =
            single(r#"{"jsonrpc":"2.0","method":"notifications/x","params":null}"#)
        else {
            panic!("not a notification")
        };
        assert!(n.params.is_none());
        // `result: null` is a result.
        let Message::Response(r) = single(r#"{"jsonrpc":"2.0","id":1,"result":null}"#) else {
            panic!("not a response")
        };
        assert_eq!(r.outcome.unwrap().get(), "null");
        // Inside a batch (each item is parsed on its own) too.
        let Parsed::Batch(items) =
            parse_message(r#"[{"jsonrpc":"2.0","id":2,"result":null}]"#.to_owned()).unwrap()
        else {
            panic!("not a batch")
        };
        assert!(matches!(&items[0], Ok(Message::Response(_))));
    }

    #[test]
    fn an_array_is_not_a_message() {
        let Parsed::Batch(items) =
            parse_message(r#"[["2.0",1,"tools/call",{"name":"x"}]]"#.to_owned()).unwrap()
        else {
            panic!("not a batch")
        };
        let error = items[0].as_ref().unwrap_err();
        assert_eq!(error.error.code, ErrorCode::INVALID_REQUEST);
    }

    #[test]
    fn request_params_stay_raw_slices() {
        let m = single(
            r#"{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"x","arguments":{"a":1}}}"#,
        );
        let Message::Request(r) = m else {
            panic!("not a request")
        };
        assert_eq!(r.id, RequestId::Number(7));
        assert_eq!(&*r.method, "tools/call");
        assert_eq!(
            r.params.unwrap().get(),
            r#"{"name":"x","arguments":{"a":1}}"#
        );
    }

    #[test]
    fn notification_has_no_id_and_response_kinds() {
        assert!(matches!(
            single(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            Message::Notification(_)
        ));
        let Message::Response(r) = single(r#"{"jsonrpc":"2.0","id":"a","result":{"x":[1]}}"#)
        else {
            panic!()
        };
        assert_eq!(r.outcome.unwrap().get(), r#"{"x":[1]}"#);
        let Message::Response(r) =
            single(r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#)
        else {
            panic!()
        };
        assert_eq!(r.id, None);
        assert_eq!(r.outcome.unwrap_err().code, ErrorCode::PARSE_ERROR);
    }

    #[test]
    fn malformed_messages_get_the_right_code() {
        let cases = [
            (
                r#"{"jsonrpc":"2.0","id":1,"method":"#,
                ErrorCode::PARSE_ERROR,
                None,
            ),
            ("not json", ErrorCode::PARSE_ERROR, None),
            (
                r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                Some(RequestId::Number(1)),
            ),
            (
                r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                None,
            ),
            (
                r#"{"jsonrpc":"2.0","id":{"a":1},"method":"ping"}"#,
                ErrorCode::INVALID_REQUEST,
                None,
            ),
            (
                r#"{"jsonrpc":"2.0","id":2,"method":"ping","params":3}"#,
                ErrorCode::INVALID_REQUEST,
                Some(RequestId::Number(2)),
            ),
            (
                r#"{"jsonrpc":"2.0","id":3,"method":17}"#,
                ErrorCode::INVALID_REQUEST,
                None,
            ),
            (r#"[1,2"#, ErrorCode::PARSE_ERROR, None),
            (r#"[]"#, ErrorCode::INVALID_REQUEST, None),
            (r#"{"jsonrpc":"2.0"}"#, ErrorCode::INVALID_REQUEST, None),
        ];
        for (text, code, id) in cases {
            let err = parse_message(text.to_owned()).unwrap_err();
            assert_eq!(err.error.code, code, "{text}");
            assert_eq!(err.id, id, "{text}");
        }
    }

    #[test]
    fn batch_entries_parse_individually() {
        let Parsed::Batch(items) = parse_message(
            r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}, 5, {"jsonrpc":"2.0","method":"n"}]"#
                .to_owned(),
        )
        .unwrap() else {
            panic!()
        };
        assert_eq!(items.len(), 3);
        assert!(matches!(items[0], Ok(Message::Request(_))));
        assert!(items[1].is_err());
        assert!(matches!(items[2], Ok(Message::Notification(_))));
    }

    #[test]
    fn invalid_params_name_the_field_path() {
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct P {
            name: String,
            inner: Inner,
        }
        #[derive(Deserialize, Debug)]
        #[allow(dead_code)]
        struct Inner {
            count: u32,
        }
        let raw = RawJson::from_string(r#"{"name":"x","inner":{"count":"many"}}"#.into());
        let err = parse_params::<P>(Some(&raw)).unwrap_err();
        assert_eq!(err.code, ErrorCode::INVALID_PARAMS);
        assert!(err.message.contains("inner.count"), "{}", err.message);
        let err = parse_params::<P>(None).unwrap_err();
        assert!(
            err.message.contains("missing field `name`"),
            "{}",
            err.message
        );
    }

    #[test]
    fn encoders_write_valid_envelopes() {
        let id = RequestId::from("r1");
        assert_eq!(
            encode_result(&id, &serde_json::json!({"a": 1})).unwrap(),
            r#"{"jsonrpc":"2.0","id":"r1","result":{"a":1}}"#
        );
        assert_eq!(
            encode_error(None, &ErrorObject::parse_error("x")),
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"Parse error: x"}}"#
        );
        assert_eq!(
            encode_notification::<()>("notifications/initialized", None).unwrap(),
            r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
        );
    }
}
