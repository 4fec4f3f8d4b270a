//! JSON Schemas generated from Rust types with schemars (JSON Schema 2020-12).

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::Value;

use crate::types::JsonObject;

fn generate<T: JsonSchema + ?Sized>(inline: bool) -> JsonObject {
    let schema = SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = inline)
        .into_generator()
        .into_root_schema_for::<T>();
    let mut obj = match schema.to_value() {
        Value::Object(o) => o,
        // `true`/`false` schemas: accept anything / nothing.
        Value::Bool(true) => JsonObject::new(),
        other => {
            let mut o = JsonObject::new();
            o.insert("not".into(), Value::Object(JsonObject::new()));
            let _ = other;
            o
        }
    };
    // Tool schemas default to 2020-12; the dialect line and the Rust type name add nothing.
    obj.remove("$schema");
    obj.remove("title");
    obj
}

/// The input schema of a tool taking `T` as its arguments (an object schema).
///
/// Subschemas are inlined where possible (many clients handle `$ref` poorly); recursive
/// types keep their `$defs`.
pub fn input_schema_for<T: JsonSchema + ?Sized>() -> JsonObject {
    let mut obj = generate::<T>(true);
    if !obj.contains_key("type") {
        obj.insert("type".into(), Value::from("object"));
    }
    obj
}

/// The output schema of a tool returning `T` as structured content.
pub fn output_schema_for<T: JsonSchema + ?Sized>() -> JsonObject {
    generate::<T>(true)
}

/// The `requestedSchema` of a form elicitation for `T`: a flat object of primitive fields.
pub fn elicitation_schema_for<T: JsonSchema + ?Sized>() -> JsonObject {
    let mut obj = generate::<T>(true);
    obj.remove("$defs");
    obj.remove("additionalProperties");
    obj
}

/// Whether `schema` describes a JSON object at its root.
pub fn is_object_schema(schema: &JsonObject) -> bool {
    matches!(schema.get("type"), Some(Value::String(t)) if t == "object")
}

/// Wraps a non-object output schema as `{"type":"object","properties":{"result": schema}}`,
/// the shape revisions before 2026-07-28 require; object schemas are returned unchanged.
pub fn wrap_output_schema(schema: &JsonObject) -> JsonObject {
    if is_object_schema(schema) {
        return schema.clone();
    }
    let mut inner = schema.clone();
    let defs = inner.remove("$defs");
    let mut props = JsonObject::new();
    props.insert("result".into(), Value::Object(inner));
    let mut o = JsonObject::new();
    o.insert("type".into(), Value::from("object"));
    o.insert("properties".into(), Value::Object(props));
    o.insert("required".into(), Value::Array(vec![Value::from("result")]));
    if let Some(defs) = defs {
        o.insert("$defs".into(), defs);
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(JsonSchema)]
    #[allow(dead_code)]
    struct Args {
        /// First addend.
        a: f64,
        b: Option<i32>,
    }

    #[test]
    fn input_schema_is_an_object_with_docs() {
        let s = input_schema_for::<Args>();
        assert_eq!(s["type"], "object");
        assert_eq!(s["properties"]["a"]["description"], "First addend.");
        assert_eq!(s["required"], serde_json::json!(["a"]));
        assert!(!s.contains_key("$schema"));
    }

    #[test]
    fn non_object_outputs_are_wrapped_for_legacy_clients() {
        let s = output_schema_for::<Vec<String>>();
        assert_eq!(s["type"], "array");
        let w = wrap_output_schema(&s);
        assert_eq!(w["type"], "object");
        assert_eq!(w["properties"]["result"]["type"], "array");
        let obj = input_schema_for::<Args>();
        assert_eq!(wrap_output_schema(&obj), obj);
    }
}
