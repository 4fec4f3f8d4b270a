struct Report {
    lines: u32,
}

#[mcpwire::tool]
async fn report() -> Report {
    Report { lines: 1 }
}

fn main() {
    let _server = mcpwire::server!().tool(report);
}
