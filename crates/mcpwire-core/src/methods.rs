//! Every MCP method, modelled once.
//!
//! Each method is a marker type implementing [`Method`] (requests) or [`NotificationMethod`]
//! (notifications), carrying its wire name and its params and result types. The tables
//! below are the only place a method is listed: the marker types, the name lookups the
//! dispatcher routes with, and the envelope aliases used by the golden tests are all
//! generated from them.

use std::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::types::*;

/// A request method: its wire name and its params and result types.
pub trait Method: Send + Sync + 'static {
    /// The wire name.
    const NAME: &'static str;
    /// The params type.
    type Params: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;
    /// The type of the final result.
    type Result: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;
}

/// A notification method: its wire name and params type.
pub trait NotificationMethod: Send + Sync + 'static {
    /// The wire name.
    const NAME: &'static str;
    /// The params type.
    type Params: Serialize + DeserializeOwned + Clone + fmt::Debug + Send + Sync + 'static;
}

macro_rules! method_table {
    (
        $(#[$em:meta])* enum $enum_name:ident;
        trait $tr:ident;
        $( $(#[$m:meta])* $marker:ident = $name:literal, $params:ty $(=> $result:ty)?; )*
    ) => {
        $(
            $(#[$m])*
            #[derive(Clone, Copy, Debug, Default)]
            pub struct $marker;
            method_table!(@impl $tr $marker $name $params $(=> $result)?);
        )*

        $(#[$em])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum $enum_name {
            $( $(#[$m])* $marker, )*
        }

        impl $enum_name {
            /// Every method of this table.
            pub const ALL: &'static [$enum_name] = &[$($enum_name::$marker),*];

            /// Looks a method up by wire name.
            pub fn from_name(name: &str) -> Option<Self> {
                match name {
                    $( $name => Some($enum_name::$marker), )*
                    _ => None,
                }
            }

            /// The wire name.
            pub const fn name(self) -> &'static str {
                match self {
                    $( $enum_name::$marker => $name, )*
                }
            }
        }
    };
    (@impl Method $marker:ident $name:literal $params:ty => $result:ty) => {
        impl Method for $marker {
            const NAME: &'static str = $name;
            type Params = $params;
            type Result = $result;
        }
    };
    (@impl NotificationMethod $marker:ident $name:literal $params:ty) => {
        impl NotificationMethod for $marker {
            const NAME: &'static str = $name;
            type Params = $params;
        }
    };
}

method_table! {
    /// Requests a client sends to a server.
    enum ClientRequestMethod;
    trait Method;
    /// `initialize`: open a legacy session.
    Initialize = "initialize", InitializeRequestParams => InitializeResult;
    /// `ping`: liveness check (legacy era).
    Ping = "ping", RequestParams => EmptyResult;
    /// `server/discover`: versions, capabilities and identity (2026-07-28).
    Discover = "server/discover", RequestParams => DiscoverResult;
    /// `tools/list`.
    ListTools = "tools/list", PaginatedRequestParams => ListToolsResult;
    /// `tools/call`.
    CallTool = "tools/call", CallToolRequestParams => CallToolResult;
    /// `resources/list`.
    ListResources = "resources/list", PaginatedRequestParams => ListResourcesResult;
    /// `resources/templates/list`.
    ListResourceTemplates = "resources/templates/list", PaginatedRequestParams => ListResourceTemplatesResult;
    /// `resources/read`.
    ReadResource = "resources/read", ReadResourceRequestParams => ReadResourceResult;
    /// `resources/subscribe` (legacy era).
    Subscribe = "resources/subscribe", SubscribeRequestParams => EmptyResult;
    /// `resources/unsubscribe` (legacy era).
    Unsubscribe = "resources/unsubscribe", SubscribeRequestParams => EmptyResult;
    /// `prompts/list`.
    ListPrompts = "prompts/list", PaginatedRequestParams => ListPromptsResult;
    /// `prompts/get`.
    GetPrompt = "prompts/get", GetPromptRequestParams => GetPromptResult;
    /// `completion/complete`.
    Complete = "completion/complete", CompleteRequestParams => CompleteResult;
    /// `logging/setLevel` (legacy era).
    SetLevel = "logging/setLevel", SetLevelRequestParams => EmptyResult;
    /// `subscriptions/listen` (2026-07-28).
    SubscriptionsListen = "subscriptions/listen", SubscriptionsListenRequestParams => SubscriptionsListenResult;
    /// `tasks/get`: a task's status and payload (tasks extension, 2026-07-28).
    GetTask = "tasks/get", GetTaskRequestParams => GetTaskResult;
    /// `tasks/update`: answers to a task's input requests (tasks extension, 2026-07-28).
    UpdateTask = "tasks/update", UpdateTaskRequestParams => EmptyResult;
    /// `tasks/cancel`: asks the server to stop a task (tasks extension, 2026-07-28).
    CancelTask = "tasks/cancel", CancelTaskRequestParams => EmptyResult;
}

method_table! {
    /// Requests a legacy-era server sends to a client.
    enum ServerRequestMethod;
    trait Method;
    /// `ping` from the server.
    ServerPing = "ping", RequestParams => EmptyResult;
    /// `sampling/createMessage`.
    CreateMessage = "sampling/createMessage", CreateMessageRequestParams => CreateMessageResult;
    /// `elicitation/create`.
    Elicit = "elicitation/create", ElicitRequestParams => ElicitResult;
    /// `roots/list`.
    ListRoots = "roots/list", RequestParams => ListRootsResult;
}

method_table! {
    /// Notifications a client sends.
    enum ClientNotificationMethod;
    trait NotificationMethod;
    /// `notifications/initialized` (legacy era).
    Initialized = "notifications/initialized", NotificationParams;
    /// `notifications/cancelled`.
    Cancelled = "notifications/cancelled", CancelledNotificationParams;
    /// `notifications/progress` (legacy era, for server requests).
    ClientProgress = "notifications/progress", ProgressNotificationParams;
    /// `notifications/roots/list_changed` (legacy era).
    RootsListChanged = "notifications/roots/list_changed", NotificationParams;
}

method_table! {
    /// Notifications a server sends.
    enum ServerNotificationMethod;
    trait NotificationMethod;
    /// `notifications/cancelled` (ends a `subscriptions/listen` stream on 2026-07-28).
    ServerCancelled = "notifications/cancelled", CancelledNotificationParams;
    /// `notifications/progress`.
    Progress = "notifications/progress", ProgressNotificationParams;
    /// `notifications/message`: a log message.
    LoggingMessage = "notifications/message", LoggingMessageNotificationParams;
    /// `notifications/resources/updated`.
    ResourceUpdated = "notifications/resources/updated", ResourceUpdatedNotificationParams;
    /// `notifications/resources/list_changed`.
    ResourceListChanged = "notifications/resources/list_changed", NotificationParams;
    /// `notifications/tools/list_changed`.
    ToolListChanged = "notifications/tools/list_changed", NotificationParams;
    /// `notifications/prompts/list_changed`.
    PromptListChanged = "notifications/prompts/list_changed", NotificationParams;
    /// `notifications/subscriptions/acknowledged` (2026-07-28).
    SubscriptionsAcknowledged = "notifications/subscriptions/acknowledged", SubscriptionsAcknowledgedNotificationParams;
    /// `notifications/elicitation/complete` (2025-11-25 only).
    ElicitationComplete = "notifications/elicitation/complete", serde_json::Map<String, serde_json::Value>;
    /// `notifications/tasks`: a task changed (tasks extension, on `subscriptions/listen`).
    TaskStatusChanged = "notifications/tasks", TaskStatusNotificationParams;
}

impl ClientRequestMethod {
    /// Whether the method exists on the modern era (2026-07-28).
    pub fn is_modern(self) -> bool {
        !matches!(
            self,
            ClientRequestMethod::Initialize
                | ClientRequestMethod::Ping
                | ClientRequestMethod::Subscribe
                | ClientRequestMethod::Unsubscribe
                | ClientRequestMethod::SetLevel
        )
    }

    /// Whether the method exists on the legacy era.
    pub fn is_legacy(self) -> bool {
        !matches!(
            self,
            ClientRequestMethod::Discover
                | ClientRequestMethod::SubscriptionsListen
                | ClientRequestMethod::GetTask
                | ClientRequestMethod::UpdateTask
                | ClientRequestMethod::CancelTask
        )
    }

    /// Whether the method belongs to the tasks extension (`tasks/*`).
    pub fn is_task_method(self) -> bool {
        matches!(
            self,
            ClientRequestMethod::GetTask
                | ClientRequestMethod::UpdateTask
                | ClientRequestMethod::CancelTask
        )
    }

    /// Whether the server may answer with an `InputRequiredResult` (2026-07-28).
    pub fn supports_input_required(self) -> bool {
        matches!(
            self,
            ClientRequestMethod::CallTool
                | ClientRequestMethod::ReadResource
                | ClientRequestMethod::GetPrompt
        )
    }
}
