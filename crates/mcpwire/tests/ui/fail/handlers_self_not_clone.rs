struct Counter;

#[mcpwire::handlers]
impl Counter {
    #[tool]
    fn count(self) -> u32 {
        1
    }
}

fn main() {
    let _server = mcpwire::server!().register(Counter);
}
