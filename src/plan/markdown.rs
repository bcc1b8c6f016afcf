//! The Markdown summary of a plan, for a pull-request comment (`plan --markdown FILE`, `show --markdown`).
//!
//! In this order: the environment and counts; the monthly cost delta; what would be destroyed (called out
//! first, as a GitHub alert); a table of every change with its action and, for each replacement, the
//! attributes that force it; drift; the resources whose cost changes most; and the full plan as `plan`
//! prints it. Long tables and the full plan fold into `<details>`. Only addresses, actions, attribute
//! names and prices are shown outside the full plan, whose renderer prints `(sensitive value)` for every
//! sensitive value — so no secret reaches the comment.

use super::{Action, Plan, PlanMode, ResourceChange};
use crate::cost::delta::{CostDelta, ResourceDelta};
use crate::cost::money::Money;
use crate::provider_set::ProviderSet;
use std::fmt::Write;

/// Tables longer than this fold into `<details>`.
pub const FOLD_ROWS: usize = 25;
/// How many resources the cost table lists.
pub const TOP_COSTS: usize = 5;

/// Text for a table cell: no line breaks, pipes escaped (GitHub unescapes `\|` even in code spans).
fn cell(s: &str) -> String {
    s.replace('\n', " ").replace('|', "\\|")
}

/// Inline code that survives backticks in the text.
fn code(s: &str) -> String {
    let run = s.as_bytes().split(|&b| b != b'`').map(<[u8]>::len).max().unwrap_or(0);
    let fence = "`".repeat(run + 1);
    if run > 0 {
        format!("{fence} {s} {fence}")
    } else {
        format!("{fence}{s}{fence}")
    }
}

fn action_word(c: &ResourceChange) -> &'static str {
    match c.action {
        Action::Create => "create",
        Action::Update => "update in-place",
        Action::Replace if c.create_before_destroy => "replace (create first)",
        Action::Replace => "replace",
        Action::Delete => "destroy",
        Action::Read => "read",
        Action::NoOp => "no change",
    }
}

fn action_mark(a: Action) -> &'static str {
    match a {
        Action::Create => "🟢",
        Action::Update => "🟡",
        Action::Replace => "🟠",
        Action::Delete => "🔴",
        Action::Read => "🔵",
        Action::NoOp => "",
    }
}

fn why(c: &ResourceChange) -> String {
    let mut parts = Vec::new();
    if c.action == Action::Replace && !c.replace_paths.is_empty() {
        let attrs: Vec<String> = c.replace_paths.iter().map(|p| code(&p.to_string())).collect();
        parts.push(format!("{} forces replacement", attrs.join(", ")));
    }
    if let Some(r) = &c.reason {
        parts.push(r.describe().to_string());
    }
    if c.deposed.is_some() && c.reason.is_none() {
        parts.push("a deposed object".into());
    }
    parts.join("; ")
}

fn fold(out: &mut String, summary: &str, rows: usize, body: &str) {
    if rows > FOLD_ROWS {
        let _ = write!(out, "<details><summary>{summary}</summary>\n\n{body}\n</details>\n\n");
    } else {
        let _ = writeln!(out, "{body}");
    }
}

/// Renders the summary.
pub fn render(plan: &Plan, providers: &ProviderSet, cost: Option<&CostDelta>) -> String {
    let mut out = String::new();
    let sum = plan.summary();
    let title = match plan.mode {
        PlanMode::Normal => "infra plan",
        PlanMode::Destroy => "infra plan (destroy)",
        PlanMode::RefreshOnly => "infra plan (refresh only)",
    };
    let _ = writeln!(out, "### {title}: environment {}\n", code(&plan.env));
    let changes: Vec<&ResourceChange> = plan.changes.iter().filter(|c| !c.is_noop()).collect();
    if changes.is_empty() {
        out.push_str("**No changes.** The infrastructure matches the configuration.\n\n");
    } else {
        let _ = writeln!(
            out,
            "**Plan: {} to add, {} to change, {} to destroy.**{}\n",
            sum.add,
            sum.change,
            sum.destroy,
            if sum.read > 0 {
                format!(" {} data sources read during apply.", sum.read)
            } else {
                String::new()
            }
        );
    }
    if let Some(c) = cost {
        let line = if c.change.is_zero() {
            format!("Monthly cost: **no change** ({} per month)", c.after)
        } else {
            format!(
                "Monthly cost: **{}** per month ({} → {})",
                c.change.signed(),
                c.before,
                c.after
            )
        };
        let _ = write!(out, "{line}");
        match c.unknown_after {
            0 => out.push_str("\n\n"),
            1 => out.push_str("; 1 resource is only partly priced until apply.\n\n"),
            n => {
                let _ = write!(out, "; {n} resources are only partly priced until apply.\n\n");
            }
        }
    }
    // What would be destroyed, first.
    let destroyed: Vec<&&ResourceChange> = changes
        .iter()
        .filter(|c| matches!(c.action, Action::Delete | Action::Replace))
        .collect();
    if !destroyed.is_empty() {
        let _ = writeln!(
            out,
            "> [!CAUTION]\n> **{} {} destroyed:**",
            destroyed.len(),
            if destroyed.len() == 1 {
                "object will be"
            } else {
                "objects will be"
            }
        );
        let shown = destroyed.len().min(FOLD_ROWS);
        for c in &destroyed[..shown] {
            let how = if c.action == Action::Replace {
                " (replaced by a new one)"
            } else {
                ""
            };
            let _ = writeln!(out, "> - {}{how}", code(&c.addr.to_string()));
        }
        if destroyed.len() > shown {
            let _ = writeln!(out, "> - and {} more (see the table below)", destroyed.len() - shown);
        }
        out.push('\n');
    }
    if !changes.is_empty() {
        let mut table = String::from("| | Resource | Action | Why |\n|---|---|---|---|\n");
        // Destructive changes first, then the rest in plan order.
        let mut ordered: Vec<&&ResourceChange> = destroyed.clone();
        ordered.extend(
            changes
                .iter()
                .filter(|c| !matches!(c.action, Action::Delete | Action::Replace)),
        );
        for c in &ordered {
            let _ = writeln!(
                table,
                "| {} | {} | {} | {} |",
                action_mark(c.action),
                cell(&code(&c.addr.to_string())),
                action_word(c),
                cell(&why(c))
            );
        }
        fold(&mut out, &format!("{} changes", ordered.len()), ordered.len(), &table);
    }
    let drift: Vec<_> = plan.drift.iter().collect();
    if !drift.is_empty() {
        let mut table = String::from("| Resource | Changed outside infra |\n|---|---|\n");
        for d in &drift {
            let what = match &d.after {
                None => "deleted".to_string(),
                Some(after) => {
                    let names: Vec<String> = match (d.before.as_map(), after.as_map()) {
                        (Some(b), Some(a)) => a
                            .iter()
                            .filter(|(k, v)| b.get(*k) != Some(v))
                            .map(|(k, _)| code(k))
                            .chain(b.keys().filter(|k| !a.contains_key(*k)).map(|k| code(k)))
                            .collect(),
                        _ => Vec::new(),
                    };
                    if names.is_empty() {
                        "changed".into()
                    } else {
                        names.join(", ")
                    }
                }
            };
            let _ = writeln!(table, "| {} | {} |", cell(&code(&d.addr.to_string())), cell(&what));
        }
        let _ = writeln!(
            out,
            "<details><summary>Drift: {} {} changed outside infra since the last apply</summary>\n",
            drift.len(),
            if drift.len() == 1 { "object" } else { "objects" }
        );
        let _ = write!(out, "{table}\n</details>\n\n");
    }
    if let Some(c) = cost {
        let mut top: Vec<_> = c.resources.iter().collect();
        let change = |r: &&ResourceDelta| r.after.unwrap_or(Money::ZERO) - r.before.unwrap_or(Money::ZERO);
        top.sort_by_key(|r| std::cmp::Reverse(change(r).amount().abs()));
        top.retain(|r| !change(r).is_zero());
        if !top.is_empty() {
            let _ = writeln!(
                out,
                "<details><summary>Cost: the {} largest changes per month</summary>\n",
                top.len().min(TOP_COSTS)
            );
            out.push_str("| Resource | Before | After | Change |\n|---|--:|--:|--:|\n");
            let money = |m: Option<Money>| m.map(|m| m.to_string()).unwrap_or_else(|| "–".into());
            for r in top.iter().take(TOP_COSTS) {
                let _ = writeln!(
                    out,
                    "| {} | {} | {} | {} |",
                    cell(&code(&r.address)),
                    money(r.before),
                    money(r.after),
                    change(r).signed()
                );
            }
            out.push_str("\n</details>\n\n");
        }
    }
    if !changes.is_empty() || !plan.drift.is_empty() || !plan.notes.is_empty() {
        let text = super::render::render_plan(plan, providers, super::render::Style { color: false });
        let run = text
            .as_bytes()
            .split(|&b| b != b'`')
            .map(<[u8]>::len)
            .max()
            .unwrap_or(0);
        let fence = "`".repeat(run.max(2) + 1);
        let _ = write!(
            out,
            "<details><summary>Full plan</summary>\n\n{fence}text\n{}\n{fence}\n\n</details>\n",
            text.trim_end()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_survive_backticks_and_pipes_are_escaped_in_cells() {
        assert_eq!(code("aws_vpc.main"), "`aws_vpc.main`");
        assert_eq!(code("a`b"), "`` a`b ``");
        assert_eq!(cell("`x[\"a|b\"]`"), "`x[\"a\\|b\"]`");
    }
}
