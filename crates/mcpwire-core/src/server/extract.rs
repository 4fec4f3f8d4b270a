//! Typed values handlers can take besides their arguments: extensions and safe paths.

use std::fmt;
use std::path::{Component, Path, PathBuf};
use std::str::FromStr;

use super::context::RequestContext;
use crate::error::Error;

/// A value a transport or layer attached to the request (for example the authenticated
/// user), taken by type from the request's extensions.
#[derive(Clone, Debug)]
pub struct Extension<T>(pub T);

impl<T> std::ops::Deref for Extension<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone + Send + Sync + 'static> Extension<T> {
    /// Takes the extension of type `T` from the request, or fails with an internal error.
    pub fn from_context(ctx: &RequestContext) -> Result<Extension<T>, Error> {
        ctx.extensions()
            .get::<T>()
            .cloned()
            .map(Extension)
            .ok_or_else(|| {
                Error::internal(format!(
                    "the request carries no extension of type `{}`",
                    std::any::type_name::<T>()
                ))
            })
    }
}

/// A relative path that cannot leave the directory it is joined to.
///
/// Parsing refuses `..` components, absolute paths, drive prefixes, backslashes and NUL
/// bytes, so `root.join(path)` stays below `root`. Use it for template variables such as
/// `file:///{+path}`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SafePath(PathBuf);

/// Why a path was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unsafe path `{path}`: {reason}")]
pub struct UnsafePath {
    path: String,
    reason: &'static str,
}

impl SafePath {
    /// The relative path.
    pub fn as_path(&self) -> &Path {
        &self.0
    }

    /// `root` joined with this path: always inside `root`.
    pub fn under(&self, root: impl AsRef<Path>) -> PathBuf {
        root.as_ref().join(&self.0)
    }
}

impl FromStr for SafePath {
    type Err = UnsafePath;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let refuse = |reason| UnsafePath {
            path: s.to_owned(),
            reason,
        };
        if s.is_empty() {
            return Err(refuse("it is empty"));
        }
        if s.contains('\0') {
            return Err(refuse("it contains a NUL byte"));
        }
        if s.contains('\\') {
            return Err(refuse("it contains a backslash"));
        }
        let path = Path::new(s);
        let mut clean = PathBuf::new();
        for c in path.components() {
            match c {
                Component::Normal(part) => clean.push(part),
                Component::CurDir => {}
                Component::ParentDir => return Err(refuse("it contains `..`")),
                Component::RootDir | Component::Prefix(_) => {
                    return Err(refuse("it is absolute"));
                }
            }
        }
        if clean.as_os_str().is_empty() {
            return Err(refuse("it names no file"));
        }
        Ok(SafePath(clean))
    }
}

impl fmt::Display for SafePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.display().fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_paths_stay_below_their_root() {
        for ok in ["a.txt", "dir/b.txt", "./c", "d/./e"] {
            let p: SafePath = ok.parse().unwrap();
            assert!(p.under("/srv/root").starts_with("/srv/root"), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "a/../../x",
            "/etc/passwd",
            "a\\..\\b",
            "a\0b",
            ".",
            "./",
        ] {
            assert!(bad.parse::<SafePath>().is_err(), "{bad:?}");
        }
    }
}
