use mcpwire::prelude::*;

async fn list_all(_ctx: RequestContext) -> Result<Vec<Resource>, mcpwire::Error> {
    Ok(Vec::new())
}

#[mcpwire::resource("docs://readme", list = list_all)]
async fn readme() -> String {
    "# Hello".into()
}

fn main() {
    let _server = mcpwire::server!().resource(readme);
}
