//! Waivers: a comment inside a resource block, or in the comment lines directly above it, that accepts a
//! rule's finding for that resource with a reason:
//!
//! ```hcl
//! # infra:waive exposure-internal-port: grafana is reached only through the VPN's 0.0.0.0/0 route
//! resource "aws_security_group" "grafana" { ... }
//! ```
//!
//! A waiver covers every instance of the resource (and of every module instance the block is in). A
//! waiver without a reason, naming no known rule, or next to no resource is itself an error finding.

use super::world::World;
use super::{Finding, Level, RULES, WAIVER_RULE};
use std::collections::BTreeMap;

const MARK: &str = "infra:waive";

/// One waiver comment.
#[derive(Clone, Debug)]
pub struct Waiver {
    pub rule: String,
    pub reason: String,
    /// `file:line` of the comment.
    pub location: String,
    /// The resources it covers (with their module paths).
    pub resources: Vec<String>,
}

pub struct Waivers {
    pub list: Vec<Waiver>,
    /// Malformed waivers, as findings.
    pub problems: Vec<Finding>,
}

/// Every waiver of the configuration's files.
pub fn collect(world: &World) -> Waivers {
    // The blocks of each file: (first line, last line) → the resources declared by that block.
    let mut blocks: BTreeMap<u32, BTreeMap<(usize, usize), Vec<String>>> = BTreeMap::new();
    for r in world.cfg.resources.values() {
        let (Some((first, _)), Some((last, _))) = (
            world.cfg.sources.line_col(r.span),
            world.cfg.sources.line_col(crate::diag::Span {
                start: r.span.end.saturating_sub(1),
                ..r.span
            }),
        ) else {
            continue;
        };
        blocks
            .entry(r.span.file)
            .or_default()
            .entry((first, last))
            .or_default()
            .push(r.addr.to_string());
    }
    let mut out = Waivers {
        list: Vec::new(),
        problems: Vec::new(),
    };
    for (file, blocks) in &blocks {
        let Some(src) = world.cfg.sources.get(*file) else {
            continue;
        };
        let lines: Vec<&str> = src.text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let Some(comment) = comment_of(line) else { continue };
            let Some(rest) = comment.trim_start().strip_prefix(MARK) else {
                continue;
            };
            let n = i + 1;
            let location = format!("{}:{n}", src.name);
            let problem = |message: String, fix: &str| Finding {
                rule: WAIVER_RULE,
                severity: Level::Error,
                address: "-".into(),
                attribute: String::new(),
                location: location.clone(),
                message,
                fix: fix.to_string(),
                waived: None,
            };
            let (rule, reason) = match rest.split_once(':') {
                Some((r, why)) => (r.trim(), why.trim()),
                None => (rest.trim(), ""),
            };
            if rule.is_empty() {
                out.problems.push(problem(
                    "a waiver names no rule".into(),
                    "write `# infra:waive RULE: reason`",
                ));
                continue;
            }
            if super::rule(rule).is_none() {
                let hint = crate::lang::eval::suggest(rule, RULES.iter().map(|r| r.id))
                    .map(|s| format!(" (did you mean {s:?}?)"))
                    .unwrap_or_default();
                out.problems.push(problem(
                    format!("a waiver names {rule:?}, which is not a rule{hint}"),
                    "name one of the rules `infra policy --list` shows",
                ));
                continue;
            }
            if reason.is_empty() {
                out.problems.push(problem(
                    format!("the waiver of {rule} gives no reason"),
                    "say why after a colon: `# infra:waive RULE: why this is acceptable`",
                ));
                continue;
            }
            // Inside a block, or in the comment lines directly above one.
            let inside = blocks
                .iter()
                .filter(|((first, last), _)| *first <= n && n <= *last)
                .max_by_key(|((first, _), _)| *first);
            let below = || {
                let next = (i + 1..lines.len())
                    .find(|&j| !is_comment_line(lines[j]))
                    .map(|j| j + 1)?;
                blocks.iter().find(|((first, _), _)| *first == next)
            };
            match inside.or_else(below) {
                Some((_, resources)) => out.list.push(Waiver {
                    rule: rule.to_string(),
                    reason: reason.to_string(),
                    location,
                    resources: resources.clone(),
                }),
                None => out.problems.push(problem(
                    format!("the waiver of {rule} is not next to a resource"),
                    "put it inside the resource block, or in the comment lines directly above it",
                )),
            }
        }
    }
    out
}

/// The comment text of a line (`# ...` or `// ...`), when the line holds one outside a string.
fn comment_of(line: &str) -> Option<&str> {
    let mut in_string = false;
    let mut prev = ' ';
    for (i, c) in line.char_indices() {
        match c {
            '"' if prev != '\\' => in_string = !in_string,
            '#' if !in_string => return Some(&line[i + 1..]),
            '/' if !in_string && line[i + 1..].starts_with('/') => return Some(&line[i + 2..]),
            _ => {}
        }
        prev = c;
    }
    None
}

fn is_comment_line(line: &str) -> bool {
    let t = line.trim_start();
    t.starts_with('#') || t.starts_with("//")
}
