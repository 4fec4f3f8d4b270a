#[mcpwire::tool(scopes = ["files:read", 42])]
async fn read(path: String) -> String {
    path
}

fn main() {
    let _server = mcpwire::server!().tool(read);
}
