/// Route a request.
#[mcpwire::tool]
async fn route(
    #[arg(header = "Region")] region: String,
    #[arg(header = "region")] fallback: String,
) -> String {
    format!("{region} {fallback}")
}

fn main() {
    let _server = mcpwire::server!().tool(route);
}
