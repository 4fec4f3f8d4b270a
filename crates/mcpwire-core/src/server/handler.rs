//! Handler traits for tools, resources, prompts and completions, the closure adapters
//! that implement them, and the conversions from what handlers return.

use std::collections::BTreeMap;
use std::future::Future;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::context::RequestContext;
use crate::connection::BoxFuture;
use crate::error::Error;
use crate::jsonrpc::{ErrorObject, RawJson};
use crate::types::{
    BlobResourceContents, CallToolResult, Completion, CompletionArgument, ContentBlock,
    GetPromptResult, PromptMessage, ReadResourceResult, ResourceContents, TextResourceContents,
};

/// A boxed error for handler results that are not protocol errors.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// The arguments of a tool call, still as received.
#[derive(Clone, Debug, Default)]
pub struct ToolArguments(Option<RawJson>);

impl ToolArguments {
    /// Wraps raw arguments.
    pub fn new(raw: Option<RawJson>) -> Self {
        ToolArguments(raw)
    }

    /// Arguments from a JSON value.
    pub fn from_value(value: &Value) -> Self {
        ToolArguments(RawJson::from_serialize(value).ok())
    }

    /// The raw JSON text, if arguments were given.
    pub fn raw(&self) -> Option<&str> {
        self.0.as_ref().map(RawJson::get)
    }

    /// Parses the arguments into `T` (missing arguments parse as `{}`).
    ///
    /// On failure the message names the offending field, e.g. `b: invalid type: string "x",
    /// expected f64`, ready to be shown to the model.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, String> {
        let text = self.raw().unwrap_or("{}");
        let text = if text.trim() == "null" { "{}" } else { text };
        if let Ok(v) = serde_json::from_str(text) {
            return Ok(v);
        }
        let de = &mut serde_json::Deserializer::from_str(text);
        match serde_path_to_error::deserialize::<_, T>(de) {
            Ok(v) => Ok(v),
            Err(e) => Err(crate::jsonrpc::invalid_params_error(&e)
                .message
                .trim_start_matches("Invalid params: ")
                .to_owned()),
        }
    }

    /// Like [`parse`](Self::parse), but first accepts what language models often send:
    /// numbers and booleans written as strings (`"3"`, `"true"`), for the properties `schema`
    /// declares as `number`, `integer` or `boolean`.
    pub fn parse_lenient<T: DeserializeOwned>(
        &self,
        schema: &crate::types::JsonObject,
    ) -> Result<T, String> {
        match self.parse::<T>() {
            Ok(v) => Ok(v),
            Err(strict) => {
                let mut value = self.to_value();
                if !coerce(&mut value, schema) {
                    return Err(strict);
                }
                serde_json::from_value(value).map_err(|_| strict)
            }
        }
    }

    /// The arguments as a JSON object (empty when none were given).
    pub fn to_value(&self) -> Value {
        match &self.0 {
            Some(raw) => raw.to_value(),
            None => Value::Object(Default::default()),
        }
    }
}

/// Rewrites string values into numbers or booleans where `schema`'s top-level properties
/// want them; `true` if anything changed.
pub(crate) fn coerce(value: &mut Value, schema: &crate::types::JsonObject) -> bool {
    let (Some(obj), Some(props)) = (
        value.as_object_mut(),
        schema.get("properties").and_then(Value::as_object),
    ) else {
        return false;
    };
    let mut changed = false;
    for (key, v) in obj.iter_mut() {
        let Some(Value::String(s)) = Some(&*v) else {
            continue;
        };
        let types: Vec<&str> = match props.get(key).and_then(|p| p.get("type")) {
            Some(Value::String(t)) => vec![t.as_str()],
            Some(Value::Array(ts)) => ts.iter().filter_map(Value::as_str).collect(),
            _ => continue,
        };
        let s = s.trim();
        let replacement = if types.contains(&"integer") {
            s.parse::<i64>().ok().map(Value::from)
        } else {
            None
        }
        .or_else(|| {
            types
                .contains(&"number")
                .then(|| s.parse::<f64>().ok())
                .flatten()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
        })
        .or_else(|| {
            types
                .contains(&"boolean")
                .then(|| match s {
                    "true" | "True" | "TRUE" => Some(Value::Bool(true)),
                    "false" | "False" | "FALSE" => Some(Value::Bool(false)),
                    _ => None,
                })
                .flatten()
        });
        if let Some(r) = replacement {
            *v = r;
            changed = true;
        }
    }
    changed
}

/// Handles calls of one tool.
pub trait ToolHandler: Send + Sync + 'static {
    /// Runs the tool. `Err(Error::Protocol(..))` answers with that JSON-RPC error; a tool
    /// failure the model should read is `Ok` with `isError: true`.
    fn call(
        &self,
        ctx: RequestContext,
        arguments: ToolArguments,
    ) -> BoxFuture<'static, Result<CallToolResult, Error>>;
}

/// What a tool handler may return.
pub trait IntoToolResult {
    /// Converts into a tool result, or a protocol error.
    fn into_tool_result(self) -> Result<CallToolResult, Error>;
}

impl IntoToolResult for CallToolResult {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        Ok(self)
    }
}

impl IntoToolResult for String {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        Ok(CallToolResult::text(self))
    }
}

impl IntoToolResult for &'static str {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        Ok(CallToolResult::text(self))
    }
}

impl IntoToolResult for ContentBlock {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        Ok(CallToolResult::success([self]))
    }
}

impl IntoToolResult for Vec<ContentBlock> {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        Ok(CallToolResult::success(self))
    }
}

impl IntoToolResult for () {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        Ok(CallToolResult::success([]))
    }
}

/// Structured tool output: serialized into `structuredContent`, with the JSON text as a
/// text block for clients that only read `content`.
#[derive(Clone, Debug)]
pub struct Json<T>(pub T);

impl<T: Serialize> IntoToolResult for Json<T> {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        let value = serde_json::to_value(&self.0)
            .map_err(|e| Error::internal(format!("could not serialize tool output: {e}")))?;
        let text = serde_json::to_string(&value).unwrap_or_default();
        Ok(CallToolResult::structured(value, text))
    }
}

/// Structured tool output with a text rendering of your own instead of the JSON text.
#[derive(Clone, Debug)]
pub struct JsonWithText<T>(pub T, pub String);

impl<T: Serialize> IntoToolResult for JsonWithText<T> {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        let value = serde_json::to_value(&self.0)
            .map_err(|e| Error::internal(format!("could not serialize tool output: {e}")))?;
        Ok(CallToolResult::structured(value, self.1))
    }
}

/// Turns an error into either a protocol error (when it is one of ours) or a tool failure.
pub fn tool_error(error: BoxError) -> Result<CallToolResult, Error> {
    match error.downcast::<Error>() {
        Ok(e) => match *e {
            Error::Protocol(p) => Err(Error::Protocol(p)),
            other => Ok(CallToolResult::error(other.to_string())),
        },
        Err(error) => match error.downcast::<ErrorObject>() {
            Ok(p) => Err(Error::Protocol(*p)),
            Err(error) => Ok(CallToolResult::error(error.to_string())),
        },
    }
}

impl<T: IntoToolResult, E: Into<BoxError>> IntoToolResult for Result<T, E> {
    fn into_tool_result(self) -> Result<CallToolResult, Error> {
        match self {
            Ok(t) => t.into_tool_result(),
            Err(e) => tool_error(e.into()),
        }
    }
}

/// Adapts an async closure `Fn(Args, RequestContext) -> impl Future<Output = R>` into a
/// [`ToolHandler`]; `Args` is parsed from the call's arguments.
pub struct ToolFn<F, A> {
    f: F,
    _a: PhantomData<fn(A)>,
}

impl<F, A> ToolFn<F, A> {
    /// Wraps a closure.
    pub fn new(f: F) -> Self {
        ToolFn { f, _a: PhantomData }
    }
}

impl<F, A, Fut, R> ToolHandler for ToolFn<F, A>
where
    F: Fn(A, RequestContext) -> Fut + Send + Sync + 'static,
    A: DeserializeOwned + Send + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoToolResult,
{
    fn call(
        &self,
        ctx: RequestContext,
        arguments: ToolArguments,
    ) -> BoxFuture<'static, Result<CallToolResult, Error>> {
        let args: A = match arguments.parse() {
            Ok(a) => a,
            Err(msg) => {
                return Box::pin(async move {
                    Ok(CallToolResult::error(format!("Invalid arguments: {msg}")))
                });
            }
        };
        let fut = (self.f)(args, ctx);
        Box::pin(async move { fut.await.into_tool_result() })
    }
}

/// Variables bound from a matched URI template.
pub type UriParams = BTreeMap<String, String>;

/// Reads a resource (static or matched by a template).
pub trait ResourceHandler: Send + Sync + 'static {
    /// Reads `uri`; `params` holds the template variables (empty for static resources).
    fn read(
        &self,
        ctx: RequestContext,
        uri: String,
        params: UriParams,
    ) -> BoxFuture<'static, Result<ReadResourceResult, Error>>;
}

/// What a resource handler may return. The URI read is passed in so plain bodies can be
/// wrapped into contents carrying it.
pub trait IntoReadResult {
    /// Converts into a read result for `uri` (with `mime_type` when the body has none).
    fn into_read_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, Error>;
}

impl IntoReadResult for ReadResourceResult {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, Error> {
        Ok(self)
    }
}

impl IntoReadResult for ResourceContents {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, Error> {
        Ok(ReadResourceResult::new([self]))
    }
}

impl IntoReadResult for Vec<ResourceContents> {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, Error> {
        Ok(ReadResourceResult::new(self))
    }
}

impl IntoReadResult for TextResourceContents {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, Error> {
        Ok(ReadResourceResult::new([self.into()]))
    }
}

impl IntoReadResult for BlobResourceContents {
    fn into_read_result(self, _: &str, _: Option<&str>) -> Result<ReadResourceResult, Error> {
        Ok(ReadResourceResult::new([self.into()]))
    }
}

impl IntoReadResult for String {
    fn into_read_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, Error> {
        let mut t = TextResourceContents::new(uri, self);
        t.mime_type = Some(mime_type.unwrap_or("text/plain").to_owned());
        Ok(ReadResourceResult::new([t.into()]))
    }
}

impl IntoReadResult for &'static str {
    fn into_read_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, Error> {
        self.to_owned().into_read_result(uri, mime_type)
    }
}

impl IntoReadResult for Vec<u8> {
    fn into_read_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, Error> {
        let mut b = BlobResourceContents::from_bytes(uri, &self);
        b.mime_type = Some(mime_type.unwrap_or("application/octet-stream").to_owned());
        Ok(ReadResourceResult::new([b.into()]))
    }
}

impl<T: Serialize> IntoReadResult for Json<T> {
    fn into_read_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, Error> {
        let text = serde_json::to_string(&self.0)
            .map_err(|e| Error::internal(format!("could not serialize resource: {e}")))?;
        let mut t = TextResourceContents::new(uri, text);
        t.mime_type = Some(mime_type.unwrap_or("application/json").to_owned());
        Ok(ReadResourceResult::new([t.into()]))
    }
}

impl<T: IntoReadResult, E: Into<BoxError>> IntoReadResult for Result<T, E> {
    fn into_read_result(
        self,
        uri: &str,
        mime_type: Option<&str>,
    ) -> Result<ReadResourceResult, Error> {
        match self {
            Ok(t) => t.into_read_result(uri, mime_type),
            Err(e) => Err(protocol_or_internal(e.into())),
        }
    }
}

/// Keeps protocol errors, turns anything else into an internal error (`-32603`).
pub fn protocol_or_internal(error: BoxError) -> Error {
    match error.downcast::<Error>() {
        Ok(e) => *e,
        Err(error) => match error.downcast::<ErrorObject>() {
            Ok(p) => Error::Protocol(*p),
            Err(error) => Error::internal(error.to_string()),
        },
    }
}

/// Adapts `Fn(String /*uri*/, UriParams, RequestContext) -> impl Future<Output = R>` into a
/// [`ResourceHandler`].
pub struct ResourceFn<F> {
    f: F,
    mime_type: Option<Arc<str>>,
}

impl<F> ResourceFn<F> {
    /// Wraps a closure; plain bodies get `mime_type`.
    pub fn new(f: F, mime_type: Option<&str>) -> Self {
        ResourceFn {
            f,
            mime_type: mime_type.map(Arc::from),
        }
    }
}

impl<F, Fut, R> ResourceHandler for ResourceFn<F>
where
    F: Fn(String, UriParams, RequestContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoReadResult,
{
    fn read(
        &self,
        ctx: RequestContext,
        uri: String,
        params: UriParams,
    ) -> BoxFuture<'static, Result<ReadResourceResult, Error>> {
        let fut = (self.f)(uri.clone(), params, ctx);
        let mime = self.mime_type.clone();
        Box::pin(async move { fut.await.into_read_result(&uri, mime.as_deref()) })
    }
}

/// Produces a prompt's messages from its arguments.
pub trait PromptHandler: Send + Sync + 'static {
    /// Gets the prompt with `arguments` (already checked for required ones).
    fn get(
        &self,
        ctx: RequestContext,
        arguments: BTreeMap<String, String>,
    ) -> BoxFuture<'static, Result<GetPromptResult, Error>>;
}

/// What a prompt handler may return.
pub trait IntoPromptResult {
    /// Converts into a prompt result.
    fn into_prompt_result(self) -> Result<GetPromptResult, Error>;
}

impl IntoPromptResult for GetPromptResult {
    fn into_prompt_result(self) -> Result<GetPromptResult, Error> {
        Ok(self)
    }
}

impl IntoPromptResult for Vec<PromptMessage> {
    fn into_prompt_result(self) -> Result<GetPromptResult, Error> {
        Ok(GetPromptResult::new(self))
    }
}

impl IntoPromptResult for PromptMessage {
    fn into_prompt_result(self) -> Result<GetPromptResult, Error> {
        Ok(GetPromptResult::new([self]))
    }
}

impl IntoPromptResult for String {
    fn into_prompt_result(self) -> Result<GetPromptResult, Error> {
        Ok(GetPromptResult::new([PromptMessage::user(self)]))
    }
}

impl IntoPromptResult for &'static str {
    fn into_prompt_result(self) -> Result<GetPromptResult, Error> {
        self.to_owned().into_prompt_result()
    }
}

impl<T: IntoPromptResult, E: Into<BoxError>> IntoPromptResult for Result<T, E> {
    fn into_prompt_result(self) -> Result<GetPromptResult, Error> {
        match self {
            Ok(t) => t.into_prompt_result(),
            Err(e) => Err(protocol_or_internal(e.into())),
        }
    }
}

/// Adapts `Fn(BTreeMap<String, String>, RequestContext) -> impl Future<Output = R>` into a
/// [`PromptHandler`].
pub struct PromptFn<F>(pub F);

impl<F, Fut, R> PromptHandler for PromptFn<F>
where
    F: Fn(BTreeMap<String, String>, RequestContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoPromptResult,
{
    fn get(
        &self,
        ctx: RequestContext,
        arguments: BTreeMap<String, String>,
    ) -> BoxFuture<'static, Result<GetPromptResult, Error>> {
        let fut = (self.0)(arguments, ctx);
        Box::pin(async move { fut.await.into_prompt_result() })
    }
}

/// Suggests values for one argument of a prompt or resource template.
pub trait CompletionHandler: Send + Sync + 'static {
    /// Completes `argument` (its partial value in `argument.value`); `context` holds the
    /// other arguments already filled in.
    fn complete(
        &self,
        ctx: RequestContext,
        argument: CompletionArgument,
        context: BTreeMap<String, String>,
    ) -> BoxFuture<'static, Result<Completion, Error>>;
}

/// What a completion handler may return.
pub trait IntoCompletion {
    /// Converts into a completion.
    fn into_completion(self) -> Result<Completion, Error>;
}

impl IntoCompletion for Completion {
    fn into_completion(self) -> Result<Completion, Error> {
        Ok(self)
    }
}

impl IntoCompletion for Vec<String> {
    fn into_completion(self) -> Result<Completion, Error> {
        Ok(Completion::new(self))
    }
}

impl IntoCompletion for Vec<&'static str> {
    fn into_completion(self) -> Result<Completion, Error> {
        Ok(Completion::new(self.into_iter().map(str::to_owned)))
    }
}

impl<T: IntoCompletion, E: Into<BoxError>> IntoCompletion for Result<T, E> {
    fn into_completion(self) -> Result<Completion, Error> {
        match self {
            Ok(t) => t.into_completion(),
            Err(e) => Err(protocol_or_internal(e.into())),
        }
    }
}

/// Adapts `Fn(CompletionArgument, BTreeMap<String, String>, RequestContext) -> impl Future`
/// into a [`CompletionHandler`].
pub struct CompletionFn<F>(pub F);

impl<F, Fut, R> CompletionHandler for CompletionFn<F>
where
    F: Fn(CompletionArgument, BTreeMap<String, String>, RequestContext) -> Fut
        + Send
        + Sync
        + 'static,
    Fut: Future<Output = R> + Send + 'static,
    R: IntoCompletion,
{
    fn complete(
        &self,
        ctx: RequestContext,
        argument: CompletionArgument,
        context: BTreeMap<String, String>,
    ) -> BoxFuture<'static, Result<Completion, Error>> {
        let fut = (self.0)(argument, context, ctx);
        Box::pin(async move { fut.await.into_completion() })
    }
}

/// A completion handler suggesting the values of a fixed list that start with what was typed
/// (case-insensitively).
pub struct StaticCompletion(pub Vec<String>);

impl CompletionHandler for StaticCompletion {
    fn complete(
        &self,
        _ctx: RequestContext,
        argument: CompletionArgument,
        _context: BTreeMap<String, String>,
    ) -> BoxFuture<'static, Result<Completion, Error>> {
        let prefix = argument.value.to_lowercase();
        let values: Vec<String> = self
            .0
            .iter()
            .filter(|v| v.to_lowercase().starts_with(&prefix))
            .cloned()
            .collect();
        Box::pin(async move { Ok(Completion::new(values)) })
    }
}
