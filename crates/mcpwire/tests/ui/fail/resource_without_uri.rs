#[mcpwire::resource(mime_type = "text/markdown")]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {}
