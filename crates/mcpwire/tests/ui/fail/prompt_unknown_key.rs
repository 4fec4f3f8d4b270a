#[mcpwire::prompt(titel = "Greeting")]
fn greeting() -> String {
    "Hello!".into()
}

fn main() {}
