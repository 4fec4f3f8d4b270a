//! `#[resource("uri")]`: a function reads a resource; template variables bind to arguments.

use proc_macro2::{Span, TokenStream};
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path};

use crate::common::{
    Errors, Kind, docs, extract, meta_tokens, named_return, opt_str, option_inner, parse_opts,
    respan, result_err, result_ok, take_params,
};
use crate::tool::Callee;

pub(crate) const KEYS: &[&str] = &[
    "name",
    "title",
    "description",
    "mime_type",
    "list",
    "icon",
    "meta",
    "audience",
    "priority",
    "scopes",
    "crate",
];

pub(crate) const ARG_KEYS: &[&str] = &["description", "complete", "name"];

#[derive(Default)]
pub(crate) struct ResourceOpts {
    uri: Option<LitStr>,
    name: Option<LitStr>,
    title: Option<LitStr>,
    description: Option<LitStr>,
    mime_type: Option<LitStr>,
    list: Option<Path>,
    icons: Vec<LitStr>,
    meta: Option<Expr>,
    audience: Vec<String>,
    priority: Option<f64>,
    scopes: Vec<LitStr>,
}

pub(crate) fn parse_resource_opts(
    tokens: TokenStream,
    errors: &mut Errors,
) -> (ResourceOpts, Path) {
    let opts = parse_opts(tokens, "#[resource]", KEYS, &["icon"], errors);
    let krate = crate::common::crate_path(&opts, errors);
    let mut r = ResourceOpts {
        uri: opts.positional.clone(),
        ..Default::default()
    };
    if r.uri.is_none() {
        errors.at(
            Span::call_site(),
            "#[resource] needs the URI or URI template first: #[resource(\"file:///{path}\")]",
        );
    }
    for o in &opts.items {
        match o.name().as_str() {
            "name" => r.name = o.string(errors),
            "title" => r.title = o.string(errors),
            "description" => r.description = o.string(errors),
            "mime_type" => r.mime_type = o.string(errors),
            "list" => r.list = o.path(errors),
            "icon" => r.icons.extend(o.string(errors)),
            "meta" => r.meta = o.expr(errors),
            "priority" => r.priority = o.float(errors),
            "scopes" => r.scopes = o.strings(errors).unwrap_or_default(),
            "audience" => {
                if let Some(a) = o.string(errors) {
                    for part in a.value().split(',').map(str::trim) {
                        if part == "user" || part == "assistant" {
                            r.audience.push(part.to_owned());
                        } else {
                            errors.at(a.span(), format!("unknown audience `{part}`: use \"user\", \"assistant\" or \"user,assistant\""));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    (r, krate)
}

/// The variable names of an RFC 6570 template, or a description of what is wrong.
pub(crate) fn template_variables(template: &str) -> Result<Vec<String>, String> {
    let mut vars = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest.as_bytes()[open] == b'}' {
            return Err("unmatched `}`".into());
        }
        let close = rest[open..].find('}').ok_or("unclosed `{`")? + open;
        let mut body = &rest[open + 1..close];
        if let Some(first) = body.chars().next() {
            if "+#./;?&".contains(first) {
                body = &body[1..];
            } else if "=,!@|".contains(first) {
                return Err(format!("reserved operator `{first}`"));
            }
        }
        if body.is_empty() {
            return Err("empty expression `{}`".into());
        }
        for spec in body.split(',') {
            let name = spec.trim_end_matches('*');
            let name = name.split(':').next().unwrap_or(name);
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
            {
                return Err(format!("bad variable name `{spec}`"));
            }
            vars.push(name.to_owned());
        }
        rest = &rest[close + 1..];
    }
    Ok(vars)
}

pub(crate) struct ResourceInput<'a> {
    pub(crate) krate: &'a Path,
    pub(crate) opts: ResourceOpts,
    pub(crate) fn_attrs: &'a [syn::Attribute],
    pub(crate) sig: &'a mut syn::Signature,
    pub(crate) callee: Callee,
}

/// Generates an expression of type `AnyResourceDef`.
pub(crate) fn resource_def(input: ResourceInput<'_>, errors: &mut Errors) -> TokenStream {
    let ResourceInput {
        krate,
        opts,
        fn_attrs,
        sig,
        callee,
    } = input;
    let params = take_params(&mut sig.inputs, ARG_KEYS, errors);
    let ret = named_return(sig, errors);
    let Some(uri) = opts.uri.clone() else {
        return quote!(::core::unreachable!());
    };
    let (vars, template_ok) = match template_variables(&uri.value()) {
        Ok(v) => (v, true),
        Err(e) => {
            errors.at(
                uri.span(),
                format!("invalid URI template: {e}; write variables as `{{name}}` (RFC 6570)"),
            );
            (Vec::new(), false)
        }
    };
    let values: Vec<&crate::common::Param> =
        params.iter().filter(|p| p.kind == Kind::Value).collect();
    // An invalid template has no variables to match arguments against: its error is enough.
    let values_to_check: &[&crate::common::Param] = if template_ok { &values } else { &[] };
    for v in &vars {
        if !values.iter().any(|p| p.name.as_deref() == Some(v.as_str())) {
            errors.at(
                uri.span(),
                format!("template variable `{v}` has no matching argument: add `{v}: String` (or any `FromStr` type) to the function"),
            );
        }
    }
    for p in values_to_check {
        let name = p.name.clone().unwrap_or_default();
        if !vars.contains(&name) {
            errors.at(
                p.span,
                format!("argument `{name}` is not a variable of the template `{}`; add `{{{name}}}` to it, or take an extractor (RequestContext, State<T>, Extension<T>)", uri.value()),
            );
        }
        if p.opts.default.is_some() || p.opts.flatten {
            errors.at(
                p.span,
                "template variables take `description`, `complete` and `name` only",
            );
        }
    }

    let is_template = !vars.is_empty();
    let name = opts
        .name
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| sig.ident.to_string().trim_start_matches("r#").to_owned());
    let description = opts
        .description
        .as_ref()
        .map(LitStr::value)
        .or_else(|| docs(fn_attrs));
    let title = opt_str(opts.title.as_ref().map(LitStr::value).as_deref());
    let description = opt_str(description.as_deref());
    let mime = opt_str(opts.mime_type.as_ref().map(LitStr::value).as_deref());
    let audience = &opts.audience;
    let priority = match opts.priority {
        Some(p) => quote!(::core::option::Option::Some(#p)),
        None => quote!(::core::option::Option::None),
    };
    let icons = opts.icons.iter().map(LitStr::value);
    let meta = meta_tokens(krate, opts.meta.as_ref());
    let scopes = crate::common::scopes_stmt(&opts.scopes, errors);

    let bindings: Vec<Ident> = (0..params.len())
        .map(|i| format_ident!("__p{}", i))
        .collect();
    let ctx = Ident::new("__ctx", Span::call_site());
    let mut stmts = Vec::new();
    for (p, b) in params.iter().zip(&bindings) {
        let ty = &p.ty;
        if p.kind != Kind::Value {
            stmts.extend(extract(krate, p, b, &ctx));
            continue;
        }
        let wire = p.name.clone().unwrap_or_default();
        stmts.push(match option_inner(ty) {
            Some(inner) => quote_spanned! {ty.span()=>
                #krate::__private::assert_str_argument::<#inner>();
                let #b: #ty = #krate::__private::uri_var_opt::<#inner>(&__params, #wire)?;
            },
            None => quote_spanned! {ty.span()=>
                #krate::__private::assert_str_argument::<#ty>();
                let #b: #ty = #krate::__private::uri_var::<#ty>(&__params, #wire)?;
            },
        });
    }
    let call = callee.call(krate, &bindings);
    let call = if sig.asyncness.is_some() {
        quote!(#call.await)
    } else {
        call
    };
    let (ok_ty, is_result) = match result_ok(&ret) {
        Some(t) => (t.clone(), true),
        None => (ret.clone(), false),
    };
    let read = quote_spanned! {ok_ty.span()=>{
        #[allow(unused_imports)]
        use #krate::__private::{ReadTagInto as _, ReadTagJson as _, ReadTagOther as _};
        (&&&#krate::__private::Probe::<#ok_ty>::NEW).read_tag().read(__v, &__uri, __mime)
    }};
    let convert = if is_result {
        let err_span = result_err(&ret).map_or(ret.span(), Spanned::span);
        let failure = respan(quote!(#krate::__private::handler_error(__e)), err_span);
        quote! {
            match __out {
                ::core::result::Result::Ok(__v) => #read,
                ::core::result::Result::Err(__e) => ::core::result::Result::Err(#failure),
            }
        }
    } else {
        quote!({ let __v = __out; #read })
    };
    let capture = callee.capture();
    let capture_outer = match &callee {
        Callee::Free(_) => quote!(),
        Callee::Method { .. } => quote!(let __this = ::std::sync::Arc::clone(&self);),
    };
    let handler = quote! {
        #krate::__private::resource_handler(move |__ctx: #krate::__private::RequestContext, __uri: ::std::string::String, __params: #krate::__private::UriParams| {
            #capture
            async move {
                let __mime: ::core::option::Option<&str> = #mime;
                let _ = &__params;
                #(#stmts)*
                let _ = &__ctx;
                let __out = #call;
                #convert
            }
        })
    };
    if is_template {
        let completions = values.iter().filter_map(|p| {
            let f = p.opts.complete.as_ref()?;
            let wire = p.name.clone().unwrap_or_default();
            Some(crate::common::completion_stmt(krate, &wire, f))
        });
        let list = opts
            .list
            .as_ref()
            .map(|l| quote!(let __def = __def.list_with(#l);));
        quote! {{
            #capture_outer
            let mut __t = #krate::__private::ResourceTemplate::new(#uri, #name);
            __t.title = #title.map(::std::string::String::from);
            __t.description = #description.map(::std::string::String::from);
            __t.mime_type = #mime.map(::std::string::String::from);
            __t.annotations = #krate::__private::resource_annotations(&[#(#audience),*], #priority);
            __t.icons = #krate::__private::icons(&[#(#icons),*]);
            __t.meta = #krate::__private::meta(#meta);
            let __def = #krate::__private::ResourceTemplateDef::new(__t, #handler)
                .expect("the URI template was checked at compile time");
            #(#completions)*
            #list
            #scopes
            #krate::__private::AnyResourceDef::Template(__def)
        }}
    } else {
        if let Some(l) = opts.list.as_ref().filter(|_| template_ok) {
            errors.spanned(
                l,
                "`list` enumerates the instances of a URI template; this URI has no variables: remove `list`, or add `{variables}` to the URI",
            );
        }
        quote! {{
            #capture_outer
            let mut __r = #krate::__private::Resource::new(#uri, #name);
            __r.title = #title.map(::std::string::String::from);
            __r.description = #description.map(::std::string::String::from);
            __r.mime_type = #mime.map(::std::string::String::from);
            __r.annotations = #krate::__private::resource_annotations(&[#(#audience),*], #priority);
            __r.icons = #krate::__private::icons(&[#(#icons),*]);
            __r.meta = #krate::__private::meta(#meta);
            let __def = #krate::__private::ResourceDef::new(__r, #handler);
            #scopes
            #krate::__private::AnyResourceDef::Static(__def)
        }}
    }
}

/// `#[resource]` on a free function.
pub(crate) fn expand_free(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            errors.at(
                Span::call_site(),
                "#[resource] goes on a function, or on a method inside an `impl` block marked #[handlers]",
            );
            return crate::common::with_errors(item, errors);
        }
    };
    let (opts, krate) = parse_resource_opts(attr, &mut errors);
    crate::free::expand(
        &mut func,
        &krate,
        &mut errors,
        |func, krate, errors, inner| {
            let attrs = func.attrs.clone();
            resource_def(
                ResourceInput {
                    krate,
                    opts,
                    fn_attrs: &attrs,
                    sig: &mut func.sig,
                    callee: Callee::Free(inner),
                },
                errors,
            )
        },
        "resource",
        quote!(IntoResourceDef),
        quote!(into_resource_def),
        quote!(AnyResourceDef),
    )
}
