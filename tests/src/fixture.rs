//! A server exposing every feature, for the integration tests (in memory and over stdio).

use std::sync::Mutex;
use std::time::Duration;

use mcpwire_core::server::handler::{Json, UriParams};
use mcpwire_core::server::{
    PromptDef, RequestContext, ResourceDef, ResourceTemplateDef, Server, ToolDef,
};
use mcpwire_core::types::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// What the fixture records about cancelled handlers.
#[derive(Default)]
pub struct Events {
    /// Lines such as `slow:dropped` and `slow:token`.
    pub log: Mutex<Vec<String>>,
}

impl Events {
    fn push(&self, e: impl Into<String>) {
        self.log.lock().unwrap().push(e.into());
    }
}

#[derive(Deserialize, JsonSchema)]
struct Text {
    text: String,
}

#[derive(Deserialize, JsonSchema)]
struct Pair {
    a: i64,
    b: i64,
}

/// Structured output of `add`.
#[derive(Serialize, Deserialize, JsonSchema)]
pub struct Sum {
    /// The sum.
    pub sum: i64,
}

#[derive(Deserialize, JsonSchema)]
struct Millis {
    ms: u64,
}

#[derive(Deserialize, JsonSchema)]
struct Steps {
    steps: u32,
}

#[derive(Deserialize, JsonSchema)]
struct Name {
    name: String,
}

#[derive(Deserialize, JsonSchema)]
struct Uri {
    uri: String,
}

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

#[derive(Deserialize, JsonSchema)]
struct Person {
    name: String,
}

struct DropFlag(std::sync::Arc<Events>, &'static str);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.push(format!("{}:dropped", self.1));
    }
}

fn events(ctx: &RequestContext) -> std::sync::Arc<Events> {
    ctx.state::<Events>().expect("fixture state")
}

/// The fixture server; `page_size` splits lists into pages.
pub fn server(page_size: Option<usize>) -> Server {
    let mut server = Server::new(Implementation::new("fixture", "1.2.3"))
        .instructions("Fixture server for mcpwire tests")
        .with_state(Events::default());
    if let Some(n) = page_size {
        server = server.page_size(n);
    }
    server
        .tool(
            ToolDef::builder("echo")
                .description("Echo the text")
                .handler(|a: Text, _ctx: RequestContext| async move { a.text }),
        )
        .tool(
            ToolDef::builder("add")
                .description("Add two integers (structured output)")
                .output::<Sum>()
                .handler(
                    |a: Pair, _ctx: RequestContext| async move { Json(Sum { sum: a.a + a.b }) },
                ),
        )
        .tool(
            ToolDef::builder("numbers")
                .description("Structured output that is an array")
                .output::<Vec<u32>>()
                .handler(|_: NoArgs, _ctx: RequestContext| async move { Json(vec![1u32, 2, 3]) }),
        )
        .tool(
            ToolDef::builder("fail")
                .description("A tool failure")
                .handler(|_: NoArgs, _ctx: RequestContext| async move {
                    Err::<String, _>("this tool always fails")
                }),
        )
        .tool(
            ToolDef::builder("panic")
                .description("A handler that panics")
                .handler(|_: NoArgs, _ctx: RequestContext| async move {
                    if std::env::var_os("NEVER_SET_MCPWIRE_VAR").is_none() {
                        panic!("deliberate panic in a handler");
                    }
                    "unreachable".to_owned()
                }),
        )
        .tool(
            ToolDef::builder("slow")
                .description("Sleep, recording cancellation")
                .handler(|a: Millis, ctx: RequestContext| async move {
                    let ev = events(&ctx);
                    ev.push("slow:started");
                    let _flag = DropFlag(ev.clone(), "slow");
                    let token = ctx.cancellation_token().clone();
                    let ev2 = ev.clone();
                    tokio::spawn(async move {
                        token.cancelled().await;
                        ev2.push("slow:token");
                    });
                    tokio::time::sleep(Duration::from_millis(a.ms)).await;
                    ev.push("slow:finished");
                    "done".to_owned()
                }),
        )
        .tool(
            ToolDef::builder("events")
                .description("What the fixture recorded")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    events(&ctx).log.lock().unwrap().join(",")
                }),
        )
        .tool(
            ToolDef::builder("progress")
                .description("Report progress in steps")
                .handler(|a: Steps, ctx: RequestContext| async move {
                    for i in 1..=a.steps {
                        ctx.progress(f64::from(i), Some(f64::from(a.steps)), Some("working"));
                        tokio::task::yield_now().await;
                    }
                    format!("{} steps", a.steps)
                }),
        )
        .tool(
            ToolDef::builder("log")
                .description("Log at every level")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    ctx.debug("debug message");
                    ctx.info("info message");
                    ctx.warning("warning message");
                    ctx.error("error message");
                    "logged".to_owned()
                }),
        )
        .tool(
            ToolDef::builder("ask_name")
                .description("Elicit the user's name")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    match ctx.elicit_form::<Person>("What is your name?").await? {
                        Some(p) => Ok::<_, mcpwire_core::Error>(format!("hello {}", p.name)),
                        None => Ok("no name given".to_owned()),
                    }
                }),
        )
        .tool(
            ToolDef::builder("two_questions")
                .description("Elicit twice, one after the other")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    let first = ctx.elicit_form::<Person>("First name?").await?;
                    let second = ctx.elicit_form::<Person>("Second name?").await?;
                    Ok::<_, mcpwire_core::Error>(format!(
                        "{} and {}",
                        first.map(|p| p.name).unwrap_or_default(),
                        second.map(|p| p.name).unwrap_or_default()
                    ))
                }),
        )
        .tool(
            ToolDef::builder("ask_model")
                .description("Ask the client's model")
                .handler(|a: Text, ctx: RequestContext| async move {
                    let r = ctx
                        .sample(CreateMessageRequestParams::new(
                            [SamplingMessage::user_text(a.text)],
                            50,
                        ))
                        .await?;
                    Ok::<_, mcpwire_core::Error>(format!(
                        "model {} said: {}",
                        r.model,
                        r.first_text().unwrap_or("")
                    ))
                }),
        )
        .tool(
            ToolDef::builder("roots")
                .description("List the client's roots")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    let r = ctx.list_roots().await?;
                    Ok::<_, mcpwire_core::Error>(
                        r.roots
                            .into_iter()
                            .map(|r| r.uri)
                            .collect::<Vec<_>>()
                            .join(","),
                    )
                }),
        )
        .tool(
            ToolDef::builder("everything_at_once")
                .description("Elicit, sample and list roots concurrently")
                .handler(|_: NoArgs, ctx: RequestContext| async move {
                    let (name, model, roots) = tokio::join!(
                        ctx.elicit_form::<Person>("Name?"),
                        ctx.sample(CreateMessageRequestParams::new(
                            [SamplingMessage::user_text("hi")],
                            10
                        )),
                        ctx.list_roots()
                    );
                    Ok::<_, mcpwire_core::Error>(format!(
                        "{}|{}|{}",
                        name?.map(|p| p.name).unwrap_or_default(),
                        model?.first_text().unwrap_or(""),
                        roots?.roots.len()
                    ))
                }),
        )
        .tool(
            ToolDef::builder("add_tool")
                .description("Register a tool at run time")
                .handler(|a: Name, ctx: RequestContext| async move {
                    let def = ToolDef::builder(a.name.clone())
                        .description("Added at run time")
                        .handler(|_: NoArgs, _ctx: RequestContext| async move { "dynamic" });
                    ctx.server()
                        .add_tool(def)
                        .map(|_| "added".to_owned())
                        .map_err(|e| e.to_string())
                }),
        )
        .tool(
            ToolDef::builder("remove_tool")
                .description("Remove a tool at run time")
                .handler(|a: Name, ctx: RequestContext| async move {
                    ctx.server().remove_tool(&a.name).to_string()
                }),
        )
        .tool(
            ToolDef::builder("touch")
                .description("Mark a resource as updated")
                .handler(|a: Uri, ctx: RequestContext| async move {
                    ctx.server().notify_resource_updated(&a.uri);
                    "touched"
                }),
        )
        .resource(ResourceDef::from_fn(
            Resource::new("fixture://static", "static")
                .with_description("A static text resource")
                .with_mime_type("text/plain"),
            |_ctx: RequestContext| async move { "static contents" },
        ))
        .resource(ResourceDef::from_fn(
            Resource::new("fixture://binary", "binary").with_mime_type("application/octet-stream"),
            |_ctx: RequestContext| async move { vec![0u8, 1, 2, 255] },
        ))
        .resource(ResourceDef::from_fn(
            Resource::new("fixture://watched", "watched").with_mime_type("text/plain"),
            |_ctx: RequestContext| async move { "watch me" },
        ))
        .resource_template(
            ResourceTemplateDef::from_fn(
                ResourceTemplate::new("fixture://items/{id}", "item")
                    .with_mime_type("application/json"),
                |_uri: String, params: UriParams, _ctx: RequestContext| async move {
                    Json(serde_json::json!({ "id": params.get("id") }))
                },
            )
            .expect("valid template")
            .complete_from("id", ["1", "2", "10", "20"]),
        )
        .prompt(
            PromptDef::from_fn(
                Prompt::new("greet")
                    .with_description("Greet someone")
                    .with_argument(PromptArgument::new("name").required(true))
                    .with_argument(PromptArgument::new("style")),
                |args, _ctx: RequestContext| async move {
                    let style = args.get("style").map(String::as_str).unwrap_or("plain");
                    format!("Say hello to {} in a {style} style", args["name"])
                },
            )
            .complete_from("style", ["formal", "friendly", "funny"]),
        )
}
