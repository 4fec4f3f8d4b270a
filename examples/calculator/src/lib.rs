//! The calculator MCP server, shared by the `calculator` binary and the tests.
//!
//! Tools `add`, `divide` (dividing by zero is a tool error the model can read), `sum_to`
//! (reports progress) and `round` (asks the user how many decimals it wants); a resource
//! `calc://constants`, a template `calc://tables/{n}`, and a prompt `explain` whose
//! arguments complete.

use std::time::Duration;

use mcpwire::prelude::*;
use mcpwire::{prompt, resource, tool};
use schemars::JsonSchema;
use serde::Deserialize;

/// Writes integral results without a fractional part (`5`, not `5.0`).
fn format_number(x: &f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", *x as i64)
    } else {
        format!("{x}")
    }
}

/// Add two numbers and return the sum.
#[tool(title = "Add", read_only, idempotent, text = format_number)]
pub async fn add(
    /** The left operand. */
    a: f64,
    /** The right operand. */
    b: f64,
) -> f64 {
    a + b
}

/// Divide `a` by `b`. Dividing by zero is an error.
#[tool(title = "Divide", read_only, idempotent, text = format_number)]
pub async fn divide(
    /** The dividend. */
    a: f64,
    /** The divisor. */
    b: f64,
) -> Result<f64, String> {
    if b == 0.0 {
        Err("cannot divide by zero".into())
    } else {
        Ok(a / b)
    }
}

/// Sum the integers from 1 to n, reporting progress along the way.
#[tool(title = "Sum to n")]
pub async fn sum_to(
    /** Sum the integers from 1 to `n` (at most 1000). */
    n: u32,
    ctx: RequestContext,
) -> Result<String, String> {
    if n > 1000 {
        return Err("n must be at most 1000".into());
    }
    let step = (n / 4).max(1);
    let mut total: u64 = 0;
    for i in 1..=n {
        total += u64::from(i);
        if i % step == 0 || i == n {
            ctx.progress(f64::from(i), Some(f64::from(n)), Some("summing"));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
    ctx.info(format!("summed 1..={n}"));
    Ok(total.to_string())
}

/// What `round` asks the user.
#[derive(Deserialize, JsonSchema)]
pub struct Precision {
    /// Number of decimal places (0 to 10).
    pub places: u8,
}

/// Round a number; asks the user how many decimal places to keep.
#[tool(title = "Round")]
pub async fn round(
    /** The number to round. */
    value: f64,
    ctx: RequestContext,
) -> Result<String, mcpwire::Error> {
    let Some(Precision { places }) = ctx.elicit_form("How many decimal places?").await? else {
        return Ok("rounding cancelled".into());
    };
    Ok(format!("{:.*}", usize::from(places.min(10)), value))
}

/// Well-known constants, one per line.
#[resource(
    "calc://constants",
    title = "Mathematical constants",
    mime_type = "text/plain"
)]
pub async fn constants() -> String {
    format!(
        "pi = {}\ne = {}\nsqrt2 = {}",
        std::f64::consts::PI,
        std::f64::consts::E,
        std::f64::consts::SQRT_2
    )
}

fn table_numbers(prefix: &str) -> Vec<String> {
    [1, 2, 5, 10, 12, 100]
        .iter()
        .map(u32::to_string)
        .filter(|n| n.starts_with(prefix))
        .collect()
}

/// The multiplication table of n (1 to 100).
#[resource(
    "calc://tables/{n}",
    name = "multiplication-table",
    mime_type = "text/plain"
)]
pub async fn tables(#[arg(complete = table_numbers)] n: u32) -> Result<String, mcpwire::Error> {
    if !(1..=100).contains(&n) {
        return Err(mcpwire::Error::invalid_params("n must be from 1 to 100"));
    }
    Ok((1..=10)
        .map(|i| format!("{n} x {i} = {}", n * i))
        .collect::<Vec<_>>()
        .join("\n"))
}

fn operations(prefix: &str) -> Vec<&'static str> {
    ["add", "subtract", "multiply", "divide"]
        .into_iter()
        .filter(|o| o.starts_with(prefix))
        .collect()
}

fn levels(prefix: &str) -> Vec<&'static str> {
    ["beginner", "expert"]
        .into_iter()
        .filter(|l| l.starts_with(prefix))
        .collect()
}

/// Ask the model to explain an arithmetic operation step by step.
#[prompt]
pub async fn explain(
    /// add, subtract, multiply or divide
    #[arg(complete = operations)]
    operation: String,
    /// beginner or expert
    #[arg(complete = levels)]
    level: Option<String>,
) -> GetPromptResult {
    let level = level.unwrap_or_else(|| "beginner".into());
    GetPromptResult::new([PromptMessage::user(format!(
        "Explain how to {operation} two numbers to a {level}, step by step."
    ))])
    .with_description(format!("Explaining {operation}"))
}

/// The calculator server.
pub fn server() -> Server {
    mcpwire::server!()
        .instructions("A calculator: use `add` and `divide` for arithmetic, `sum_to` for series.")
        .tool(add)
        .tool(divide)
        .tool(sum_to)
        .tool(round)
        .resource(constants)
        .resource(tables)
        .prompt(explain)
}
