/// Look up a region.
#[mcpwire::tool]
async fn lookup(#[arg(header = "My Region")] region: String) -> String {
    region
}

fn main() {
    let _server = mcpwire::server!().tool(lookup);
}
