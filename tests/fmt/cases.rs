//! Before/after pairs for every layout rule (insta snapshots, one per case, in `snapshots/`), plus
//! explicit assertions for the rules that matter most, the optional Terraform rewrites and errors.
//!
//! In the snapshots a tab shows as `␉`, a trailing space as `·`, a carriage return as `␍`, and
//! `⟨eof⟩` marks the end of the text.

use crate::{check_invariants, fmt, fmt_tf};
use infra::fmt::format_source;

/// (name, input). Each name is also the snapshot's name.
const CASES: &[(&str, &str)] = &[
    (
        "indent_nested_blocks",
        "terraform {\nrequired_providers {\naws = {\nsource = \"hashicorp/aws\"\n}\n}\n}\n",
    ),
    (
        "indent_overindented",
        "resource \"a\" \"b\" {\n        x = 1\n    nested {\n                y = 2\n    }\n}\n",
    ),
    (
        "indent_tabs",
        "resource \"a\" \"b\" {\n\tx\t=\t1\n\tnested {\n\t\ty = 2\n\t}\n}\n",
    ),
    ("align_run", "a = 1\nbungle = 2\nccc = \"three\"\n"),
    (
        "align_run_broken_by_blank_line",
        "a = 1\nbungle = 2\n\nccc = 3\nd = 4\n",
    ),
    (
        "align_run_broken_by_comment_line",
        "a = 1\nbungle = 2\n# about ccc\nccc = 3\nd = 4\n",
    ),
    ("align_run_broken_by_block", "a = 1\nnested {\n  x = 1\n}\nbungle = 2\n"),
    (
        "align_run_broken_by_multiline_value",
        "a = 1\nlist = [\n  1,\n]\nbungle = 2\nc = 3\n",
    ),
    ("align_heredoc_joins_run", "a = 1\nbungle = <<EOT\ntext\nEOT\nc = 3\n"),
    (
        "align_object_items",
        "tags = {\n  Name = \"web\"\n  Environment = \"stage\"\n\n  Team = \"product\"\n  CostCenter = \"42\"\n}\n",
    ),
    ("align_unicode_names", "ünïcode = 1\nb = 2\n"),
    (
        "align_trailing_comments",
        "a = 1 # one\nbungle = \"two\" # two\nccc = 3\nd = 4 // four\ne = 5 // five\n",
    ),
    (
        "align_comment_after_block_brace",
        "resource \"x\" \"y\" { # opens\n  a = 1 # one\n} # closes\n",
    ),
    ("spaces_around_equals", "a=1\nb   =    2\nc\t=\t\"x\"\n"),
    (
        "spaces_operators",
        "x = a+b*c -d/e%f\ny = a==b&&c!=d||!e\nz = a<b?c:d>=e?f:-1\nw = (  -a  )\nv = 1- -2\n",
    ),
    // `-` inside a name is part of the name, not a subtraction.
    ("dashes_in_names", "x = my-var.some-attr\ny = local.a -local.b\n"),
    (
        "spaces_calls_and_indexes",
        "x = merge( a , b )[ \"k\" ]\ny = foo(a,b...)\nz = a.b [0] . c\nw = provider :: aws :: arn_parse(\"x\")\n",
    ),
    ("spaces_splats", "x = a[ * ].b\ny = a . * . b\n"),
    (
        "spaces_for_expressions",
        "x = [for s in var.l:upper(s) if s!=\"\"]\ny = {for k,v in var.m:k=>v...}\nz = [for x in [1,2]: x]\n",
    ),
    (
        "spaces_braces",
        "x = {a=1}\ny = { }\nz = []\nw = [ [ ] ]\nb {a = 1}\nc {   }\n",
    ),
    (
        "block_labels_quoted",
        "resource aws_instance web {\n}\nprovider aws {}\nmodule \"m\" {}\n",
    ),
    (
        "block_label_comments",
        "resource \"a\" /* dropped */ \"b\" /* kept */ {\n}\n",
    ),
    ("block_header_spacing", "resource   \"a\"\t\"b\"{\n}\nlocals{\n}\n"),
    ("empty_blocks", "a {}\nb { }\nc {\n}\nd {\n\n}\n"),
    (
        "trailing_whitespace",
        "a = 1   \nb {  \n  c = \"x  \"\t\n}  \n# note   \n/* block   \n   comment\t*/\n",
    ),
    ("final_newline_added", "a = 1"),
    ("final_newlines_collapsed", "a = 1\n\n\n\n"),
    ("blank_lines_kept", "\na = 1\n\n\n\nb {\n\n  c = 1\n\n}\n"),
    (
        "comments_indented_with_line",
        "b {\n# hash\n      // slashes\n/* block */\n  x = 1\n      }\n",
    ),
    (
        "comment_multiline_block_untouched",
        "b {\n      /* first\n   keeps its\n         inner layout */\n  x = 1\n}\n",
    ),
    (
        "heredoc_untouched",
        "b {\nx = <<EOT\n  keep   this   \n\tindent\nEOT\n    y = 1\n}\n",
    ),
    (
        "heredoc_indented_untouched",
        "b {\n      x = <<-EOT\n        first\n          second\n        EOT\n}\n",
    ),
    (
        "heredoc_interpolation_spacing",
        "x = <<EOT\nhello ${ var.name }\n%{ for s in var.l ~}\n${ s }\n%{ endfor ~}\nEOT\n",
    ),
    (
        "heredoc_multiline_interpolation",
        "a = <<EOT\n${foo(\n1,\n2)}\nEOT\nb = 1\n",
    ),
    (
        "string_contents_untouched",
        "x = \"  two  spaces  \"\ny = \"a\\tb\\\"c\"\nz = \"$${not} %%{an} interpolation\"\n",
    ),
    (
        "interpolation_spacing",
        "x = \"hello ${ var.name }!\"\ny = \"${~ a ~}\"\nz = \"%{ if a }yes%{ else }no%{ endif }\"\nw = \"${ { a = 1 } }\"\n",
    ),
    (
        "legacy_interpolation_left_alone",
        "ami = \"${var.ami}\"\nname = \"${var.prefix}-web\"\n",
    ),
    (
        "multiline_list",
        "x = [\n\"a\",\n        \"b\",\n  [\n  1,\n  2,\n  ],\n]\n",
    ),
    (
        "multiline_object",
        "x = {\nName = \"web\"\n      nested = {\n  deep = true\n  deeper = {\n  a = 1\n  }\n  }\n}\n",
    ),
    (
        "multiline_call",
        "x = merge(var.tags, {\nName = \"web\"\nTeam = \"product\"\n})\ny = jsonencode({\n  Statement = [{\n  Effect = \"Allow\"\n  }]\n})\n",
    ),
    ("multiline_conditional", "x = (\nvar.a\n? 1\n: 2\n)\n"),
    (
        "multiline_comments_in_list",
        "x = [\n# first\n\"a\", # the a\n\"bbb\", # the b\n]\n",
    ),
    ("degenerate_brackets", "x = [[\n[\na\n]]\n]\ny = [\n1, 2,\n3]\n"),
    (
        "crlf_kept",
        "a = 1\r\nbungle = 2\r\nb {\r\nc = <<EOT\r\ntext\r\nEOT\r\n}\r\n",
    ),
    ("bom_dropped", "\u{feff}a = 1\n"),
    (
        "tfvars",
        "region = \"eu-west-1\"\ninstance_type = \"t3.small\"\nazs = [\n\"eu-west-1a\",\n\"eu-west-1b\",\n]\ntags = {\nOwner = \"platform\"\n}\n",
    ),
    ("empty_file", ""),
    ("only_comments", "# just a note\n\n// and another\n"),
];

/// Text with its invisible characters made visible.
fn show(text: &str) -> String {
    let mut out = String::new();
    for line in text.split_inclusive('\n') {
        let (body, nl) = match line.strip_suffix('\n') {
            Some(b) => (b, "\n"),
            None => (line, ""),
        };
        let (body, cr) = match body.strip_suffix('\r') {
            Some(b) => (b, "␍"),
            None => (body, ""),
        };
        let trimmed = body.trim_end_matches(' ');
        out.push_str(&trimmed.replace('\t', "␉").replace('\u{feff}', "⟨bom⟩"));
        out.push_str(&"·".repeat(body.len() - trimmed.len()));
        out.push_str(cr);
        out.push_str(nl);
    }
    out.push_str("⟨eof⟩");
    out
}

#[test]
fn before_and_after() {
    for (name, input) in CASES {
        let output = fmt(input);
        check_invariants(name, input, &output);
        insta::assert_snapshot!(
            *name,
            format!("--- before\n{}\n--- after\n{}", show(input), show(&output))
        );
    }
}

#[test]
fn two_space_indentation_per_level() {
    let out = fmt("a {\nb {\nc {\nd = 1\n}\n}\n}\n");
    assert_eq!(out, "a {\n  b {\n    c {\n      d = 1\n    }\n  }\n}\n");
}

#[test]
fn equals_aligned_within_runs_only() {
    let out = fmt("a = 1\nbungle = 2\n\nc = 3\nlonger_name = 4\n# note\nx = 5\n");
    assert_eq!(
        out,
        "a      = 1\nbungle = 2\n\nc           = 3\nlonger_name = 4\n# note\nx = 5\n"
    );
}

#[test]
fn multi_line_value_breaks_the_run_but_its_items_align() {
    let out = fmt("a = 1\ntags = {\nName = 1\nEnvironment = 2\n}\nbungle = 3\n");
    assert_eq!(
        out,
        "a = 1\ntags = {\n  Name        = 1\n  Environment = 2\n}\nbungle = 3\n"
    );
}

#[test]
fn labels_are_quoted_and_empty_braces_closed() {
    assert_eq!(
        fmt("resource aws_vpc main {   }\n"),
        "resource \"aws_vpc\" \"main\" {}\n"
    );
    assert_eq!(fmt("provider aws {\n}\n"), "provider \"aws\" {\n}\n");
}

#[test]
fn quoted_labels_keep_their_value() {
    // Escapes in labels are rewritten to Terraform's canonical escapes; the value is unchanged.
    assert_eq!(fmt("a \"x\\u0041\\ty\" {}\n"), "a \"xA\\ty\" {}\n");
    // (terraform fmt 1.11 drops a label holding an escaped `$${` or `%%{` altogether; this keeps it.)
    assert_eq!(fmt("a \"$${x}\" \"%%{y}\" {}\n"), "a \"$${x}\" \"%%{y}\" {}\n");
}

#[test]
fn heredoc_bodies_and_strings_are_byte_for_byte_unchanged() {
    let body = "  line with trailing spaces   \n\tand a tab\n    EOT-not-the-end\n";
    let input = format!("b {{\n        x = <<EOT\n{body}EOT\n  s = \"  a  b  \"\n}}\n");
    let out = fmt(&input);
    assert_eq!(out, format!("b {{\n  x = <<EOT\n{body}EOT\n  s = \"  a  b  \"\n}}\n"));
}

#[test]
fn trailing_whitespace_and_final_newline() {
    assert_eq!(fmt("a = 1   \n# c   \n\n\n"), "a = 1\n# c\n");
    assert_eq!(fmt("a = 1"), "a = 1\n");
    assert_eq!(fmt(""), "");
    assert_eq!(fmt("\n\n"), "");
    assert_eq!(fmt("a = 1\r\nb = 2\r\n\r\n"), "a = 1\r\nb = 2\r\n");
}

#[test]
fn blank_lines_are_kept_like_terraform() {
    // terraform fmt leaves vertical whitespace to the author; so does this formatter (except at the
    // end of the file).
    assert_eq!(fmt("a = 1\n\n\n\nb = 2\n"), "a = 1\n\n\n\nb = 2\n");
}

#[test]
fn legacy_interpolation_is_left_alone_by_default() {
    assert_eq!(fmt("a = \"${var.x}\"\n"), "a = \"${var.x}\"\n");
}

#[test]
fn interpolation_inner_spacing_is_normalized() {
    assert_eq!(fmt("a = \"x ${ var.y } z\"\n"), "a = \"x ${var.y} z\"\n");
}

#[test]
fn terraform_rewrites_unwrap_and_normalize_types() {
    assert_eq!(
        fmt_tf("a = \"${var.x}\"\nbungle = \"${var.y}-z\"\n"),
        "a      = var.x\nbungle = \"${var.y}-z\"\n"
    );
    assert_eq!(fmt_tf("a = \"${\n  var.c ? 1 :\n  2\n}\"\n"), "a = (var.c ? 1 :\n2)\n");
    assert_eq!(fmt_tf("a = \"${\"${x}\"}\"\n"), "a = x\n");
    assert_eq!(
        fmt_tf(
            "variable \"a\" {\n  type = \"string\"\n}\nvariable \"b\" {\n  type = list\n}\nvariable \"c\" {\n  type = \"map\"\n}\n"
        ),
        "variable \"a\" {\n  type = string\n}\nvariable \"b\" {\n  type = list(any)\n}\nvariable \"c\" {\n  type = map(string)\n}\n"
    );
    // Only top-level `variable` blocks, and only `type`.
    assert_eq!(fmt_tf("locals {\n  type = list\n}\n"), "locals {\n  type = list\n}\n");
    // An interpolation with a comment inside is left alone: unwrapping it would swallow the line end.
    assert_eq!(fmt_tf("a = \"${x # why\n}\"\n"), "a = \"${x # why\n}\"\n");
}

#[test]
fn invalid_hcl_is_refused_with_a_position() {
    let err = format_source("a = 1\nb = {\n").unwrap_err();
    assert!(err.starts_with(char::is_numeric) && err.contains(':'), "{err}");
    let err = format_source("resource \"a\" \"b\" {\n  x = = 1\n}\n").unwrap_err();
    assert!(err.starts_with("2:"), "{err}");
    let err = format_source("a = \"unterminated\n").unwrap_err();
    assert!(err.starts_with("1:"), "{err}");
}
