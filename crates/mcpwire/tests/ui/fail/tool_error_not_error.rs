#[mcpwire::tool]
async fn divide(a: i64, b: i64) -> Result<i64, u32> {
    if b == 0 { Err(0) } else { Ok(a / b) }
}

fn main() {
    let _server = mcpwire::server!().tool(divide);
}
