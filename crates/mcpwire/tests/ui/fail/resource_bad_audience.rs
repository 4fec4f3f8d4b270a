#[mcpwire::resource("docs://readme", audience = "model")]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {
    let _server = mcpwire::server!().resource(readme);
}
