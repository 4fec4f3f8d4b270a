//! `crate = "..."`: generated code refers to the SDK through another path.

use m::prelude::*;
use mcpwire as m;

mod sdk {
    pub use mcpwire::*;
}

/// A tool.
#[m::tool(crate = "m")]
async fn add(a: i32, b: i32) -> i32 {
    a + b
}

/// A resource.
#[m::resource("docs://{name}", crate = "m")]
fn doc(name: String) -> String {
    name
}

/// A prompt.
#[m::prompt(crate = "crate::sdk")]
fn hello(name: String) -> String {
    format!("Hello {name}")
}

struct Greeter;

#[m::handlers(crate = "m")]
impl Greeter {
    #[tool]
    fn greet(&self, name: String) -> String {
        format!("hi {name}")
    }

    #[m::prompt]
    fn welcome(&self) -> &'static str {
        "welcome"
    }
}

fn main() {
    let _server: Server = m::server!()
        .tool(add)
        .resource(doc)
        .prompt(hello)
        .register(Greeter);
}
