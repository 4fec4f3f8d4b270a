//! Wire types for every request, result, notification and content type of revisions
//! 2026-07-28 and 2025-11-25, plus what negotiation with older revisions needs, and the
//! tasks extension (`io.modelcontextprotocol/tasks`).
//!
//! Names follow the specification's schema (`CallToolRequestParams`, `CallToolResult`, ...).
//! Fields that only some revisions define are `Option`s; the dispatcher fills or omits
//! them according to the revision a request is served on.

mod capabilities;
mod client_features;
mod common;
mod content;
mod lifecycle;
mod messages;
mod mrtr;
mod prompts;
mod resources;
mod tasks;
mod tools;

pub use capabilities::*;
pub use client_features::*;
pub use common::{
    Annotations, CacheScope, Cursor, EmptyResult, Icon, IconTheme, Implementation, JsonObject,
    LoggingLevel, META_CLIENT_CAPABILITIES, META_CLIENT_INFO, META_LOG_LEVEL, META_PROGRESS_TOKEN,
    META_PROTOCOL_VERSION, META_SERVER_INFO, META_SUBSCRIPTION_ID, Meta, NotificationMeta,
    NotificationParams, OneOrMany, ProgressToken, RequestMeta, RequestParams, ResultMeta,
    ResultType, Role,
};
pub use content::*;
pub use lifecycle::*;
pub use messages::*;
pub use mrtr::*;
pub use prompts::*;
pub use resources::*;
pub use tasks::*;
pub use tools::*;
