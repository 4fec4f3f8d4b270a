//! Defences shared by the network transports: `Origin` and `Host` validation against DNS
//! rebinding.
//!
//! A browser page on `https://evil.example` can make a victim's browser send requests to
//! `http://127.0.0.1:3000` (or to a name it re-points at 127.0.0.1). Checking `Host` and
//! `Origin` against what the server expects defeats this. The defaults suit a server bound to
//! loopback: `Host` must be `localhost`, `127.0.0.1` or `[::1]` (any port), and an `Origin`,
//! when present, must be an `http`/`https` origin on one of those hosts. Requests without an
//! `Origin` (non-browser clients) are accepted.

use http::HeaderMap;
use http::header::{HOST, ORIGIN};

/// Which `Host` and `Origin` values a server accepts.
#[derive(Clone, Debug)]
pub struct OriginPolicy {
    hosts: Option<Vec<String>>,
    origins: Option<Vec<String>>,
}

/// Why a request was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Refusal {
    /// The `Host` header names a host this server does not answer to.
    #[error("Host `{0}` is not allowed")]
    Host(String),
    /// The `Origin` header names an origin that may not call this server.
    #[error("Origin `{0}` is not allowed")]
    Origin(String),
}

const LOOPBACK: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

impl Default for OriginPolicy {
    fn default() -> Self {
        Self::localhost()
    }
}

impl OriginPolicy {
    /// Loopback only (the default).
    pub fn localhost() -> Self {
        OriginPolicy {
            hosts: Some(LOOPBACK.iter().map(|s| s.to_string()).collect()),
            origins: None,
        }
    }

    /// Accepts every `Host` and `Origin`: only behind a proxy that checks them, or with
    /// authentication on every request.
    pub fn allow_all() -> Self {
        OriginPolicy {
            hosts: None,
            origins: None,
        }
    }

    /// Also accepts `Host: <host>` (with any port), for example the public name of the server.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.hosts
            .get_or_insert_with(Vec::new)
            .push(host.into().to_ascii_lowercase());
        self
    }

    /// Also accepts `Origin: <origin>` exactly (for example `https://app.example.com`), on top
    /// of origins on the allowed hosts.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Self {
        self.origins
            .get_or_insert_with(Vec::new)
            .push(origin.into().trim_end_matches('/').to_ascii_lowercase());
        self
    }

    fn host_allowed(&self, host_port: &str) -> bool {
        let Some(hosts) = &self.hosts else {
            return true;
        };
        let host = strip_port(host_port).to_ascii_lowercase();
        hosts.contains(&host)
    }

    /// Checks the headers of a request.
    pub fn check(&self, headers: &HeaderMap) -> Result<(), Refusal> {
        if let Some(host) = headers.get(HOST) {
            let host = host.to_str().unwrap_or("");
            if !self.host_allowed(host) {
                return Err(Refusal::Host(host.to_owned()));
            }
        }
        if let Some(origin) = headers.get(ORIGIN) {
            let origin = origin.to_str().unwrap_or("").trim_end_matches('/');
            let lower = origin.to_ascii_lowercase();
            if self.origins.as_ref().is_some_and(|o| o.contains(&lower)) {
                return Ok(());
            }
            // `null` (sandboxed pages, file: URLs) and non-HTTP origins are never trusted.
            let Some(rest) = lower
                .strip_prefix("http://")
                .or_else(|| lower.strip_prefix("https://"))
            else {
                return Err(Refusal::Origin(origin.to_owned()));
            };
            if rest.contains('/')
                || !self.host_allowed(rest)
                || self.hosts.is_none() && self.origins.is_some()
            {
                return Err(Refusal::Origin(origin.to_owned()));
            }
        }
        Ok(())
    }
}

fn strip_port(host_port: &str) -> &str {
    if let Some(end) = host_port.strip_prefix('[').and_then(|r| r.find(']')) {
        // `[::1]:3000` keeps its brackets.
        return &host_port[..end + 2];
    }
    match host_port.rsplit_once(':') {
        Some((h, port)) if port.bytes().all(|b| b.is_ascii_digit()) => h,
        _ => host_port,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(host: Option<&str>, origin: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Some(v) = host {
            h.insert(HOST, v.parse().unwrap());
        }
        if let Some(v) = origin {
            h.insert(ORIGIN, v.parse().unwrap());
        }
        h
    }

    #[test]
    fn loopback_defaults() {
        let p = OriginPolicy::default();
        for ok in [
            (Some("localhost:3000"), None),
            (Some("127.0.0.1:8080"), Some("http://127.0.0.1:8080")),
            (Some("[::1]:3000"), Some("https://[::1]:3000")),
            (Some("LOCALHOST"), Some("http://localhost")),
            (None, None),
        ] {
            assert!(p.check(&headers(ok.0, ok.1)).is_ok(), "{ok:?}");
        }
        for bad in [
            (Some("evil.example.com"), None),
            (Some("localhost:3000"), Some("http://evil.example.com")),
            (Some("localhost:3000"), Some("null")),
            (Some("localhost.evil.com"), None),
            (
                Some("localhost:3000"),
                Some("http://localhost.evil.com:3000"),
            ),
        ] {
            assert!(p.check(&headers(bad.0, bad.1)).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn allow_lists_extend_the_defaults() {
        let p = OriginPolicy::localhost()
            .allow_host("mcp.example.com")
            .allow_origin("https://app.example.com/");
        assert!(
            p.check(&headers(
                Some("mcp.example.com"),
                Some("https://app.example.com")
            ))
            .is_ok()
        );
        assert!(
            p.check(&headers(
                Some("mcp.example.com"),
                Some("https://other.example.com")
            ))
            .is_err()
        );
        assert!(
            OriginPolicy::allow_all()
                .check(&headers(Some("anything"), Some("http://x")))
                .is_ok()
        );
    }
}
