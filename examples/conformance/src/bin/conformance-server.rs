//! The conformance server over Streamable HTTP at `http://127.0.0.1:$PORT/mcp` (default
//! port 3000), for `conformance server --url http://localhost:3000/mcp`.

use mcpwire::http::HttpServer;

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let port: u16 = match std::env::var("PORT") {
        Ok(p) => p.parse().map_err(|_| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("PORT `{p}` is not a port number"),
            )
        })?,
        Err(_) => 3000,
    };
    let http = HttpServer::bind(("127.0.0.1", port), conformance::server()).await?;
    eprintln!("conformance-server: listening on {}", http.url());
    http.run().await
}
