#[mcpwire::tool(
    name = "a_tool_name_that_is_far_too_long_to_be_accepted_by_the_specification_which_allows_at_most_one_hundred_and_twenty_eight_characters"
)]
async fn add(a: f64, b: f64) -> f64 {
    a + b
}

fn main() {
    let _server = mcpwire::server!().tool(add);
}
