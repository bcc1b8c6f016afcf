//! YAML for `yamlencode` and `yamldecode`.
//!
//! Encoding reproduces the output of the go-yaml emitter Terraform uses (through go-cty-yaml), so
//! that text handed to cloud APIs (cloud-init, Kubernetes manifests) is the same as Terraform's:
//! block style, two-space indentation, sequences inside mappings not indented, strings always
//! double-quoted (with YAML escapes, long lines folded after column 80) except multi-line strings,
//! which use literal `|` blocks with chomping indicators when YAML allows it; numbers, bools and null
//! plain, and a `...` document end marker after a plain scalar at the root; empty collections as `[]`
//! and `{}`.
//!
//! Decoding parses with `saphyr-parser` and resolves scalars with Terraform's rules (see
//! [`super::encoding`]).

use super::datetime::parse_yaml_timestamp;
use super::number_string;
use infra_provider::Value;
use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

// ---------------------------------------------------------------------------------------------
// Encoding
// ---------------------------------------------------------------------------------------------

const BEST_INDENT: i32 = 2;
const BEST_WIDTH: usize = 80;

#[derive(Clone, Copy, PartialEq)]
enum Style {
    Plain,
    DoubleQuoted,
    Literal,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    root: bool,
    mapping: bool,
    simple_key: bool,
}

struct Emitter {
    out: String,
    column: usize,
    indent: i32,
    indents: Vec<i32>,
    whitespace: bool,
    indention: bool,
    open_ended: bool,
}

/// What go-yaml's scalar analysis finds out about a string.
struct Analysis {
    multiline: bool,
    block_allowed: bool,
}

fn is_break(c: char) -> bool {
    matches!(c, '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}')
}

fn is_printable(c: char) -> bool {
    let u = c as u32;
    u == 0x0A
        || (0x20..=0x7E).contains(&u)
        || (0xA0..=0xD7FF).contains(&u)
        || ((0xE000..=0xFFFD).contains(&u) && u != 0xFEFF)
}

fn analyze(s: &str) -> Analysis {
    if s.is_empty() {
        return Analysis {
            multiline: false,
            block_allowed: false,
        };
    }
    let (mut line_breaks, mut special) = (false, false);
    let (mut trailing_space, mut break_space, mut space_break) = (false, false, false);
    let (mut prev_space, mut prev_break) = (false, false);
    let count = s.chars().count();
    for (i, c) in s.chars().enumerate() {
        if !is_printable(c) {
            special = true;
        }
        if c == ' ' {
            if i + 1 == count {
                trailing_space = true;
            }
            if prev_break {
                break_space = true;
            }
            prev_space = true;
            prev_break = false;
        } else if is_break(c) {
            line_breaks = true;
            if prev_space {
                space_break = true;
            }
            prev_space = false;
            prev_break = true;
        } else {
            prev_space = false;
            prev_break = false;
        }
    }
    let _ = break_space;
    Analysis {
        multiline: line_breaks,
        block_allowed: !(trailing_space || space_break || special),
    }
}

impl Emitter {
    fn new() -> Emitter {
        Emitter {
            out: String::new(),
            column: 0,
            indent: -1,
            indents: Vec::new(),
            whitespace: true,
            indention: true,
            open_ended: false,
        }
    }

    fn put(&mut self, c: char) {
        self.out.push(c);
        self.column += 1;
    }

    fn put_break(&mut self) {
        self.out.push('\n');
        self.column = 0;
    }

    fn write_indicator(&mut self, ind: &str, need_whitespace: bool, is_whitespace: bool, is_indention: bool) {
        if need_whitespace && !self.whitespace {
            self.put(' ');
        }
        for c in ind.chars() {
            self.put(c);
        }
        self.whitespace = is_whitespace;
        self.indention = self.indention && is_indention;
        self.open_ended = false;
    }

    fn write_indent(&mut self) {
        let indent = self.indent.max(0) as usize;
        if !self.indention || self.column > indent || (self.column == indent && !self.whitespace) {
            self.put_break();
        }
        while self.column < indent {
            self.put(' ');
        }
        self.whitespace = true;
        self.indention = true;
    }

    fn increase_indent(&mut self, flow: bool, indentless: bool) {
        self.indents.push(self.indent);
        if self.indent < 0 {
            self.indent = if flow { BEST_INDENT } else { 0 };
        } else if !indentless {
            self.indent += BEST_INDENT;
        }
    }

    fn pop_indent(&mut self) {
        self.indent = self.indents.pop().unwrap_or(-1);
    }

    fn node(&mut self, v: &Value, ctx: Ctx) -> Result<(), String> {
        match v {
            Value::Sensitive(inner) => self.node(inner, ctx),
            Value::Unknown => Err("cannot serialize unknown value as YAML".into()),
            Value::Null => {
                self.scalar("null", Style::Plain, ctx);
                Ok(())
            }
            Value::Bool(b) => {
                self.scalar(if *b { "true" } else { "false" }, Style::Plain, ctx);
                Ok(())
            }
            Value::Number(n) => {
                self.scalar(&number_string(n.0), Style::Plain, ctx);
                Ok(())
            }
            Value::String(s) => {
                let style = if s.contains('\n') {
                    Style::Literal
                } else {
                    Style::DoubleQuoted
                };
                self.scalar(s, style, ctx);
                Ok(())
            }
            Value::List(items) | Value::Set(items) if items.is_empty() => {
                self.empty_flow("[", "]");
                Ok(())
            }
            Value::Map(m) if m.is_empty() => {
                self.empty_flow("{", "}");
                Ok(())
            }
            Value::List(items) | Value::Set(items) => {
                self.increase_indent(false, ctx.mapping && !self.indention);
                for item in items {
                    self.write_indent();
                    self.write_indicator("-", true, false, true);
                    self.node(item, Ctx::default())?;
                }
                self.pop_indent();
                Ok(())
            }
            Value::Map(m) => {
                self.increase_indent(false, false);
                for (k, item) in m {
                    self.write_indent();
                    let a = analyze(k);
                    if !a.multiline && k.len() <= 128 {
                        self.scalar(
                            k,
                            Style::DoubleQuoted,
                            Ctx {
                                mapping: true,
                                simple_key: true,
                                ..Ctx::default()
                            },
                        );
                        self.write_indicator(":", false, false, false);
                    } else {
                        self.write_indicator("?", true, false, true);
                        self.scalar(
                            k,
                            Style::DoubleQuoted,
                            Ctx {
                                mapping: true,
                                ..Ctx::default()
                            },
                        );
                        self.write_indent();
                        self.write_indicator(":", true, false, true);
                    }
                    self.node(
                        item,
                        Ctx {
                            mapping: true,
                            ..Ctx::default()
                        },
                    )?;
                }
                self.pop_indent();
                Ok(())
            }
        }
    }

    fn empty_flow(&mut self, open: &str, close: &str) {
        self.write_indicator(open, true, true, false);
        self.increase_indent(true, false);
        self.pop_indent();
        self.write_indicator(close, false, false, false);
    }

    fn scalar(&mut self, s: &str, requested: Style, ctx: Ctx) {
        let a = analyze(s);
        let mut style = requested;
        if ctx.simple_key && a.multiline {
            style = Style::DoubleQuoted;
        }
        if style == Style::Literal && (!a.block_allowed || ctx.simple_key) {
            style = Style::DoubleQuoted;
        }
        self.increase_indent(true, false);
        match style {
            Style::Plain => self.plain(s, ctx),
            Style::DoubleQuoted => self.double_quoted(s, !ctx.simple_key),
            Style::Literal => self.literal(s),
        }
        self.pop_indent();
    }

    fn plain(&mut self, s: &str, ctx: Ctx) {
        if !self.whitespace {
            self.put(' ');
        }
        for c in s.chars() {
            self.put(c);
        }
        self.whitespace = false;
        self.indention = false;
        if ctx.root {
            self.open_ended = true;
        }
    }

    fn double_quoted(&mut self, s: &str, allow_breaks: bool) {
        self.write_indicator("\"", true, false, false);
        let starts_bom = s.starts_with('\u{FEFF}');
        let mut spaces = false;
        let mut iter = s.char_indices().peekable();
        while let Some((i, c)) = iter.next() {
            if !is_printable(c) || starts_bom || is_break(c) || c == '"' || c == '\\' {
                self.put('\\');
                match c {
                    '\0' => self.put('0'),
                    '\u{7}' => self.put('a'),
                    '\u{8}' => self.put('b'),
                    '\t' => self.put('t'),
                    '\n' => self.put('n'),
                    '\u{b}' => self.put('v'),
                    '\u{c}' => self.put('f'),
                    '\r' => self.put('r'),
                    '\u{1b}' => self.put('e'),
                    '"' => self.put('"'),
                    '\\' => self.put('\\'),
                    '\u{85}' => self.put('N'),
                    '\u{a0}' => self.put('_'),
                    '\u{2028}' => self.put('L'),
                    '\u{2029}' => self.put('P'),
                    c => {
                        let u = c as u32;
                        let (letter, width) = if u <= 0xFF {
                            ('x', 2)
                        } else if u <= 0xFFFF {
                            ('u', 4)
                        } else {
                            ('U', 8)
                        };
                        self.put(letter);
                        for ch in format!("{u:0width$X}").chars() {
                            self.put(ch);
                        }
                    }
                }
                spaces = false;
            } else if c == ' ' {
                if allow_breaks && !spaces && self.column > BEST_WIDTH && i > 0 && i < s.len() - 1 {
                    self.write_indent();
                    if iter.peek().map(|(_, n)| *n) == Some(' ') {
                        self.put('\\');
                    }
                } else {
                    self.put(c);
                }
                spaces = true;
            } else {
                self.put(c);
                spaces = false;
            }
        }
        self.write_indicator("\"", false, false, false);
        self.whitespace = false;
        self.indention = false;
    }

    fn literal(&mut self, s: &str) {
        self.write_indicator("|", true, false, false);
        // Block scalar hints.
        let first = s.chars().next();
        if matches!(first, Some(c) if c == ' ' || is_break(c)) {
            self.write_indicator(&BEST_INDENT.to_string(), false, false, false);
        }
        self.open_ended = false;
        let chars: Vec<char> = s.chars().collect();
        let chomp = match chars.as_slice() {
            [] => Some("-"),
            [.., last] if !is_break(*last) => Some("-"),
            [_] => Some("+"),
            [.., prev, _] if is_break(*prev) => Some("+"),
            _ => None,
        };
        if let Some(ch) = chomp {
            self.write_indicator(ch, false, false, false);
        }
        self.put_break();
        self.indention = true;
        self.whitespace = true;
        let mut breaks = true;
        for c in chars {
            if is_break(c) {
                if c == '\n' {
                    self.put_break();
                } else {
                    self.out.push(c);
                    self.column = 0;
                }
                self.indention = true;
                breaks = true;
            } else {
                if breaks {
                    self.write_indent();
                }
                self.put(c);
                self.indention = false;
                breaks = false;
            }
        }
    }
}

/// `yamlencode`.
pub(crate) fn encode(v: &Value) -> Result<String, String> {
    let mut e = Emitter::new();
    e.node(
        v,
        Ctx {
            root: true,
            ..Ctx::default()
        },
    )?;
    // Document end (implicit), then stream end.
    e.write_indent();
    if e.open_ended {
        e.write_indicator("...", true, false, false);
        e.write_indent();
    }
    Ok(e.out)
}

// ---------------------------------------------------------------------------------------------
// Decoding
// ---------------------------------------------------------------------------------------------

struct Decoder<'a> {
    events: Vec<(Event<'a>, Span)>,
    pos: usize,
    anchors: HashMap<usize, Value>,
    pending: Vec<usize>,
}

fn at(span: &Span) -> String {
    format!("on line {}, column {}", span.start.line(), span.start.col() + 1)
}

/// `yamldecode`.
pub(crate) fn decode(src: &str) -> Result<Value, String> {
    let src = if src.is_empty() { "\n" } else { src };
    let mut events = Vec::new();
    for ev in Parser::new_from_str(src) {
        let (ev, span) = ev.map_err(|e| e.to_string())?;
        events.push((ev, span));
    }
    let mut d = Decoder {
        events,
        pos: 0,
        anchors: HashMap::new(),
        pending: Vec::new(),
    };
    match d.next() {
        Some((Event::StreamStart, _)) => {}
        _ => return Err("missing stream start token".into()),
    }
    match d.next() {
        Some((Event::DocumentStart(_), _)) => {}
        Some((_, span)) => return Err(format!("{}: missing start of document", at(&span))),
        None => return Err("missing start of document".into()),
    }
    let v = d.value()?;
    match d.next() {
        Some((Event::DocumentEnd, _)) => {}
        Some((Event::DocumentStart(_), span)) => {
            return Err(format!("{}: only a single document is allowed", at(&span)));
        }
        Some((_, span)) => return Err(format!("{}: unexpected extra content after value", at(&span))),
        None => {}
    }
    match d.next() {
        Some((Event::StreamEnd, _)) | None => Ok(v),
        Some((Event::DocumentStart(_), span)) => Err(format!("{}: only a single document is allowed", at(&span))),
        Some((_, span)) => Err(format!("{}: unexpected extra content after value", at(&span))),
    }
}

impl<'a> Decoder<'a> {
    fn next(&mut self) -> Option<(Event<'a>, Span)> {
        let e = self.events.get(self.pos).cloned();
        self.pos += 1;
        e
    }

    fn value(&mut self) -> Result<Value, String> {
        let Some((ev, span)) = self.next() else {
            return Err("expecting value but found end of stream".into());
        };
        self.value_from(ev, span)
    }

    fn value_from(&mut self, ev: Event<'a>, span: Span) -> Result<Value, String> {
        match ev {
            Event::Scalar(text, style, anchor, tag) => {
                let v = resolve(tag_name(&tag).as_deref(), &text, style).map_err(|e| format!("{}: {e}", at(&span)))?;
                if anchor > 0 {
                    self.anchors.insert(anchor, v.clone());
                }
                Ok(v)
            }
            Event::Alias(id) => {
                if self.pending.contains(&id) {
                    return Err(format!(
                        "{}: cannot refer to an anchor from inside its own definition",
                        at(&span)
                    ));
                }
                self.anchors
                    .get(&id)
                    .cloned()
                    .ok_or_else(|| format!("{}: reference to undefined anchor", at(&span)))
            }
            Event::SequenceStart(anchor, tag) => {
                if let Some(t) = tag_name(&tag).filter(|t| t != "!!seq") {
                    return Err(format!("{}: can't interpret sequence as {t}", at(&span)));
                }
                if anchor > 0 {
                    self.pending.push(anchor);
                }
                let mut items = Vec::new();
                loop {
                    match self.next() {
                        Some((Event::SequenceEnd, _)) => break,
                        Some((ev, span)) => items.push(self.value_from(ev, span)?),
                        None => return Err("expecting value but found end of stream".into()),
                    }
                }
                let v = Value::List(items);
                self.complete(anchor, &v);
                Ok(v)
            }
            Event::MappingStart(anchor, tag) => {
                if let Some(t) = tag_name(&tag).filter(|t| t != "!!map") {
                    return Err(format!("{}: can't interpret mapping as {t}", at(&span)));
                }
                if anchor > 0 {
                    self.pending.push(anchor);
                }
                let mut out = BTreeMap::new();
                loop {
                    let Some((kev, kspan)) = self.next() else {
                        return Err("expecting value but found end of stream".into());
                    };
                    match kev {
                        Event::MappingEnd => break,
                        Event::Scalar(ref text, style, _, ref tag)
                            if text == "<<"
                                && (tag.is_none() && style == ScalarStyle::Plain
                                    || tag_name(tag).as_deref() == Some("!!merge")) =>
                        {
                            match self.value()? {
                                Value::Map(m) => out.extend(m),
                                Value::List(items) => {
                                    for item in items {
                                        match item {
                                            Value::Map(m) => out.extend(m),
                                            other => {
                                                return Err(format!(
                                                    "{}: cannot merge {} (from sequence) into mapping",
                                                    at(&kspan),
                                                    super::friendly(&other)
                                                ));
                                            }
                                        }
                                    }
                                }
                                other => {
                                    return Err(format!(
                                        "{}: cannot merge {} into mapping",
                                        at(&kspan),
                                        super::friendly(&other)
                                    ));
                                }
                            }
                        }
                        Event::Scalar(text, style, _, tag) => {
                            let key = match resolve(tag_name(&tag).as_deref(), &text, style)
                                .map_err(|e| format!("{}: {e}", at(&kspan)))?
                            {
                                Value::Null => return Err(format!("{}: mapping key cannot be null", at(&kspan))),
                                Value::String(s) => s,
                                Value::Bool(b) => b.to_string(),
                                Value::Number(n) => number_string(n.0),
                                _ => return Err(format!("{}: only strings are allowed as mapping keys", at(&kspan))),
                            };
                            let v = self.value()?;
                            out.insert(key, v);
                        }
                        _ => return Err(format!("{}: only strings are allowed as mapping keys", at(&kspan))),
                    }
                }
                let v = Value::Map(out);
                self.complete(anchor, &v);
                Ok(v)
            }
            Event::DocumentStart(_) => Err(format!("{}: only a single document is allowed", at(&span))),
            Event::StreamEnd => Err("expecting value but found end of stream".into()),
            Event::MappingEnd => Err(format!("{}: expecting value but found end of mapping", at(&span))),
            Event::SequenceEnd => Err(format!("{}: expecting value but found end of sequence", at(&span))),
            _ => Err(format!("{}: unexpected parser event", at(&span))),
        }
    }

    fn complete(&mut self, anchor: usize, v: &Value) {
        if anchor > 0 {
            self.pending.retain(|a| *a != anchor);
            self.anchors.insert(anchor, v.clone());
        }
    }
}

/// A tag as `!!str`-style short form (or the local tag as written).
fn tag_name(tag: &Option<Cow<'_, saphyr_parser::Tag>>) -> Option<String> {
    let t = tag.as_ref()?;
    let full = format!("{}{}", t.handle, t.suffix);
    Some(match full.strip_prefix("tag:yaml.org,2002:") {
        Some(rest) => format!("!!{rest}"),
        None => full,
    })
}

fn resolve(tag: Option<&str>, src: &str, style: ScalarStyle) -> Result<Value, String> {
    let tag = tag.unwrap_or("");
    if !matches!(
        tag,
        "" | "!" | "!!str" | "!!bool" | "!!int" | "!!float" | "!!null" | "!!timestamp" | "!!binary"
    ) {
        return Err(format!("unsupported tag {tag:?}"));
    }
    let quoted = !matches!(style, ScalarStyle::Plain);
    if tag == "!!str" || tag == "!" {
        return Ok(Value::string(src));
    }
    if tag == "!!binary" {
        use base64::Engine;
        let cleaned: String = src.chars().filter(|c| !c.is_whitespace()).collect();
        return match base64::engine::general_purpose::STANDARD.decode(cleaned) {
            Ok(_) => Ok(Value::string(src)),
            Err(_) => Err(format!("cannot parse {src:?} as !!binary: not valid base64")),
        };
    }
    if tag.is_empty() && quoted {
        return Ok(Value::string(src));
    }
    let mut tag = tag.to_string();
    if tag.is_empty() || tag == "!!bool" || tag == "!!null" {
        match src {
            "y" | "Y" | "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
                return Ok(Value::Bool(true));
            }
            "n" | "N" | "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
                return Ok(Value::Bool(false));
            }
            "" | "~" | "null" | "Null" | "NULL" => return Ok(Value::Null),
            ".inf" | ".Inf" | ".INF" | "+.inf" | "+.Inf" | "+.INF" => return Ok(Value::number(f64::INFINITY)),
            "-.inf" | "-.Inf" | "-.INF" => return Ok(Value::number(f64::NEG_INFINITY)),
            ".nan" | ".NaN" | ".NAN" if tag.is_empty() => return Err("floating point NaN is not supported".into()),
            _ if tag == "!!bool" || tag == "!!null" => return Err(format!("cannot parse {src:?} as {tag}")),
            _ => {}
        }
    }
    if tag.is_empty() {
        let first = src.as_bytes().first().copied().unwrap_or(b'N');
        if first.is_ascii_digit() || first == b'+' || first == b'-' || first == b'.' {
            if first != b'.'
                && let Some(ts) = parse_yaml_timestamp(src)
            {
                return Ok(Value::String(ts));
            }
            if is_yaml_int(src) {
                tag = "!!int".into();
            } else if is_yaml_float(src) {
                tag = "!!float".into();
            } else if first == b'.'
                && let Ok(n) = src.parse::<f64>()
            {
                return Ok(Value::number(n));
            }
        }
        if tag.is_empty() {
            return Ok(Value::string(src));
        }
    }
    match tag.as_str() {
        "!!int" | "!!float" => parse_number(src).ok_or_else(|| format!("cannot parse {src:?} as {tag}")),
        "!!timestamp" => parse_yaml_timestamp(src)
            .map(Value::String)
            .ok_or_else(|| format!("cannot parse {src:?} as {tag}")),
        _ => Ok(Value::string(src)),
    }
}

fn is_yaml_int(s: &str) -> bool {
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let dec = !unsigned.is_empty() && unsigned.bytes().all(|b| b.is_ascii_digit());
    let oct = s
        .strip_prefix("0o")
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| (b'0'..=b'7').contains(&b)));
    let hex = s
        .strip_prefix("0x")
        .is_some_and(|r| !r.is_empty() && r.bytes().all(|b| b.is_ascii_hexdigit()));
    dec || oct || hex
}

fn is_yaml_float(s: &str) -> bool {
    let b = s.strip_prefix(['-', '+']).unwrap_or(s).as_bytes();
    let mut i = 0;
    let int_digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    i += int_digits;
    if b.get(i) == Some(&b'.') {
        i += 1;
        let frac_digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac_digits;
        if int_digits == 0 && frac_digits == 0 {
            return false;
        }
    } else if int_digits == 0 {
        return false;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(b.get(i), Some(b'-' | b'+')) {
            i += 1;
        }
        let e = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if e == 0 {
            return false;
        }
        i += e;
    }
    i == b.len()
}

fn parse_number(src: &str) -> Option<Value> {
    let plain = src.replace('_', "");
    let lower = plain.to_ascii_lowercase();
    if let Ok(n) = plain.parse::<f64>()
        && n.is_finite()
        && !lower.contains("inf")
        && !lower.contains("nan")
    {
        return Some(Value::number(n));
    }
    let (neg, digits) = match plain.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, plain.strip_prefix('+').unwrap_or(&plain)),
    };
    let parsed = if let Some(h) = digits.strip_prefix("0x").or_else(|| digits.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(o) = digits.strip_prefix("0o").or_else(|| digits.strip_prefix("0O")) {
        u64::from_str_radix(o, 8).ok()
    } else if let Some(b) = digits.strip_prefix("0b").or_else(|| digits.strip_prefix("0B")) {
        u64::from_str_radix(b, 2).ok()
    } else if digits.len() > 1 && digits.starts_with('0') {
        u64::from_str_radix(&digits[1..], 8).ok()
    } else {
        None
    }?;
    let n = parsed as f64;
    Some(Value::number(if neg { -n } else { n }))
}

#[cfg(test)]
mod tests {
    use super::super::tests::{call_err, call_ok, list, nums, strs};
    use infra_provider::Value;

    fn enc(v: Value) -> String {
        call_ok("yamlencode", vec![v]).as_str().unwrap().to_string()
    }

    #[test]
    fn encodes_like_terraform() {
        let m = |pairs: Vec<(&str, Value)>| Value::map(pairs);
        let cases: Vec<(Value, &str)> = vec![
            (
                m(vec![("a", "b".into()), ("c", "d".into())]),
                "\"a\": \"b\"\n\"c\": \"d\"\n",
            ),
            (
                m(vec![("foo", nums(&[1.0, 2.0, 3.0])), ("bar", "baz".into())]),
                "\"bar\": \"baz\"\n\"foo\":\n- 1\n- 2\n- 3\n",
            ),
            (
                m(vec![
                    (
                        "foo",
                        list(vec![1.into(), m(vec![("a", "b".into()), ("c", "d".into())]), 3.into()]),
                    ),
                    ("bar", "baz".into()),
                ]),
                "\"bar\": \"baz\"\n\"foo\":\n- 1\n- \"a\": \"b\"\n  \"c\": \"d\"\n- 3\n",
            ),
            (true.into(), "true\n...\n"),
            ("".into(), "\"\"\n"),
            ("hello".into(), "\"hello\"\n"),
            ("hello\nworld".into(), "|-\n  hello\n  world\n"),
            (0.into(), "0\n...\n"),
            (Value::number(f64::INFINITY), "+Inf\n...\n"),
            (Value::empty_map(), "{}\n"),
            (list(vec![]), "[]\n"),
            (strs(&["b"]), "- \"b\"\n"),
            (Value::string_set(["b"]), "- \"b\"\n"),
            (Value::Null, "null\n...\n"),
            (m(vec![("a", m(vec![("b", "c".into())]))]), "\"a\":\n  \"b\": \"c\"\n"),
            (
                m(vec![("a", list(vec![])), ("b", Value::empty_map())]),
                "\"a\": []\n\"b\": {}\n",
            ),
            (
                list(vec![strs(&["a", "b"]), strs(&["c"])]),
                "- - \"a\"\n  - \"b\"\n- - \"c\"\n",
            ),
            (
                m(vec![("script", "#!/bin/sh\necho hi\n".into())]),
                "\"script\": |\n  #!/bin/sh\n  echo hi\n",
            ),
            (m(vec![("k", "a\n\n".into())]), "\"k\": |+\n  a\n\n"),
            (m(vec![("k", " lead\nx".into())]), "\"k\": |2-\n   lead\n  x\n"),
            (m(vec![("k", "tab\there\nx".into())]), "\"k\": \"tab\\there\\nx\"\n"),
            (m(vec![("k", "trailing \nx".into())]), "\"k\": \"trailing \\nx\"\n"),
            (
                "quote \" and \\ and é and 😀 and \u{1}".into(),
                "\"quote \\\" and \\\\ and é and \\U0001F600 and \\x01\"\n",
            ),
            (list(vec!["a\nb".into()]), "- |-\n  a\n  b\n"),
            (m(vec![("multi\nkey", 1.into())]), "? \"multi\\nkey\"\n: 1\n"),
        ];
        for (v, want) in cases {
            assert_eq!(enc(v.clone()), want, "yamlencode({v:?})");
        }
    }

    #[test]
    fn long_strings_fold_at_column_80() {
        let words = vec!["word"; 30].join(" ");
        let out = enc(Value::map([("k", Value::String(words.clone()))]));
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines.len() > 1, "{out}");
        assert!(lines[0].starts_with("\"k\": \"word word"));
        assert!(lines[1].starts_with("  word"), "{out}");
        assert!(lines[0].chars().count() > 80 && lines[0].chars().count() < 90, "{out}");
        // Folded double-quoted text decodes to the original string.
        assert_eq!(
            call_ok("yamldecode", vec![out.into()]),
            Value::map([("k", Value::String(words))])
        );
    }

    #[test]
    fn decodes_like_terraform() {
        let cases: Vec<(&str, Value)> = vec![
            ("hello: world", Value::map([("hello", Value::from("world"))])),
            ("true", true.into()),
            ("yes", true.into()),
            ("off", false.into()),
            ("'yes'", "yes".into()),
            ("~", Value::Null),
            ("null", Value::Null),
            (
                "- a\n- 1\n- 1.5\n- 0x1F\n- 0o17\n- -3",
                list(vec![
                    "a".into(),
                    1.into(),
                    1.5.into(),
                    31.into(),
                    15.into(),
                    (-3).into(),
                ]),
            ),
            (
                "{a: 1, b: [x, z]}",
                Value::map([("a", Value::from(1)), ("b", strs(&["x", "z"]))]),
            ),
            (
                "[y, n, Y, NO]",
                list(vec![true.into(), false.into(), true.into(), false.into()]),
            ),
            (
                "d: 2020-01-02",
                Value::map([("d", Value::from("2020-01-02T00:00:00Z"))]),
            ),
            (
                "d: 2001-12-14t21:59:43.10-05:00",
                Value::map([("d", Value::from("2001-12-14T21:59:43-05:00"))]),
            ),
            (
                "base: &b {p: 1, q: 2}\nderived:\n  <<: *b\n  q: 3",
                Value::map([
                    ("base", Value::map([("p", Value::from(1)), ("q", Value::from(2))])),
                    ("derived", Value::map([("p", Value::from(1)), ("q", Value::from(3))])),
                ]),
            ),
            (
                "list: [{a: 1}, {b: 2}]\nm:\n  <<: [{a: 1}, {b: 2}]",
                Value::map([
                    (
                        "list",
                        list(vec![
                            Value::map([("a", Value::from(1))]),
                            Value::map([("b", Value::from(2))]),
                        ]),
                    ),
                    ("m", Value::map([("a", Value::from(1)), ("b", Value::from(2))])),
                ]),
            ),
            // As in Terraform, a plain `y` key is the boolean true, converted to a string.
            ("y: 1", Value::map([("true", Value::from(1))])),
            (
                "a: &x hello\nb: *x",
                Value::map([("a", Value::from("hello")), ("b", Value::from("hello"))]),
            ),
            (
                "1: one\ntrue: t",
                Value::map([("1", Value::from("one")), ("true", Value::from("t"))]),
            ),
            ("s: !!str 123", Value::map([("s", Value::from("123"))])),
            (
                "text: |\n  line1\n  line2\n",
                Value::map([("text", Value::from("line1\nline2\n"))]),
            ),
            ("version: 1.10", Value::map([("version", Value::number(1.1))])),
            ("v: 1_000", Value::map([("v", Value::from("1_000"))])),
            ("---\na: b\n", Value::map([("a", Value::from("b"))])),
        ];
        for (src, want) in cases {
            assert_eq!(call_ok("yamldecode", vec![src.into()]), want, "yamldecode({src:?})");
        }
    }

    #[test]
    fn decode_errors() {
        let e = call_err("yamldecode", vec!["a: 1\n---\nb: 2\n".into()]);
        assert!(e.message.contains("only a single document is allowed"), "{}", e.message);
        assert_eq!(e.arg, Some(0));
        let e = call_err("yamldecode", vec!["? [a]\n: 1".into()]);
        assert!(
            e.message.contains("only strings are allowed as mapping keys"),
            "{}",
            e.message
        );
        let e = call_err("yamldecode", vec!["a: !!int abc".into()]);
        assert!(e.message.contains("cannot parse \"abc\" as !!int"), "{}", e.message);
        let e = call_err("yamldecode", vec!["a: [1".into()]);
        assert_eq!(e.arg, Some(0));
        assert!(
            call_err("yamldecode", vec!["x: .nan".into()])
                .message
                .contains("NaN is not supported")
        );
    }

    #[test]
    fn round_trip() {
        let v = Value::map([
            ("name", Value::from("web")),
            ("ports", nums(&[80.0, 443.0])),
            ("script", Value::from("#!/bin/bash\nset -e\necho \"hi\"\n")),
            (
                "nested",
                Value::map([("empty", list(vec![])), ("flag", Value::from(false))]),
            ),
        ]);
        let text = call_ok("yamlencode", vec![v.clone()]);
        assert_eq!(call_ok("yamldecode", vec![text]), v);
    }
}
