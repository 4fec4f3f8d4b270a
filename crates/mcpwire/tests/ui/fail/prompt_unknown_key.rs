#[mcpwire::prompt(titel = "Greeting")]
fn greeting() -> String {
    "Hello!".into()
}

fn main() {
    let _server = mcpwire::server!().prompt(greeting);
}
