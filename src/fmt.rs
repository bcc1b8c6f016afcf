//! `infra fmt`: the canonical layout of `.tf` and `.tfvars` files, as `terraform fmt` produces it.
//!
//! The entry points are [`format_source`] (the layout the `infra fmt` command applies) and
//! [`format_source_with`], which takes [`FormatOptions`] to also apply the two expression rewrites
//! `terraform fmt` makes on top of layout.
//!
//! # How it works
//!
//! The text is first parsed with `hcl-edit`; text that is not valid HCL is refused with a `line:col`
//! message and never touched. The parsed tree tells where every block and attribute is. The text is
//! then split into tokens (identifiers, numbers, operators, brackets, quoted-string pieces, heredoc
//! lines, template `${`/`%{`/`}` delimiters, comments, newlines) and only the whitespace *between*
//! tokens is recomputed, the way Terraform's formatter (HCL's `hclwrite`) does it. Token text is
//! never changed, except for block labels and comment/heredoc-marker line ends (below). Finally the
//! result is parsed again and compared with the input's structure (ignoring whitespace and comments);
//! if they differ the function returns an error instead of output that could change meaning.
//!
//! # Rules
//!
//! - **Indentation**: two spaces per open bracket level, counted per line. A line whose brackets
//!   (`{`, `[`, `(`, `${`, `%{`) open more than they close indents the following lines by one level,
//!   however many brackets it opened (`merge(var.tags, {` indents its content once); a line that
//!   closes brackets is itself dedented (`})`). Comment-only lines are indented like any other line.
//! - **Spacing inside a line**: one space around binary operators, `=`, `=>`, `?`, `:` (also the
//!   `:` of an object item, `{ a : 1 }`, as Terraform writes it), after `,`
//!   and around `{`/`}` (`b { a = 1 }`); none inside `()` and `[]`, around `.`, before `,`/`...`,
//!   between a function name and `(`, before an index `[`, after unary `-`/`!`, and inside
//!   `${ }`/`%{ }` (`"${ var.x }"` becomes `"${var.x}"`, `${~ x ~}` becomes `${~x~}`). Empty
//!   braces are written `{}`.
//! - **Alignment**: in a run of consecutive lines that each hold a single-line `name = value`
//!   (block attributes and object-literal items alike), the `=` signs are aligned one space after
//!   the longest name. Any other line ends the run: a blank line, a comment-only line, a block
//!   header or `}`, or a line that opens a multi-line value (`tags = {`). An attribute whose value
//!   is a heredoc takes part in the run of the lines around it, as in Terraform. Trailing `#`/`//`
//!   comments on consecutive lines are aligned in the same way.
//! - **Block headers**: `type "label" "label" {`; bare-identifier labels are quoted, and comments
//!   placed between the block type and its last label are dropped (as Terraform does).
//! - **Untouched**: string contents, heredoc bodies (apart from the spacing inside their `${ }` and
//!   `%{ }` sequences) and their closing markers' indentation, the inside of `/* */` comments, legacy `"${var.x}"` interpolation-only strings (unless
//!   [`FormatOptions::terraform_rewrites`] is set), and vertical whitespace: blank lines are kept as
//!   written, like Terraform, which deliberately leaves vertical spacing to the author.
//! - **Line ends**: trailing spaces and tabs are removed from every line (including inside comments,
//!   but never from heredoc or string content); the file ends with exactly one newline (an empty file
//!   stays empty); `\r\n` line ends are kept; a UTF-8 byte-order mark is dropped.
//!
//! # Differences from `terraform fmt` (1.11)
//!
//! With [`FormatOptions::terraform_rewrites`] set, the output equals `terraform fmt`'s except that:
//!
//! - Terraform keeps a missing final newline, trailing blank lines and trailing whitespace inside
//!   `#`/`//` comments as they are; this formatter normalizes them (Terraform leaves the result alone);
//! - Terraform unwraps one level of `"${"${x}"}"` per run; this formatter unwraps until nothing is
//!   left to unwrap, so that formatting twice changes nothing;
//! - Terraform deletes a block label holding an escaped `$${` or `%%{`; this formatter keeps it.
//!
//! Without the rewrites (the default), interpolation-only strings and variable type spellings stay
//! as written; everything else is as above.
//!
//! Input that `hcl-edit` does not accept is refused even where Terraform would format it, notably
//! object constructors with a repeated key (an error when Terraform evaluates them anyway).

use hcl_edit::expr::{Array, Expression, FuncArgs, Object};
use hcl_edit::structure::{Block, BlockLabel, Body, Structure};
use hcl_edit::template::{Element, ElseTemplateExpr, ForDirective, ForTemplateExpr, IfDirective, IfTemplateExpr};
use hcl_edit::visit_mut::{self, VisitMut};
use hcl_edit::{Decorated, Span as _};
use unicode_segmentation::UnicodeSegmentation;

/// Choices beyond the canonical layout.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FormatOptions {
    /// Also apply the expression rewrites `terraform fmt` makes:
    ///
    /// - an attribute whose whole value is one interpolation, `"${var.x}"`, becomes `var.x` (in
    ///   parentheses when it spans lines); HCL evaluates both the same way;
    /// - in a top-level `variable` block, `type = list`/`map`/`set` becomes `list(any)` (etc.), and the
    ///   pre-0.12 quoted types `"string"`, `"list"`, `"map"` become `string`, `list(string)`,
    ///   `map(string)`.
    ///
    /// Off by default: the default output keeps the same syntax tree as the input.
    pub terraform_rewrites: bool,
}

/// Formats one file's text the way `terraform fmt` does. Err(message with line:col) when the text is
/// not valid HCL.
pub fn format_source(text: &str) -> Result<String, String> {
    format_source_with(text, &FormatOptions::default())
}

/// [`format_source`] with [`FormatOptions`].
pub fn format_source_with(text: &str, options: &FormatOptions) -> Result<String, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let body = parse(text)?;
    let mut out = format_once(text, &body, options);
    if options.terraform_rewrites {
        // An unwrapped interpolation can itself be an interpolation-only string ("${"${x}"}"); keep
        // rewriting until nothing changes so that formatting stays idempotent.
        for _ in 0..8 {
            let again_body = parse(&out).map_err(|e| internal_error(&e))?;
            let again = format_once(&out, &again_body, options);
            if again == out {
                break;
            }
            out = again;
        }
    }
    verify(&body, &out, options)?;
    Ok(out)
}

fn parse(text: &str) -> Result<Body, String> {
    hcl_edit::parser::parse_body(text)
        .map_err(|e| format!("{}:{}: {}", e.location().line(), e.location().column(), e.message()))
}

fn internal_error(detail: &str) -> String {
    format!("internal formatter error, the file was left unchanged (please report this): {detail}")
}

fn format_once(text: &str, body: &Body, options: &FormatOptions) -> String {
    let mut toks = lex(text);
    let mut edits = Vec::new();
    collect_edits(body, &mut Vec::new(), &toks, options, &mut edits);
    edits.sort_by_key(|e| std::cmp::Reverse(e.start));
    for e in edits {
        toks.splice(e.start..e.end, e.with);
    }
    for t in &mut toks {
        trim_token_line_ends(t);
    }
    layout(&mut toks);
    let mut out = String::with_capacity(text.len() + text.len() / 8);
    for t in &toks {
        for _ in 0..t.spaces {
            out.push(' ');
        }
        out.push_str(&t.text);
    }
    finish_file(out, text)
}

/// Exactly one trailing newline (in the file's own line-end style); an empty file stays empty.
fn finish_file(mut out: String, original: &str) -> String {
    let keep = out.trim_end_matches(['\n', '\r', ' ', '\t']).len();
    out.truncate(keep);
    if out.is_empty() {
        return out;
    }
    let crlf = original
        .find('\n')
        .is_some_and(|i| i > 0 && original.as_bytes()[i - 1] == b'\r');
    out.push_str(if crlf { "\r\n" } else { "\n" });
    out
}

/// Checks that `out` parses to the same structure as the input (whitespace and comments aside).
fn verify(input: &Body, out: &str, options: &FormatOptions) -> Result<(), String> {
    let mut got = parse(out).map_err(|e| internal_error(&format!("the output does not parse: {e}")))?;
    let mut want = input.clone();
    normalize_structure(&mut want, options.terraform_rewrites);
    normalize_structure(&mut got, options.terraform_rewrites);
    if got != want {
        return Err(internal_error("the output's structure differs from the input's"));
    }
    Ok(())
}

/// Puts a parsed body in a form where two bodies compare equal exactly when they differ only in
/// layout: labels become strings, raw whitespace kept inside lists, objects, call arguments and
/// template directives is cleared. With `rewrites`, also undoes the differences the Terraform
/// rewrites make (top-level parentheses and single-interpolation strings around attribute values,
/// variable type spellings).
fn normalize_structure(body: &mut Body, rewrites: bool) {
    let mut n = Normalizer {
        rewrites,
        depth: 0,
        in_variable: false,
    };
    n.visit_body_mut(body);
}

struct Normalizer {
    rewrites: bool,
    depth: usize,
    in_variable: bool,
}

impl Normalizer {
    fn attr_value(&self, key: &str, value: &mut Expression) {
        if !self.rewrites {
            return;
        }
        loop {
            let inner = match &*value {
                Expression::Parenthesis(p) => p.inner().clone(),
                Expression::StringTemplate(t) if t.len() == 1 => match t.iter().next() {
                    Some(Element::Interpolation(i)) => i.expr.clone(),
                    _ => break,
                },
                _ => break,
            };
            *value = inner;
        }
        if self.in_variable && self.depth == 1 && key == "type" {
            let canonical = match &*value {
                Expression::Variable(v) if matches!(v.as_str(), "list" | "map" | "set") => {
                    Some(format!("{}(any)", v.as_str()))
                }
                Expression::String(s) => match s.value().as_str() {
                    "string" => Some("string".to_string()),
                    "list" | "map" => Some(format!("{}(string)", s.value())),
                    _ => None,
                },
                _ => None,
            };
            if let Some(c) = canonical.and_then(|c| hcl_edit::parser::parse_expr(&c).ok()) {
                *value = c;
            }
        }
    }
}

impl VisitMut for Normalizer {
    fn visit_body_mut(&mut self, node: &mut Body) {
        for mut s in node.iter_mut() {
            if let Some(mut a) = s.as_attribute_mut() {
                let key = a.key.as_str().to_string();
                self.attr_value(&key, a.value_mut());
            }
        }
        visit_mut::visit_body_mut(self, node);
    }

    fn visit_block_mut(&mut self, node: &mut Block) {
        for l in node.labels.iter_mut() {
            if let BlockLabel::Ident(id) = l {
                *l = BlockLabel::String(Decorated::new(id.as_str().to_string()));
            }
        }
        let outer = self.in_variable;
        self.in_variable = self.depth == 0 && node.ident.as_str() == "variable";
        self.depth += 1;
        visit_mut::visit_block_mut(self, node);
        self.depth -= 1;
        self.in_variable = outer;
    }

    fn visit_array_mut(&mut self, node: &mut Array) {
        node.set_trailing("");
        visit_mut::visit_array_mut(self, node);
    }

    fn visit_object_mut(&mut self, node: &mut Object) {
        node.set_trailing("");
        visit_mut::visit_object_mut(self, node);
    }

    fn visit_func_args_mut(&mut self, node: &mut FuncArgs) {
        node.set_trailing("");
        visit_mut::visit_func_args_mut(self, node);
    }

    fn visit_if_directive_mut(&mut self, node: &mut IfDirective) {
        node.endif_expr.set_preamble("");
        node.endif_expr.set_trailing("");
        visit_mut::visit_if_directive_mut(self, node);
    }

    fn visit_if_template_expr_mut(&mut self, node: &mut IfTemplateExpr) {
        node.set_preamble("");
        visit_mut::visit_if_template_expr_mut(self, node);
    }

    fn visit_else_template_expr_mut(&mut self, node: &mut ElseTemplateExpr) {
        node.set_preamble("");
        node.set_trailing("");
        visit_mut::visit_else_template_expr_mut(self, node);
    }

    fn visit_for_directive_mut(&mut self, node: &mut ForDirective) {
        node.endfor_expr.set_preamble("");
        node.endfor_expr.set_trailing("");
        visit_mut::visit_for_directive_mut(self, node);
    }

    fn visit_for_template_expr_mut(&mut self, node: &mut ForTemplateExpr) {
        node.set_preamble("");
        visit_mut::visit_for_template_expr_mut(self, node);
    }
}

// ---------------------------------------------------------------------------------------------
// Tokens

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum K {
    Ident,
    Number,
    /// `#`/`//` comments include their line end; `/* */` comments do not.
    Comment,
    Newline,
    OBrace,
    CBrace,
    OBrack,
    CBrack,
    OParen,
    CParen,
    OQuote,
    CQuote,
    /// Literal text between the quotes of a quoted string.
    QuotedLit,
    /// `<<EOT` / `<<-EOT` including its line end.
    OHeredoc,
    /// The closing marker line of a heredoc, with its indentation, without its line end.
    CHeredoc,
    /// Literal text of a heredoc body.
    StringLit,
    /// `${` or `${~`.
    Interp,
    /// `%{` or `%{~`.
    Control,
    /// `}` or `~}` closing an interpolation or directive.
    SeqEnd,
    Equal,
    EqualOp,
    NotEqual,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Or,
    Bang,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Question,
    Colon,
    DoubleColon,
    Comma,
    Dot,
    Ellipsis,
    FatArrow,
    Other,
}

#[derive(Debug, Clone)]
struct Tok {
    kind: K,
    text: String,
    /// Byte offset in the source; `usize::MAX` for tokens the formatter made.
    start: usize,
    /// Spaces written before the token.
    spaces: usize,
}

impl Tok {
    fn made(kind: K, text: &str) -> Tok {
        Tok {
            kind,
            text: text.to_string(),
            start: usize::MAX,
            spaces: 0,
        }
    }

    fn bracket_change(&self) -> i32 {
        match self.kind {
            K::OBrace | K::OBrack | K::OParen | K::Interp | K::Control => 1,
            K::CBrace | K::CBrack | K::CParen | K::SeqEnd => -1,
            _ => 0,
        }
    }

    /// Ends a formatting line: a newline, or a `#`/`//` comment (which includes its newline).
    fn ends_line(&self) -> bool {
        self.kind == K::Newline || (self.kind == K::Comment && self.text.ends_with('\n'))
    }

    fn columns(&self) -> usize {
        self.spaces + self.text.graphemes(true).count()
    }
}

enum Mode {
    Main,
    Quoted,
    Heredoc { marker: String, start_of_line: bool },
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
    toks: Vec<Tok>,
    modes: Vec<Mode>,
    /// Open `{`/`${`/`%{` count, and the counts at which template sequences began, so that a `}`
    /// can be told apart as closing a brace or a template sequence.
    braces: i32,
    seq_braces: Vec<i32>,
}

/// Splits valid HCL into tokens. The input has already been parsed, so malformed text only needs
/// to be survived, not diagnosed.
fn lex(src: &str) -> Vec<Tok> {
    let mut lx = Lexer {
        src,
        pos: 0,
        toks: Vec::new(),
        modes: vec![Mode::Main],
        braces: 0,
        seq_braces: Vec::new(),
    };
    while lx.pos < src.len() {
        match lx.modes.last() {
            Some(Mode::Quoted) => lx.quoted(),
            Some(Mode::Heredoc { .. }) => lx.heredoc(),
            _ => lx.main(),
        }
    }
    lx.toks
}

fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || !c.is_ascii()
}

fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '-' || (!c.is_ascii() && !c.is_whitespace())
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn emit(&mut self, kind: K, len: usize) {
        let start = self.pos;
        self.toks.push(Tok {
            kind,
            text: self.src[start..start + len].to_string(),
            start,
            spaces: 0,
        });
        self.pos += len;
    }

    fn line_len_with_end(&self) -> usize {
        self.rest().find('\n').map_or(self.rest().len(), |i| i + 1)
    }

    fn open_sequence(&mut self, kind: K) {
        let len = if self.rest()[2..].starts_with('~') { 3 } else { 2 };
        self.emit(kind, len);
        self.braces += 1;
        self.seq_braces.push(self.braces);
        if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
            *start_of_line = false;
        }
        self.modes.push(Mode::Main);
    }

    fn close_brace(&mut self, len: usize) {
        if self.seq_braces.last() == Some(&self.braces) {
            self.seq_braces.pop();
            self.braces -= 1;
            self.emit(K::SeqEnd, len);
            if self.modes.len() > 1 {
                self.modes.pop();
            }
        } else {
            self.braces -= 1;
            self.emit(if len == 2 { K::SeqEnd } else { K::CBrace }, len);
        }
    }

    fn main(&mut self) {
        let rest = self.rest();
        let c = rest.chars().next().unwrap_or(' ');
        let b = rest.as_bytes();
        let next = b.get(1).copied().unwrap_or(0);
        match c {
            ' ' | '\t' => self.pos += 1,
            '\n' => self.emit(K::Newline, 1),
            '\r' if next == b'\n' => self.emit(K::Newline, 2),
            '#' => {
                let n = self.line_len_with_end();
                self.emit(K::Comment, n)
            }
            '/' if next == b'/' => {
                let n = self.line_len_with_end();
                self.emit(K::Comment, n)
            }
            '/' if next == b'*' => {
                let n = rest[2..].find("*/").map_or(rest.len(), |i| i + 4);
                self.emit(K::Comment, n)
            }
            '0'..='9' => {
                let mut n = 1;
                loop {
                    match b.get(n) {
                        Some(d) if d.is_ascii_digit() => n += 1,
                        Some(b'.') if b.get(n + 1).is_some_and(|d| d.is_ascii_digit()) => n += 2,
                        Some(b'e' | b'E') => {
                            let sign = usize::from(matches!(b.get(n + 1), Some(b'+' | b'-')));
                            if b.get(n + 1 + sign).is_some_and(|d| d.is_ascii_digit()) {
                                n += 2 + sign;
                            } else {
                                break;
                            }
                        }
                        _ => break,
                    }
                }
                self.emit(K::Number, n)
            }
            c if is_ident_start(c) => {
                let n = rest
                    .char_indices()
                    .skip(1)
                    .find(|&(_, ch)| !is_ident_continue(ch))
                    .map_or(rest.len(), |(i, _)| i);
                self.emit(K::Ident, n)
            }
            '"' => {
                self.emit(K::OQuote, 1);
                self.modes.push(Mode::Quoted);
            }
            '<' if next == b'<' => {
                if let Some((len, marker)) = heredoc_opener(rest) {
                    self.emit(K::OHeredoc, len);
                    self.modes.push(Mode::Heredoc {
                        marker,
                        start_of_line: true,
                    });
                } else {
                    self.emit(K::Lt, 1)
                }
            }
            '{' => {
                self.braces += 1;
                self.emit(K::OBrace, 1)
            }
            '}' => self.close_brace(1),
            '~' if next == b'}' => self.close_brace(2),
            _ => {
                let (kind, len) = match (c, next) {
                    ('=', b'=') => (K::EqualOp, 2),
                    ('=', b'>') => (K::FatArrow, 2),
                    ('!', b'=') => (K::NotEqual, 2),
                    ('>', b'=') => (K::Ge, 2),
                    ('<', b'=') => (K::Le, 2),
                    ('&', b'&') => (K::And, 2),
                    ('|', b'|') => (K::Or, 2),
                    (':', b':') => (K::DoubleColon, 2),
                    ('.', b'.') if b.get(2) == Some(&b'.') => (K::Ellipsis, 3),
                    ('=', _) => (K::Equal, 1),
                    ('!', _) => (K::Bang, 1),
                    ('<', _) => (K::Lt, 1),
                    ('>', _) => (K::Gt, 1),
                    ('[', _) => (K::OBrack, 1),
                    (']', _) => (K::CBrack, 1),
                    ('(', _) => (K::OParen, 1),
                    (')', _) => (K::CParen, 1),
                    ('+', _) => (K::Plus, 1),
                    ('-', _) => (K::Minus, 1),
                    ('*', _) => (K::Star, 1),
                    ('/', _) => (K::Slash, 1),
                    ('%', _) => (K::Percent, 1),
                    ('?', _) => (K::Question, 1),
                    (':', _) => (K::Colon, 1),
                    (',', _) => (K::Comma, 1),
                    ('.', _) => (K::Dot, 1),
                    _ => (K::Other, c.len_utf8()),
                };
                self.emit(kind, len)
            }
        }
    }

    fn quoted(&mut self) {
        let rest = self.rest();
        let b = rest.as_bytes();
        match b[0] {
            b'"' => {
                self.emit(K::CQuote, 1);
                self.modes.pop();
                return;
            }
            b'$' if b.get(1) == Some(&b'{') => return self.open_sequence(K::Interp),
            b'%' if b.get(1) == Some(&b'{') => return self.open_sequence(K::Control),
            b'\n' | b'\r' => {
                // A line end inside quotes is not valid HCL; let the quotes end here.
                self.modes.pop();
                return;
            }
            _ => {}
        }
        let mut n = 0;
        while n < b.len() {
            match b[n] {
                b'"' | b'\n' | b'\r' => break,
                b'\\' => n += 1 + rest[n + 1..].chars().next().map_or(0, char::len_utf8),
                b'$' | b'%' if b.get(n + 1) == Some(&b'{') => break,
                c @ (b'$' | b'%') if b.get(n + 1) == Some(&c) && b.get(n + 2) == Some(&b'{') => n += 3,
                _ => n += rest[n..].chars().next().map_or(1, char::len_utf8),
            }
        }
        self.emit(K::QuotedLit, n.clamp(1, b.len()))
    }

    fn heredoc(&mut self) {
        let Some(Mode::Heredoc { marker, start_of_line }) = self.modes.last() else {
            return;
        };
        let rest = self.rest();
        if *start_of_line {
            let line_end = rest.find('\n').unwrap_or(rest.len());
            let line = rest[..line_end].strip_suffix('\r').unwrap_or(&rest[..line_end]);
            if line.trim() == marker.as_str() {
                let nl_len = rest.len().min(line_end + 1) - line.len();
                self.emit(K::CHeredoc, line.len());
                if nl_len > 0 {
                    self.emit(K::Newline, nl_len);
                }
                self.modes.pop();
                return;
            }
        }
        let b = rest.as_bytes();
        let mut n = 0;
        while n < b.len() {
            match b[n] {
                b'\n' => {
                    n += 1;
                    self.emit(K::StringLit, n);
                    if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
                        *start_of_line = true;
                    }
                    return;
                }
                b'$' | b'%' if b.get(n + 1) == Some(&b'{') => break,
                c @ (b'$' | b'%') if b.get(n + 1) == Some(&c) && b.get(n + 2) == Some(&b'{') => n += 3,
                _ => n += 1,
            }
        }
        if n > 0 {
            self.emit(K::StringLit, n);
            if let Some(Mode::Heredoc { start_of_line, .. }) = self.modes.last_mut() {
                *start_of_line = false;
            }
        } else if b[0] == b'$' {
            self.open_sequence(K::Interp)
        } else {
            self.open_sequence(K::Control)
        }
    }
}

/// `<<EOT\n` or `<<-EOT\n` at the start of `s`: the opener's length and the marker.
fn heredoc_opener(s: &str) -> Option<(usize, String)> {
    let body = s.strip_prefix("<<")?;
    let dash = usize::from(body.starts_with('-'));
    let name_part = &body[dash..];
    let first = name_part.chars().next()?;
    if !(first.is_alphabetic() || first == '_' || !first.is_ascii()) {
        return None;
    }
    let name_len = name_part
        .char_indices()
        .find(|&(_, ch)| !is_ident_continue(ch))
        .map_or(name_part.len(), |(i, _)| i);
    let after = &name_part[name_len..];
    let nl = if after.starts_with('\n') {
        1
    } else if after.starts_with("\r\n") {
        2
    } else {
        return None;
    };
    Some((2 + dash + name_len + nl, name_part[..name_len].to_string()))
}

/// Removes spaces and tabs at the ends of lines inside comments and after heredoc closing markers.
fn trim_token_line_ends(t: &mut Tok) {
    match t.kind {
        K::Comment => {
            let mut out = String::with_capacity(t.text.len());
            let mut lines = t.text.split('\n').peekable();
            while let Some(line) = lines.next() {
                let (body, cr) = match line.strip_suffix('\r') {
                    Some(b) => (b, "\r"),
                    None => (line, ""),
                };
                out.push_str(body.trim_end_matches([' ', '\t']));
                out.push_str(cr);
                if lines.peek().is_some() {
                    out.push('\n');
                }
            }
            t.text = out;
        }
        K::CHeredoc => {
            let keep = t.text.trim_end_matches([' ', '\t']).len();
            t.text.truncate(keep);
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// Edits guided by the syntax tree

struct Edit {
    start: usize,
    end: usize,
    with: Vec<Tok>,
}

/// Index of the first token starting at or after byte `offset`.
fn tok_at(toks: &[Tok], offset: usize) -> usize {
    toks.partition_point(|t| t.start < offset)
}

fn collect_edits(body: &Body, path: &mut Vec<String>, toks: &[Tok], options: &FormatOptions, edits: &mut Vec<Edit>) {
    for s in body.iter() {
        match s {
            Structure::Block(b) => {
                if let Some(e) = label_edit(b, toks) {
                    edits.push(e);
                }
                path.push(b.ident.as_str().to_string());
                collect_edits(&b.body, path, toks, options, edits);
                path.pop();
            }
            Structure::Attribute(a) if options.terraform_rewrites => {
                let Some(span) = a.value.span() else { continue };
                let (start, end) = (tok_at(toks, span.start), tok_at(toks, span.end));
                let expr = &toks[start..end];
                let rewritten = if path.len() == 1 && path[0] == "variable" && a.key.as_str() == "type" {
                    rewrite_type(expr)
                } else {
                    unwrap_interpolation(expr)
                };
                if let Some(with) = rewritten {
                    edits.push(Edit { start, end, with });
                }
            }
            Structure::Attribute(_) => {}
        }
    }
}

/// Rewrites the labels of a block header to quoted strings, dropping whatever lies between the block
/// type and the last label (only comments can).
fn label_edit(b: &Block, toks: &[Tok]) -> Option<Edit> {
    let last = b.labels.last()?.span()?;
    let ident = b.ident.span()?;
    let type_at = tok_at(toks, ident.start);
    let (start, end) = (type_at + 1, tok_at(toks, last.end));
    // Only rewrite what is surely a block header: the type, then labels and comments.
    let header = toks
        .get(type_at)
        .is_some_and(|t| t.kind == K::Ident && t.start == ident.start)
        && start <= end
        && toks[start..end]
            .iter()
            .all(|t| matches!(t.kind, K::Ident | K::OQuote | K::QuotedLit | K::CQuote | K::Comment));
    if !header {
        return None;
    }
    let mut with = Vec::new();
    for l in &b.labels {
        with.push(Tok::made(K::OQuote, "\""));
        let escaped = escape_label(l.as_str());
        if !escaped.is_empty() {
            with.push(Tok::made(K::QuotedLit, &escaped));
        }
        with.push(Tok::made(K::CQuote, "\""));
    }
    let unchanged = toks[start..end].len() == with.len()
        && toks[start..end]
            .iter()
            .zip(&with)
            .all(|(a, b)| a.kind == b.kind && a.text == b.text);
    (!unchanged).then_some(Edit { start, end, with })
}

/// A label's value as the text between quotes, with Terraform's escapes.
fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '$' | '%' => {
                out.push(c);
                if chars.peek() == Some(&'{') {
                    out.push(c);
                }
            }
            c if !is_printable(c) => {
                if (c as u32) < 0x10000 {
                    out.push_str(&format!("\\u{:04x}", c as u32));
                } else {
                    out.push_str(&format!("\\U{:08x}", c as u32));
                }
            }
            c => out.push(c),
        }
    }
    out
}

/// Printable as Go's `unicode.IsPrint` sees it, close enough for labels: no control or format
/// characters, and no space other than U+0020.
fn is_printable(c: char) -> bool {
    c == ' '
        || !(c.is_control()
            || c.is_whitespace()
            || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

/// `"${expr}"` (one interpolation, nothing else) to `expr`, in parentheses when it spans lines.
fn unwrap_interpolation(expr: &[Tok]) -> Option<Vec<Tok>> {
    let n = expr.len();
    if n < 5
        || expr[0].kind != K::OQuote
        || expr[1].kind != K::Interp
        || expr[n - 2].kind != K::SeqEnd
        || expr[n - 1].kind != K::CQuote
    {
        return None;
    }
    let inside = &expr[2..n - 2];
    let mut quotes = 0i32;
    for t in inside {
        match t.kind {
            K::OQuote => quotes += 1,
            K::CQuote => quotes -= 1,
            // A comment would swallow the line end the unwrapped value needs; leave such values.
            K::Comment => return None,
            _ if quotes > 0 => {}
            K::Interp | K::SeqEnd | K::QuotedLit => return None,
            _ => {}
        }
    }
    let first = inside.iter().position(|t| t.kind != K::Newline)?;
    let last = inside.iter().rposition(|t| t.kind != K::Newline)?;
    let trimmed = &inside[first..=last];
    let multi_line = trimmed.iter().any(|t| t.kind == K::Newline);
    let wrapped = trimmed[0].kind == K::OParen && trimmed[trimmed.len() - 1].kind == K::CParen;
    let mut out = Vec::with_capacity(trimmed.len() + 2);
    if multi_line && !wrapped {
        out.push(Tok::made(K::OParen, "("));
        out.extend(trimmed.iter().cloned());
        out.push(Tok::made(K::CParen, ")"));
    } else {
        out.extend(trimmed.iter().cloned());
    }
    Some(out)
}

/// Terraform's spelling of a variable's type constraint.
fn rewrite_type(expr: &[Tok]) -> Option<Vec<Tok>> {
    let call = |name: &str, arg: &str| {
        vec![
            Tok::made(K::Ident, name),
            Tok::made(K::OParen, "("),
            Tok::made(K::Ident, arg),
            Tok::made(K::CParen, ")"),
        ]
    };
    match expr {
        [t] if t.kind == K::Ident && matches!(t.text.as_str(), "list" | "map" | "set") => Some(call(&t.text, "any")),
        [o, lit, c] if o.kind == K::OQuote && lit.kind == K::QuotedLit && c.kind == K::CQuote => {
            match lit.text.as_str() {
                "string" => Some(vec![Tok::made(K::Ident, "string")]),
                "list" | "map" => Some(call(&lit.text, "string")),
                _ => None,
            }
        }
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------------
// Layout: the spacing between tokens

/// One line of tokens, split into up to three cells whose first tokens can be aligned with the
/// same cells of neighbouring lines: the lead, the `= value` of a single-line assignment, and a
/// trailing line comment.
struct Line {
    start: usize,
    end: usize,
    assign: Option<usize>,
    comment: Option<usize>,
}

impl Line {
    fn lead_end(&self) -> usize {
        self.assign.or(self.comment).unwrap_or(self.end)
    }

    fn assign_end(&self) -> usize {
        self.comment.unwrap_or(self.end)
    }
}

fn columns(toks: &[Tok]) -> usize {
    toks.iter().map(Tok::columns).sum()
}

fn split_lines(toks: &[Tok]) -> Vec<Line> {
    let mut lines = Vec::new();
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        if t.ends_line() {
            lines.push(Line {
                start,
                end: i + 1,
                assign: None,
                comment: None,
            });
            start = i + 1;
        }
    }
    lines.push(Line {
        start,
        end: toks.len(),
        assign: None,
        comment: None,
    });
    for line in &mut lines {
        if line.end - line.start > 1 && toks[line.end - 1].kind == K::Comment {
            line.comment = Some(line.end - 1);
        }
        let lead_end = line.lead_end();
        if let Some(eq) = (line.start + 1..lead_end).find(|&i| toks[i].kind == K::Equal) {
            // Only a whole single-line value makes an alignable assignment.
            let net: i32 = toks[eq..lead_end].iter().map(Tok::bracket_change).sum();
            if net == 0 {
                line.assign = Some(eq);
            }
        }
    }
    lines
}

fn layout(toks: &mut [Tok]) {
    let lines = split_lines(toks);
    indent(toks, &lines);
    space(toks, &lines);
    align(toks, &lines);
}

fn indent(toks: &mut [Tok], lines: &[Line]) {
    // Each entry is one indentation level and how many brackets the line that opened it left open.
    let mut levels: Vec<i32> = Vec::new();
    for line in lines {
        if line.start == line.end {
            continue;
        }
        if toks[line.start].kind == K::Newline {
            toks[line.start].spaces = 0;
            continue;
        }
        let mut net = 0;
        for t in &toks[line.start..line.lead_end()] {
            net += t.bracket_change();
            if t.kind == K::OHeredoc {
                break;
            }
        }
        if let Some(a) = line.assign {
            net += toks[a..line.assign_end()].iter().map(Tok::bracket_change).sum::<i32>();
        }
        if net > 0 {
            toks[line.start].spaces = 2 * levels.len();
            levels.push(net);
        } else {
            let mut closed = -net;
            while closed > 0 {
                let Some(top) = levels.last_mut() else { break };
                if closed >= *top {
                    closed -= *top;
                    levels.pop();
                } else {
                    *top -= closed;
                    closed = 0;
                }
            }
            toks[line.start].spaces = 2 * levels.len();
        }
    }
}

fn space(toks: &mut [Tok], lines: &[Line]) {
    for line in lines {
        space_cell(toks, line.start, line.lead_end());
        if let Some(a) = line.assign {
            toks[a].spaces = 1;
            space_cell(toks, a, line.assign_end());
        }
    }
}

fn space_cell(toks: &mut [Tok], start: usize, end: usize) {
    for i in start..end.saturating_sub(1) {
        let before = if i > start { Some(toks[i - 1].kind) } else { None };
        let one = space_after(&toks[i], before, &toks[i + 1]);
        toks[i + 1].spaces = usize::from(one);
    }
}

/// Whether one space separates `subject` from the token `after` it on the same line.
fn space_after(subject: &Tok, before: Option<K>, after: &Tok) -> bool {
    use K::*;
    let (s, a) = (subject.kind, after.kind);
    if a == Newline {
        return false;
    }
    if (s == Ident && matches!(a, OParen | DoubleColon)) || (s == DoubleColon && a == Ident) {
        return false;
    }
    if s == Dot || a == Dot || a == Comma || a == Ellipsis {
        return false;
    }
    if s == Comma {
        return true;
    }
    if matches!(s, QuotedLit | StringLit | OQuote | OHeredoc) || matches!(a, QuotedLit | StringLit | CQuote | CHeredoc)
    {
        return false;
    }
    if s == Ident && subject.text == "in" && before == Some(Ident) {
        return true;
    }
    if a == OBrack && (s == Ident || s == Number || subject.bracket_change() < 0) {
        return false;
    }
    if s == Bang {
        return false;
    }
    if s == Minus {
        // Negation takes no space; subtraction does. It is a negation when what precedes cannot end
        // an operand.
        return !matches!(
            before,
            None | Some(
                OParen
                    | OBrace
                    | OBrack
                    | Equal
                    | Colon
                    | Comma
                    | Question
                    | Plus
                    | Star
                    | Slash
                    | Percent
                    | Minus
                    | EqualOp
                    | NotEqual
                    | Gt
                    | Ge
                    | Lt
                    | Le
                    | And
                    | Or
                    | Bang
            )
        );
    }
    if s == OBrace || a == CBrace {
        return !(s == OBrace && a == CBrace);
    }
    if matches!(s, Interp | Control) && a == OBrace {
        return true;
    }
    if s == CBrace && a == SeqEnd {
        return true;
    }
    if s == SeqEnd && matches!(a, Interp | Control) {
        return false;
    }
    if subject.bracket_change() > 0 || after.bracket_change() < 0 {
        return false;
    }
    true
}

fn align(toks: &mut [Tok], lines: &[Line]) {
    // `=` of consecutive single-line assignments.
    for run in runs(lines, |l| l.assign.is_some()) {
        let width = run
            .iter()
            .map(|l| columns(&toks[l.start..l.lead_end()]))
            .max()
            .unwrap_or(0);
        for l in run {
            let own = columns(&toks[l.start..l.lead_end()]);
            toks[l.assign.unwrap_or(l.start)].spaces = width - own + 1;
        }
    }
    // Trailing comments of consecutive lines.
    for run in runs(lines, |l| l.comment.is_some()) {
        let width = run
            .iter()
            .map(|l| columns(&toks[l.start..l.assign_end()]))
            .max()
            .unwrap_or(0);
        for l in run {
            let own = columns(&toks[l.start..l.assign_end()]);
            toks[l.comment.unwrap_or(l.start)].spaces = width - own + 1;
        }
    }
}

/// Maximal runs of consecutive lines for which `member` holds.
fn runs(lines: &[Line], member: fn(&Line) -> bool) -> impl Iterator<Item = &[Line]> {
    lines
        .chunk_by(move |a, b| member(a) == member(b))
        .filter(move |run| member(&run[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<(K, String)> {
        lex(src).into_iter().map(|t| (t.kind, t.text)).collect()
    }

    #[test]
    fn lexes_templates_heredocs_and_comments() {
        use K::*;
        let got = kinds("a = \"x${b}$${c}\" # n\n");
        let want = vec![
            (Ident, "a"),
            (Equal, "="),
            (OQuote, "\""),
            (QuotedLit, "x"),
            (Interp, "${"),
            (Ident, "b"),
            (SeqEnd, "}"),
            (QuotedLit, "$${c}"),
            (CQuote, "\""),
            (Comment, "# n\n"),
        ];
        assert_eq!(
            got,
            want.into_iter().map(|(k, s)| (k, s.to_string())).collect::<Vec<_>>()
        );

        let got = kinds("x = <<-EOT\n  a ${ {b = 1} } %{~ if c ~}\n  EOT\ny = 1.5e+3\n");
        let want = vec![
            (Ident, "x"),
            (Equal, "="),
            (OHeredoc, "<<-EOT\n"),
            (StringLit, "  a "),
            (Interp, "${"),
            (OBrace, "{"),
            (Ident, "b"),
            (Equal, "="),
            (Number, "1"),
            (CBrace, "}"),
            (SeqEnd, "}"),
            (StringLit, " "),
            (Control, "%{~"),
            (Ident, "if"),
            (Ident, "c"),
            (SeqEnd, "~}"),
            (StringLit, "\n"),
            (CHeredoc, "  EOT"),
            (Newline, "\n"),
            (Ident, "y"),
            (Equal, "="),
            (Number, "1.5e+3"),
            (Newline, "\n"),
        ];
        assert_eq!(
            got,
            want.into_iter().map(|(k, s)| (k, s.to_string())).collect::<Vec<_>>()
        );
    }

    #[test]
    fn lexes_operators_longest_first() {
        use K::*;
        let got: Vec<K> = kinds("a=>b==c!=d<=e>=f&&g||h...i::j.0.k")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(
            got,
            vec![
                Ident,
                FatArrow,
                Ident,
                EqualOp,
                Ident,
                NotEqual,
                Ident,
                Le,
                Ident,
                Ge,
                Ident,
                And,
                Ident,
                Or,
                Ident,
                Ellipsis,
                Ident,
                DoubleColon,
                Ident,
                Dot,
                Number,
                Dot,
                Ident
            ]
        );
    }

    #[test]
    fn heredoc_marker_needs_its_own_line() {
        use K::*;
        let got: Vec<K> = kinds("x = <<EOT\nEOT is not the end\nEOT\n")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(got, vec![Ident, Equal, OHeredoc, StringLit, CHeredoc, Newline]);
    }

    fn same_structure(a: &str, b: &str, rewrites: bool) -> bool {
        let (mut x, mut y) = (parse(a).unwrap(), parse(b).unwrap());
        normalize_structure(&mut x, rewrites);
        normalize_structure(&mut y, rewrites);
        x == y
    }

    #[test]
    fn the_safety_check_ignores_layout_only() {
        let layouts = [
            ("a   =  [1,\n  2 ,]\n", "a = [1,\n2,]\n"),
            (
                "resource aws_vpc main { # c\n}\n",
                "resource \"aws_vpc\" \"main\" {\n}\n",
            ),
            (
                "x = \"%{ if a }y%{ else }z%{ endif }\"\n",
                "x = \"%{if a}y%{else}z%{endif}\"\n",
            ),
            ("x = f( 1 ,\n 2 )\ny = { a = 1 }\n", "x = f(1,\n2)\ny = {a=1}\n"),
        ];
        for (a, b) in layouts {
            assert!(same_structure(a, b, false), "{a:?} vs {b:?}");
        }
        assert!(same_structure("a = \"${x}\"\n", "a = x\n", true));
        assert!(same_structure(
            "variable \"v\" {\n  type = list\n}\n",
            "variable \"v\" {\n  type = list(any)\n}\n",
            true
        ));
    }

    #[test]
    fn the_safety_check_catches_changes_of_meaning() {
        let changes = [
            ("a = 1\n", "a = 2\n"),
            ("a = \"x  y\"\n", "a = \"x y\"\n"),
            ("b \"one\" {}\n", "b \"two\" {}\n"),
            ("x = <<EOT\n  a\nEOT\n", "x = <<EOT\na\nEOT\n"),
            ("x = <<-EOT\n    a\n    EOT\n", "x = <<-EOT\n  a\n  EOT\n"),
            ("x = \"${~a}\"\n", "x = \"${a}\"\n"),
            ("a = \"${x}\"\n", "a = x\n"),
            ("a = [1, 2]\n", "a = [1, 2,]\n"),
        ];
        for (a, b) in changes {
            assert!(!same_structure(a, b, false), "{a:?} vs {b:?}");
        }
        let err = verify(&parse("a = 1\n").unwrap(), "a = 2\n", &FormatOptions::default()).unwrap_err();
        assert!(err.starts_with("internal formatter error"), "{err}");
    }

    #[test]
    fn label_escapes() {
        assert_eq!(escape_label("a\"b\\c\td${e}%{f}"), "a\\\"b\\\\c\\td$${e}%%{f}");
        assert_eq!(escape_label("zero\u{200b}width"), "zero\\u200bwidth");
        assert_eq!(escape_label("ümlaut"), "ümlaut");
    }
}
