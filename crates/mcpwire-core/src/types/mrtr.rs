//! Multi round-trip requests (2026-07-28): `InputRequiredResult`, input requests and responses.

use std::collections::BTreeMap;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::client_features::{
    CreateMessageRequestParams, CreateMessageResult, ElicitRequestParams, ElicitResult,
    ListRootsRequestParams, ListRootsResult,
};
use super::common::{JsonObject, ResultMeta, ResultType, tag};

tag!(
    /// The `method` tag of [`ElicitRequest`].
    ElicitMethodTag = "elicitation/create"
);
tag!(
    /// The `method` tag of [`CreateMessageRequest`].
    CreateMessageMethodTag = "sampling/createMessage"
);
tag!(
    /// The `method` tag of [`ListRootsRequest`].
    ListRootsMethodTag = "roots/list"
);

/// An `elicitation/create` request as carried in `inputRequests`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ElicitRequest {
    method: ElicitMethodTag,
    /// The params.
    pub params: ElicitRequestParams,
}

/// A `sampling/createMessage` request as carried in `inputRequests`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CreateMessageRequest {
    method: CreateMessageMethodTag,
    /// The params.
    pub params: CreateMessageRequestParams,
}

/// A `roots/list` request as carried in `inputRequests`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ListRootsRequest {
    method: ListRootsMethodTag,
    /// The params.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub params: Option<ListRootsRequestParams>,
}

/// One request for client input inside an `InputRequiredResult`.
#[derive(Clone, Debug, PartialEq)]
pub enum InputRequest {
    /// Ask the user.
    Elicit(ElicitRequest),
    /// Ask the client's model.
    CreateMessage(CreateMessageRequest),
    /// Ask for the client's roots.
    ListRoots(ListRootsRequest),
}

impl InputRequest {
    /// An elicitation.
    pub fn elicit(params: impl Into<ElicitRequestParams>) -> Self {
        InputRequest::Elicit(ElicitRequest {
            method: ElicitMethodTag,
            params: params.into(),
        })
    }

    /// A sampling request.
    pub fn create_message(params: CreateMessageRequestParams) -> Self {
        InputRequest::CreateMessage(CreateMessageRequest {
            method: CreateMessageMethodTag,
            params,
        })
    }

    /// A roots request.
    pub fn list_roots() -> Self {
        InputRequest::ListRoots(ListRootsRequest {
            method: ListRootsMethodTag,
            params: None,
        })
    }

    /// The method name.
    pub fn method(&self) -> &'static str {
        match self {
            InputRequest::Elicit(_) => ElicitMethodTag::VALUE,
            InputRequest::CreateMessage(_) => CreateMessageMethodTag::VALUE,
            InputRequest::ListRoots(_) => ListRootsMethodTag::VALUE,
        }
    }
}

impl Serialize for InputRequest {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            InputRequest::Elicit(r) => r.serialize(s),
            InputRequest::CreateMessage(r) => r.serialize(s),
            InputRequest::ListRoots(r) => r.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for InputRequest {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = JsonObject::deserialize(d)?;
        let method = match map.get("method") {
            Some(Value::String(m)) => m.clone(),
            _ => return Err(D::Error::missing_field("method")),
        };
        let v = Value::Object(map);
        match method.as_str() {
            ElicitMethodTag::VALUE => serde_json::from_value(v)
                .map(InputRequest::Elicit)
                .map_err(D::Error::custom),
            CreateMessageMethodTag::VALUE => serde_json::from_value(v)
                .map(InputRequest::CreateMessage)
                .map_err(D::Error::custom),
            ListRootsMethodTag::VALUE => serde_json::from_value(v)
                .map(InputRequest::ListRoots)
                .map_err(D::Error::custom),
            other => Err(D::Error::unknown_variant(
                other,
                &[
                    ElicitMethodTag::VALUE,
                    CreateMessageMethodTag::VALUE,
                    ListRootsMethodTag::VALUE,
                ],
            )),
        }
    }
}

/// Input requests keyed by server-assigned identifiers.
pub type InputRequests = BTreeMap<String, InputRequest>;

/// One answer to an input request, inside `inputResponses`.
///
/// Which variant applies is known from the request it answers; deserializing on its own
/// picks the variant whose required fields are present.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum InputResponse {
    /// A sampling result.
    CreateMessage(CreateMessageResult),
    /// A roots result.
    ListRoots(ListRootsResult),
    /// An elicitation result.
    Elicit(ElicitResult),
}

/// Answers keyed like the input requests they answer.
pub type InputResponses = BTreeMap<String, InputResponse>;

tag!(
    /// The `resultType` of [`InputRequiredResult`].
    InputRequiredTag = "input_required"
);

/// An interim result: the server needs client input before it can complete (2026-07-28).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InputRequiredResult {
    /// `input_required`.
    pub result_type: InputRequiredTag,
    /// What the client must gather before retrying.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_requests: Option<InputRequests>,
    /// Opaque state the client echoes on retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
    /// Result metadata.
    #[serde(rename = "_meta", default, skip_serializing_if = "Option::is_none")]
    pub meta: Option<ResultMeta>,
}

impl InputRequiredResult {
    /// An interim result.
    pub fn new(input_requests: Option<InputRequests>, request_state: Option<String>) -> Self {
        InputRequiredResult {
            result_type: InputRequiredTag,
            input_requests,
            request_state,
            meta: None,
        }
    }
}

/// A result of a method that may answer with [`InputRequiredResult`] first.
#[derive(Clone, Debug, PartialEq)]
pub enum MaybeInputRequired<T> {
    /// The final result.
    Complete(T),
    /// More input is needed.
    InputRequired(Box<InputRequiredResult>),
}

impl<T: Serialize> Serialize for MaybeInputRequired<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            MaybeInputRequired::Complete(t) => t.serialize(s),
            MaybeInputRequired::InputRequired(r) => r.serialize(s),
        }
    }
}

impl<'de, T: serde::de::DeserializeOwned> Deserialize<'de> for MaybeInputRequired<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map = JsonObject::deserialize(d)?;
        let input_required = matches!(
            map.get("resultType"),
            Some(Value::String(s)) if s == InputRequiredTag::VALUE
        );
        let v = Value::Object(map);
        if input_required {
            serde_json::from_value(v)
                .map(|r| MaybeInputRequired::InputRequired(Box::new(r)))
                .map_err(D::Error::custom)
        } else {
            serde_json::from_value(v)
                .map(MaybeInputRequired::Complete)
                .map_err(D::Error::custom)
        }
    }
}

/// Params of an MRTR retry carrying nothing but the answers (the shape shared by retries).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct InputResponseRequestParams {
    /// Answers to the previous input requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_responses: Option<InputResponses>,
    /// State echoed from the previous interim result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_state: Option<String>,
}

/// The error data of `-32022` (unsupported protocol version).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct UnsupportedVersionData {
    /// Revisions the server supports.
    pub supported: Vec<String>,
    /// The revision the request asked for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requested: Option<String>,
}

/// The error data of `-32021` (missing client capability).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct MissingCapabilityData {
    /// The capabilities the request needs, shaped like `ClientCapabilities`.
    pub required_capabilities: JsonObject,
}

/// Ids of result types: whether a raw result is complete (absent `resultType` counts).
pub fn result_type_of(result: &JsonObject) -> ResultType {
    match result.get("resultType") {
        Some(Value::String(s)) => match s.as_str() {
            "complete" => ResultType::Complete,
            "input_required" => ResultType::InputRequired,
            "task" => ResultType::Task,
            other => ResultType::Other(other.to_owned()),
        },
        _ => ResultType::Complete,
    }
}
