//! The conformance client: the suite runs it as `conformance-client <server-url>` with
//! `MCP_CONFORMANCE_SCENARIO` naming what to do, `MCP_CONFORMANCE_PROTOCOL_VERSION` the
//! revision (2025-11-25 unless told otherwise) and `MCP_CONFORMANCE_CONTEXT` any data the
//! scenario provides.
//!
//! It answers elicitations by accepting with each field's default (or a plain value of the
//! field's type), sampling with a fixed text, and lists one root.

#![allow(clippy::print_stderr)] // a command-line program reporting what it does

use mcpwire::http::HttpTransport;
use mcpwire::prelude::*;
use mcpwire::types::{
    CreateMessageResult, ElicitRequestParams, ElicitResult, JsonObject, ReadResourceResult, Root,
};
use serde_json::{Value, json};

/// Fills in a form the way a user accepting every default would.
fn fill_form(params: &ElicitRequestParams) -> JsonObject {
    let mut content = JsonObject::new();
    let ElicitRequestParams::Form(form) = params else {
        return content;
    };
    let Some(Value::Object(props)) = form.requested_schema.get("properties") else {
        return content;
    };
    for (name, schema) in props {
        let value = schema.get("default").cloned().unwrap_or_else(|| {
            if let Some(first) = schema
                .get("enum")
                .and_then(Value::as_array)
                .and_then(|e| e.first())
            {
                return first.clone();
            }
            match schema.get("type").and_then(Value::as_str) {
                Some("boolean") => Value::Bool(true),
                Some("integer") | Some("number") => json!(1),
                Some("array") => json!([]),
                _ => Value::from("conformance"),
            }
        });
        content.insert(name.clone(), value);
    }
    content
}

fn mode() -> ConnectMode {
    match std::env::var("MCP_CONFORMANCE_PROTOCOL_VERSION")
        .ok()
        .as_deref()
    {
        Some(v) => match ProtocolVersion::parse(v) {
            Some(v) if v.era() == mcpwire::Era::Modern => ConnectMode::Auto,
            Some(v) => ConnectMode::Legacy(v),
            None => ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
        },
        None => ConnectMode::Legacy(ProtocolVersion::V2025_11_25),
    }
}

async fn connect(url: &str) -> Result<Client, Box<dyn std::error::Error>> {
    let client = Client::builder()
        .info(mcpwire::types::Implementation::new(
            "mcpwire-conformance-client",
            env!("CARGO_PKG_VERSION"),
        ))
        .mode(mode())
        .on_elicitation(|params| async move { Ok(ElicitResult::accept(fill_form(&params))) })
        .on_sampling(|_params| async move {
            Ok(CreateMessageResult::text(
                "mcpwire-conformance-model",
                "This is a test response from the client",
            ))
        })
        .roots(vec![
            Root::new("file:///tmp/conformance").with_name("conformance"),
        ])
        .connect(HttpTransport::new(url)?)
        .await?;
    Ok(client)
}

fn context() -> Value {
    std::env::var("MCP_CONFORMANCE_CONTEXT")
        .ok()
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or(Value::Null)
}

async fn run(scenario: &str, url: &str) -> Result<(), Box<dyn std::error::Error>> {
    if scenario.starts_with("auth/") {
        return Err("authorization is not implemented in this client yet".into());
    }
    let client = connect(url).await?;
    eprintln!(
        "connected over {} to {:?}",
        client.protocol_version(),
        client.server_info().map(|i| i.name)
    );
    match scenario {
        "tools_call" => {
            client.list_tools().await?;
            let r = client
                .call_tool("add_numbers", json!({"a": 5, "b": 3}))
                .await?;
            eprintln!("add_numbers: {}", r.text_content());
        }
        "elicitation-sep1034-client-defaults" => {
            client.list_tools().await?;
            let r = client
                .call_tool("test_client_elicitation_defaults", json!({}))
                .await?;
            eprintln!("{}", r.text_content());
        }
        "sse-retry" => {
            client.list_tools().await?;
            let r = client.call_tool("test_reconnection", json!({})).await?;
            eprintln!("{}", r.text_content());
        }
        "sep-2322-client-request-state" => {
            for tool in [
                "test_mrtr_echo_state",
                "test_mrtr_no_state",
                "test_mrtr_unrelated",
                "test_mrtr_no_result_type",
            ] {
                let r = client.call_tool(tool, json!({})).await?;
                eprintln!("{tool}: {}", r.text_content());
            }
        }
        "http-standard-headers" => {
            for tool in client.list_tools().await? {
                client.call_tool(&tool.name, json!({})).await?;
            }
            for resource in client.list_resources().await? {
                let _: ReadResourceResult = client.read_resource(&resource.uri).await?;
            }
            for prompt in client.list_prompts().await? {
                client
                    .get_prompt(&prompt.name, std::iter::empty::<(&str, &str)>())
                    .await?;
            }
        }
        "http-custom-headers" => {
            client.list_tools().await?;
            let ctx = context();
            for call in ctx
                .get("toolCalls")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let name = call.get("name").and_then(Value::as_str).unwrap_or_default();
                let args = call.get("arguments").cloned().unwrap_or(json!({}));
                client.call_tool(name, args).await?;
            }
        }
        "http-invalid-tool-headers" => {
            // Tools with invalid annotations were dropped from the list.
            for tool in client.list_tools().await? {
                client
                    .call_tool(&tool.name, json!({"region": "us-west1"}))
                    .await?;
            }
        }
        "json-schema-2020-12-preservation" => {
            let tools = client.list_tools().await?;
            let schema = tools
                .iter()
                .find(|t| t.name == "json_schema_2020_12_tool")
                .map(|t| Value::Object(t.input_schema.clone()))
                .ok_or("json_schema_2020_12_tool is not listed")?;
            client
                .call_tool("json_schema_echo", json!({ "schema": schema }))
                .await?;
        }
        // `initialize`, `request-metadata`, `json-schema-ref-no-deref` and anything new:
        // connect and look around.
        _ => {
            let tools = client.list_tools().await?;
            eprintln!("{} tools", tools.len());
        }
    }
    client.close();
    Ok(())
}

#[tokio::main]
async fn main() {
    let Some(url) = std::env::args().skip(1).last() else {
        eprintln!("usage: MCP_CONFORMANCE_SCENARIO=<name> conformance-client <server-url>");
        std::process::exit(2);
    };
    let scenario = std::env::var("MCP_CONFORMANCE_SCENARIO").unwrap_or_default();
    if let Err(e) = run(&scenario, &url).await {
        eprintln!("conformance-client: scenario `{scenario}`: {e}");
        std::process::exit(1);
    }
}
