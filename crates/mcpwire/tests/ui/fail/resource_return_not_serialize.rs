struct Page {
    body: String,
}

#[mcpwire::resource("docs://page")]
async fn page() -> Page {
    Page { body: String::new() }
}

fn main() {
    let _server = mcpwire::server!().resource(page);
}
