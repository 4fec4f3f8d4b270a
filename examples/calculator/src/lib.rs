//! The calculator MCP server, shared by the `calculator` binary and the tests.
//!
//! Tools `add`, `divide` (dividing by zero is a tool error the model can read), `sum_to`
//! (reports progress) and `round` (asks the user how many decimals it wants); a resource
//! `calc://constants`, a template `calc://tables/{n}`, and a prompt `explain` whose
//! `operation` argument completes.

use std::time::Duration;

use mcpwire::prelude::*;
use mcpwire::server::handler::UriParams;
use mcpwire::types::{TextResourceContents, ToolAnnotations};
use schemars::JsonSchema;
use serde::Deserialize;

/// Arguments of the binary operations.
#[derive(Deserialize, JsonSchema)]
pub struct Operands {
    /// The left operand.
    pub a: f64,
    /// The right operand.
    pub b: f64,
}

/// Arguments of `sum_to`.
#[derive(Deserialize, JsonSchema)]
pub struct SumTo {
    /// Sum the integers from 1 to `n` (at most 1000).
    pub n: u32,
}

/// Arguments of `round`.
#[derive(Deserialize, JsonSchema)]
pub struct RoundArgs {
    /// The number to round.
    pub value: f64,
}

/// What `round` asks the user.
#[derive(Deserialize, JsonSchema)]
pub struct Precision {
    /// Number of decimal places (0 to 10).
    pub places: u8,
}

fn format_number(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

/// The calculator server.
pub fn server() -> Server {
    let add = ToolDef::builder("add")
        .title("Add")
        .description("Add two numbers and return the sum.")
        .annotations(ToolAnnotations::new().read_only(true).idempotent(true))
        .handler(
            |args: Operands, _ctx: RequestContext| async move { format_number(args.a + args.b) },
        );

    let divide = ToolDef::builder("divide")
        .title("Divide")
        .description("Divide `a` by `b`. Dividing by zero is an error.")
        .annotations(ToolAnnotations::new().read_only(true).idempotent(true))
        .handler(|args: Operands, _ctx: RequestContext| async move {
            if args.b == 0.0 {
                Err("cannot divide by zero")
            } else {
                Ok(format_number(args.a / args.b))
            }
        });

    let sum_to = ToolDef::builder("sum_to")
        .title("Sum to n")
        .description("Sum the integers from 1 to n, reporting progress along the way.")
        .handler(|args: SumTo, ctx: RequestContext| async move {
            if args.n > 1000 {
                return Err("n must be at most 1000".to_owned());
            }
            let steps = 4u32;
            let mut total: u64 = 0;
            for i in 1..=args.n {
                total += u64::from(i);
                if i % (args.n / steps).max(1) == 0 || i == args.n {
                    ctx.progress(f64::from(i), Some(f64::from(args.n)), Some("summing"));
                    tokio::time::sleep(Duration::from_millis(5)).await;
                }
            }
            ctx.info(format!("summed 1..={}", args.n));
            Ok(total.to_string())
        });

    let round = ToolDef::builder("round")
        .title("Round")
        .description("Round a number; asks the user how many decimal places to keep.")
        .handler(|args: RoundArgs, ctx: RequestContext| async move {
            let answer = ctx
                .elicit_form::<Precision>("How many decimal places?")
                .await?;
            let Some(Precision { places }) = answer else {
                return Ok::<_, mcpwire::Error>("rounding cancelled".to_owned());
            };
            let places = places.min(10) as usize;
            Ok(format!("{:.*}", places, args.value))
        });

    let constants = ResourceDef::from_fn(
        Resource::new("calc://constants", "constants")
            .with_title("Mathematical constants")
            .with_description("Well-known constants, one per line.")
            .with_mime_type("text/plain"),
        |_ctx: RequestContext| async move {
            format!(
                "pi = {}\ne = {}\nsqrt2 = {}",
                std::f64::consts::PI,
                std::f64::consts::E,
                std::f64::consts::SQRT_2
            )
        },
    );

    let tables = ResourceTemplateDef::from_fn(
        ResourceTemplate::new("calc://tables/{n}", "multiplication-table")
            .with_description("The multiplication table of n (1 to 100).")
            .with_mime_type("text/plain"),
        |uri: String, params: UriParams, _ctx: RequestContext| async move {
            let n: u32 = params
                .get("n")
                .and_then(|n| n.parse().ok())
                .filter(|n| (1..=100).contains(n))
                .ok_or_else(|| {
                    mcpwire::Error::invalid_params("n must be an integer from 1 to 100")
                })?;
            let text = (1..=10)
                .map(|i| format!("{n} x {i} = {}", n * i))
                .collect::<Vec<_>>()
                .join("\n");
            Ok::<_, mcpwire::Error>(
                TextResourceContents::new(uri, text).with_mime_type("text/plain"),
            )
        },
    )
    .expect("the template is valid")
    .complete_from("n", ["1", "2", "5", "10", "12", "100"]);

    let explain = PromptDef::from_fn(
        Prompt::new("explain")
            .with_description("Ask the model to explain an arithmetic operation step by step.")
            .with_argument(
                PromptArgument::new("operation")
                    .with_description("add, subtract, multiply or divide")
                    .required(true),
            )
            .with_argument(PromptArgument::new("level").with_description("beginner or expert")),
        |args, _ctx: RequestContext| async move {
            let op = args.get("operation").cloned().unwrap_or_default();
            let level = args.get("level").map(String::as_str).unwrap_or("beginner");
            GetPromptResult::new([PromptMessage::user(format!(
                "Explain how to {op} two numbers to a {level}, step by step."
            ))])
            .with_description(format!("Explaining {op}"))
        },
    )
    .complete_from("operation", ["add", "subtract", "multiply", "divide"])
    .complete_from("level", ["beginner", "expert"]);

    mcpwire::server!()
        .instructions("A calculator: use `add` and `divide` for arithmetic, `sum_to` for series.")
        .tool(add)
        .tool(divide)
        .tool(sum_to)
        .tool(round)
        .resource(constants)
        .resource_template(tables)
        .prompt(explain)
}
