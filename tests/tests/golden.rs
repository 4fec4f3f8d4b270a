//! Golden vectors: every example of the 2026-07-28 schema deserialises into our type of
//! the same name and serialises back to equal JSON.

use std::collections::BTreeSet;

use mcpwire_core::types::*;
use mcpwire_tests::{read_json, spec_dir};
use serde_json::Value;

/// Examples that carry members the schema does not define for their type. Our types drop
/// unknown members, so these exact JSON pointers (and nothing else) may differ.
const EXTRA_MEMBERS: &[(&str, &str)] = &[("ListRootsRequest/list-roots-request.json", "/id")];

fn round_trip<T: serde::de::DeserializeOwned + serde::Serialize>(
    v: &Value,
) -> Result<Value, String> {
    let t: T = serde_json::from_value(v.clone()).map_err(|e| format!("deserialize: {e}"))?;
    serde_json::to_value(&t).map_err(|e| format!("serialize: {e}"))
}

macro_rules! golden_types {
    ($($name:ident => $ty:ty),* $(,)?) => {
        fn round_trip_named(name: &str, v: &Value) -> Option<Result<Value, String>> {
            match name {
                $(stringify!($name) => Some(round_trip::<$ty>(v)),)*
                _ => None,
            }
        }
    };
}

golden_types! {
    AudioContent => AudioContent,
    BlobResourceContents => BlobResourceContents,
    BooleanSchema => BooleanSchema,
    CallToolRequest => CallToolRequest,
    CallToolRequestParams => CallToolRequestParams,
    CallToolResult => CallToolResult,
    CallToolResultResponse => CallToolResultResponse,
    CancelledNotification => CancelledNotification,
    CancelledNotificationParams => CancelledNotificationParams,
    ClientCapabilities => ClientCapabilities,
    CompleteRequest => CompleteRequest,
    CompleteRequestParams => CompleteRequestParams,
    CompleteResult => CompleteResult,
    CompleteResultResponse => CompleteResultResponse,
    CreateMessageRequest => CreateMessageRequest,
    CreateMessageRequestParams => CreateMessageRequestParams,
    CreateMessageResult => CreateMessageResult,
    DiscoverRequest => DiscoverRequest,
    DiscoverResult => DiscoverResult,
    DiscoverResultResponse => DiscoverResultResponse,
    ElicitRequest => ElicitRequest,
    ElicitRequestFormParams => ElicitRequestFormParams,
    ElicitRequestURLParams => ElicitRequestURLParams,
    ElicitResult => ElicitResult,
    EmbeddedResource => EmbeddedResource,
    GetPromptRequest => GetPromptRequest,
    GetPromptRequestParams => GetPromptRequestParams,
    GetPromptResult => GetPromptResult,
    GetPromptResultResponse => GetPromptResultResponse,
    HeaderMismatchError => ErrorResponse,
    ImageContent => ImageContent,
    InputRequests => InputRequests,
    InputRequiredResult => InputRequiredResult,
    InputResponses => InputResponses,
    InternalError => mcpwire_core::ErrorObject,
    InvalidParamsError => mcpwire_core::ErrorObject,
    ListPromptsRequest => ListPromptsRequest,
    ListPromptsResult => ListPromptsResult,
    ListPromptsResultResponse => ListPromptsResultResponse,
    ListResourceTemplatesRequest => ListResourceTemplatesRequest,
    ListResourceTemplatesResult => ListResourceTemplatesResult,
    ListResourceTemplatesResultResponse => ListResourceTemplatesResultResponse,
    ListResourcesRequest => ListResourcesRequest,
    ListResourcesResult => ListResourcesResult,
    ListResourcesResultResponse => ListResourcesResultResponse,
    ListRootsRequest => ListRootsRequest,
    ListRootsResult => ListRootsResult,
    ListToolsRequest => ListToolsRequest,
    ListToolsResult => ListToolsResult,
    ListToolsResultResponse => ListToolsResultResponse,
    LoggingMessageNotification => LoggingMessageNotification,
    LoggingMessageNotificationParams => LoggingMessageNotificationParams,
    MethodNotFoundError => mcpwire_core::ErrorObject,
    MissingRequiredClientCapabilityError => ErrorResponse,
    ModelPreferences => ModelPreferences,
    NumberSchema => NumberSchema,
    PaginatedRequestParams => PaginatedRequestParams,
    ParseError => mcpwire_core::ErrorObject,
    ProgressNotification => ProgressNotification,
    ProgressNotificationParams => ProgressNotificationParams,
    PromptListChangedNotification => PromptListChangedNotification,
    ReadResourceRequest => ReadResourceRequest,
    ReadResourceResult => ReadResourceResult,
    ReadResourceResultResponse => ReadResourceResultResponse,
    Resource => Resource,
    ResourceLink => ResourceLink,
    ResourceListChangedNotification => ResourceListChangedNotification,
    ResourceUpdatedNotification => ResourceUpdatedNotification,
    ResourceUpdatedNotificationParams => ResourceUpdatedNotificationParams,
    Root => Root,
    SamplingMessage => SamplingMessage,
    ServerCapabilities => ServerCapabilities,
    StringSchema => StringSchema,
    SubscriptionsAcknowledgedNotification => SubscriptionsAcknowledgedNotification,
    SubscriptionsListenRequest => SubscriptionsListenRequest,
    SubscriptionsListenResult => SubscriptionsListenResult,
    SubscriptionsListenResultResponse => SubscriptionsListenResultResponse,
    TextContent => TextContent,
    TextResourceContents => TextResourceContents,
    TitledMultiSelectEnumSchema => TitledMultiSelectEnumSchema,
    TitledSingleSelectEnumSchema => TitledSingleSelectEnumSchema,
    Tool => Tool,
    ToolListChangedNotification => ToolListChangedNotification,
    ToolResultContent => ToolResultContent,
    ToolUseContent => ToolUseContent,
    UnsupportedProtocolVersionError => ErrorResponse,
    UntitledMultiSelectEnumSchema => UntitledMultiSelectEnumSchema,
    UntitledSingleSelectEnumSchema => UntitledSingleSelectEnumSchema,
}

fn remove_pointer(v: &mut Value, pointer: &str) -> bool {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    match v.pointer_mut(parent).and_then(Value::as_object_mut) {
        Some(obj) => obj.remove(key).is_some(),
        None => false,
    }
}

#[test]
fn every_example_round_trips_through_its_type() {
    let dir = spec_dir().join("2026-07-28/schema/examples");
    let mut failures = Vec::new();
    let mut checked = 0;
    let mut allowances_used = BTreeSet::new();
    let mut types: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    types.sort();
    for type_dir in types {
        let name = type_dir.file_name().unwrap().to_str().unwrap().to_owned();
        let mut files: Vec<_> = std::fs::read_dir(&type_dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let rel = format!("{name}/{}", file.file_name().unwrap().to_str().unwrap());
            let original = read_json(&file);
            let Some(result) = round_trip_named(&name, &original) else {
                failures.push(format!("{rel}: no type named {name}"));
                continue;
            };
            checked += 1;
            match result {
                Err(e) => failures.push(format!("{rel}: {e}")),
                Ok(back) => {
                    let mut expected = original.clone();
                    for (f, pointer) in EXTRA_MEMBERS {
                        if *f == rel {
                            assert!(
                                remove_pointer(&mut expected, pointer),
                                "{rel} has no {pointer}"
                            );
                            allowances_used.insert((*f, *pointer));
                        }
                    }
                    if back != expected {
                        failures.push(format!(
                            "{rel}: round trip differs\n  expected {expected}\n  got      {back}"
                        ));
                    }
                }
            }
        }
    }
    assert_eq!(
        allowances_used.len(),
        EXTRA_MEMBERS.len(),
        "an allowance in EXTRA_MEMBERS no longer matches an example; remove it"
    );
    assert!(checked > 100, "only {checked} examples found");
    assert!(
        failures.is_empty(),
        "{} of {checked} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The JSON examples of the tasks extension's documents (`ext-tasks/*.md`): every message
/// deserialises into our type for it and serialises back equal.
#[test]
fn tasks_extension_examples_round_trip() {
    let dir = spec_dir().join("ext-tasks");
    let mut failures = Vec::new();
    let mut checked = 0;
    for doc in ["tasks.md", "sep-2663-tasks-extension.md"] {
        let text = std::fs::read_to_string(dir.join(doc)).unwrap();
        // Fenced `json` blocks only: `jsonc` and `jsonl` ones hold comments.
        for (i, block) in text.split("```json\n").skip(1).enumerate() {
            let body = block.split("```").next().unwrap();
            let original: Value = serde_json::from_str(body)
                .unwrap_or_else(|e| panic!("{doc} example {i} is not JSON: {e}"));
            let result = original.get("result");
            let has = |k: &str| result.is_some_and(|r| r.get(k).is_some());
            let (ty, back) = match original.get("method").and_then(Value::as_str) {
                Some("tools/call") => ("CallToolRequest", round_trip::<CallToolRequest>(&original)),
                Some("tasks/get") => ("GetTaskRequest", round_trip::<GetTaskRequest>(&original)),
                Some("tasks/update") => (
                    "UpdateTaskRequest",
                    round_trip::<UpdateTaskRequest>(&original),
                ),
                Some("tasks/cancel") => (
                    "CancelTaskRequest",
                    round_trip::<CancelTaskRequest>(&original),
                ),
                Some("notifications/tasks") => (
                    "TaskStatusNotification",
                    round_trip::<TaskStatusNotification>(&original),
                ),
                Some(other) => panic!("{doc} example {i}: unexpected method {other}"),
                // A task with its payload inlined (what tasks/get answers).
                None if has("taskId")
                    && (has("result") || has("error") || has("inputRequests"))
                    || result.and_then(|r| r.get("resultType"))
                        == Some(&Value::from("complete"))
                        && has("taskId") =>
                {
                    (
                        "GetTaskResult",
                        round_trip::<GetTaskResultResponse>(&original),
                    )
                }
                None if has("taskId") => (
                    "CreateTaskResult",
                    round_trip::<CreateTaskResultResponse>(&original),
                ),
                None if result.is_some() => (
                    "EmptyResult",
                    round_trip::<ResultResponse<EmptyResult>>(&original),
                ),
                None => ("ErrorResponse", round_trip::<ErrorResponse>(&original)),
            };
            checked += 1;
            match back {
                Err(e) => failures.push(format!("{doc} example {i} ({ty}): {e}")),
                Ok(back) if back != original => failures.push(format!(
                    "{doc} example {i} ({ty}): round trip differs\n  expected {original}\n  got      {back}"
                )),
                Ok(_) => {}
            }
        }
    }
    assert!(checked >= 40, "only {checked} examples found");
    assert!(
        failures.is_empty(),
        "{} of {checked} examples failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
