//! `#[prompt]`: a function produces a prompt's messages from string arguments.

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
    "icon",
    "meta",
    "scopes",
    "crate",
];
pub(crate) const ARG_KEYS: &[&str] = &["description", "complete", "name"];

#[derive(Default)]
pub(crate) struct PromptOpts {
    name: Option<LitStr>,
    title: Option<LitStr>,
    description: Option<LitStr>,
    icons: Vec<LitStr>,
    meta: Option<Expr>,
    scopes: Vec<LitStr>,
}

pub(crate) fn parse_prompt_opts(tokens: TokenStream, errors: &mut Errors) -> (PromptOpts, Path) {
    let opts = parse_opts(tokens, "#[prompt]", KEYS, &["icon"], errors);
    if let Some(p) = &opts.positional {
        errors.at(
            p.span(),
            "#[prompt] takes no positional value; set the name with `name = \"...\"`",
        );
    }
    let krate = crate::common::crate_path(&opts, errors);
    let mut p = PromptOpts::default();
    for o in &opts.items {
        match o.name().as_str() {
            "name" => p.name = o.string(errors),
            "title" => p.title = o.string(errors),
            "description" => p.description = o.string(errors),
            "icon" => p.icons.extend(o.string(errors)),
            "meta" => p.meta = o.expr(errors),
            "scopes" => p.scopes = o.strings(errors).unwrap_or_default(),
            _ => {}
        }
    }
    (p, krate)
}

pub(crate) struct PromptInput<'a> {
    pub(crate) krate: &'a Path,
    pub(crate) opts: PromptOpts,
    pub(crate) fn_attrs: &'a [syn::Attribute],
    pub(crate) sig: &'a mut syn::Signature,
    pub(crate) callee: Callee,
}

/// Generates an expression of type `PromptDef`.
pub(crate) fn prompt_def(input: PromptInput<'_>, errors: &mut Errors) -> TokenStream {
    let PromptInput {
        krate,
        opts,
        fn_attrs,
        sig,
        callee,
    } = input;
    let params = take_params(&mut sig.inputs, ARG_KEYS, errors);
    let ret = named_return(sig, errors);
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
    let icons = opts.icons.iter().map(LitStr::value);
    let meta = meta_tokens(krate, opts.meta.as_ref());
    let scopes = crate::common::scopes_stmt(&opts.scopes, errors);

    let mut arguments = Vec::new();
    let mut completions = Vec::new();
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
        if p.opts.default.is_some() || p.opts.flatten {
            errors.at(
                p.span,
                "prompt arguments take `description`, `complete` and `name` only",
            );
        }
        let wire = p.name.clone().unwrap_or_default();
        let desc = p
            .opts
            .description
            .as_ref()
            .map(LitStr::value)
            .or_else(|| p.docs.clone());
        let desc = opt_str(desc.as_deref());
        let required = option_inner(ty).is_none();
        arguments.push(quote! {{
            let mut __a = #krate::__private::PromptArgument::new(#wire).required(#required);
            __a.description = #desc.map(::std::string::String::from);
            __a
        }});
        if let Some(f) = &p.opts.complete {
            completions.push(crate::common::completion_stmt(krate, &wire, f));
        }
        stmts.push(match option_inner(ty) {
            Some(inner) => quote_spanned! {ty.span()=>
                #krate::__private::assert_str_argument::<#inner>();
                let #b: #ty = #krate::__private::prompt_arg_opt::<#inner>(&__args, #wire)?;
            },
            None => quote_spanned! {ty.span()=>
                #krate::__private::assert_str_argument::<#ty>();
                let #b: #ty = #krate::__private::prompt_arg::<#ty>(&__args, #wire)?;
            },
        });
    }
    let call = callee.call(krate, &bindings);
    let call = if sig.asyncness.is_some() {
        quote!(#call.await)
    } else {
        call
    };
    // Each conversion is spanned at the type it converts, where a wrong type is reported.
    let convert = match result_ok(&ret) {
        Some(ok_ty) => {
            let err_span = result_err(&ret).map_or(ret.span(), Spanned::span);
            let ok = respan(quote!(#krate::__private::prompt_result(__v)), ok_ty.span());
            let failure = respan(quote!(#krate::__private::handler_error(__e)), err_span);
            quote! {
                match __out {
                    ::core::result::Result::Ok(__v) => #ok,
                    ::core::result::Result::Err(__e) => ::core::result::Result::Err(#failure),
                }
            }
        }
        None => respan(quote!(#krate::__private::prompt_result(__out)), ret.span()),
    };
    let capture = callee.capture();
    let capture_outer = match &callee {
        Callee::Free(_) => quote!(),
        Callee::Method { .. } => quote!(let __this = ::std::sync::Arc::clone(&self);),
    };
    let args_vec = if arguments.is_empty() {
        quote!(::core::option::Option::None)
    } else {
        quote!(::core::option::Option::Some(::std::vec![#(#arguments),*]))
    };
    quote! {{
        #capture_outer
        let mut __p = #krate::__private::Prompt::new(#name);
        __p.title = #title.map(::std::string::String::from);
        __p.description = #description.map(::std::string::String::from);
        __p.arguments = #args_vec;
        __p.icons = #krate::__private::icons(&[#(#icons),*]);
        __p.meta = #krate::__private::meta(#meta);
        let __def = #krate::__private::PromptDef::new(
            __p,
            #krate::__private::prompt_handler(move |__ctx: #krate::__private::RequestContext, __args: ::std::collections::BTreeMap<::std::string::String, ::std::string::String>| {
                #capture
                async move {
                    let _ = &__args;
                    #(#stmts)*
                    let _ = &__ctx;
                    let __out = #call;
                    #convert
                }
            }),
        );
        #(#completions)*
        #scopes
        __def
    }}
}

/// `#[prompt]` on a free function.
pub(crate) fn expand_free(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            errors.at(
                Span::call_site(),
                "#[prompt] goes on a function, or on a method inside an `impl` block marked #[handlers]",
            );
            return crate::common::with_errors(item, errors);
        }
    };
    let (opts, krate) = parse_prompt_opts(attr, &mut errors);
    crate::free::expand(
        &mut func,
        &krate,
        &mut errors,
        |func, krate, errors, inner| {
            let attrs = func.attrs.clone();
            prompt_def(
                PromptInput {
                    krate,
                    opts,
                    fn_attrs: &attrs,
                    sig: &mut func.sig,
                    callee: Callee::Free(inner),
                },
                errors,
            )
        },
        "prompt",
        quote!(IntoPromptDef),
        quote!(into_prompt_def),
        quote!(PromptDef),
    )
}
