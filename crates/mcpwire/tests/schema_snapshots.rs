//! Snapshots of what the attribute macros generate, as a client of the 2026-07-28 era sees
//! it: the `tools/list`, `resources/list`, `resources/templates/list` and `prompts/list`
//! results of a handful of representative definitions, pretty-printed and compared with
//! `tests/snapshots/*.json`.
//!
//! After an intended change, rewrite the files with
//! `MCPWIRE_BLESS=1 cargo test -p mcpwire --test schema_snapshots` and review the diff.

use std::collections::BTreeMap;
use std::path::PathBuf;

use mcpwire::client::{ConnectMode, RequestOptions};
use mcpwire::methods::{ListPrompts, ListResourceTemplates, ListResources, ListTools};
use mcpwire::prelude::*;
use mcpwire::server::SafePath;
use mcpwire::types::PaginatedRequestParams;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

// ---------- tools ----------

/// Add two numbers.
#[mcpwire::tool(read_only, idempotent)]
async fn add(
    /// The first addend.
    a: f64,
    /// The second addend.
    b: f64,
) -> f64 {
    a + b
}

/// How loud to be.
#[derive(Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Volume {
    /// Quietly.
    Low,
    /// Loudly.
    High,
}

/// Repeat a word.
#[mcpwire::tool(
    name = "repeat-word",
    title = "Repeat",
    destructive = false,
    open_world
)]
fn repeat(
    word: String,
    #[arg(default = 2, description = "How many times.")] times: u32,
    #[arg(name = "sep")] separator: Option<String>,
    volume: Option<Volume>,
    tags: Vec<String>,
) -> String {
    let _ = (volume, tags);
    vec![word; times as usize].join(separator.as_deref().unwrap_or(" "))
}

/// A point on the plane.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Point {
    /// Horizontal.
    x: i32,
    /// Vertical.
    y: i32,
    /// A label.
    label: Option<String>,
}

/// A segment between two points.
#[derive(Serialize, Deserialize, JsonSchema)]
struct Segment {
    from: Point,
    to: Point,
}

/// Mirror a point (flattened arguments, structured output).
#[mcpwire::tool]
async fn mirror(#[arg(flatten)] p: Point, scale: Option<i32>) -> Point {
    let s = scale.unwrap_or(1);
    Point {
        x: -p.x * s,
        y: -p.y * s,
        label: p.label,
    }
}

/// The length of a segment (a nested argument, a fallible result).
#[mcpwire::tool(lenient)]
async fn length(segment: Segment) -> Result<f64, String> {
    let (dx, dy) = (segment.to.x - segment.from.x, segment.to.y - segment.from.y);
    Ok(f64::from(dx * dx + dy * dy).sqrt())
}

fn render(list: &[Point]) -> String {
    format!("{} points", list.len())
}

/// Some points, rendered as text.
#[mcpwire::tool(text = render)]
async fn points(n: u8) -> Vec<Point> {
    (0..n)
        .map(|i| Point {
            x: i.into(),
            y: 0,
            label: None,
        })
        .collect()
}

/// Plain text.
#[mcpwire::tool]
async fn hello(ctx: RequestContext) -> &'static str {
    let _ = ctx;
    "hello"
}

// ---------- resources ----------

/// The README.
#[mcpwire::resource(
    "docs://readme",
    mime_type = "text/markdown",
    title = "Read me",
    priority = 0.9,
    audience = "user,assistant"
)]
async fn readme() -> String {
    "# Hello".into()
}

async fn list_users(_ctx: RequestContext) -> Result<Vec<Resource>, mcpwire::Error> {
    Ok(vec![Resource::new("users://1", "user 1")])
}

fn user_ids(prefix: &str) -> Vec<String> {
    vec![format!("{prefix}1")]
}

/// A user by id.
#[mcpwire::resource("users://{id}", list = list_users, mime_type = "application/json")]
async fn user(#[arg(complete = user_ids)] id: u32) -> Json<BTreeMap<String, u32>> {
    Json(BTreeMap::from([("id".to_owned(), id)]))
}

/// A file below the root.
#[mcpwire::resource("file:///{+path}", name = "file", mime_type = "text/plain")]
async fn read_file(path: SafePath) -> String {
    path.under("/srv").display().to_string()
}

/// Search results.
#[mcpwire::resource("search://items{?q,limit}", title = "Search")]
async fn search(q: Option<String>, limit: Option<u32>) -> String {
    format!("{q:?} {limit:?}")
}

// ---------- prompts ----------

fn languages(prefix: &str) -> Vec<&'static str> {
    ["rust", "ruby"]
        .into_iter()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// Review code.
#[mcpwire::prompt(title = "Code review")]
async fn review(
    /// The language of the code.
    #[arg(complete = languages)]
    language: String,
    #[arg(description = "How to review.")] style: Option<String>,
    lines: Option<u32>,
) -> Vec<PromptMessage> {
    vec![PromptMessage::user(format!(
        "Review this {language} code ({style:?}, {lines:?})"
    ))]
}

/// A fixed greeting.
#[mcpwire::prompt(name = "hello")]
fn greeting() -> &'static str {
    "Hello!"
}

fn server() -> Server {
    mcpwire::server!()
        .tool(add)
        .tool(repeat)
        .tool(mirror)
        .tool(length)
        .tool(points)
        .tool(hello)
        .resource(readme)
        .resource(user)
        .resource(read_file)
        .resource(search)
        .prompt(review)
        .prompt(greeting)
}

async fn client() -> Client {
    Client::builder()
        .mode(ConnectMode::Modern(ProtocolVersion::V2026_07_28))
        .connect_in_process(&server())
        .await
        .unwrap()
}

/// Replaces the crate version wherever it appears under a `_meta` (the server's identity),
/// so that a release does not change the snapshots.
fn strip_version(value: &mut Value, under_meta: bool) {
    let version = env!("CARGO_PKG_VERSION");
    match value {
        Value::Object(o) => {
            for (k, v) in o.iter_mut() {
                let meta = under_meta || k == "_meta";
                if meta && k == "version" && v.as_str() == Some(version) {
                    *v = Value::from("<version>");
                } else {
                    strip_version(v, meta);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|v| strip_version(v, under_meta)),
        _ => {}
    }
}

/// Compares `result` with `tests/snapshots/{name}.json`, or rewrites the file when
/// `MCPWIRE_BLESS=1`.
fn assert_snapshot(name: &str, result: impl Serialize) {
    let mut value = serde_json::to_value(result).unwrap();
    strip_version(&mut value, false);
    let actual = serde_json::to_string_pretty(&value).unwrap() + "\n";
    let path: PathBuf = [env!("CARGO_MANIFEST_DIR"), "tests", "snapshots"]
        .iter()
        .collect::<PathBuf>()
        .join(format!("{name}.json"));
    let bless = "MCPWIRE_BLESS=1 cargo test -p mcpwire --test schema_snapshots";
    if std::env::var("MCPWIRE_BLESS").is_ok_and(|v| v == "1") {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &actual).unwrap();
        return;
    }
    let expected = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => panic!(
            "snapshot {} cannot be read ({e}); create it with `{bless}` and review it",
            path.display()
        ),
    };
    if expected.replace("\r\n", "\n") != actual {
        panic!(
            "{name}: the generated result differs from {} (`-` snapshot, `+` now):\n{}\n\
             if the change is intended, rewrite the snapshot with `{bless}`",
            path.display(),
            line_diff(&expected, &actual)
        );
    }
}

/// A line diff of `old` and `new` (longest common subsequence; snapshots are small).
fn line_diff(old: &str, new: &str) -> String {
    let (a, b): (Vec<&str>, Vec<&str>) = (old.lines().collect(), new.lines().collect());
    let mut lcs = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for i in (0..a.len()).rev() {
        for j in (0..b.len()).rev() {
            lcs[i][j] = if a[i] == b[j] {
                lcs[i + 1][j + 1] + 1
            } else {
                lcs[i + 1][j].max(lcs[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < a.len() || j < b.len() {
        if i < a.len() && j < b.len() && a[i] == b[j] {
            i += 1;
            j += 1;
        } else if i < a.len() && (j == b.len() || lcs[i + 1][j] >= lcs[i][j + 1]) {
            out += &format!("{:>4} - {}\n", i + 1, a[i]);
            i += 1;
        } else {
            out += &format!("{:>4} + {}\n", j + 1, b[j]);
            j += 1;
        }
    }
    out
}

fn first_page() -> PaginatedRequestParams {
    PaginatedRequestParams::new(None)
}

#[tokio::test]
async fn tools_list() {
    let client = client().await;
    let result = client
        .request::<ListTools>(first_page(), RequestOptions::default())
        .await
        .unwrap();
    assert_snapshot("tools_list", result);
}

#[tokio::test]
async fn resources_list() {
    let client = client().await;
    let result = client
        .request::<ListResources>(first_page(), RequestOptions::default())
        .await
        .unwrap();
    assert_snapshot("resources_list", result);
}

#[tokio::test]
async fn resource_templates_list() {
    let client = client().await;
    let result = client
        .request::<ListResourceTemplates>(first_page(), RequestOptions::default())
        .await
        .unwrap();
    assert_snapshot("resource_templates_list", result);
}

#[tokio::test]
async fn prompts_list() {
    let client = client().await;
    let result = client
        .request::<ListPrompts>(first_page(), RequestOptions::default())
        .await
        .unwrap();
    assert_snapshot("prompts_list", result);
}

#[test]
fn line_diff_marks_changed_lines() {
    assert_eq!(line_diff("a\nb\nc\n", "a\nx\nc\n"), "   2 - b\n   2 + x\n");
}
