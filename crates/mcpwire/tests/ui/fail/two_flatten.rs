#[derive(serde::Deserialize, schemars::JsonSchema)]
struct A {
    a: i32,
}

#[derive(serde::Deserialize, schemars::JsonSchema)]
struct B {
    b: i32,
}

#[mcpwire::tool]
async fn both(#[arg(flatten)] a: A, #[arg(flatten)] b: B) -> i32 {
    a.a + b.b
}

fn main() {
    let _server = mcpwire::server!().tool(both);
}
