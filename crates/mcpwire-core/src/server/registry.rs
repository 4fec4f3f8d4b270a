//! What a server offers: tool, resource, template and prompt definitions, and the tables
//! the dispatcher looks them up in.
//!
//! The tables are built when something is registered, never per request: a request takes
//! a snapshot (`Arc<Registry>`) and looks names up in a hash map. Adding or removing an
//! item builds a new snapshot and swaps it in.

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;

use super::auth::scope_list;
use super::context::RequestContext;
use super::handler::{
    CompletionHandler, IntoPromptResult, IntoReadResult, IntoToolResult, PromptFn, PromptHandler,
    ResourceFn, ResourceHandler, StaticCompletion, ToolFn, ToolHandler, UriParams,
};
use super::schema::{input_schema_for, output_schema_for, wrap_output_schema};
use super::tasks::{TaskSupport, ToolTaskOptions};
use crate::connection::BoxFuture;
use crate::error::Error;
use crate::jsonrpc::ErrorObject;
use crate::param_headers::HeaderParam;
use crate::types::{
    Icon, JsonObject, Meta, Prompt, PromptArgument, Resource, ResourceTemplate, Tool,
    ToolAnnotations,
};
use crate::uri_template::{TemplateError, UriTemplate};

/// Why a registration was refused.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum RegistrationError {
    /// Something of that kind is already registered under that name or URI.
    #[error("{kind} `{name}` is already registered")]
    Duplicate {
        /// `tool`, `prompt`, `resource` or `resource template`.
        kind: &'static str,
        /// The name or URI.
        name: String,
    },
    /// A tool name breaks the spec's rules (1 to 128 of `A-Z a-z 0-9 _ - .`).
    #[error(
        "invalid tool name `{0}`: use 1 to 128 characters from A-Z, a-z, 0-9, `_`, `-` and `.`"
    )]
    InvalidToolName(String),
    /// A URI template could not be parsed.
    #[error(transparent)]
    Template(#[from] TemplateError),
    /// A tool's input schema is not an object schema.
    #[error("the input schema of tool `{0}` must have `\"type\": \"object\"`")]
    InputSchemaNotObject(String),
    /// A tool's `x-mcp-header` annotations break the spec's rules (clients would drop it).
    #[error("tool `{tool}` has an invalid x-mcp-header annotation: {reason}")]
    InvalidHeaderAnnotation {
        /// The tool.
        tool: String,
        /// Which rule is broken.
        reason: String,
    },
}

/// Whether `name` follows the spec's rules for tool names.
pub fn is_valid_tool_name(name: &str) -> bool {
    (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'))
}

/// A tool: its description and its handler.
#[derive(Clone)]
pub struct ToolDef {
    pub(crate) tool: Tool,
    pub(crate) legacy_tool: Option<Tool>,
    pub(crate) handler: Arc<dyn ToolHandler>,
    /// The arguments mirrored into `Mcp-Param-*` headers, validated once at registration.
    header_params: Result<Arc<[HeaderParam]>, String>,
    pub(crate) scopes: Arc<[String]>,
    tasks: ToolTaskOptions,
}

impl std::fmt::Debug for ToolDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToolDef").field("tool", &self.tool).finish()
    }
}

impl ToolDef {
    /// A tool from its description and a handler.
    pub fn new(tool: Tool, handler: impl ToolHandler) -> Self {
        Self::from_arc(tool, Arc::new(handler))
    }

    /// A tool from its description and a shared handler.
    pub fn from_arc(tool: Tool, handler: Arc<dyn ToolHandler>) -> Self {
        // Revisions before 2026-07-28 require an object root for structured output.
        let legacy_tool = match &tool.output_schema {
            Some(s) if !super::schema::is_object_schema(s) => {
                let mut t = tool.clone();
                t.output_schema = Some(wrap_output_schema(s));
                Some(t)
            }
            _ => None,
        };
        let header_params = crate::param_headers::header_params(&tool.input_schema).map(Arc::from);
        ToolDef {
            tool,
            legacy_tool,
            handler,
            header_params,
            scopes: Arc::from([]),
            tasks: ToolTaskOptions::default(),
        }
    }

    /// Lets the tool run as a task of the tasks extension (see [`TaskSupport`] and
    /// `docs/tasks.md`). The handler stays as it is.
    pub fn task_support(mut self, support: TaskSupport) -> Self {
        self.tasks.support = support;
        self
    }

    /// How long the handler runs inline before the call becomes a task (default zero: a
    /// task at once). A handler finishing sooner answers the call directly, and input it
    /// asks for meanwhile is gathered with multi round-trip requests on the call.
    pub fn task_after(mut self, window: std::time::Duration) -> Self {
        self.tasks.after = window;
        self
    }

    /// Whether the tool may run as a task.
    pub fn task_support_level(&self) -> TaskSupport {
        self.tasks.support
    }

    pub(crate) fn task_options(&self) -> ToolTaskOptions {
        self.tasks
    }

    /// Requires every one of `scopes` of callers: others do not see the tool in
    /// `tools/list` and are refused when they call it (see [`AuthInfo`](super::AuthInfo)).
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scope_list(scopes);
        self
    }

    /// The scopes a caller needs (sorted; empty: open to every caller).
    pub fn required_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// Starts building a tool named `name`.
    pub fn builder(name: impl Into<String>) -> ToolBuilder {
        ToolBuilder {
            tool: Tool::new(name, Tool::empty_input_schema()),
            scopes: Arc::from([]),
            tasks: ToolTaskOptions::default(),
        }
    }

    /// The tool's description.
    pub fn tool(&self) -> &Tool {
        &self.tool
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.tool.name
    }

    /// The arguments this tool mirrors into `Mcp-Param-{Name}` headers (2026-07-28 over HTTP),
    /// or why its `x-mcp-header` annotations are invalid.
    pub fn header_params(&self) -> Result<&[HeaderParam], &str> {
        match &self.header_params {
            Ok(p) => Ok(p),
            Err(why) => Err(why),
        }
    }

    /// Whether the structured output is wrapped as `{"result": ..}` for legacy clients.
    pub(crate) fn wraps_output(&self) -> bool {
        self.legacy_tool.is_some()
    }
}

/// Builds a [`ToolDef`].
#[derive(Debug, Clone)]
pub struct ToolBuilder {
    tool: Tool,
    scopes: Arc<[String]>,
    tasks: ToolTaskOptions,
}

impl ToolBuilder {
    /// Sets the display title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.tool.title = Some(title.into());
        self
    }

    /// Sets the description the model reads.
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.tool.description = Some(description.into());
        self
    }

    /// Uses the schema of `T` as the input schema.
    pub fn input<T: JsonSchema>(mut self) -> Self {
        self.tool.input_schema = input_schema_for::<T>();
        self
    }

    /// Sets the input schema.
    pub fn input_schema(mut self, schema: JsonObject) -> Self {
        self.tool.input_schema = schema;
        self
    }

    /// Uses the schema of `T` as the output schema (for structured results).
    pub fn output<T: JsonSchema>(mut self) -> Self {
        self.tool.output_schema = Some(output_schema_for::<T>());
        self
    }

    /// Sets the output schema.
    pub fn output_schema(mut self, schema: JsonObject) -> Self {
        self.tool.output_schema = Some(schema);
        self
    }

    /// Sets behaviour hints.
    pub fn annotations(mut self, annotations: ToolAnnotations) -> Self {
        self.tool.annotations = Some(annotations);
        self
    }

    /// Adds an icon.
    pub fn icon(mut self, icon: Icon) -> Self {
        self.tool.icons.get_or_insert_with(Vec::new).push(icon);
        self
    }

    /// Sets `_meta`.
    pub fn meta(mut self, meta: Meta) -> Self {
        self.tool.meta = Some(meta);
        self
    }

    /// Requires every one of `scopes` of callers (see [`ToolDef::scopes`]).
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scope_list(scopes);
        self
    }

    /// Lets the tool run as a task of the tasks extension (see [`ToolDef::task_support`]).
    pub fn task_support(mut self, support: TaskSupport) -> Self {
        self.tasks.support = support;
        self
    }

    /// How long the handler runs inline before the call becomes a task (see
    /// [`ToolDef::task_after`]).
    pub fn task_after(mut self, window: std::time::Duration) -> Self {
        self.tasks.after = window;
        self
    }

    /// Finishes with a handler object.
    pub fn handler_object(self, handler: impl ToolHandler) -> ToolDef {
        let mut def = ToolDef::new(self.tool, handler);
        def.scopes = self.scopes;
        def.tasks = self.tasks;
        def
    }

    /// Finishes with an async closure taking the parsed arguments and the context.
    ///
    /// If no input schema was set, the schema of `A` is used.
    pub fn handler<F, A, Fut, R>(mut self, f: F) -> ToolDef
    where
        F: Fn(A, RequestContext) -> Fut + Send + Sync + 'static,
        A: DeserializeOwned + JsonSchema + Send + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoToolResult,
    {
        if self.tool.input_schema == Tool::empty_input_schema() {
            self.tool.input_schema = input_schema_for::<A>();
        }
        self.handler_object(ToolFn::new(f))
    }
}

/// Lists the concrete resources a template currently stands for (in `resources/list`).
pub trait ResourceLister: Send + Sync + 'static {
    /// The resources.
    fn list(&self, ctx: RequestContext) -> BoxFuture<'static, Result<Vec<Resource>, Error>>;
}

impl<F, Fut> ResourceLister for F
where
    F: Fn(RequestContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Vec<Resource>, Error>> + Send + 'static,
{
    fn list(&self, ctx: RequestContext) -> BoxFuture<'static, Result<Vec<Resource>, Error>> {
        Box::pin(self(ctx))
    }
}

/// A resource with a fixed URI.
#[derive(Clone)]
pub struct ResourceDef {
    pub(crate) resource: Resource,
    pub(crate) handler: Arc<dyn ResourceHandler>,
    pub(crate) scopes: Arc<[String]>,
}

impl std::fmt::Debug for ResourceDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceDef")
            .field("resource", &self.resource)
            .finish()
    }
}

impl ResourceDef {
    /// A resource from its description and handler.
    pub fn new(resource: Resource, handler: impl ResourceHandler) -> Self {
        ResourceDef {
            resource,
            handler: Arc::new(handler),
            scopes: Arc::from([]),
        }
    }

    /// Requires every one of `scopes` of callers: others do not see the resource in
    /// `resources/list` and are refused when they read it.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scope_list(scopes);
        self
    }

    /// The scopes a caller needs (sorted; empty: open to every caller).
    pub fn required_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// A resource read by an async closure `Fn(RequestContext) -> impl Future<Output = R>`.
    /// Plain bodies (`String`, `Vec<u8>`) get the resource's MIME type.
    pub fn from_fn<F, Fut, R>(resource: Resource, f: F) -> Self
    where
        F: Fn(RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoReadResult,
    {
        let mime = resource.mime_type.clone();
        let handler = ResourceFn::new(
            move |_uri: String, _params: UriParams, ctx: RequestContext| f(ctx),
            mime.as_deref(),
        );
        ResourceDef::new(resource, handler)
    }

    /// The resource's description.
    pub fn resource(&self) -> &Resource {
        &self.resource
    }
}

/// A family of resources described by an RFC 6570 URI template.
#[derive(Clone)]
pub struct ResourceTemplateDef {
    pub(crate) template: ResourceTemplate,
    pub(crate) parsed: UriTemplate,
    pub(crate) handler: Arc<dyn ResourceHandler>,
    pub(crate) completions: HashMap<String, Arc<dyn CompletionHandler>>,
    pub(crate) lister: Option<Arc<dyn ResourceLister>>,
    pub(crate) scopes: Arc<[String]>,
}

impl std::fmt::Debug for ResourceTemplateDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResourceTemplateDef")
            .field("template", &self.template)
            .finish()
    }
}

impl ResourceTemplateDef {
    /// A template from its description and handler.
    pub fn new(
        template: ResourceTemplate,
        handler: impl ResourceHandler,
    ) -> Result<Self, TemplateError> {
        Ok(ResourceTemplateDef {
            parsed: UriTemplate::parse(&template.uri_template)?,
            template,
            handler: Arc::new(handler),
            completions: HashMap::new(),
            lister: None,
            scopes: Arc::from([]),
        })
    }

    /// Requires every one of `scopes` of callers: others do not see the template (nor the
    /// instances its lister names) and are refused when they read a URI it matches or
    /// complete its variables.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scope_list(scopes);
        self
    }

    /// The scopes a caller needs (sorted; empty: open to every caller).
    pub fn required_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// A template read by `Fn(String /*uri*/, UriParams, RequestContext) -> impl Future`.
    pub fn from_fn<F, Fut, R>(template: ResourceTemplate, f: F) -> Result<Self, TemplateError>
    where
        F: Fn(String, UriParams, RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoReadResult,
    {
        let mime = template.mime_type.clone();
        Self::new(template, ResourceFn::new(f, mime.as_deref()))
    }

    /// Completes the template variable `variable` with `handler`.
    pub fn complete(mut self, variable: &str, handler: impl CompletionHandler) -> Self {
        self.completions
            .insert(variable.to_owned(), Arc::new(handler));
        self
    }

    /// Completes the template variable `variable` from a fixed list of values.
    pub fn complete_from(
        self,
        variable: &str,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.complete(
            variable,
            StaticCompletion(values.into_iter().map(Into::into).collect()),
        )
    }

    /// Lists the template's current instances in `resources/list`.
    pub fn list_with(mut self, lister: impl ResourceLister) -> Self {
        self.lister = Some(Arc::new(lister));
        self
    }

    /// The template's description.
    pub fn template(&self) -> &ResourceTemplate {
        &self.template
    }
}

/// A prompt: its description, handler, and argument completions.
#[derive(Clone)]
pub struct PromptDef {
    pub(crate) prompt: Prompt,
    pub(crate) handler: Arc<dyn PromptHandler>,
    pub(crate) completions: HashMap<String, Arc<dyn CompletionHandler>>,
    pub(crate) scopes: Arc<[String]>,
}

impl std::fmt::Debug for PromptDef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptDef")
            .field("prompt", &self.prompt)
            .finish()
    }
}

impl PromptDef {
    /// A prompt from its description and handler.
    pub fn new(prompt: Prompt, handler: impl PromptHandler) -> Self {
        PromptDef {
            prompt,
            handler: Arc::new(handler),
            completions: HashMap::new(),
            scopes: Arc::from([]),
        }
    }

    /// Requires every one of `scopes` of callers: others do not see the prompt in
    /// `prompts/list` and are refused when they get or complete it.
    pub fn scopes(mut self, scopes: impl IntoIterator<Item = impl Into<String>>) -> Self {
        self.scopes = scope_list(scopes);
        self
    }

    /// The scopes a caller needs (sorted; empty: open to every caller).
    pub fn required_scopes(&self) -> &[String] {
        &self.scopes
    }

    /// A prompt produced by `Fn(BTreeMap<String, String>, RequestContext) -> impl Future`.
    pub fn from_fn<F, Fut, R>(prompt: Prompt, f: F) -> Self
    where
        F: Fn(BTreeMap<String, String>, RequestContext) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = R> + Send + 'static,
        R: IntoPromptResult,
    {
        Self::new(prompt, PromptFn(f))
    }

    /// Completes argument `argument` with `handler`.
    pub fn complete(mut self, argument: &str, handler: impl CompletionHandler) -> Self {
        self.completions
            .insert(argument.to_owned(), Arc::new(handler));
        self
    }

    /// Completes argument `argument` from a fixed list of values.
    pub fn complete_from(
        self,
        argument: &str,
        values: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        self.complete(
            argument,
            StaticCompletion(values.into_iter().map(Into::into).collect()),
        )
    }

    /// The prompt's description.
    pub fn prompt(&self) -> &Prompt {
        &self.prompt
    }

    pub(crate) fn required_arguments(&self) -> impl Iterator<Item = &PromptArgument> {
        self.prompt
            .arguments
            .iter()
            .flatten()
            .filter(|a| a.required == Some(true))
    }
}

/// Anything that can be registered as a tool: a [`ToolDef`], or a function annotated with
/// `#[tool]`.
pub trait IntoToolDef {
    /// The tool definition.
    fn into_tool_def(self) -> ToolDef;
}

impl IntoToolDef for ToolDef {
    fn into_tool_def(self) -> ToolDef {
        self
    }
}

/// A resource with a fixed URI, or a template.
#[derive(Clone, Debug)]
pub enum AnyResourceDef {
    /// A fixed URI.
    Static(ResourceDef),
    /// A URI template.
    Template(ResourceTemplateDef),
}

/// Anything that can be registered as a resource: a [`ResourceDef`], a
/// [`ResourceTemplateDef`], or a function annotated with `#[resource]`.
pub trait IntoResourceDef {
    /// The resource definition.
    fn into_resource_def(self) -> AnyResourceDef;
}

impl IntoResourceDef for ResourceDef {
    fn into_resource_def(self) -> AnyResourceDef {
        AnyResourceDef::Static(self)
    }
}

impl IntoResourceDef for ResourceTemplateDef {
    fn into_resource_def(self) -> AnyResourceDef {
        AnyResourceDef::Template(self)
    }
}

impl IntoResourceDef for AnyResourceDef {
    fn into_resource_def(self) -> AnyResourceDef {
        self
    }
}

/// Anything that can be registered as a prompt: a [`PromptDef`], or a function annotated
/// with `#[prompt]`.
pub trait IntoPromptDef {
    /// The prompt definition.
    fn into_prompt_def(self) -> PromptDef;
}

impl IntoPromptDef for PromptDef {
    fn into_prompt_def(self) -> PromptDef {
        self
    }
}

/// Everything one value offers: what `#[handlers]` generates for an `impl` block whose
/// methods are tools, resources and prompts.
#[derive(Default)]
#[non_exhaustive]
pub struct Definitions {
    /// The tools.
    pub tools: Vec<ToolDef>,
    /// The resources and templates.
    pub resources: Vec<AnyResourceDef>,
    /// The prompts.
    pub prompts: Vec<PromptDef>,
}

impl Definitions {
    /// Nothing yet.
    pub fn new() -> Self {
        Self::default()
    }
}

/// A value whose methods are tools, resources and prompts (see `#[handlers]`).
pub trait Handlers: Send + Sync + 'static {
    /// The definitions, each handler holding a clone of `self`.
    fn definitions(self: Arc<Self>) -> Definitions;
}

/// Items kept in registration order with O(1) lookup by name.
#[derive(Clone)]
pub(crate) struct Ordered<T> {
    items: Vec<Arc<T>>,
    index: HashMap<Box<str>, usize>,
}

impl<T> Default for Ordered<T> {
    fn default() -> Self {
        Ordered {
            items: Vec::new(),
            index: HashMap::new(),
        }
    }
}

impl<T> Ordered<T> {
    pub(crate) fn get(&self, name: &str) -> Option<&Arc<T>> {
        self.index.get(name).map(|&i| &self.items[i])
    }

    pub(crate) fn contains(&self, name: &str) -> bool {
        self.index.contains_key(name)
    }

    pub(crate) fn insert(&mut self, name: &str, item: T) {
        match self.index.get(name) {
            Some(&i) => self.items[i] = Arc::new(item),
            None => {
                self.index.insert(name.into(), self.items.len());
                self.items.push(Arc::new(item));
            }
        }
    }

    pub(crate) fn remove(&mut self, name: &str) -> bool {
        let Some(i) = self.index.remove(name) else {
            return false;
        };
        self.items.remove(i);
        for v in self.index.values_mut() {
            if *v > i {
                *v -= 1;
            }
        }
        true
    }

    pub(crate) fn as_slice(&self) -> &[Arc<T>] {
        &self.items
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.items.is_empty()
    }
}

/// What serves a URI: the handler, the template's variables, the scopes it needs.
pub(crate) struct FoundResource {
    pub(crate) handler: Arc<dyn ResourceHandler>,
    pub(crate) params: UriParams,
    pub(crate) scopes: Arc<[String]>,
}

/// One snapshot of everything registered.
#[derive(Clone, Default)]
pub(crate) struct Registry {
    pub(crate) tools: Ordered<ToolDef>,
    pub(crate) resources: Ordered<ResourceDef>,
    /// In registration order (for listing).
    pub(crate) templates: Vec<Arc<ResourceTemplateDef>>,
    /// Most specific first (for matching): more literal text wins, then registration order.
    pub(crate) templates_by_specificity: Vec<Arc<ResourceTemplateDef>>,
    pub(crate) prompts: Ordered<PromptDef>,
    pub(crate) tools_declared: bool,
    pub(crate) resources_declared: bool,
    pub(crate) prompts_declared: bool,
    /// Whether some item ever registered requires scopes (servers without any skip the
    /// checks entirely).
    pub(crate) scoped: bool,
}

impl Registry {
    pub(crate) fn has_tools(&self) -> bool {
        self.tools_declared || !self.tools.is_empty()
    }

    pub(crate) fn has_resources(&self) -> bool {
        self.resources_declared || !self.resources.is_empty() || !self.templates.is_empty()
    }

    pub(crate) fn has_prompts(&self) -> bool {
        self.prompts_declared || !self.prompts.is_empty()
    }

    pub(crate) fn has_completions(&self) -> bool {
        self.prompts
            .as_slice()
            .iter()
            .any(|p| !p.completions.is_empty())
            || self.templates.iter().any(|t| !t.completions.is_empty())
    }

    pub(crate) fn add_tool(&mut self, def: ToolDef) -> Result<(), RegistrationError> {
        if !is_valid_tool_name(&def.tool.name) {
            return Err(RegistrationError::InvalidToolName(def.tool.name.clone()));
        }
        if !super::schema::is_object_schema(&def.tool.input_schema) {
            return Err(RegistrationError::InputSchemaNotObject(
                def.tool.name.clone(),
            ));
        }
        if let Err(reason) = &def.header_params {
            return Err(RegistrationError::InvalidHeaderAnnotation {
                tool: def.tool.name.clone(),
                reason: reason.clone(),
            });
        }
        if self.tools.contains(&def.tool.name) {
            return Err(RegistrationError::Duplicate {
                kind: "tool",
                name: def.tool.name.clone(),
            });
        }
        let name = def.tool.name.clone();
        self.scoped |= !def.scopes.is_empty();
        self.tools.insert(&name, def);
        Ok(())
    }

    pub(crate) fn add_resource(&mut self, def: ResourceDef) -> Result<(), RegistrationError> {
        if self.resources.contains(&def.resource.uri) {
            return Err(RegistrationError::Duplicate {
                kind: "resource",
                name: def.resource.uri.clone(),
            });
        }
        let uri = def.resource.uri.clone();
        self.scoped |= !def.scopes.is_empty();
        self.resources.insert(&uri, def);
        Ok(())
    }

    pub(crate) fn add_template(
        &mut self,
        def: ResourceTemplateDef,
    ) -> Result<(), RegistrationError> {
        if self
            .templates
            .iter()
            .any(|t| t.template.uri_template == def.template.uri_template)
        {
            return Err(RegistrationError::Duplicate {
                kind: "resource template",
                name: def.template.uri_template.clone(),
            });
        }
        self.scoped |= !def.scopes.is_empty();
        let def = Arc::new(def);
        self.templates.push(def.clone());
        self.templates_by_specificity.push(def);
        // Stable sort keeps registration order among equally specific templates.
        self.templates_by_specificity
            .sort_by_key(|t| std::cmp::Reverse(t.parsed.literal_len()));
        Ok(())
    }

    pub(crate) fn remove_template(&mut self, uri_template: &str) -> bool {
        let before = self.templates.len();
        self.templates
            .retain(|t| t.template.uri_template != uri_template);
        self.templates_by_specificity
            .retain(|t| t.template.uri_template != uri_template);
        before != self.templates.len()
    }

    pub(crate) fn add_prompt(&mut self, def: PromptDef) -> Result<(), RegistrationError> {
        if self.prompts.contains(&def.prompt.name) {
            return Err(RegistrationError::Duplicate {
                kind: "prompt",
                name: def.prompt.name.clone(),
            });
        }
        let name = def.prompt.name.clone();
        self.scoped |= !def.scopes.is_empty();
        self.prompts.insert(&name, def);
        Ok(())
    }

    /// Finds the handler for `uri`: an exact resource first, then the most specific
    /// template; with the scopes reading it needs.
    pub(crate) fn find_resource(&self, uri: &str) -> Option<FoundResource> {
        if let Some(r) = self.resources.get(uri) {
            return Some(FoundResource {
                handler: r.handler.clone(),
                params: UriParams::new(),
                scopes: r.scopes.clone(),
            });
        }
        self.templates_by_specificity.iter().find_map(|t| {
            t.parsed.match_uri(uri).map(|params| FoundResource {
                handler: t.handler.clone(),
                params,
                scopes: t.scopes.clone(),
            })
        })
    }

    /// The scopes reading `uri` needs, if some resource or template serves it.
    pub(crate) fn resource_scopes(&self, uri: &str) -> Option<&[String]> {
        if let Some(r) = self.resources.get(uri) {
            return Some(&r.scopes);
        }
        self.templates_by_specificity
            .iter()
            .find(|t| t.parsed.match_uri(uri).is_some())
            .map(|t| &*t.scopes)
    }

    /// The scopes completing `reference` needs, if it names a registered prompt or template.
    pub(crate) fn reference_scopes(
        &self,
        reference: &crate::types::CompletionReference,
    ) -> Option<&[String]> {
        match reference {
            crate::types::CompletionReference::Prompt(p) => {
                self.prompts.get(&p.name).map(|p| &*p.scopes)
            }
            crate::types::CompletionReference::Resource(r) => self
                .templates
                .iter()
                .find(|t| t.template.uri_template == r.uri)
                .map(|t| &*t.scopes),
        }
    }

    /// Every scope some item requires, sorted.
    pub(crate) fn declared_scopes(&self) -> Vec<String> {
        let mut all: Vec<String> = self
            .tools
            .as_slice()
            .iter()
            .flat_map(|t| t.scopes.iter())
            .chain(
                self.resources
                    .as_slice()
                    .iter()
                    .flat_map(|r| r.scopes.iter()),
            )
            .chain(self.templates.iter().flat_map(|t| t.scopes.iter()))
            .chain(self.prompts.as_slice().iter().flat_map(|p| p.scopes.iter()))
            .cloned()
            .collect();
        all.sort();
        all.dedup();
        all
    }
}

/// The kinds of paginated lists, tagging cursors so one list's cursor is refused by another.
#[derive(Clone, Copy, Debug)]
pub(crate) enum ListKind {
    Tools,
    Resources,
    Templates,
    Prompts,
}

impl ListKind {
    fn tag(self) -> &'static str {
        match self {
            ListKind::Tools => "t",
            ListKind::Resources => "r",
            ListKind::Templates => "rt",
            ListKind::Prompts => "p",
        }
    }
}

/// Cuts one page out of `len` items; returns the range and the next cursor.
pub(crate) fn page(
    kind: ListKind,
    len: usize,
    cursor: Option<&str>,
    page_size: Option<usize>,
) -> Result<(std::ops::Range<usize>, Option<String>), ErrorObject> {
    let start = match cursor {
        None => 0,
        Some(c) => decode_cursor(kind, c)
            .filter(|&s| s <= len)
            .ok_or_else(|| ErrorObject::invalid_params("Invalid cursor"))?,
    };
    let end = match page_size {
        Some(n) => (start + n.max(1)).min(len),
        None => len,
    };
    let next = (end < len).then(|| B64.encode(format!("{}:{end}", kind.tag())));
    Ok((start..end, next))
}

fn decode_cursor(kind: ListKind, cursor: &str) -> Option<usize> {
    let bytes = B64.decode(cursor).ok()?;
    let text = std::str::from_utf8(&bytes).ok()?;
    let (tag, offset) = text.split_once(':')?;
    if tag != kind.tag() {
        return None;
    }
    offset.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tool_names_follow_the_spec() {
        for ok in ["getUser", "DATA_EXPORT_v2", "admin.tools.list", "a-b"] {
            assert!(is_valid_tool_name(ok), "{ok}");
        }
        for bad in ["", "has space", "comma,name", "ünicode", &"x".repeat(129)] {
            assert!(!is_valid_tool_name(bad), "{bad}");
        }
    }

    #[test]
    fn pages_and_cursors() {
        let (r, next) = page(ListKind::Tools, 5, None, Some(2)).unwrap();
        assert_eq!(r, 0..2);
        let (r, next) = page(ListKind::Tools, 5, next.as_deref(), Some(2)).unwrap();
        assert_eq!(r, 2..4);
        let (r, next) = page(ListKind::Tools, 5, next.as_deref(), Some(2)).unwrap();
        assert_eq!(r, 4..5);
        assert!(next.is_none());
        assert!(page(ListKind::Tools, 5, Some("garbage!"), Some(2)).is_err());
        let (_, prompts_cursor) = page(ListKind::Prompts, 5, None, Some(2)).unwrap();
        assert!(page(ListKind::Tools, 5, prompts_cursor.as_deref(), Some(2)).is_err());
        let (r, next) = page(ListKind::Tools, 3, None, None).unwrap();
        assert_eq!((r, next), (0..3, None));
    }

    #[test]
    fn ordered_keeps_order_and_indexes() {
        let mut o = Ordered::default();
        o.insert("a", 1);
        o.insert("b", 2);
        o.insert("c", 3);
        assert!(o.remove("a"));
        assert_eq!(**o.get("c").unwrap(), 3);
        assert_eq!(o.as_slice().iter().map(|x| **x).collect::<Vec<_>>(), [2, 3]);
        assert_eq!(o.as_slice().len(), 2);
    }
}
