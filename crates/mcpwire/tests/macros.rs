//! The attribute macros, exercised through a real client over the in-memory transport on
//! both eras: schemas, arguments, extractors, return conversions, errors and coercion.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use mcpwire::client::ConnectMode;
use mcpwire::prelude::*;
use mcpwire::server::{Extension, SafePath};
use mcpwire::types::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

// ---------- tools ----------

/// Add two numbers.
#[mcpwire::tool(read_only, idempotent)]
async fn add(
    /** The first addend. */
    a: f64,
    /** The second addend. */
    b: f64,
) -> f64 {
    a + b
}

/// Repeat a word.
#[mcpwire::tool(
    name = "repeat-word",
    title = "Repeat",
    destructive = false,
    open_world
)]
fn repeat(
    word: String,
    #[arg(default = 2, description = "How many times.")] times: u32,
    separator: Option<String>,
) -> String {
    vec![word; times as usize].join(separator.as_deref().unwrap_or(" "))
}

/// A point on the plane.
#[derive(Clone, Serialize, Deserialize, JsonSchema)]
struct Point {
    /// Horizontal.
    x: i32,
    /// Vertical.
    y: i32,
}

/// Mirror a point.
#[mcpwire::tool]
async fn mirror(#[arg(flatten)] p: Point) -> Point {
    Point { x: -p.x, y: -p.y }
}

/// Divide, failing on zero.
#[mcpwire::tool]
async fn divide(a: f64, b: f64) -> Result<f64, String> {
    if b == 0.0 {
        Err("division by zero".into())
    } else {
        Ok(a / b)
    }
}

/// List the first n squares.
#[mcpwire::tool]
async fn squares(n: u32) -> Vec<u32> {
    (1..=n).map(|i| i * i).collect()
}

fn render_point(p: &Point) -> String {
    format!("({}, {})", p.x, p.y)
}

/// A point with a custom text rendering.
#[mcpwire::tool(text = render_point)]
async fn origin() -> Point {
    Point { x: 0, y: 0 }
}

/// Content blocks.
#[mcpwire::tool]
async fn picture() -> Vec<ContentBlock> {
    vec![
        ContentBlock::text("a picture:"),
        ContentBlock::image("iVBORw0KGgo=", "image/png"),
    ]
}

/// Sum with LLM-style strings accepted.
#[mcpwire::tool(lenient)]
async fn lenient_sum(a: i64, b: i64, negate: bool) -> i64 {
    if negate { -(a + b) } else { a + b }
}

/// Counter shared through state.
struct Counter(AtomicU32);

/// Count calls, reporting progress.
#[mcpwire::tool]
async fn count(ctx: RequestContext, State(counter): State<Counter>) -> String {
    ctx.progress(1.0, Some(1.0), None);
    counter.0.fetch_add(1, Ordering::SeqCst).to_string()
}

/// The caller, as a layer attached it.
#[derive(Clone)]
struct Caller(String);

/// Greet the caller.
#[mcpwire::tool]
async fn whoami(Extension(caller): Extension<Caller>) -> String {
    format!("you are {}", caller.0)
}

/// Ask the user for a name.
#[mcpwire::tool]
async fn ask(ctx: RequestContext) -> Result<String, mcpwire::Error> {
    #[derive(Deserialize, JsonSchema)]
    struct Name {
        name: String,
    }
    let name = ctx.elicit_form::<Name>("Your name?").await?;
    Ok(format!("hi {}", name.map(|n| n.name).unwrap_or_default()))
}

/// Nothing to return.
#[mcpwire::tool]
async fn noop() {}

// ---------- tools as methods ----------

struct Store<T> {
    items: std::sync::Mutex<Vec<T>>,
    name: &'static str,
}

#[mcpwire::handlers]
impl<T: Clone + Serialize + for<'de> Deserialize<'de> + JsonSchema + Send + 'static> Store<T> {
    /// Add an item.
    #[tool]
    async fn push(&self, item: T) -> usize {
        let mut items = self.items.lock().unwrap();
        items.push(item);
        items.len()
    }

    /// All items.
    #[tool]
    fn items(&self) -> Vec<T> {
        self.items.lock().unwrap().clone()
    }

    /// The store's name.
    #[tool(name = "store-name")]
    fn store_name(self: Arc<Self>) -> String {
        self.name.to_owned()
    }

    /// The number of stores (an associated function).
    #[tool]
    fn version() -> &'static str {
        "1"
    }

    /// An item by position.
    #[resource("store://items/{index}", mime_type = "application/json")]
    fn item(&self, index: usize) -> Result<T, mcpwire::Error> {
        self.items
            .lock()
            .unwrap()
            .get(index)
            .cloned()
            .ok_or_else(|| mcpwire::Error::invalid_params("no such item"))
    }

    /// Describe the store.
    #[prompt]
    fn describe_store(&self) -> String {
        format!("Describe the store {}", self.name)
    }
}

// ---------- resources ----------

/// A README.
#[mcpwire::resource(
    "docs://readme",
    mime_type = "text/markdown",
    title = "Read me",
    priority = 0.9,
    audience = "user,assistant"
)]
async fn readme() -> String {
    "# Hello".into()
}

/// Raw bytes.
#[mcpwire::resource("docs://logo")]
async fn logo() -> Vec<u8> {
    vec![1, 2, 3]
}

/// A user record, as JSON.
#[derive(Serialize)]
struct User {
    id: u32,
    name: String,
}

fn user_ids(prefix: &str) -> Vec<String> {
    ["1", "2", "12"]
        .iter()
        .filter(|i| i.starts_with(prefix))
        .map(|s| s.to_string())
        .collect()
}

async fn list_users(_ctx: RequestContext) -> Result<Vec<Resource>, mcpwire::Error> {
    Ok(vec![
        Resource::new("users://1", "user 1"),
        Resource::new("users://2", "user 2"),
    ])
}

/// A user by id.
#[mcpwire::resource("users://{id}", list = list_users)]
async fn user(#[arg(complete = user_ids)] id: u32) -> User {
    User {
        id,
        name: format!("user{id}"),
    }
}

struct Root(std::path::PathBuf);

/// A file below the served root.
#[mcpwire::resource("file:///{+path}", mime_type = "text/plain")]
async fn file(path: SafePath, State(root): State<Root>) -> Result<String, mcpwire::Error> {
    Ok(format!("would read {}", path.under(&root.0).display()))
}

/// Search results.
#[mcpwire::resource("search://items{?q,limit}")]
async fn search(q: Option<String>, limit: Option<u32>) -> String {
    format!("q={} limit={}", q.unwrap_or_default(), limit.unwrap_or(10))
}

// ---------- prompts ----------

fn languages(prefix: &str) -> Vec<&'static str> {
    ["rust", "ruby", "python"]
        .into_iter()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

async fn styles(prefix: String) -> Vec<String> {
    ["terse", "thorough"]
        .iter()
        .filter(|s| s.starts_with(&prefix))
        .map(|s| s.to_string())
        .collect()
}

/// Review code in a language.
#[mcpwire::prompt(title = "Code review")]
async fn review(
    /// The language of the code.
    #[arg(complete = languages)]
    language: String,
    #[arg(complete = styles, description = "How to review.")] style: Option<String>,
    /// Lines to look at.
    lines: Option<u32>,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(format!(
        "Review this {language} code ({}, {} lines)",
        style.unwrap_or_else(|| "normal".into()),
        lines.unwrap_or(0)
    ))]
}

/// A fixed greeting.
#[mcpwire::prompt(name = "hello")]
fn greeting() -> &'static str {
    "Hello!"
}

fn server() -> Server {
    mcpwire::server!()
        .with_state(Counter(AtomicU32::new(0)))
        .with_state(Root("/srv/data".into()))
        .tool(add)
        .tool(repeat)
        .tool(mirror)
        .tool(divide)
        .tool(squares)
        .tool(origin)
        .tool(picture)
        .tool(lenient_sum)
        .tool(count)
        .tool(whoami)
        .tool(ask)
        .tool(noop)
        .register(Store::<Point> {
            items: Default::default(),
            name: "points",
        })
        .resource(readme)
        .resource(logo)
        .resource(user)
        .resource(file)
        .resource(search)
        .prompt(review)
        .prompt(greeting)
}

/// A layer-like wrapper attaching a `Caller` extension to every request.
#[derive(Clone)]
struct WithCaller<S>(S);

impl<S> tower::Service<mcpwire::server::McpRequest> for WithCaller<S>
where
    S: tower::Service<mcpwire::server::McpRequest>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;
    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }
    fn call(&mut self, mut req: mcpwire::server::McpRequest) -> S::Future {
        req.extensions.insert(Caller("ada".into()));
        self.0.call(req)
    }
}

async fn clients() -> Vec<(ConnectMode, Client)> {
    let mut out = Vec::new();
    for mode in [
        ConnectMode::Modern(ProtocolVersion::V2026_07_28),
        ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
    ] {
        let server = server();
        let service = WithCaller(server.clone().into_service());
        let (c, s) = mcpwire::transport::memory::duplex();
        tokio::spawn(async move {
            let _ = server.serve_service(service, s).await;
        });
        let client = Client::builder()
            .mode(mode)
            .on_elicitation(|_| async {
                let mut content = JsonObject::new();
                content.insert("name".into(), "Ada".into());
                Ok(ElicitResult::accept(content))
            })
            .connect(c)
            .await
            .unwrap();
        out.push((mode, client));
    }
    out
}

fn tool<'a>(tools: &'a [Tool], name: &str) -> &'a Tool {
    tools
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("no tool {name}"))
}

#[tokio::test]
async fn generated_tools_describe_themselves() {
    let (_, client) = clients().await.remove(0);
    let tools = client.list_tools().await.unwrap();
    // (Locals cannot be named `add` here: `add` is the tool's unit struct.)
    let t_add = tool(&tools, "add");
    assert_eq!(t_add.description.as_deref(), Some("Add two numbers."));
    assert_eq!(
        t_add.input_schema["properties"]["a"]["description"],
        "The first addend."
    );
    assert_eq!(t_add.input_schema["required"], json!(["a", "b"]));
    let ann = t_add.annotations.as_ref().unwrap();
    assert_eq!(
        (ann.read_only_hint, ann.idempotent_hint),
        (Some(true), Some(true))
    );
    assert_eq!(t_add.output_schema.as_ref().unwrap()["type"], "number");

    let t_repeat = tool(&tools, "repeat-word");
    assert_eq!(t_repeat.title.as_deref(), Some("Repeat"));
    assert_eq!(t_repeat.input_schema["required"], json!(["word"]));
    assert_eq!(t_repeat.input_schema["properties"]["times"]["default"], 2);
    assert_eq!(
        t_repeat.input_schema["properties"]["times"]["description"],
        "How many times."
    );
    let ann = t_repeat.annotations.as_ref().unwrap();
    assert_eq!(
        (
            ann.destructive_hint,
            ann.open_world_hint,
            ann.title.as_deref()
        ),
        (Some(false), Some(true), Some("Repeat"))
    );
    // A string result has no output schema; a struct result has one.
    assert!(t_repeat.output_schema.is_none());
    let t_mirror = tool(&tools, "mirror");
    assert_eq!(
        t_mirror.input_schema["properties"]["x"]["description"],
        "Horizontal."
    );
    assert_eq!(
        t_mirror.output_schema.as_ref().unwrap()["properties"]["y"]["type"],
        "integer"
    );
    // No arguments: an empty object schema.
    assert_eq!(
        tool(&tools, "noop").input_schema,
        Tool::empty_input_schema()
    );
    // Extractors are not arguments.
    assert!(tool(&tools, "count").input_schema.get("required").is_none());
    // Methods of a generic impl block use the type parameter's schema.
    assert_eq!(
        tool(&tools, "push").input_schema["properties"]["item"]["properties"]["x"]["type"],
        "integer"
    );
    assert!(
        tools.iter().any(|t| t.name == "store-name") && tools.iter().any(|t| t.name == "version")
    );
}

#[tokio::test]
async fn generated_tools_run_on_both_eras() {
    for (mode, client) in clients().await {
        eprintln!("{mode:?}");
        let legacy = matches!(mode, ConnectMode::Legacy(_));
        let r = client
            .call_tool("add", json!({"a": 1.5, "b": 2}))
            .await
            .unwrap();
        assert_eq!(
            r.structured_content,
            Some(if legacy {
                json!({"result": 3.5})
            } else {
                json!(3.5)
            })
        );
        let r = client
            .call_tool("repeat-word", json!({"word": "ho"}))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "ho ho");
        let r = client
            .call_tool(
                "repeat-word",
                json!({"word": "ho", "times": 3, "separator": "-"}),
            )
            .await
            .unwrap();
        assert_eq!(r.text_content(), "ho-ho-ho");
        let r = client
            .call_tool("mirror", json!({"x": 1, "y": -2}))
            .await
            .unwrap();
        assert_eq!(r.structured_content, Some(json!({"x": -1, "y": 2})));
        let r = client.call_tool("squares", json!({"n": 3})).await.unwrap();
        assert_eq!(
            r.structured_content,
            Some(if legacy {
                json!({"result": [1, 4, 9]})
            } else {
                json!([1, 4, 9])
            })
        );
        let r = client.call_tool("origin", json!({})).await.unwrap();
        assert_eq!(r.text_content(), "(0, 0)");
        assert_eq!(r.structured_content, Some(json!({"x": 0, "y": 0})));
        let r = client.call_tool("picture", json!({})).await.unwrap();
        assert!(matches!(r.content[1], ContentBlock::Image(_)));
        let r = client.call_tool("noop", json!({})).await.unwrap();
        assert!(r.content.is_empty() && !r.is_error());
        let r = client.call_tool("count", json!({})).await.unwrap();
        assert_eq!(r.text_content(), "0");
        let r = client.call_tool("whoami", json!({})).await.unwrap();
        assert_eq!(r.text_content(), "you are ada");
        let r = client.call_tool("ask", json!({})).await.unwrap();
        assert_eq!(r.text_content(), "hi Ada");
        // Methods share their value.
        let r = client
            .call_tool("push", json!({"item": {"x": 1, "y": 2}}))
            .await
            .unwrap();
        assert_eq!(
            r.structured_content,
            Some(if legacy {
                json!({"result": 1})
            } else {
                json!(1)
            })
        );
        let r = client.call_tool("items", json!({})).await.unwrap();
        let items = if legacy {
            r.structured_content.unwrap()["result"].clone()
        } else {
            r.structured_content.unwrap()
        };
        assert_eq!(items, json!([{"x": 1, "y": 2}]));
        assert_eq!(
            client
                .call_tool("store-name", json!({}))
                .await
                .unwrap()
                .text_content(),
            "points"
        );
        assert_eq!(
            client
                .call_tool("version", json!({}))
                .await
                .unwrap()
                .text_content(),
            "1"
        );
    }
}

#[tokio::test]
async fn tool_failures_and_argument_errors_are_readable_results() {
    for (_, client) in clients().await {
        let r = client
            .call_tool("divide", json!({"a": 1, "b": 0}))
            .await
            .unwrap();
        assert!(r.is_error());
        assert_eq!(r.text_content(), "division by zero");
        let r = client.call_tool("add", json!({"a": 1})).await.unwrap();
        assert!(r.is_error());
        assert!(
            r.text_content().contains("missing required argument `b`"),
            "{}",
            r.text_content()
        );
        let r = client
            .call_tool("add", json!({"a": 1, "b": "two"}))
            .await
            .unwrap();
        assert!(r.is_error());
        assert!(
            r.text_content().contains("b: invalid type"),
            "{}",
            r.text_content()
        );
        let r = client.call_tool("mirror", json!({"x": 1})).await.unwrap();
        assert!(
            r.is_error() && r.text_content().contains("y"),
            "{}",
            r.text_content()
        );
        // Strict by default, lenient on request.
        let r = client
            .call_tool("add", json!({"a": "1", "b": 2}))
            .await
            .unwrap();
        assert!(r.is_error());
        let r = client
            .call_tool(
                "lenient_sum",
                json!({"a": "3", "b": " 4 ", "negate": "true"}),
            )
            .await
            .unwrap();
        assert!(!r.is_error(), "{}", r.text_content());
        assert_eq!(r.text_content(), "-7");
    }
}

#[tokio::test]
async fn generated_resources_read_static_templated_and_guarded() {
    for (mode, client) in clients().await {
        eprintln!("{mode:?}");
        let listed = client.list_resources().await.unwrap();
        let uris: Vec<&str> = listed.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(
            uris,
            ["docs://readme", "docs://logo", "users://1", "users://2"]
        );
        let r_readme = &listed[0];
        assert_eq!(r_readme.mime_type.as_deref(), Some("text/markdown"));
        assert_eq!(r_readme.title.as_deref(), Some("Read me"));
        assert_eq!(r_readme.description.as_deref(), Some("A README."));
        assert_eq!(r_readme.annotations.as_ref().unwrap().priority, Some(0.9));
        let templates = client.list_resource_templates().await.unwrap();
        let names: Vec<&str> = templates.iter().map(|t| t.uri_template.as_str()).collect();
        assert_eq!(
            names,
            [
                "store://items/{index}",
                "users://{id}",
                "file:///{+path}",
                "search://items{?q,limit}"
            ]
        );

        let text = |r: ReadResourceResult| match r.contents.into_iter().next() {
            Some(ResourceContents::Text(t)) => (t.text, t.mime_type),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            text(client.read_resource("docs://readme").await.unwrap()),
            ("# Hello".into(), Some("text/markdown".into()))
        );
        match &client.read_resource("docs://logo").await.unwrap().contents[0] {
            ResourceContents::Blob(b) => assert_eq!(b.blob, "AQID"),
            other => panic!("{other:?}"),
        }
        let (t, mime) = text(client.read_resource("users://7").await.unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&t).unwrap(),
            json!({"id": 7, "name": "user7"})
        );
        assert_eq!(mime.as_deref(), Some("application/json"));
        // A variable that does not parse names the variable.
        let e = client.read_resource("users://seven").await.unwrap_err();
        assert_eq!(e.code().unwrap().0, -32602);
        assert!(e.to_string().contains("`id`"), "{e}");
        // Paths cannot escape their root.
        let (t, _) = text(client.read_resource("file:///notes/a.txt").await.unwrap());
        assert_eq!(t, "would read /srv/data/notes/a.txt");
        let e = client
            .read_resource("file:///../etc/passwd")
            .await
            .unwrap_err();
        assert!(e.to_string().contains(".."), "{e}");
        // Query variables are optional.
        assert_eq!(
            text(
                client
                    .read_resource("search://items?limit=3&q=x")
                    .await
                    .unwrap()
            )
            .0,
            "q=x limit=3"
        );
        assert_eq!(
            text(client.read_resource("search://items").await.unwrap()).0,
            "q= limit=10"
        );
        // Methods as resources.
        client
            .call_tool("push", json!({"item": {"x": 5, "y": 6}}))
            .await
            .unwrap();
        let (t, _) = text(client.read_resource("store://items/0").await.unwrap());
        assert_eq!(
            serde_json::from_str::<Value>(&t).unwrap(),
            json!({"x": 5, "y": 6})
        );
        assert!(client.read_resource("store://items/9").await.is_err());
    }
}

#[tokio::test]
async fn generated_prompts_and_completions() {
    for (_, client) in clients().await {
        assert!(client.server_capabilities().completions.is_some());
        let prompts = client.list_prompts().await.unwrap();
        let p_review = prompts.iter().find(|p| p.name == "review").unwrap();
        assert_eq!(p_review.title.as_deref(), Some("Code review"));
        let args = p_review.arguments.as_ref().unwrap();
        assert_eq!(args[0].name, "language");
        assert_eq!(args[0].required, Some(true));
        assert_eq!(
            args[0].description.as_deref(),
            Some("The language of the code.")
        );
        assert_eq!(args[1].required, Some(false));
        assert_eq!(args[1].description.as_deref(), Some("How to review."));
        let r = client
            .get_prompt(
                "review",
                [("language", "rust"), ("style", "terse"), ("lines", "40")],
            )
            .await
            .unwrap();
        assert_eq!(
            r.messages[0].content.as_text(),
            Some("Review this rust code (terse, 40 lines)")
        );
        let e = client
            .get_prompt("review", [("language", "rust"), ("lines", "forty")])
            .await
            .unwrap_err();
        assert_eq!(e.code().unwrap().0, -32602);
        assert!(e.to_string().contains("`lines`"), "{e}");
        let e = client
            .get_prompt("review", [("style", "terse")])
            .await
            .unwrap_err();
        assert!(e.to_string().contains("language"), "{e}");
        let r = client
            .get_prompt("hello", Vec::<(String, String)>::new())
            .await
            .unwrap();
        assert_eq!(r.messages[0].content.as_text(), Some("Hello!"));
        let r = client
            .get_prompt("describe_store", Vec::<(String, String)>::new())
            .await
            .unwrap();
        assert_eq!(
            r.messages[0].content.as_text(),
            Some("Describe the store points")
        );

        let complete = |r: CompletionReference, arg: &str, v: &str| {
            client.complete(CompleteRequestParams::new(r, arg, v))
        };
        let c = complete(
            CompletionReference::Prompt(PromptReference::new("review")),
            "language",
            "r",
        )
        .await
        .unwrap();
        assert_eq!(c.values, ["rust", "ruby"]);
        let c = complete(
            CompletionReference::Prompt(PromptReference::new("review")),
            "style",
            "th",
        )
        .await
        .unwrap();
        assert_eq!(c.values, ["thorough"]);
        let c = complete(
            CompletionReference::Resource(ResourceTemplateReference::new("users://{id}")),
            "id",
            "1",
        )
        .await
        .unwrap();
        assert_eq!(c.values, ["1", "12"]);
    }
}

#[test]
fn functions_stay_callable() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    assert_eq!(rt.block_on(add(2.0, 3.0)), 5.0);
    assert_eq!(repeat("a".into(), 3, None), "a a a");
    assert_eq!(
        rt.block_on(divide(1.0, 0.0)),
        Err("division by zero".to_owned())
    );
    assert_eq!(greeting(), "Hello!");
}

#[test]
#[should_panic(expected = "tool `add` is already registered")]
fn registering_a_tool_twice_panics_at_the_call() {
    let _ = mcpwire::server!().tool(add).tool(add);
}

/// Look up a region's capacity.
#[mcpwire::tool]
async fn capacity(
    /** The region. */
    #[arg(header = "Region")]
    region: String,
    #[arg(header = "Zone")] zone: Option<u32>,
) -> String {
    format!("{region}/{}", zone.unwrap_or(0))
}

/// A header on a number, which the spec does not allow.
#[mcpwire::tool]
async fn ratio(#[arg(header = "Ratio")] value: f64) -> f64 {
    value
}

#[test]
fn header_arguments_are_annotated_in_the_schema() {
    let server = mcpwire::server!().tool(capacity);
    let tool = server.find_tool("capacity").unwrap();
    let props = &tool.tool().input_schema["properties"];
    assert_eq!(props["region"]["x-mcp-header"], "Region");
    assert_eq!(props["zone"]["x-mcp-header"], "Zone");
    let params = tool.header_params().unwrap();
    assert_eq!(
        params.iter().map(|p| p.header.as_str()).collect::<Vec<_>>(),
        ["Region", "Zone"]
    );
}

#[test]
#[should_panic(expected = "tool `ratio` has an invalid x-mcp-header annotation")]
fn a_header_on_a_number_is_refused_at_registration() {
    let _ = mcpwire::server!().tool(ratio);
}
