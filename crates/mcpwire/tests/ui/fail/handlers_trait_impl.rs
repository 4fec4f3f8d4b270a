#[derive(Clone)]
struct Calculator;

trait Add {
    fn add(&self, a: f64, b: f64) -> f64;
}

#[mcpwire::handlers]
impl Add for Calculator {
    #[tool]
    fn add(&self, a: f64, b: f64) -> f64 {
        a + b
    }
}

fn main() {
    let _server = mcpwire::server!().register(Calculator);
}
