struct Calculator;

#[mcpwire::handlers]
impl Calculator {
    #[tool]
    #[prompt]
    fn add(&self, a: f64, b: f64) -> String {
        (a + b).to_string()
    }
}

fn main() {
    let _server = mcpwire::server!().register(Calculator);
}
