#[mcpwire::prompt]
fn review(#[arg(default = 3)] lines: u32) -> String {
    format!("Review {lines} lines")
}

fn main() {
    let _server = mcpwire::server!().prompt(review);
}
