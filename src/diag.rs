//! Diagnostics: errors and warnings with the source span they are about, collected rather than thrown, so
//! that one run reports every problem of a configuration at once (terraform's `tfdiags`).
//!
//! [`SourceMap`] holds the text of every loaded file; a [`Span`] points into one of them. [`render`]
//! prints a diagnostic with its `file:line:col` and the offending source line.

use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::files::SimpleFiles;
use std::fmt;

/// A byte range in one file of the [`SourceMap`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    pub file: u32,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: u32, range: std::ops::Range<usize>) -> Span {
        Span {
            file,
            start: range.start as u32,
            end: range.end as u32,
        }
    }
    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        if self.file != other.file {
            return self;
        }
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// The text of every configuration file, by id.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    files: Vec<SourceFile>,
}

#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The path as shown to the user (relative to the working directory where possible).
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceMap {
    pub fn add(&mut self, name: impl Into<String>, text: impl Into<String>) -> u32 {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        self.files.push(SourceFile {
            name: name.into(),
            text,
            line_starts,
        });
        (self.files.len() - 1) as u32
    }
    pub fn get(&self, id: u32) -> Option<&SourceFile> {
        self.files.get(id as usize)
    }
    pub fn files(&self) -> impl Iterator<Item = (u32, &SourceFile)> {
        self.files.iter().enumerate().map(|(i, f)| (i as u32, f))
    }
    /// One-based line and column of a span's start.
    pub fn line_col(&self, span: Span) -> Option<(usize, usize)> {
        let f = self.get(span.file)?;
        let pos = span.start as usize;
        let line = f.line_starts.partition_point(|&s| s <= pos).saturating_sub(1);
        let col = f
            .text
            .get(f.line_starts[line]..pos)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1;
        Some((line + 1, col))
    }
    /// `file:line:col` of a span.
    pub fn location(&self, span: Span) -> String {
        match (self.get(span.file), self.line_col(span)) {
            (Some(f), Some((l, c))) => format!("{}:{l}:{c}", f.name),
            _ => "<unknown>".to_string(),
        }
    }
    /// The source text of a span.
    pub fn text(&self, span: Span) -> &str {
        self.get(span.file)
            .and_then(|f| f.text.get(span.start as usize..span.end as usize))
            .unwrap_or("")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem, with where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub summary: String,
    pub detail: String,
    pub span: Option<Span>,
}

impl Diagnostic {
    pub fn error(span: Option<Span>, summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            summary: summary.into(),
            detail: detail.into(),
            span,
        }
    }
    pub fn warning(span: Option<Span>, summary: impl Into<String>, detail: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            summary: summary.into(),
            detail: detail.into(),
            span,
        }
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.summary)?;
        if !self.detail.is_empty() {
            write!(f, ": {}", self.detail)?;
        }
        Ok(())
    }
}

/// A list of diagnostics.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn new() -> Diagnostics {
        Diagnostics(Vec::new())
    }
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }
    pub fn error(&mut self, span: Option<Span>, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::error(span, summary, detail));
    }
    pub fn warning(&mut self, span: Option<Span>, summary: impl Into<String>, detail: impl Into<String>) {
        self.push(Diagnostic::warning(span, summary, detail));
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(Diagnostic::is_error)
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn errors(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter().filter(|d| d.is_error())
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Diagnostics {
        Diagnostics(vec![d])
    }
}

/// Renders diagnostics with their source snippets (plain text; the caller adds colour).
pub fn render(diags: &Diagnostics, sources: &SourceMap) -> String {
    let mut files = SimpleFiles::new();
    for (_, f) in sources.files() {
        files.add(f.name.clone(), f.text.clone());
    }
    let config = codespan_reporting::term::Config::default();
    let mut out = String::new();
    for d in &diags.0 {
        let mut cs = match d.severity {
            Severity::Error => CsDiagnostic::error(),
            Severity::Warning => CsDiagnostic::warning(),
        }
        .with_message(&d.summary);
        match d.span.filter(|s| sources.get(s.file).is_some()) {
            Some(s) => {
                cs = cs.with_labels(vec![
                    Label::primary(s.file as usize, s.start as usize..s.end as usize).with_message(&d.detail),
                ]);
            }
            None if !d.detail.is_empty() => cs = cs.with_notes(vec![d.detail.clone()]),
            None => {}
        }
        match codespan_reporting::term::emit_into_string(&config, &files, &cs) {
            Ok(s) => out.push_str(&s),
            Err(_) => out.push_str(&format!("{}: {d}\n", if d.is_error() { "error" } else { "warning" })),
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_file_line_and_column() {
        let mut sm = SourceMap::default();
        let id = sm.add("plans/x/main.tf", "resource \"aws_vpc\" \"a\" {\n  foo = 1\n}\n");
        let start = sm.get(id).unwrap().text.find("foo").unwrap();
        let span = Span::new(id, start..start + 3);
        assert_eq!(sm.location(span), "plans/x/main.tf:2:3");
        let d = Diagnostics::from(Diagnostic::error(
            Some(span),
            "Unsupported argument",
            "An argument named \"foo\" is not expected here.",
        ));
        let out = render(&d, &sm);
        assert!(out.contains("plans/x/main.tf:2:3"), "{out}");
        assert!(out.contains("Unsupported argument"), "{out}");
        assert!(out.contains("foo = 1"), "{out}");
    }
}
