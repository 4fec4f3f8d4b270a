//! RFC 6570 URI templates: parsing, expansion, and matching a URI back to its variables.
//!
//! Supported: level 1–3 expressions (`{var}`, `{+var}`, `{#var}`, `{.var}`, `{/var}`,
//! `{;var}`, `{?a,b}`, `{&a}`) with several variables per expression, plus the explode
//! modifier (`{/path*}`) for path segments. Prefix modifiers (`{var:3}`) expand but do not
//! take part in matching beyond their operator.
//!
//! Matching is the inverse of expansion: `file:///{+path}` matches `file:///a/b.txt` with
//! `path = "a/b.txt"`. Values are percent-decoded. Query expressions (`{?a,b}`) accept
//! their parameters in any order and treat each as optional.

use std::collections::BTreeMap;
use std::fmt;

/// A parsed URI template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UriTemplate {
    source: String,
    parts: Vec<Part>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    Expr(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Simple,
    Reserved,
    Fragment,
    Label,
    Path,
    PathParam,
    Query,
    QueryCont,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Expr {
    op: Op,
    vars: Vec<VarSpec>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct VarSpec {
    name: String,
    explode: bool,
    prefix: Option<usize>,
}

/// Why a template could not be parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid URI template `{template}`: {reason}")]
pub struct TemplateError {
    template: String,
    reason: String,
}

impl Op {
    fn from_char(c: char) -> Option<Op> {
        Some(match c {
            '+' => Op::Reserved,
            '#' => Op::Fragment,
            '.' => Op::Label,
            '/' => Op::Path,
            ';' => Op::PathParam,
            '?' => Op::Query,
            '&' => Op::QueryCont,
            _ => return None,
        })
    }

    fn first(self) -> &'static str {
        match self {
            Op::Simple | Op::Reserved => "",
            Op::Fragment => "#",
            Op::Label => ".",
            Op::Path => "/",
            Op::PathParam => ";",
            Op::Query => "?",
            Op::QueryCont => "&",
        }
    }

    fn sep(self) -> &'static str {
        match self {
            Op::Simple | Op::Reserved | Op::Fragment => ",",
            Op::Label => ".",
            Op::Path => "/",
            Op::PathParam => ";",
            Op::Query | Op::QueryCont => "&",
        }
    }

    fn named(self) -> bool {
        matches!(self, Op::PathParam | Op::Query | Op::QueryCont)
    }

    fn allows_reserved(self) -> bool {
        matches!(self, Op::Reserved | Op::Fragment)
    }
}

impl UriTemplate {
    /// Parses a template.
    pub fn parse(template: &str) -> Result<UriTemplate, TemplateError> {
        let err = |reason: String| TemplateError {
            template: template.to_owned(),
            reason,
        };
        let mut parts = Vec::new();
        let mut rest = template;
        while !rest.is_empty() {
            match rest.find(['{', '}']) {
                None => {
                    parts.push(Part::Literal(rest.to_owned()));
                    break;
                }
                Some(i) if rest.as_bytes()[i] == b'}' => {
                    return Err(err(format!(
                        "unmatched `}}` at byte {}",
                        template.len() - rest.len() + i
                    )));
                }
                Some(i) => {
                    if i > 0 {
                        parts.push(Part::Literal(rest[..i].to_owned()));
                    }
                    let close = rest[i..]
                        .find('}')
                        .ok_or_else(|| err("unclosed `{`".into()))?;
                    let body = &rest[i + 1..i + close];
                    parts.push(Part::Expr(parse_expr(body).map_err(err)?));
                    rest = &rest[i + close + 1..];
                }
            }
        }
        Ok(UriTemplate {
            source: template.to_owned(),
            parts,
        })
    }

    /// The template text.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The variable names, in order of appearance.
    pub fn variables(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().flat_map(|p| match p {
            Part::Expr(e) => e.vars.iter().map(|v| v.name.as_str()).collect::<Vec<_>>(),
            Part::Literal(_) => Vec::new(),
        })
    }

    /// Whether the template has no expressions (it is a plain URI).
    pub fn is_static(&self) -> bool {
        self.parts.iter().all(|p| matches!(p, Part::Literal(_)))
    }

    /// Number of literal characters: more literal text means a more specific template.
    pub fn literal_len(&self) -> usize {
        self.parts
            .iter()
            .map(|p| match p {
                Part::Literal(l) => l.len(),
                Part::Expr(_) => 0,
            })
            .sum()
    }

    /// Expands the template with `vars` (undefined variables are omitted, as RFC 6570 says).
    pub fn expand(&self, vars: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Literal(l) => out.push_str(l),
                Part::Expr(e) => {
                    let mut first = true;
                    for v in &e.vars {
                        let Some(value) = vars.get(&v.name) else {
                            continue;
                        };
                        out.push_str(if first { e.op.first() } else { e.op.sep() });
                        first = false;
                        let value: &str = match v.prefix {
                            Some(n) => match value.char_indices().nth(n) {
                                Some((i, _)) => &value[..i],
                                None => value,
                            },
                            None => value,
                        };
                        if e.op.named() {
                            out.push_str(&v.name);
                            if value.is_empty() && e.op == Op::PathParam {
                                continue;
                            }
                            out.push('=');
                        }
                        encode_into(&mut out, value, e.op.allows_reserved());
                    }
                }
            }
        }
        out
    }

    /// Matches `uri` against the template, returning the variables it binds.
    pub fn match_uri(&self, uri: &str) -> Option<BTreeMap<String, String>> {
        let mut out = BTreeMap::new();
        if match_parts(&self.parts, uri, &mut out) {
            Some(out)
        } else {
            None
        }
    }
}

impl fmt::Display for UriTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

impl std::str::FromStr for UriTemplate {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        UriTemplate::parse(s)
    }
}

fn parse_expr(body: &str) -> Result<Expr, String> {
    let mut chars = body.chars();
    let (op, list) = match chars.next() {
        None => return Err("empty expression `{}`".into()),
        Some(c) => match Op::from_char(c) {
            Some(op) => (op, &body[1..]),
            None if matches!(c, '=' | ',' | '!' | '@' | '|') => {
                return Err(format!("reserved operator `{c}`"));
            }
            None => (Op::Simple, body),
        },
    };
    let mut vars = Vec::new();
    for spec in list.split(',') {
        let (name, explode, prefix) = if let Some(n) = spec.strip_suffix('*') {
            (n, true, None)
        } else if let Some((n, len)) = spec.split_once(':') {
            let len: usize = len
                .parse()
                .map_err(|_| format!("bad prefix length in `{spec}`"))?;
            if len == 0 || len >= 10000 {
                return Err(format!("bad prefix length in `{spec}`"));
            }
            (n, false, Some(len))
        } else {
            (spec, false, None)
        };
        let valid = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '%');
        if !valid {
            return Err(format!("bad variable name `{name}`"));
        }
        vars.push(VarSpec {
            name: name.to_owned(),
            explode,
            prefix,
        });
    }
    Ok(Expr { op, vars })
}

fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn is_reserved(b: u8) -> bool {
    matches!(
        b,
        b':' | b'/'
            | b'?'
            | b'#'
            | b'['
            | b']'
            | b'@'
            | b'!'
            | b'$'
            | b'&'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b'+'
            | b','
            | b';'
            | b'='
    )
}

fn encode_into(out: &mut String, value: &str, allow_reserved: bool) {
    let bytes = value.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let pct_triplet = b == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit();
        if is_unreserved(b) || (allow_reserved && (is_reserved(b) || pct_triplet)) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Characters a value of operator `op` may contain when matched (expansion output alphabet).
fn value_char_ok(op: Op, b: u8) -> bool {
    if b == b'%' || is_unreserved(b) {
        return true;
    }
    match op {
        Op::Reserved | Op::Fragment => {
            is_reserved(b) && b != b'#' || (op == Op::Fragment && b == b'#')
        }
        // A simple expansion of a list joins items with `,`.
        Op::Simple => b == b',',
        _ => false,
    }
}

fn match_parts(parts: &[Part], s: &str, out: &mut BTreeMap<String, String>) -> bool {
    let Some((first, rest)) = parts.split_first() else {
        return s.is_empty();
    };
    match first {
        Part::Literal(l) => match s.strip_prefix(l.as_str()) {
            Some(remaining) => match_parts(rest, remaining, out),
            None => false,
        },
        Part::Expr(e) if matches!(e.op, Op::Query | Op::QueryCont) => {
            // Query expressions take everything up to a fragment; parameters are optional and
            // may come in any order.
            let end = s.find('#').unwrap_or(s.len());
            let (q, remaining) = s.split_at(end);
            let body = if q.is_empty() {
                ""
            } else {
                match q.strip_prefix(e.op.first()) {
                    Some(b) => b,
                    None => return false,
                }
            };
            let mut found = BTreeMap::new();
            if !body.is_empty() {
                for pair in body.split('&') {
                    let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
                    if e.vars.iter().any(|var| var.name == k) {
                        match percent_decode(v) {
                            Some(v) => {
                                found.insert(k.to_owned(), v);
                            }
                            None => return false,
                        }
                    }
                }
            }
            let saved = out.clone();
            out.extend(found);
            if match_parts(rest, remaining, out) {
                true
            } else {
                *out = saved;
                false
            }
        }
        Part::Expr(e) => {
            let prefix = e.op.first();
            let s = match s.strip_prefix(prefix) {
                Some(r) => r,
                // The expression expanded to nothing: every variable was undefined.
                None => return match_parts(rest, s, out),
            };
            // Try the longest candidate first for reserved expansion (paths), shortest
            // otherwise; both are deterministic.
            let max = candidate_len(e, s, rest);
            let order: Box<dyn Iterator<Item = usize>> = if e.op.allows_reserved() {
                Box::new((1..=max).rev())
            } else {
                Box::new(1..=max)
            };
            for len in order {
                if !s.is_char_boundary(len) {
                    continue;
                }
                let (value, remaining) = s.split_at(len);
                let saved = out.clone();
                if bind_expr(e, value, out) && match_parts(rest, remaining, out) {
                    return true;
                }
                *out = saved;
            }
            false
        }
    }
}

/// How many leading bytes of `s` could belong to expression `e`, given the parts after it.
fn candidate_len(e: &Expr, s: &str, rest: &[Part]) -> usize {
    let explode_path = e.op == Op::Path && e.vars.iter().any(|v| v.explode);
    let multi = e.vars.len() > 1 || explode_path;
    // A reserved expansion may contain `?` and `#`, but not where a later query or
    // fragment expression has to start.
    let later = |ops: &[Op]| {
        rest.iter()
            .any(|p| matches!(p, Part::Expr(x) if ops.contains(&x.op)))
    };
    let stop_query = later(&[Op::Query, Op::QueryCont]);
    let stop_fragment = later(&[Op::Fragment]);
    s.bytes()
        .take_while(|&b| {
            !(stop_query && (b == b'?' || b == b'&'))
                && !(stop_fragment && b == b'#')
                && value_char_ok(e.op, b)
                || (multi && e.op.sep().as_bytes()[0] == b)
                || (e.op.named() && b == b'=')
        })
        .count()
}

fn bind_expr(e: &Expr, text: &str, out: &mut BTreeMap<String, String>) -> bool {
    if e.op.named() {
        for item in text.split(e.op.sep()) {
            let (k, v) = item.split_once('=').unwrap_or((item, ""));
            if !e.vars.iter().any(|var| var.name == k) {
                return false;
            }
            match percent_decode(v) {
                Some(v) => {
                    out.insert(k.to_owned(), v);
                }
                None => return false,
            }
        }
        return true;
    }
    if e.vars.len() == 1 {
        let v = &e.vars[0];
        // `{/path*}` binds every segment, joined by `/`; otherwise a single value may not
        // contain its operator's separator.
        let exploded_path = v.explode && e.op == Op::Path;
        if !exploded_path
            && e.op != Op::Simple
            && !e.op.allows_reserved()
            && text.contains(e.op.sep())
        {
            return false;
        }
        return match percent_decode(text) {
            Some(v) if !v.is_empty() => {
                out.insert(e.vars[0].name.clone(), v);
                true
            }
            _ => false,
        };
    }
    let items: Vec<&str> = text.split(e.op.sep()).collect();
    if items.len() > e.vars.len() {
        return false;
    }
    for (var, item) in e.vars.iter().zip(items) {
        match percent_decode(item) {
            Some(v) => {
                out.insert(var.name.clone(), v);
            }
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn parses_and_rejects() {
        assert!(UriTemplate::parse("file:///{+path}").is_ok());
        assert!(UriTemplate::parse("x{").is_err());
        assert!(UriTemplate::parse("x}").is_err());
        assert!(UriTemplate::parse("x{}").is_err());
        assert!(UriTemplate::parse("x{=a}").is_err());
        assert!(UriTemplate::parse("x{a b}").is_err());
        assert!(UriTemplate::parse("plain://uri").unwrap().is_static());
    }

    #[test]
    fn expands_rfc6570_examples() {
        let v = vars(&[
            ("var", "value"),
            ("hello", "Hello World!"),
            ("path", "/foo/bar"),
            ("x", "1024"),
            ("y", "768"),
        ]);
        let cases = [
            ("{var}", "value"),
            ("{hello}", "Hello%20World%21"),
            ("{+hello}", "Hello%20World!"),
            ("{+path}/here", "/foo/bar/here"),
            ("{#path}", "#/foo/bar"),
            ("{x,y}", "1024,768"),
            ("map?{x,y}", "map?1024,768"),
            ("{.var}", ".value"),
            ("{/var,x}/here", "/value/1024/here"),
            ("{;x,y}", ";x=1024;y=768"),
            ("{?x,y}", "?x=1024&y=768"),
            ("?fixed=yes{&x}", "?fixed=yes&x=1024"),
            ("{var:3}", "val"),
            ("{?x,undef}", "?x=1024"),
        ];
        for (t, expected) in cases {
            assert_eq!(UriTemplate::parse(t).unwrap().expand(&v), expected, "{t}");
        }
    }

    #[test]
    fn matches_back_to_variables() {
        let t = UriTemplate::parse("test://template/{id}/data").unwrap();
        assert_eq!(
            t.match_uri("test://template/123/data"),
            Some(vars(&[("id", "123")]))
        );
        assert_eq!(t.match_uri("test://template//data"), None);
        assert_eq!(t.match_uri("test://template/1/2/data"), None);
        assert_eq!(t.match_uri("test://other/1/data"), None);

        let t = UriTemplate::parse("file:///{+path}").unwrap();
        assert_eq!(
            t.match_uri("file:///a/b%20c.txt"),
            Some(vars(&[("path", "a/b c.txt")]))
        );

        let t = UriTemplate::parse("repo://{owner}{/segments*}").unwrap();
        assert_eq!(
            t.match_uri("repo://me/src/lib.rs"),
            Some(vars(&[("owner", "me"), ("segments", "src/lib.rs")]))
        );

        let t = UriTemplate::parse("search://items{?q,limit}").unwrap();
        assert_eq!(
            t.match_uri("search://items?limit=5&q=rust%20mcp"),
            Some(vars(&[("q", "rust mcp"), ("limit", "5")]))
        );
        assert_eq!(t.match_uri("search://items"), Some(vars(&[])));
        assert_eq!(t.match_uri("search://items?q=x"), Some(vars(&[("q", "x")])));

        let t = UriTemplate::parse("db://{table}/{id}.json").unwrap();
        assert_eq!(
            t.match_uri("db://users/42.json"),
            Some(vars(&[("table", "users"), ("id", "42")]))
        );
    }

    #[test]
    fn expansion_and_matching_round_trip() {
        let t = UriTemplate::parse("x://{a}/{+b}{?c,d}").unwrap();
        let v = vars(&[("a", "one two"), ("b", "p/q"), ("c", "3"), ("d", "é")]);
        let uri = t.expand(&v);
        assert_eq!(t.match_uri(&uri), Some(v));
    }
}
