struct Echo;

#[mcpwire::handlers]
impl Echo {
    #[tool]
    fn echo<T: serde::de::DeserializeOwned + schemars::JsonSchema + ToString>(&self, value: T) -> String {
        value.to_string()
    }
}

fn main() {
    let _server = mcpwire::server!().register(Echo);
}
