#[mcpwire::prompt]
fn review(language: String) -> Result<String, u32> {
    if language.is_empty() { Err(1) } else { Ok(format!("Review this {language} code")) }
}

fn main() {
    let _server = mcpwire::server!().prompt(review);
}
