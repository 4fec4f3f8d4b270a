struct Language {
    name: String,
}

#[mcpwire::prompt]
fn review(language: Language) -> String {
    format!("Review this {} code", language.name)
}

fn main() {
    let _server = mcpwire::server!().prompt(review);
}
