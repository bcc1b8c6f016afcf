//! Property checks over generated files (see [`super::generator`]): for each seed the output parses
//! to the input's structure, only whitespace changed, formatting is idempotent (also with the
//! Terraform rewrites), no line ends in whitespace, the file ends with one newline, and the output
//! depends only on tokens and line breaks: the same file laid out with other spaces and tabs
//! formats identically.

use super::generator::{Gen, Rng};
use crate::{check_invariants, fmt, fmt_tf, without_whitespace};
use infra::fmt::format_source;

const SEEDS: u64 = 64;

#[test]
fn generated_files_keep_structure_and_are_idempotent() {
    for seed in 0..SEEDS {
        let generator = Gen::new(seed);
        let bare_labels = generator.bare_labels;
        let input = generator.file();
        let name = format!("seed {seed}");
        let out = fmt(&input);
        check_invariants(&name, &input, &out);

        let strip = |s: &str| {
            let w = without_whitespace(s);
            if bare_labels { w.replace('"', "") } else { w }
        };
        assert_eq!(
            strip(&out),
            strip(&input),
            "{name}: more than whitespace changed\n{input}\n---\n{out}"
        );

        for line in out.lines() {
            assert_eq!(
                line,
                line.trim_end_matches([' ', '\t']),
                "{name}: trailing whitespace in {line:?}"
            );
        }

        let rewritten = fmt_tf(&input);
        assert_eq!(fmt_tf(&rewritten), rewritten, "{name}: rewrites are not idempotent");
        assert_eq!(fmt_tf(&out), rewritten, "{name}: rewriting the default layout differs");
    }
}

#[test]
fn output_depends_only_on_tokens_and_line_breaks() {
    for seed in 0..SEEDS {
        let reference = fmt(&Gen::with_layout(seed, 0).file());
        for layout in 1..4 {
            let input = Gen::with_layout(seed, layout).file();
            assert_eq!(
                fmt(&input),
                reference,
                "seed {seed}, layout {layout}\n--- input\n{input}"
            );
        }
    }
}

#[test]
fn generated_files_are_varied() {
    // The properties above mean little if the generator only produced trivial files.
    let files: Vec<String> = (0..SEEDS).map(|s| Gen::new(s).file()).collect();
    let all = files.concat();
    for needle in [
        "<<EOT", "<<-EOT", "${", "%{", "# ", "//", "/*", "[for", "{for", "? ", "\t", "{\n", "[\n", "(\n",
    ] {
        assert!(all.contains(needle), "no generated file contains {needle:?}");
    }
    let distinct: std::collections::BTreeSet<&String> = files.iter().collect();
    assert_eq!(distinct.len(), files.len());
    assert!(files.iter().filter(|f| f.lines().count() >= 10).count() >= SEEDS as usize / 4);
}

#[test]
fn arbitrary_text_is_refused_or_formatted_never_mangled() {
    // Random sequences of HCL's significant pieces: mostly invalid, sometimes valid. The formatter
    // must never panic or hang, and whatever it accepts must satisfy every invariant.
    const PIECES: &[&str] = &[
        "a", "b_c", "d-e", " ", "  ", "\t", "\n", "\r\n", "=", "==", "{", "}", "[", "]", "(", ")", "\"", "${", "%{",
        "~}", "<<EOT\n", "<<-EOT\n", "EOT\n", "  EOT\n", "#", "//", "/*", "*/", "-", ",", ".", "...", "1", "2.5", "ü",
        "\\", "$", "%", ":", "?", "!", "<", ">", "&&", "=>", "for", "in", "if",
    ];
    let mut rng = Rng::new(7);
    let mut accepted = 0;
    for i in 0..3000 {
        let len = rng.below(30);
        let input: String = (0..len).map(|_| rng.pick(PIECES)).collect();
        match format_source(&input) {
            Ok(out) => {
                accepted += 1;
                check_invariants(&format!("soup {i}: {input:?}"), &input, &out);
            }
            Err(e) => assert!(!e.contains("internal formatter error"), "soup {i}: {input:?}: {e}"),
        }
    }
    assert!(accepted >= 30, "only {accepted} random texts were valid HCL");
}
