//! The fixture server over stdio, for the stdio integration tests.
//!
//! `fixture-server [--page-size N]`

#[tokio::main]
async fn main() -> Result<(), mcpwire_core::Error> {
    let args: Vec<String> = std::env::args().collect();
    let page_size = args
        .iter()
        .position(|a| a == "--page-size")
        .and_then(|i| args.get(i + 1))
        .and_then(|n| n.parse().ok());
    mcpwire_tests::fixture::server(page_size)
        .serve(mcpwire_stdio::stdio())
        .await
}
