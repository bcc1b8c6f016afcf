//! Whole files: Terraform's own output for realistic configurations, and idempotence plus structure
//! preservation over every `.tf`/`.tfvars` file in the repository.
//!
//! Each `fixtures/NAME.in.tf` (or `.in.tfvars`) is deliberately badly laid out; the `fixtures/NAME.tf`
//! next to it is what `terraform fmt -` (Terraform v1.11.4) printed for it. Regenerate with
//! `terraform fmt - < NAME.in.tf > NAME.tf` after editing an input.

use crate::{check_invariants, fmt, fmt_tf, structure, without_whitespace};
use infra::fmt::format_source;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fmt/fixtures")
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// (input, Terraform's output) pairs.
fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures()).expect("fixtures directory") {
        let path = entry.expect("fixture entry").path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        if let Some((stem, ext)) = name.split_once(".in.") {
            out.push((path.clone(), fixtures().join(format!("{stem}.{ext}"))));
        }
    }
    out.sort();
    out
}

#[test]
fn matches_terraform_fmt_on_realistic_files() {
    let pairs = pairs();
    assert!(pairs.len() >= 4, "fixtures missing: {pairs:?}");
    for (input, expected) in pairs {
        let (input_text, expected_text) = (read(&input), read(&expected));
        let ours = fmt_tf(&input_text);
        assert_eq!(
            ours,
            expected_text,
            "{} differs from terraform fmt's output",
            input.display()
        );
    }
}

#[test]
fn terraform_formatted_files_are_left_unchanged() {
    for (_, expected) in pairs() {
        let text = read(&expected);
        assert_eq!(fmt(&text), text, "{} was changed", expected.display());
    }
}

#[test]
fn default_layout_differs_from_terraform_only_by_the_rewrites() {
    for (input, expected) in pairs() {
        let text = read(&input);
        let ours = fmt(&text);
        check_invariants(&input.display().to_string(), &text, &ours);
        // Applying the rewrites on top of the default layout gives Terraform's output.
        assert_eq!(fmt_tf(&ours), read(&expected), "{}", input.display());
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().to_string();
        if path.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "node_modules" {
                walk(&path, out);
            }
        } else if name.ends_with(".tf") || name.ends_with(".tfvars") {
            out.push(path);
        }
    }
}

#[test]
fn every_repository_file_is_formatted_idempotently_and_keeps_its_structure() {
    let mut files = Vec::new();
    walk(Path::new(env!("CARGO_MANIFEST_DIR")), &mut files);
    files.sort();
    let mut checked = 0;
    for path in &files {
        let text = read(path);
        let out = match format_source(&text) {
            Ok(out) => out,
            // A file that is not valid HCL (say, a parser test's input) is refused, never rewritten.
            Err(e) if !e.contains("internal formatter error") => {
                assert!(
                    hcl_edit::parser::parse_body(&text).is_err(),
                    "{}: refused but parses: {e}",
                    path.display()
                );
                continue;
            }
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let name = path.display().to_string();
        check_invariants(&name, &text, &out);
        assert_eq!(structure(&out), structure(&text), "{name}");
        // Only whitespace changes, besides quotes added around bare labels (and comments dropped
        // from inside block headers, which `/*` rules out here).
        if !text.contains("/*") {
            let bare = |s: &str| without_whitespace(s).replace('"', "");
            assert_eq!(bare(&out), bare(&text), "{name}: more than whitespace changed");
        }
        checked += 1;
    }
    assert!(checked >= 8, "only {checked} files checked: {files:?}");
}
