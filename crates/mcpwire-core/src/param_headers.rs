//! `x-mcp-header`: tool arguments mirrored into `Mcp-Param-{Name}` HTTP headers
//! (2026-07-28), so that gateways can route on them without parsing the body.
//!
//! The rules live here, beside the tool definitions, because a server validates its own tools
//! with them at registration and both HTTP halves (server and client) apply them.

use serde_json::Value;

use crate::types::JsonObject;

/// The type of a mirrored argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// A string.
    String,
    /// An integer (within ±(2^53 − 1)).
    Integer,
    /// A boolean.
    Boolean,
}

/// A tool argument mirrored into an `Mcp-Param-{header}` header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HeaderParam {
    /// The chain of `properties` keys leading to the argument.
    pub path: Vec<String>,
    /// The `{Name}` of `Mcp-Param-{Name}`.
    pub header: String,
    /// The argument's type.
    pub kind: ParamKind,
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn count_annotations(o: &JsonObject) -> usize {
    usize::from(o.contains_key("x-mcp-header")) + o.values().map(count_in).sum::<usize>()
}

fn count_in(v: &Value) -> usize {
    match v {
        Value::Object(o) => count_annotations(o),
        Value::Array(a) => a.iter().map(count_in).sum(),
        _ => 0,
    }
}

fn collect(
    schema: &JsonObject,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Value, Option<Value>)>,
) {
    let Some(Value::Object(props)) = schema.get("properties") else {
        return;
    };
    for (name, prop) in props {
        let Value::Object(prop) = prop else {
            continue;
        };
        path.push(name.clone());
        if let Some(h) = prop.get("x-mcp-header") {
            out.push((path.clone(), h.clone(), prop.get("type").cloned()));
        }
        collect(prop, path, out);
        path.pop();
    }
}

/// The `x-mcp-header` annotations of a tool's input schema, validated by the spec's rules
/// (non-empty token names, unique ignoring case, on integer, string or boolean properties
/// reachable through `properties` only). `Err` says why the tool definition is invalid.
pub fn header_params(schema: &JsonObject) -> Result<Vec<HeaderParam>, String> {
    let mut found = Vec::new();
    collect(schema, &mut Vec::new(), &mut found);
    let total = count_annotations(schema);
    if total != found.len() {
        return Err(
            "an x-mcp-header annotation is not reachable through `properties` alone".into(),
        );
    }
    let mut params: Vec<HeaderParam> = Vec::new();
    for (path, header, ty) in found {
        let Value::String(header) = header else {
            return Err(format!(
                "x-mcp-header of `{}` is not a string",
                path.join(".")
            ));
        };
        if header.is_empty() {
            return Err(format!("x-mcp-header of `{}` is empty", path.join(".")));
        }
        if !header.bytes().all(is_tchar) {
            return Err(format!(
                "x-mcp-header `{header}` is not a valid header name"
            ));
        }
        if params
            .iter()
            .any(|p| p.header.eq_ignore_ascii_case(&header))
        {
            return Err(format!("x-mcp-header `{header}` is not unique"));
        }
        // `["string", "null"]` (an optional argument) mirrors like `"string"`.
        let ty = match ty {
            Some(Value::Array(types)) => {
                let mut non_null = types.into_iter().filter(|t| t != "null");
                match (non_null.next(), non_null.next()) {
                    (Some(t), None) => Some(t),
                    _ => None,
                }
            }
            other => other,
        };
        let kind = match ty.as_ref().and_then(Value::as_str) {
            Some("string") => ParamKind::String,
            Some("integer") => ParamKind::Integer,
            Some("boolean") => ParamKind::Boolean,
            other => {
                return Err(format!(
                    "x-mcp-header `{header}` is on a property of type {}; only string, integer and boolean may be mirrored",
                    other.unwrap_or("(none)")
                ));
            }
        };
        params.push(HeaderParam { path, header, kind });
    }
    Ok(params)
}

const MAX_SAFE: f64 = 9_007_199_254_740_991.0;

/// The header value of `param` for the call `arguments`: `None` when the argument is absent
/// or `null`.
pub fn param_value(arguments: &Value, param: &HeaderParam) -> Option<String> {
    let mut v = arguments;
    for key in &param.path {
        v = v.get(key)?;
    }
    match (param.kind, v) {
        (_, Value::Null) => None,
        (ParamKind::String, Value::String(s)) => Some(s.clone()),
        (ParamKind::Boolean, Value::Bool(b)) => Some(b.to_string()),
        (ParamKind::Integer, Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
            (Some(i), _) => Some(i.to_string()),
            (None, Some(f)) if f.fract() == 0.0 && f.abs() <= MAX_SAFE => {
                Some((f as i64).to_string())
            }
            _ => Some(n.to_string()),
        },
        (_, other) => Some(other.to_string()),
    }
}

/// Whether a decoded header value equals the body value (integers compare numerically).
pub fn value_matches(kind: ParamKind, header: &str, body: &str) -> bool {
    match kind {
        ParamKind::Integer => match (header.parse::<f64>(), body.parse::<f64>()) {
            (Ok(a), Ok(b)) => a == b,
            _ => header == body,
        },
        _ => header == body,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> JsonObject {
        match v {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }

    #[test]
    fn annotations_are_validated() {
        let ok = schema(json!({"type":"object","properties":{
            "region":{"type":"string","x-mcp-header":"Region"},
            "n":{"type":"integer","x-mcp-header":"N"},
            "nested":{"type":"object","properties":{"flag":{"type":"boolean","x-mcp-header":"Flag"}}}}}));
        let nullable =
            schema(json!({"properties":{"r":{"type":["string","null"],"x-mcp-header":"R"}}}));
        assert_eq!(header_params(&nullable).unwrap()[0].kind, ParamKind::String);
        let params = header_params(&ok).unwrap();
        assert_eq!(params.len(), 3);
        assert_eq!(params[2].path, ["nested", "flag"]);
        for bad in [
            json!({"properties":{"a":{"type":"string","x-mcp-header":""}}}),
            json!({"properties":{"a":{"type":"number","x-mcp-header":"A"}}}),
            json!({"properties":{"a":{"type":"object","x-mcp-header":"A"}}}),
            json!({"properties":{"a":{"type":"string","x-mcp-header":"A"},"b":{"type":"string","x-mcp-header":"a"}}}),
            json!({"properties":{"a":{"type":"string","x-mcp-header":"My Region"}}}),
            json!({"properties":{"a":{"type":"string","x-mcp-header":"Région"}}}),
            json!({"properties":{"a":{"type":"array","items":{"type":"string","x-mcp-header":"A"}}}}),
            json!({"anyOf":[{"properties":{"a":{"type":"string","x-mcp-header":"A"}}}]}),
        ] {
            assert!(header_params(&schema(bad.clone())).is_err(), "{bad}");
        }
    }

    #[test]
    fn values_come_from_the_argument_path() {
        let p = HeaderParam {
            path: vec!["a".into(), "b".into()],
            header: "B".into(),
            kind: ParamKind::Integer,
        };
        assert_eq!(
            param_value(&json!({"a":{"b":42}}), &p).as_deref(),
            Some("42")
        );
        assert_eq!(param_value(&json!({"a":{"b":null}}), &p), None);
        assert_eq!(param_value(&json!({"a":{}}), &p), None);
        assert!(value_matches(ParamKind::Integer, "42", "42.0"));
        assert!(!value_matches(ParamKind::String, "42", "42.0"));
    }
}
