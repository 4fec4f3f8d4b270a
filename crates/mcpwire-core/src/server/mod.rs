//! The MCP server: registration, capabilities, and the dispatcher service.
//!
//! A [`Server`] holds what you register (tools, resources, templates, prompts, shared
//! state) and turns into a `tower::Service` ([`Server::into_service`]) that transports
//! call. [`Server::serve`] runs it over any stream [`Transport`]; the HTTP and WebSocket
//! crates mount the same service.
//!
//! One server speaks every supported revision: a request carrying
//! `io.modelcontextprotocol/protocolVersion` in `_meta` is served statelessly on
//! 2026-07-28; an `initialize` opens a legacy session (2024-11-05 to 2025-11-25).

mod auth;
mod context;
mod extract;
mod futures;
pub mod handler;
mod meta;
pub(crate) mod mrtr;
mod registry;
mod router;
pub mod schema;
mod session;
mod tasks;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::time::Duration;

pub use auth::{AuthInfo, InsufficientScope, TokenClaims};
pub use context::{Principal, RequestContext, RequestInfo, State, form_schema};
pub use extract::{Extension, SafePath, UnsafePath};
pub use futures::{CatchPanicFuture, ProtocolFuture};
pub use registry::{
    AnyResourceDef, Definitions, Handlers, IntoPromptDef, IntoResourceDef, IntoToolDef, PromptDef,
    RegistrationError, ResourceDef, ResourceLister, ResourceTemplateDef, ToolBuilder, ToolDef,
    is_valid_tool_name,
};
pub use router::{
    CatchPanic, CatchPanicLayer, McpService, ProbedMeta, Protocol, ProtocolLayer, Router,
};
pub use session::{McpRequest, McpResponse, Negotiated, Phase, Session};
pub use tasks::{
    InMemoryTaskStore, TaskConfig, TaskRecord, TaskStore, TaskStoreError, TaskSupport,
};

use self::auth::ScopeHierarchy;
use self::context::StateMap;
use self::mrtr::MrtrConfig;
use self::registry::Registry;
use self::tasks::TaskRuntime;
use crate::connection::{self, BoxFuture, Connection, ConnectionConfig, Handler, Outbound};
use crate::error::Error;
use crate::jsonrpc::{self, RawNotification, RawRequest, RawResponse, RequestId};
use crate::transport::Transport;
use crate::types::{
    CacheScope, Implementation, JsonObject, ListChangedCapability, NotificationMeta,
    NotificationParams, ResourceUpdatedNotificationParams, ResourcesCapability, ServerCapabilities,
    SubscriptionFilter,
};
use crate::version::{Era, ProtocolVersion};

/// Creates a [`Server`] named after the calling crate (`CARGO_PKG_NAME` and
/// `CARGO_PKG_VERSION` of the crate this macro is used in).
#[macro_export]
macro_rules! server {
    () => {
        $crate::server::Server::new($crate::types::Implementation::new(
            env!("CARGO_PKG_NAME"),
            env!("CARGO_PKG_VERSION"),
        ))
    };
}

/// Freshness hints for results of 2026-07-28 (`ttlMs` and `cacheScope`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct CacheHint {
    /// How long the client may consider the result fresh.
    pub ttl: Duration,
    /// Who may cache it.
    pub scope: CacheScope,
}

impl CacheHint {
    /// A hint.
    pub fn new(ttl: Duration, scope: CacheScope) -> Self {
        CacheHint { ttl, scope }
    }
}

/// Which results a [`CacheHint`] applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Cacheable {
    /// `server/discover`.
    Discover,
    /// `tools/list`, `prompts/list`, `resources/list` and `resources/templates/list`.
    Lists,
    /// `resources/read`.
    ResourceRead,
}

pub(crate) struct Config {
    pub(crate) info: Implementation,
    /// `info` as JSON, for results that carry it (empty if it could not be written).
    pub(crate) info_json: String,
    pub(crate) instructions: Option<String>,
    pub(crate) page_size: Option<usize>,
    pub(crate) state: StateMap,
    pub(crate) mrtr: MrtrConfig,
    pub(crate) cache: HashMap<Cacheable, CacheHint>,
    pub(crate) server_info_in_results: bool,
    pub(crate) versions: Vec<ProtocolVersion>,
    pub(crate) scopes: ScopeHierarchy,
    pub(crate) tasks: Arc<TaskRuntime>,
}

#[derive(Clone)]
pub(crate) struct Listener {
    pub(crate) subscription: RequestId,
    pub(crate) filter: SubscriptionFilter,
    pub(crate) channel: Arc<dyn Outbound>,
    /// The caller's principal: task notifications go to the task's owner only.
    pub(crate) principal: Option<String>,
}

#[derive(Default)]
pub(crate) struct Subscribers {
    sessions: HashMap<u64, Weak<Session>>,
    listeners: HashMap<u64, Listener>,
    next_listener: u64,
}

pub(crate) struct Shared {
    pub(crate) config: Config,
    registry: RwLock<Arc<Registry>>,
    subscribers: Mutex<Subscribers>,
    pub(crate) shutdown: tokio_util::sync::CancellationToken,
}

/// An MCP server: what it offers, and how it answers.
///
/// Cheap to clone; clones share everything registered.
#[derive(Clone)]
pub struct Server {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("info", &self.shared.config.info)
            .finish()
    }
}

/// What a list change is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Changed {
    Tools,
    Resources,
    Prompts,
}

impl Server {
    /// A server with the given identity. [`server!()`](crate::server!) fills it in from
    /// your crate's name and version.
    pub fn new(info: Implementation) -> Self {
        let mut cache = HashMap::new();
        cache.insert(
            Cacheable::Discover,
            CacheHint::new(Duration::ZERO, CacheScope::Public),
        );
        cache.insert(
            Cacheable::Lists,
            CacheHint::new(Duration::ZERO, CacheScope::Public),
        );
        cache.insert(
            Cacheable::ResourceRead,
            CacheHint::new(Duration::ZERO, CacheScope::Private),
        );
        Server {
            shared: Arc::new(Shared {
                config: Config {
                    info_json: serde_json::to_string(&info).unwrap_or_default(),
                    info,
                    instructions: None,
                    page_size: None,
                    state: StateMap::default(),
                    mrtr: MrtrConfig::random(),
                    cache,
                    server_info_in_results: true,
                    versions: ProtocolVersion::ALL.to_vec(),
                    scopes: ScopeHierarchy::default(),
                    tasks: TaskRuntime::new(TaskConfig::default(), false),
                },
                registry: RwLock::new(Arc::new(Registry::default())),
                subscribers: Mutex::new(Subscribers::default()),
                shutdown: tokio_util::sync::CancellationToken::new(),
            }),
        }
    }

    #[track_caller]
    fn config_mut(&mut self) -> &mut Config {
        &mut Arc::get_mut(&mut self.shared)
            .expect("configure the server before cloning it or serving with it")
            .config
    }

    /// The server's identity.
    pub fn info(&self) -> &Implementation {
        &self.shared.config.info
    }

    /// Sets guidance for the model on how to use this server.
    #[track_caller]
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.config_mut().instructions = Some(instructions.into());
        self
    }

    /// Makes `value` available to handlers (`ctx.state::<T>()`, or a `State<T>` argument).
    #[track_caller]
    pub fn with_state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.config_mut()
            .state
            .0
            .insert(std::any::TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// The shared state of type `T`.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.shared.config.state.get::<T>()
    }

    /// Splits lists into pages of `size` items (default: everything on one page).
    #[track_caller]
    pub fn page_size(mut self, size: usize) -> Self {
        self.config_mut().page_size = Some(size.max(1));
        self
    }

    /// Sets the key sealing `requestState` (default: 32 random bytes per process). Give
    /// every instance behind a load balancer the same key so a retry can land anywhere.
    #[track_caller]
    pub fn request_state_key(mut self, key: &[u8]) -> Self {
        use sha2::Digest;
        let k: [u8; 32] = sha2::Sha256::digest(key).into();
        self.config_mut().mrtr.key = k;
        self
    }

    /// How long a `requestState` stays valid (default ten minutes).
    #[track_caller]
    pub fn request_state_ttl(mut self, ttl: Duration) -> Self {
        self.config_mut().mrtr.ttl = ttl;
        self
    }

    /// Sets the freshness hint of one kind of result (default: `ttlMs: 0`, public lists and
    /// discovery, private reads).
    #[track_caller]
    pub fn cache_hint(mut self, what: Cacheable, hint: CacheHint) -> Self {
        self.config_mut().cache.insert(what, hint);
        self
    }

    /// Whether results carry `io.modelcontextprotocol/serverInfo` (default on).
    #[track_caller]
    pub fn server_info_in_results(mut self, on: bool) -> Self {
        self.config_mut().server_info_in_results = on;
        self
    }

    /// Restricts the protocol revisions served (default: all of them).
    ///
    /// # Panics
    ///
    /// When `versions` is empty.
    #[track_caller]
    pub fn protocol_versions(mut self, versions: &[ProtocolVersion]) -> Self {
        assert!(!versions.is_empty(), "serve at least one protocol version");
        let mut v = versions.to_vec();
        v.sort();
        v.dedup();
        self.config_mut().versions = v;
        self
    }

    /// Offers the tasks extension (`io.modelcontextprotocol/tasks`) with `config`, even
    /// before any tool opts in with [`ToolBuilder::task_support`]. Without this call a
    /// server offers the extension, with the default [`TaskConfig`], as soon as a
    /// task-supporting tool is registered. See `docs/tasks.md`.
    #[track_caller]
    pub fn tasks(mut self, config: TaskConfig) -> Self {
        self.config_mut().tasks = TaskRuntime::new(config, true);
        self
    }

    /// Whether the server offers the tasks extension: configured with
    /// [`tasks`](Server::tasks), or some registered tool supports tasks.
    pub fn tasks_enabled(&self) -> bool {
        self.shared.config.tasks.explicit()
            || self
                .registry()
                .tools
                .as_slice()
                .iter()
                .any(|t| t.task_options().support != TaskSupport::Forbidden)
    }

    /// How many tasks this server is running now (in this process).
    pub fn running_tasks(&self) -> usize {
        self.shared.config.tasks.running()
    }

    /// Declares that a token granting `broader` also grants each of `narrower` (and what
    /// they imply in turn), as the spec asks servers to honour scope hierarchies.
    ///
    /// ```
    /// let server = mcpwire_core::server!()
    ///     .scope_implies("files:admin", ["files:read", "files:write"]);
    /// ```
    #[track_caller]
    pub fn scope_implies(
        mut self,
        broader: impl Into<String>,
        narrower: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        let narrower = narrower.into_iter().map(Into::into).collect();
        self.config_mut().scopes.add(broader.into(), narrower);
        self
    }

    /// Every scope some registered tool, resource, template or prompt requires, sorted
    /// (what a server typically advertises as `scopes_supported`).
    pub fn declared_scopes(&self) -> Vec<String> {
        self.registry().declared_scopes()
    }

    /// Whether a request for `method` with `params`, authenticated as `auth` (or not at
    /// all), may use the item it names: the tool of `tools/call`, the prompt of
    /// `prompts/get`, the resource or template of `resources/read` and
    /// `resources/subscribe`, the reference of `completion/complete`.
    ///
    /// The dispatcher applies the same check itself; transports call this before
    /// dispatching to refuse with their own status (HTTP answers `403`). Requests that
    /// name no item, or name an unknown one, pass (the dispatcher answers them).
    pub fn authorize(
        &self,
        auth: Option<&AuthInfo>,
        method: &str,
        params: Option<&crate::jsonrpc::RawJson>,
    ) -> Result<(), InsufficientScope> {
        #[derive(serde::Deserialize)]
        struct Named<'a> {
            #[serde(borrow, default)]
            name: Option<std::borrow::Cow<'a, str>>,
            #[serde(borrow, default)]
            uri: Option<std::borrow::Cow<'a, str>>,
            // Read as any JSON: a `ref` of another method's shape must not fail the parse.
            #[serde(rename = "ref", default)]
            reference: Option<serde_json::Value>,
        }
        let kind = match method {
            "tools/call"
            | "prompts/get"
            | "resources/read"
            | "resources/subscribe"
            | "completion/complete" => method,
            _ => return Ok(()),
        };
        let registry = self.registry();
        // Servers without scoped items pay nothing here.
        let Some(params) = params.filter(|_| registry.scoped) else {
            return Ok(());
        };
        // Malformed params are the dispatcher's to refuse, with the field that is wrong.
        let Ok(named) = serde_json::from_str::<Named<'_>>(params.get()) else {
            return Ok(());
        };
        let required: Option<&[String]> = match (kind, named) {
            ("tools/call", Named { name: Some(n), .. }) => {
                registry.tools.get(&n).map(|t| &*t.scopes)
            }
            ("prompts/get", Named { name: Some(n), .. }) => {
                registry.prompts.get(&n).map(|p| &*p.scopes)
            }
            ("resources/read" | "resources/subscribe", Named { uri: Some(u), .. }) => {
                registry.resource_scopes(&u)
            }
            (
                "completion/complete",
                Named {
                    reference: Some(r), ..
                },
            ) => serde_json::from_value::<crate::types::CompletionReference>(r)
                .ok()
                .and_then(|r| registry.reference_scopes(&r)),
            _ => None,
        };
        match required {
            Some(req) => self.shared.config.scopes.check(auth, req),
            None => Ok(()),
        }
    }

    /// Whether `auth` may see and use an item requiring `required`.
    pub(crate) fn allows(&self, auth: Option<&AuthInfo>, required: &[String]) -> bool {
        self.shared.config.scopes.allows(auth, required)
    }

    /// The protocol revisions served, newest first.
    pub fn supported_versions(&self) -> Vec<ProtocolVersion> {
        let mut v = self.shared.config.versions.clone();
        v.reverse();
        v
    }

    pub(crate) fn supports(&self, v: ProtocolVersion) -> bool {
        self.shared.config.versions.contains(&v)
    }

    /// Whether revision `v` is served.
    pub fn supports_version(&self, v: ProtocolVersion) -> bool {
        self.supports(v)
    }

    /// Whether any revision of `era` is served.
    pub fn serves_era(&self, era: Era) -> bool {
        self.era_enabled(era)
    }

    /// The registered tool named `name`.
    pub fn find_tool(&self, name: &str) -> Option<Arc<ToolDef>> {
        self.registry().tools.get(name).cloned()
    }

    pub(crate) fn registry(&self) -> Arc<Registry> {
        self.shared.registry.read().unwrap().clone()
    }

    fn update<R>(&self, f: impl FnOnce(&mut Registry) -> R) -> R {
        let mut guard = self.shared.registry.write().unwrap();
        let mut next = (**guard).clone();
        let r = f(&mut next);
        *guard = Arc::new(next);
        r
    }

    /// Registers a tool: a [`ToolDef`] or a `#[tool]` function.
    ///
    /// # Panics
    ///
    /// When a tool of that name exists, or its name or `x-mcp-header` annotations break the
    /// spec's rules; the panic points at your call.
    #[track_caller]
    pub fn tool(self, tool: impl IntoToolDef) -> Self {
        if let Err(e) = self.add_tool(tool.into_tool_def()) {
            panic!("{e}");
        }
        self
    }

    /// Registers a resource or resource template: a [`ResourceDef`], a
    /// [`ResourceTemplateDef`] or a `#[resource]` function.
    ///
    /// # Panics
    ///
    /// When the URI (or template) is registered already.
    #[track_caller]
    pub fn resource(self, resource: impl IntoResourceDef) -> Self {
        let result = match resource.into_resource_def() {
            AnyResourceDef::Static(r) => self.add_resource(r),
            AnyResourceDef::Template(t) => self.add_resource_template(t),
        };
        if let Err(e) = result {
            panic!("{e}");
        }
        self
    }

    /// Registers a resource template.
    ///
    /// # Panics
    ///
    /// When the same template is registered twice.
    #[track_caller]
    pub fn resource_template(self, template: ResourceTemplateDef) -> Self {
        if let Err(e) = self.add_resource_template(template) {
            panic!("{e}");
        }
        self
    }

    /// Registers a prompt: a [`PromptDef`] or a `#[prompt]` function.
    ///
    /// # Panics
    ///
    /// When a prompt of that name exists.
    #[track_caller]
    pub fn prompt(self, prompt: impl IntoPromptDef) -> Self {
        if let Err(e) = self.add_prompt(prompt.into_prompt_def()) {
            panic!("{e}");
        }
        self
    }

    /// Registers every tool, resource and prompt of `handlers` (an `impl` block marked
    /// `#[handlers]`).
    ///
    /// # Panics
    ///
    /// When any of them is registered already.
    #[track_caller]
    pub fn register(self, handlers: impl Handlers) -> Self {
        let defs = Arc::new(handlers).definitions();
        let mut server = self;
        for t in defs.tools {
            server = server.tool(t);
        }
        for r in defs.resources {
            server = server.resource(r);
        }
        for p in defs.prompts {
            server = server.prompt(p);
        }
        server
    }

    /// Declares the tools capability even with no tool registered yet (tools will be added
    /// at run time).
    pub fn enable_tools(self) -> Self {
        self.update(|r| r.tools_declared = true);
        self
    }

    /// Declares the resources capability even with no resource registered yet.
    pub fn enable_resources(self) -> Self {
        self.update(|r| r.resources_declared = true);
        self
    }

    /// Declares the prompts capability even with no prompt registered yet.
    pub fn enable_prompts(self) -> Self {
        self.update(|r| r.prompts_declared = true);
        self
    }

    /// Adds a tool at run time (a [`ToolDef`] or a `#[tool]` function) and tells subscribed
    /// clients the list changed.
    pub fn add_tool(&self, tool: impl IntoToolDef) -> Result<(), RegistrationError> {
        let tool = tool.into_tool_def();
        self.update(|r| r.add_tool(tool))?;
        self.list_changed(Changed::Tools);
        Ok(())
    }

    /// Removes a tool; `false` if there was none of that name.
    pub fn remove_tool(&self, name: &str) -> bool {
        let removed = self.update(|r| r.tools.remove(name));
        if removed {
            self.list_changed(Changed::Tools);
        }
        removed
    }

    /// Adds a resource at run time.
    pub fn add_resource(&self, resource: ResourceDef) -> Result<(), RegistrationError> {
        self.update(|r| r.add_resource(resource))?;
        self.list_changed(Changed::Resources);
        Ok(())
    }

    /// Removes a resource; `false` if there was none with that URI.
    pub fn remove_resource(&self, uri: &str) -> bool {
        let removed = self.update(|r| r.resources.remove(uri));
        if removed {
            self.list_changed(Changed::Resources);
        }
        removed
    }

    /// Adds a resource template at run time.
    pub fn add_resource_template(
        &self,
        template: ResourceTemplateDef,
    ) -> Result<(), RegistrationError> {
        self.update(|r| r.add_template(template))?;
        self.list_changed(Changed::Resources);
        Ok(())
    }

    /// Removes a resource template; `false` if there was none.
    pub fn remove_resource_template(&self, uri_template: &str) -> bool {
        let removed = self.update(|r| r.remove_template(uri_template));
        if removed {
            self.list_changed(Changed::Resources);
        }
        removed
    }

    /// Adds a prompt at run time (a [`PromptDef`] or a `#[prompt]` function) and tells
    /// subscribed clients the list changed.
    pub fn add_prompt(&self, prompt: impl IntoPromptDef) -> Result<(), RegistrationError> {
        let prompt = prompt.into_prompt_def();
        self.update(|r| r.add_prompt(prompt))?;
        self.list_changed(Changed::Prompts);
        Ok(())
    }

    /// Removes a prompt; `false` if there was none of that name.
    pub fn remove_prompt(&self, name: &str) -> bool {
        let removed = self.update(|r| r.prompts.remove(name));
        if removed {
            self.list_changed(Changed::Prompts);
        }
        removed
    }

    /// The names of the registered tools, in order.
    pub fn tool_names(&self) -> Vec<String> {
        self.registry()
            .tools
            .as_slice()
            .iter()
            .map(|t| t.tool.name.clone())
            .collect()
    }

    /// What the server offers, derived from what is registered.
    pub fn capabilities(&self) -> ServerCapabilities {
        let r = self.registry();
        let mut caps = ServerCapabilities::default();
        if r.has_tools() {
            caps.tools = Some(ListChangedCapability::new(true));
        }
        if r.has_resources() {
            caps.resources = Some(ResourcesCapability::new(true, true));
        }
        if r.has_prompts() {
            caps.prompts = Some(ListChangedCapability::new(true));
        }
        if r.has_completions() {
            caps.completions = Some(JsonObject::new());
        }
        // Every handler can log through its context.
        caps.logging = Some(JsonObject::new());
        if self.tasks_enabled() {
            caps.extensions.get_or_insert_with(Default::default).insert(
                crate::types::TASKS_EXTENSION.into(),
                JsonObject::new().into(),
            );
        }
        caps
    }

    /// Tells clients that subscribed to `uri` (legacy `resources/subscribe`, or a
    /// `subscriptions/listen` filter) that the resource changed.
    pub fn notify_resource_updated(&self, uri: &str) {
        let (sessions, listeners) = self.targets();
        let params = ResourceUpdatedNotificationParams::new(uri);
        if let Ok(text) =
            jsonrpc::encode_notification("notifications/resources/updated", Some(&params))
        {
            for s in sessions.iter().filter(|s| s.is_subscribed(uri)) {
                s.outbound().send(text.clone());
            }
        }
        for l in listeners {
            let wants = l
                .filter
                .resource_subscriptions
                .as_ref()
                .is_some_and(|uris| uris.iter().any(|u| u == uri));
            if wants {
                let mut params = ResourceUpdatedNotificationParams::new(uri);
                params.meta = Some(NotificationMeta::subscription(l.subscription.clone()));
                if let Ok(text) =
                    jsonrpc::encode_notification("notifications/resources/updated", Some(&params))
                {
                    l.channel.send(text);
                }
            }
        }
    }

    fn list_changed(&self, what: Changed) {
        let method = match what {
            Changed::Tools => "notifications/tools/list_changed",
            Changed::Resources => "notifications/resources/list_changed",
            Changed::Prompts => "notifications/prompts/list_changed",
        };
        let (sessions, listeners) = self.targets();
        if let (false, Ok(text)) = (
            sessions.is_empty(),
            jsonrpc::encode_notification::<()>(method, None),
        ) {
            for s in sessions.iter().filter(|s| s.phase() == Phase::Ready) {
                s.outbound().send(text.clone());
            }
        }
        for l in listeners {
            let wants = match what {
                Changed::Tools => l.filter.tools_list_changed == Some(true),
                Changed::Resources => l.filter.resources_list_changed == Some(true),
                Changed::Prompts => l.filter.prompts_list_changed == Some(true),
            };
            if wants {
                let params = NotificationParams {
                    meta: Some(NotificationMeta::subscription(l.subscription.clone())),
                };
                if let Ok(text) = jsonrpc::encode_notification(method, Some(&params)) {
                    l.channel.send(text);
                }
            }
        }
    }

    fn targets(&self) -> (Vec<Arc<Session>>, Vec<Listener>) {
        let mut subs = self.shared.subscribers.lock().unwrap();
        let mut sessions = Vec::new();
        subs.sessions.retain(|_, w| match w.upgrade() {
            Some(s) => {
                sessions.push(s);
                true
            }
            None => false,
        });
        let listeners = subs.listeners.values().cloned().collect();
        (sessions, listeners)
    }

    pub(crate) fn register_session(&self, session: &Arc<Session>) {
        self.shared
            .subscribers
            .lock()
            .unwrap()
            .sessions
            .insert(session.id(), Arc::downgrade(session));
    }

    /// Forgets a session (its connection ended).
    pub fn unregister_session(&self, session: &Session) {
        self.shared
            .subscribers
            .lock()
            .unwrap()
            .sessions
            .remove(&session.id());
    }

    pub(crate) fn add_listener(&self, listener: Listener) -> u64 {
        let mut subs = self.shared.subscribers.lock().unwrap();
        subs.next_listener += 1;
        let id = subs.next_listener;
        subs.listeners.insert(id, listener);
        id
    }

    pub(crate) fn remove_listener(&self, id: u64) {
        self.shared
            .subscribers
            .lock()
            .unwrap()
            .listeners
            .remove(&id);
    }

    /// Ends every open `subscriptions/listen` stream gracefully (call before shutting down).
    pub fn shutdown(&self) {
        self.shared.shutdown.cancel();
    }

    /// The dispatcher with the standard layers: panic catching, then protocol checks.
    pub fn into_service(self) -> McpService {
        tower::ServiceBuilder::new()
            .layer(CatchPanicLayer)
            .layer(ProtocolLayer::new(self.clone()))
            .service(Router::new(self))
    }

    /// Handles a notification from a client of `session` (initialized, cancelled, roots
    /// changed). Transports call this for every notification, in arrival order.
    pub fn handle_notification(&self, session: &Arc<Session>, notification: &RawNotification) {
        match &*notification.method {
            "notifications/initialized" => {
                session.mark_ready();
            }
            "notifications/cancelled" | "notifications/roots/list_changed" => {}
            other => tracing::debug!(method = other, "ignoring unknown notification"),
        }
    }

    /// Serves one client over a stream transport (stdio, a socket, in memory) until it
    /// disconnects.
    pub async fn serve<T: Transport>(&self, transport: T) -> Result<(), Error> {
        self.serve_service(self.clone().into_service(), transport)
            .await
    }

    /// Like [`serve`](Server::serve), with a service you built (for example with extra tower
    /// layers around [`into_service`](Server::into_service)).
    pub async fn serve_service<S, T>(&self, service: S, transport: T) -> Result<(), Error>
    where
        S: tower::Service<McpRequest, Response = McpResponse, Error = std::convert::Infallible>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
        T: Transport,
    {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        let conn = Connection::new(tx.clone());
        let outbound: Arc<dyn Outbound> = Arc::new(tx);
        let session = Session::new(outbound.clone());
        let handler = Arc::new(StreamHandler {
            server: self.clone(),
            service,
            session,
            channel: outbound,
        });
        connection::run(transport, conn, rx, handler, ConnectionConfig::default())
            .await
            .map_err(Error::Transport)
    }

    pub(crate) fn era_enabled(&self, era: Era) -> bool {
        self.shared.config.versions.iter().any(|v| v.era() == era)
    }
}

struct StreamHandler<S> {
    server: Server,
    service: S,
    session: Arc<Session>,
    channel: Arc<dyn Outbound>,
}

impl<S> Handler for StreamHandler<S>
where
    S: tower::Service<McpRequest, Response = McpResponse, Error = std::convert::Infallible>
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    fn on_request(
        &self,
        request: RawRequest,
        cancel: tokio_util::sync::CancellationToken,
    ) -> BoxFuture<'static, Option<String>> {
        use tower::ServiceExt as _;
        let id = request.id.clone();
        let req = McpRequest::new(
            request.id,
            request.method,
            request.params,
            self.session.clone(),
            self.channel.clone(),
            cancel,
        );
        let svc = self.service.clone();
        Box::pin(async move {
            let response = match svc.oneshot(req).await {
                Ok(r) => r,
                Err(never) => match never {},
            };
            Some(response.into_message(&id))
        })
    }

    fn is_barrier(&self, request: &RawRequest) -> bool {
        // Requests pipelined behind `initialize` must see the session it opens.
        &*request.method == "initialize"
    }

    fn on_notification(&self, notification: RawNotification) -> BoxFuture<'static, ()> {
        self.server
            .handle_notification(&self.session, &notification);
        Box::pin(async {})
    }

    fn on_response(&self, response: RawResponse) {
        if !self.session.complete_request(response) {
            tracing::debug!("dropping a response to no pending server request");
        }
    }

    fn on_close(&self) {
        self.session.close();
        self.server.unregister_session(&self.session);
    }
}
