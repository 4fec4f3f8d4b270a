//! Every extractor, on tools, resources and prompts, mixed with arguments.

use mcpwire::client::CancellationToken;
use mcpwire::prelude::*;
use mcpwire::server::Extension;

struct Config {
    greeting: String,
}

#[derive(Clone)]
struct Caller(String);

#[mcpwire::tool]
async fn by_value(ctx: RequestContext, name: String) -> String {
    ctx.progress(1.0, None, None);
    name
}

#[mcpwire::tool]
async fn by_reference(ctx: &RequestContext) -> String {
    let _ = ctx.cancellation_token();
    "ok".into()
}

#[mcpwire::tool]
fn sync_by_reference(name: String, _ctx: &RequestContext) -> String {
    name
}

#[mcpwire::tool]
async fn state(State(config): State<Config>, name: String) -> String {
    format!("{} {name}", config.greeting)
}

#[mcpwire::tool]
async fn state_unpacked(config: State<Config>) -> String {
    config.greeting.clone()
}

#[mcpwire::tool]
async fn extension(Extension(caller): Extension<Caller>) -> String {
    caller.0
}

#[mcpwire::tool]
async fn cancellation(token: CancellationToken, seconds: u64) -> String {
    tokio::select! {
        _ = token.cancelled() => "cancelled".into(),
        _ = tokio::time::sleep(std::time::Duration::from_secs(seconds)) => "done".into(),
    }
}

#[mcpwire::tool]
async fn everything(
    ctx: RequestContext,
    a: i32,
    State(config): State<Config>,
    Extension(caller): Extension<Caller>,
    token: CancellationToken,
    b: Option<i32>,
) -> String {
    let _ = (ctx, token);
    format!("{} {} {a} {b:?}", config.greeting, caller.0)
}

#[mcpwire::resource("users://{id}")]
async fn user(id: u32, ctx: &RequestContext, State(config): State<Config>) -> String {
    let _ = ctx;
    format!("{} {id}", config.greeting)
}

#[mcpwire::prompt]
async fn greet(Extension(caller): Extension<Caller>, token: CancellationToken, ctx: RequestContext) -> String {
    let _ = (token, ctx);
    format!("Greet {}", caller.0)
}

fn main() {
    let _server = mcpwire::server!()
        .with_state(Config {
            greeting: "hi".into(),
        })
        .tool(by_value)
        .tool(by_reference)
        .tool(sync_by_reference)
        .tool(state)
        .tool(state_unpacked)
        .tool(extension)
        .tool(cancellation)
        .tool(everything)
        .resource(user)
        .prompt(greet);
}
