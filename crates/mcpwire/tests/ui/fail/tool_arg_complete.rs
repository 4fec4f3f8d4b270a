fn langs(prefix: &str) -> Vec<String> {
    vec![prefix.to_owned()]
}

#[mcpwire::tool]
async fn pick(#[arg(complete = langs)] language: String) -> String {
    language
}

fn main() {
    let _server = mcpwire::server!().tool(pick);
}
