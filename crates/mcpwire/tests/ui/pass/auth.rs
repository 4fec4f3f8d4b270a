//! Scopes on every kind of item, and the caller as an argument: `AuthInfo` and
//! `TokenClaims<T>`, on free functions and `#[handlers]` methods.

use mcpwire::prelude::*;

#[derive(serde::Deserialize)]
struct Claims {
    tenant: String,
}

#[mcpwire::tool(scopes = ["files:write", "audit"])]
async fn write(path: String, auth: AuthInfo) -> String {
    format!("{} wrote {path}", auth.subject())
}

#[mcpwire::tool(scopes = "files:read")]
fn tenant(claims: TokenClaims<Claims>) -> String {
    claims.tenant.clone()
}

#[mcpwire::resource("secret://plans", scopes = ["files:read"])]
async fn plans(auth: AuthInfo) -> String {
    auth.subject().to_owned()
}

#[mcpwire::resource("file:///{path}", scopes = ["files:read"])]
async fn file(path: String) -> String {
    path
}

#[mcpwire::prompt(scopes = ["admin"])]
async fn admin(claims: TokenClaims<Claims>, topic: String) -> String {
    format!("{}: {topic}", claims.tenant)
}

struct Handlers;

#[mcpwire::handlers]
impl Handlers {
    #[tool(scopes = ["deploy"])]
    async fn deploy(&self, auth: AuthInfo) -> String {
        auth.subject().to_owned()
    }

    #[prompt(scopes = ["admin"])]
    fn review(&self) -> String {
        "review".into()
    }
}

fn main() {
    let server = mcpwire::server!()
        .tool(write)
        .tool(tenant)
        .resource(plans)
        .resource(file)
        .prompt(admin)
        .register(Handlers);
    assert_eq!(
        server.declared_scopes(),
        ["admin", "audit", "deploy", "files:read", "files:write"]
    );
    assert_eq!(
        server.find_tool("write").unwrap().required_scopes(),
        ["audit", "files:write"]
    );
}
