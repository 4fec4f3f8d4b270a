#[mcpwire::prompt]
fn review() -> u32 {
    3
}

fn main() {
    let _server = mcpwire::server!().prompt(review);
}
