//! Runs the axum application with its MCP endpoint.
//!
//! ```sh
//! cargo run -p axum-app                       # http://127.0.0.1:3000
//! curl http://127.0.0.1:3000/health           # ok
//! cargo run -p calculator --bin calculator-client -- --url http://127.0.0.1:3000/mcp
//! ```

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("axum-app: http://{addr} (MCP endpoint: http://{addr}/mcp)");
    axum::serve(listener, axum_app::app()).await
}
