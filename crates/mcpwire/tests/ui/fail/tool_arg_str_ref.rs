#[mcpwire::tool]
async fn shout(word: &str) -> String {
    word.to_uppercase()
}

fn main() {
    let _server = mcpwire::server!().tool(shout);
}
