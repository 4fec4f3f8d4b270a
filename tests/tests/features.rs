//! Our client against our server, in memory and over stdio, on each era: every server and
//! client feature, with every message checked against the revision's schema.

mod common;

use std::time::Duration;

use common::{Setup, Wire, connect, connect_with, older_setups, setups};
use mcpwire_core::client::{ConnectMode, RequestOptions, ServerEvent};
use mcpwire_core::types::*;
use mcpwire_core::{Era, Error, ErrorCode, ProtocolVersion};
use serde_json::json;

fn code(e: &Error) -> i32 {
    e.code()
        .unwrap_or_else(|| panic!("not a protocol error: {e}"))
        .0
}

#[tokio::test]
async fn handshake_identifies_both_sides_on_every_revision() {
    for setup in setups().into_iter().chain(older_setups()) {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let info = c.client.server_info().expect("server info");
        assert_eq!(
            (info.name.as_str(), info.version.as_str()),
            ("fixture", "1.2.3")
        );
        assert_eq!(c.client.protocol_version(), setup.version());
        assert_eq!(c.client.protocol_version().era(), setup.era());
        let caps = c.client.server_capabilities();
        assert!(caps.tools.is_some() && caps.resources.is_some() && caps.prompts.is_some());
        assert!(caps.completions.is_some() && caps.logging.is_some());
        assert_eq!(
            c.client.instructions().as_deref(),
            Some("Fixture server for mcpwire tests")
        );
        c.client.ping().await.expect("ping");
        c.finish();
    }
}

#[tokio::test]
async fn tools_list_and_call_with_errors_kept_apart() {
    for setup in setups().into_iter().chain(older_setups()) {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let tools = c.client.list_tools().await.unwrap();
        let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
        assert!(
            names.starts_with(&["echo", "add", "numbers", "fail"]),
            "{names:?}"
        );
        assert!(tools.iter().all(|t| t.description.is_some()));

        let r = c
            .client
            .call_tool("echo", json!({"text": "hi"}))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "hi");
        assert!(!r.is_error());

        // A tool failure is a result the model can read...
        let r = c.client.call_tool("fail", json!({})).await.unwrap();
        assert!(r.is_error());
        assert_eq!(r.text_content(), "this tool always fails");

        // ...so are bad arguments, naming the field...
        let r = c
            .client
            .call_tool("add", json!({"a": 1, "b": "two"}))
            .await
            .unwrap();
        assert!(r.is_error());
        assert!(r.text_content().contains("b:"), "{}", r.text_content());

        // ...while an unknown tool is a protocol error.
        let e = c.client.call_tool("nope", json!({})).await.unwrap_err();
        assert_eq!(code(&e), ErrorCode::INVALID_PARAMS.0);
        assert!(e.to_string().contains("Unknown tool: nope"));
        c.finish();
    }
}

#[tokio::test]
async fn structured_content_and_output_schemas_fit_each_revision() {
    let mut all = setups();
    all.push(older_setups()[0]); // 2025-06-18, the first revision with structured content
    for setup in all {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let r = c
            .client
            .call_tool("add", json!({"a": 2, "b": 3}))
            .await
            .unwrap();
        assert_eq!(r.structured_content, Some(json!({"sum": 5})));
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&r.text_content()).unwrap(),
            json!({"sum": 5})
        );

        let tools = c.client.list_tools().await.unwrap();
        let numbers = tools.iter().find(|t| t.name == "numbers").unwrap();
        let r = c.client.call_tool("numbers", json!({})).await.unwrap();
        if setup.era() == Era::Modern {
            // 2026-07-28 allows any JSON value.
            assert_eq!(numbers.output_schema.as_ref().unwrap()["type"], "array");
            assert_eq!(r.structured_content, Some(json!([1, 2, 3])));
        } else {
            // Earlier revisions require an object root: both are wrapped.
            let schema = numbers.output_schema.as_ref().unwrap();
            assert_eq!(schema["type"], "object");
            assert_eq!(schema["properties"]["result"]["type"], "array");
            assert_eq!(r.structured_content, Some(json!({"result": [1, 2, 3]})));
        }
        c.finish();
    }
}

#[tokio::test]
async fn a_panicking_handler_gets_an_error_and_the_server_goes_on() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let e = c.client.call_tool("panic", json!({})).await.unwrap_err();
        assert_eq!(code(&e), ErrorCode::INTERNAL_ERROR.0);
        let r = c
            .client
            .call_tool("echo", json!({"text": "still here"}))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "still here");
        c.finish();
    }
}

#[tokio::test]
async fn resources_list_read_and_templates() {
    for setup in setups().into_iter().chain(older_setups()) {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let resources = c.client.list_resources().await.unwrap();
        let uris: Vec<&str> = resources.iter().map(|r| r.uri.as_str()).collect();
        assert_eq!(
            uris,
            ["fixture://static", "fixture://binary", "fixture://watched"]
        );
        let templates = c.client.list_resource_templates().await.unwrap();
        assert_eq!(templates[0].uri_template, "fixture://items/{id}");

        let r = c.client.read_resource("fixture://static").await.unwrap();
        match &r.contents[..] {
            [ResourceContents::Text(t)] => {
                assert_eq!(t.text, "static contents");
                assert_eq!(t.mime_type.as_deref(), Some("text/plain"));
            }
            other => panic!("{other:?}"),
        }
        let r = c.client.read_resource("fixture://binary").await.unwrap();
        match &r.contents[..] {
            [ResourceContents::Blob(b)] => assert_eq!(b.blob, "AAEC/w=="),
            other => panic!("{other:?}"),
        }
        let r = c.client.read_resource("fixture://items/42").await.unwrap();
        match &r.contents[..] {
            [ResourceContents::Text(t)] => {
                assert_eq!(t.uri, "fixture://items/42");
                assert_eq!(
                    serde_json::from_str::<serde_json::Value>(&t.text).unwrap(),
                    json!({"id": "42"})
                );
            }
            other => panic!("{other:?}"),
        }
        let e = c
            .client
            .read_resource("fixture://missing")
            .await
            .unwrap_err();
        let expected = if setup.era() == Era::Modern {
            -32602
        } else {
            -32002
        };
        assert_eq!(code(&e), expected);
        assert_eq!(
            e.as_protocol().unwrap().data,
            Some(json!({"uri": "fixture://missing"}))
        );
        c.finish();
    }
}

#[tokio::test]
async fn prompts_and_completions() {
    for setup in setups().into_iter().chain(older_setups()) {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let prompts = c.client.list_prompts().await.unwrap();
        assert_eq!(prompts[0].name, "greet");
        let r = c
            .client
            .get_prompt("greet", [("name", "Ada"), ("style", "formal")])
            .await
            .unwrap();
        assert_eq!(
            r.messages[0].content.as_text(),
            Some("Say hello to Ada in a formal style")
        );
        let e = c
            .client
            .get_prompt("greet", [("style", "formal")])
            .await
            .unwrap_err();
        assert_eq!(code(&e), -32602);
        assert!(e.to_string().contains("name"), "{e}");
        let e = c.client.get_prompt("nope", [("a", "b")]).await.unwrap_err();
        assert_eq!(code(&e), -32602);

        if setup.version() >= ProtocolVersion::V2025_03_26 {
            let done = c
                .client
                .complete(CompleteRequestParams::new(
                    CompletionReference::Prompt(PromptReference::new("greet")),
                    "style",
                    "f",
                ))
                .await
                .unwrap();
            assert_eq!(done.values, ["formal", "friendly", "funny"]);
            let done = c
                .client
                .complete(CompleteRequestParams::new(
                    CompletionReference::Resource(ResourceTemplateReference::new(
                        "fixture://items/{id}",
                    )),
                    "id",
                    "1",
                ))
                .await
                .unwrap();
            assert_eq!(done.values, ["1", "10"]);
            // An argument without a completer has no suggestions.
            let done = c
                .client
                .complete(CompleteRequestParams::new(
                    CompletionReference::Prompt(PromptReference::new("greet")),
                    "name",
                    "A",
                ))
                .await
                .unwrap();
            assert!(done.values.is_empty());
        }
        c.finish();
    }
}

#[tokio::test]
async fn progress_notifications_reach_the_callback() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let s = seen.clone();
        let r = c
            .client
            .call_tool_with(
                "progress",
                json!({"steps": 5}),
                RequestOptions::new()
                    .on_progress(move |p| s.lock().unwrap().push((p.progress, p.total))),
            )
            .await
            .unwrap();
        assert_eq!(r.text_content(), "5 steps");
        let seen = seen.lock().unwrap().clone();
        assert_eq!(
            seen,
            (1..=5)
                .map(|i| (f64::from(i), Some(5.0)))
                .collect::<Vec<_>>()
        );
        // Without a token, nothing is sent (and nothing breaks).
        c.client
            .call_tool("progress", json!({"steps": 3}))
            .await
            .unwrap();
        c.finish();
    }
}

#[tokio::test]
async fn logging_follows_each_eras_rules() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let levels = |c: &common::Connected| {
            c.logs
                .lock()
                .unwrap()
                .drain(..)
                .map(|m| m.level)
                .collect::<Vec<_>>()
        };
        if setup.era() == Era::Legacy {
            // Everything until the client sets a level...
            c.client.call_tool("log", json!({})).await.unwrap();
            assert_eq!(levels(&c).len(), 4);
            c.client
                .set_logging_level(LoggingLevel::Warning)
                .await
                .unwrap();
            c.client.call_tool("log", json!({})).await.unwrap();
            assert_eq!(levels(&c), [LoggingLevel::Warning, LoggingLevel::Error]);
        } else {
            // ...on 2026-07-28 nothing unless the request asks for it.
            c.client.call_tool("log", json!({})).await.unwrap();
            assert!(levels(&c).is_empty());
            c.client
                .call_tool_with(
                    "log",
                    json!({}),
                    RequestOptions::new().log_level(LoggingLevel::Warning),
                )
                .await
                .unwrap();
            assert_eq!(levels(&c), [LoggingLevel::Warning, LoggingLevel::Error]);
            assert!(
                c.client
                    .set_logging_level(LoggingLevel::Info)
                    .await
                    .is_err()
            );
        }
        c.finish();
    }
}

#[tokio::test]
async fn cancellation_aborts_the_handler_and_fires_its_token() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let token = tokio_util_token();
        let t = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            t.cancel();
        });
        let started = std::time::Instant::now();
        let e = c
            .client
            .call_tool_with(
                "slow",
                json!({"ms": 20_000}),
                RequestOptions::new().cancel_on(token),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Cancelled), "{e}");
        assert!(started.elapsed() < Duration::from_secs(5));
        // The server dropped the handler's future and fired its token.
        let mut events = String::new();
        for _ in 0..100 {
            events = c
                .client
                .call_tool("events", json!({}))
                .await
                .unwrap()
                .text_content();
            if events.contains("slow:dropped") && events.contains("slow:token") {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(events.contains("slow:started"), "{events}");
        assert!(
            events.contains("slow:dropped") && events.contains("slow:token"),
            "{events}"
        );
        assert!(!events.contains("slow:finished"), "{events}");
        // A timeout cancels too.
        let e = c
            .client
            .call_tool_with(
                "slow",
                json!({"ms": 20_000}),
                RequestOptions::new().timeout(Duration::from_millis(100)),
            )
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Timeout(_)), "{e}");
        c.finish();
    }
}

fn tokio_util_token() -> mcpwire_core::client::CancellationToken {
    mcpwire_core::client::CancellationToken::new()
}

#[tokio::test]
async fn pagination_follows_cursors_and_refuses_bad_ones() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect_with(setup, Some(2), |b| b).await;
        let all = c.client.list_tools().await.unwrap();
        assert!(all.len() > 10, "{}", all.len());
        let first = c.client.list_tools_page(None).await.unwrap();
        assert_eq!(first.tools.len(), 2);
        let next = first.next_cursor.clone().expect("a next cursor");
        let second = c.client.list_tools_page(Some(next)).await.unwrap();
        assert_eq!(second.tools[0].name, all[2].name);
        let e = c
            .client
            .list_tools_page(Some("not-a-cursor".into()))
            .await
            .unwrap_err();
        assert_eq!(code(&e), -32602);
        assert_eq!(c.client.list_resources().await.unwrap().len(), 3);
        c.finish();
    }
}

async fn next_event(sub: &mut mcpwire_core::client::Subscription) -> Option<ServerEvent> {
    tokio::time::timeout(Duration::from_secs(5), sub.next())
        .await
        .ok()
        .flatten()
}

#[tokio::test]
async fn list_changes_at_run_time_reach_subscribers() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let mut sub = c
            .client
            .subscribe(SubscriptionFilter::new().tools_list_changed())
            .await
            .unwrap();
        assert_eq!(sub.acknowledged().tools_list_changed, Some(true));
        let r = c
            .client
            .call_tool("add_tool", json!({"name": "dynamic_tool"}))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "added");
        assert_eq!(
            next_event(&mut sub).await,
            Some(ServerEvent::ToolsListChanged)
        );
        let tools = c.client.list_tools().await.unwrap();
        assert!(tools.iter().any(|t| t.name == "dynamic_tool"));
        assert_eq!(
            c.client
                .call_tool("dynamic_tool", json!({}))
                .await
                .unwrap()
                .text_content(),
            "dynamic"
        );
        let r = c
            .client
            .call_tool("remove_tool", json!({"name": "dynamic_tool"}))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "true");
        assert_eq!(
            next_event(&mut sub).await,
            Some(ServerEvent::ToolsListChanged)
        );
        let e = c
            .client
            .call_tool("dynamic_tool", json!({}))
            .await
            .unwrap_err();
        assert_eq!(code(&e), -32602);
        drop(sub);
        c.finish();
    }
}

#[tokio::test]
async fn resource_updates_reach_only_their_subscribers() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let mut sub = c
            .client
            .subscribe(SubscriptionFilter::new().resource("fixture://watched"))
            .await
            .unwrap();
        assert_eq!(
            sub.acknowledged().resource_subscriptions.as_deref(),
            Some(&["fixture://watched".to_owned()][..])
        );
        c.client
            .call_tool("touch", json!({"uri": "fixture://static"}))
            .await
            .unwrap();
        c.client
            .call_tool("touch", json!({"uri": "fixture://watched"}))
            .await
            .unwrap();
        assert_eq!(
            next_event(&mut sub).await,
            Some(ServerEvent::ResourceUpdated {
                uri: "fixture://watched".into()
            })
        );
        // Tool list changes were not asked for.
        c.client
            .call_tool("add_tool", json!({"name": "x"}))
            .await
            .unwrap();
        assert!(
            tokio::time::timeout(Duration::from_millis(200), sub.next())
                .await
                .is_err()
        );
        drop(sub);
        c.finish();
    }
}

#[tokio::test]
async fn elicitation_sampling_and_roots_round_trip_on_both_eras() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect(setup).await;
        let r = c.client.call_tool("ask_name", json!({})).await.unwrap();
        assert_eq!(r.text_content(), "hello Ada");
        let r = c
            .client
            .call_tool("ask_model", json!({"text": "what is 2+2?"}))
            .await
            .unwrap();
        assert_eq!(
            r.text_content(),
            "model test-model said: echo: what is 2+2?"
        );
        let r = c.client.call_tool("roots", json!({})).await.unwrap();
        assert_eq!(r.text_content(), "file:///tmp/project");
        // Two questions in sequence: on 2026-07-28 that is two input rounds.
        let r = c
            .client
            .call_tool("two_questions", json!({}))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "Grace and Barbara");
        // Three asks at once travel in one round.
        let r = c
            .client
            .call_tool("everything_at_once", json!({}))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "Ada|echo: hi|1");
        c.finish();
    }
}

#[tokio::test]
async fn asking_for_an_undeclared_capability_is_refused() {
    for setup in setups() {
        eprintln!("setup: {setup:?}");
        let c = connect_with(setup, None, |_| {
            mcpwire_core::client::Client::builder().mode(setup.mode)
        })
        .await;
        for (tool, cap) in [
            ("ask_name", "elicitation"),
            ("ask_model", "sampling"),
            ("roots", "roots"),
        ] {
            let e = c
                .client
                .call_tool(tool, json!({"text": "x"}))
                .await
                .unwrap_err();
            let expected = if setup.era() == Era::Modern {
                -32021
            } else {
                -32600
            };
            assert_eq!(code(&e), expected, "{tool}");
            let data = e.as_protocol().unwrap().data.clone().unwrap();
            assert!(data["requiredCapabilities"].get(cap).is_some(), "{data}");
        }
        c.finish();
    }
}

#[tokio::test]
async fn auto_mode_finds_the_modern_era_in_memory_too() {
    let setup = Setup {
        wire: Wire::Memory,
        mode: ConnectMode::Auto,
    };
    let c = connect(setup).await;
    assert_eq!(c.client.protocol_version(), ProtocolVersion::V2026_07_28);
    c.finish();
}
