#[mcpwire::resource(mime_type = "text/markdown")]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {
    let _server = mcpwire::server!().resource(readme);
}
