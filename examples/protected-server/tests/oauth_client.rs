//! The example client logs in to the example server with mcpwire's OAuth client, over
//! loopback: discovery, dynamic registration, authorization code with PKCE through the
//! loopback redirect listener, then a scope step-up on the first write.

use std::time::Duration;

use protected_server::login::{Approval, run};
use protected_server::{Options, Tokens};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_client_logs_in_and_steps_up() {
    let running = protected_server::start(Options {
        listen: "127.0.0.1:0".into(),
        tokens: Tokens::Demo {
            listen: "127.0.0.1:0".into(),
        },
        ..Options::default()
    })
    .await
    .unwrap();
    let outcome = tokio::time::timeout(
        Duration::from_secs(30),
        run(&running.mcp_url, Approval::Automatic),
    )
    .await
    .expect("the login finishes")
    .expect("the login succeeds");
    assert!(
        outcome.identity.contains("demo-user"),
        "{}",
        outcome.identity
    );
    assert!(
        outcome.notes.contains("written after a step-up"),
        "{}",
        outcome.notes
    );
    assert!(
        outcome.scopes.iter().any(|s| s == "notes:write"),
        "{:?}",
        outcome.scopes
    );
    assert!(
        outcome.scopes.iter().any(|s| s == "notes:read"),
        "the step-up keeps the scopes held before: {:?}",
        outcome.scopes
    );
}
