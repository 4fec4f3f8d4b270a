//! Stored SSE events, for resuming a broken stream with `Last-Event-ID` (legacy era).

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

/// Keeps the events sent on each session's streams so a client can resume a stream after a
/// disconnect (revisions 2025-03-26 to 2025-11-25).
///
/// Event ids are unique within a session and name their stream (`{stream}-{sequence}`), so
/// a `Last-Event-ID` identifies the stream to resume.
pub trait EventStore: Send + Sync + 'static {
    /// Stores `message` (empty for a priming event) sent on `stream` of `session`; returns
    /// its event id.
    fn store(&self, session: &str, stream: u64, message: &str) -> String;

    /// The stream `last_event_id` belongs to, and the messages sent on it after that event,
    /// oldest first, with their ids. `None` when the id is unknown.
    fn replay_after(&self, session: &str, last_event_id: &str) -> Option<Replay>;

    /// Forgets everything about `session`.
    fn forget(&self, session: &str);
}

/// What a client missed on one stream.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Replay {
    /// The stream the `Last-Event-ID` belongs to.
    pub stream: u64,
    /// The events sent on it after that id, oldest first: `(event id, message)`.
    pub events: Vec<(String, Arc<str>)>,
}

/// Parses an event id of this crate's form.
pub fn parse_event_id(id: &str) -> Option<(u64, u64)> {
    let (stream, seq) = id.split_once('-')?;
    Some((stream.parse().ok()?, seq.parse().ok()?))
}

#[derive(Default)]
struct SessionEvents {
    next: u64,
    events: VecDeque<(u64, u64, Arc<str>)>,
}

/// An [`EventStore`] in memory, keeping the newest `capacity` events of each session.
pub struct InMemoryEventStore {
    capacity: usize,
    sessions: Mutex<HashMap<String, SessionEvents>>,
}

impl InMemoryEventStore {
    /// A store keeping at most `capacity_per_session` events per session.
    pub fn new(capacity_per_session: usize) -> Self {
        InMemoryEventStore {
            capacity: capacity_per_session.max(1),
            sessions: Mutex::new(HashMap::new()),
        }
    }
}

impl Default for InMemoryEventStore {
    fn default() -> Self {
        Self::new(1024)
    }
}

impl EventStore for InMemoryEventStore {
    fn store(&self, session: &str, stream: u64, message: &str) -> String {
        let mut sessions = self.sessions.lock().unwrap();
        let events = sessions.entry(session.to_owned()).or_default();
        events.next += 1;
        let seq = events.next;
        if events.events.len() == self.capacity {
            events.events.pop_front();
        }
        events.events.push_back((stream, seq, Arc::from(message)));
        format!("{stream}-{seq}")
    }

    fn replay_after(&self, session: &str, last_event_id: &str) -> Option<Replay> {
        let (stream, seq) = parse_event_id(last_event_id)?;
        let sessions = self.sessions.lock().unwrap();
        let events = sessions.get(session)?;
        if seq > events.next {
            return None;
        }
        let replay = events
            .events
            .iter()
            .filter(|(s, n, m)| *s == stream && *n > seq && !m.is_empty())
            .map(|(s, n, m)| (format!("{s}-{n}"), m.clone()))
            .collect();
        Some(Replay {
            stream,
            events: replay,
        })
    }

    fn forget(&self, session: &str) {
        self.sessions.lock().unwrap().remove(session);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replays_one_stream_after_an_id_within_capacity() {
        let store = InMemoryEventStore::new(4);
        let prime = store.store("s", 1, "");
        let a = store.store("s", 1, "a");
        store.store("s", 2, "other stream");
        store.store("s", 1, "b");
        let Replay { stream, events } = store.replay_after("s", &prime).unwrap();
        assert_eq!(stream, 1);
        assert_eq!(
            events.iter().map(|(_, m)| &**m).collect::<Vec<_>>(),
            ["a", "b"]
        );
        let events = store.replay_after("s", &a).unwrap().events;
        assert_eq!(events.len(), 1);
        store.store("s", 1, "c");
        store.store("s", 1, "d");
        // `a` fell out of the window; what remains is still replayed.
        let events = store.replay_after("s", &a).unwrap().events;
        assert_eq!(
            events.iter().map(|(_, m)| &**m).collect::<Vec<_>>(),
            ["b", "c", "d"]
        );
        assert!(store.replay_after("s", "1-999").is_none());
        assert!(store.replay_after("nope", &a).is_none());
        store.forget("s");
        assert!(store.replay_after("s", &a).is_none());
    }
}
