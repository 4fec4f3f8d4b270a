#[mcpwire::tool]
const fn answer() -> u32 {
    42
}

fn main() {
    let _server = mcpwire::server!().tool(answer);
}
