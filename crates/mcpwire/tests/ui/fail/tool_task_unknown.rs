#[mcpwire::tool(task = "sometimes")]
async fn report(month: String) -> String {
    month
}

fn main() {
    let _server = mcpwire::server!().tool(report);
}
