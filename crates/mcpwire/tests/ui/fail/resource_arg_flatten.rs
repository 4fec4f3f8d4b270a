#[mcpwire::resource("users://{id}")]
async fn user(#[arg(flatten)] id: u32) -> String {
    id.to_string()
}

fn main() {
    let _server = mcpwire::server!().resource(user);
}
