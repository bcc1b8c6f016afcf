//! Bad input, one case each: exit 1, a message naming the file and line (or the state path), no API call,
//! and the state file unchanged byte for byte.
//!
//! Most cases are in the corpus `tests/e2e/bad_inputs.txt` (see [`corpus`] for its format); the tests
//! below it are the ones that need more than files and a command line.

use crate::support::{World, api_calls};
use std::io::Read;
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A cloud endpoint that counts every connection made to it and answers none: a case that reaches any
/// cloud (AWS, DigitalOcean) shows here, whatever the client logs.
struct Sink {
    url: String,
    connections: Arc<AtomicUsize>,
}

impl Sink {
    fn start() -> Sink {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", l.local_addr().unwrap());
        let connections = Arc::new(AtomicUsize::new(0));
        let n = connections.clone();
        std::thread::spawn(move || {
            for c in l.incoming() {
                n.fetch_add(1, Ordering::SeqCst);
                if let Ok(mut c) = c {
                    let mut buf = [0u8; 1024];
                    let _ = c.set_read_timeout(Some(std::time::Duration::from_millis(50)));
                    let _ = c.read(&mut buf);
                }
            }
        });
        Sink { url, connections }
    }
}

/// One case of the corpus.
struct Case {
    name: String,
    line: usize,
    args: Vec<String>,
    expect: Vec<String>,
    /// Text that must not appear in the output (a secret).
    absent: Vec<String>,
    files: Vec<(String, String)>,
}

/// The corpus format: cases start with `### name`; then `$ ARGS` (the command line after `infra -C cfg`,
/// words split on spaces, `'...'` quoting; `plan` when absent), `! TEXT` lines (each must appear in
/// stderr), `!! TEXT` lines (must appear nowhere in the output), and files, each `--- NAME` followed by its text. A file named `@state` replaces the
/// environment's state (otherwise the state is [`STATE`]). Lines starting with `#` before the first file
/// are comments.
fn parse_corpus(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut file: Option<(String, String)> = None;
    for (i, line) in text.lines().enumerate() {
        if let Some(name) = line.strip_prefix("### ") {
            if let (Some(f), Some(c)) = (file.take(), cases.last_mut()) {
                c.files.push(f);
            }
            cases.push(Case {
                name: name.trim().to_string(),
                line: i + 1,
                args: vec!["plan".into()],
                expect: Vec::new(),
                absent: Vec::new(),
                files: Vec::new(),
            });
            continue;
        }
        let Some(c) = cases.last_mut() else { continue };
        if let Some(name) = line.strip_prefix("--- ") {
            if let Some(f) = file.take() {
                c.files.push(f);
            }
            file = Some((name.trim().to_string(), String::new()));
        } else if let Some((_, body)) = file.as_mut() {
            body.push_str(line);
            body.push('\n');
        } else if let Some(a) = line.strip_prefix("$ ") {
            c.args = split_words(a);
        } else if let Some(e) = line.strip_prefix("!! ") {
            c.absent.push(e.to_string());
        } else if let Some(e) = line.strip_prefix("! ") {
            c.expect.push(e.to_string());
        } else if !(line.trim().is_empty() || line.starts_with('#')) {
            panic!("bad_inputs.txt:{}: unexpected line {line:?}", i + 1);
        }
    }
    if let (Some(f), Some(c)) = (file.take(), cases.last_mut()) {
        c.files.push(f);
    }
    cases
}

fn split_words(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut any = false;
    for ch in s.chars() {
        match ch {
            '\'' => {
                quoted = !quoted;
                any = true;
            }
            ' ' if !quoted => {
                if any {
                    out.push(std::mem::take(&mut cur));
                    any = false;
                }
            }
            c => {
                cur.push(c);
                any = true;
            }
        }
    }
    if any {
        out.push(cur);
    }
    out
}

/// Runs one case; `Err` says what went wrong.
fn run_case(c: &Case, sink: &Sink) -> Result<(), String> {
    let w = World::offline();
    let files: Vec<(&str, &str)> = c
        .files
        .iter()
        .filter(|(n, _)| n != "@state")
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    w.write(&files);
    let state = w.state_file("default");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    let state_text = c
        .files
        .iter()
        .find(|(n, _)| n == "@state")
        .map(|(_, t)| t.as_str())
        .unwrap_or(STATE);
    std::fs::write(&state, state_text).unwrap();
    let before = std::fs::read(&state).unwrap();
    let before_conns = sink.connections.load(Ordering::SeqCst);
    let args: Vec<&str> = c.args.iter().map(String::as_str).collect();
    let r = w.infra_env(
        &args,
        &[
            ("INFRA_LOG", "infra::api=debug"),
            ("AWS_ENDPOINT_URL", &sink.url),
            ("DIGITALOCEAN_API_URL", &sink.url),
            ("DIGITALOCEAN_TOKEN", "dop_v1_corpus"),
        ],
    );
    let mut problems = Vec::new();
    if r.code != 1 {
        problems.push(format!("exit {} (expected 1)", r.code));
    }
    for e in &c.expect {
        if !r.stderr.contains(e.as_str()) {
            problems.push(format!("stderr lacks {e:?}"));
        }
    }
    for a in &c.absent {
        if r.all().contains(a.as_str()) {
            problems.push(format!("the output shows {a:?}"));
        }
    }
    if r.stderr.contains("panicked") {
        problems.push("panicked".into());
    }
    let calls = api_calls(&r.stderr) + sink.connections.load(Ordering::SeqCst) - before_conns;
    if calls != 0 {
        problems.push(format!("{calls} API calls"));
    }
    if std::fs::read(&state).unwrap() != before {
        problems.push("the state changed".into());
    }
    if state.with_extension("json.lock").exists() {
        problems.push("the lock was left".into());
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} (bad_inputs.txt:{}): {}\n{}",
            c.name,
            c.line,
            problems.join("; "),
            r.all().lines().take(20).collect::<Vec<_>>().join("\n")
        ))
    }
}

/// Every case of `bad_inputs.txt`; all failures are reported together.
#[test]
fn corpus() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/e2e/bad_inputs.txt")).unwrap();
    let cases = parse_corpus(&text);
    assert!(
        cases.len() >= 100,
        "the corpus has {} cases; keep at least 100",
        cases.len()
    );
    let only = std::env::var("INFRA_BAD_INPUT").ok();
    let sink = Sink::start();
    let failures: Vec<String> = cases
        .iter()
        .filter(|c| only.as_deref().is_none_or(|o| c.name.contains(o)))
        .filter_map(|c| run_case(c, &sink).err())
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} bad inputs were not refused as they should be:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

const STATE: &str = r#"{
  "format_version": 1,
  "serial": 7,
  "lineage": "5d3c2a9e-0000-4000-8000-000000000001",
  "outputs": {},
  "resources": []
}
"#;

fn check(files: &[(&str, &str)], args: &[&str], expect: &[&str]) {
    let w = World::offline();
    w.write(files);
    let state = w.state_file("default");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, STATE).unwrap();
    let before = std::fs::read(&state).unwrap();
    let r = w.infra_env(args, &[("INFRA_LOG", "infra::api=debug")]);
    assert_eq!(r.code, 1, "expected exit 1\n{}", r.all());
    for e in expect {
        assert!(r.stderr.contains(e), "expected {e:?} in stderr:\n{}", r.stderr);
    }
    assert_eq!(api_calls(&r.stderr), 0, "no API call may be made:\n{}", r.stderr);
    assert_eq!(std::fs::read(&state).unwrap(), before, "the state file must not change");
    assert!(!state.with_extension("json.lock").exists(), "the lock must be released");
}

#[test]
fn malformed_hcl() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n  tags = {\n}\n",
        )],
        &["plan"],
        &["Unclosed configuration block", "main.tf:4:"],
    );
}

#[test]
fn unknown_resource_type() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vcp\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
        )],
        &["plan"],
        &[
            "Invalid resource type",
            "main.tf:1:1",
            "aws_vcp",
            "Did you mean \"aws_vpc\"",
        ],
    );
}

#[test]
fn unknown_argument() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_blok = \"10.0.0.0/16\"\n}\n",
        )],
        &["plan"],
        &["Unsupported argument", "main.tf:2:3", "cidr_blok"],
    );
}

#[test]
fn wrong_type() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block         = \"10.0.0.0/16\"\n  enable_dns_support = \"maybe\"\n}\n",
        )],
        &["plan"],
        &["Incorrect attribute value type", "main.tf:3:24"],
    );
}

#[test]
fn undeclared_variable() {
    check(
        &[("main.tf", "resource \"aws_vpc\" \"a\" {\n  cidr_block = var.cidr\n}\n")],
        &["plan"],
        &["Reference to undeclared input variable", "main.tf:2:16"],
    );
}

#[test]
fn missing_required_variable() {
    check(
        &[
            ("variables.tf", "variable \"cidr\" {\n  type = string\n}\n"),
            ("main.tf", "resource \"aws_vpc\" \"a\" {\n  cidr_block = var.cidr\n}\n"),
        ],
        &["plan"],
        &["No value for required variable", "variables.tf:1:"],
    );
}

#[test]
fn reference_cycle() {
    check(
        &[(
            "main.tf",
            "resource \"aws_vpc\" \"a\" {\n  cidr_block = aws_subnet.b.cidr_block\n}\nresource \"aws_subnet\" \"b\" {\n  vpc_id     = aws_vpc.a.id\n  cidr_block = \"10.0.0.0/24\"\n}\n",
        )],
        &["plan"],
        &["Cycle in references", "aws_vpc.a", "aws_subnet.b", "main.tf:"],
    );
}

#[test]
fn corrupted_state() {
    let w = World::offline();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )]);
    let state = w.state_file("default");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(
        &state,
        "{\"format_version\": 1, \"serial\": 3, \"lineage\": \"x\", \"resources\": [ {",
    )
    .unwrap();
    let before = std::fs::read(&state).unwrap();
    let r = w.infra_env(&["plan"], &[("INFRA_LOG", "infra::api=debug")]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr.contains("state/cfg/default.tfstate.json is not valid"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("line 1"), "{}", r.stderr);
    assert_eq!(api_calls(&r.stderr), 0);
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn state_of_a_newer_version() {
    let w = World::offline();
    w.write(&[(
        "main.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\n",
    )]);
    let state = w.state_file("default");
    std::fs::create_dir_all(state.parent().unwrap()).unwrap();
    std::fs::write(&state, STATE.replace("\"format_version\": 1", "\"format_version\": 2")).unwrap();
    let before = std::fs::read(&state).unwrap();
    let r = w.infra(&["apply", "--auto-approve"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(
        r.stderr
            .contains("state/cfg/default.tfstate.json was written by a newer version of infra"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&state).unwrap(), before);
}

#[test]
fn bad_flags_exit_1() {
    let w = World::offline();
    w.write(&[("main.tf", "")]);
    let r = w.infra(&["plan", "--no-such-flag"]);
    assert_eq!(r.code, 1, "{}", r.all());
    let r = w.infra(&["plan", "--target", "not an address"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("invalid --target"), "{}", r.stderr);
}

#[test]
fn apply_without_a_terminal_needs_auto_approve() {
    let w = World::offline();
    w.write(&[("main.tf", "output \"x\" {\n  value = 1\n}\n")]);
    let r = w.infra(&["apply"]);
    assert_eq!(r.code, 1, "{}", r.all());
    assert!(r.stderr.contains("--auto-approve"), "{}", r.stderr);
}
