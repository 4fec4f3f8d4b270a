//! Parsing shared by the macros: attribute options, doc comments, parameters.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, Expr, FnArg, Ident, LitStr, Pat, Path, Type};

/// Errors collected while reading one item: reported together, each at its token.
#[derive(Default)]
pub(crate) struct Errors(Option<syn::Error>);

impl Errors {
    pub(crate) fn push(&mut self, e: syn::Error) {
        match &mut self.0 {
            Some(all) => all.combine(e),
            None => self.0 = Some(e),
        }
    }

    pub(crate) fn at(&mut self, span: Span, msg: impl std::fmt::Display) {
        self.push(syn::Error::new(span, msg));
    }

    /// An error spanning all of `tokens` (from its first to its last token).
    pub(crate) fn spanned(&mut self, tokens: impl ToTokens, msg: impl std::fmt::Display) {
        self.push(syn::Error::new_spanned(tokens, msg));
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_none()
    }

    pub(crate) fn into_tokens(self) -> TokenStream {
        self.0.map(|e| e.to_compile_error()).unwrap_or_default()
    }
}

/// One `key`, `key = value` or `"positional"` entry of an attribute.
pub(crate) enum OptValue {
    Flag,
    Lit(syn::Lit),
    Expr(Expr),
}

pub(crate) struct Opt {
    pub(crate) key: Ident,
    pub(crate) value: OptValue,
}

/// The parsed options of an attribute, with the positional string literal if any.
pub(crate) struct Opts {
    pub(crate) positional: Option<LitStr>,
    pub(crate) items: Vec<Opt>,
}

/// Parses `attr` tokens as `"positional"?, key, key = value, ...`, rejecting keys not in
/// `valid` (the error lists them) and repeated keys (except those in `repeatable`).
pub(crate) fn parse_opts(
    tokens: TokenStream,
    what: &str,
    valid: &[&str],
    repeatable: &[&str],
    errors: &mut Errors,
) -> Opts {
    let mut opts = Opts {
        positional: None,
        items: Vec::new(),
    };
    let parser = |input: syn::parse::ParseStream<'_>| -> syn::Result<()> {
        if input.peek(LitStr) {
            opts.positional = Some(input.parse()?);
            if input.is_empty() {
                return Ok(());
            }
            input.parse::<syn::Token![,]>()?;
        }
        while !input.is_empty() {
            let key: Ident = if input.peek(syn::Token![crate]) {
                let kw: syn::Token![crate] = input.parse()?;
                Ident::new("crate", kw.span)
            } else {
                input.parse()?
            };
            let value = if input.peek(syn::Token![=]) {
                input.parse::<syn::Token![=]>()?;
                if input.peek(syn::Lit) {
                    OptValue::Lit(input.parse()?)
                } else {
                    OptValue::Expr(input.parse()?)
                }
            } else {
                OptValue::Flag
            };
            opts.items.push(Opt { key, value });
            if input.is_empty() {
                break;
            }
            input.parse::<syn::Token![,]>()?;
        }
        Ok(())
    };
    if let Err(e) = parser.parse2(tokens) {
        errors.push(e);
        return Opts {
            positional: None,
            items: Vec::new(),
        };
    }
    let mut seen: Vec<String> = Vec::new();
    opts.items.retain(|o| {
        let k = o.key.to_string();
        if !valid.contains(&k.as_str()) {
            let msg = if what == "#[arg]" && ALL_ARG_KEYS.contains(&k.as_str()) {
                misplaced_arg_key(&k, valid)
            } else {
                format!(
                    "unknown {what} option `{k}`; expected one of: {}",
                    valid.join(", ")
                )
            };
            errors.at(o.key.span(), msg);
            return false;
        }
        if seen.contains(&k) && !repeatable.contains(&k.as_str()) {
            errors.at(
                o.key.span(),
                format!("duplicate {what} option `{k}`: give it once"),
            );
            return false;
        }
        seen.push(k);
        true
    });
    opts
}

impl Opt {
    pub(crate) fn name(&self) -> String {
        self.key.to_string()
    }

    pub(crate) fn string(&self, errors: &mut Errors) -> Option<LitStr> {
        match &self.value {
            OptValue::Lit(syn::Lit::Str(s)) => Some(s.clone()),
            _ => {
                errors.at(
                    self.key.span(),
                    format!("`{}` takes a string: `{} = \"...\"`", self.key, self.key),
                );
                None
            }
        }
    }

    pub(crate) fn flag(&self, errors: &mut Errors) -> Option<bool> {
        match &self.value {
            OptValue::Flag => Some(true),
            OptValue::Lit(syn::Lit::Bool(b)) => Some(b.value),
            _ => {
                errors.at(
                    self.key.span(),
                    format!(
                        "`{}` is a flag: write `{}` or `{} = false`",
                        self.key, self.key, self.key
                    ),
                );
                None
            }
        }
    }

    pub(crate) fn expr(&self, errors: &mut Errors) -> Option<Expr> {
        match &self.value {
            OptValue::Expr(e) => Some(e.clone()),
            OptValue::Lit(l) => Some(syn::parse_quote!(#l)),
            OptValue::Flag => {
                errors.at(
                    self.key.span(),
                    format!("`{}` needs a value: `{} = ...`", self.key, self.key),
                );
                None
            }
        }
    }

    pub(crate) fn path(&self, errors: &mut Errors) -> Option<Path> {
        match &self.value {
            OptValue::Expr(Expr::Path(p)) => Some(p.path.clone()),
            OptValue::Lit(syn::Lit::Str(s)) => match s.parse() {
                Ok(p) => Some(p),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
            _ => {
                errors.at(
                    self.key.span(),
                    format!(
                        "`{}` takes a path to a function: `{} = my_function`",
                        self.key, self.key
                    ),
                );
                None
            }
        }
    }

    /// A list of strings: `key = ["a", "b"]` (or one string, `key = "a"`).
    pub(crate) fn strings(&self, errors: &mut Errors) -> Option<Vec<LitStr>> {
        let usage = format!(
            "`{}` takes a list of strings: `{} = [\"files:read\", \"files:write\"]`",
            self.key, self.key
        );
        match &self.value {
            OptValue::Lit(syn::Lit::Str(s)) => Some(vec![s.clone()]),
            OptValue::Expr(Expr::Array(a)) => {
                let mut out = Vec::new();
                for e in &a.elems {
                    match e {
                        Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(s),
                            ..
                        }) => out.push(s.clone()),
                        other => errors.spanned(other, &usage),
                    }
                }
                Some(out)
            }
            _ => {
                errors.at(self.key.span(), usage);
                None
            }
        }
    }

    pub(crate) fn float(&self, errors: &mut Errors) -> Option<f64> {
        match &self.value {
            OptValue::Lit(syn::Lit::Float(f)) => f.base10_parse().ok(),
            OptValue::Lit(syn::Lit::Int(i)) => i.base10_parse::<i64>().ok().map(|i| i as f64),
            _ => {
                errors.at(self.key.span(), format!("`{}` takes a number", self.key));
                None
            }
        }
    }
}

/// The crate path generated code refers to (`::mcpwire`, or `crate = "..."`).
pub(crate) fn crate_path(opts: &Opts, errors: &mut Errors) -> Path {
    for o in &opts.items {
        if let Some(p) = (o.name() == "crate").then(|| o.path(errors)).flatten() {
            return p;
        }
    }
    syn::parse_quote!(::mcpwire)
}

/// The text of the doc comments in `attrs`, or `None` if there are none.
pub(crate) fn docs(attrs: &[Attribute]) -> Option<String> {
    let mut lines = Vec::new();
    for a in attrs {
        if !a.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(syn::MetaNameValue {
            value:
                Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(s),
                    ..
                }),
            ..
        }) = &a.meta
        {
            let v = s.value();
            for line in v.lines() {
                lines.push(line.strip_prefix(' ').unwrap_or(line).trim_end().to_owned());
            }
        }
    }
    let text = lines.join("\n");
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// What a parameter receives.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `RequestContext` (by value or by reference).
    Context { by_ref: bool },
    /// `State<T>`.
    State,
    /// `Extension<T>`.
    Extension,
    /// `CancellationToken`.
    Cancellation,
    /// `AuthInfo`: the authenticated caller.
    Auth,
    /// `TokenClaims<T>`: the caller's claims, parsed.
    Claims,
    /// A value from the request: a tool argument, a template variable, a prompt argument.
    Value,
}

/// Options of `#[arg(...)]` on a parameter.
#[derive(Default)]
pub(crate) struct ArgOpts {
    pub(crate) description: Option<LitStr>,
    pub(crate) default: Option<Expr>,
    pub(crate) complete: Option<Path>,
    pub(crate) rename: Option<LitStr>,
    pub(crate) flatten: bool,
    /// Where `flatten` was written.
    pub(crate) flatten_span: Option<Span>,
    /// Where `default` was written.
    pub(crate) default_span: Option<Span>,
    /// `header = "Name"`: mirrored into `Mcp-Param-Name` (2026-07-28 over HTTP).
    pub(crate) header: Option<LitStr>,
}

pub(crate) struct Param {
    pub(crate) ty: Type,
    pub(crate) kind: Kind,
    /// The wire name (the parameter's name, or `#[arg(name = ...)]`).
    pub(crate) name: Option<String>,
    pub(crate) docs: Option<String>,
    pub(crate) opts: ArgOpts,
    pub(crate) span: Span,
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Reference(r) => last_segment(&r.elem),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

/// The `T` of `Option<T>`, when `ty` is written as an `Option`.
pub(crate) fn option_inner(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Option" {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) if a.args.len() == 1 => match &a.args[0] {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// `(T, true)` when `ty` is written as `Result<T, ..>` (or an alias named `Result`).
pub(crate) fn result_ok(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Result" {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.first() {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

/// The `E` of `Result<T, E>`, when `ty` is written with both parameters.
pub(crate) fn result_err(ty: &Type) -> Option<&Type> {
    let seg = last_segment(ty)?;
    if seg.ident != "Result" {
        return None;
    }
    match &seg.arguments {
        syn::PathArguments::AngleBracketed(a) => match a.args.iter().nth(1) {
            Some(syn::GenericArgument::Type(t)) => Some(t),
            _ => None,
        },
        _ => None,
    }
}

pub(crate) fn kind_of(ty: &Type) -> Kind {
    let by_ref = matches!(ty, Type::Reference(_));
    match last_segment(ty).map(|s| s.ident.to_string()).as_deref() {
        Some("RequestContext") => Kind::Context { by_ref },
        Some("State") if !by_ref => Kind::State,
        Some("Extension") if !by_ref => Kind::Extension,
        Some("CancellationToken") if !by_ref => Kind::Cancellation,
        Some("AuthInfo") if !by_ref => Kind::Auth,
        Some("TokenClaims") if !by_ref => Kind::Claims,
        _ => Kind::Value,
    }
}

/// Every `#[arg]` option of any attribute; each attribute accepts some of them.
const ALL_ARG_KEYS: &[&str] = &[
    "description",
    "default",
    "complete",
    "name",
    "flatten",
    "header",
];

/// Why `key`, valid on the arguments of another attribute, is not valid here.
fn misplaced_arg_key(key: &str, valid: &[&str]) -> String {
    let why = match key {
        "complete" => {
            "`complete` is for #[prompt] arguments and #[resource] template variables: tool arguments do not complete"
        }
        "default" => {
            "`default` is for #[tool] arguments: make this argument optional with `Option<T>` instead"
        }
        "flatten" => "`flatten` is for #[tool] arguments only",
        "header" => {
            "`header` is for #[tool] arguments only (it mirrors a tool argument into an HTTP header)"
        }
        _ => "unknown #[arg] option",
    };
    format!("{why}; expected one of: {}", valid.join(", "))
}

/// Removes the doc comments and `#[arg]` attributes of the parameters of a signature,
/// without reading them (for items that are reported as errors).
pub(crate) fn strip_param_attrs(inputs: &mut syn::punctuated::Punctuated<FnArg, syn::Token![,]>) {
    for input in inputs.iter_mut() {
        let attrs = match input {
            FnArg::Typed(pt) => &mut pt.attrs,
            FnArg::Receiver(r) => &mut r.attrs,
        };
        attrs.retain(|a| !a.path().is_ident("doc") && !a.path().is_ident("arg"));
    }
}

/// Reads the parameters of a signature, removing the doc comments and `#[arg]` attributes
/// from it (rustc rejects doc comments on parameters once the macro is done).
pub(crate) fn take_params(
    inputs: &mut syn::punctuated::Punctuated<FnArg, syn::Token![,]>,
    arg_keys: &[&str],
    errors: &mut Errors,
) -> Vec<Param> {
    let mut params = Vec::new();
    for input in inputs.iter_mut() {
        let FnArg::Typed(pt) = input else {
            continue;
        };
        let docs = docs(&pt.attrs);
        let mut opts = ArgOpts::default();
        let mut keep = Vec::new();
        for attr in pt.attrs.drain(..) {
            if attr.path().is_ident("doc") {
                continue;
            }
            if attr.path().is_ident("arg") {
                let tokens = match &attr.meta {
                    syn::Meta::List(l) => l.tokens.clone(),
                    _ => TokenStream::new(),
                };
                let parsed = parse_opts(tokens, "#[arg]", arg_keys, &[], errors);
                for o in &parsed.items {
                    match o.name().as_str() {
                        "description" => opts.description = o.string(errors),
                        "default" => {
                            opts.default = o.expr(errors);
                            opts.default_span = Some(o.key.span());
                        }
                        "complete" => opts.complete = o.path(errors),
                        "name" => opts.rename = o.string(errors),
                        "header" => opts.header = o.string(errors),
                        "flatten" => {
                            opts.flatten = o.flag(errors).unwrap_or(false);
                            opts.flatten_span = Some(o.key.span());
                        }
                        _ => {}
                    }
                }
                continue;
            }
            keep.push(attr);
        }
        pt.attrs = keep;
        let kind = kind_of(&pt.ty);
        let ident = match &*pt.pat {
            Pat::Ident(p) => Some(p.ident.to_string()),
            _ => None,
        };
        let name = opts
            .rename
            .as_ref()
            .map(LitStr::value)
            .or_else(|| ident.map(|i| i.trim_start_matches("r#").to_owned()));
        if kind == Kind::Value && name.is_none() {
            errors.at(
                pt.pat.span(),
                "give this argument a plain name (`name: Type`): the name is what clients send",
            );
        }
        if let (Kind::Value, Type::Reference(r)) = (kind, &*pt.ty) {
            errors.spanned(
                r,
                "arguments are parsed from the request and must be owned: use `String` instead of `&str`, `Vec<T>` instead of `&[T]`",
            );
        }
        if let Type::ImplTrait(t) = &*pt.ty {
            errors.spanned(
                t,
                "`impl Trait` arguments are not supported: name the type (e.g. `String` instead of `impl Into<String>`)",
            );
        }
        params.push(Param {
            ty: (*pt.ty).clone(),
            kind,
            name,
            docs,
            opts,
            span: pt.span(),
        });
    }
    params
}

/// The statement that binds local `binding` to what parameter `p` receives, for the kinds
/// that come from the request context (`ctx` is a `RequestContext` in scope).
pub(crate) fn extract(
    krate: &Path,
    p: &Param,
    binding: &Ident,
    ctx: &Ident,
) -> Option<TokenStream> {
    let ty = &p.ty;
    Some(match p.kind {
        Kind::Context { by_ref: true } => quote!(let #binding: #ty = &#ctx;),
        Kind::Context { by_ref: false } => {
            quote!(let #binding: #ty = ::core::clone::Clone::clone(&#ctx);)
        }
        Kind::State => {
            quote!(let #binding: #ty = #krate::__private::State::from_context(&#ctx)?;)
        }
        Kind::Extension => {
            quote!(let #binding: #ty = #krate::__private::Extension::from_context(&#ctx)?;)
        }
        Kind::Cancellation => {
            quote!(let #binding: #ty = ::core::clone::Clone::clone(#ctx.cancellation_token());)
        }
        Kind::Auth => {
            quote!(let #binding: #ty = #krate::__private::AuthInfo::from_context(&#ctx)?;)
        }
        Kind::Claims => {
            quote!(let #binding: #ty = #krate::__private::TokenClaims::from_context(&#ctx)?;)
        }
        Kind::Value => return None,
    })
}

/// The statement adding completion function `f` for argument `wire` to `__def`. Spanned
/// at `f` throughout, so that a function with the wrong signature gives one error there
/// (rustc reports the same unmet bound at the same place once).
pub(crate) fn completion_stmt(krate: &Path, wire: &str, f: &Path) -> TokenStream {
    let span = f.span();
    let krate = respan(krate.to_token_stream(), span);
    quote::quote_spanned! {span=>
        let __def = __def.complete(#wire, #krate::__private::completion(#f));
    }
}

/// `tokens` with every span set to `span`: generated code that rustc reports as one
/// expression at the user's token, without a second label at the attribute.
pub(crate) fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut t| {
            if let proc_macro2::TokenTree::Group(g) = &t {
                let mut inner = proc_macro2::Group::new(g.delimiter(), respan(g.stream(), span));
                inner.set_span(span);
                t = proc_macro2::TokenTree::Group(inner);
            } else {
                t.set_span(span);
            }
            t
        })
        .collect()
}

/// `Some("...")` / `None` tokens for an optional string.
pub(crate) fn opt_str(s: Option<&str>) -> TokenStream {
    match s {
        Some(s) => quote!(::core::option::Option::<&str>::Some(#s)),
        None => quote!(::core::option::Option::<&str>::None),
    }
}

/// A `#[cfg]`-and-lint-preserving copy of the attributes that should follow generated items.
pub(crate) fn cfg_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("cfg"))
        .cloned()
        .collect()
}

/// The doc attributes of `attrs`.
pub(crate) fn doc_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| a.path().is_ident("doc"))
        .cloned()
        .collect()
}

/// Reports `impl Trait` and missing return types where the macros need a named type.
pub(crate) fn named_return(sig: &syn::Signature, errors: &mut Errors) -> Type {
    match &sig.output {
        syn::ReturnType::Default => syn::parse_quote!(()),
        syn::ReturnType::Type(_, ty) => {
            if let Type::ImplTrait(t) = &**ty {
                errors.spanned(
                    t,
                    "name the return type: `impl Trait` cannot be converted into a result",
                );
            }
            (**ty).clone()
        }
    }
}

/// Checks scope names (non-empty, no spaces: RFC 6749 scope tokens), reporting at each.
fn check_scopes(scopes: &[LitStr], errors: &mut Errors) {
    for s in scopes {
        let v = s.value();
        let ok = !v.is_empty()
            && v.bytes()
                .all(|b| b == 0x21 || (0x23..=0x5B).contains(&b) || (0x5D..=0x7E).contains(&b));
        if !ok {
            errors.at(
                s.span(),
                format!(
                    "invalid scope `{v}`: a scope is one or more printable ASCII characters without spaces, `\"` or `\\`; list several as `[\"a\", \"b\"]`"
                ),
            );
        }
    }
}

/// The statement restricting `__def` to callers holding `scopes` (nothing when empty), after
/// checking the scope names.
pub(crate) fn scopes_stmt(scopes: &[LitStr], errors: &mut Errors) -> TokenStream {
    check_scopes(scopes, errors);
    if scopes.is_empty() {
        return TokenStream::new();
    }
    quote!(let __def = __def.scopes([#(#scopes),*]);)
}

/// A token stream for an `Option<serde_json::Value>` `_meta` expression.
pub(crate) fn meta_tokens(krate: &Path, meta: Option<&Expr>) -> TokenStream {
    match meta {
        Some(e) => {
            quote!(::core::option::Option::Some(#krate::__private::serde_json::Value::from(#e)))
        }
        None => quote!(::core::option::Option::None),
    }
}

/// The item unchanged apart from what must go (param docs, marker attributes), plus errors.
pub(crate) fn with_errors(item: impl ToTokens, errors: Errors) -> TokenStream {
    let errs = errors.into_tokens();
    quote!(#item #errs)
}
