//! Our client against the official reference server (`@modelcontextprotocol/server-everything`).
//!
//! ```sh
//! interop-everything node path/to/server-everything/dist/index.js stdio   # stdio
//! interop-everything --url http://127.0.0.1:3001/mcp                       # Streamable HTTP
//! ```
//!
//! Over HTTP the server is started beforehand: `PORT=3001 node .../dist/index.js streamableHttp`.
//! The same checks run on both wires. Prints one line per check and `N passed, M failed`;
//! exits 1 on any failure.

#![allow(clippy::print_stdout)] // a command-line checker: stdout is its report

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use mcpwire_core::client::{Client, RequestOptions, ServerEvent};
use mcpwire_core::types::*;
use mcpwire_core::{Era, Error};
use mcpwire_http::HttpTransport;
use mcpwire_stdio::ChildProcess;
use serde_json::json;

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

/// A value the restricted elicitation schema accepts for `prop`.
fn value_for(prop: &serde_json::Value) -> serde_json::Value {
    if let Some(d) = prop.get("default") {
        return d.clone();
    }
    if let Some(first) = prop.get("enum").and_then(|e| e.get(0)) {
        return first.clone();
    }
    if let Some(first) = prop.pointer("/oneOf/0/const") {
        return first.clone();
    }
    match prop.get("type").and_then(|t| t.as_str()) {
        Some("boolean") => json!(true),
        Some("integer") | Some("number") => prop.get("minimum").cloned().unwrap_or(json!(1)),
        Some("array") => {
            let first = prop
                .pointer("/items/enum/0")
                .or_else(|| prop.pointer("/items/anyOf/0/const"))
                .cloned()
                .unwrap_or(json!("x"));
            json!([first])
        }
        _ => match prop.get("format").and_then(|f| f.as_str()) {
            Some("email") => json!("interop@example.com"),
            Some("uri") => json!("https://example.com/"),
            Some("date") => json!("2000-01-01"),
            Some("date-time") => json!("2000-01-01T00:00:00Z"),
            _ => json!("interop"),
        },
    }
}

/// How to reach the server.
enum Wire {
    /// A spawned server process, over stdio.
    Stdio(Box<ChildProcess>),
    /// A listening server, over Streamable HTTP.
    Http(HttpTransport),
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let wire = match args.as_slice() {
        [flag, url] if flag == "--url" => match HttpTransport::new(url) {
            Ok(t) => Wire::Http(t),
            Err(e) => {
                println!("FAIL {url}: {e}");
                std::process::exit(2);
            }
        },
        [program, rest @ ..] if program != "--url" => match ChildProcess::spawn(program, rest) {
            Ok(p) => Wire::Stdio(Box::new(p)),
            Err(e) => {
                println!("FAIL spawn {program}: {e}");
                std::process::exit(1);
            }
        },
        _ => {
            eprintln!(
                "usage: interop-everything <server command> [args...] | --url http://HOST:PORT/mcp"
            );
            std::process::exit(2);
        }
    };
    let mut report = Report {
        passed: 0,
        failed: 0,
    };
    let elicited = Arc::new(AtomicUsize::new(0));
    let sampled = Arc::new(AtomicUsize::new(0));
    let (e2, s2) = (elicited.clone(), sampled.clone());

    let builder = Client::builder()
        .info(Implementation::new(
            "mcpwire-interop",
            env!("CARGO_PKG_VERSION"),
        ))
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
                    for (k, p) in props {
                        content.insert(k.clone(), value_for(p));
                    }
                }
                Ok(ElicitResult::accept(content))
            }
        })
        .on_sampling(move |params| {
            s2.fetch_add(1, Ordering::SeqCst);
            async move {
                let n = params.messages.len();
                Ok(CreateMessageResult::text(
                    "interop-model",
                    format!("sampled {n} message(s)"),
                ))
            }
        })
        .roots(vec![
            Root::new("file:///tmp/interop-root").with_name("interop"),
        ]);
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

    report.check("connect", {
        let v = client.protocol_version();
        let name = client.server_info().map(|i| i.name).unwrap_or_default();
        if v.era() == Era::Legacy && name == "mcp-servers/everything" {
            Ok(format!(
                "fell back from server/discover to initialize; {name} on {v}"
            ))
        } else {
            Err(format!("unexpected era or server: {v}, {name}"))
        }
    });

    // Tools for the declared capabilities are registered just after initialize.
    let mut tools = Vec::new();
    for _ in 0..50 {
        tools = client.list_tools().await.unwrap_or_default();
        if tools.iter().any(|t| t.name == "get-roots-list") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report.check("tools/list", {
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        let wanted = [
            "echo",
            "get-sum",
            "trigger-long-running-operation",
            "trigger-elicitation-request",
            "trigger-sampling-request",
            "get-roots-list",
        ];
        match wanted.iter().find(|w| !names.contains(w)) {
            None => Ok(format!("{} tools", names.len())),
            Some(missing) => Err(format!("{missing} not in {names:?}")),
        }
    });

    report.check(
        "tools/call echo",
        client
            .call_tool("echo", json!({"message": "hello interop"}))
            .await
            .map_err(err)
            .and_then(|r| {
                let t = r.text_content();
                if t.contains("hello interop") {
                    Ok(t)
                } else {
                    Err(t)
                }
            }),
    );
    report.check(
        "tools/call get-sum",
        client
            .call_tool("get-sum", json!({"a": 2, "b": 3}))
            .await
            .map_err(err)
            .and_then(|r| {
                let t = r.text_content();
                if t.contains('5') { Ok(t) } else { Err(t) }
            }),
    );
    let progress = Arc::new(AtomicUsize::new(0));
    let p2 = progress.clone();
    report.check(
        "tools/call with progress",
        client
            .call_tool_with(
                "trigger-long-running-operation",
                json!({"duration": 1, "steps": 3}),
                RequestOptions::new().on_progress(move |_| {
                    p2.fetch_add(1, Ordering::SeqCst);
                }),
            )
            .await
            .map_err(err)
            .and_then(|r| match progress.load(Ordering::SeqCst) {
                0 => Err("no progress notification".into()),
                n => Ok(format!("{n} progress notifications; {}", r.text_content())),
            }),
    );
    report.check(
        "structured content",
        client
            .call_tool("get-structured-content", json!({"location": "Chicago"}))
            .await
            .map_err(err)
            .and_then(|r| match r.structured_content {
                Some(v) => Ok(v.to_string()),
                None => Err("no structuredContent".into()),
            }),
    );
    report.check(
        "elicitation (server request answered)",
        client
            .call_tool("trigger-elicitation-request", json!({}))
            .await
            .map_err(err)
            .and_then(|r| match (elicited.load(Ordering::SeqCst), r.is_error()) {
                (0, _) => Err("the server never asked".into()),
                (_, true) => Err(r.text_content()),
                (n, false) => Ok(format!(
                    "{n} elicitation(s); {}",
                    r.text_content().lines().next().unwrap_or("")
                )),
            }),
    );
    report.check(
        "sampling (server request answered)",
        client
            .call_tool(
                "trigger-sampling-request",
                json!({"prompt": "hi", "maxTokens": 10}),
            )
            .await
            .map_err(err)
            .and_then(|r| match sampled.load(Ordering::SeqCst) {
                0 => Err("the server never asked".into()),
                _ if r.text_content().contains("sampled") => Ok("answered".into()),
                _ => Err(r.text_content()),
            }),
    );
    report.check(
        "roots (server request answered)",
        client
            .call_tool("get-roots-list", json!({}))
            .await
            .map_err(err)
            .and_then(|r| {
                let t = r.text_content();
                if t.contains("file:///tmp/interop-root") {
                    Ok("root seen by the server".into())
                } else {
                    Err(t)
                }
            }),
    );

    let resources = client.list_resources().await;
    report.check(
        "resources/list + read",
        match resources {
            Err(e) => Err(err(e)),
            Ok(list) if list.is_empty() => Err("no resources".into()),
            Ok(list) => client
                .read_resource(&list[0].uri)
                .await
                .map_err(err)
                .map(|r| {
                    format!(
                        "{} resources; read {} ({} contents)",
                        list.len(),
                        list[0].uri,
                        r.contents.len()
                    )
                }),
        },
    );
    report.check(
        "resource template read",
        async {
            let templates = client.list_resource_templates().await.map_err(err)?;
            let r = client
                .read_resource("demo://resource/dynamic/text/1")
                .await
                .map_err(err)?;
            Ok(format!(
                "{} templates; {} contents",
                templates.len(),
                r.contents.len()
            ))
        }
        .await,
    );
    report.check(
        "prompts/list + get",
        async {
            let prompts = client.list_prompts().await.map_err(err)?;
            let simple = client
                .get_prompt("simple-prompt", Vec::<(String, String)>::new())
                .await
                .map_err(err)?;
            let args = client
                .get_prompt("args-prompt", [("city", "Paris")])
                .await
                .map_err(err)?;
            if !format!("{:?}", args.messages).contains("Paris") {
                return Err("argument not substituted".into());
            }
            Ok(format!(
                "{} prompts; {} + {} messages",
                prompts.len(),
                simple.messages.len(),
                args.messages.len()
            ))
        }
        .await,
    );
    report.check(
        "completion/complete",
        client
            .complete(CompleteRequestParams::new(
                CompletionReference::Prompt(PromptReference::new("completable-prompt")),
                "department",
                "E",
            ))
            .await
            .map_err(err)
            .and_then(|c| {
                if c.values.iter().any(|v| v == "Engineering") {
                    Ok(format!("{:?}", c.values))
                } else {
                    Err(format!("{:?}", c.values))
                }
            }),
    );
    report.check(
        "logging/setLevel",
        client
            .set_logging_level(LoggingLevel::Debug)
            .await
            .map_err(err)
            .map(|_| "ok".into()),
    );
    report.check(
        "ping",
        client.ping().await.map_err(err).map(|_| "ok".into()),
    );
    report.check(
        "resources/subscribe + updated",
        async {
            let uri = "demo://resource/static/document/features.md";
            let mut sub = client
                .subscribe(SubscriptionFilter::new().resource(uri))
                .await
                .map_err(err)?;
            client
                .call_tool("toggle-subscriber-updates", json!({}))
                .await
                .map_err(err)?;
            let event = tokio::time::timeout(Duration::from_secs(15), sub.next()).await;
            let _ = client
                .call_tool("toggle-subscriber-updates", json!({}))
                .await;
            match event {
                Ok(Some(ServerEvent::ResourceUpdated { uri: u })) if u == uri => {
                    Ok(format!("updated {u}"))
                }
                other => Err(format!("{other:?}")),
            }
        }
        .await,
    );

    // Closing finishes in the background: give it time to end the HTTP session (DELETE) or
    // to close the server's stdin and reap it, before the process exits.
    client.close();
    tokio::time::sleep(Duration::from_millis(500)).await;
    println!("{} passed, {} failed", report.passed, report.failed);
    std::process::exit(if report.failed == 0 { 0 } else { 1 });
}
