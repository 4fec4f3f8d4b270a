//! An SDK-neutral MCP load generator: raw JSON-RPC to any server, every answer checked.
//!
//! ```sh
//! # stdio: spawn the server, 100,000 pipelined tools/call with 64 in flight
//! loadgen stdio -n 100000 -c 64 -- target/release/bench-server stdio
//! # Streamable HTTP, 16 workers on one legacy session for 5 s, server's memory from /proc
//! loadgen http http://127.0.0.1:3000/mcp -c 16 -d 5 --sessions one --pid 1234
//! # the same, stateless 2026-07-28 requests (headers and `_meta`, no initialize)
//! loadgen http http://127.0.0.1:3000/mcp -c 16 -d 5 --era modern
//! # memory of 1,000 idle legacy sessions, and whether it is reused after DELETE
//! loadgen sessions http://127.0.0.1:3000/mcp --count 1000 --pid 1234
//! # spawn to first answer (initialize, or server/discover with --era modern)
//! loadgen cold-start --runs 20 -- target/release/bench-server stdio
//! ```
//!
//! Options: `--era legacy|modern` (default legacy), `--tool NAME --args JSON` (default
//! `echo {"text": ...}`), `--warmup N` requests (stdio) or seconds (HTTP), `--json`.
//! Exits with status 1 when any answer is an error, has the wrong id, or the server dies.

use std::time::Duration;

use mcpwire_benches::http_load::{self, HttpRun, Sessions};
use mcpwire_benches::messages::{Era, Workload};
use mcpwire_benches::stats;
use mcpwire_benches::stdio_load::{self, StdioRun};

const USAGE: &str = "usage:
  loadgen stdio [-n REQUESTS | -d SECONDS] [-c CONCURRENCY] [OPTIONS] -- COMMAND [ARGS...]
  loadgen http URL [-d SECONDS] [-c CONCURRENCY] [--sessions one|per-worker] [--pid PID] [OPTIONS]
  loadgen sessions URL --pid PID [--count N]
  loadgen cold-start [--runs N] [--era legacy|modern] -- COMMAND [ARGS...]
options: --era legacy|modern  --tool NAME  --args JSON  --warmup N  --json";

struct Args {
    mode: String,
    url: Option<String>,
    command: Vec<String>,
    requests: Option<u64>,
    duration: Option<f64>,
    concurrency: usize,
    era: Era,
    sessions: Sessions,
    tool: String,
    arguments: String,
    warmup: Option<f64>,
    pid: Option<u32>,
    count: usize,
    runs: usize,
    json: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mode = it.next().ok_or("missing mode")?;
    let mut a = Args {
        mode,
        url: None,
        command: Vec::new(),
        requests: None,
        duration: None,
        concurrency: 1,
        era: Era::Legacy,
        sessions: Sessions::Shared,
        tool: "echo".into(),
        arguments: Workload::default().arguments,
        warmup: None,
        pid: None,
        count: 1000,
        runs: 10,
        json: false,
    };
    fn value<T: std::str::FromStr>(
        it: &mut impl Iterator<Item = String>,
        flag: &str,
    ) -> Result<T, String> {
        it.next()
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| format!("{flag} needs a valid value"))
    }
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--" => {
                a.command = it.by_ref().collect();
                break;
            }
            "-n" | "--requests" => a.requests = Some(value(&mut it, &arg)?),
            "-d" | "--duration" => a.duration = Some(value(&mut it, &arg)?),
            "-c" | "--concurrency" => a.concurrency = value::<usize>(&mut it, &arg)?.max(1),
            "--era" => {
                let v: String = value(&mut it, &arg)?;
                a.era = Era::parse(&v).ok_or("--era is legacy or modern")?;
            }
            "--sessions" => {
                let v: String = value(&mut it, &arg)?;
                a.sessions = Sessions::parse(&v).ok_or("--sessions is one or per-worker")?;
            }
            "--tool" => a.tool = value(&mut it, &arg)?,
            "--args" => a.arguments = value(&mut it, &arg)?,
            "--warmup" => a.warmup = Some(value(&mut it, &arg)?),
            "--pid" => a.pid = Some(value(&mut it, &arg)?),
            "--count" => a.count = value(&mut it, &arg)?,
            "--runs" => a.runs = value::<usize>(&mut it, &arg)?.max(1),
            "--json" => a.json = true,
            "-h" | "--help" => {
                eprintln!("{USAGE}");
                std::process::exit(0);
            }
            other if a.url.is_none() && !other.starts_with('-') => a.url = Some(other.into()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok(a)
}

fn seconds(s: f64) -> Result<Duration, String> {
    Duration::try_from_secs_f64(s).map_err(|_| format!("`{s}` is not a duration in seconds"))
}

fn run(a: Args) -> Result<String, String> {
    let workload = Workload::new(&a.tool, &a.arguments)?;
    match a.mode.as_str() {
        "stdio" => {
            let mut run = StdioRun::new(a.command);
            run.era = a.era;
            run.workload = workload;
            run.concurrency = a.concurrency;
            run.duration = a.duration.map(seconds).transpose()?;
            run.requests = match (a.requests, run.duration) {
                (None, None) => Some(10_000),
                (n, _) => n,
            };
            if let Some(w) = a.warmup {
                run.warmup_requests = w as u64;
            }
            let s = stdio_load::run(&run)?;
            Ok(if a.json {
                s.to_json().to_string()
            } else {
                format!(
                    "stdio, {} era, {} in flight: {}",
                    a.era.name(),
                    a.concurrency,
                    s.line()
                )
            })
        }
        "http" => {
            let url = a.url.ok_or("missing URL")?;
            let mut run = HttpRun::new(&url);
            run.era = a.era;
            run.sessions = a.sessions;
            run.workload = workload;
            run.concurrency = a.concurrency;
            run.pid = a.pid;
            if let Some(d) = a.duration {
                run.duration = seconds(d)?;
            }
            if let Some(w) = a.warmup {
                run.warmup = seconds(w)?;
            }
            let s = http_load::run(&run)?;
            Ok(if a.json {
                s.to_json().to_string()
            } else {
                let sessions = match (a.era, a.sessions) {
                    (Era::Modern, _) => "stateless",
                    (_, Sessions::Shared) => "one session",
                    (_, Sessions::PerWorker) => "a session per worker",
                };
                format!(
                    "http, {} era, {} workers, {sessions}: {}",
                    a.era.name(),
                    a.concurrency,
                    s.line()
                )
            })
        }
        "sessions" => {
            let url = a.url.ok_or("missing URL")?;
            let pid = a
                .pid
                .ok_or("sessions needs --pid (the server's process id)")?;
            let m = http_load::session_memory(&url, pid, a.count)?;
            Ok(if a.json {
                serde_json::json!({
                    "count": m.count,
                    "bytes_per_session": m.per_session_bytes(),
                    "rss_before_kib": m.before_kib,
                    "rss_open_kib": m.open_kib,
                    "rss_deleted_kib": m.deleted_kib,
                    "rss_reopened_kib": m.reopened_kib,
                    "rss_later_kib": m.later_kib,
                })
                .to_string()
            } else {
                m.line()
            })
        }
        "cold-start" => {
            let mut times = stdio_load::cold_start(&a.command, a.era, a.runs)?;
            let median = stdio_load::median(&mut times);
            Ok(if a.json {
                serde_json::json!({ "runs": times.len(), "median_us": median.as_secs_f64() * 1e6 })
                    .to_string()
            } else {
                format!(
                    "cold start ({} era), median of {}: {} (fastest {})",
                    a.era.name(),
                    times.len(),
                    stats::micros(median),
                    stats::micros(times.first().copied().unwrap_or_default())
                )
            })
        }
        other => Err(format!("unknown mode `{other}`")),
    }
}

fn main() {
    let result = parse_args().and_then(run);
    match result {
        Ok(line) => {
            use std::io::Write as _;
            let _ = writeln!(std::io::stdout(), "{line}");
        }
        Err(e) => {
            eprintln!("loadgen: {e}\n{USAGE}");
            std::process::exit(1);
        }
    }
}
