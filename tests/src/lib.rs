//! Shared helpers of the mcpwire test suite: where the specification lives, and a
//! validator that checks messages against a revision's `schema.json`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use serde_json::Value;

pub mod fixture;
pub mod tap;

/// The specification folder: `$MCPWIRE_SPEC_DIR`, or `../shared/spec` beside the workspace.
///
/// Panics when the folder is missing: tests that need the spec fail rather than skip.
pub fn spec_dir() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = match std::env::var_os("MCPWIRE_SPEC_DIR") {
        Some(d) => {
            let d = PathBuf::from(d);
            if d.is_absolute() { d } else { root.join(d) }
        }
        None => root.join("../shared/spec"),
    };
    assert!(
        dir.join("2026-07-28/schema/schema.json").is_file(),
        "the MCP specification is missing at {} (set MCPWIRE_SPEC_DIR)",
        dir.display()
    );
    dir
}

/// Reads a JSON file.
pub fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()))
}

/// Validates JSON against the definitions of one revision's `schema.json`.
pub struct SchemaValidator {
    schema: Value,
    defs_key: &'static str,
    compiled: Mutex<HashMap<String, Arc<jsonschema::Validator>>>,
}

impl SchemaValidator {
    /// The validator of revision `version` (for example `2025-11-25`).
    pub fn for_version(version: &str) -> Arc<SchemaValidator> {
        Self::load(version, || {
            spec_dir().join(version).join("schema/schema.json")
        })
    }

    /// The validator of the extension whose schema is `<spec>/<folder>/schema.json` (for
    /// example `ext-tasks`).
    pub fn for_extension(folder: &str) -> Arc<SchemaValidator> {
        Self::load(&format!("extension:{folder}"), || {
            spec_dir().join(folder).join("schema.json")
        })
    }

    fn load(key: &str, path: impl FnOnce() -> PathBuf) -> Arc<SchemaValidator> {
        static CACHE: OnceLock<Mutex<HashMap<String, Arc<SchemaValidator>>>> = OnceLock::new();
        let cache = CACHE.get_or_init(Default::default);
        let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .entry(key.to_owned())
            .or_insert_with(|| {
                let schema = read_json(&path());
                let defs_key = if schema.get("$defs").is_some() {
                    "$defs"
                } else {
                    "definitions"
                };
                Arc::new(SchemaValidator {
                    schema,
                    defs_key,
                    compiled: Mutex::default(),
                })
            })
            .clone()
    }

    /// Whether the revision defines `def`.
    pub fn has_def(&self, def: &str) -> bool {
        self.schema[self.defs_key].get(def).is_some()
    }

    fn validator(&self, def: &str) -> Arc<jsonschema::Validator> {
        let mut compiled = self.compiled.lock().unwrap_or_else(|e| e.into_inner());
        compiled
            .entry(def.to_owned())
            .or_insert_with(|| {
                let mut root = self.schema.clone();
                let obj = root.as_object_mut().unwrap();
                obj.insert(
                    "$ref".into(),
                    Value::from(format!("#/{}/{def}", self.defs_key)),
                );
                // Draft-07 schemas (the older revisions) declare their dialect themselves.
                Arc::new(
                    jsonschema::options()
                        .build(&root)
                        .unwrap_or_else(|e| panic!("compiling schema for {def}: {e}")),
                )
            })
            .clone()
    }

    /// Checks `value` against definition `def`; the error lists every violation.
    pub fn validate(&self, def: &str, value: &Value) -> Result<(), String> {
        assert!(self.has_def(def), "no definition {def} in this revision");
        let v = self.validator(def);
        let errors: Vec<String> = v
            .iter_errors(value)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join("; "))
        }
    }
}
