//! Methods under #[handlers]: every receiver, and a generic impl block.

use std::sync::Arc;
use std::sync::Mutex;

use mcpwire::prelude::*;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

#[derive(Clone, Default)]
struct Calculator {
    offset: f64,
}

#[mcpwire::handlers]
impl Calculator {
    /// `&self`.
    #[tool]
    async fn add(&self, a: f64, b: f64) -> f64 {
        a + b + self.offset
    }

    /// `self`, a clone of the shared value.
    #[tool]
    fn owned(self, a: f64) -> f64 {
        a + self.offset
    }

    /// `self: Arc<Self>`.
    #[tool(name = "arc")]
    async fn shared(self: Arc<Self>) -> f64 {
        self.offset
    }

    /// No receiver.
    #[tool]
    fn version() -> &'static str {
        "1"
    }

    /// A resource method.
    #[resource("calc://offset/{scale}", mime_type = "text/plain")]
    fn offset(&self, scale: f64) -> String {
        (self.offset * scale).to_string()
    }

    /// A prompt method, with an extractor.
    #[prompt]
    async fn explain(&self, ctx: RequestContext, topic: Option<String>) -> String {
        let _ = ctx;
        format!("Explain {} with offset {}", topic.unwrap_or_default(), self.offset)
    }

    /// Not a handler: left alone.
    fn helper(&self) -> f64 {
        self.offset
    }
}

struct Store<T> {
    items: Mutex<Vec<T>>,
}

#[mcpwire::handlers]
impl<T> Store<T>
where
    T: Clone + Serialize + for<'de> Deserialize<'de> + JsonSchema + Send + 'static,
{
    /// Add an item.
    #[mcpwire::tool]
    fn push(&self, item: T) -> usize {
        let mut items = self.items.lock().unwrap();
        items.push(item);
        items.len()
    }

    /// All items.
    #[tool]
    async fn items(&self) -> Vec<T> {
        self.items.lock().unwrap().clone()
    }

    /// One item.
    #[resource("store://{index}")]
    fn item(&self, index: usize) -> Result<T, mcpwire::Error> {
        self.items
            .lock()
            .unwrap()
            .get(index)
            .cloned()
            .ok_or_else(|| mcpwire::Error::invalid_params("no such item"))
    }
}

#[derive(Clone, Serialize, Deserialize, JsonSchema)]
struct Note {
    text: String,
}

fn main() {
    let calc = Calculator::default();
    let _ = calc.helper();
    let _server = mcpwire::server!()
        .register(calc)
        .register(Store::<Note> {
            items: Mutex::new(Vec::new()),
        });
    // Another instantiation of the generic block (its tools have the same names, so it
    // goes on a server of its own).
    let _numbers = mcpwire::server!().register(Store::<i64> {
        items: Mutex::new(Vec::new()),
    });
}
