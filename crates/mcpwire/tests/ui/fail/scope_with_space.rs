#[mcpwire::prompt(scopes = ["files read"])]
async fn review() -> String {
    "review".into()
}

fn main() {
    let _server = mcpwire::server!().prompt(review);
}
