/// Greet someone.
#[mcpwire::prompt]
async fn greet(#[arg(header = "Name")] name: String) -> String {
    format!("Greet {name}")
}

fn main() {
    let _server = mcpwire::server!().prompt(greet);
}
