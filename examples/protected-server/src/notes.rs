//! The protected MCP server: shared notes, with a scope for reading, one for writing and
//! one for administration (which implies the other two).

use std::sync::Mutex;

use mcpwire::prelude::*;
use mcpwire::{prompt, resource, tool};

/// The notes, shared by every caller.
#[derive(Default)]
pub struct Notes(Mutex<Vec<Note>>);

impl Notes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Note>> {
        // A panic while holding the lock leaves a list that is still valid.
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// One note and who wrote it.
#[derive(Clone, Debug, serde::Serialize, schemars::JsonSchema)]
pub struct Note {
    /// Who wrote it (the token's subject).
    pub author: String,
    /// What it says.
    pub text: String,
}

/// Who you are, as this server sees you: the token's subject, client and scopes.
#[tool(read_only)]
async fn whoami(auth: AuthInfo) -> String {
    format!(
        "{} (client {}) with scopes [{}]",
        auth.subject(),
        auth.client_id().unwrap_or("unknown"),
        auth.scopes().join(" ")
    )
}

/// Lists the notes.
#[tool(read_only, scopes = ["notes:read"])]
async fn list_notes(notes: State<Notes>) -> Vec<Note> {
    notes.lock().clone()
}

/// Adds a note, signed with your identity.
#[tool(scopes = ["notes:write"])]
async fn add_note(
    /** What the note says. */
    text: String,
    notes: State<Notes>,
    auth: AuthInfo,
) -> String {
    let mut all = notes.lock();
    all.push(Note {
        author: auth.subject().to_owned(),
        text,
    });
    format!("{} notes", all.len())
}

/// Deletes every note.
#[tool(destructive, scopes = ["notes:admin"])]
async fn clear_notes(notes: State<Notes>) -> String {
    let n = std::mem::take(&mut *notes.lock()).len();
    format!("deleted {n} notes")
}

/// Every note as JSON.
#[resource("notes://all", mime_type = "application/json", scopes = ["notes:read"])]
async fn all_notes(notes: State<Notes>) -> Json<Vec<Note>> {
    Json(notes.lock().clone())
}

/// Asks the model to summarise the notes.
#[prompt(scopes = ["notes:read"])]
async fn summarize(notes: State<Notes>) -> String {
    let all = notes.lock();
    let lines: Vec<String> = all
        .iter()
        .map(|n| format!("- {} (by {})", n.text, n.author))
        .collect();
    format!("Summarise these notes:\n{}", lines.join("\n"))
}

/// The notes server.
pub fn server() -> Server {
    mcpwire::server!()
        .instructions("Shared notes. Reading needs `notes:read`, writing `notes:write`.")
        .scope_implies("notes:admin", ["notes:read", "notes:write"])
        .with_state(Notes::default())
        .tool(whoami)
        .tool(list_notes)
        .tool(add_note)
        .tool(clear_notes)
        .resource(all_notes)
        .prompt(summarize)
}
