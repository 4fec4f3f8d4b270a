#[mcpwire::tool]
struct Add {
    a: f64,
    b: f64,
}

fn main() {}
