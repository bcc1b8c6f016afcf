//! The syntax tree the evaluator works on, converted once from `hcl-edit`'s lossless tree.
//!
//! `hcl-edit` keeps every comment and whitespace (which `infra fmt` needs); evaluation needs none of that,
//! but needs a [`Span`] on every node for diagnostics. [`Body`] is the structural part (attributes and
//! blocks), [`Expr`] the expression language, [`TemplatePart`] string templates and heredocs.

use crate::diag::{Diagnostic, Diagnostics, Span};
use hcl_edit::Span as _;
use hcl_edit::expr::{BinaryOperator, Expression, ObjectKey, TraversalOperator, UnaryOperator};
use hcl_edit::structure::{BlockLabel, Structure};
use hcl_edit::template::{Directive, Element, Template};
use infra_provider::Value;

/// A block body: attributes and nested blocks, in source order.
#[derive(Clone, Debug, Default)]
pub struct Body {
    pub attrs: Vec<Attr>,
    pub blocks: Vec<Block>,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Attr {
    pub name: String,
    pub name_span: Span,
    pub expr: Expr,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub struct Block {
    pub kind: String,
    pub kind_span: Span,
    pub labels: Vec<(String, Span)>,
    pub body: Body,
    pub span: Span,
}

impl Body {
    pub fn attr(&self, name: &str) -> Option<&Attr> {
        self.attrs.iter().find(|a| a.name == name)
    }
    pub fn blocks_of<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Block> + 'a {
        self.blocks.iter().filter(move |b| b.kind == kind)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Eq,
    NotEq,
    Less,
    LessEq,
    Greater,
    GreaterEq,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    And,
    Or,
}

/// One step of a traversal.
#[derive(Clone, Debug)]
pub enum Step {
    /// `.name`
    Attr(String, Span),
    /// `[expr]` or legacy `.0`
    Index(Box<Expr>, Span),
    /// `.*` — applies the following attribute steps to every element.
    AttrSplat(Span),
    /// `[*]` — applies all following steps to every element.
    FullSplat(Span),
}

/// An object key: a bare identifier is a literal key; anything else is an expression.
#[derive(Clone, Debug)]
pub enum ObjKey {
    Name(String, Span),
    Expr(Expr),
}

#[derive(Clone, Debug)]
pub enum TemplatePart {
    Lit(String),
    Interp(Expr),
    If {
        cond: Expr,
        then: Vec<TemplatePart>,
        otherwise: Vec<TemplatePart>,
    },
    For {
        key_var: Option<String>,
        value_var: String,
        coll: Expr,
        body: Vec<TemplatePart>,
    },
}

#[derive(Clone, Debug)]
pub enum Expr {
    Literal(Value, Span),
    Template(Vec<TemplatePart>, Span),
    Tuple(Vec<Expr>, Span),
    Object(Vec<(ObjKey, Expr)>, Span),
    /// A root name: `var`, `local`, `aws_vpc`, `count`, a `for` variable...
    Var(String, Span),
    Traversal(Box<Expr>, Vec<Step>, Span),
    Call {
        name: String,
        args: Vec<Expr>,
        expand_final: bool,
        span: Span,
    },
    Cond(Box<Expr>, Box<Expr>, Box<Expr>, Span),
    Unary(UnaryOp, Box<Expr>, Span),
    Binary(BinaryOp, Box<Expr>, Box<Expr>, Span),
    For(Box<ForExpr>),
}

#[derive(Clone, Debug)]
pub struct ForExpr {
    pub key_var: Option<String>,
    pub value_var: String,
    pub coll: Expr,
    pub key_expr: Option<Expr>,
    pub value_expr: Expr,
    pub cond: Option<Expr>,
    pub grouping: bool,
    pub span: Span,
}

impl Expr {
    pub fn span(&self) -> Span {
        match self {
            Expr::Literal(_, s)
            | Expr::Template(_, s)
            | Expr::Tuple(_, s)
            | Expr::Object(_, s)
            | Expr::Var(_, s)
            | Expr::Traversal(_, _, s)
            | Expr::Call { span: s, .. }
            | Expr::Cond(_, _, _, s)
            | Expr::Unary(_, _, s)
            | Expr::Binary(_, _, _, s) => *s,
            Expr::For(f) => f.span,
        }
    }

    /// A literal value, when the expression is one (including literal tuples/objects).
    pub fn as_literal(&self) -> Option<Value> {
        match self {
            Expr::Literal(v, _) => Some(v.clone()),
            Expr::Template(parts, _) => match parts.as_slice() {
                [] => Some(Value::string("")),
                [TemplatePart::Lit(s)] => Some(Value::string(s.clone())),
                _ => None,
            },
            Expr::Tuple(items, _) => items
                .iter()
                .map(Expr::as_literal)
                .collect::<Option<Vec<_>>>()
                .map(Value::List),
            Expr::Object(items, _) => {
                let mut m = std::collections::BTreeMap::new();
                for (k, v) in items {
                    let key = match k {
                        ObjKey::Name(n, _) => n.clone(),
                        ObjKey::Expr(e) => e.as_literal()?.as_str()?.to_string(),
                    };
                    m.insert(key, v.as_literal()?);
                }
                Some(Value::Map(m))
            }
            Expr::Unary(UnaryOp::Neg, e, _) => e.as_literal()?.as_f64().map(|n| Value::number(-n)),
            _ => None,
        }
    }

    /// The traversal as a static path of names (`aws_vpc.main.id` → [aws_vpc, main, id]), when it is one
    /// (used for `depends_on`, `ignore_changes`, `provider = aws.west`).
    pub fn as_static_names(&self) -> Option<Vec<(String, Span)>> {
        match self {
            Expr::Var(n, s) => Some(vec![(n.clone(), *s)]),
            Expr::Traversal(base, steps, _) => {
                let mut out = base.as_static_names()?;
                for st in steps {
                    match st {
                        Step::Attr(n, s) => out.push((n.clone(), *s)),
                        Step::Index(e, s) => match e.as_literal()? {
                            Value::String(k) => out.push((k, *s)),
                            Value::Number(n) => out.push((n.to_string(), *s)),
                            _ => return None,
                        },
                        _ => return None,
                    }
                }
                Some(out)
            }
            _ => None,
        }
    }
}

/// Converts `hcl-edit` trees of file `file` into [`Body`]/[`Expr`], reporting constructs infra does not
/// support.
pub struct Converter {
    pub file: u32,
    pub diags: Diagnostics,
    /// The text the trees were parsed from, when known: `<<-` heredocs are re-read from it.
    source: Option<String>,
}

impl Converter {
    pub fn new(file: u32) -> Converter {
        Converter {
            file,
            diags: Diagnostics::new(),
            source: None,
        }
    }

    /// A converter for trees parsed from `text`.
    pub fn with_source(file: u32, text: &str) -> Converter {
        Converter {
            source: Some(text.to_string()),
            ..Converter::new(file)
        }
    }

    fn span(&self, r: Option<std::ops::Range<usize>>) -> Span {
        r.map(|r| Span::new(self.file, r)).unwrap_or(Span {
            file: self.file,
            start: 0,
            end: 0,
        })
    }

    pub fn body(&mut self, body: &hcl_edit::structure::Body) -> Body {
        let mut out = Body::default();
        let mut start = usize::MAX;
        let mut end = 0;
        for s in body.iter() {
            if let Some(r) = s.span() {
                start = start.min(r.start);
                end = end.max(r.end);
            }
            match s {
                Structure::Attribute(a) => {
                    if let Some(prev) = out.attrs.iter().find(|x| x.name == a.key.as_str()) {
                        let at = match &self.source {
                            Some(src) => {
                                let (l, c) = line_col(src, prev.name_span.start as usize);
                                format!("line {l}, column {c}")
                            }
                            None => format!("byte {}", prev.name_span.start),
                        };
                        self.diags.push(Diagnostic::error(
                            Some(self.span(a.key.span())),
                            "Attribute redefined",
                            format!(
                                "The argument {:?} was already set at {at}. Each argument may be set only once.",
                                a.key.as_str()
                            ),
                        ));
                    }
                    out.attrs.push(Attr {
                        name: a.key.to_string(),
                        name_span: self.span(a.key.span()),
                        expr: self.expr(&a.value),
                        span: self.span(a.span()),
                    });
                }
                Structure::Block(b) => {
                    let labels = b
                        .labels
                        .iter()
                        .map(|l| {
                            let (text, span) = match l {
                                BlockLabel::Ident(i) => (i.to_string(), i.span()),
                                BlockLabel::String(s) => (s.to_string(), s.span()),
                            };
                            (text, self.span(span))
                        })
                        .collect();
                    out.blocks.push(Block {
                        kind: b.ident.to_string(),
                        kind_span: self.span(b.ident.span()),
                        labels,
                        body: self.body(&b.body),
                        span: self.span(b.span()),
                    });
                }
            }
        }
        if start != usize::MAX {
            out.span = Span::new(self.file, start..end);
        }
        out
    }

    pub fn expr(&mut self, e: &Expression) -> Expr {
        let span = self.span(e.span());
        match e {
            Expression::Null(_) => Expr::Literal(Value::Null, span),
            Expression::Bool(b) => Expr::Literal(Value::Bool(*b.value()), span),
            Expression::Number(n) => Expr::Literal(Value::number(n.value().as_f64().unwrap_or(0.0)), span),
            Expression::String(s) => Expr::Literal(Value::string(s.value().clone()), span),
            Expression::Array(a) => Expr::Tuple(a.iter().map(|x| self.expr(x)).collect(), span),
            Expression::Object(o) => {
                let items = o
                    .iter()
                    .map(|(k, v)| {
                        let key = match k {
                            ObjectKey::Ident(i) => ObjKey::Name(i.to_string(), self.span(i.span())),
                            ObjectKey::Expression(ex) => match ex {
                                // A bare identifier in parentheses-free form is a literal key in HCL.
                                Expression::Variable(v) => ObjKey::Name(v.to_string(), self.span(v.span())),
                                other => ObjKey::Expr(self.expr(other)),
                            },
                        };
                        (key, self.expr(v.expr()))
                    })
                    .collect();
                Expr::Object(items, span)
            }
            Expression::StringTemplate(t) => Expr::Template(self.template(t, false), span),
            Expression::HeredocTemplate(h) => {
                // `<<-EOT` (flush) heredocs lose the common indentation of their lines.
                let flush = e
                    .span()
                    .and_then(|r| self.source.as_deref().and_then(|src| src.get(r)))
                    .is_some_and(|t| t.trim_start().starts_with("<<-"));
                Expr::Template(self.template(&h.template, flush), span)
            }
            Expression::Parenthesis(p) => {
                let inner = self.expr(p.inner());
                // Parentheses force an object key to be an expression; elsewhere they only group.
                match inner {
                    Expr::Var(n, s) => Expr::Traversal(Box::new(Expr::Var(n, s)), Vec::new(), span),
                    other => other,
                }
            }
            Expression::Variable(v) => Expr::Var(v.to_string(), span),
            Expression::Conditional(c) => Expr::Cond(
                Box::new(self.expr(&c.cond_expr)),
                Box::new(self.expr(&c.true_expr)),
                Box::new(self.expr(&c.false_expr)),
                span,
            ),
            Expression::FuncCall(f) => {
                if f.name.is_namespaced() {
                    self.diags.error(
                        Some(span),
                        "Unsupported function namespace",
                        "Provider-defined functions are not supported.",
                    );
                }
                Expr::Call {
                    name: f.name.name.to_string(),
                    args: f.args.iter().map(|a| self.expr(a)).collect(),
                    expand_final: f.args.expand_final(),
                    span,
                }
            }
            Expression::Traversal(t) => {
                let base = self.expr(&t.expr);
                let steps = t
                    .operators
                    .iter()
                    .map(|op| {
                        let s = self.span(op.span());
                        match op.value() {
                            TraversalOperator::GetAttr(i) => Step::Attr(i.to_string(), self.span(i.span()).to(s)),
                            TraversalOperator::Index(ix) => Step::Index(Box::new(self.expr(ix)), s),
                            TraversalOperator::LegacyIndex(n) => {
                                Step::Index(Box::new(Expr::Literal(Value::int(*n.value() as i64), s)), s)
                            }
                            TraversalOperator::AttrSplat(_) => Step::AttrSplat(s),
                            TraversalOperator::FullSplat(_) => Step::FullSplat(s),
                        }
                    })
                    .collect();
                Expr::Traversal(Box::new(base), steps, span)
            }
            Expression::UnaryOp(u) => {
                let op = match u.operator.value() {
                    UnaryOperator::Neg => UnaryOp::Neg,
                    UnaryOperator::Not => UnaryOp::Not,
                };
                Expr::Unary(op, Box::new(self.expr(&u.expr)), span)
            }
            Expression::BinaryOp(b) => {
                let op = match b.operator.value() {
                    BinaryOperator::Eq => BinaryOp::Eq,
                    BinaryOperator::NotEq => BinaryOp::NotEq,
                    BinaryOperator::LessEq => BinaryOp::LessEq,
                    BinaryOperator::GreaterEq => BinaryOp::GreaterEq,
                    BinaryOperator::Less => BinaryOp::Less,
                    BinaryOperator::Greater => BinaryOp::Greater,
                    BinaryOperator::Plus => BinaryOp::Add,
                    BinaryOperator::Minus => BinaryOp::Sub,
                    BinaryOperator::Mul => BinaryOp::Mul,
                    BinaryOperator::Div => BinaryOp::Div,
                    BinaryOperator::Mod => BinaryOp::Mod,
                    BinaryOperator::And => BinaryOp::And,
                    BinaryOperator::Or => BinaryOp::Or,
                };
                Expr::Binary(
                    op,
                    Box::new(self.expr(&b.lhs_expr)),
                    Box::new(self.expr(&b.rhs_expr)),
                    span,
                )
            }
            Expression::ForExpr(f) => Expr::For(Box::new(ForExpr {
                key_var: f.intro.key_var.as_ref().map(|k| k.to_string()),
                value_var: f.intro.value_var.to_string(),
                coll: self.expr(&f.intro.collection_expr),
                key_expr: f.key_expr.as_ref().map(|k| self.expr(k)),
                value_expr: self.expr(&f.value_expr),
                cond: f.cond.as_ref().map(|c| self.expr(&c.expr)),
                grouping: f.grouping,
                span,
            })),
        }
    }

    /// Converts a template, applying strip markers (and, for `flush`, the `<<-` heredoc indentation rule)
    /// the way HCL does: on the flat sequence of literals, interpolations and directive markers, before
    /// nesting them into `if`/`for` parts.
    fn template(&mut self, t: &Template, flush: bool) -> Vec<TemplatePart> {
        let mut toks = Vec::new();
        self.flatten(t, flush, &mut toks);
        if flush {
            toks = split_lines(toks);
            flush_heredoc(&mut toks);
        }
        let mut toks = meld_literals(toks);
        apply_strip_markers(&mut toks);
        let mut it = toks.into_iter();
        let (parts, _) = nest(&mut it);
        parts
    }

    /// The template as a flat token list. Literals of a flush heredoc are taken from the source text,
    /// because `hcl-edit` has already removed indentation from some of them (and only from some).
    fn flatten(&mut self, t: &Template, flush: bool, out: &mut Vec<Tok>) {
        use hcl_edit::template::Strip;
        let strips = |s: Strip| {
            (
                matches!(s, Strip::Start | Strip::Both),
                matches!(s, Strip::End | Strip::Both),
            )
        };
        for el in t.iter() {
            match el {
                Element::Literal(l) => {
                    let raw = if flush {
                        l.span()
                            .and_then(|r| self.source.as_deref().and_then(|src| src.get(r)))
                            .map(|raw| raw.replace("$${", "${").replace("%%{", "%{"))
                    } else {
                        None
                    };
                    out.push(Tok::Lit(raw.unwrap_or_else(|| l.value().clone())));
                }
                Element::Interpolation(i) => {
                    let (l, r) = strips(i.strip);
                    out.push(Tok::Interp(self.expr(&i.expr), l, r));
                }
                Element::Directive(d) => match d.as_ref() {
                    Directive::If(i) => {
                        let (l, r) = strips(i.if_expr.strip);
                        out.push(Tok::If(self.expr(&i.if_expr.cond_expr), l, r));
                        self.flatten(&i.if_expr.template, flush, out);
                        if let Some(e) = &i.else_expr {
                            let (l, r) = strips(e.strip);
                            out.push(Tok::Else(l, r));
                            self.flatten(&e.template, flush, out);
                        }
                        let (l, r) = strips(i.endif_expr.strip);
                        out.push(Tok::EndIf(l, r));
                    }
                    Directive::For(f) => {
                        let (l, r) = strips(f.for_expr.strip);
                        out.push(Tok::For(
                            f.for_expr.key_var.as_ref().map(|k| k.to_string()),
                            f.for_expr.value_var.to_string(),
                            self.expr(&f.for_expr.collection_expr),
                            l,
                            r,
                        ));
                        self.flatten(&f.for_expr.template, flush, out);
                        let (l, r) = strips(f.endfor_expr.strip);
                        out.push(Tok::EndFor(l, r));
                    }
                },
            }
        }
    }
}

/// One token of a template: a literal, an interpolation, or a directive marker. The two booleans are
/// the strip markers before (`${~`, `%{~`) and after (`~}`).
enum Tok {
    Lit(String),
    Interp(Expr, bool, bool),
    If(Expr, bool, bool),
    Else(bool, bool),
    EndIf(bool, bool),
    For(Option<String>, String, Expr, bool, bool),
    EndFor(bool, bool),
}

impl Tok {
    fn strips(&self) -> (bool, bool) {
        match self {
            Tok::Lit(_) => (false, false),
            Tok::Interp(_, l, r) | Tok::If(_, l, r) | Tok::For(_, _, _, l, r) => (*l, *r),
            Tok::Else(l, r) | Tok::EndIf(l, r) | Tok::EndFor(l, r) => (*l, *r),
        }
    }
}

/// Splits literals into one token per line (each keeping its line ending), as HCL's scanner produces
/// heredoc content.
fn split_lines(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out = Vec::with_capacity(toks.len());
    for t in toks {
        match t {
            Tok::Lit(s) => out.extend(s.split_inclusive('\n').map(|l| Tok::Lit(l.to_string()))),
            other => out.push(other),
        }
    }
    out
}

/// The `<<-` rule: find the line with the fewest leading spaces (lines that are blank don't count; a
/// line starting with an interpolation or directive counts as zero) and remove that many from every
/// line-leading literal.
fn flush_heredoc(toks: &mut [Tok]) {
    let mut min = usize::MAX;
    let mut newline = true;
    let mut adjust = Vec::new();
    for (i, t) in toks.iter().enumerate() {
        if newline {
            newline = false;
            let spaces = match t {
                Tok::Lit(s) => {
                    let trimmed = s.trim_start();
                    if trimmed.is_empty() && s.ends_with('\n') {
                        usize::MAX
                    } else {
                        adjust.push(i);
                        s[..s.len() - trimmed.len()].chars().count()
                    }
                }
                _ => 0,
            };
            min = min.min(spaces);
        }
        if let Tok::Lit(s) = t
            && s.ends_with('\n')
        {
            newline = true;
        }
    }
    if min == usize::MAX || min == 0 {
        return;
    }
    for i in adjust {
        if let Tok::Lit(s) = &mut toks[i] {
            let cut = s.char_indices().nth(min).map(|(b, _)| b).unwrap_or(s.len());
            s.replace_range(..cut, "");
        }
    }
}

fn meld_literals(toks: Vec<Tok>) -> Vec<Tok> {
    let mut out: Vec<Tok> = Vec::with_capacity(toks.len());
    for t in toks {
        if let (Tok::Lit(s), Some(Tok::Lit(prev))) = (&t, out.last_mut()) {
            prev.push_str(s);
            continue;
        }
        out.push(t);
    }
    out
}

/// `~` after an opening `${`/`%{` removes all whitespace (newlines included) at the end of the literal
/// right before it; `~` before the closing `}` removes all whitespace at the start of the literal right
/// after it. Values produced by interpolations are never stripped.
fn apply_strip_markers(toks: &mut [Tok]) {
    for i in 0..toks.len() {
        let (before, after) = toks[i].strips();
        if before
            && i > 0
            && let Tok::Lit(s) = &mut toks[i - 1]
        {
            s.truncate(s.trim_end().len());
        }
        if after && let Some(Tok::Lit(s)) = toks.get_mut(i + 1) {
            let cut = s.len() - s.trim_start().len();
            s.replace_range(..cut, "");
        }
    }
}

/// Nests the flat tokens into parts; returns at an `else`/`endif`/`endfor` marker (which it consumes and
/// reports) or at the end.
fn nest(it: &mut std::vec::IntoIter<Tok>) -> (Vec<TemplatePart>, Option<Tok>) {
    let mut parts = Vec::new();
    while let Some(t) = it.next() {
        match t {
            Tok::Lit(s) => parts.push(TemplatePart::Lit(s)),
            Tok::Interp(e, ..) => parts.push(TemplatePart::Interp(e)),
            Tok::If(cond, ..) => {
                let (then, end) = nest(it);
                let otherwise = match end {
                    Some(Tok::Else(..)) => nest(it).0,
                    _ => Vec::new(),
                };
                parts.push(TemplatePart::If { cond, then, otherwise });
            }
            Tok::For(key_var, value_var, coll, ..) => {
                let (body, _) = nest(it);
                parts.push(TemplatePart::For {
                    key_var,
                    value_var,
                    coll,
                    body,
                });
            }
            end @ (Tok::Else(..) | Tok::EndIf(..) | Tok::EndFor(..)) => return (parts, Some(end)),
        }
    }
    (parts, None)
}

/// Parses an HCL file into a [`Body`], or a diagnostic at the parse error's location.
pub fn parse_body(file: u32, text: &str) -> Result<Body, Diagnostics> {
    match hcl_edit::parser::parse_body(text) {
        Ok(body) => {
            let mut c = Converter::with_source(file, text);
            let b = c.body(&body);
            if c.diags.has_errors() { Err(c.diags) } else { Ok(b) }
        }
        Err(e) => Err(syntax_error(file, text, e.location().offset(), e.message()).into()),
    }
}

/// One-based line and column (in characters) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

/// A parse error of a configuration file, worded like Terraform's where `hcl-edit`'s message allows.
fn syntax_error(file: u32, text: &str, off: usize, message: &str) -> Diagnostic {
    let end = (off + 1).min(text.len()).max(off);
    let span = Some(Span::new(file, off..end));
    if message.contains("redefined attribute") {
        let name: String = text
            .get(off..)
            .unwrap_or("")
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == '-')
            .collect();
        return Diagnostic::error(
            span,
            "Attribute redefined",
            format!("The argument {name:?} was already set. Each argument may be set only once."),
        );
    }
    if off >= text.trim_end().len() && message.contains("expected `}`") {
        return Diagnostic::error(
            span,
            "Unclosed configuration block",
            "There is no closing brace for this block before the end of the file. This may be caused by incorrect brace nesting elsewhere in this file.",
        );
    }
    Diagnostic::error(span, "Invalid HCL syntax", message.to_string())
}

/// Parses a standalone template (for `templatefile`).
pub fn parse_template(file: u32, text: &str) -> Result<Vec<TemplatePart>, Diagnostics> {
    match hcl_edit::parser::parse_template(text) {
        Ok(t) => {
            let mut c = Converter::with_source(file, text);
            let parts = c.template(&t, false);
            if c.diags.has_errors() { Err(c.diags) } else { Ok(parts) }
        }
        Err(e) => {
            let off = e.location().offset();
            Err(Diagnostic::error(
                Some(Span::new(file, off..off)),
                "Invalid template syntax",
                e.message().to_string(),
            )
            .into())
        }
    }
}

/// Parses a single expression (for `--var` values of complex type and `infra console`-like uses).
pub fn parse_expr(file: u32, text: &str) -> Result<Expr, Diagnostics> {
    match hcl_edit::parser::parse_expr(text) {
        Ok(e) => {
            let mut c = Converter::with_source(file, text);
            let ex = c.expr(&e);
            if c.diags.has_errors() { Err(c.diags) } else { Ok(ex) }
        }
        Err(e) => {
            let off = e.location().offset();
            Err(Diagnostic::error(
                Some(Span::new(file, off..off)),
                "Invalid expression",
                e.message().to_string(),
            )
            .into())
        }
    }
}
