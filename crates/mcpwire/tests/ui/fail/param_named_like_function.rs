#[mcpwire::resource("tags://{tag}")]
fn tag(tag: String) -> String {
    tag
}

fn main() {
    let _server = mcpwire::server!().resource(tag);
}
