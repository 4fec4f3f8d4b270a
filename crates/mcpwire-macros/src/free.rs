//! What `#[tool]`, `#[resource]` and `#[prompt]` do to a free function: it becomes a unit
//! struct of the same name that registers with the server (`.tool(add)`) and can still be
//! called like the function (`add(1.0, 2.0).await`) through `Deref` to a function pointer.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::{FnArg, Ident, ItemFn, Path, Type};

use crate::common::{Errors, cfg_attrs, doc_attrs};

/// Whether `ty` borrows something other than `'static` data (then no function pointer type
/// can stand for the function).
fn has_reference(ty: &Type) -> bool {
    match ty {
        Type::Reference(r) if r.lifetime.as_ref().is_some_and(|l| l.ident == "static") => {
            has_reference(&r.elem)
        }
        Type::Reference(_) | Type::ImplTrait(_) | Type::TraitObject(_) => true,
        Type::Path(p) => p.path.segments.iter().any(|s| match &s.arguments {
            syn::PathArguments::AngleBracketed(a) => a.args.iter().any(|g| match g {
                syn::GenericArgument::Type(t) => has_reference(t),
                syn::GenericArgument::Lifetime(l) => l.ident != "static",
                _ => false,
            }),
            _ => false,
        }),
        Type::Tuple(t) => t.elems.iter().any(has_reference),
        Type::Array(a) => has_reference(&a.elem),
        Type::Slice(s) => has_reference(&s.elem),
        Type::Paren(p) => has_reference(&p.elem),
        Type::Group(g) => has_reference(&g.elem),
        _ => false,
    }
}

/// Expands a free function. `build` receives the function (whose parameter attributes it
/// strips) and the name the function is moved to, and returns the definition expression.
#[allow(clippy::too_many_arguments)]
pub(crate) fn expand(
    func: &mut ItemFn,
    krate: &Path,
    errors: &mut Errors,
    build: impl FnOnce(&mut ItemFn, &Path, &mut Errors, Ident) -> TokenStream,
    what: &str,
    trait_name: TokenStream,
    method: TokenStream,
    def_ty: TokenStream,
) -> TokenStream {
    if let Some(FnArg::Receiver(r)) = func.sig.inputs.first() {
        // A method of an `impl` block: no struct can go there, so keep just the method.
        errors.spanned(
            r,
            format!(
                "#[{what}] on a method needs #[handlers] on the `impl` block around it: add `#[mcpwire::handlers]` above the `impl`"
            ),
        );
        crate::common::strip_param_attrs(&mut func.sig.inputs);
        let errs = std::mem::take(errors).into_tokens();
        return quote!(#func #errs);
    }
    // The unit struct named after the function is in scope in its body, where a parameter
    // of the same name would be a pattern matching the struct: say so, and leave the body
    // out so that it adds no errors of its own.
    let mut clash = false;
    for input in &func.sig.inputs {
        let FnArg::Typed(pt) = input else { continue };
        let syn::Pat::Ident(p) = &*pt.pat else {
            continue;
        };
        if p.ident == func.sig.ident {
            clash = true;
            errors.at(
                p.ident.span(),
                format!(
                    "a parameter cannot have the function's name: #[{what}] makes `{name}` a unit struct; rename the parameter and keep the name clients send with `#[arg(name = \"{name}\")]`",
                    name = p.ident
                ),
            );
        }
    }
    if !func.sig.generics.params.is_empty() {
        errors.spanned(
            &func.sig.generics,
            "generic functions cannot be registered: make it a method of a generic `impl` block marked #[handlers]",
        );
    }
    if let Some(c) = &func.sig.constness {
        errors.spanned(c, "handlers are plain `fn` or `async fn`: remove `const`");
    }
    if let syn::Safety::Unsafe(u) = &func.sig.safety {
        errors.spanned(u, "handlers are plain `fn` or `async fn`: remove `unsafe`");
    }
    if let Some(abi) = &func.sig.abi {
        errors.spanned(
            abi,
            "handlers are plain `fn` or `async fn`: remove the `extern` ABI",
        );
    }
    let ident = func.sig.ident.clone();
    let inner = format_ident!("__mcpwire_{}", ident);
    let def = build(func, krate, errors, inner.clone());

    let vis = func.vis.clone();
    let cfgs = cfg_attrs(&func.attrs);
    let docs = doc_attrs(&func.attrs);
    let mut inner_fn = func.clone();
    inner_fn.sig.ident = inner.clone();
    inner_fn.vis = syn::Visibility::Inherited;
    inner_fn.attrs.retain(|a| !a.path().is_ident("doc"));

    let struct_item = quote! {
        #(#cfgs)*
        #(#docs)*
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug, Default)]
        #vis struct #ident;
    };

    if !errors.is_empty() {
        // Keep the item so that only the reported mistakes show up.
        let errs = std::mem::take(errors).into_tokens();
        let inner_fn = (!clash).then_some(inner_fn);
        return quote! {
            #struct_item
            #(#cfgs)*
            const _: () = {
                #[allow(dead_code)]
                #inner_fn
                impl #krate::__private::#trait_name for #ident {
                    fn #method(self) -> #krate::__private::#def_ty {
                        ::core::unreachable!("the attribute reported a compile error")
                    }
                }
            };
            #errs
        };
    }

    let tys: Vec<&Type> = func
        .sig
        .inputs
        .iter()
        .filter_map(|a| match a {
            FnArg::Typed(pt) => Some(&*pt.ty),
            FnArg::Receiver(_) => None,
        })
        .collect();
    let ret: Type = match &func.sig.output {
        syn::ReturnType::Default => syn::parse_quote!(()),
        syn::ReturnType::Type(_, t) => (**t).clone(),
    };
    let derefable = !tys.iter().any(|t| has_reference(t)) && !has_reference(&ret);
    let deref = derefable.then(|| {
        let args: Vec<Ident> = (0..tys.len()).map(|i| format_ident!("__a{}", i)).collect();
        let (out, value) = if func.sig.asyncness.is_some() {
            (
                quote!(#krate::__private::BoxFuture<'static, #ret>),
                quote!(|#(#args),*| ::std::boxed::Box::pin(#inner(#(#args),*))),
            )
        } else {
            (quote!(#ret), quote!(#inner))
        };
        quote! {
            impl ::core::ops::Deref for #ident {
                type Target = fn(#(#tys),*) -> #out;
                fn deref(&self) -> &Self::Target {
                    const __F: fn(#(#tys),*) -> #out = #value;
                    &__F
                }
            }
        }
    });

    quote! {
        #struct_item
        #(#cfgs)*
        const _: () = {
            #inner_fn
            #deref
            impl #krate::__private::#trait_name for #ident {
                fn #method(self) -> #krate::__private::#def_ty {
                    #def
                }
            }
        };
    }
}
