#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Options {
    verbose: bool,
}

#[mcpwire::tool]
async fn run(#[arg(flatten, default = Options { verbose: false })] options: Options) -> bool {
    options.verbose
}

fn main() {
    let _server = mcpwire::server!().tool(run);
}
