//! Output of estimates: a text table, a Markdown table and JSON, each for one or several environments side by
//! side (`infra cost --env stage --env prod`).
//!
//! Rows are resources (with their monthly cost per environment) followed by their components, lined up across
//! environments by component id; where environments differ in a component's details (class, task count), the
//! line carries the generic part of its name (`Fargate vCPU`) and the single-environment table has the details.
//! With one environment the table also shows each component's quantity and unit price. Totals per provider and
//! the total close the table; notes below it say which resources are not priced or unknown and why, which
//! usage-based components have no usage figure, and which assumptions were made. JSON carries everything,
//! including each component's catalog entry (key, file, source, date); amounts are decimal strings.

use super::estimate::{Component, Estimate, ResourceCost, Status, fmt_quantity};
use super::money::{Money, group_thousands};
use serde_json::{Value as Json, json};

/// One line of the report, before formatting.
struct Row {
    label: String,
    indent: bool,
    /// Quantity and unit price (only used with a single environment).
    detail: Option<(String, String)>,
    cells: Vec<String>,
    sep: Sep,
}

/// What separates a row from the one above it in the text table.
#[derive(Clone, Copy, PartialEq)]
enum Sep {
    None,
    Blank,
    Rule,
}

fn resource_cell(r: Option<&ResourceCost>) -> String {
    match r {
        None => "-".into(),
        Some(r) => match &r.status {
            Status::Priced => r.monthly.to_string(),
            Status::Free => "free".into(),
            Status::NotPriced(_) => "not priced".into(),
            Status::Unknown(_) => format!("{} + ?", r.monthly),
        },
    }
}

fn component_cell(c: Option<&Component>) -> String {
    match c {
        None => "-".into(),
        Some(c) => match c.monthly {
            Some(m) => m.to_string(),
            None => "usage?".into(),
        },
    }
}

fn unit_price(c: &Component) -> String {
    format!("${} / {}", group_thousands(&c.unit_price.to_string()), c.unit)
}

fn quantity(c: &Component) -> String {
    match c.quantity {
        Some(q) => format!("{} {}", fmt_quantity(q), c.unit),
        None => format!("usage: {}", c.usage_key.as_deref().unwrap_or("?")),
    }
}

/// Resource addresses in first-seen order across environments.
fn addresses(envs: &[(&str, &Estimate)]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (_, e) in envs {
        for r in &e.resources {
            if !out.contains(&r.address) {
                out.push(r.address.clone());
            }
        }
    }
    out
}

fn providers(envs: &[(&str, &Estimate)]) -> Vec<String> {
    let mut out: Vec<String> = envs
        .iter()
        .flat_map(|(_, e)| e.providers.iter().map(|p| p.provider.clone()))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn rows(envs: &[(&str, &Estimate)]) -> Vec<Row> {
    let single = envs.len() == 1;
    let mut rows = Vec::new();
    let mut prev_had_components = false;
    for (i, address) in addresses(envs).iter().enumerate() {
        let per_env: Vec<Option<&ResourceCost>> = envs.iter().map(|(_, e)| e.resource(address)).collect();
        let mut ids: Vec<&str> = Vec::new();
        for r in per_env.iter().flatten() {
            for c in &r.components {
                if !ids.contains(&c.id.as_str()) {
                    ids.push(&c.id);
                }
            }
        }
        let has_components = !ids.is_empty();
        rows.push(Row {
            label: address.clone(),
            indent: false,
            detail: single.then(|| (String::new(), String::new())),
            cells: per_env.iter().map(|r| resource_cell(*r)).collect(),
            sep: if i > 0 && (has_components || prev_had_components) {
                Sep::Blank
            } else {
                Sep::None
            },
        });
        prev_had_components = has_components;
        for id in ids {
            let comps: Vec<Option<&Component>> = per_env
                .iter()
                .map(|r| r.and_then(|r| r.components.iter().find(|c| c.id == id)))
                .collect();
            let mut present = comps.iter().flatten();
            let first = present.next().expect("an id comes from a component");
            // Environments that differ in details (class, counts) share the line under the generic name.
            let label = if present.all(|c| c.name == first.name) {
                first.name.clone()
            } else {
                first.name.split(" (").next().unwrap_or(&first.name).to_string()
            };
            rows.push(Row {
                label,
                indent: true,
                detail: single.then(|| (quantity(first), unit_price(first))),
                cells: comps.iter().map(|c| component_cell(*c)).collect(),
                sep: Sep::None,
            });
        }
    }
    let mut first_total = true;
    // A subtotal per top-level module instance (`module.service["api"]`), when resources are in modules.
    let mut modules: Vec<String> = Vec::new();
    for (_, e) in envs {
        for r in &e.resources {
            if let Some(m) = top_module(&r.address)
                && !modules.contains(&m)
            {
                modules.push(m);
            }
        }
    }
    modules.sort();
    for m in modules {
        rows.push(Row {
            label: format!("{m} subtotal"),
            indent: false,
            detail: single.then(|| (String::new(), String::new())),
            cells: envs
                .iter()
                .map(|(_, e)| {
                    e.resources
                        .iter()
                        .filter(|r| top_module(&r.address).as_deref() == Some(m.as_str()))
                        .map(|r| r.monthly)
                        .sum::<Money>()
                        .to_string()
                })
                .collect(),
            sep: if first_total { Sep::Rule } else { Sep::None },
        });
        first_total = false;
    }
    for provider in providers(envs) {
        rows.push(Row {
            label: format!("{provider} total"),
            indent: false,
            detail: single.then(|| (String::new(), String::new())),
            cells: envs
                .iter()
                .map(|(_, e)| e.provider_total(&provider).to_string())
                .collect(),
            sep: if first_total { Sep::Rule } else { Sep::None },
        });
        first_total = false;
    }
    rows.push(Row {
        label: "Total".into(),
        indent: false,
        detail: single.then(|| (String::new(), String::new())),
        cells: envs.iter().map(|(_, e)| total_cell(e)).collect(),
        sep: if first_total { Sep::Rule } else { Sep::None },
    });
    rows
}

/// The top-level module instance an address is in (`module.service["api"]`), if any.
fn top_module(address: &str) -> Option<String> {
    let a: crate::addrs::InstanceAddr = address.parse().ok()?;
    let first = a.resource.module.0.first()?.clone();
    Some(crate::addrs::ModulePath(vec![first]).to_string())
}

fn total_cell(e: &Estimate) -> String {
    if e.unknown_count() > 0 {
        format!("{} + ?", e.total)
    } else {
        e.total.to_string()
    }
}

/// Notes under the table: not priced and unknown resources, missing usage figures, assumptions.
fn notes(envs: &[(&str, &Estimate)]) -> Vec<String> {
    let mut out = Vec::new();
    let tag = |name: &str| {
        if envs.len() > 1 {
            format!("[{name}] ")
        } else {
            String::new()
        }
    };
    for (name, e) in envs {
        for r in &e.resources {
            match &r.status {
                Status::NotPriced(reason) => out.push(format!("{}{}: not priced: {reason}", tag(name), r.address)),
                Status::Unknown(reason) => out.push(format!("{}{}: partly priced: {reason}", tag(name), r.address)),
                _ => {}
            }
            for c in r.components.iter().filter(|c| c.quantity.is_none()) {
                out.push(format!(
                    "{}{}: {} depends on usage: set `{}` in a usage file ({})",
                    tag(name),
                    r.address,
                    c.name,
                    c.usage_key.as_deref().unwrap_or("?"),
                    unit_price(c)
                ));
            }
            for n in &r.notes {
                out.push(format!("{}{}: {n}", tag(name), r.address));
            }
        }
    }
    out
}

/// A text table for a terminal. See the module documentation.
pub fn render_table(envs: &[(&str, &Estimate)]) -> String {
    let single = envs.len() == 1;
    let rows = rows(envs);
    let mut headers = vec!["Resource".to_string()];
    if single {
        headers.push("Quantity".into());
        headers.push("Unit price".into());
    }
    headers.extend(
        envs.iter()
            .map(|(n, _)| if single { "Monthly".to_string() } else { n.to_string() }),
    );
    let line_of = |r: &Row| -> Vec<String> {
        let mut v = vec![if r.indent {
            format!("  {}", r.label)
        } else {
            r.label.clone()
        }];
        if let Some((q, p)) = &r.detail {
            v.push(q.clone());
            v.push(p.clone());
        }
        v.extend(r.cells.iter().cloned());
        v
    };
    let lines: Vec<Vec<String>> = rows.iter().map(line_of).collect();
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for l in &lines {
        for (i, cell) in l.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let fmt_line = |cells: &[String]| -> String {
        let mut s = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            let pad = widths[i] - cell.chars().count();
            let right = i > 0 && !(single && i == 2);
            if right {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                s.push_str(&" ".repeat(pad));
            }
        }
        s.trim_end().to_string()
    };
    let total_width: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
    let mut out = String::new();
    out.push_str(&fmt_line(&headers));
    out.push('\n');
    out.push_str(&"─".repeat(total_width));
    out.push('\n');
    for (row, line) in rows.iter().zip(&lines) {
        match row.sep {
            Sep::Rule => {
                out.push_str(&"─".repeat(total_width));
                out.push('\n');
            }
            Sep::Blank => out.push('\n'),
            Sep::None => {}
        }
        out.push_str(&fmt_line(line));
        out.push('\n');
    }
    let notes = notes(envs);
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            out.push_str("* ");
            out.push_str(&n);
            out.push('\n');
        }
    }
    out
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|")
}

/// A Markdown table (for pull-request comments). See the module documentation.
pub fn render_markdown(envs: &[(&str, &Estimate)]) -> String {
    let single = envs.len() == 1;
    let mut out = String::new();
    let mut headers = vec!["Resource".to_string()];
    if single {
        headers.push("Quantity".into());
        headers.push("Unit price".into());
    }
    headers.extend(
        envs.iter()
            .map(|(n, _)| if single { "Monthly".to_string() } else { md_escape(n) }),
    );
    out.push_str(&format!("| {} |\n", headers.join(" | ")));
    let aligns: Vec<&str> = (0..headers.len())
        .map(|i| if i == 0 || (single && i == 2) { "---" } else { "---:" })
        .collect();
    out.push_str(&format!("| {} |\n", aligns.join(" | ")));
    for r in rows(envs) {
        let label = if r.indent {
            format!("&nbsp;&nbsp;{}", md_escape(&r.label))
        } else if r.label == "Total" || r.label.ends_with(" total") {
            format!("**{}**", md_escape(&r.label))
        } else {
            format!("`{}`", md_escape(&r.label))
        };
        let mut cells = vec![label];
        if let Some((q, p)) = &r.detail {
            cells.push(md_escape(q));
            cells.push(md_escape(p));
        }
        cells.extend(r.cells.iter().map(|c| md_escape(c)));
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    let notes = notes(envs);
    if !notes.is_empty() {
        out.push('\n');
        for n in notes {
            out.push_str(&format!("- {}\n", md_escape(&n)));
        }
    }
    out
}

fn money_json(m: Money) -> Json {
    Json::String(m.to_plain_string())
}

fn component_json(c: &Component) -> Json {
    json!({
        "id": c.id,
        "name": c.name,
        "unit": c.unit,
        "quantity": c.quantity.map(|q| q.normalize().to_string()),
        "unit_price": c.unit_price.to_string(),
        "monthly": c.monthly.map(money_json),
        "usage_key": c.usage_key,
        "price": {
            "key": c.price.key,
            "file": c.price.file,
            "source": c.price.source,
            "url": c.price.url,
            "read_on": c.price.read_on,
            "note": c.price.note,
        },
    })
}

fn resource_json(r: &ResourceCost) -> Json {
    json!({
        "address": r.address,
        "type": r.type_name,
        "provider": r.provider,
        "region": r.region,
        "status": r.status.kind(),
        "reason": r.status.reason(),
        "monthly": money_json(r.monthly),
        "components": r.components.iter().map(component_json).collect::<Vec<_>>(),
        "notes": r.notes,
    })
}

/// Everything as JSON: `{"currency": "USD", "environments": [{"name", "total", "providers", "resources"...}]}`.
pub fn to_json(envs: &[(&str, &Estimate)]) -> Json {
    let environments: Vec<Json> = envs
        .iter()
        .map(|(name, e)| {
            let providers: serde_json::Map<String, Json> = e
                .providers
                .iter()
                .map(|p| (p.provider.clone(), money_json(p.monthly)))
                .collect();
            json!({
                "name": name,
                "total": money_json(e.total),
                "providers": providers,
                "unknown_resources": e.unknown_count(),
                "not_priced_resources": e.not_priced_count(),
                "resources": e.resources.iter().map(resource_json).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "currency": "USD", "environments": environments })
}
