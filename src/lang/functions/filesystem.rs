//! Filesystem functions: `abspath basename dirname file fileexists filebase64 fileset pathexpand
//! templatefile` (the file hashes `filemd5`... live with the other hashes in [`super::hashing`]).
//!
//! Relative paths given to `file`, `filebase64`, `fileexists`, `fileset`, `templatefile` and the file
//! hashes resolve against [`super::FuncContext::base_dir`] (the module directory); `~` expands to the
//! home directory (not in `fileset`). `abspath` resolves against the process's working directory, as
//! Terraform does. Path manipulation follows Go's `filepath` rules (`dirname("foo")` is `.`,
//! `basename("/a/b/")` is `b`, results are cleaned). `fileset` patterns support `*`, `**` (any number
//! of directories), `?`, `[class]`, `{alt1,alt2}` and `\` escapes, match hidden files like any other,
//! and return only regular files, relative to `path`, with forward slashes.
//!
//! A missing file is an error naming the path ("no file exists at ..."); `file` of bytes that are not
//! UTF-8 is an error suggesting `filebase64`.

use super::encoding::b64;
use super::strings::render;
use super::{Call, Fail, Spec, Ty, Unknowns, arg_err, fail, func, p};
use infra_provider::Value;
use std::path::{Path, PathBuf};

pub(crate) static SPECS: &[Spec] = &[
    func("abspath", &[p("path", Ty::String)], abspath),
    func("basename", &[p("path", Ty::String)], basename),
    func("dirname", &[p("path", Ty::String)], dirname),
    func("file", &[p("path", Ty::String)], file),
    func("fileexists", &[p("path", Ty::String)], fileexists),
    func("filebase64", &[p("path", Ty::String)], filebase64),
    func("fileset", &[p("path", Ty::String), p("pattern", Ty::String)], fileset),
    func("pathexpand", &[p("path", Ty::String)], pathexpand),
    func(
        "templatefile",
        &[p("path", Ty::String), p("vars", Ty::Any)],
        templatefile,
    )
    .unknowns(Unknowns::Shallow),
];

/// Go's `path.Clean` on slash-separated paths.
pub(crate) fn clean(path: &str) -> String {
    if path.is_empty() {
        return ".".into();
    }
    let rooted = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for seg in path.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            s => parts.push(s),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

fn join(a: &str, b: &str) -> String {
    if a.is_empty() {
        return clean(b);
    }
    clean(&format!("{a}/{b}"))
}

fn home_dir() -> Option<String> {
    std::env::var("HOME").ok().filter(|h| !h.is_empty())
}

/// `~` expansion as Terraform's `homedir.Expand` does it.
fn expand(path: &str) -> Result<String, String> {
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(path.to_string());
    };
    if !rest.is_empty() && !rest.starts_with('/') {
        return Err("cannot expand user-specific home dir".into());
    }
    let home = home_dir().ok_or_else(|| "could not determine the home directory".to_string())?;
    Ok(join(&home, rest))
}

/// The file a path argument names: `~` expanded, relative paths joined to the base directory.
fn resolve(c: &Call, path: &str) -> Result<PathBuf, Fail> {
    let expanded = expand(path).map_err(|e| fail(format!("failed to expand ~: {e}")))?;
    if Path::new(&expanded).is_absolute() {
        Ok(PathBuf::from(clean(&expanded)))
    } else {
        Ok(c.ctx.base_dir.join(clean(&expanded)))
    }
}

/// Reads the file named by argument `i`, with Terraform's errors.
pub(crate) fn read_file(c: &Call, i: usize) -> Result<Vec<u8>, Fail> {
    let path = c.str(i);
    let full = resolve(c, path)?;
    std::fs::read(&full).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => arg_err(
            i,
            format!(
                "no file exists at {}; this function works only with files that are distributed as part of the configuration source code, so if this file will be created by a resource in this configuration you must instead obtain this result from an attribute of that resource",
                c.show(i, path)
            ),
        ),
        _ => arg_err(i, format!("failed to read file: {e}")),
    })
}

fn read_text(c: &Call, i: usize) -> Result<String, Fail> {
    let bytes = read_file(c, i)?;
    String::from_utf8(bytes).map_err(|_| {
        fail(format!(
            "contents of {} are not valid UTF-8; use the filebase64 function to obtain the Base64 encoded contents or the other file functions (e.g. filemd5, filesha256) to obtain file hashing results instead",
            c.show(i, c.str(i))
        ))
    })
}

fn file(c: &Call) -> Result<Value, Fail> {
    read_text(c, 0).map(Value::String)
}

fn filebase64(c: &Call) -> Result<Value, Fail> {
    read_file(c, 0).map(|b| Value::String(b64(&b)))
}

fn templatefile(c: &Call) -> Result<Value, Fail> {
    let text = read_text(c, 0)?;
    render(c, &text, 1)
}

fn fileexists(c: &Call) -> Result<Value, Fail> {
    let full = resolve(c, c.str(0))?;
    let shown = c.show(0, &full.to_string_lossy());
    match std::fs::metadata(&full) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Value::Bool(false)),
        Err(_) => Err(fail(format!("failed to stat {shown}"))),
        Ok(m) if m.is_file() => Ok(Value::Bool(true)),
        Ok(m) if m.is_dir() => Err(arg_err(0, format!("{shown} is a directory, not a file"))),
        Ok(_) => Err(arg_err(0, format!("{shown} is not a regular file"))),
    }
}

fn basename(c: &Call) -> Result<Value, Fail> {
    let p = c.str(0);
    if p.is_empty() {
        return Ok(Value::from("."));
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(Value::from("/"));
    }
    Ok(Value::string(trimmed.rsplit('/').next().unwrap_or(trimmed)))
}

fn dirname(c: &Call) -> Result<Value, Fail> {
    let p = c.str(0);
    let dir = match p.rfind('/') {
        Some(i) => &p[..=i],
        None => "",
    };
    Ok(Value::String(clean(dir)))
}

fn abspath(c: &Call) -> Result<Value, Fail> {
    let p = c.str(0);
    if p.starts_with('/') {
        return Ok(Value::String(clean(p)));
    }
    let cwd = std::env::current_dir().map_err(|e| fail(format!("failed to find the working directory: {e}")))?;
    Ok(Value::String(join(&cwd.to_string_lossy(), p)))
}

fn pathexpand(c: &Call) -> Result<Value, Fail> {
    expand(c.str(0)).map(Value::String).map_err(fail)
}

// ---------------------------------------------------------------------------------------------
// fileset
// ---------------------------------------------------------------------------------------------

fn fileset(c: &Call) -> Result<Value, Fail> {
    let path = c.str(0);
    let root = if Path::new(path).is_absolute() {
        clean(path)
    } else {
        join(&c.ctx.base_dir.to_string_lossy(), path)
    };
    let pattern = join(&root, c.str(1));
    let segs: Vec<&str> = pattern.split('/').collect();
    // Walk from the longest prefix of the pattern without wildcards.
    let literal = segs.iter().take_while(|s| !has_meta(s)).count();
    if literal == segs.len() {
        // No wildcards: the pattern names one path.
        let found = std::fs::metadata(&pattern).map(|m| m.is_file()).unwrap_or(false);
        let out = if found {
            vec![Value::String(rel(&root, &pattern))]
        } else {
            Vec::new()
        };
        return Ok(Value::set(out));
    }
    let mut base = segs[..literal].join("/");
    if base.is_empty() {
        base = if pattern.starts_with('/') {
            "/".into()
        } else {
            ".".into()
        };
    }
    let mut found = Vec::new();
    walk(Path::new(&base), &segs[literal..], &mut found)
        .map_err(|e| fail(format!("failed to glob pattern {}: {e}", c.show(1, &pattern))))?;
    let mut out: Vec<Value> = found
        .into_iter()
        .filter(|f| std::fs::metadata(f).map(|m| m.is_file()).unwrap_or(false))
        .map(|f| Value::String(rel(&root, &f.to_string_lossy())))
        .collect();
    out.sort();
    Ok(Value::set(out))
}

/// Collects every path under `dir` matching the remaining pattern segments.
fn walk(dir: &Path, segs: &[&str], out: &mut Vec<PathBuf>) -> Result<(), String> {
    let Some((first, rest)) = segs.split_first() else {
        out.push(dir.to_path_buf());
        return Ok(());
    };
    if *first == "**" {
        // Zero directories...
        walk(dir, rest, out)?;
        // ...or one more level, still matching `**`: a trailing `**` matches files at any depth.
        for entry in read_dir(dir)? {
            let p = dir.join(&entry);
            if is_real_dir(&p) {
                walk(&p, segs, out)?;
            } else if rest.is_empty() {
                out.push(p);
            }
        }
        return Ok(());
    }
    if !has_meta(first) {
        let p = dir.join(unescape(first));
        if (rest.is_empty() || is_real_dir(&p)) && std::fs::symlink_metadata(&p).is_ok() {
            walk(&p, rest, out)?;
        }
        return Ok(());
    }
    for entry in read_dir(dir)? {
        if glob_match(first, &entry) {
            let p = dir.join(&entry);
            if rest.is_empty() {
                out.push(p);
            } else if is_real_dir(&p) {
                walk(&p, rest, out)?;
            }
        }
    }
    Ok(())
}

fn read_dir(dir: &Path) -> Result<Vec<String>, String> {
    match std::fs::read_dir(dir) {
        Ok(rd) => {
            let mut names: Vec<String> = rd
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            names.sort();
            Ok(names)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound || e.kind() == std::io::ErrorKind::NotADirectory => {
            Ok(Vec::new())
        }
        Err(e) => Err(e.to_string()),
    }
}

fn is_real_dir(p: &Path) -> bool {
    std::fs::symlink_metadata(p).map(|m| m.is_dir()).unwrap_or(false)
}

fn has_meta(s: &str) -> bool {
    s.contains(['*', '?', '[', '{', '\\'])
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Matches one path segment against one pattern segment (`*`, `?`, `[...]`, `{a,b}`, `\x`).
pub(crate) fn glob_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let n: Vec<char> = name.chars().collect();
    match_from(&p, &n)
}

fn match_from(p: &[char], n: &[char]) -> bool {
    let Some((&c, prest)) = p.split_first() else {
        return n.is_empty();
    };
    match c {
        '*' => (0..=n.len()).any(|k| match_from(prest, &n[k..])),
        '?' => !n.is_empty() && match_from(prest, &n[1..]),
        '\\' => match prest.split_first() {
            Some((&lit, after)) => n.first() == Some(&lit) && match_from(after, &n[1..]),
            None => n.first() == Some(&'\\') && n.len() == 1,
        },
        '[' => {
            let Some(&ch) = n.first() else { return false };
            match class_match(prest, ch) {
                Some((true, after)) => match_from(after, &n[1..]),
                _ => false,
            }
        }
        '{' => {
            // Find the matching close brace and the top-level alternatives.
            let mut depth = 0;
            let mut alts = Vec::new();
            let mut start = 0;
            let mut end = None;
            for (i, &ch) in prest.iter().enumerate() {
                match ch {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        alts.push(&prest[start..i]);
                        end = Some(i);
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => {
                        alts.push(&prest[start..i]);
                        start = i + 1;
                    }
                    _ => {}
                }
            }
            let Some(end) = end else { return false };
            let after = &prest[end + 1..];
            alts.iter().any(|alt| {
                let mut combined: Vec<char> = alt.to_vec();
                combined.extend_from_slice(after);
                match_from(&combined, n)
            })
        }
        lit => n.first() == Some(&lit) && match_from(prest, &n[1..]),
    }
}

/// Matches `ch` against a character class whose body starts at `p` (after `[`); returns whether it
/// matched and the pattern after the closing `]`.
fn class_match(p: &[char], ch: char) -> Option<(bool, &[char])> {
    let mut i = 0;
    let negate = matches!(p.first(), Some('^' | '!'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == ']' && !first {
            return Some((matched != negate, &p[i + 1..]));
        }
        first = false;
        let mut lo = p[i];
        if lo == '\\' {
            i += 1;
            lo = *p.get(i)?;
        }
        i += 1;
        let mut hi = lo;
        if p.get(i) == Some(&'-') && p.get(i + 1).is_some_and(|c| *c != ']') {
            hi = p[i + 1];
            if hi == '\\' {
                hi = *p.get(i + 2)?;
                i += 1;
            }
            i += 2;
        }
        if lo <= ch && ch <= hi {
            matched = true;
        }
    }
    None
}

/// `target` relative to `base` (both cleaned), with `..` where needed.
fn rel(base: &str, target: &str) -> String {
    let (base, target) = (clean(base), clean(target));
    let b: Vec<&str> = base.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    let t: Vec<&str> = target.split('/').filter(|s| !s.is_empty() && *s != ".").collect();
    let common = b.iter().zip(&t).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<&str> = vec![".."; b.len() - common];
    parts.extend_from_slice(&t[common..]);
    if parts.is_empty() { ".".into() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err_in, call_in, strs};
    use super::{clean, glob_match};
    use infra_provider::Value;
    use std::fs;

    fn fixture() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("hello.txt"), "Hello World").unwrap();
        fs::write(root.join("binary.bin"), [0xff, 0xfe, 0x00]).unwrap();
        fs::write(root.join("greeting.tmpl"), "Hello, ${name}!").unwrap();
        fs::create_dir_all(root.join("files/sub/deeper")).unwrap();
        fs::write(root.join("files/a.txt"), "a").unwrap();
        fs::write(root.join("files/b.json"), "{}").unwrap();
        fs::write(root.join("files/.hidden.txt"), "h").unwrap();
        fs::write(root.join("files/sub/c.txt"), "c").unwrap();
        fs::write(root.join("files/sub/deeper/d.txt"), "d").unwrap();
        dir
    }

    #[test]
    fn reads_files_relative_to_the_base_dir() {
        let dir = fixture();
        let base = dir.path();
        assert_eq!(
            call_in(base, "file", vec!["hello.txt".into()]),
            Value::from("Hello World")
        );
        assert_eq!(
            call_in(base, "file", vec!["./files/../hello.txt".into()]),
            Value::from("Hello World")
        );
        let abs = base.join("hello.txt").to_string_lossy().into_owned();
        assert_eq!(call_in(base, "file", vec![abs.into()]), Value::from("Hello World"));
        assert_eq!(
            call_in(base, "filebase64", vec!["hello.txt".into()]),
            Value::from("SGVsbG8gV29ybGQ=")
        );
        assert_eq!(
            call_in(base, "filebase64", vec!["binary.bin".into()]),
            Value::from("//4A")
        );
        assert_eq!(call_in(base, "fileexists", vec!["hello.txt".into()]), Value::Bool(true));
        assert_eq!(call_in(base, "fileexists", vec!["nope.txt".into()]), Value::Bool(false));

        let e = call_err_in(base, "file", vec!["missing.txt".into()]);
        assert!(e.message.starts_with("Invalid value for \"path\" parameter: no file exists at \"missing.txt\"; this function works only with files"), "{}", e.message);
        assert_eq!(e.arg, Some(0));
        let e = call_err_in(base, "file", vec!["binary.bin".into()]);
        assert!(
            e.message
                .contains("contents of \"binary.bin\" are not valid UTF-8; use the filebase64 function"),
            "{}",
            e.message
        );
        let e = call_err_in(base, "fileexists", vec!["files".into()]);
        assert!(e.message.contains("is a directory, not a file"), "{}", e.message);
        let e = call_err_in(base, "file", vec![Value::from("secret-name.txt").mark()]);
        assert!(
            e.message.contains("no file exists at (sensitive value)") && !e.message.contains("secret-name"),
            "{}",
            e.message
        );
    }

    #[test]
    fn fileset_globs() {
        let dir = fixture();
        let base = dir.path();
        let set = |path: &str, pat: &str| call_in(base, "fileset", vec![path.into(), pat.into()]);
        assert_eq!(set("files", "*.txt"), Value::string_set([".hidden.txt", "a.txt"]));
        assert_eq!(
            set("files", "**/*.txt"),
            Value::string_set([".hidden.txt", "a.txt", "sub/c.txt", "sub/deeper/d.txt"])
        );
        assert_eq!(set("files", "*"), Value::string_set([".hidden.txt", "a.txt", "b.json"]));
        assert_eq!(set("files", "{a,b}.*"), Value::string_set(["a.txt", "b.json"]));
        assert_eq!(set("files", "[ab].txt"), Value::string_set(["a.txt"]));
        assert_eq!(set("files", "sub/*/?.txt"), Value::string_set(["sub/deeper/d.txt"]));
        assert_eq!(set("files", "a.txt"), Value::string_set(["a.txt"]));
        assert_eq!(set("files", "zzz/*"), Value::set(vec![]));
        assert_eq!(set(".", "files/sub/*.txt"), Value::string_set(["files/sub/c.txt"]));
        let abs = base.join("files").to_string_lossy().into_owned();
        assert_eq!(
            call_in(base, "fileset", vec![abs.into(), "sub/**".into()]),
            Value::string_set(["sub/c.txt", "sub/deeper/d.txt"])
        );
    }

    #[test]
    fn templatefile_reads_and_renders() {
        let dir = fixture();
        let render = |t: &str, vars: &std::collections::BTreeMap<String, Value>| -> Result<Value, String> {
            Ok(Value::String(t.replace(
                "${name}",
                vars.get("name").and_then(Value::as_str).unwrap_or("?"),
            )))
        };
        let ctx = super::super::FuncContext {
            base_dir: dir.path(),
            render_template: Some(&render),
        };
        let out = super::super::call(
            "templatefile",
            vec!["greeting.tmpl".into(), Value::map([("name", "Ada".into())])],
            &ctx,
        );
        assert_eq!(out.unwrap(), Value::from("Hello, Ada!"));
        let e = super::super::call("templatefile", vec!["nope.tmpl".into(), Value::empty_map()], &ctx).unwrap_err();
        assert!(e.message.contains("no file exists at \"nope.tmpl\""), "{}", e.message);
        let e = super::super::call("templatefile", vec!["greeting.tmpl".into(), strs(&["x"])], &ctx).unwrap_err();
        assert!(e.message.contains("invalid vars value: must be a map"), "{}", e.message);
        assert_eq!(e.arg, Some(1));
        let unknown = super::super::call("templatefile", vec!["greeting.tmpl".into(), Value::Unknown], &ctx).unwrap();
        assert_eq!(unknown, Value::Unknown);
    }

    #[test]
    fn path_functions() {
        let dir = fixture();
        let base = dir.path();
        let f = |name: &str, arg: &str| call_in(base, name, vec![arg.into()]);
        assert_eq!(f("basename", "foo/bar/baz.txt"), Value::from("baz.txt"));
        assert_eq!(f("basename", "/foo/bar/"), Value::from("bar"));
        assert_eq!(f("basename", "/"), Value::from("/"));
        assert_eq!(f("basename", ""), Value::from("."));
        assert_eq!(f("dirname", "foo/bar/baz.txt"), Value::from("foo/bar"));
        assert_eq!(f("dirname", "/foo/bar/"), Value::from("/foo/bar"));
        assert_eq!(f("dirname", "foo"), Value::from("."));
        assert_eq!(f("dirname", "/foo"), Value::from("/"));
        assert_eq!(f("abspath", "/a/./b/../c"), Value::from("/a/c"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(
            f("abspath", "x/y"),
            Value::String(format!("{}/x/y", cwd.to_string_lossy()))
        );
        let home = std::env::var("HOME").unwrap();
        assert_eq!(
            f("pathexpand", "~/.ssh/id_rsa"),
            Value::String(format!("{home}/.ssh/id_rsa"))
        );
        assert_eq!(f("pathexpand", "/etc/resolv.conf"), Value::from("/etc/resolv.conf"));
        assert!(
            call_err_in(base, "pathexpand", vec!["~bob/x".into()])
                .message
                .contains("cannot expand user-specific home dir")
        );
        assert_eq!(clean("a//b/./../c/"), "a/c");
        assert_eq!(clean("../../x"), "../../x");
        assert_eq!(clean("/../x"), "/x");
        assert!(glob_match("*.t[a-z]t", "file.txt"));
        assert!(!glob_match("*.t[!x]t", "file.txt"));
        assert!(glob_match("\\*", "*"));
        assert!(glob_match("{x,y{1,2}}", "y2"));
    }
}
