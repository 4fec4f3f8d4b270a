#[mcpwire::resource("secret://plans", scopes)]
async fn plans() -> String {
    "plans".into()
}

fn main() {
    let _server = mcpwire::server!().resource(plans);
}
