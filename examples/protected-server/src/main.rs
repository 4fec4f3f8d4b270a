//! An MCP server protected by OAuth, with a demo authorization server to log in to.
//!
//! ```sh
//! cargo run -p protected-server
//! #   MCP endpoint  http://127.0.0.1:3000/mcp   (needs a bearer token)
//! #   demo OAuth    http://127.0.0.1:3001       (approves every login as `demo-user`)
//!
//! cargo run -p protected-server -- --issuer https://auth.example.com \
//!     --jwks-uri https://auth.example.com/.well-known/jwks.json   # your own authorization server
//!
//! NOTES_API_KEYS="ci:$(openssl rand -hex 16)" cargo run -p protected-server -- --api-keys-env NOTES_API_KEYS
//! ```
//!
//! An MCP client that implements the authorization spec logs in by itself: it gets a `401`,
//! reads the protected resource metadata, registers with the demo authorization server,
//! runs the authorization code flow with PKCE and retries with the token. Tools: `whoami`,
//! `list_notes` (`notes:read`), `add_note` (`notes:write`: a token from the default login
//! gets `403` and a step-up challenge), `clear_notes` (`notes:admin`).

use protected_server::{Options, Tokens};

const USAGE: &str = "usage: protected-server [--listen ADDR] [--demo-as ADDR | --issuer URL --jwks-uri URL | --api-keys-env VAR] [--per-minute N] [--in-flight N]";

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut issuer = None;
    let mut jwks = None;
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--listen" => o.listen = value()?,
            "--demo-as" => o.tokens = Tokens::Demo { listen: value()? },
            "--issuer" => issuer = Some(value()?),
            "--jwks-uri" => jwks = Some(value()?),
            "--api-keys-env" => o.tokens = Tokens::ApiKeys { env: value()? },
            "--per-minute" => {
                o.per_minute = value()?.parse().map_err(|e| format!("--per-minute: {e}"))?
            }
            "--in-flight" => {
                o.in_flight = value()?.parse().map_err(|e| format!("--in-flight: {e}"))?
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    match (issuer, jwks) {
        (Some(issuer), Some(jwks_uri)) => o.tokens = Tokens::External { issuer, jwks_uri },
        (None, None) => {}
        _ => return Err("--issuer and --jwks-uri go together".into()),
    }
    Ok(o)
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let options = match parse(&args) {
        Ok(o) => o,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("{e}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let running = protected_server::start(options).await?;
    eprintln!("MCP endpoint           {}", running.mcp_url);
    if let Some(m) = &running.metadata_url {
        eprintln!("resource metadata      {m}");
    }
    if let Some(i) = &running.issuer {
        eprintln!("authorization server   {i}");
    }
    running.task.await.map_err(std::io::Error::other)?
}
