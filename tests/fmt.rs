//! Tests of the formatter behind `infra fmt` (`infra::fmt`): before/after snapshots of every layout
//! rule, explicit checks of the rules that matter most, Terraform's own output for realistic files,
//! idempotence and structure preservation over every `.tf`/`.tfvars` file in the repository, and
//! property checks over generated files.

mod fmt {
    pub mod cases;
    pub mod corpus;
    pub mod generator;
    pub mod properties;
}

use hcl_edit::expr::{Array, FuncArgs, Object};
use hcl_edit::structure::{Block, BlockLabel, Body};
use hcl_edit::template::{ElseTemplateExpr, ForDirective, ForTemplateExpr, IfDirective, IfTemplateExpr};
use hcl_edit::visit_mut::{self, VisitMut};
use infra::fmt::{FormatOptions, format_source, format_source_with};

/// Formats, failing the test on an error.
pub fn fmt(text: &str) -> String {
    format_source(text).unwrap_or_else(|e| panic!("format failed: {e}\n--- input\n{text}"))
}

/// Formats with Terraform's expression rewrites, failing the test on an error.
pub fn fmt_tf(text: &str) -> String {
    format_source_with(
        text,
        &FormatOptions {
            terraform_rewrites: true,
        },
    )
    .unwrap_or_else(|e| panic!("format failed: {e}\n--- input\n{text}"))
}

/// The parsed structure of a file, with everything that is layout rather than meaning removed:
/// comments and whitespace (hcl-edit's equality already ignores those around nodes), the raw
/// whitespace kept inside lists, objects, call arguments and template directives, and the
/// difference between a bare and a quoted block label.
pub fn structure(text: &str) -> Body {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut body = hcl_edit::parser::parse_body(text).unwrap_or_else(|e| panic!("does not parse: {e}\n{text}"));
    LayoutEraser.visit_body_mut(&mut body);
    body
}

struct LayoutEraser;

impl VisitMut for LayoutEraser {
    fn visit_block_mut(&mut self, node: &mut Block) {
        for label in node.labels.iter_mut() {
            if let BlockLabel::Ident(id) = label {
                *label = BlockLabel::String(hcl_edit::Decorated::new(id.as_str().to_string()));
            }
        }
        visit_mut::visit_block_mut(self, node);
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

/// The text without any whitespace: formatting may change only whitespace, so this is the same
/// before and after (for files whose labels are already quoted).
pub fn without_whitespace(text: &str) -> String {
    text.strip_prefix('\u{feff}')
        .unwrap_or(text)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect()
}

/// Every invariant a formatted file must satisfy, checked against its input.
pub fn check_invariants(name: &str, input: &str, output: &str) {
    assert_eq!(
        structure(output),
        structure(input),
        "{name}: the structure changed\n--- output\n{output}"
    );
    assert_eq!(
        fmt(output),
        output,
        "{name}: formatting is not idempotent\n--- output\n{output}"
    );
    if !output.is_empty() {
        assert!(
            output.ends_with('\n') && !output.ends_with("\n\n"),
            "{name}: not exactly one final newline"
        );
    }
    assert!(!output.contains('\t') || input.contains('\t'), "{name}: a tab appeared");
}
