#[mcpwire::tool]
async fn greet() -> impl std::fmt::Display {
    "hello"
}

fn main() {
    let _server = mcpwire::server!().tool(greet);
}
