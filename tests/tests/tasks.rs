//! The tasks extension (`io.modelcontextprotocol/tasks`): our client against our server on
//! 2026-07-28, in memory and over Streamable HTTP, with every message checked against the
//! core schema and the extension's schema.

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcpwire_core::client::{
    CancellationToken, Client, ClientBuilder, ConnectMode, RequestOptions, ServerEvent, ToolCall,
};
use mcpwire_core::server::{
    InMemoryTaskStore, McpRequest, McpResponse, Principal, RequestContext, Server, TaskConfig,
    TaskSupport, ToolDef,
};
use mcpwire_core::transport::memory;
use mcpwire_core::types::*;
use mcpwire_core::{Error, ErrorCode, ErrorObject, ProtocolVersion};
use mcpwire_tests::tap::{Recorder, Tap};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};

/// Fails the test instead of hanging it.
async fn within<F: std::future::Future>(what: &str, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(20), f)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// Polls `check` until it holds.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    within(what, async {
        while !check().await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
}

#[derive(Deserialize, JsonSchema)]
struct Work {
    /// How long to work.
    ms: u64,
    /// Echoed back.
    #[serde(default)]
    label: String,
}

#[derive(Deserialize, JsonSchema)]
struct NoArgs {}

/// What the handlers saw.
#[derive(Default)]
struct Probe {
    /// The cancellation token of `until_cancelled` fired.
    token_fired: AtomicBool,
    /// `mrtr_then_task` started this many times.
    mrtr_runs: AtomicUsize,
}

fn name_form(message: &str) -> ElicitRequestFormParams {
    let schema = json!({
        "type": "object",
        "properties": {"name": {"type": "string"}},
        "required": ["name"]
    });
    ElicitRequestFormParams::new(message, schema.as_object().cloned().unwrap_or_default())
}

fn name_of(answer: &ElicitResult) -> String {
    answer
        .content
        .as_ref()
        .and_then(|c| c.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("nobody")
        .to_owned()
}

fn optional(name: &str) -> mcpwire_core::server::ToolBuilder {
    ToolDef::builder(name)
        .description(name.replace('_', " "))
        .task_support(TaskSupport::Optional)
}

/// The server of these tests: every kind of task tool, and one plain tool.
fn server_with(config: TaskConfig, probe: Arc<Probe>) -> Server {
    let p1 = probe.clone();
    let p2 = probe;
    Server::new(Implementation::new("tasks-test-server", "1.0.0"))
        .tasks(config)
        .tool(
            optional("slow").handler(|w: Work, _ctx: RequestContext| async move {
                tokio::time::sleep(Duration::from_millis(w.ms)).await;
                format!("done {}", w.label)
            }),
        )
        .tool(
            optional("ask_name").handler(|_: NoArgs, ctx: RequestContext| async move {
                let a = ctx.elicit(name_form("Your name?")).await?;
                Ok::<_, Error>(format!("Hello, {}!", name_of(&a)))
            }),
        )
        .tool(
            optional("two_questions").handler(|_: NoArgs, ctx: RequestContext| async move {
                let (a, b) = tokio::join!(
                    ctx.elicit(name_form("First?")),
                    ctx.elicit(name_form("Second?"))
                );
                Ok::<_, Error>(format!("{} & {}", name_of(&a?), name_of(&b?)))
            }),
        )
        .tool(
            optional("ask_model").handler(|_: NoArgs, ctx: RequestContext| async move {
                let r = ctx
                    .sample(CreateMessageRequestParams::new(
                        [SamplingMessage::user_text("2+2?")],
                        20,
                    ))
                    .await?;
                let roots = ctx.list_roots().await?;
                Ok::<_, Error>(format!(
                    "{} / {} root(s)",
                    r.first_text().unwrap_or(""),
                    roots.roots.len()
                ))
            }),
        )
        .tool(
            ToolDef::builder("tool_error")
                .description("fails as a tool")
                .task_support(TaskSupport::Required)
                .handler(
                    |_: NoArgs, _ctx: RequestContext| async move { Err::<String, _>("bad input") },
                ),
        )
        .tool(
            optional("protocol_error").handler(|_: NoArgs, _ctx: RequestContext| async move {
                Err::<String, _>(Error::Protocol(
                    ErrorObject::new(ErrorCode(-32050), "backend gone")
                        .with_data(json!({"retry": false})),
                ))
            }),
        )
        .tool(
            optional("panics").handler(|_: NoArgs, _ctx: RequestContext| async move {
                if std::hint::black_box(true) {
                    panic!("the handler broke");
                }
                "unreachable"
            }),
        )
        .tool(
            optional("until_cancelled").handler(move |_: NoArgs, ctx: RequestContext| {
                let probe = p1.clone();
                async move {
                    let token = ctx.cancellation_token().clone();
                    tokio::spawn(async move {
                        token.cancelled().await;
                        probe.token_fired.store(true, Ordering::SeqCst);
                    });
                    std::future::pending::<()>().await;
                    "never"
                }
            }),
        )
        .tool(
            ToolDef::builder("mrtr_then_task")
                .description("asks on the call, then continues as a task")
                .task_support(TaskSupport::Required)
                .task_after(Duration::from_millis(100))
                .handler(move |_: NoArgs, ctx: RequestContext| {
                    let probe = p2.clone();
                    async move {
                        probe.mrtr_runs.fetch_add(1, Ordering::SeqCst);
                        let a = ctx
                            .elicit_keyed(Some("user_name"), name_form("Name?"))
                            .await?;
                        tokio::time::sleep(Duration::from_millis(400)).await;
                        Ok::<_, Error>(format!("Hello, {}!", name_of(&a)))
                    }
                }),
        )
        .tool(
            optional("quick_inline")
                .task_after(Duration::from_secs(5))
                .handler(|_: NoArgs, _ctx: RequestContext| async move { "fast" }),
        )
        .tool(
            ToolDef::builder("plain")
                .description("never a task")
                .handler(|_: NoArgs, _ctx: RequestContext| async move { "plain" }),
        )
}

fn fast_config() -> TaskConfig {
    TaskConfig::new()
        .poll_interval(Duration::from_millis(20))
        .ttl(Some(Duration::from_secs(60)))
}

fn server() -> (Server, Arc<Probe>) {
    let probe = Arc::new(Probe::default());
    (server_with(fast_config(), probe.clone()), probe)
}

#[derive(Clone, Copy, Debug)]
enum Wire {
    Memory,
    Http,
}

const WIRES: [Wire; 2] = [Wire::Memory, Wire::Http];

/// A client answering elicitations (Ada, Grace, Barbara, ...), sampling and roots.
fn builder() -> ClientBuilder {
    common::full_client(Arc::new(Mutex::new(Vec::new())))
        .mode(ConnectMode::Modern(ProtocolVersion::V2026_07_28))
        .task_poll_interval(Duration::from_millis(20))
}

async fn connect(server: &Server, wire: Wire, builder: ClientBuilder) -> (Client, Recorder) {
    let recorder = Recorder::new();
    let client = match wire {
        Wire::Memory => {
            let (client_side, server_side) = memory::duplex();
            let server = server.clone();
            tokio::spawn(async move {
                let _ = server.serve(server_side).await;
            });
            builder
                .connect(Tap::new(client_side, recorder.clone()))
                .await
        }
        Wire::Http => {
            let url = common::http_server(server.clone()).await;
            let transport = mcpwire_http::HttpTransport::new(&url).expect("url");
            builder.connect(Tap::new(transport, recorder.clone())).await
        }
    }
    .unwrap_or_else(|e| panic!("connecting over {wire:?}: {e}"));
    (client, recorder)
}

/// Calls `tool` expecting a task handle back.
async fn start_task(client: &Client, tool: &str, args: impl serde::Serialize) -> CreateTaskResult {
    started_task(
        client
            .start_tool_call(tool, args, RequestOptions::new())
            .await
            .unwrap(),
    )
}

fn started_task(call: ToolCall) -> CreateTaskResult {
    match call {
        ToolCall::Task(t) => t,
        other => panic!("expected a task, got {other:?}"),
    }
}

async fn wait_status(client: &Client, id: &str, status: TaskStatus) -> GetTaskResult {
    within(&format!("task {id} to become {status}"), async {
        loop {
            let t = client.get_task(id).await.expect("tasks/get");
            if t.task.status() == status {
                return t;
            }
            assert!(
                !t.task.status().is_terminal(),
                "task ended {} while waiting for {status}: {t:?}",
                t.task.status()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
}

fn code_of(e: &Error) -> Option<i64> {
    e.code().map(|c| i64::from(c.0))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_becomes_a_task_that_is_polled_to_its_result() {
    for wire in WIRES {
        let (server, _) = server();
        let (client, recorder) = connect(&server, wire, builder().tasks()).await;
        assert!(client.tasks_declared());
        let caps = client.server_capabilities();
        assert!(
            caps.extensions
                .as_ref()
                .is_some_and(|e| e.contains_key(TASKS_EXTENSION)),
            "{wire:?}: the extension is advertised: {caps:?}"
        );

        // Step by step: the call answers with a task, readable at once.
        let created = start_task(&client, "slow", json!({"ms": 300, "label": "a"})).await;
        let t = &created.task;
        assert_eq!(t.status, TaskStatus::Working);
        assert_eq!(t.ttl_ms, Some(60_000));
        assert_eq!(t.poll_interval_ms, Some(20));
        assert_eq!(t.task_id.len(), 32, "128 bits in hex");
        assert!(t.created_at.ends_with('Z') && t.created_at.contains('T'));
        let now = client.get_task(&t.task_id).await.unwrap();
        assert_eq!(now.task.task_id(), t.task_id);
        assert_eq!(now.task.status(), TaskStatus::Working);
        assert!(now.task.result.is_none() && now.task.error.is_none());
        let result = client
            .wait_for_task(created.clone(), RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(result.text_content(), "done a");
        // The finished task keeps its result, shaped like the call's own result.
        let done = client.get_task(&t.task_id).await.unwrap();
        assert_eq!(done.task.status(), TaskStatus::Completed);
        let inlined = done.task.result.clone().expect("an inlined result");
        assert_eq!(inlined["resultType"], "complete");
        assert_eq!(inlined["content"][0]["text"], "done a");

        // Transparently: call_tool follows the task itself.
        let r = within(
            "call_tool",
            client.call_tool("slow", json!({"ms": 50, "label": "b"})),
        )
        .await
        .unwrap();
        assert_eq!(r.text_content(), "done b");

        // A tool without task support answers directly.
        let plain = client
            .start_tool_call("plain", json!({}), RequestOptions::new())
            .await
            .unwrap();
        assert!(matches!(plain, ToolCall::Complete(ref r) if r.text_content() == "plain"));
        // A tool whose window outlasts it answers directly too.
        let quick = client
            .start_tool_call("quick_inline", json!({}), RequestOptions::new())
            .await
            .unwrap();
        assert!(matches!(quick, ToolCall::Complete(ref r) if r.text_content() == "fast"));
        assert_eq!(server.running_tasks(), 0);
        client.close();
        recorder.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn input_requests_are_answered_with_tasks_update() {
    for wire in WIRES {
        let (server, _) = server();
        let (client, recorder) = connect(&server, wire, builder().tasks()).await;

        // By hand: the task waits for input, shows the same request on every poll, and
        // resumes (without re-running the handler) once it is answered.
        let created = start_task(&client, "ask_name", json!({})).await;
        let id = created.task.task_id.clone();
        let waiting = wait_status(&client, &id, TaskStatus::InputRequired).await;
        let requests = waiting.task.input_requests.clone().expect("inputRequests");
        assert_eq!(requests.len(), 1);
        let (key, request) = requests.iter().next().unwrap();
        assert_eq!(request.method(), "elicitation/create");
        let again = client.get_task(&id).await.unwrap();
        assert_eq!(again.task.input_requests, Some(requests.clone()));
        let mut content = JsonObject::new();
        content.insert("name".into(), "Lin".into());
        let mut answers = InputResponses::new();
        answers.insert(
            key.clone(),
            InputResponse::Elicit(ElicitResult::accept(content)),
        );
        client.update_task(&id, answers).await.unwrap();
        let done = client
            .wait_for_task(created, RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(done.text_content(), "Hello, Lin!");

        // Two questions at once: answering one leaves only the other outstanding; answers
        // to unknown keys are acknowledged and ignored.
        let created = start_task(&client, "two_questions", json!({})).await;
        let id = created.task.task_id.clone();
        let both = within("two outstanding requests", async {
            loop {
                let t = client.get_task(&id).await.unwrap();
                if t.task.input_requests.as_ref().is_some_and(|r| r.len() == 2) {
                    return t;
                }
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await;
        let keys: Vec<String> = both.task.input_requests.unwrap().into_keys().collect();
        assert_ne!(keys[0], keys[1]);
        let answer = |name: &str| {
            let mut c = JsonObject::new();
            c.insert("name".into(), name.into());
            InputResponse::Elicit(ElicitResult::accept(c))
        };
        let mut first = InputResponses::new();
        first.insert(keys[0].clone(), answer("One"));
        first.insert("no-such-key".into(), answer("Nobody"));
        client.update_task(&id, first).await.unwrap();
        let partial = client.get_task(&id).await.unwrap();
        assert_eq!(partial.task.status(), TaskStatus::InputRequired);
        let left: Vec<String> = partial.task.input_requests.unwrap().into_keys().collect();
        assert_eq!(left, vec![keys[1].clone()]);
        let mut second = InputResponses::new();
        second.insert(keys[1].clone(), answer("Two"));
        client.update_task(&id, second).await.unwrap();
        let done = client
            .wait_for_task(created, RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(done.text_content(), "One & Two");

        // Transparently: call_tool answers with the client's own handlers.
        let r = within(
            "elicitation through a task",
            client.call_tool("ask_name", ()),
        )
        .await
        .unwrap();
        assert_eq!(r.text_content(), "Hello, Ada!");
        let r = within(
            "sampling and roots through a task",
            client.call_tool("ask_model", ()),
        )
        .await
        .unwrap();
        assert_eq!(r.text_content(), "echo: 2+2? / 1 root(s)");
        client.close();
        recorder.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_stops_the_handler_and_fires_its_token() {
    for wire in WIRES {
        let (server, probe) = server();
        let (client, recorder) = connect(&server, wire, builder().tasks()).await;

        // tasks/cancel: acknowledged, the handler's token fires, the task ends cancelled.
        let created = start_task(&client, "until_cancelled", json!({})).await;
        let id = created.task.task_id.clone();
        assert_eq!(server.running_tasks(), 1);
        client.cancel_task(&id).await.unwrap();
        let t = wait_status(&client, &id, TaskStatus::Cancelled).await;
        assert!(t.task.result.is_none() && t.task.error.is_none());
        eventually("the handler's token to fire", || async {
            probe.token_fired.load(Ordering::SeqCst)
        })
        .await;
        assert_eq!(server.running_tasks(), 0);
        // Cancelling again (a terminal task) is acknowledged all the same.
        client.cancel_task(&id).await.unwrap();

        // The caller's token: call_tool gives up and sends tasks/cancel.
        probe.token_fired.store(false, Ordering::SeqCst);
        let token = CancellationToken::new();
        let t2 = token.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            t2.cancel();
        });
        let err = within(
            "a cancelled call",
            client.call_tool_with(
                "until_cancelled",
                (),
                RequestOptions::new().cancel_on(token),
            ),
        )
        .await
        .unwrap_err();
        assert!(matches!(err, Error::Cancelled), "{err:?}");
        eventually("the task to stop", || async { server.running_tasks() == 0 }).await;
        assert!(probe.token_fired.load(Ordering::SeqCst));

        // Dropping the call's future cancels the task too.
        probe.token_fired.store(false, Ordering::SeqCst);
        let dropped = tokio::time::timeout(
            Duration::from_millis(150),
            client.call_tool("until_cancelled", ()),
        )
        .await;
        assert!(dropped.is_err(), "the call was still running");
        eventually("the dropped call's task to stop", || async {
            server.running_tasks() == 0
        })
        .await;
        assert!(probe.token_fired.load(Ordering::SeqCst));
        client.close();
        recorder.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_errors_complete_and_protocol_errors_fail() {
    for wire in WIRES {
        let (server, _) = server();
        let (client, recorder) = connect(&server, wire, builder().tasks()).await;

        // A tool error is a completed task whose result has isError.
        let r = within("tool error", client.call_tool("tool_error", ()))
            .await
            .unwrap();
        assert_eq!(r.is_error, Some(true));
        assert_eq!(r.text_content(), "bad input");

        // A JSON-RPC error is a failed task carrying that error, and no result.
        let created = start_task(&client, "protocol_error", ()).await;
        let failed = wait_status(&client, &created.task.task_id, TaskStatus::Failed).await;
        let e = failed.task.error.clone().expect("an inlined error");
        assert_eq!(e.code, ErrorCode(-32050));
        assert_eq!(e.data, Some(json!({"retry": false})));
        assert!(failed.task.result.is_none());
        assert_eq!(
            failed.task.task.status_message.as_deref(),
            Some("backend gone")
        );
        // call_tool surfaces it as the call's error.
        let err = within("protocol error", client.call_tool("protocol_error", ()))
            .await
            .unwrap_err();
        assert_eq!(code_of(&err), Some(-32050), "{err:?}");

        // A panic fails the task with an internal error; the server goes on.
        let err = within("panic", client.call_tool("panics", ()))
            .await
            .unwrap_err();
        assert_eq!(code_of(&err), Some(-32603), "{err:?}");
        let r = within(
            "after the panic",
            client.call_tool("slow", json!({"ms": 1})),
        )
        .await
        .unwrap();
        assert_eq!(r.text_content(), "done ");
        client.close();
        recorder.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_are_gated_on_the_client_declaring_the_extension() {
    for wire in WIRES {
        let (server, _) = server();
        // Without the extension: optional tools answer directly, required ones are refused
        // with -32021 naming the extension, and tasks/* are refused too.
        let (client, recorder) = connect(&server, wire, builder()).await;
        assert!(!client.tasks_declared());
        let r = client
            .start_tool_call(
                "slow",
                json!({"ms": 10, "label": "x"}),
                RequestOptions::new(),
            )
            .await
            .unwrap();
        assert!(matches!(r, ToolCall::Complete(ref r) if r.text_content() == "done x"));
        let err = client.call_tool("tool_error", ()).await.unwrap_err();
        assert_eq!(code_of(&err), Some(-32021));
        let data = err.as_protocol().and_then(|e| e.data.clone()).unwrap();
        assert_eq!(
            data,
            json!({"requiredCapabilities": {"extensions": {TASKS_EXTENSION: {}}}})
        );
        for e in [
            client.get_task("whatever").await.map(drop).unwrap_err(),
            client.cancel_task("whatever").await.unwrap_err(),
            client
                .update_task("whatever", InputResponses::new())
                .await
                .unwrap_err(),
        ] {
            assert_eq!(code_of(&e), Some(-32021), "{e:?}");
        }
        // Nor may it follow tasks on a listen stream.
        let err = client
            .subscribe(
                SubscriptionFilter::new()
                    .tools_list_changed()
                    .task("whatever"),
            )
            .await
            .unwrap_err();
        assert_eq!(code_of(&err), Some(-32021), "{err:?}");
        client.close();
        recorder.assert_clean();
    }

    // A legacy session never sees tasks: no extension advertised, required tools refused.
    let (server, _) = server();
    let legacy = builder()
        .tasks()
        .mode(ConnectMode::Legacy(ProtocolVersion::V2025_11_25))
        .connect_in_process(&server)
        .await
        .unwrap();
    assert!(legacy.server_capabilities().extensions.is_none());
    let r = legacy
        .call_tool("slow", json!({"ms": 1, "label": "old"}))
        .await
        .unwrap();
    assert_eq!(r.text_content(), "done old");
    let err = legacy.call_tool("tool_error", ()).await.unwrap_err();
    assert_eq!(code_of(&err), Some(-32600), "{err:?}");

    // A server with no task tool and no task configuration does not offer the extension.
    let bare = Server::new(Implementation::new("bare", "1.0.0")).tool(
        ToolDef::builder("plain")
            .description("plain")
            .handler(|_: NoArgs, _ctx: RequestContext| async move { "plain" }),
    );
    assert!(!bare.tasks_enabled());
    let c = builder().tasks().connect_in_process(&bare).await.unwrap();
    assert!(c.server_capabilities().extensions.is_none());
    let err = c.get_task("x").await.unwrap_err();
    assert_eq!(code_of(&err), Some(-32601), "{err:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn multi_round_trip_input_comes_first_then_the_task() {
    for wire in WIRES {
        let (server, probe) = server();
        let (client, recorder) = connect(&server, wire, builder().tasks()).await;
        // The ask made within the inline window travels as InputRequiredResult on the call;
        // the retry carries the answer and then becomes a task, whose result uses it.
        let r = within("mrtr then task", client.call_tool("mrtr_then_task", ()))
            .await
            .unwrap();
        assert_eq!(r.text_content(), "Hello, Ada!");
        assert_eq!(
            probe.mrtr_runs.load(Ordering::SeqCst),
            2,
            "one run per round"
        );
        // Without following: the call (after its MRTR round) starts as a task.
        let started = client
            .start_tool_call("mrtr_then_task", (), RequestOptions::new())
            .await
            .unwrap();
        let created = started_task(started);
        let done = client
            .wait_for_task(created, RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(done.text_content(), "Hello, Grace!");
        client.close();
        recorder.assert_clean();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tasks_expire_after_their_ttl() {
    let probe = Arc::new(Probe::default());
    let config = TaskConfig::new()
        .poll_interval(Duration::from_millis(20))
        .ttl(Some(Duration::from_millis(1000)));
    let server = server_with(config, probe);
    let (client, recorder) = connect(&server, Wire::Memory, builder().tasks()).await;
    // A finished task stays readable for its TTL, then it is gone.
    let created = start_task(&client, "slow", json!({"ms": 10})).await;
    assert_eq!(created.task.ttl_ms, Some(1000));
    let id = created.task.task_id.clone();
    wait_status(&client, &id, TaskStatus::Completed).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let err = client.get_task(&id).await.unwrap_err();
    assert_eq!(code_of(&err), Some(-32602), "{err:?}");
    // A task still running when its TTL elapses is stopped.
    let created = start_task(&client, "slow", json!({"ms": 60_000})).await;
    assert_eq!(server.running_tasks(), 1);
    eventually("the expired task to stop", || async {
        server.running_tasks() == 0
    })
    .await;
    let err = client.get_task(&created.task.task_id).await.unwrap_err();
    assert_eq!(code_of(&err), Some(-32602), "{err:?}");
    client.close();
    recorder.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_store_answers_directly_or_refuses() {
    let server = server_with(
        fast_config().store(InMemoryTaskStore::with_capacity(1)),
        Arc::new(Probe::default()),
    );
    let client = builder().tasks().connect_in_process(&server).await.unwrap();
    let first = client
        .start_tool_call("slow", json!({"ms": 60_000}), RequestOptions::new())
        .await
        .unwrap();
    let first = started_task(first);
    // No room for another task: an optional tool answers directly...
    let direct = client
        .start_tool_call(
            "slow",
            json!({"ms": 1, "label": "direct"}),
            RequestOptions::new(),
        )
        .await
        .unwrap();
    assert!(matches!(direct, ToolCall::Complete(ref r) if r.text_content() == "done direct"));
    // ...and a required one is refused.
    let err = client.call_tool("tool_error", ()).await.unwrap_err();
    assert_eq!(code_of(&err), Some(-32603), "{err:?}");
    client.cancel_task(&first.task.task_id).await.unwrap();
}

/// Serves `server` to one connection as `who` (what an authentication layer would attach).
#[derive(Clone)]
struct AsPrincipal {
    inner: mcpwire_core::server::McpService,
    who: &'static str,
}

impl tower::Service<McpRequest> for AsPrincipal {
    type Response = McpResponse;
    type Error = std::convert::Infallible;
    type Future = <mcpwire_core::server::McpService as tower::Service<McpRequest>>::Future;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: McpRequest) -> Self::Future {
        req.extensions.insert(Principal(self.who.to_owned()));
        self.inner.call(req)
    }
}

async fn connect_as(server: &Server, who: &'static str) -> (Client, Recorder) {
    let (client_side, server_side) = memory::duplex();
    let service = AsPrincipal {
        inner: server.clone().into_service(),
        who,
    };
    let s = server.clone();
    tokio::spawn(async move {
        let _ = s.serve_service(service, server_side).await;
    });
    let recorder = Recorder::new();
    let client = builder()
        .tasks()
        .connect(Tap::new(client_side, recorder.clone()))
        .await
        .unwrap();
    (client, recorder)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn task_ids_are_unguessable_and_bound_to_their_principal() {
    let (server, _) = server();
    let (alice, alice_rec) = connect_as(&server, "alice").await;
    let (bob, bob_rec) = connect_as(&server, "bob").await;

    let mut ids = std::collections::HashSet::new();
    for _ in 0..20 {
        let t = start_task(&alice, "slow", json!({"ms": 1})).await;
        assert_eq!(t.task.task_id.len(), 32);
        assert!(t.task.task_id.bytes().all(|b| b.is_ascii_hexdigit()));
        assert!(ids.insert(t.task.task_id.clone()), "ids repeat");
    }
    let secret = start_task(&alice, "until_cancelled", ()).await;
    let id = secret.task.task_id.clone();
    // Bob gets exactly what he gets for an id that does not exist.
    let unknown = bob
        .get_task("0123456789abcdef0123456789abcdef")
        .await
        .unwrap_err();
    let theirs = bob.get_task(&id).await.unwrap_err();
    assert_eq!(code_of(&theirs), Some(-32602));
    assert_eq!(unknown.as_protocol(), theirs.as_protocol());
    assert_eq!(
        code_of(&bob.cancel_task(&id).await.unwrap_err()),
        Some(-32602)
    );
    assert_eq!(
        code_of(
            &bob.update_task(&id, InputResponses::new())
                .await
                .unwrap_err()
        ),
        Some(-32602)
    );
    // Nor does a listen stream let him follow it.
    let sub = bob
        .subscribe(
            SubscriptionFilter::new()
                .tools_list_changed()
                .task(id.clone()),
        )
        .await
        .unwrap();
    assert_eq!(sub.acknowledged().task_ids, Some(vec![]));
    drop(sub);
    // Bob's cancel did nothing; Alice still sees her task running and may cancel it.
    let t = alice.get_task(&id).await.unwrap();
    assert_eq!(t.task.status(), TaskStatus::Working);
    alice.cancel_task(&id).await.unwrap();
    wait_status(&alice, &id, TaskStatus::Cancelled).await;
    alice.close();
    bob.close();
    alice_rec.assert_clean();
    bob_rec.assert_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listen_streams_carry_task_status_notifications() {
    for wire in WIRES {
        let (server, _) = server();
        let (client, recorder) = connect(&server, wire, builder().tasks()).await;
        let created = start_task(&client, "until_cancelled", ()).await;
        let id = created.task.task_id.clone();
        let mut sub = client
            .subscribe(
                SubscriptionFilter::new()
                    .task(id.clone())
                    .task("not-a-task"),
            )
            .await
            .unwrap();
        assert_eq!(sub.acknowledged().task_ids, Some(vec![id.clone()]));
        client.cancel_task(&id).await.unwrap();
        let event = within("a task notification", sub.next()).await;
        assert_eq!(
            event,
            Some(ServerEvent::TaskStatus {
                task_id: id.clone(),
                status: TaskStatus::Cancelled
            })
        );
        drop(sub);
        client.close();
        recorder.assert_clean();
    }
}

/// Sends one raw 2026-07-28 POST; returns the status and the JSON body.
async fn raw_post(url: &str, headers: &[(&str, &str)], body: &Value) -> (u16, Value) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let rest = url.strip_prefix("http://").unwrap();
    let (addr, path) = rest.split_once('/').unwrap();
    let body = body.to_string();
    let mut head = format!(
        "POST /{path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Accept: application/json, text/event-stream\r\nConnection: close\r\n\
         Content-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    let text = String::from_utf8_lossy(&out).into_owned();
    let status: u16 = text[9..12].parse().unwrap();
    let (_, payload) = text.split_once("\r\n\r\n").unwrap();
    let start = payload.find('{').unwrap_or(0);
    let end = payload.rfind('}').map(|i| i + 1).unwrap_or(payload.len());
    let json = serde_json::from_str(&payload[start..end]).unwrap_or(Value::Null);
    (status, json)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_task_requests_route_on_mcp_name() {
    let (server, _) = server();
    let url = common::http_server(server.clone()).await;
    let client = builder()
        .tasks()
        .connect(mcpwire_http::HttpTransport::new(&url).unwrap())
        .await
        .unwrap();
    let created = start_task(&client, "until_cancelled", ()).await;
    let id = created.task.task_id.clone();
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"extensions": {TASKS_EXTENSION: {}}}
    });
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tasks/get",
        "params": {"taskId": id, "_meta": meta}});
    let base = [
        ("MCP-Protocol-Version", "2026-07-28"),
        ("Mcp-Method", "tasks/get"),
    ];
    // Matching Mcp-Name: answered.
    let mut ok = base.to_vec();
    ok.push(("Mcp-Name", &id));
    let (status, reply) = raw_post(&url, &ok, &body).await;
    assert_eq!(status, 200, "{reply}");
    assert_eq!(reply["result"]["taskId"], json!(id));
    assert_eq!(reply["result"]["resultType"], "complete");
    // Another task's id, or none: refused before dispatch with -32020.
    let mut wrong = base.to_vec();
    wrong.push(("Mcp-Name", "0000"));
    for headers in [wrong, base.to_vec()] {
        let (status, reply) = raw_post(&url, &headers, &body).await;
        assert_eq!(status, 400, "{reply}");
        assert_eq!(reply["error"]["code"], -32020, "{reply}");
    }
    // The client sent Mcp-Name itself (its requests above were accepted): cancel the task.
    client.cancel_task(&id).await.unwrap();
    wait_status(&client, &id, TaskStatus::Cancelled).await;
}

#[tokio::test]
async fn a_task_answer_the_client_did_not_ask_for_is_refused() {
    // A server that answers every tools/call with a task, even to clients that did not
    // declare the extension: our client treats that as an invalid response.
    let rogue = Server::new(Implementation::new("rogue", "1.0.0"))
        .tasks(fast_config())
        .tool(
            ToolDef::builder("t")
                .description("t")
                .task_support(TaskSupport::Optional)
                .handler(|_: NoArgs, _ctx: RequestContext| async move { "t" }),
        );
    let (client_side, server_side) = memory::duplex();
    let inner = rogue.clone().into_service();
    // Declares the extension on the client's behalf, as a misbehaving server would act.
    #[derive(Clone)]
    struct Pretend(mcpwire_core::server::McpService);
    impl tower::Service<McpRequest> for Pretend {
        type Response = McpResponse;
        type Error = std::convert::Infallible;
        type Future = <mcpwire_core::server::McpService as tower::Service<McpRequest>>::Future;
        fn poll_ready(
            &mut self,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Result<(), Self::Error>> {
            self.0.poll_ready(cx)
        }
        fn call(&mut self, mut req: McpRequest) -> Self::Future {
            if &*req.method == "tools/call" {
                let mut v: Value = req.params.as_ref().unwrap().to_value();
                v["_meta"]["io.modelcontextprotocol/clientCapabilities"]["extensions"] =
                    json!({TASKS_EXTENSION: {}});
                req.params = mcpwire_core::jsonrpc::RawJson::from_serialize(&v).ok();
            }
            self.0.call(req)
        }
    }
    let s = rogue.clone();
    tokio::spawn(async move {
        let _ = s.serve_service(Pretend(inner), server_side).await;
    });
    let client = builder().connect(client_side).await.unwrap();
    let err = client.call_tool("t", ()).await.unwrap_err();
    assert!(
        matches!(&err, Error::InvalidResponse(m) if m.contains("did not declare")),
        "{err:?}"
    );
}

/// Runs as a task when the client supports tasks.
#[mcpwire::tool(task = "optional")]
async fn macro_optional(label: String) -> String {
    tokio::time::sleep(Duration::from_millis(30)).await;
    format!("macro {label}")
}

/// Only runs as a task.
#[mcpwire::tool(task = "required")]
async fn macro_required() -> String {
    "required done".to_owned()
}

#[tokio::test]
async fn tool_macros_opt_in_with_the_task_option() {
    let server = Server::new(Implementation::new("macro-tasks", "1"))
        .tasks(fast_config())
        .tool(macro_optional)
        .tool(macro_required);
    for wire in WIRES {
        let (client, _) = connect(&server, wire, builder().tasks()).await;
        let created = start_task(&client, "macro_optional", json!({"label": "m"})).await;
        let result = client
            .wait_for_task(created, RequestOptions::new())
            .await
            .unwrap();
        assert_eq!(result.text_content(), "macro m", "{wire:?}");
        let required = client.call_tool("macro_required", ()).await.unwrap();
        assert_eq!(required.text_content(), "required done", "{wire:?}");

        // Without the extension: the optional tool answers directly, the required one is
        // refused with -32021.
        let (plain, _) = connect(&server, wire, builder()).await;
        let direct = plain
            .start_tool_call(
                "macro_optional",
                json!({"label": "d"}),
                RequestOptions::new(),
            )
            .await
            .unwrap();
        assert!(
            matches!(direct, ToolCall::Complete(ref r) if r.text_content() == "macro d"),
            "{wire:?}: {direct:?}"
        );
        let err = plain.call_tool("macro_required", ()).await.unwrap_err();
        assert_eq!(code_of(&err), Some(-32021), "{wire:?}");
    }
}
