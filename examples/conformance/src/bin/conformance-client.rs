//! The conformance client: the suite runs it as `conformance-client <server-url>` with
//! `MCP_CONFORMANCE_SCENARIO` naming what to do, `MCP_CONFORMANCE_PROTOCOL_VERSION` the
//! revision (2025-11-25 unless told otherwise) and `MCP_CONFORMANCE_CONTEXT` any data the
//! scenario provides.
//!
//! It answers elicitations by accepting with each field's default (or a plain value of the
//! field's type), sampling with a fixed text, and lists one root.
//!
//! `auth/*` scenarios run the OAuth client of `mcpwire::http::oauth`: the suite's
//! authorization servers approve at once, so the authorization step fetches the
//! authorization URL without following the redirect and reads the code, state and issuer
//! from its `Location`. Credentials in `MCP_CONFORMANCE_CONTEXT` are used as pre-registered
//! ones; the client also offers a Client ID Metadata Document URL, and binds tokens with
//! DPoP where the authorization server supports it.

#![allow(clippy::print_stderr)] // a command-line program reporting what it does

use std::sync::Arc;

use bytes::Bytes;
use mcpwire::http::oauth::{
    AuthorizationHandler, AuthorizationRequest, AuthorizationResponse, ClientCredentials,
    FixedAssertion, Grant, HttpFetch, IdJagExchange, OAuthClient, PlainHttp,
};
use mcpwire::http::{HttpClientConfig, HttpTransport};
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

/// The Client ID Metadata Document URL the suite expects.
const CLIENT_METADATA_URL: &str = "https://conformance-test.local/client-metadata.json";

/// Authorizes without a user: the suite's authorization endpoints redirect at once.
struct Headless {
    http: Arc<PlainHttp>,
}

impl AuthorizationHandler for Headless {
    fn redirect_uri(&self) -> String {
        // Never contacted: the redirect is read, not followed.
        "http://localhost:3000/callback".into()
    }

    fn authorize<'a>(
        &'a self,
        request: &'a AuthorizationRequest,
    ) -> mcpwire::connection::BoxFuture<
        'a,
        Result<AuthorizationResponse, Box<dyn std::error::Error + Send + Sync>>,
    > {
        Box::pin(async move {
            let mut req = http::Request::new(Bytes::new());
            *req.uri_mut() = request.url.as_str().parse()?;
            let resp = self.http.fetch(req).await?;
            if !resp.status().is_redirection() {
                return Err(
                    format!("the authorization endpoint answered {}", resp.status()).into(),
                );
            }
            let location = resp
                .headers()
                .get(http::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .ok_or("the authorization endpoint's redirect has no Location")?;
            let target = request.url.join(location)?;
            Ok(AuthorizationResponse::from_redirect(&target))
        })
    }
}

/// The OAuth client of an `auth/*` scenario.
fn oauth(scenario: &str, url: &str) -> Result<OAuthClient, Box<dyn std::error::Error>> {
    let ctx = context();
    let text = |k: &str| ctx.get(k).and_then(Value::as_str).map(str::to_owned);
    let mut builder = OAuthClient::builder(url)?
        .client_name("mcpwire-conformance-client")
        .authorization_handler(Headless {
            http: Arc::new(PlainHttp::new()),
        })
        .client_metadata_url(CLIENT_METADATA_URL)
        // Used only with authorization servers that accept ES256 DPoP proofs.
        .dpop(true);
    if let Some(id) = text("client_id") {
        let mut creds = match text("client_secret") {
            Some(secret) => ClientCredentials::confidential(id, secret),
            None => ClientCredentials::public(id),
        };
        if let Some(issuer) = text("issuer") {
            creds = creds.for_issuer(issuer);
        }
        builder = builder.pre_registered(creds);
    }
    if let (Some(endpoint), Some(idp_client), Some(id_token)) = (
        text("idp_token_endpoint"),
        text("idp_client_id"),
        text("idp_id_token"),
    ) {
        // Enterprise-managed authorization: an ID-JAG from the IdP, then the JWT bearer grant.
        builder = builder.jwt_bearer(IdJagExchange::new(&endpoint, idp_client, id_token)?);
    }
    if let Some(jwt) = text("valid_jwt") {
        // Workload identity federation: the workload's JWT is the grant.
        builder = builder.jwt_bearer(FixedAssertion::new(jwt));
    }
    if scenario.starts_with("auth/client-credentials") {
        builder = builder.grant(Grant::ClientCredentials);
        if let Some(pem) = text("private_key_pem") {
            builder = builder.client_assertion(mcpwire::http::oauth::es256_signer(&pem)?);
        }
    }
    Ok(builder.build()?)
}

async fn connect(scenario: &str, url: &str) -> Result<Client, Box<dyn std::error::Error>> {
    let mut config = HttpClientConfig::new(url)?;
    if scenario.starts_with("auth/") {
        config = config.auth(oauth(scenario, url)?);
    }
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
        .connect(HttpTransport::with_config(config))
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
    let client = connect(scenario, url).await?;
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
        // Authorization: two authorized requests (a step-up or a change of authorization
        // server shows on the second).
        s if s.starts_with("auth/") => {
            client.list_tools().await?;
            let r = client.call_tool("test-tool", json!({})).await?;
            eprintln!("test-tool: {}", r.text_content());
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
