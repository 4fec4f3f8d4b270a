#[mcpwire::resource("file:///{path")]
async fn file(path: String) -> String {
    path
}

fn main() {
    let _server = mcpwire::server!().resource(file);
}
