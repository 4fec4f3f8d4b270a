#[mcpwire::resource("users://{id}")]
async fn user() -> String {
    "someone".into()
}

fn main() {
    let _server = mcpwire::server!().resource(user);
}
