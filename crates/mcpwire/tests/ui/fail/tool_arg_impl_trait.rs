#[mcpwire::tool]
async fn shout(word: impl Into<String>) -> String {
    word.into().to_uppercase()
}

fn main() {
    let _server = mcpwire::server!().tool(shout);
}
