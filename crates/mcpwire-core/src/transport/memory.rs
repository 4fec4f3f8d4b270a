//! An in-memory duplex transport, for tests and for running a client and server in one process.

use tokio::sync::mpsc;

use super::{MessageSink, MessageStream, TransportError};

/// One end of an in-memory duplex channel. Messages sent on one end arrive at the other.
pub struct MemoryTransport {
    tx: mpsc::UnboundedSender<String>,
    rx: mpsc::UnboundedReceiver<String>,
}

/// Two connected in-memory transports: give one to a server and one to a client.
pub fn duplex() -> (MemoryTransport, MemoryTransport) {
    let (a_tx, a_rx) = mpsc::unbounded_channel();
    let (b_tx, b_rx) = mpsc::unbounded_channel();
    (
        MemoryTransport { tx: a_tx, rx: b_rx },
        MemoryTransport { tx: b_tx, rx: a_rx },
    )
}

/// The sending half of a [`MemoryTransport`].
pub struct MemorySink(Option<mpsc::UnboundedSender<String>>);

/// The receiving half of a [`MemoryTransport`].
pub struct MemoryStream(mpsc::UnboundedReceiver<String>);

impl super::Transport for MemoryTransport {
    type Sink = MemorySink;
    type Stream = MemoryStream;
    fn split(self) -> (MemorySink, MemoryStream) {
        (MemorySink(Some(self.tx)), MemoryStream(self.rx))
    }
}

impl MessageSink for MemorySink {
    async fn send(&mut self, message: String) -> Result<(), TransportError> {
        match &self.0 {
            Some(tx) => tx.send(message).map_err(|_| TransportError::Closed),
            None => Err(TransportError::Closed),
        }
    }

    async fn flush(&mut self) -> Result<(), TransportError> {
        Ok(())
    }

    async fn close(&mut self) -> Result<(), TransportError> {
        self.0 = None;
        Ok(())
    }
}

impl MessageStream for MemoryStream {
    async fn recv(&mut self) -> Option<Result<String, TransportError>> {
        self.0.recv().await.map(Ok)
    }
}
