//! Our client against a server built on the official Python SDK (`tests/interop/py_server.py`,
//! PyPI `mcp` 2.x), which speaks both eras: the foreign server that proves our client's
//! 2026-07-28 era end to end (server-everything only speaks 2025-11-25).
//!
//! ```sh
//! interop-python [--mode auto|modern|legacy] --url http://127.0.0.1:3918/mcp   # Streamable HTTP
//! interop-python [--mode auto|modern|legacy] python tests/interop/py_server.py  # stdio
//! ```
//!
//! `auto` (the default) and `modern` must end up on 2026-07-28, `legacy` on 2025-11-25.
//! Prints one line per check and `N passed, M failed`; exits 1 on any failure.

#![allow(clippy::print_stdout)] // a command-line checker: stdout is its report

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mcpwire_core::client::{Client, ConnectMode, RequestOptions, ServerEvent};
use mcpwire_core::types::*;
use mcpwire_core::{Era, Error, ProtocolVersion};
use mcpwire_http::HttpTransport;
use mcpwire_stdio::ChildProcess;
use serde_json::json;

const USAGE: &str = "usage: interop-python [--mode auto|modern|legacy] (--url http://HOST:PORT/mcp | <server command> [args...])";

struct Report {
    passed: usize,
    failed: usize,
}

impl Report {
    fn check(&mut self, name: &str, outcome: Result<String, String>) {
        match outcome {
            Ok(detail) => {
                self.passed += 1;
                println!("PASS {name}: {detail}");
            }
            Err(e) => {
                self.failed += 1;
                println!("FAIL {name}: {e}");
            }
        }
    }
}

fn err(e: Error) -> String {
    e.to_string()
}

/// How to reach the server.
enum Wire {
    /// A spawned server process, over stdio.
    Stdio(Box<ChildProcess>),
    /// A listening server, over Streamable HTTP.
    Http(HttpTransport),
}

fn usage() -> ! {
    eprintln!("{USAGE}");
    std::process::exit(2);
}

#[tokio::main]
async fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut mode_name = "auto".to_owned();
    if args.first().is_some_and(|a| a == "--mode") {
        if args.len() < 2 {
            usage();
        }
        mode_name = args.remove(1);
        args.remove(0);
    }
    let (mode, expected) = match mode_name.as_str() {
        "auto" => (ConnectMode::Auto, ProtocolVersion::V2026_07_28),
        "modern" => (
            ConnectMode::Modern(ProtocolVersion::V2026_07_28),
            ProtocolVersion::V2026_07_28,
        ),
        "legacy" => (
            ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
            ProtocolVersion::V2025_11_25,
        ),
        _ => usage(),
    };
    let wire = match args.as_slice() {
        [flag, url] if flag == "--url" => match HttpTransport::new(url) {
            Ok(t) => Wire::Http(t),
            Err(e) => {
                println!("FAIL {url}: {e}");
                std::process::exit(2);
            }
        },
        [program, rest @ ..] if !program.starts_with("--") => {
            match ChildProcess::spawn(program, rest) {
                Ok(p) => Wire::Stdio(Box::new(p)),
                Err(e) => {
                    println!("FAIL spawn {program}: {e}");
                    std::process::exit(1);
                }
            }
        }
        _ => usage(),
    };

    let mut report = Report {
        passed: 0,
        failed: 0,
    };
    let elicited = Arc::new(AtomicUsize::new(0));
    let e2 = elicited.clone();
    let builder = Client::builder()
        .info(Implementation::new(
            "mcpwire-interop",
            env!("CARGO_PKG_VERSION"),
        ))
        .mode(mode)
        .probe_timeout(Duration::from_secs(10))
        .request_timeout(Duration::from_secs(30))
        .on_elicitation(move |params| {
            e2.fetch_add(1, Ordering::SeqCst);
            async move {
                let ElicitRequestParams::Form(form) = params else {
                    return Ok(ElicitResult::decline());
                };
                let mut content = JsonObject::new();
                if let Some(props) = form
                    .requested_schema
                    .get("properties")
                    .and_then(|p| p.as_object())
                {
                    for k in props.keys() {
                        content.insert(k.clone(), json!("Interop Tester"));
                    }
                }
                Ok(ElicitResult::accept(content))
            }
        });
    let connected = match wire {
        Wire::Stdio(process) => builder.connect(*process).await,
        Wire::Http(transport) => builder.connect(transport).await,
    };
    let client = match connected {
        Ok(c) => c,
        Err(e) => {
            println!("FAIL connect: {e}");
            println!("0 passed, 1 failed");
            std::process::exit(1);
        }
    };
    let version = client.protocol_version();
    println!("  negotiated protocol {version} (mode {mode_name})");

    report.check("connect", {
        let name = client.server_info().map(|i| i.name).unwrap_or_default();
        if version == expected && name == "py-interop-server" {
            let how = match version.era() {
                Era::Modern => "server/discover",
                Era::Legacy => "initialize",
            };
            Ok(format!("{name} on {version} via {how}"))
        } else {
            Err(format!(
                "{name} on {version}, expected py-interop-server on {expected}"
            ))
        }
    });

    report.check(
        "tools/list",
        client.list_tools().await.map_err(err).and_then(|tools| {
            let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
            match ["echo", "count", "ask_name", "touch"]
                .iter()
                .find(|w| !names.contains(w))
            {
                None => Ok(format!("{names:?}")),
                Some(missing) => Err(format!("{missing} not in {names:?}")),
            }
        }),
    );

    report.check(
        "tools/call echo",
        client
            .call_tool("echo", json!({"message": "hello interop"}))
            .await
            .map_err(err)
            .and_then(|r| {
                let t = r.text_content();
                match (r.is_error(), t == "Echo: hello interop") {
                    (false, true) => Ok(format!(
                        "{t}; structuredContent {}",
                        r.structured_content
                            .map(|v| v.to_string())
                            .unwrap_or_else(|| "none".into())
                    )),
                    _ => Err(format!("{r:?}")),
                }
            }),
    );

    let progress = Arc::new(std::sync::Mutex::new(Vec::new()));
    let p2 = progress.clone();
    report.check(
        "tools/call count with progress",
        client
            .call_tool_with(
                "count",
                json!({"steps": 3}),
                RequestOptions::new().on_progress(move |p| {
                    p2.lock().unwrap().push(p.progress);
                }),
            )
            .await
            .map_err(err)
            .and_then(|r| {
                let seen = progress.lock().unwrap().clone();
                let t = r.text_content();
                if r.is_error() || t != "counted 3" {
                    Err(format!("{r:?}"))
                } else if seen.is_empty() {
                    Err("no progress notification".into())
                } else if seen.windows(2).any(|w| w[1] <= w[0]) {
                    Err(format!("progress not increasing: {seen:?}"))
                } else {
                    Ok(format!(
                        "{} progress notifications {seen:?}; {t}",
                        seen.len()
                    ))
                }
            }),
    );

    report.check(
        match version.era() {
            Era::Modern => "elicitation (input_required answered, request retried)",
            Era::Legacy => "elicitation (server request answered)",
        },
        client
            .call_tool("ask_name", json!({}))
            .await
            .map_err(err)
            .and_then(|r| {
                let t = r.text_content();
                match elicited.load(Ordering::SeqCst) {
                    0 => Err(format!("the server never asked: {t}")),
                    n if t == "Hello, Interop Tester (accept)" => {
                        Ok(format!("{n} elicitation(s); {t}"))
                    }
                    _ => Err(format!("{r:?}")),
                }
            }),
    );

    report.check(
        "resources/list + read",
        async {
            let list = client.list_resources().await.map_err(err)?;
            if !list.iter().any(|r| r.uri == "demo://hello") {
                return Err(format!("demo://hello not listed: {list:?}"));
            }
            let r = client.read_resource("demo://hello").await.map_err(err)?;
            match r.contents.as_slice() {
                [ResourceContents::Text(t)] if t.text == "hello resource" => Ok(format!(
                    "{} resource(s); demo://hello = {:?}",
                    list.len(),
                    t.text
                )),
                other => Err(format!("{other:?}")),
            }
        }
        .await,
    );

    report.check(
        "prompts/list + get",
        async {
            let prompts = client.list_prompts().await.map_err(err)?;
            if !prompts.iter().any(|p| p.name == "greet") {
                return Err(format!("greet not listed: {prompts:?}"));
            }
            let r = client
                .get_prompt("greet", [("name", "Interop")])
                .await
                .map_err(err)?;
            let text = format!("{:?}", r.messages);
            if text.contains("Please greet Interop.") {
                Ok(format!(
                    "{} prompt(s); {} message(s)",
                    prompts.len(),
                    r.messages.len()
                ))
            } else {
                Err(text)
            }
        }
        .await,
    );

    report.check(
        "unknown tool rejected",
        match client.call_tool("no-such-tool", json!({})).await {
            Err(e) => Ok(format!("error: {e}")),
            Ok(r) if r.is_error() => Ok(format!("isError result: {}", r.text_content())),
            Ok(r) => Err(format!("accepted: {r:?}")),
        },
    );

    report.check(
        match version.era() {
            Era::Modern => "subscriptions/listen + resource updated",
            Era::Legacy => "resources/subscribe (as the capabilities allow)",
        },
        async {
            let uri = "demo://hello";
            let mut sub = tokio::time::timeout(
                Duration::from_secs(10),
                client.subscribe(SubscriptionFilter::new().resource(uri)),
            )
            .await
            .map_err(|_| "subscribe: no answer in 10 s".to_owned())?
            .map_err(err)?;
            let can_subscribe = version.era() == Era::Modern
                || client
                    .server_capabilities()
                    .resources
                    .and_then(|r| r.subscribe)
                    == Some(true);
            if !can_subscribe {
                // The Python server declares `resources.subscribe: false` on 2025-11-25, so
                // the client must not subscribe (and ignores unsolicited updates).
                return match &sub.acknowledged().resource_subscriptions {
                    None => Ok("server declares subscribe=false; nothing subscribed".into()),
                    Some(u) => Err(format!("subscribed {u:?} despite subscribe=false")),
                };
            }
            let touched = client
                .call_tool("touch", json!({"uri": uri}))
                .await
                .map_err(err)?;
            if touched.is_error() {
                return Err(touched.text_content());
            }
            match tokio::time::timeout(Duration::from_secs(10), sub.next()).await {
                Ok(Some(ServerEvent::ResourceUpdated { uri: u })) if u == uri => Ok(format!(
                    "updated {u}; acknowledged {:?}",
                    sub.acknowledged().resource_subscriptions
                )),
                Err(_) => Err("no event in 10 s".into()),
                Ok(other) => Err(format!("{other:?}")),
            }
        }
        .await,
    );

    if version.era() == Era::Legacy {
        report.check(
            "ping",
            client.ping().await.map_err(err).map(|_| "ok".into()),
        );
    }

    // Closing finishes in the background: give it time to end the HTTP session (DELETE) or
    // to close the server's stdin and reap it, before the process exits.
    client.close();
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("{} passed, {} failed", report.passed, report.failed);
    std::process::exit(if report.failed == 0 { 0 } else { 1 });
}
