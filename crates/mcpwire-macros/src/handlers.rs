//! `#[handlers]` on an `impl` block: its `#[tool]`, `#[resource]` and `#[prompt]` methods
//! become the definitions of `impl Handlers for Self`, each holding an `Arc<Self>`.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, ImplItem, ItemImpl, ReceiverKind, Type};

use crate::common::{Errors, parse_opts};
use crate::prompt::{PromptInput, parse_prompt_opts, prompt_def};
use crate::resource::{ResourceInput, parse_resource_opts, resource_def};
use crate::tool::{Callee, Receiver, ToolInput, parse_tool_opts, tool_def};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Marker {
    Tool,
    Resource,
    Prompt,
}

fn marker(attr: &syn::Attribute) -> Option<Marker> {
    let last = attr.path().segments.last()?.ident.to_string();
    match last.as_str() {
        "tool" => Some(Marker::Tool),
        "resource" => Some(Marker::Resource),
        "prompt" => Some(Marker::Prompt),
        _ => None,
    }
}

fn receiver(f: &syn::ImplItemFn, errors: &mut Errors) -> Receiver {
    match f.sig.inputs.first() {
        Some(FnArg::Receiver(r)) => match &r.kind {
            ReceiverKind::Reference(_, _, None) => Receiver::Ref,
            ReceiverKind::Reference(_, _, Some(m)) => {
                errors.at(
                    m.span(),
                    "handlers share the value: take `&self` (use interior mutability for state that changes)",
                );
                Receiver::Ref
            }
            ReceiverKind::Value => Receiver::Value(r.self_token.span),
            ReceiverKind::Typed(_, ty) => {
                let arc = matches!(&**ty, Type::Path(p) if p.path.segments.last().is_some_and(|s| s.ident == "Arc"));
                if !arc {
                    errors.spanned(
                        ty,
                        "handlers share one value behind an `Arc`: take `&self`, `self` (with `Self: Clone`) or `self: Arc<Self>`",
                    );
                }
                Receiver::Arc
            }
            _ => {
                errors.spanned(
                    r,
                    "handlers share one value behind an `Arc`: take `&self`, `self` (with `Self: Clone`) or `self: Arc<Self>`",
                );
                Receiver::Ref
            }
        },
        _ => Receiver::None,
    }
}

pub(crate) fn expand(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut imp: ItemImpl = match syn::parse2(item.clone()) {
        Ok(i) => i,
        Err(_) => {
            errors.at(Span::call_site(), "#[handlers] goes on an `impl` block");
            return crate::common::with_errors(item, errors);
        }
    };
    let opts = parse_opts(attr, "#[handlers]", &["crate"], &[], &mut errors);
    let krate = crate::common::crate_path(&opts, &mut errors);
    if let Some((path, _)) = &imp.trait_ {
        errors.at(
            path.span(),
            "#[handlers] goes on an inherent `impl` block (`impl MyServer { .. }`), not a trait impl",
        );
    }
    let mut tools = Vec::new();
    let mut resources = Vec::new();
    let mut prompts = Vec::new();
    for item in &mut imp.items {
        let ImplItem::Fn(f) = item else {
            continue;
        };
        let mut found: Option<(Marker, TokenStream, Span)> = None;
        let mut keep = Vec::new();
        for a in f.attrs.drain(..) {
            match marker(&a) {
                Some(m) => {
                    if found.is_some() {
                        errors.spanned(
                            &a,
                            "a method can be one tool, resource or prompt, not several: remove this attribute, or move it to a method of its own",
                        );
                        continue;
                    }
                    let tokens = match &a.meta {
                        syn::Meta::List(l) => l.tokens.clone(),
                        _ => TokenStream::new(),
                    };
                    found = Some((m, tokens, a.span()));
                }
                None => keep.push(a),
            }
        }
        f.attrs = keep;
        let Some((kind, tokens, _)) = found else {
            continue;
        };
        if !f.sig.generics.params.is_empty() {
            errors.spanned(
                &f.sig.generics,
                "handler methods cannot be generic; make the `impl` block generic instead",
            );
        }
        let recv = receiver(f, &mut errors);
        let callee = Callee::Method {
            ident: f.sig.ident.clone(),
            receiver: recv,
        };
        let attrs = f.attrs.clone();
        match kind {
            Marker::Tool => {
                let (o, _) = parse_tool_opts(tokens, &mut errors);
                tools.push(tool_def(
                    ToolInput {
                        krate: &krate,
                        opts: o,
                        fn_attrs: &attrs,
                        sig: &mut f.sig,
                        callee,
                    },
                    &mut errors,
                ));
            }
            Marker::Resource => {
                let (o, _) = parse_resource_opts(tokens, &mut errors);
                resources.push(resource_def(
                    ResourceInput {
                        krate: &krate,
                        opts: o,
                        fn_attrs: &attrs,
                        sig: &mut f.sig,
                        callee,
                    },
                    &mut errors,
                ));
            }
            Marker::Prompt => {
                let (o, _) = parse_prompt_opts(tokens, &mut errors);
                prompts.push(prompt_def(
                    PromptInput {
                        krate: &krate,
                        opts: o,
                        fn_attrs: &attrs,
                        sig: &mut f.sig,
                        callee,
                    },
                    &mut errors,
                ));
            }
        }
    }
    let self_ty = &imp.self_ty;
    let (impl_generics, _, where_clause) = imp.generics.split_for_impl();
    let mut predicates = where_clause
        .map(|w| w.predicates.clone())
        .unwrap_or_default();
    predicates.push(syn::parse_quote!(Self: ::core::marker::Send + ::core::marker::Sync + 'static));
    if !errors.is_empty() {
        // Keep the block and a stand-in `Handlers` impl, so that registering the type
        // adds no error of its own.
        let errs = errors.into_tokens();
        return quote! {
            #imp
            impl #impl_generics #krate::__private::Handlers for #self_ty where #predicates {
                fn definitions(self: ::std::sync::Arc<Self>) -> #krate::__private::Definitions {
                    ::core::unreachable!("#[handlers] reported a compile error")
                }
            }
            #errs
        };
    }
    quote! {
        #imp
        impl #impl_generics #krate::__private::Handlers for #self_ty where #predicates {
            fn definitions(self: ::std::sync::Arc<Self>) -> #krate::__private::Definitions {
                let mut __defs = #krate::__private::Definitions::new();
                #( __defs.tools.push(#tools); )*
                #( __defs.resources.push(#resources); )*
                #( __defs.prompts.push(#prompts); )*
                __defs
            }
        }
    }
}
