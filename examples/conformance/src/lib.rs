//! The server the official MCP conformance suite (`@modelcontextprotocol/conformance`) tests,
//! written with mcpwire's macros as any server would be.
//!
//! It provides every tool, resource and prompt the suite's scenarios call, on both protocol
//! eras: the `test_*` tools of the 2025-11-25 scenarios, the diagnostic tools of the
//! 2026-07-28 ones (`test_missing_capability`, `test_streaming_elicitation`,
//! `test_logging_tool`, `test_trigger_*_change`) and the `test_input_required_result_*` tools
//! and prompt exercising multi round-trip requests, and the fixtures of the tasks extension
//! scenarios (`greet`, `slow_compute`, `failing_job`, `protocol_error_job`,
//! `confirm_delete`, `multi_input`, `test_tool_with_task`). See `docs/conformance.md`.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use mcpwire::prelude::*;
use mcpwire::server::{TaskSupport, ToolDef};
use mcpwire::types::{
    CreateMessageRequestParams, ElicitAction, ElicitRequestFormParams, EmbeddedResource,
    JsonObject, ResourceContents, SamplingMessage, TextResourceContents,
};
use mcpwire::{prompt, resource, tool};
use serde_json::{Value, json};

/// A 1×1 PNG.
pub const PNG_BASE64: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

/// A short silent WAV file (8 kHz, 8-bit mono, 8 samples).
pub fn wav_base64() -> String {
    let samples = [128u8; 8];
    let mut wav = Vec::with_capacity(44 + samples.len());
    wav.extend_from_slice(b"RIFF");
    wav.extend_from_slice(&(36 + samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(b"WAVEfmt ");
    wav.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    wav.extend_from_slice(&1u16.to_le_bytes()); // PCM
    wav.extend_from_slice(&1u16.to_le_bytes()); // mono
    wav.extend_from_slice(&8000u32.to_le_bytes()); // sample rate
    wav.extend_from_slice(&8000u32.to_le_bytes()); // byte rate
    wav.extend_from_slice(&1u16.to_le_bytes()); // block align
    wav.extend_from_slice(&8u16.to_le_bytes()); // bits per sample
    wav.extend_from_slice(b"data");
    wav.extend_from_slice(&(samples.len() as u32).to_le_bytes());
    wav.extend_from_slice(&samples);
    B64.encode(wav)
}

fn object(v: Value) -> JsonObject {
    match v {
        Value::Object(o) => o,
        _ => JsonObject::new(),
    }
}

fn embedded(uri: &str, mime: &str, text: &str) -> ContentBlock {
    ContentBlock::Resource(EmbeddedResource::new(ResourceContents::Text(
        TextResourceContents::new(uri, text).with_mime_type(mime),
    )))
}

// ---------- tools of the 2025-11-25 scenarios ----------

/// Returns a simple text response.
#[tool]
pub async fn test_simple_text() -> &'static str {
    "This is a simple text response for testing."
}

/// Returns an image (a 1×1 PNG).
#[tool]
pub async fn test_image_content() -> ContentBlock {
    ContentBlock::image(PNG_BASE64, "image/png")
}

/// Returns audio (a short WAV file).
#[tool]
pub async fn test_audio_content() -> ContentBlock {
    ContentBlock::audio(wav_base64(), "audio/wav")
}

/// Returns an embedded resource.
#[tool]
pub async fn test_embedded_resource() -> ContentBlock {
    embedded(
        "test://embedded-resource",
        "text/plain",
        "This is an embedded resource content.",
    )
}

/// Returns text, an image and an embedded resource.
#[tool]
pub async fn test_multiple_content_types() -> Vec<ContentBlock> {
    vec![
        ContentBlock::text("Multiple content types test:"),
        ContentBlock::image(PNG_BASE64, "image/png"),
        embedded(
            "test://mixed-content-resource",
            "application/json",
            r#"{"test":"data","value":123}"#,
        ),
    ]
}

/// Logs three messages while it runs.
#[tool]
pub async fn test_tool_with_logging(ctx: RequestContext) -> &'static str {
    ctx.info("Tool execution started");
    tokio::time::sleep(Duration::from_millis(50)).await;
    ctx.info("Tool processing data");
    tokio::time::sleep(Duration::from_millis(50)).await;
    ctx.info("Tool execution completed");
    "Tool with logging executed successfully"
}

/// Reports progress three times while it runs.
#[tool]
pub async fn test_tool_with_progress(ctx: RequestContext) -> &'static str {
    for (i, step) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ctx.progress(step, Some(100.0), None);
    }
    "Progress test completed"
}

/// Always fails, as a tool error the model can read.
#[tool]
pub async fn test_error_handling() -> Result<String, String> {
    Err("This tool intentionally returns an error for testing".into())
}

/// Asks the client's model to answer `prompt`.
#[tool]
pub async fn test_sampling(
    /** The prompt to send to the model. */
    prompt: String,
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let result = ctx
        .sample(CreateMessageRequestParams::new(
            [SamplingMessage::user_text(prompt)],
            100,
        ))
        .await?;
    Ok(format!(
        "LLM response: {}",
        result.first_text().unwrap_or("")
    ))
}

fn describe_answer(action: ElicitAction, content: Option<JsonObject>) -> String {
    let content = content.map(Value::Object).unwrap_or(Value::Null);
    format!("User response: action={action:?}, content={content}").to_lowercase()
}

/// Asks the user for their name and email.
#[tool]
pub async fn test_elicitation(
    /** The message shown to the user. */
    message: String,
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let schema = object(json!({
        "type": "object",
        "properties": {
            "username": {"type": "string", "description": "User's response"},
            "email": {"type": "string", "description": "User's email address"}
        },
        "required": ["username", "email"]
    }));
    let answer = ctx
        .elicit(ElicitRequestFormParams::new(message, schema))
        .await?;
    Ok(describe_answer(answer.action, answer.content))
}

/// Asks for a form whose fields all have defaults (SEP-1034).
#[tool]
pub async fn test_elicitation_sep1034_defaults(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let schema = object(json!({
        "type": "object",
        "properties": {
            "name": {"type": "string", "description": "User name", "default": "John Doe"},
            "age": {"type": "integer", "description": "User age", "default": 30},
            "score": {"type": "number", "description": "User score", "default": 95.5},
            "status": {
                "type": "string",
                "description": "User status",
                "enum": ["active", "inactive", "pending"],
                "default": "active"
            },
            "verified": {"type": "boolean", "description": "Verification status", "default": true}
        },
        "required": []
    }));
    let answer = ctx
        .elicit(ElicitRequestFormParams::new(
            "Please review and update the form fields with defaults",
            schema,
        ))
        .await?;
    Ok(describe_answer(answer.action, answer.content))
}

/// Asks for a form with every kind of enum (SEP-1330).
#[tool]
pub async fn test_elicitation_sep1330_enums(ctx: RequestContext) -> Result<String, mcpwire::Error> {
    let schema = object(json!({
        "type": "object",
        "properties": {
            "untitledSingle": {
                "type": "string",
                "description": "Pick one option",
                "enum": ["option1", "option2", "option3"]
            },
            "titledSingle": {
                "type": "string",
                "description": "Pick one titled option",
                "oneOf": [
                    {"const": "value1", "title": "First Option"},
                    {"const": "value2", "title": "Second Option"},
                    {"const": "value3", "title": "Third Option"}
                ]
            },
            "legacyEnum": {
                "type": "string",
                "description": "Pick one (legacy enumNames)",
                "enum": ["opt1", "opt2", "opt3"],
                "enumNames": ["Option One", "Option Two", "Option Three"]
            },
            "untitledMulti": {
                "type": "array",
                "description": "Pick several options",
                "minItems": 1,
                "maxItems": 3,
                "items": {"type": "string", "enum": ["option1", "option2", "option3"]}
            },
            "titledMulti": {
                "type": "array",
                "description": "Pick several titled options",
                "minItems": 1,
                "maxItems": 3,
                "items": {
                    "anyOf": [
                        {"const": "value1", "title": "First Choice"},
                        {"const": "value2", "title": "Second Choice"},
                        {"const": "value3", "title": "Third Choice"}
                    ]
                }
            }
        },
        "required": []
    }));
    let answer = ctx
        .elicit(ElicitRequestFormParams::new(
            "Please select options from the enum fields",
            schema,
        ))
        .await?;
    Ok(describe_answer(answer.action, answer.content))
}

/// The tool whose input schema uses JSON Schema 2020-12 keywords, published verbatim.
pub fn json_schema_2020_12_tool() -> ToolDef {
    let schema = object(json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "addressDef",
                "type": "object",
                "properties": {"street": {"type": "string"}, "city": {"type": "string"}}
            }
        },
        "properties": {
            "name": {"type": "string"},
            "address": {"$ref": "#/$defs/address"},
            "contactMethod": {"type": "string", "enum": ["phone", "email"]},
            "phone": {"type": "string"},
            "email": {"type": "string"}
        },
        "allOf": [{"anyOf": [{"required": ["phone"]}, {"required": ["email"]}]}],
        "if": {"properties": {"contactMethod": {"const": "phone"}}, "required": ["contactMethod"]},
        "then": {"required": ["phone"]},
        "else": {"required": ["email"]},
        "additionalProperties": false
    }));
    ToolDef::builder("json_schema_2020_12_tool")
        .description("Tool with JSON Schema 2020-12 features")
        .input_schema(schema)
        .handler(|args: Value, _ctx: RequestContext| async move { format!("Received: {args}") })
}

/// Answers after a short pause (the suite checks how its stream is resumed).
#[tool]
pub async fn test_reconnection() -> &'static str {
    tokio::time::sleep(Duration::from_millis(100)).await;
    "Reconnection test completed successfully. If you received this, the client properly reconnected after stream closure."
}

/// Looks up a region. Over HTTP on 2026-07-28, `region` and `priority` travel in the
/// `Mcp-Param-Region` and `Mcp-Param-Priority` headers too, where gateways can route on them.
#[tool]
pub async fn test_custom_header(
    /** The region to look up. */
    #[arg(header = "Region")]
    region: String,
    /** An optional priority. */
    #[arg(header = "Priority")]
    priority: Option<i64>,
) -> String {
    format!("region={region}, priority={}", priority.unwrap_or(0))
}

// ---------- diagnostic tools of the 2026-07-28 scenarios ----------

/// Needs the client's sampling capability; refused with -32021 without it.
#[tool]
pub async fn test_missing_capability(ctx: RequestContext) -> Result<String, mcpwire::Error> {
    let result = ctx
        .sample(CreateMessageRequestParams::new(
            [SamplingMessage::user_text("Say hello")],
            10,
        ))
        .await?;
    Ok(format!("Sampled: {}", result.first_text().unwrap_or("")))
}

/// Asks the user for confirmation (an input-required result on 2026-07-28).
#[tool]
pub async fn test_streaming_elicitation(ctx: RequestContext) -> Result<String, mcpwire::Error> {
    let schema = object(json!({
        "type": "object",
        "properties": {"confirmed": {"type": "boolean", "description": "Confirm?"}}
    }));
    let answer = ctx
        .elicit(ElicitRequestFormParams::new("Please confirm", schema))
        .await?;
    Ok(describe_answer(answer.action, answer.content))
}

/// Logs a message, which only reaches clients that asked for a log level.
#[tool]
pub async fn test_logging_tool(ctx: RequestContext) -> &'static str {
    ctx.info("test_logging_tool ran");
    "Logged (if the client asked for logs)"
}

/// Adds or removes a tool, so that list-change subscribers are told.
#[tool]
pub async fn test_trigger_tool_change(ctx: RequestContext) -> String {
    let server = ctx.server();
    if server.remove_tool("test_dynamic_tool") {
        return "Removed test_dynamic_tool".into();
    }
    let tool = ToolDef::builder("test_dynamic_tool")
        .description("A tool added at run time by test_trigger_tool_change")
        .handler(|_: Value, _ctx: RequestContext| async move { "dynamic" });
    match server.add_tool(tool) {
        Ok(()) => "Added test_dynamic_tool".into(),
        Err(e) => e.to_string(),
    }
}

/// A prompt added and removed at run time by `test_trigger_prompt_change`.
#[prompt]
pub async fn test_dynamic_prompt() -> &'static str {
    "A prompt added at run time."
}

/// Adds or removes a prompt, so that list-change subscribers are told.
#[tool]
pub async fn test_trigger_prompt_change(ctx: RequestContext) -> String {
    let server = ctx.server();
    if server.remove_prompt("test_dynamic_prompt") {
        return "Removed test_dynamic_prompt".into();
    }
    match server.add_prompt(test_dynamic_prompt) {
        Ok(()) => "Added test_dynamic_prompt".into(),
        Err(e) => e.to_string(),
    }
}

// ---------- input-required results (multi round-trip requests) ----------

fn name_form(message: &str) -> ElicitRequestFormParams {
    ElicitRequestFormParams::new(
        message,
        object(json!({
            "type": "object",
            "properties": {"name": {"type": "string", "description": "Your name"}},
            "required": ["name"]
        })),
    )
}

fn content_field(content: &Option<JsonObject>, key: &str) -> String {
    content
        .as_ref()
        .and_then(|c| c.get(key))
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string())
        })
        .unwrap_or_default()
}

/// Asks the user's name, then greets them.
#[tool]
pub async fn test_input_required_result_elicitation(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let answer = ctx
        .elicit_keyed(Some("user_name"), name_form("What is your name?"))
        .await?;
    Ok(format!(
        "Hello, {}!",
        content_field(&answer.content, "name")
    ))
}

/// Asks the client's model a question.
#[tool]
pub async fn test_input_required_result_sampling(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let result = ctx
        .sample_keyed(
            Some("capital"),
            CreateMessageRequestParams::new(
                [SamplingMessage::user_text("What is the capital of France?")],
                50,
            ),
        )
        .await?;
    Ok(format!(
        "The model said: {}",
        result.first_text().unwrap_or("")
    ))
}

/// Asks for the client's roots.
#[tool]
pub async fn test_input_required_result_list_roots(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let roots = ctx.list_roots_keyed(Some("roots")).await?;
    let uris: Vec<String> = roots.roots.into_iter().map(|r| r.uri).collect();
    Ok(format!("Roots: {}", uris.join(", ")))
}

/// Asks for confirmation; the answer travels back with the sealed request state.
#[tool]
pub async fn test_input_required_result_request_state(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let answer = ctx
        .elicit_keyed(
            Some("confirm"),
            ElicitRequestFormParams::new(
                "Please confirm",
                object(json!({"type": "object", "properties": {"ok": {"type": "boolean"}}})),
            ),
        )
        .await?;
    Ok(format!("state-ok: action={:?}", answer.action))
}

/// Asks for a name, a model answer and the roots at once.
#[tool]
pub async fn test_input_required_result_multiple_inputs(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let (name, model, roots) = tokio::join!(
        ctx.elicit_keyed(Some("user_name"), name_form("What is your name?")),
        ctx.sample_keyed(
            Some("greeting"),
            CreateMessageRequestParams::new([SamplingMessage::user_text("Say hello")], 20),
        ),
        ctx.list_roots_keyed(Some("roots")),
    );
    let (name, model, roots) = (name?, model?, roots?);
    Ok(format!(
        "name={}, model={}, roots={}",
        content_field(&name.content, "name"),
        model.first_text().unwrap_or(""),
        roots.roots.len()
    ))
}

/// Asks for a name, then (in a second round) a favourite colour.
#[tool]
pub async fn test_input_required_result_multi_round(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let name = ctx
        .elicit_keyed(Some("user_name"), name_form("What is your name?"))
        .await?;
    let colour = ctx
        .elicit_keyed(
            Some("favorite_color"),
            ElicitRequestFormParams::new(
                "What is your favourite colour?",
                object(json!({
                    "type": "object",
                    "properties": {"color": {"type": "string"}},
                    "required": ["color"]
                })),
            ),
        )
        .await?;
    Ok(format!(
        "{} likes {}",
        content_field(&name.content, "name"),
        content_field(&colour.content, "color")
    ))
}

/// Asks for confirmation; a tampered request state is refused.
#[tool]
pub async fn test_input_required_result_tampered_state(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let answer = ctx
        .elicit_keyed(
            Some("confirm"),
            ElicitRequestFormParams::new(
                "Please confirm",
                object(json!({"type": "object", "properties": {"ok": {"type": "boolean"}}})),
            ),
        )
        .await?;
    Ok(format!("confirmed: {:?}", answer.action))
}

/// Asks only for the kinds of input the client declared it can give.
#[tool]
pub async fn test_input_required_result_capabilities(
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let caps = ctx.client_capabilities().clone();
    let mut answers = Vec::new();
    if caps.supports_form_elicitation() {
        let a = ctx
            .elicit_keyed(Some("user_name"), name_form("What is your name?"))
            .await?;
        answers.push(format!("name={}", content_field(&a.content, "name")));
    }
    if caps.sampling.is_some() {
        let r = ctx
            .sample_keyed(
                Some("greeting"),
                CreateMessageRequestParams::new([SamplingMessage::user_text("Say hello")], 20),
            )
            .await?;
        answers.push(format!("model={}", r.first_text().unwrap_or("")));
    }
    if caps.roots.is_some() {
        let r = ctx.list_roots_keyed(Some("roots")).await?;
        answers.push(format!("roots={}", r.roots.len()));
    }
    if answers.is_empty() {
        return Ok("The client declared no capability to ask with".into());
    }
    Ok(answers.join(", "))
}

/// A prompt that first asks the user for context.
#[prompt]
pub async fn test_input_required_result_prompt(
    ctx: RequestContext,
) -> Result<GetPromptResult, mcpwire::Error> {
    let answer = ctx
        .elicit_keyed(
            Some("context"),
            ElicitRequestFormParams::new(
                "What context should the prompt use?",
                object(json!({
                    "type": "object",
                    "properties": {"context": {"type": "string"}},
                    "required": ["context"]
                })),
            ),
        )
        .await?;
    Ok(GetPromptResult::new([PromptMessage::user(format!(
        "Use this context: {}",
        content_field(&answer.content, "context")
    ))]))
}

// ---------- tools of the tasks extension scenarios (io.modelcontextprotocol/tasks) ----------
//
// Registered with the builder. The handlers are plain tool handlers: `task_support` is all
// it takes for the SDK to run a call as a task when the client declared the extension.

/// The arguments of `greet`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct GreetArgs {
    /// Who to greet.
    pub name: String,
}

/// `greet`: answers directly, never as a task.
pub fn greet() -> ToolDef {
    ToolDef::builder("greet")
        .description("Greets someone by name. Always answers directly.")
        .handler(
            |args: GreetArgs, _ctx: RequestContext| async move { format!("Hello, {}!", args.name) },
        )
}

/// The arguments of `slow_compute`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct SlowComputeArgs {
    /// How long to work, in seconds (0 to 3600).
    #[serde(default)]
    pub seconds: f64,
    /// A label echoed in the result.
    #[serde(default)]
    pub label: Option<String>,
}

/// `slow_compute`: sleeps `seconds`, then answers; a task for clients that accept tasks.
/// `tasks/cancel` drops it while it sleeps, so the task ends `cancelled`.
pub fn slow_compute() -> ToolDef {
    ToolDef::builder("slow_compute")
        .description("Works for `seconds` seconds, then reports. Runs as a task when the client accepts tasks.")
        .task_support(TaskSupport::Optional)
        .handler(|args: SlowComputeArgs, _ctx: RequestContext| async move {
            let seconds = if args.seconds.is_finite() {
                args.seconds.clamp(0.0, 3600.0)
            } else {
                0.0
            };
            tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
            format!(
                "Computed `{}` in {seconds} s",
                args.label.as_deref().unwrap_or("unlabelled")
            )
        })
}

/// `failing_job`: only runs as a task, and ends with a tool error after about a second.
pub fn failing_job() -> ToolDef {
    ToolDef::builder("failing_job")
        .description("Fails after about a second with a tool error. Runs only as a task.")
        .task_support(TaskSupport::Required)
        .handler(|_: JsonObject, _ctx: RequestContext| async move {
            tokio::time::sleep(Duration::from_millis(800)).await;
            Err::<String, _>("The job failed: the input could not be processed")
        })
}

/// `protocol_error_job`: ends with a JSON-RPC error (a `failed` task).
pub fn protocol_error_job() -> ToolDef {
    ToolDef::builder("protocol_error_job")
        .description("Fails with a protocol-level (JSON-RPC) error. Runs as a task when the client accepts tasks.")
        .task_support(TaskSupport::Optional)
        .handler(|_: JsonObject, _ctx: RequestContext| async move {
            tokio::time::sleep(Duration::from_millis(200)).await;
            Err::<String, _>(mcpwire::Error::internal(
                "Internal error: the job lost its backend",
            ))
        })
}

/// The arguments of `confirm_delete`.
#[derive(serde::Deserialize, schemars::JsonSchema)]
pub struct ConfirmDeleteArgs {
    /// The file to delete.
    pub filename: String,
}

/// `confirm_delete`: asks the user to confirm (an `input_required` task), then answers.
pub fn confirm_delete() -> ToolDef {
    ToolDef::builder("confirm_delete")
        .description(
            "Deletes a file after the user confirms. Runs as a task when the client accepts tasks.",
        )
        .task_support(TaskSupport::Optional)
        .handler(|args: ConfirmDeleteArgs, ctx: RequestContext| async move {
            let answer = ctx
                .elicit(ElicitRequestFormParams::new(
                    format!("Delete {}?", args.filename),
                    object(json!({
                        "type": "object",
                        "properties": {"confirm": {"type": "boolean", "title": "Delete it"}},
                        "required": ["confirm"]
                    })),
                ))
                .await?;
            let confirmed = answer.action == ElicitAction::Accept
                && answer
                    .content
                    .as_ref()
                    .and_then(|c| c.get("confirm"))
                    .and_then(Value::as_bool)
                    == Some(true);
            Ok::<_, mcpwire::Error>(if confirmed {
                format!("Deleted {}", args.filename)
            } else {
                format!("Kept {}", args.filename)
            })
        })
}

/// `multi_input`: asks two questions at once, so two input requests are outstanding.
pub fn multi_input() -> ToolDef {
    let form = |message: &str| {
        ElicitRequestFormParams::new(
            message,
            object(json!({
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"]
            })),
        )
    };
    ToolDef::builder("multi_input")
        .description(
            "Asks two questions in parallel. Runs as a task when the client accepts tasks.",
        )
        .task_support(TaskSupport::Optional)
        .handler(move |_: JsonObject, ctx: RequestContext| {
            let (first, second) = (form("First name?"), form("Second name?"));
            async move {
                let (a, b) = tokio::join!(ctx.elicit(first), ctx.elicit(second));
                let (a, b) = (a?, b?);
                Ok::<_, mcpwire::Error>(format!(
                    "Got {} and {}",
                    content_field(&a.content, "name"),
                    content_field(&b.content, "name")
                ))
            }
        })
}

/// `test_tool_with_task`: gathers a name with a multi round-trip request on the call, then
/// continues as a task (it runs inline for 200 ms before becoming one, and answers after a
/// second), whose result greets that name.
pub fn test_tool_with_task() -> ToolDef {
    ToolDef::builder("test_tool_with_task")
        .description("Asks for a name, then greets it from a task. Runs only as a task.")
        .task_support(TaskSupport::Required)
        .task_after(Duration::from_millis(200))
        .handler(|_: JsonObject, ctx: RequestContext| async move {
            let answer = ctx
                .elicit_keyed(
                    Some("user_name"),
                    ElicitRequestFormParams::new(
                        "What is your name?",
                        object(json!({
                            "type": "object",
                            "properties": {"name": {"type": "string"}},
                            "required": ["name"]
                        })),
                    ),
                )
                .await?;
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok::<_, mcpwire::Error>(format!(
                "Hello, {}!",
                content_field(&answer.content, "name")
            ))
        })
}

// ---------- resources ----------

/// A static text resource.
#[resource("test://static-text", name = "static-text", mime_type = "text/plain")]
pub async fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// A static binary resource (a PNG image).
#[resource(
    "test://static-binary",
    name = "static-binary",
    mime_type = "image/png"
)]
pub async fn static_binary() -> Vec<u8> {
    B64.decode(PNG_BASE64).unwrap_or_default()
}

/// A resource template whose text repeats its id.
#[resource(
    "test://template/{id}/data",
    name = "template-data",
    mime_type = "application/json"
)]
pub async fn template_data(
    /** The id to look up. */
    id: String,
) -> String {
    json!({"id": id, "templateTest": true, "data": format!("Data for ID: {id}")}).to_string()
}

/// A resource clients can subscribe to.
#[resource(
    "test://watched-resource",
    name = "watched-resource",
    mime_type = "text/plain"
)]
pub async fn watched_resource() -> &'static str {
    "Watched resource content"
}

// ---------- prompts ----------

/// A simple prompt without arguments.
#[prompt]
pub async fn test_simple_prompt() -> &'static str {
    "This is a simple prompt for testing."
}

fn arg_values(prefix: &str) -> Vec<String> {
    ["paris", "park", "test", "testValue1"]
        .into_iter()
        .filter(|v| v.starts_with(prefix))
        .map(str::to_owned)
        .collect()
}

/// A prompt with two required arguments.
#[prompt]
pub async fn test_prompt_with_arguments(
    /// First test argument.
    #[arg(complete = arg_values)]
    arg1: String,
    /// Second test argument.
    arg2: String,
) -> String {
    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
}

/// A prompt that embeds a resource.
#[prompt]
pub async fn test_prompt_with_embedded_resource(
    /// The URI of the resource to embed.
    #[arg(name = "resourceUri")]
    resource_uri: String,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::new(
            Role::User,
            embedded(
                &resource_uri,
                "text/plain",
                "Embedded resource content for testing.",
            ),
        ),
        PromptMessage::user("Please process the embedded resource above."),
    ]
}

/// A prompt that shows an image.
#[prompt]
pub async fn test_prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::new(Role::User, ContentBlock::image(PNG_BASE64, "image/png")),
        PromptMessage::user("Please analyze the image above."),
    ]
}

/// The conformance server.
pub fn server() -> Server {
    mcpwire::server!()
        .instructions("The mcpwire server for the MCP conformance suite.")
        .tool(test_simple_text)
        .tool(test_image_content)
        .tool(test_audio_content)
        .tool(test_embedded_resource)
        .tool(test_multiple_content_types)
        .tool(test_tool_with_logging)
        .tool(test_tool_with_progress)
        .tool(test_error_handling)
        .tool(test_sampling)
        .tool(test_elicitation)
        .tool(test_elicitation_sep1034_defaults)
        .tool(test_elicitation_sep1330_enums)
        .tool(json_schema_2020_12_tool())
        .tool(test_reconnection)
        .tool(test_custom_header)
        .tool(test_missing_capability)
        .tool(test_streaming_elicitation)
        .tool(test_logging_tool)
        .tool(test_trigger_tool_change)
        .tool(test_trigger_prompt_change)
        .tool(test_input_required_result_elicitation)
        .tool(test_input_required_result_sampling)
        .tool(test_input_required_result_list_roots)
        .tool(test_input_required_result_request_state)
        .tool(test_input_required_result_multiple_inputs)
        .tool(test_input_required_result_multi_round)
        .tool(test_input_required_result_tampered_state)
        .tool(test_input_required_result_capabilities)
        .tool(greet())
        .tool(slow_compute())
        .tool(failing_job())
        .tool(protocol_error_job())
        .tool(confirm_delete())
        .tool(multi_input())
        .tool(test_tool_with_task())
        .resource(static_text)
        .resource(static_binary)
        .resource(template_data)
        .resource(watched_resource)
        .prompt(test_simple_prompt)
        .prompt(test_prompt_with_arguments)
        .prompt(test_prompt_with_embedded_resource)
        .prompt(test_prompt_with_image)
        .prompt(test_input_required_result_prompt)
}
