//! Multi round-trip requests on 2026-07-28: how a handler's `elicit`, `sample` and
//! `list_roots` become an `InputRequiredResult`, and how the retry answers them.
//!
//! # Semantics
//!
//! A handler asks for input with `ctx.elicit(..)` (or `sample`, `list_roots`). Each ask has
//! a key: one the handler chose (`elicit_keyed("user_name", ..)`) or, by default, a key
//! derived from the order of asks (`elicitation-1`, `sampling-1`, ...).
//!
//! * If the request already carries an answer for that key, the ask resolves at once.
//! * Otherwise the ask is recorded and never resolves. As soon as the handler's future
//!   stops making progress with at least one unanswered ask, the round ends: the handler's
//!   future is dropped and the server answers `InputRequiredResult` with every ask recorded
//!   so far (asks made concurrently, e.g. with `join!`, travel together).
//! * The client retries the request with `inputResponses`; **the handler runs again from the
//!   start**, and this time its asks find their answers. Work done before the first ask is
//!   therefore repeated on every round; keep it idempotent, or do it after the asks.
//!
//! Answers from earlier rounds travel in `requestState`, sealed with HMAC-SHA256 under the
//! server's key, together with the method, a digest of the salient params (tool name and
//! arguments, prompt name and arguments, or resource URI), the caller's principal when
//! known, an expiry and a digest of each ask. A state that fails any of these checks is
//! refused with `-32602`; an answer whose ask changed between rounds is asked again.
//! A retry without `requestState` is accepted too: its `inputResponses` answer the asks
//! with matching keys, which is all an answer can do (the client could answer anything).

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use futures_util::task::AtomicWaker;
use hmac::{Hmac, KeyInit, Mac};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::jsonrpc::ErrorObject;
use crate::types::{InputRequest, InputRequests, JsonObject};

type HmacSha256 = Hmac<Sha256>;

/// Settings of request-state sealing.
#[derive(Clone)]
pub(crate) struct MrtrConfig {
    pub(crate) key: [u8; 32],
    pub(crate) ttl: Duration,
}

impl MrtrConfig {
    pub(crate) fn random() -> Self {
        let mut key = [0u8; 32];
        // Without an OS RNG there is no safe key; fail loudly rather than seal with zeros.
        getrandom::fill(&mut key).expect("the operating system's random number generator failed");
        MrtrConfig {
            key,
            ttl: Duration::from_secs(600),
        }
    }
}

/// An answer the retry carries, with the digest of the ask it answers when known.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct Answer {
    #[serde(rename = "d", default, skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    #[serde(rename = "r")]
    value: Value,
}

#[derive(Serialize, Deserialize)]
struct StatePayload {
    v: u8,
    m: String,
    b: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    p: Option<String>,
    exp: u64,
    n: String,
    #[serde(default)]
    a: BTreeMap<String, Answer>,
    #[serde(default)]
    q: BTreeMap<String, String>,
}

/// What identifies the request a state belongs to.
pub(crate) struct Binding {
    pub(crate) method: &'static str,
    pub(crate) digest: String,
    pub(crate) principal: Option<String>,
}

impl Binding {
    /// Binds to `method` and the canonical form of `salient` params.
    pub(crate) fn new(method: &'static str, salient: &[&Value], principal: Option<String>) -> Self {
        let mut h = Sha256::new();
        h.update(method.as_bytes());
        for v in salient {
            h.update([0u8]);
            let mut s = String::new();
            canonical_json(v, &mut s);
            h.update(s.as_bytes());
        }
        Binding {
            method,
            digest: B64.encode(&h.finalize()[..18]),
            principal,
        }
    }
}

/// Writes `v` with object keys sorted, so equal values hash equally whatever the key order.
fn canonical_json(v: &Value, out: &mut String) {
    match v {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).unwrap_or_default());
                out.push(':');
                canonical_json(&map[k], out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical_json(item, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

fn digest_of(request: &InputRequest) -> String {
    let v = serde_json::to_value(request).unwrap_or(Value::Null);
    let mut s = String::new();
    canonical_json(&v, &mut s);
    B64.encode(&Sha256::digest(s.as_bytes())[..12])
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn invalid_state(reason: &str) -> ErrorObject {
    ErrorObject::invalid_params(format!("Invalid params: requestState {reason}"))
}

fn seal(config: &MrtrConfig, payload: &StatePayload) -> String {
    let body = B64.encode(serde_json::to_vec(payload).unwrap_or_default());
    let mut mac = HmacSha256::new_from_slice(&config.key).expect("HMAC takes keys of any size");
    mac.update(body.as_bytes());
    let tag = B64.encode(mac.finalize().into_bytes());
    format!("{body}.{tag}")
}

fn unseal(
    config: &MrtrConfig,
    state: &str,
    binding: &Binding,
) -> Result<StatePayload, ErrorObject> {
    let (body, tag) = state
        .split_once('.')
        .ok_or_else(|| invalid_state("is malformed"))?;
    let tag = B64.decode(tag).map_err(|_| invalid_state("is malformed"))?;
    let mut mac = HmacSha256::new_from_slice(&config.key).expect("HMAC takes keys of any size");
    mac.update(body.as_bytes());
    mac.verify_slice(&tag)
        .map_err(|_| invalid_state("failed integrity verification"))?;
    let bytes = B64
        .decode(body)
        .map_err(|_| invalid_state("is malformed"))?;
    let payload: StatePayload =
        serde_json::from_slice(&bytes).map_err(|_| invalid_state("is malformed"))?;
    if payload.v != 1 {
        return Err(invalid_state("has an unknown version"));
    }
    if payload.exp < now_secs() {
        return Err(invalid_state(
            "has expired; retry the request from the start",
        ));
    }
    if payload.m != binding.method || payload.b != binding.digest {
        return Err(invalid_state("belongs to a different request"));
    }
    if payload.p != binding.principal {
        return Err(invalid_state("belongs to a different caller"));
    }
    Ok(payload)
}

/// The input available to one round of a request, and the asks it makes.
pub(crate) struct MrtrRound {
    answers: HashMap<String, Answer>,
    asked: Mutex<Vec<(String, InputRequest, String)>>,
    used: Mutex<HashMap<String, String>>,
    waker: AtomicWaker,
    seq: AtomicUsize,
}

/// The outcome of looking up an answer.
pub(crate) enum Lookup {
    /// The retry carried the answer.
    Answered(Value),
    /// Not answered: the ask was recorded; the round will end.
    Asked,
}

impl MrtrRound {
    /// Builds the round from a request's `inputResponses` and its `requestState` (with the
    /// binding the state must match).
    pub(crate) fn from_request(
        config: &MrtrConfig,
        request_state: Option<(&str, &Binding)>,
        input_responses: Option<JsonObject>,
    ) -> Result<MrtrRound, ErrorObject> {
        let mut answers: HashMap<String, Answer> = HashMap::new();
        match request_state {
            Some((state, binding)) => {
                let payload = unseal(config, state, binding)?;
                answers.extend(payload.a);
                // Only answers to what was asked last round count; others are ignored.
                for (key, value) in input_responses.unwrap_or_default() {
                    if let Some(digest) = payload.q.get(&key) {
                        answers.insert(
                            key,
                            Answer {
                                digest: Some(digest.clone()),
                                value,
                            },
                        );
                    }
                }
            }
            None => {
                for (key, value) in input_responses.unwrap_or_default() {
                    answers.insert(
                        key,
                        Answer {
                            digest: None,
                            value,
                        },
                    );
                }
            }
        }
        Ok(MrtrRound {
            answers,
            asked: Mutex::new(Vec::new()),
            used: Mutex::new(HashMap::new()),
            waker: AtomicWaker::new(),
            seq: AtomicUsize::new(0),
        })
    }

    /// The next automatic key for an ask of `kind`.
    pub(crate) fn next_key(&self, kind: &str) -> String {
        format!("{kind}-{}", self.seq.fetch_add(1, Ordering::Relaxed) + 1)
    }

    /// Looks up the answer to `request` under `key`, or records the ask.
    pub(crate) fn lookup(&self, key: &str, request: InputRequest) -> Lookup {
        let digest = digest_of(&request);
        if let Some(answer) = self.answers.get(key) {
            let matches = answer.digest.as_deref().is_none_or(|d| d == digest);
            if matches && !answer.value.is_null() {
                self.used.lock().unwrap().insert(key.to_owned(), digest);
                return Lookup::Answered(answer.value.clone());
            }
        }
        let mut asked = self.asked.lock().unwrap();
        asked.retain(|(k, _, _)| k != key);
        asked.push((key.to_owned(), request, digest));
        drop(asked);
        self.waker.wake();
        Lookup::Asked
    }

    /// Whether the handler made an ask this round that the request did not answer.
    pub(crate) fn has_asks(&self) -> bool {
        !self.asked.lock().unwrap().is_empty()
    }

    /// The interim result's requests and sealed state, once the round ended.
    pub(crate) fn finish(&self, config: &MrtrConfig, binding: &Binding) -> (InputRequests, String) {
        let asked = std::mem::take(&mut *self.asked.lock().unwrap());
        let used = self.used.lock().unwrap();
        // Carry forward every answer the handler consumed (now with the digest of the ask
        // that consumed it) and every earlier answer that was already bound to an ask.
        let mut carried: BTreeMap<String, Answer> = BTreeMap::new();
        for (key, answer) in &self.answers {
            let digest = used.get(key).cloned().or_else(|| answer.digest.clone());
            if digest.is_some() {
                carried.insert(
                    key.clone(),
                    Answer {
                        digest,
                        value: answer.value.clone(),
                    },
                );
            }
        }
        let mut requests = InputRequests::new();
        let mut questions = BTreeMap::new();
        for (key, request, digest) in asked {
            carried.remove(&key);
            questions.insert(key.clone(), digest);
            requests.insert(key, request);
        }
        let mut nonce = [0u8; 9];
        let _ = getrandom::fill(&mut nonce);
        let payload = StatePayload {
            v: 1,
            m: binding.method.to_owned(),
            b: binding.digest.clone(),
            p: binding.principal.clone(),
            exp: now_secs() + config.ttl.as_secs(),
            n: B64.encode(nonce),
            a: carried,
            q: questions,
        };
        (requests, seal(config, &payload))
    }
}

/// How a handler run under MRTR ended.
pub(crate) enum RoundOutcome<T> {
    /// The handler finished.
    Done(T),
    /// The handler is waiting for input the request did not carry.
    InputRequired,
}

pin_project_lite::pin_project! {
    /// Drives a handler future; ends the round when it waits on unanswered asks.
    pub(crate) struct RoundDriver<F> {
        #[pin]
        fut: F,
        round: Arc<MrtrRound>,
    }
}

impl<F> RoundDriver<F> {
    pub(crate) fn new(fut: F, round: Arc<MrtrRound>) -> Self {
        RoundDriver { fut, round }
    }
}

impl<F: Future> Future for RoundDriver<F> {
    type Output = RoundOutcome<F::Output>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        // Asks made from tasks the handler spawned wake us through the round's waker.
        this.round.waker.register(cx.waker());
        match this.fut.poll(cx) {
            Poll::Ready(v) => Poll::Ready(RoundOutcome::Done(v)),
            Poll::Pending if this.round.has_asks() => Poll::Ready(RoundOutcome::InputRequired),
            Poll::Pending => Poll::Pending,
        }
    }
}

/// A future that never resolves: an unanswered ask parks the handler here.
pub(crate) async fn park<T>() -> T {
    std::future::pending().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{ElicitRequestFormParams, JsonObject};

    fn config() -> MrtrConfig {
        MrtrConfig {
            key: [7; 32],
            ttl: Duration::from_secs(60),
        }
    }

    fn ask(msg: &str) -> InputRequest {
        InputRequest::elicit(ElicitRequestFormParams::new(msg, JsonObject::new()))
    }

    fn binding(args: &Value) -> Binding {
        Binding::new("tools/call", &[&Value::from("t"), args], None)
    }

    #[test]
    fn state_round_trips_and_rejects_tampering() {
        let cfg = config();
        let b = binding(&serde_json::json!({"a": 1, "b": 2}));
        let round = MrtrRound::from_request(&cfg, None, None).unwrap();
        assert!(matches!(round.lookup("k", ask("name?")), Lookup::Asked));
        let (requests, state) = round.finish(&cfg, &b);
        assert_eq!(requests.keys().collect::<Vec<_>>(), ["k"]);

        // Key order of the arguments does not matter.
        let b2 = binding(&serde_json::json!({"b": 2, "a": 1}));
        let answers: JsonObject =
            serde_json::from_value(serde_json::json!({"k": {"action": "accept"}})).unwrap();
        let round2 =
            MrtrRound::from_request(&cfg, Some((&state, &b2)), Some(answers.clone())).unwrap();
        assert!(matches!(
            round2.lookup("k", ask("name?")),
            Lookup::Answered(_)
        ));

        // A changed question is asked again.
        let round3 =
            MrtrRound::from_request(&cfg, Some((&state, &b2)), Some(answers.clone())).unwrap();
        assert!(matches!(round3.lookup("k", ask("other?")), Lookup::Asked));

        let tampered = format!("{state}x");
        assert!(MrtrRound::from_request(&cfg, Some((&tampered, &b2)), None).is_err());
        let other_args = binding(&serde_json::json!({"a": 2}));
        assert!(MrtrRound::from_request(&cfg, Some((&state, &other_args)), None).is_err());
        let mut other_key = config();
        other_key.key = [8; 32];
        assert!(MrtrRound::from_request(&other_key, Some((&state, &b2)), None).is_err());
        let other_caller = Binding::new(
            "tools/call",
            &[&Value::from("t"), &serde_json::json!({"a":1,"b":2})],
            Some("mallory".into()),
        );
        assert!(MrtrRound::from_request(&cfg, Some((&state, &other_caller)), None).is_err());
    }

    #[test]
    fn expired_state_is_refused() {
        let mut cfg = config();
        cfg.ttl = Duration::from_secs(0);
        let b = binding(&Value::Null);
        let round = MrtrRound::from_request(&cfg, None, None).unwrap();
        let _ = round.lookup("k", ask("q"));
        let (_, state) = round.finish(&cfg, &b);
        // exp == now; one second later it has lapsed.
        std::thread::sleep(Duration::from_millis(1100));
        let err = MrtrRound::from_request(&cfg, Some((&state, &b)), None)
            .err()
            .unwrap();
        assert!(err.message.contains("expired"), "{}", err.message);
    }

    #[test]
    fn answers_carry_across_rounds() {
        let cfg = config();
        let b = binding(&Value::Null);
        let r1 = MrtrRound::from_request(&cfg, None, None).unwrap();
        let _ = r1.lookup("first", ask("1"));
        let (_, s1) = r1.finish(&cfg, &b);
        let a1: JsonObject = serde_json::from_value(
            serde_json::json!({"first": {"action": "accept", "content": {"x": 1}}}),
        )
        .unwrap();
        let r2 = MrtrRound::from_request(&cfg, Some((&s1, &b)), Some(a1)).unwrap();
        assert!(matches!(r2.lookup("first", ask("1")), Lookup::Answered(_)));
        let _ = r2.lookup("second", ask("2"));
        let (req2, s2) = r2.finish(&cfg, &b);
        assert_eq!(req2.keys().collect::<Vec<_>>(), ["second"]);
        assert_ne!(s1, s2);
        let a2: JsonObject =
            serde_json::from_value(serde_json::json!({"second": {"action": "decline"}})).unwrap();
        let r3 = MrtrRound::from_request(&cfg, Some((&s2, &b)), Some(a2)).unwrap();
        assert!(matches!(r3.lookup("first", ask("1")), Lookup::Answered(_)));
        assert!(matches!(r3.lookup("second", ask("2")), Lookup::Answered(_)));
    }
}
