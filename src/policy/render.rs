//! A policy report as text (after the plan), Markdown (the pull-request summary) and JSON.

use super::{Level, Report, settings::format_duration};
use crate::plan::render::Style;

fn headline(r: &Report) -> String {
    format!(
        "Policy (environment {}, rpo {}{}): {} error(s), {} warning(s), {} waived",
        r.environment,
        format_duration(r.rpo),
        if r.rpo_assumed { " assumed" } else { "" },
        r.count(Level::Error),
        r.count(Level::Warning),
        r.waived()
    )
}

/// The text report.
pub fn text(r: &Report, out: Style) -> String {
    let mut s = format!("\n{}\n", out.bold(&headline(r)));
    for f in &r.findings {
        let tag = match (&f.waived, f.severity) {
            (Some(_), _) => out.cyan("waived"),
            (None, Level::Error) => out.red("error"),
            (None, Level::Warning) => out.yellow("warning"),
        };
        s.push_str(&format!("\n  {tag}[{}] {}: {}\n", f.rule, f.address, f.message));
        s.push_str(&format!("    --> {}{}\n", f.location, attribute(&f.attribute)));
        match &f.waived {
            Some(reason) => s.push_str(&format!("    waived: {reason}\n")),
            None => s.push_str(&format!("    fix: {}\n", f.fix)),
        }
    }
    for w in &r.unused_waivers {
        s.push_str(&format!(
            "\n  {}: the waiver at {w} covers no finding any more; remove it\n",
            out.yellow("warning")
        ));
    }
    if r.findings.is_empty() {
        s.push_str("  Every rule passes.\n");
    }
    s
}

fn attribute(a: &str) -> String {
    if a.is_empty() { String::new() } else { format!(" ({a})") }
}

/// The Markdown section.
pub fn markdown(r: &Report) -> String {
    let mut s = format!("### {}\n\n", headline(r));
    if r.findings.is_empty() {
        s.push_str("Every rule passes.\n");
        return s;
    }
    s.push_str("| | rule | resource | where | finding |\n| --- | --- | --- | --- | --- |\n");
    let cell = |t: &str| t.replace('|', "\\|").replace('\n', " ");
    for f in &r.findings {
        let (mark, detail) = match &f.waived {
            Some(reason) => ("waived", format!("{} — waived: {reason}", f.message)),
            None => (f.severity.as_str(), format!("{} — fix: {}", f.message, f.fix)),
        };
        s.push_str(&format!(
            "| {mark} | `{}` | `{}` | `{}`{} | {} |\n",
            f.rule,
            cell(&f.address),
            cell(&f.location),
            attribute(&f.attribute),
            cell(&detail)
        ));
    }
    s
}

/// The JSON report (`infra policy --json`, the `infra_policy` key of `plan --json`).
pub fn json(r: &Report) -> serde_json::Value {
    serde_json::json!({
        "environment": r.environment,
        "rpo": format_duration(r.rpo),
        "rpo_assumed": r.rpo_assumed,
        "errors": r.count(Level::Error),
        "warnings": r.count(Level::Warning),
        "waived": r.waived(),
        "findings": r.findings,
        "unused_waivers": r.unused_waivers,
    })
}
