//! Typed JSON-RPC envelopes, and the spec's names for each method's messages.

use std::marker::PhantomData;

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::jsonrpc::{ErrorObject, JSONRPC_VERSION, RequestId};
use crate::methods::{self, Method, NotificationMethod};

use super::mrtr::MaybeInputRequired;

/// A whole JSON-RPC request of method `M`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Request<M: Method> {
    /// The id.
    pub id: RequestId,
    /// The params (optional on the wire for methods whose params are all optional).
    pub params: Option<M::Params>,
    _m: PhantomData<M>,
}

impl<M: Method> Request<M> {
    /// A request.
    pub fn new(id: RequestId, params: M::Params) -> Self {
        Request {
            id,
            params: Some(params),
            _m: PhantomData,
        }
    }
}

#[derive(Serialize, Deserialize)]
struct RequestRepr<P> {
    jsonrpc: String,
    id: RequestId,
    method: String,
    #[serde(default = "none", skip_serializing_if = "Option::is_none")]
    params: Option<P>,
}

fn none<T>() -> Option<T> {
    None
}

impl<M: Method> Serialize for Request<M> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a, P> {
            jsonrpc: &'static str,
            id: &'a RequestId,
            method: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            params: &'a Option<P>,
        }
        Out {
            jsonrpc: JSONRPC_VERSION,
            id: &self.id,
            method: M::NAME,
            params: &self.params,
        }
        .serialize(s)
    }
}

impl<'de, M: Method> Deserialize<'de> for Request<M> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let r = RequestRepr::<M::Params>::deserialize(d)?;
        check_envelope::<D>(&r.jsonrpc, &r.method, M::NAME)?;
        Ok(Request {
            id: r.id,
            params: r.params,
            _m: PhantomData,
        })
    }
}

fn check_envelope<'de, D: Deserializer<'de>>(
    jsonrpc: &str,
    method: &str,
    expected: &str,
) -> Result<(), D::Error> {
    if jsonrpc != JSONRPC_VERSION {
        return Err(D::Error::custom("jsonrpc must be \"2.0\""));
    }
    if method != expected {
        return Err(D::Error::custom(format!(
            "expected method `{expected}`, found `{method}`"
        )));
    }
    Ok(())
}

/// A whole JSON-RPC notification of method `N`.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Notification<N: NotificationMethod> {
    /// The params.
    pub params: Option<N::Params>,
    _n: PhantomData<N>,
}

impl<N: NotificationMethod> Notification<N> {
    /// A notification.
    pub fn new(params: Option<N::Params>) -> Self {
        Notification {
            params,
            _n: PhantomData,
        }
    }
}

impl<N: NotificationMethod> Serialize for Notification<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a, P> {
            jsonrpc: &'static str,
            method: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            params: &'a Option<P>,
        }
        Out {
            jsonrpc: JSONRPC_VERSION,
            method: N::NAME,
            params: &self.params,
        }
        .serialize(s)
    }
}

impl<'de, N: NotificationMethod> Deserialize<'de> for Notification<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct In<P> {
            jsonrpc: String,
            method: String,
            #[serde(default = "none")]
            params: Option<P>,
        }
        let r = In::<N::Params>::deserialize(d)?;
        check_envelope::<D>(&r.jsonrpc, &r.method, N::NAME)?;
        Ok(Notification::new(r.params))
    }
}

/// A whole JSON-RPC result response carrying `R`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ResultResponse<R> {
    /// The id of the request answered.
    pub id: RequestId,
    /// The result.
    pub result: R,
}

impl<R> ResultResponse<R> {
    /// A response.
    pub fn new(id: RequestId, result: R) -> Self {
        ResultResponse { id, result }
    }
}

impl<R: Serialize> Serialize for ResultResponse<R> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a, R> {
            jsonrpc: &'static str,
            id: &'a RequestId,
            result: &'a R,
        }
        Out {
            jsonrpc: JSONRPC_VERSION,
            id: &self.id,
            result: &self.result,
        }
        .serialize(s)
    }
}

impl<'de, R: DeserializeOwned> Deserialize<'de> for ResultResponse<R> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct In<R> {
            jsonrpc: String,
            id: RequestId,
            result: R,
        }
        let r = In::<R>::deserialize(d)?;
        if r.jsonrpc != JSONRPC_VERSION {
            return Err(D::Error::custom("jsonrpc must be \"2.0\""));
        }
        Ok(ResultResponse::new(r.id, r.result))
    }
}

/// A whole JSON-RPC error response.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct ErrorResponse {
    /// The id of the request answered (`None` when it could not be read).
    pub id: Option<RequestId>,
    /// The error.
    pub error: ErrorObject,
}

impl ErrorResponse {
    /// An error response.
    pub fn new(id: Option<RequestId>, error: ErrorObject) -> Self {
        ErrorResponse { id, error }
    }
}

impl Serialize for ErrorResponse {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Out<'a> {
            jsonrpc: &'static str,
            #[serde(skip_serializing_if = "Option::is_none")]
            id: &'a Option<RequestId>,
            error: &'a ErrorObject,
        }
        Out {
            jsonrpc: JSONRPC_VERSION,
            id: &self.id,
            error: &self.error,
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for ErrorResponse {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct In {
            jsonrpc: String,
            #[serde(default)]
            id: Option<RequestId>,
            error: ErrorObject,
        }
        let r = In::deserialize(d)?;
        if r.jsonrpc != JSONRPC_VERSION {
            return Err(D::Error::custom("jsonrpc must be \"2.0\""));
        }
        Ok(ErrorResponse::new(r.id, r.error))
    }
}

/// `initialize` request.
pub type InitializeRequest = Request<methods::Initialize>;
/// `ping` request.
pub type PingRequest = Request<methods::Ping>;
/// `server/discover` request.
pub type DiscoverRequest = Request<methods::Discover>;
/// `tools/list` request.
pub type ListToolsRequest = Request<methods::ListTools>;
/// `tools/call` request.
pub type CallToolRequest = Request<methods::CallTool>;
/// `resources/list` request.
pub type ListResourcesRequest = Request<methods::ListResources>;
/// `resources/templates/list` request.
pub type ListResourceTemplatesRequest = Request<methods::ListResourceTemplates>;
/// `resources/read` request.
pub type ReadResourceRequest = Request<methods::ReadResource>;
/// `resources/subscribe` request.
pub type SubscribeRequest = Request<methods::Subscribe>;
/// `resources/unsubscribe` request.
pub type UnsubscribeRequest = Request<methods::Unsubscribe>;
/// `prompts/list` request.
pub type ListPromptsRequest = Request<methods::ListPrompts>;
/// `prompts/get` request.
pub type GetPromptRequest = Request<methods::GetPrompt>;
/// `completion/complete` request.
pub type CompleteRequest = Request<methods::Complete>;
/// `logging/setLevel` request.
pub type SetLevelRequest = Request<methods::SetLevel>;
/// `subscriptions/listen` request.
pub type SubscriptionsListenRequest = Request<methods::SubscriptionsListen>;

/// Response to `server/discover`.
pub type DiscoverResultResponse = ResultResponse<super::DiscoverResult>;
/// Response to `tools/list`.
pub type ListToolsResultResponse = ResultResponse<super::ListToolsResult>;
/// Response to `tools/call` (possibly an interim result).
pub type CallToolResultResponse = ResultResponse<MaybeInputRequired<super::CallToolResult>>;
/// Response to `resources/list`.
pub type ListResourcesResultResponse = ResultResponse<super::ListResourcesResult>;
/// Response to `resources/templates/list`.
pub type ListResourceTemplatesResultResponse = ResultResponse<super::ListResourceTemplatesResult>;
/// Response to `resources/read` (possibly an interim result).
pub type ReadResourceResultResponse = ResultResponse<MaybeInputRequired<super::ReadResourceResult>>;
/// Response to `prompts/list`.
pub type ListPromptsResultResponse = ResultResponse<super::ListPromptsResult>;
/// Response to `prompts/get` (possibly an interim result).
pub type GetPromptResultResponse = ResultResponse<MaybeInputRequired<super::GetPromptResult>>;
/// Response to `completion/complete`.
pub type CompleteResultResponse = ResultResponse<super::CompleteResult>;
/// Response to `subscriptions/listen`.
pub type SubscriptionsListenResultResponse = ResultResponse<super::SubscriptionsListenResult>;

/// `notifications/cancelled`.
pub type CancelledNotification = Notification<methods::Cancelled>;
/// `notifications/initialized`.
pub type InitializedNotification = Notification<methods::Initialized>;
/// `notifications/progress`.
pub type ProgressNotification = Notification<methods::Progress>;
/// `notifications/message`.
pub type LoggingMessageNotification = Notification<methods::LoggingMessage>;
/// `notifications/resources/updated`.
pub type ResourceUpdatedNotification = Notification<methods::ResourceUpdated>;
/// `notifications/resources/list_changed`.
pub type ResourceListChangedNotification = Notification<methods::ResourceListChanged>;
/// `notifications/tools/list_changed`.
pub type ToolListChangedNotification = Notification<methods::ToolListChanged>;
/// `notifications/prompts/list_changed`.
pub type PromptListChangedNotification = Notification<methods::PromptListChanged>;
/// `notifications/subscriptions/acknowledged`.
pub type SubscriptionsAcknowledgedNotification = Notification<methods::SubscriptionsAcknowledged>;
