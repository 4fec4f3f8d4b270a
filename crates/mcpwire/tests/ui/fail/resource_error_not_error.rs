#[mcpwire::resource("docs://readme")]
async fn readme() -> Result<String, ()> {
    Err(())
}

fn main() {
    let _server = mcpwire::server!().resource(readme);
}
