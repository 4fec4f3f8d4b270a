struct Id(u32);

#[mcpwire::resource("users://{id}")]
async fn user(id: Id) -> String {
    format!("user {}", id.0)
}

fn main() {
    let _server = mcpwire::server!().resource(user);
}
