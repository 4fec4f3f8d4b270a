#[mcpwire::prompt]
fn review() -> u32 {
    3
}

fn main() {}
