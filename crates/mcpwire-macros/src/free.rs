//! What `#[tool]`, `#[resource]` and `#[prompt]` do to a free function: it becomes a unit
//! struct of the same name that registers with the server (`.tool(add)`) and can still be
//! called like the function (`add(1.0, 2.0).await`) through `Deref` to a function pointer.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::spanned::Spanned;
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
    trait_name: TokenStream,
    method: TokenStream,
    def_ty: TokenStream,
) -> TokenStream {
    let what = "this attribute";
    if let Some(FnArg::Receiver(r)) = func.sig.inputs.first() {
        errors.at(
            r.span(),
            format!("{what} on a method needs #[handlers] on the `impl` block around it"),
        );
    }
    if !func.sig.generics.params.is_empty() {
        errors.at(
            func.sig.generics.span(),
            "generic functions cannot be registered: make it a method of a generic `impl` block marked #[handlers]",
        );
    }
    if func.sig.constness.is_some()
        || func.sig.abi.is_some()
        || !matches!(func.sig.safety, syn::Safety::Default)
    {
        errors.at(
            func.sig.fn_token.span(),
            "handlers are plain `fn` or `async fn`",
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
