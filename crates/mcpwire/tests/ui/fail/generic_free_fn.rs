#[mcpwire::tool]
async fn echo<T: serde::de::DeserializeOwned + schemars::JsonSchema + ToString>(value: T) -> String {
    value.to_string()
}

fn main() {
    let _server = mcpwire::server!().tool(echo);
}
