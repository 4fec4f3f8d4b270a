//! The stdio transport of mcpwire: newline-delimited JSON-RPC over a byte stream.
//!
//! * [`stdio()`]: the server side, over the process's stdin and stdout. Nothing but MCP
//!   messages is ever written to stdout; log to stderr.
//! * [`ChildProcess`]: the client side, spawning a server process, passing its stderr
//!   through, and shutting it down cleanly (close stdin, wait, `SIGTERM`, then kill).
//! * [`LineTransport`]: the framing over any `AsyncRead`/`AsyncWrite` pair (Unix sockets,
//!   TCP), which the specification recommends for custom stream transports.
//!
//! Lines longer than the maximum message size (default 4 MiB for servers, 64 MiB for
//! clients) are skipped; the server answers them with a JSON-RPC error and keeps reading.

use std::process::Stdio;
use std::time::Duration;

use mcpwire_core::transport::{MessageSink, MessageStream, Transport, TransportError};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader, BufWriter};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// The default maximum size of one incoming message on the server side: 4 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 4 * 1024 * 1024;

/// The default maximum size of one incoming message on the client side (what a spawned
/// server sends, which may carry large resources): 64 MiB.
pub const DEFAULT_CLIENT_MAX_MESSAGE_SIZE: usize = 64 * 1024 * 1024;

const WRITE_BUFFER: usize = 64 * 1024;
const READ_BUFFER: usize = 64 * 1024;

/// Newline-delimited JSON-RPC over a reader and a writer.
pub struct LineTransport<R, W> {
    reader: R,
    writer: W,
    max_message_size: usize,
}

impl<R, W> LineTransport<R, W>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    /// Frames messages over `reader` and `writer`.
    pub fn new(reader: R, writer: W) -> Self {
        LineTransport {
            reader,
            writer,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }

    /// Sets the maximum size of one incoming message in bytes.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }
}

impl<R, W> Transport for LineTransport<R, W>
where
    R: AsyncRead + Unpin + Send + 'static,
    W: AsyncWrite + Unpin + Send + 'static,
{
    type Sink = LineSink<W>;
    type Stream = LineStream<R>;

    fn split(self) -> (LineSink<W>, LineStream<R>) {
        (
            LineSink {
                writer: BufWriter::with_capacity(WRITE_BUFFER, self.writer),
            },
            LineStream {
                reader: BufReader::with_capacity(READ_BUFFER, self.reader),
                max: self.max_message_size,
                partial: Vec::new(),
                oversized: false,
            },
        )
    }
}

/// The writing half of a [`LineTransport`].
pub struct LineSink<W> {
    writer: BufWriter<W>,
}

impl<W: AsyncWrite + Unpin + Send + 'static> MessageSink for LineSink<W> {
    async fn send(&mut self, message: String) -> Result<(), TransportError> {
        // Compact JSON never contains a raw newline; the framing depends on it.
        debug_assert!(!message.contains('\n'), "message with an embedded newline");
        self.writer.write_all(message.as_bytes()).await?;
        self.writer.write_all(b"\n").await?;
        Ok(())
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        self.writer.flush().await?;
        Ok(())
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        self.writer.flush().await?;
        self.writer.shutdown().await?;
        Ok(())
    }
}

/// The reading half of a [`LineTransport`].
///
/// Cancel-safe: a line read in part when [`recv`](MessageStream::recv) is dropped is kept and
/// completed by the next call.
pub struct LineStream<R> {
    reader: BufReader<R>,
    max: usize,
    /// The part of the current line read so far (when it spans several reads).
    partial: Vec<u8>,
    /// Whether the current line went over the limit (its bytes are being skipped).
    oversized: bool,
}

impl<R: AsyncRead + Unpin + Send + 'static> LineStream<R> {
    /// Reads one line (without its terminator); `Ok(None)` at end of input. Lines over the
    /// limit are consumed entirely and reported as `TooLarge`.
    async fn read_line(&mut self) -> Result<Option<Vec<u8>>, TransportError> {
        loop {
            let available = self.reader.fill_buf().await?;
            if available.is_empty() {
                let seen_any = !self.partial.is_empty() || self.oversized;
                if std::mem::take(&mut self.oversized) {
                    return Err(TransportError::TooLarge { limit: self.max });
                }
                // A last line without a terminator still counts.
                return Ok(seen_any.then(|| std::mem::take(&mut self.partial)));
            }
            let (chunk, consumed, done) = match find_newline(available) {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            if done && self.partial.is_empty() && !self.oversized && chunk.len() <= self.max {
                // The common case: the whole line is in the buffer; copy it once, exactly.
                let line = chunk.to_vec();
                self.reader.consume(consumed);
                return Ok(Some(line));
            }
            if !self.oversized {
                if self.partial.len() + chunk.len() > self.max {
                    self.oversized = true;
                    self.partial = Vec::new();
                } else {
                    self.partial.extend_from_slice(chunk);
                }
            }
            self.reader.consume(consumed);
            if done {
                if std::mem::take(&mut self.oversized) {
                    return Err(TransportError::TooLarge { limit: self.max });
                }
                return Ok(Some(std::mem::take(&mut self.partial)));
            }
        }
    }
}

/// Where the first newline of `bytes` is, eight bytes at a time. Not `memchr`: its first call
/// detects CPU features (several `cpuid` exits in a VM), a cost every process start would pay.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_le_bytes([0x80; 8]);
    const NEWLINES: u64 = u64::from_le_bytes([b'\n'; 8]);
    let mut chunks = bytes.chunks_exact(8);
    let mut at = 0;
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(<[u8; 8]>::try_from(chunk).ok()?) ^ NEWLINES;
        // The high bit of each zero byte (the lowest one flagged is exact).
        let found = w.wrapping_sub(ONES) & !w & HIGH;
        if found != 0 {
            return Some(at + (found.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| at + i)
}

impl<R: AsyncRead + Unpin + Send + 'static> MessageStream for LineStream<R> {
    async fn recv(&mut self) -> Option<Result<String, TransportError>> {
        loop {
            match self.read_line().await {
                Ok(None) => return None,
                Ok(Some(mut line)) => {
                    if line.last() == Some(&b'\r') {
                        line.pop();
                    }
                    // Blank lines carry no message.
                    if line.iter().all(u8::is_ascii_whitespace) {
                        continue;
                    }
                    return Some(String::from_utf8(line).map_err(|_| TransportError::InvalidUtf8));
                }
                Err(e) => return Some(Err(e)),
            }
        }
    }
}

/// The process's stdin, as a non-blocking pipe when it is one.
pub enum StdinReader {
    /// A pipe read with the reactor, no blocking thread involved.
    #[cfg(unix)]
    Pipe(tokio::net::unix::pipe::Receiver),
    /// Anything else (a terminal, a file): tokio's blocking-thread stdin.
    Std(tokio::io::Stdin),
}

/// The process's stdout, as a non-blocking pipe when it is one.
pub enum StdoutWriter {
    /// A pipe written with the reactor.
    #[cfg(unix)]
    Pipe(tokio::net::unix::pipe::Sender),
    /// Anything else: tokio's blocking-thread stdout.
    Std(tokio::io::Stdout),
}

impl AsyncRead for StdinReader {
    fn poll_read(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            StdinReader::Pipe(p) => std::pin::Pin::new(p).poll_read(cx, buf),
            StdinReader::Std(s) => std::pin::Pin::new(s).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for StdoutWriter {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        match self.get_mut() {
            #[cfg(unix)]
            StdoutWriter::Pipe(p) => std::pin::Pin::new(p).poll_write(cx, buf),
            StdoutWriter::Std(s) => std::pin::Pin::new(s).poll_write(cx, buf),
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            StdoutWriter::Pipe(p) => std::pin::Pin::new(p).poll_flush(cx),
            StdoutWriter::Std(s) => std::pin::Pin::new(s).poll_flush(cx),
        }
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.get_mut() {
            #[cfg(unix)]
            StdoutWriter::Pipe(p) => std::pin::Pin::new(p).poll_shutdown(cx),
            StdoutWriter::Std(s) => std::pin::Pin::new(s).poll_shutdown(cx),
        }
    }
}

#[cfg(unix)]
fn stdin_reader() -> StdinReader {
    use std::os::fd::AsFd;
    let pipe = std::io::stdin()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| tokio::net::unix::pipe::Receiver::from_file(std::fs::File::from(fd)));
    match pipe {
        Ok(p) => StdinReader::Pipe(p),
        Err(_) => StdinReader::Std(tokio::io::stdin()),
    }
}

#[cfg(not(unix))]
fn stdin_reader() -> StdinReader {
    StdinReader::Std(tokio::io::stdin())
}

#[cfg(unix)]
fn stdout_writer() -> StdoutWriter {
    use std::os::fd::AsFd;
    let pipe = std::io::stdout()
        .as_fd()
        .try_clone_to_owned()
        .and_then(|fd| tokio::net::unix::pipe::Sender::from_file(std::fs::File::from(fd)));
    match pipe {
        Ok(p) => StdoutWriter::Pipe(p),
        Err(_) => StdoutWriter::Std(tokio::io::stdout()),
    }
}

#[cfg(not(unix))]
fn stdout_writer() -> StdoutWriter {
    StdoutWriter::Std(tokio::io::stdout())
}

/// The server side of stdio: messages in on stdin, out on stdout.
///
/// Must be called inside a tokio runtime. When stdin and stdout are pipes (as when an MCP
/// client spawns the server) they are driven by the reactor directly.
pub fn stdio() -> LineTransport<StdinReader, StdoutWriter> {
    LineTransport::new(stdin_reader(), stdout_writer())
}

/// Serves `server` over stdin and stdout until the client closes stdin.
///
/// A stdio server has one client and one connection: tokio's current-thread runtime
/// (`#[tokio::main(flavor = "current_thread")]`) serves it fastest, since a second worker
/// thread only adds wake-ups (see `docs/performance.md`).
pub async fn serve_stdio(server: &mcpwire_core::server::Server) -> Result<(), mcpwire_core::Error> {
    server.serve(stdio()).await
}

/// The client side of stdio: a spawned MCP server process.
pub struct ChildProcess {
    child: Child,
    stdin: ChildStdin,
    stdout: ChildStdout,
    max_message_size: usize,
    shutdown_timeout: Duration,
}

impl ChildProcess {
    /// Spawns `program` with `args`; its stderr is passed through to ours.
    pub fn spawn<I, S>(program: &str, args: I) -> std::io::Result<ChildProcess>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut cmd = Command::new(program);
        cmd.args(args);
        Self::from_command(cmd)
    }

    /// Spawns a prepared command (set environment, working directory and so on first).
    /// Stdin and stdout are taken over; stderr is inherited unless you set it.
    pub fn from_command(mut cmd: Command) -> std::io::Result<ChildProcess> {
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn()?;
        let stdin = child
            .stdin
            .take()
            .ok_or_else(|| std::io::Error::other("child stdin was not piped"))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| std::io::Error::other("child stdout was not piped"))?;
        Ok(ChildProcess {
            child,
            stdin,
            stdout,
            max_message_size: DEFAULT_CLIENT_MAX_MESSAGE_SIZE,
            shutdown_timeout: Duration::from_secs(2),
        })
    }

    /// The child's process id.
    pub fn id(&self) -> Option<u32> {
        self.child.id()
    }

    /// Sets the maximum size of one incoming message.
    pub fn max_message_size(mut self, bytes: usize) -> Self {
        self.max_message_size = bytes.max(1);
        self
    }

    /// How long to wait at each shutdown step (after closing stdin, after `SIGTERM`).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }
}

impl Transport for ChildProcess {
    type Sink = ChildSink;
    type Stream = LineStream<ChildStdout>;

    fn split(self) -> (ChildSink, LineStream<ChildStdout>) {
        let (sink, stream) = LineTransport::new(self.stdout, self.stdin)
            .max_message_size(self.max_message_size)
            .split();
        (
            ChildSink {
                inner: Some(sink),
                child: Some(self.child),
                timeout: self.shutdown_timeout,
            },
            stream,
        )
    }
}

/// The writing half of a [`ChildProcess`]; closing it shuts the process down.
pub struct ChildSink {
    inner: Option<LineSink<ChildStdin>>,
    child: Option<Child>,
    timeout: Duration,
}

impl MessageSink for ChildSink {
    async fn send(&mut self, message: String) -> Result<(), TransportError> {
        match &mut self.inner {
            Some(s) => s.send(message).await,
            None => Err(TransportError::Closed),
        }
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        match &mut self.inner {
            Some(s) => s.flush().await,
            None => Err(TransportError::Closed),
        }
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        if let Some(mut s) = self.inner.take() {
            let _ = s.close().await;
        }
        if let Some(child) = self.child.take() {
            shut_down(child, self.timeout).await;
        }
        Ok(())
    }
}

/// Stdin is closed: wait, then `SIGTERM`, wait, then kill.
async fn shut_down(mut child: Child, timeout: Duration) {
    if tokio::time::timeout(timeout, child.wait()).await.is_ok() {
        return;
    }
    #[cfg(unix)]
    if let Some(pid) = child
        .id()
        .and_then(|id| rustix::process::Pid::from_raw(id as i32))
    {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        if tokio::time::timeout(timeout, child.wait()).await.is_ok() {
            return;
        }
    }
    tracing::warn!("MCP server process did not exit; killing it");
    let _ = child.kill().await;
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn lines(input: &'static [u8], max: usize) -> Vec<Result<String, String>> {
        let (_sink, mut stream) = LineTransport::new(input, tokio::io::sink())
            .max_message_size(max)
            .split();
        let mut out = Vec::new();
        while let Some(m) = stream.recv().await {
            out.push(m.map_err(|e| e.to_string()));
        }
        out
    }

    #[tokio::test]
    async fn splits_lines_and_skips_blank_ones() {
        let got = lines(b"{\"a\":1}\r\n\n  \n{\"b\":2}\n{\"c\":3}", 100).await;
        assert_eq!(
            got,
            vec![
                Ok("{\"a\":1}".to_string()),
                Ok("{\"b\":2}".to_string()),
                Ok("{\"c\":3}".to_string())
            ]
        );
    }

    #[tokio::test]
    async fn oversized_lines_are_skipped_and_reading_goes_on() {
        let got = lines(
            b"{\"small\":1}\n0123456789012345678901234567890\n{\"ok\":2}\n",
            20,
        )
        .await;
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok("{\"small\":1}".to_string()));
        assert!(got[1].as_ref().unwrap_err().contains("20 bytes"));
        assert_eq!(got[2], Ok("{\"ok\":2}".to_string()));
    }

    #[tokio::test]
    async fn a_line_read_in_part_survives_a_dropped_recv() {
        let (mut client, server) = tokio::io::duplex(1024);
        let (_sink, mut stream) = LineTransport::new(server, tokio::io::sink()).split();
        client.write_all(b"{\"half\":").await.unwrap();
        // Poll `recv` once (it reads the first half and waits), then drop it.
        tokio::select! {
            biased;
            _ = stream.recv() => panic!("a line without its end was returned"),
            () = std::future::ready(()) => {}
        }
        client.write_all(b"1}\n").await.unwrap();
        let line = stream.recv().await.unwrap().unwrap();
        assert_eq!(line, "{\"half\":1}");
    }

    #[test]
    fn newlines_are_found_at_every_offset() {
        for len in 0..20 {
            for at in 0..len {
                let mut bytes = vec![b'x'; len];
                bytes[at] = b'\n';
                bytes[len - 1] = b'\n';
                assert_eq!(find_newline(&bytes), Some(at), "{bytes:?}");
            }
            // Bytes next to '\n' in value, and UTF-8 continuation bytes, are not newlines.
            let none: Vec<u8> = (0..len).map(|i| [0x0b, 0x09, 0x8a, b'x'][i % 4]).collect();
            assert_eq!(find_newline(&none), None, "{none:?}");
        }
    }

    #[tokio::test]
    async fn invalid_utf8_is_reported_not_fatal() {
        let got = lines(b"\xff\xfe\n{}\n", 100).await;
        assert!(got[0].is_err());
        assert_eq!(got[1], Ok("{}".to_string()));
    }
}
