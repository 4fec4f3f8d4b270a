struct Counter {
    n: u32,
}

#[mcpwire::handlers]
impl Counter {
    #[tool]
    fn bump(&mut self) -> u32 {
        self.n += 1;
        self.n
    }
}

fn main() {
    let _server = mcpwire::server!().register(Counter { n: 0 });
}
