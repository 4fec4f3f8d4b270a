//! Driving a stdio MCP server: spawn it, pipeline requests with a fixed number in flight,
//! check every answer.
//!
//! One thread does everything with blocking pipes: it reads an answer, records its latency,
//! writes the next request into a buffer, and flushes only when no more answers are waiting
//! to be read. No locks, no wake-ups between threads: the load generator stays cheap, so the
//! server gets as much of the machine as possible.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::messages::{self, Era, Received, Template, Workload};
use crate::stats::{self, Summary};

/// What a stdio run does.
#[derive(Clone, Debug)]
pub struct StdioRun {
    /// The server command and its arguments.
    pub command: Vec<String>,
    /// The era spoken.
    pub era: Era,
    /// The tool called.
    pub workload: Workload,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Stop after this many measured requests.
    pub requests: Option<u64>,
    /// Stop sending after this long (measured part only).
    pub duration: Option<Duration>,
    /// Requests sent before measuring (warm caches and allocators).
    pub warmup_requests: u64,
    /// The server is killed when the whole run takes longer than this.
    pub timeout: Duration,
}

impl StdioRun {
    /// A run of `command` with the defaults: legacy era, `echo`, 1 in flight, 10,000 requests.
    pub fn new(command: Vec<String>) -> StdioRun {
        StdioRun {
            command,
            era: Era::Legacy,
            workload: Workload::default(),
            concurrency: 1,
            requests: Some(10_000),
            duration: None,
            warmup_requests: 1_000,
            timeout: Duration::from_secs(120),
        }
    }
}

/// A spawned stdio server.
pub struct StdioServer {
    child: Arc<Mutex<Child>>,
    pid: u32,
    stdin: Option<BufWriter<ChildStdin>>,
    stdout: BufReader<ChildStdout>,
    line: Vec<u8>,
    watchdog: Option<mpsc::Sender<()>>,
}

impl StdioServer {
    /// Spawns `command` with piped stdin and stdout (stderr passes through). The process is
    /// killed if it is still running after `timeout`.
    pub fn spawn(command: &[String], timeout: Duration) -> Result<StdioServer, String> {
        let (program, args) = command
            .split_first()
            .ok_or_else(|| "no server command given".to_string())?;
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start `{program}`: {e}"))?;
        let stdin = child.stdin.take().ok_or("stdin was not piped")?;
        let stdout = child.stdout.take().ok_or("stdout was not piped")?;
        let pid = child.id();
        let child = Arc::new(Mutex::new(child));
        let (tx, rx) = mpsc::channel::<()>();
        let guarded = child.clone();
        std::thread::spawn(move || {
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(timeout)
                && let Ok(mut c) = guarded.lock()
            {
                eprintln!("loadgen: the server did not finish within {timeout:?}; killing it");
                let _ = c.kill();
            }
        });
        Ok(StdioServer {
            child,
            pid,
            stdin: Some(BufWriter::with_capacity(64 * 1024, stdin)),
            stdout: BufReader::with_capacity(64 * 1024, stdout),
            line: Vec::with_capacity(1024),
            watchdog: Some(tx),
        })
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    fn writer(&mut self) -> Result<&mut BufWriter<ChildStdin>, String> {
        self.stdin
            .as_mut()
            .ok_or_else(|| "stdin is closed".to_string())
    }

    fn send_text(&mut self, text: &str) -> Result<(), String> {
        let w = self.writer()?;
        w.write_all(text.as_bytes())
            .and_then(|()| w.write_all(b"\n"))
            .map_err(|e| format!("writing to the server failed: {e}"))
    }

    fn flush(&mut self) -> Result<(), String> {
        self.writer()?
            .flush()
            .map_err(|e| format!("writing to the server failed: {e}"))
    }

    /// Reads and checks the next message.
    fn receive(&mut self) -> Result<Received, String> {
        self.line.clear();
        let n = self
            .stdout
            .read_until(b'\n', &mut self.line)
            .map_err(|e| format!("reading from the server failed: {e}"))?;
        if n == 0 {
            return Err("the server closed its output (crashed or exited)".into());
        }
        while matches!(self.line.last(), Some(b'\n' | b'\r')) {
            self.line.pop();
        }
        if self.line.is_empty() {
            return Ok(Received::Notification);
        }
        messages::check(&self.line)
    }

    /// Sends `request` (with id `id`) and waits for its answer, skipping notifications.
    pub fn call(&mut self, request: &Template, id: u64) -> Result<(), String> {
        self.send_text(&request.text(id))?;
        self.flush()?;
        loop {
            match self.receive()? {
                Received::Answer(got) if got == id => return Ok(()),
                Received::Answer(got) => {
                    return Err(format!("answer to unknown request {got} (expected {id})"));
                }
                Received::Notification => {}
            }
        }
    }

    /// Opens the session the era needs: `initialize` and `notifications/initialized` on
    /// legacy, nothing on 2026-07-28.
    pub fn handshake(&mut self, era: Era) -> Result<(), String> {
        if era == Era::Legacy {
            self.call(&messages::initialize(), 0)?;
            self.send_text(messages::INITIALIZED)?;
            self.flush()?;
        }
        Ok(())
    }

    /// Sends requests with ids from `first_id` on, keeping `concurrency` in flight, until
    /// `count` were sent or `until` passed; returns the latency of each (nanoseconds) and
    /// the time from the first send to the last answer.
    pub fn pump(
        &mut self,
        request: &Template,
        first_id: u64,
        concurrency: usize,
        count: Option<u64>,
        until: Option<Duration>,
    ) -> Result<(Vec<u64>, Duration), String> {
        let concurrency = concurrency.max(1);
        let base = Instant::now();
        let deadline = until.map(|d| base + d);
        // Send times by id offset; u64::MAX marks an answered request.
        let mut sent_at: Vec<u64> = Vec::with_capacity(count.unwrap_or(1 << 16) as usize);
        let mut latencies: Vec<u64> = Vec::with_capacity(sent_at.capacity());
        let mut outstanding = 0usize;
        let mut buf = Vec::with_capacity(512);
        let may_send = |sent: usize, now: Instant| {
            count.is_none_or(|c| (sent as u64) < c) && deadline.is_none_or(|d| now < d)
        };
        while outstanding < concurrency && may_send(sent_at.len(), Instant::now()) {
            self.send_request(request, first_id, &mut sent_at, &mut buf, base)?;
            outstanding += 1;
        }
        self.flush()?;
        while outstanding > 0 {
            if self.stdout.buffer().is_empty() {
                // About to block on the pipe: let the server see what is queued first.
                self.flush()?;
            }
            let id = match self.receive()? {
                Received::Answer(id) => id,
                Received::Notification => continue,
            };
            let now = Instant::now();
            let slot = id
                .checked_sub(first_id)
                .and_then(|i| sent_at.get_mut(i as usize))
                .filter(|t| **t != u64::MAX)
                .ok_or_else(|| format!("answer to a request that is not pending (id {id})"))?;
            let elapsed = now.duration_since(base).as_nanos() as u64;
            latencies.push(elapsed.saturating_sub(*slot));
            *slot = u64::MAX;
            outstanding -= 1;
            if may_send(sent_at.len(), now) {
                self.send_request(request, first_id, &mut sent_at, &mut buf, base)?;
                outstanding += 1;
            }
        }
        Ok((latencies, base.elapsed()))
    }

    fn send_request(
        &mut self,
        request: &Template,
        first_id: u64,
        sent_at: &mut Vec<u64>,
        buf: &mut Vec<u8>,
        base: Instant,
    ) -> Result<(), String> {
        buf.clear();
        request.write(first_id + sent_at.len() as u64, buf);
        buf.push(b'\n');
        sent_at.push(base.elapsed().as_nanos() as u64);
        self.writer()?
            .write_all(buf)
            .map_err(|e| format!("writing to the server failed: {e}"))
    }

    /// The server's peak resident memory so far, in KiB.
    pub fn peak_rss_kib(&self) -> Option<u64> {
        stats::peak_rss_kib(self.pid)
    }

    /// Closes the server's stdin and waits for it to exit (killing it after two seconds).
    /// An exit with a failure status is an error.
    pub fn close(mut self) -> Result<(), String> {
        if let Some(mut w) = self.stdin.take() {
            let _ = w.flush();
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        loop {
            let status = {
                let mut c = self.child.lock().map_err(|_| "the watchdog panicked")?;
                c.try_wait()
                    .map_err(|e| format!("waiting for the server failed: {e}"))?
            };
            match status {
                Some(s) if s.success() => return Ok(()),
                Some(s) => return Err(format!("the server exited with {s}")),
                None if Instant::now() > deadline => {
                    let mut c = self.child.lock().map_err(|_| "the watchdog panicked")?;
                    let _ = c.kill();
                    let _ = c.wait();
                    return Err("the server did not exit after its stdin closed".into());
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

impl Drop for StdioServer {
    fn drop(&mut self) {
        // Ends the watchdog; a server not closed explicitly is killed.
        self.watchdog.take();
        if self.stdin.is_some()
            && let Ok(mut c) = self.child.lock()
        {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Runs `run` against a freshly spawned server.
pub fn run(run: &StdioRun) -> Result<Summary, String> {
    let mut server = StdioServer::spawn(&run.command, run.timeout)?;
    server.handshake(run.era)?;
    let request = messages::tool_call(run.era, &run.workload);
    if run.warmup_requests > 0 {
        server.pump(
            &request,
            1,
            run.concurrency,
            Some(run.warmup_requests),
            None,
        )?;
    }
    let first = 1 + run.warmup_requests;
    let (mut latencies, elapsed) =
        server.pump(&request, first, run.concurrency, run.requests, run.duration)?;
    let mut summary = Summary::from_latencies(&mut latencies, elapsed);
    summary.peak_rss_kib = server.peak_rss_kib();
    server.close()?;
    Ok(summary)
}

/// The time from spawning `command` to the answer of its first request (`initialize` on
/// legacy, `server/discover` on 2026-07-28), once per run; the server is closed after each.
pub fn cold_start(command: &[String], era: Era, runs: usize) -> Result<Vec<Duration>, String> {
    let request = messages::first_request(era);
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        let mut server = StdioServer::spawn(command, Duration::from_secs(30))?;
        server.call(&request, 0)?;
        times.push(start.elapsed());
        server.close()?;
    }
    Ok(times)
}

/// The median of some durations.
pub fn median(times: &mut [Duration]) -> Duration {
    times.sort_unstable();
    times.get(times.len() / 2).copied().unwrap_or_default()
}
