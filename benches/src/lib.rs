//! The mcpwire benchmark suite.
//!
//! * [`stdio_load`] and [`http_load`]: an SDK-neutral load generator speaking raw MCP
//!   JSON-RPC (both protocol eras) to any server, a spawned stdio command or an HTTP URL; it
//!   checks every answer and reports requests/s, latency percentiles and the server's peak
//!   memory. The `loadgen` binary is its command line.
//! * [`limit`]: the reference "limit" servers' protocol code (binaries `limit-stdio` and
//!   `limit-http`): JSON-RPC with no SDK at all.
//! * The `bench-server` binary: the same tools built with mcpwire.
//! * The `bench` binary runs every scenario and prints each figure as a ratio to the limit
//!   server measured in the same run; see `docs/performance.md`.

pub mod http_load;
pub mod limit;
pub mod messages;
pub mod stats;
pub mod stdio_load;
