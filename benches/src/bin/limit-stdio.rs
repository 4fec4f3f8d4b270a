//! The stdio "limit" server: a hand-written loop with no SDK.
//!
//! ```sh
//! limit-stdio     # answers initialize, server/discover, ping and tools/call (echo, add)
//! ```
//!
//! It reads a line, parses it with `serde_json`, appends the answer to a buffer, and writes
//! the buffer when no more input is waiting: the least any stdio MCP server can do.

use std::io::{BufRead, Write};

use mcpwire_benches::limit::{self, Answered};

fn main() -> std::io::Result<()> {
    let stdin = std::io::stdin();
    let mut input = std::io::BufReader::with_capacity(64 * 1024, stdin.lock());
    let mut output = std::io::stdout().lock();
    let mut out = Vec::with_capacity(64 * 1024);
    let mut line = Vec::with_capacity(4096);
    loop {
        line.clear();
        if input.read_until(b'\n', &mut line)? == 0 {
            break;
        }
        let message = line.trim_ascii();
        if !message.is_empty() && limit::answer(message, &mut out) != Answered::Nothing {
            out.push(b'\n');
        }
        if input.buffer().is_empty() && !out.is_empty() {
            // About to block on stdin: send what is ready in one write.
            output.write_all(&out)?;
            output.flush()?;
            out.clear();
        }
    }
    output.write_all(&out)?;
    output.flush()?;
    Ok(())
}
