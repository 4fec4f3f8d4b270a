//! The client side of the example: log in to the protected server with mcpwire's OAuth client
//! and use the notes tools, stepping up from `notes:read` to `notes:write` when the server
//! asks for it.

use bytes::Bytes;
use mcpwire::http::oauth::{HttpFetch, LoopbackRedirect, OAuthClient, PlainHttp};
use mcpwire::http::{HttpClientConfig, HttpTransport};
use mcpwire::prelude::*;
use serde_json::json;

/// A boxed error.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// How the user approves the login.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Approval {
    /// Open the authorization page in the browser (and print its address).
    Browser,
    /// Fetch the authorization page and follow its redirect ourselves, as a browser would:
    /// enough for the demo authorization server, which approves every login at once.
    Automatic,
}

/// Plays the browser for an authorization server that approves without asking: fetches the
/// authorization URL and then the redirect it answers with (our loopback listener).
fn approve_automatically(url: &url::Url) {
    let url = url.to_string();
    tokio::spawn(async move {
        let http = PlainHttp::new();
        let get = |target: &str| -> Result<http::Request<Bytes>, BoxError> {
            let mut req = http::Request::new(Bytes::new());
            *req.uri_mut() = target.parse()?;
            Ok(req)
        };
        let step = async {
            let page = http.fetch(get(&url)?).await?;
            let location = page
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or("the authorization server did not redirect")?
                .to_owned();
            http.fetch(get(&location)?).await?;
            Ok::<_, BoxError>(())
        };
        if let Err(e) = step.await {
            eprintln!("automatic approval failed: {e}");
        }
    });
}

/// What a session of the demo did.
#[derive(Debug)]
pub struct Outcome {
    /// `whoami`'s answer.
    pub identity: String,
    /// The notes after adding one.
    pub notes: String,
    /// The scopes of the token in the end.
    pub scopes: Vec<String>,
}

/// Logs in to the protected MCP server at `url`, reads and adds a note, and reports.
pub async fn run(url: &str, approval: Approval) -> Result<Outcome, BoxError> {
    let mut redirect = LoopbackRedirect::bind(0).await?;
    if approval == Approval::Automatic {
        redirect = redirect.open_browser(false).show_url(approve_automatically);
    }
    let oauth = OAuthClient::builder(url)?
        .client_name("mcpwire protected-client example")
        .authorization_handler(redirect)
        .build()?;
    // Log in before connecting, so the user's time does not count against a request.
    oauth.authorize().await?;
    let config = HttpClientConfig::new(url)?.auth(oauth.clone());
    let client = Client::builder()
        .connect(HttpTransport::with_config(config))
        .await?;
    let identity = client.call_tool("whoami", json!({})).await?.text_content();
    client.call_tool("list_notes", json!({})).await?;
    // Needs `notes:write`: the server answers 403, the OAuth client asks for the scope and
    // the call is retried with the new token.
    client
        .call_tool("add_note", json!({"text": "written after a step-up"}))
        .await?;
    let notes = client
        .call_tool("list_notes", json!({}))
        .await?
        .text_content();
    let scopes = match oauth.tokens().await? {
        Some(t) => match &t.scope {
            Some(granted) => granted.split(' ').map(str::to_owned).collect(),
            None => t.requested_scopes.clone(),
        },
        None => Vec::new(),
    };
    client.close();
    Ok(Outcome {
        identity,
        notes,
        scopes,
    })
}
