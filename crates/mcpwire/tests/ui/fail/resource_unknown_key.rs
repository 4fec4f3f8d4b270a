#[mcpwire::resource("docs://readme", mime = "text/markdown")]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {}
