#[mcpwire::tool]
async fn read(file: std::fs::File) -> String {
    format!("{file:?}")
}

fn main() {
    let _server = mcpwire::server!().tool(read);
}
