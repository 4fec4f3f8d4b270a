fn languages(prefix: u32) -> Vec<String> {
    vec![prefix.to_string()]
}

#[mcpwire::prompt]
fn review(#[arg(complete = languages)] language: String) -> String {
    format!("Review this {language} code")
}

fn main() {
    let _server = mcpwire::server!().prompt(review);
}
