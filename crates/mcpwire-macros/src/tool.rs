//! `#[tool]`: a function or method becomes an MCP tool.

use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, format_ident, quote, quote_spanned};
use syn::spanned::Spanned;
use syn::{Expr, Ident, LitStr, Path};

use crate::common::{
    Errors, Kind, Param, docs, extract, meta_tokens, named_return, opt_str, option_inner,
    parse_opts, respan, result_err, result_ok, take_params,
};

pub(crate) const KEYS: &[&str] = &[
    "name",
    "title",
    "description",
    "read_only",
    "destructive",
    "idempotent",
    "open_world",
    "icon",
    "meta",
    "lenient",
    "text",
    "scopes",
    "task",
    "crate",
];

pub(crate) const ARG_KEYS: &[&str] = &["description", "default", "name", "flatten", "header"];

/// How generated code reaches the user's function.
pub(crate) enum Callee {
    /// A free function, moved (renamed) into the generated block.
    Free(Ident),
    /// A method; `receiver` says how to call it on `__this: Arc<Self>`.
    Method { ident: Ident, receiver: Receiver },
}

#[derive(Clone, Copy)]
pub(crate) enum Receiver {
    /// `&self`.
    Ref,
    /// `self: Arc<Self>`.
    Arc,
    /// `self` (needs `Self: Clone`); the span of `self`, where a missing `Clone` is reported.
    Value(Span),
    /// No receiver: an associated function.
    None,
}

impl Callee {
    pub(crate) fn call(&self, krate: &Path, args: &[Ident]) -> TokenStream {
        match self {
            Callee::Free(f) => quote!(#f(#(#args),*)),
            Callee::Method { ident, receiver } => match receiver {
                Receiver::Ref => quote!(__this.#ident(#(#args),*)),
                Receiver::Arc => quote!(::std::sync::Arc::clone(&__this).#ident(#(#args),*)),
                Receiver::Value(span) => {
                    // Spanned at `self`, so that a missing `Clone` is reported there.
                    let check = quote_spanned! {*span=>
                        #krate::__private::assert_clone_receiver::<Self>();
                    };
                    quote! {
                        ({
                            #[allow(unused_imports)]
                            use #krate::__private::{CloneTagYes as _, CloneTagNo as _};
                            #check
                            (&&#krate::__private::Probe::<Self>::NEW).clone_tag().clone_of(&*__this)
                        }).#ident(#(#args),*)
                    }
                }
                Receiver::None => quote!(Self::#ident(#(#args),*)),
            },
        }
    }

    /// Statements cloning what the handler closure captured into the future.
    pub(crate) fn capture(&self) -> TokenStream {
        match self {
            Callee::Free(_) => quote!(),
            Callee::Method { .. } => quote!(let __this = ::std::sync::Arc::clone(&__this);),
        }
    }
}

/// What the attribute said.
#[derive(Default)]
pub(crate) struct ToolOpts {
    name: Option<LitStr>,
    title: Option<LitStr>,
    description: Option<LitStr>,
    read_only: Option<bool>,
    destructive: Option<bool>,
    idempotent: Option<bool>,
    open_world: Option<bool>,
    icons: Vec<LitStr>,
    meta: Option<Expr>,
    lenient: bool,
    text: Option<Path>,
    scopes: Vec<LitStr>,
    task: Option<LitStr>,
}

pub(crate) fn parse_tool_opts(tokens: TokenStream, errors: &mut Errors) -> (ToolOpts, Path) {
    let opts = parse_opts(tokens, "#[tool]", KEYS, &["icon"], errors);
    if let Some(p) = &opts.positional {
        errors.at(
            p.span(),
            "#[tool] takes no positional value; set the name with `name = \"...\"`",
        );
    }
    let krate = crate::common::crate_path(&opts, errors);
    let mut t = ToolOpts::default();
    for o in &opts.items {
        match o.name().as_str() {
            "name" => t.name = o.string(errors),
            "title" => t.title = o.string(errors),
            "description" => t.description = o.string(errors),
            "read_only" => t.read_only = o.flag(errors),
            "destructive" => t.destructive = o.flag(errors),
            "idempotent" => t.idempotent = o.flag(errors),
            "open_world" => t.open_world = o.flag(errors),
            "icon" => t.icons.extend(o.string(errors)),
            "meta" => t.meta = o.expr(errors),
            "lenient" => t.lenient = o.flag(errors).unwrap_or(false),
            "text" => t.text = o.path(errors),
            "scopes" => t.scopes = o.strings(errors).unwrap_or_default(),
            "task" => t.task = o.string(errors),
            _ => {}
        }
    }
    (t, krate)
}

/// Checks a tool name against the spec's rules, reporting at `span`.
pub(crate) fn check_name(name: &str, span: Span, errors: &mut Errors) {
    let ok = (1..=128).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if !ok {
        let why = if name.contains(' ') {
            " (no spaces)".to_owned()
        } else if name.len() > 128 {
            format!(" (this one has {})", name.len())
        } else {
            String::new()
        };
        errors.at(
            span,
            format!(
                "invalid tool name `{name}`: use 1 to 128 characters from A-Z, a-z, 0-9, `_`, `-` and `.`{why}"
            ),
        );
    }
}

/// Everything needed to generate a tool from a signature.
pub(crate) struct ToolInput<'a> {
    pub(crate) krate: &'a Path,
    pub(crate) opts: ToolOpts,
    pub(crate) fn_attrs: &'a [syn::Attribute],
    pub(crate) sig: &'a mut syn::Signature,
    pub(crate) callee: Callee,
}

/// Generates an expression of type `ToolDef` (reads the signature's parameters and removes
/// their doc comments and `#[arg]` attributes).
pub(crate) fn tool_def(input: ToolInput<'_>, errors: &mut Errors) -> TokenStream {
    let ToolInput {
        krate,
        opts,
        fn_attrs,
        sig,
        callee,
    } = input;
    let params = take_params(&mut sig.inputs, ARG_KEYS, errors);
    let ret = named_return(sig, errors);
    let is_async = sig.asyncness.is_some();

    let name = opts
        .name
        .as_ref()
        .map(LitStr::value)
        .unwrap_or_else(|| sig.ident.to_string().trim_start_matches("r#").to_owned());
    let name_span = opts.name.as_ref().map_or(sig.ident.span(), LitStr::span);
    check_name(&name, name_span, errors);
    let scopes = crate::common::scopes_stmt(&opts.scopes, errors);
    let task = task_stmt(krate, opts.task.as_ref(), errors);
    let description = opts
        .description
        .as_ref()
        .map(LitStr::value)
        .or_else(|| docs(fn_attrs));

    let values: Vec<&Param> = params.iter().filter(|p| p.kind == Kind::Value).collect();
    let flattened: Vec<&Param> = values.iter().copied().filter(|p| p.opts.flatten).collect();
    for extra in flattened.iter().skip(1) {
        errors.at(
            extra.opts.flatten_span.unwrap_or(extra.span),
            "only one argument can be `#[arg(flatten)]`: merge the structs into one, or pass this one as a named argument",
        );
    }
    let mut headers: Vec<String> = Vec::new();
    for p in &values {
        if let Some(h) = &p.opts.header {
            let name = h.value();
            let valid = !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
            if !valid {
                errors.at(
                    h.span(),
                    "a header name is 1 or more of A-Z a-z 0-9 and !#$%&'*+-.^_`|~ (an HTTP token); it becomes `Mcp-Param-{name}`",
                );
            } else if headers.iter().any(|o| o.eq_ignore_ascii_case(&name)) {
                errors.at(
                    h.span(),
                    "this header name is already used by another argument (header names ignore case); give each argument its own",
                );
            } else {
                headers.push(name);
            }
            if p.opts.flatten {
                errors.at(
                    h.span(),
                    "a flattened argument cannot be mirrored into a header: annotate one of its fields instead",
                );
            }
        }
        if p.opts.flatten && p.opts.default.is_some() {
            errors.at(
                p.opts.default_span.unwrap_or(p.span),
                "a flattened argument cannot have a default: remove `default`, and give the struct's fields `#[serde(default)]` instead",
            );
        }
    }

    // The input schema, built once at registration.
    let schema = if values.is_empty() {
        quote!(#krate::__private::Tool::empty_input_schema())
    } else {
        let props = values.iter().map(|p| {
            let ty = &p.ty;
            if p.opts.flatten {
                return quote_spanned! {ty.span()=>
                    __flat.push((&&#krate::__private::Probe::<#ty>::NEW).arg_tag().schema::<#ty>(&mut __gen));
                };
            }
            let wire = p.name.clone().unwrap_or_default();
            let desc = p.opts.description.as_ref().map(LitStr::value).or_else(|| p.docs.clone());
            let desc = opt_str(desc.as_deref());
            let default_json = match &p.opts.default {
                Some(d) => quote!(#krate::__private::default_json::<#ty>(&(#d))),
                None => quote!(::core::option::Option::None),
            };
            let header = opt_str(p.opts.header.as_ref().map(LitStr::value).as_deref());
            let required = option_inner(ty).is_none() && p.opts.default.is_none();
            let push_required = required.then(|| quote!(__required.push(#wire);));
            quote_spanned! {ty.span()=>
                __props.insert(
                    ::std::string::String::from(#wire),
                    #krate::__private::serde_json::Value::Object(#krate::__private::mirror(
                        #krate::__private::describe(
                            (&&#krate::__private::Probe::<#ty>::NEW).arg_tag().schema::<#ty>(&mut __gen),
                            #desc,
                            #default_json,
                        ),
                        #header,
                    )),
                );
                #push_required
            }
        });
        quote! {{
            #[allow(unused_imports)]
            use #krate::__private::{ArgTagYes as _, ArgTagNo as _};
            let mut __gen = #krate::__private::schema_generator();
            let mut __props = #krate::__private::JsonObject::new();
            #[allow(unused_mut)]
            let mut __required: ::std::vec::Vec<&str> = ::std::vec::Vec::new();
            #[allow(unused_mut)]
            let mut __flat: ::std::vec::Vec<#krate::__private::JsonObject> = ::std::vec::Vec::new();
            #(#props)*
            #krate::__private::object_schema(__gen, __props, __required, __flat)
        }}
    };

    // Statements binding `__p{i}` for every parameter, in order.
    let bindings: Vec<Ident> = (0..params.len())
        .map(|i| format_ident!("__p{}", i))
        .collect();
    let ctx = Ident::new("__ctx", Span::call_site());
    let mut asserts = Vec::new();
    let mut extractors = Vec::new();
    for (p, b) in params.iter().zip(&bindings) {
        let ty = &p.ty;
        if p.kind != Kind::Value {
            extractors.extend(extract(krate, p, b, &ctx));
            continue;
        }
        // One error for a bad type, at the type, saying what it lacks. The checked type is
        // respanned at its first token, where the method call is: the error then has one
        // label there rather than a second one for the call.
        let checked = respan(ty.to_token_stream(), ty.span());
        asserts.push(quote_spanned! {ty.span()=>
            #[allow(unused_imports)]
            use #krate::__private::{ArgCheckOk as _, ArgCheckNoSchema as _, ArgCheckNoDeserialize as _, ArgCheckNeither as _};
            (&&&&#krate::__private::Probe::<#ty>::NEW).arg_check().check::<#checked>();
        });
    }
    let value_bindings: Vec<&Ident> = params
        .iter()
        .zip(&bindings)
        .filter(|(p, _)| p.kind == Kind::Value)
        .map(|(_, b)| b)
        .collect();
    let parse = if values.is_empty() {
        quote!(let _ = &__args;)
    } else if flattened.is_empty() {
        one_pass_arguments(krate, &values, &value_bindings)
    } else {
        map_arguments(krate, &values, &value_bindings)
    };

    let call = callee.call(krate, &bindings);
    let call = if is_async { quote!(#call.await) } else { call };
    let (ok_ty, is_result) = match result_ok(&ret) {
        Some(t) => (t.clone(), true),
        None => (ret.clone(), false),
    };
    let convert_value = match &opts.text {
        Some(render) => {
            // Called directly (so that deref coercions apply, as in `fn(&[T])` for a
            // `Vec<T>`), spanned at the function so that a wrong signature is reported there.
            let text = respan(quote!(#render(&__v)), render.span());
            let convert = respan(
                quote!(#krate::__private::JsonTag.convert_with_text(__v, __text)),
                ok_ty.span(),
            );
            quote! {{
                let __text: ::std::string::String = #text;
                #convert
            }}
        }
        None => quote_spanned! {ok_ty.span()=>{
            #[allow(unused_imports)]
            use #krate::__private::{TagInto as _, TagJson as _, TagOther as _};
            (&&&#krate::__private::Probe::<#ok_ty>::NEW).tag().convert(__v)
        }},
    };
    let convert = if is_result {
        let err_span = result_err(&ret).map_or(ret.span(), Spanned::span);
        let failure = respan(quote!(#krate::__private::tool_failure(__e)), err_span);
        quote! {
            match __out {
                ::core::result::Result::Ok(__v) => #convert_value,
                ::core::result::Result::Err(__e) => #failure,
            }
        }
    } else {
        quote!({ let __v = __out; #convert_value })
    };
    let output_schema = quote! {{
        #[allow(unused_imports)]
        use #krate::__private::{SchemaOfJson as _, SchemaOfJsonWithText as _, SchemaOfInto as _, SchemaOfSerialize as _, SchemaOfOther as _};
        (&&&&#krate::__private::Probe::<#ok_ty>::NEW).output_schema()
    }};

    let title = opt_str(opts.title.as_ref().map(LitStr::value).as_deref());
    let description = opt_str(description.as_deref());
    let annotation_title = title.clone();
    let flag = |f: Option<bool>| match f {
        Some(b) => quote!(::core::option::Option::Some(#b)),
        None => quote!(::core::option::Option::None),
    };
    let (ro, de, id, ow) = (
        flag(opts.read_only),
        flag(opts.destructive),
        flag(opts.idempotent),
        flag(opts.open_world),
    );
    let icons = opts.icons.iter().map(LitStr::value);
    let meta = meta_tokens(krate, opts.meta.as_ref());
    let lenient = opts.lenient;
    let capture = callee.capture();
    let capture_outer = match &callee {
        Callee::Free(_) => quote!(),
        Callee::Method { .. } => quote!(let __this = ::std::sync::Arc::clone(&self);),
    };

    quote! {{
        #capture_outer
        let __schema: #krate::__private::JsonObject = #schema;
        let __tool = #krate::__private::tool(
            #name,
            #title,
            #description,
            ::core::clone::Clone::clone(&__schema),
            #output_schema,
            #krate::__private::tool_annotations(#annotation_title, #ro, #de, #id, #ow),
            &[#(#icons),*],
            #meta,
        );
        let __lenient: ::core::option::Option<::std::sync::Arc<#krate::__private::JsonObject>> =
            if #lenient { ::core::option::Option::Some(::std::sync::Arc::new(__schema)) } else { ::core::option::Option::None };
        let __def = #krate::__private::ToolDef::new(
            __tool,
            #krate::__private::tool_handler(move |__ctx: #krate::__private::RequestContext, __args: #krate::__private::ToolArguments| {
                let __lenient = ::core::clone::Clone::clone(&__lenient);
                #capture
                async move {
                    #(#asserts)*
                    #parse
                    #(#extractors)*
                    let _ = &__ctx;
                    let __out = #call;
                    #convert
                }
            }),
        );
        #scopes
        #task
        __def
    }}
}

/// The statement letting `__def` run as a task (`task = "optional"`), if asked for.
fn task_stmt(krate: &Path, task: Option<&LitStr>, errors: &mut Errors) -> TokenStream {
    let Some(task) = task else {
        return TokenStream::new();
    };
    let support = match task.value().as_str() {
        "forbidden" => quote!(Forbidden),
        "optional" => quote!(Optional),
        "required" => quote!(Required),
        other => {
            errors.at(
                task.span(),
                format!(
                    "unknown task support `{other}`: use `task = \"optional\"` (a task when the client supports tasks), `\"required\"` (only as a task) or `\"forbidden\"`"
                ),
            );
            return TokenStream::new();
        }
    };
    quote!(let __def = __def.task_support(#krate::__private::TaskSupport::#support);)
}

/// The statement binding an argument from its slot `slot` (an `Option` of its value): the
/// value given, else the argument's default, else what a missing argument means for its
/// type (`None` for an `Option`, an error otherwise).
fn bind_from(krate: &Path, p: &Param, binding: &Ident, slot: TokenStream) -> TokenStream {
    let ty = &p.ty;
    let wire = p.name.clone().unwrap_or_default();
    let missing = match &p.opts.default {
        Some(d) => quote!(#d),
        None => quote! {
            match (&&#krate::__private::Probe::<#ty>::NEW).arg_tag().missing::<#ty>(#wire) {
                ::core::result::Result::Ok(__v) => __v,
                ::core::result::Result::Err(__m) => {
                    return ::core::result::Result::Ok(#krate::__private::invalid_arguments(__m));
                }
            }
        },
    };
    quote! {
        let #binding: #ty = match #slot {
            ::core::option::Option::Some(__v) => __v,
            ::core::option::Option::None => #missing,
        };
    }
}

/// Reads every argument in one pass over the arguments object, into one slot each.
fn one_pass_arguments(krate: &Path, values: &[&Param], bindings: &[&Ident]) -> TokenStream {
    let slots: Vec<Ident> = (0..values.len())
        .map(|i| format_ident!("__s{}", i))
        .collect();
    let wires: Vec<String> = values
        .iter()
        .map(|p| p.name.clone().unwrap_or_default())
        .collect();
    // `(s0, (s1, (s2, ())))`, as an expression and as a pattern.
    let mut nested = quote!(());
    let mut pattern = quote!(());
    for (p, s) in values.iter().zip(&slots).rev() {
        let ty = &p.ty;
        nested =
            quote!(((&&#krate::__private::Probe::<#ty>::NEW).arg_tag().slot::<#ty>(), #nested));
        pattern = quote!((#s, #pattern));
    }
    let binds = values
        .iter()
        .zip(bindings)
        .zip(&slots)
        .map(|((p, b), s)| bind_from(krate, p, b, quote!(#s.into_option())));
    quote! {
        #[allow(unused_imports)]
        use #krate::__private::{ArgTagYes as _, ArgTagNo as _};
        let mut __slots = #nested;
        if let ::core::result::Result::Err(__m) = #krate::__private::read_arguments(
            &__args,
            &[#(#wires),*],
            &mut __slots,
            __lenient.as_deref(),
        ) {
            return ::core::result::Result::Ok(#krate::__private::invalid_arguments(__m));
        }
        let #pattern = __slots;
        #(#binds)*
    }
}

/// Parses the arguments into a JSON object and takes each argument out of it; what remains
/// goes to the flattened argument.
fn map_arguments(krate: &Path, values: &[&Param], bindings: &[&Ident]) -> TokenStream {
    let mut takes = Vec::new();
    let mut flat_take = None;
    for (p, b) in values.iter().zip(bindings) {
        let ty = &p.ty;
        if p.opts.flatten {
            let take = quote!((&&#krate::__private::Probe::<#ty>::NEW).arg_tag().take_all::<#ty>(&mut __map));
            flat_take = Some(quote! {
                let #b: #ty = match #take {
                    ::core::result::Result::Ok(__v) => __v,
                    ::core::result::Result::Err(__m) => {
                        return ::core::result::Result::Ok(#krate::__private::invalid_arguments(__m));
                    }
                };
            });
            continue;
        }
        let wire = p.name.clone().unwrap_or_default();
        let slot = quote! {
            match __map.remove(#wire) {
                ::core::option::Option::Some(__v) => {
                    match (&&#krate::__private::Probe::<#ty>::NEW).arg_tag().take_value::<#ty>(__v, #wire) {
                        ::core::result::Result::Ok(__v) => ::core::option::Option::Some(__v),
                        ::core::result::Result::Err(__m) => {
                            return ::core::result::Result::Ok(#krate::__private::invalid_arguments(__m));
                        }
                    }
                }
                ::core::option::Option::None => ::core::option::Option::None,
            }
        };
        takes.push(bind_from(krate, p, b, slot));
    }
    quote! {
        #[allow(unused_imports)]
        use #krate::__private::{ArgTagYes as _, ArgTagNo as _};
        #[allow(unused_mut)]
        let mut __map = match #krate::__private::arguments_object(&__args, __lenient.as_deref()) {
            ::core::result::Result::Ok(__m) => __m,
            ::core::result::Result::Err(__m) => {
                return ::core::result::Result::Ok(#krate::__private::invalid_arguments(__m));
            }
        };
        #(#takes)*
        #flat_take
    }
}

/// `#[tool]` on a free function.
pub(crate) fn expand_free(attr: TokenStream, item: TokenStream) -> TokenStream {
    let mut errors = Errors::default();
    let mut func: syn::ItemFn = match syn::parse2(item.clone()) {
        Ok(f) => f,
        Err(_) => {
            errors.at(
                Span::call_site(),
                "#[tool] goes on a function, or on a method inside an `impl` block marked #[handlers]",
            );
            return crate::common::with_errors(item, errors);
        }
    };
    let (opts, krate) = parse_tool_opts(attr, &mut errors);
    crate::free::expand(
        &mut func,
        &krate,
        &mut errors,
        |func, krate, errors, inner| {
            let attrs = func.attrs.clone();
            tool_def(
                ToolInput {
                    krate,
                    opts,
                    fn_attrs: &attrs,
                    sig: &mut func.sig,
                    callee: Callee::Free(inner),
                },
                errors,
            )
        },
        "tool",
        quote!(IntoToolDef),
        quote!(into_tool_def),
        quote!(ToolDef),
    )
}
