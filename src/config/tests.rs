use super::*;

fn load(files: &[(&str, &str)]) -> (Config, Diagnostics) {
    let mut cfg = Config {
        dir: PathBuf::from("."),
        ..Default::default()
    };
    let d = cfg.load_sources(files.iter().map(|(n, t)| (n.to_string(), t.to_string())).collect());
    (cfg, d)
}

#[test]
fn loads_all_block_kinds() {
    let (cfg, d) = load(&[(
        "main.tf",
        r#"
terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = { source = "hashicorp/aws", version = "~> 5.0" }
  }
  backend "local" { path = "x.tfstate" }
}
provider "aws" { region = "us-east-1" }
provider "aws" {
  alias  = "west"
  region = "us-west-2"
}
variable "cidr" {
  type    = string
  default = "10.0.0.0/16"
  validation {
    condition     = can(cidrhost(var.cidr, 0))
    error_message = "Must be a CIDR."
  }
}
locals { name = "x" }
resource "aws_vpc" "main" {
  cidr_block = var.cidr
  provider   = aws.west
  lifecycle {
    create_before_destroy = true
    ignore_changes        = [tags["Name"], tags_all]
  }
  timeouts { create = "1h30m" }
}
data "aws_region" "current" {}
output "vpc_id" {
  value     = aws_vpc.main.id
  sensitive = true
}
"#,
    )]);
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(cfg.terraform.required_providers["aws"], "hashicorp/aws");
    assert_eq!(cfg.terraform.backend.as_ref().unwrap().kind, "local");
    assert_eq!(cfg.providers.len(), 2);
    let vpc = &cfg.resources[&ResourceAddr::managed("aws_vpc", "main")];
    assert_eq!(vpc.provider.to_string(), "aws.west");
    assert!(vpc.lifecycle.create_before_destroy);
    assert_eq!(
        vpc.lifecycle.ignore_changes,
        IgnoreChanges::Paths(vec![AttrPath::attr("tags").key("Name"), AttrPath::attr("tags_all")])
    );
    assert_eq!(vpc.timeouts["create"], Duration::from_secs(5400));
    assert!(vpc.body.attr("cidr_block").is_some() && vpc.body.attr("provider").is_none());
    assert_eq!(cfg.variables["cidr"].validations.len(), 1);
    assert!(cfg.outputs["vpc_id"].sensitive);
    assert!(cfg.resources.contains_key(&ResourceAddr::data("aws_region", "current")));
}

#[test]
fn reports_every_problem_with_its_location() {
    let (cfg, d) = load(&[
        (
            "a.tf",
            "resource \"aws_vpc\" \"a\" {\n  count    = 1\n  for_each = {}\n}\nmodule \"m\" {}\noutput \"o\" { value = module.n.x }\n",
        ),
        (
            "b.tf",
            "variable \"x\" {\n  type = strng\n}\nresource \"aws_vpc\" \"a\" {}\n",
        ),
    ]);
    let errs: Vec<String> = d
        .errors()
        .map(|e| format!("{} @ {}", e.summary, cfg.sources.location(e.span.unwrap())))
        .collect();
    assert!(
        errs.iter().any(|e| e.contains("count") && e.contains("a.tf:3:")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("Missing required argument @ a.tf:5:1")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("Reference to undeclared module @ a.tf:6:")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("Invalid type specification @ b.tf:2:10")),
        "{errs:?}"
    );
    assert!(
        errs.iter()
            .any(|e| e.starts_with("Duplicate resource") && e.contains("b.tf:4:1")),
        "{errs:?}"
    );
}

#[test]
fn syntax_errors_name_file_line_and_column() {
    let (cfg, d) = load(&[("bad.tf", "resource \"aws_vpc\" \"a\" {\n  cidr_block = \n}\n")]);
    let e = d.errors().next().expect("an error");
    assert_eq!(e.summary, "Invalid HCL syntax");
    assert!(cfg.sources.location(e.span.unwrap()).starts_with("bad.tf:"), "{e:?}");
}

#[test]
fn depends_on_must_name_declared_resources() {
    let (_, d) = load(&[(
        "m.tf",
        "resource \"aws_vpc\" \"a\" {\n  depends_on = [aws_subnet.missing]\n}\n",
    )]);
    assert!(
        d.errors().any(|e| e.summary == "Reference to undeclared resource"),
        "{d:?}"
    );
}

#[test]
fn durations_parse_like_terraform() {
    assert_eq!(parse_duration("40m"), Some(Duration::from_secs(2400)));
    assert_eq!(parse_duration("1h30m"), Some(Duration::from_secs(5400)));
    assert_eq!(parse_duration("90s"), Some(Duration::from_secs(90)));
    assert_eq!(parse_duration("forty"), None);
    assert_eq!(parse_duration("10"), None);
}

#[test]
fn quoted_depends_on_is_accepted_with_terraforms_warning() {
    let (cfg, d) = load(&[(
        "m.tf",
        "resource \"aws_vpc\" \"a\" {\n  cidr_block = \"10.0.0.0/16\"\n}\nresource \"aws_subnet\" \"b\" {\n  depends_on = [\"aws_vpc.a\", \"data.aws_region.r\"]\n}\ndata \"aws_region\" \"r\" {}\n",
    )]);
    assert!(!d.has_errors(), "{d:?}");
    let warnings: Vec<_> =
        d.0.iter()
            .filter(|w| w.severity == crate::diag::Severity::Warning)
            .collect();
    assert_eq!(warnings.len(), 2, "{d:?}");
    assert!(warnings.iter().all(|w| w.summary == "Quoted references are deprecated"));
    assert_eq!(cfg.sources.location(warnings[0].span.unwrap()), "m.tf:5:17");
    let b = &cfg.resources[&ResourceAddr::managed("aws_subnet", "b")];
    let deps: Vec<String> = b.depends_on.iter().map(|(a, _)| a.to_string()).collect();
    assert_eq!(deps, ["aws_vpc.a", "data.aws_region.r"]);
    // A quoted reference to nothing is still an error.
    let (_, d) = load(&[(
        "m.tf",
        "resource \"aws_vpc\" \"a\" {\n  depends_on = [\"aws_subnet.gone\"]\n}\n",
    )]);
    assert!(
        d.errors().any(|e| e.summary == "Reference to undeclared resource"),
        "{d:?}"
    );
}

#[test]
fn a_connection_block_is_not_called_a_provisioner() {
    let (_, d) = load(&[(
        "m.tf",
        "resource \"aws_vpc\" \"a\" {\n  connection {\n    host = \"x\"\n  }\n}\n",
    )]);
    let e = d.errors().next().expect("an error");
    assert!(e.detail.starts_with("Connection blocks"), "{e:?}");
}

#[test]
fn a_module_called_twice_is_saved_once_and_loads_from_a_saved_plan() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("modules/sg")).unwrap();
    std::fs::write(
        dir.path().join("main.tf"),
        "module \"a\" {\n  source = \"./modules/sg\"\n}\nmodule \"b\" {\n  source = \"./modules/sg\"\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("modules/sg/main.tf"),
        "output \"id\" {\n  value = \"x\"\n}\n",
    )
    .unwrap();
    let (cfg, d) = Config::load(dir.path());
    assert!(!d.has_errors(), "{d:?}");
    let files = cfg.source_files();
    assert_eq!(
        files.iter().filter(|(n, _)| n.ends_with("modules/sg/main.tf")).count(),
        1,
        "{files:?}"
    );
    let (saved, d) = Config::load_saved(dir.path(), &files);
    assert!(!d.has_errors(), "{d:?}");
    assert_eq!(saved.module_calls.len(), 2);
}
