#[mcpwire::resource("users://{id}")]
async fn user(id: u32, verbose: bool) -> String {
    format!("user {id} {verbose}")
}

fn main() {
    let _server = mcpwire::server!().resource(user);
}
