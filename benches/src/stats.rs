//! Throughput and latency of one run, and the memory of a process read from `/proc`.

use std::time::Duration;

/// What one load run measured.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Requests answered within the measured window.
    pub requests: u64,
    /// The measured window.
    pub elapsed: Duration,
    /// Latency percentiles over the measured requests.
    pub p50: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// The slowest request.
    pub max: Duration,
    /// The server's peak resident memory (`VmHWM`), in KiB, when its process was known.
    pub peak_rss_kib: Option<u64>,
}

impl Summary {
    /// Builds a summary from per-request latencies in nanoseconds (reordered in place).
    pub fn from_latencies(latencies: &mut [u64], elapsed: Duration) -> Summary {
        latencies.sort_unstable();
        let pick = |q: f64| -> Duration {
            if latencies.is_empty() {
                return Duration::ZERO;
            }
            let i = ((latencies.len() as f64 - 1.0) * q).round() as usize;
            Duration::from_nanos(latencies[i.min(latencies.len() - 1)])
        };
        Summary {
            requests: latencies.len() as u64,
            elapsed,
            p50: pick(0.50),
            p99: pick(0.99),
            max: latencies
                .last()
                .copied()
                .map(Duration::from_nanos)
                .unwrap_or_default(),
            peak_rss_kib: None,
        }
    }

    /// Requests per second.
    pub fn rps(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.requests as f64 / secs
        } else {
            0.0
        }
    }

    /// One line for people.
    pub fn line(&self) -> String {
        let rss = self
            .peak_rss_kib
            .map(|k| format!(", server peak RSS {}", kib(k)))
            .unwrap_or_default();
        format!(
            "{} requests in {:.2} s: {:.0} req/s, latency p50 {} p99 {} max {}{rss}",
            self.requests,
            self.elapsed.as_secs_f64(),
            self.rps(),
            micros(self.p50),
            micros(self.p99),
            micros(self.max),
        )
    }

    /// The summary as a JSON object (for `--json`).
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "requests": self.requests,
            "elapsed_s": self.elapsed.as_secs_f64(),
            "requests_per_s": self.rps(),
            "p50_us": self.p50.as_secs_f64() * 1e6,
            "p99_us": self.p99.as_secs_f64() * 1e6,
            "max_us": self.max.as_secs_f64() * 1e6,
            "server_peak_rss_kib": self.peak_rss_kib,
        })
    }
}

/// A duration in microseconds or milliseconds, for people.
pub fn micros(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 10_000.0 {
        format!("{:.1} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// A size in KiB, for people.
pub fn kib(k: u64) -> String {
    if k >= 10 * 1024 {
        format!("{:.1} MiB", k as f64 / 1024.0)
    } else {
        format!("{k} KiB")
    }
}

/// One `Vm*` field of `/proc/{pid}/status`, in KiB (`VmRSS`, `VmHWM`, ...).
pub fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().strip_suffix("kB")?.trim().parse().ok()
    })
}

/// The resident memory of `pid` now, in KiB.
pub fn rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmRSS")
}

/// The peak resident memory of `pid`, in KiB.
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    proc_status_kib(pid, "VmHWM")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_sorted_latencies() {
        let mut l: Vec<u64> = (1..=100).rev().map(|n| n * 1000).collect();
        let s = Summary::from_latencies(&mut l, Duration::from_secs(2));
        assert_eq!(s.requests, 100);
        assert_eq!(s.rps(), 50.0);
        assert_eq!(s.p50, Duration::from_micros(51));
        assert_eq!(s.p99, Duration::from_micros(99));
        assert_eq!(s.max, Duration::from_micros(100));
        let empty = Summary::from_latencies(&mut [], Duration::ZERO);
        assert_eq!(empty.rps(), 0.0);
        assert_eq!(empty.max, Duration::ZERO);
    }

    #[test]
    fn reads_this_process_memory() {
        let pid = std::process::id();
        let rss = rss_kib(pid).expect("VmRSS of this process");
        let peak = peak_rss_kib(pid).expect("VmHWM of this process");
        assert!(rss > 0 && peak >= rss);
        assert_eq!(proc_status_kib(pid, "NoSuchField"), None);
    }
}
