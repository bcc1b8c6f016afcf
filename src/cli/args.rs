//! The command-line definition (clap), kept apart from what the commands do.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "infra",
    version,
    about = "Plan and apply infrastructure written in the Terraform language",
    long_about = "Plan and apply infrastructure written in the Terraform language.\n\nExit codes: 0 success (or no changes), 1 error, 2 changes present (plan --detailed-exitcode).",
    propagate_version = true
)]
pub struct Cli {
    /// The configuration directory (default: the current directory)
    #[arg(short = 'C', long = "chdir", global = true, value_name = "DIR")]
    pub dir: Option<PathBuf>,

    /// Disable colour (also when NO_COLOR is set or output is not a terminal)
    #[arg(long, global = true)]
    pub no_color: bool,

    /// Ask for confirmation on a terminal (--input=false never asks: apply then needs --auto-approve
    /// or a saved plan)
    #[arg(long, global = true, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub input: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Check the configuration, set up its backend, and move states when the backend changed
    Init(InitArgs),
    /// Check the configuration against the providers' schemas, without variables or cloud access
    Validate,
    /// Show what apply would change, and what it would cost
    Plan(PlanArgs),
    /// Make the changes: from a saved plan file, or planning first and asking for confirmation
    Apply(ApplyArgs),
    /// Delete everything the environment's state manages
    Destroy(DestroyArgs),
    /// Inspect or change the state
    #[command(subcommand)]
    State(StateCommand),
    /// Bring an existing object under management: infra import ADDR ID
    Import(ImportArgs),
    /// Print output values from the state
    Output(OutputArgs),
    /// Print the configuration's dependency graph in Graphviz DOT
    Graph,
    /// Rewrite .tf files in the canonical format
    Fmt(FmtArgs),
    /// Release a stale state lock
    ForceUnlock(ForceUnlockArgs),
    /// Show a saved plan: as the plan printed it, as JSON, or as a Markdown summary for a pull request
    Show(ShowArgs),
    /// The environments of the configuration
    #[command(subcommand)]
    Env(EnvCommand),
    /// Monthly cost per resource, per environment (offline)
    Cost(CostArgs),
    /// Check the configuration against the built-in policy rules (offline, without state); exit 1 on
    /// an unwaived error
    Policy(PolicyArgs),
}

/// What `--policy` does with a plan's policy findings.
#[derive(ValueEnum, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PolicyMode {
    /// Do not evaluate the rules
    Off,
    /// Print the findings after the plan (the default)
    #[default]
    Warn,
    /// Print them, and fail (exit 1, no plan saved, nothing applied) on an unwaived error
    Error,
}

#[derive(Args, Debug)]
pub struct PolicyArgs {
    /// Environment: selects DIR/NAME.tfvars and the policy file's settings for it
    #[arg(long, default_value = "default", env = "INFRA_ENV")]
    pub env: String,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Print the report as JSON
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print the report as Markdown
    #[arg(long)]
    pub markdown: bool,
    /// List the rules, with the guideline each comes from, and exit
    #[arg(long)]
    pub list: bool,
}

/// Which environment and state.
#[derive(Args, Debug, Clone, Default)]
pub struct EnvArgs {
    /// Environment: selects DIR/NAME.tfvars and its own state
    #[arg(long, default_value = "default", env = "INFRA_ENV")]
    pub env: String,
    /// A local state file instead of the backend's (default: the backend block's, else
    /// state/<stack>/<env>.tfstate.json in the project)
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// How long to wait for a state lock held by someone else (e.g. 30s)
    #[arg(long, default_value = "0s", value_name = "DURATION")]
    pub lock_timeout: String,
}

/// Input variables.
#[derive(Args, Debug, Clone, Default)]
pub struct VarArgs {
    /// Set a variable: --var name=value (repeatable)
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Read variables from a .tfvars file (repeatable)
    #[arg(long = "var-file", value_name = "FILE")]
    pub var_files: Vec<PathBuf>,
}

/// What to plan.
#[derive(Args, Debug, Clone, Default)]
pub struct PlanningArgs {
    /// Read the current state of every object from the cloud first (--refresh=false to skip)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub refresh: bool,
    /// Only update the state to match the cloud; change no infrastructure
    #[arg(long)]
    pub refresh_only: bool,
    /// Plan only this resource or instance and what it depends on (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// Replace this instance even if it has not changed (repeatable)
    #[arg(long, value_name = "ADDR")]
    pub replace: Vec<String>,
    /// Policy rules on the planned values: off, warn (print the findings) or error (also fail on an
    /// unwaived error)
    #[arg(long, value_enum, default_value_t = PolicyMode::Warn, value_name = "MODE")]
    pub policy: PolicyMode,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    /// Move the state of every environment from the backend used before to the one configured now
    #[arg(long, conflicts_with = "reconfigure")]
    pub migrate_state: bool,
    /// Use the configured backend as it is, without moving any state
    #[arg(long)]
    pub reconfigure: bool,
    /// Backend settings besides the block: KEY=VALUE, or a file of them (repeatable)
    #[arg(long = "backend-config", value_name = "KEY=VALUE|FILE")]
    pub backend_config: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// A plan saved with `infra plan --out`
    pub plan_file: std::path::PathBuf,
    /// Print the JSON plan
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print a Markdown summary (for a pull-request comment)
    #[arg(long)]
    pub markdown: bool,
}

#[derive(Subcommand, Debug)]
pub enum EnvCommand {
    /// List the environments with their state location and serial
    List {
        /// A local state file instead of the backend's
        #[arg(long, value_name = "PATH", hide = true)]
        state: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct PlanArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Plan the destruction of everything in state
    #[arg(long)]
    pub destroy: bool,
    /// Save the plan to FILE for `infra apply FILE`
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when there are changes (0 when none, 1 on error)
    #[arg(long)]
    pub detailed_exitcode: bool,
    /// Print one JSON document describing the plan on stdout, and nothing else there
    #[arg(long)]
    pub json: bool,
    /// Usage quantities for the cost line (YAML, Infracost-style)
    #[arg(long, value_name = "FILE")]
    pub usage: Option<PathBuf>,
    /// Also write a Markdown summary of the plan to FILE (for a pull-request comment)
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Hold the state lock while planning (--lock=false plans without it: an apply running meanwhile is
    /// not waited for, and a plan saved then is refused as stale if that apply changed the state)
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub lock: bool,
}

#[derive(Args, Debug)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    #[command(flatten)]
    pub planning: PlanningArgs,
    /// Do not ask for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// At most N operations at once. By default there is no fixed limit: every operation whose
    /// dependencies are done starts, and each cloud endpoint's adaptive limit slows down on throttling
    #[arg(long, value_name = "N")]
    pub parallelism: Option<usize>,
    /// A plan saved with `infra plan --out`
    pub plan_file: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct DestroyArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    /// Do not ask for confirmation
    #[arg(long)]
    pub auto_approve: bool,
    /// Delete only this resource or instance (and what depends on it is left alone)
    #[arg(long, value_name = "ADDR")]
    pub target: Vec<String>,
    /// At most N operations at once (default: no fixed limit; see `apply --help`)
    #[arg(long, value_name = "N")]
    pub parallelism: Option<usize>,
    /// Read the current state of every object from the cloud first
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub refresh: bool,
}

#[derive(Subcommand, Debug)]
pub enum StateCommand {
    /// List the instances in state
    List {
        #[command(flatten)]
        env: EnvArgs,
        /// Only addresses starting with these
        addresses: Vec<String>,
    },
    /// Show one instance's attributes
    Show {
        #[command(flatten)]
        env: EnvArgs,
        address: String,
    },
    /// Forget instances (the cloud objects are left alone)
    Rm {
        #[command(flatten)]
        env: EnvArgs,
        #[arg(required = true)]
        addresses: Vec<String>,
    },
    /// Move an instance to another address
    Mv {
        #[command(flatten)]
        env: EnvArgs,
        source: String,
        destination: String,
    },
    /// Print the state (decrypted JSON) on stdout
    Pull {
        #[command(flatten)]
        env: EnvArgs,
    },
    /// Replace the state with a state file (refuses another lineage or an older serial unless --force)
    Push {
        #[command(flatten)]
        env: EnvArgs,
        /// The state file (`-` for standard input)
        file: PathBuf,
        /// Write it even if its lineage differs or its serial is older
        #[arg(long)]
        force: bool,
    },
    /// Take over a stack from Terraform: read its state (format 4) into this environment's new state.
    /// Nothing is created or changed in the cloud; the next plan reads every object
    #[command(name = "import-terraform")]
    ImportTerraform {
        #[command(flatten)]
        env: EnvArgs,
        /// The Terraform state (default: terraform.tfstate in the configuration directory, or
        /// terraform.tfstate.d/ENV/terraform.tfstate for a Terraform workspace of the environment's name)
        file: Option<PathBuf>,
    },
    /// Write this environment's state as a Terraform state (format 4), to go back to Terraform
    #[command(name = "export-terraform")]
    ExportTerraform {
        #[command(flatten)]
        env: EnvArgs,
        /// Write to FILE (which must not exist yet) instead of standard output
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    #[command(flatten)]
    pub vars: VarArgs,
    /// The resource instance address, which must be in the configuration
    pub address: String,
    /// The object's ID in the cloud (format per resource type, as in Terraform)
    pub id: String,
}

#[derive(Args, Debug)]
pub struct OutputArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    /// Print JSON
    #[arg(long)]
    pub json: bool,
    /// Print the value alone, without quotes (strings, numbers, bools)
    #[arg(long)]
    pub raw: bool,
    /// One output (default: all)
    pub name: Option<String>,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Do not rewrite: exit 3 when a file is not formatted, listing it
    #[arg(long)]
    pub check: bool,
    /// Print the differences
    #[arg(long)]
    pub diff: bool,
    /// Files or directories (default: the configuration directory)
    pub paths: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct ForceUnlockArgs {
    #[command(flatten)]
    pub env: EnvArgs,
    /// The lock ID, as printed by the command that found the state locked
    pub lock_id: String,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum CostFormat {
    Table,
    Json,
    Markdown,
}

#[derive(Args, Debug)]
#[command(args_conflicts_with_subcommands = true)]
pub struct CostArgs {
    #[command(subcommand)]
    pub command: Option<CostCommand>,
    /// Environments to price (repeatable; shown side by side). Default: `default`
    #[arg(long = "env", value_name = "NAME")]
    pub envs: Vec<String>,
    #[command(flatten)]
    pub vars: VarArgs,
    #[arg(long, value_enum, default_value = "table")]
    pub format: CostFormat,
    /// Usage quantities (YAML, Infracost-style: resource_usage / resource_type_default_usage)
    #[arg(long, value_name = "FILE")]
    pub usage: Option<PathBuf>,
    /// A price catalog directory instead of the bundled one
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
pub enum CostCommand {
    /// Rebuild the price catalog from the providers' price lists (AWS Price List API, DigitalOcean /v2/sizes)
    RefreshPrices(RefreshPricesArgs),
}

#[derive(Args, Debug)]
pub struct RefreshPricesArgs {
    /// The catalog to rebuild (default: the bundled one); its entries say what to ask for
    #[arg(long, value_name = "DIR")]
    pub catalog: Option<PathBuf>,
    /// Where to write the rebuilt catalog (use it with `infra cost --catalog DIR`)
    #[arg(long, value_name = "DIR", default_value = "prices")]
    pub out: PathBuf,
    /// Only these providers (aws, digitalocean); default: every provider the catalog has files for
    #[arg(long = "provider", value_name = "NAME")]
    pub providers: Vec<String>,
}

/// The command line with Terraform's single-dash spelling of long flags (`-auto-approve`,
/// `-var-file=x`, `-input=false`, `-lock=false`, `-no-color`) rewritten to infra's `--` spelling, so
/// that CI scripts written for Terraform run unchanged. Only a word that names a long flag of the
/// command being parsed (or of a command above it) is rewritten; short flags (`-C dir`), values and
/// everything after `--` are left alone.
///
/// Terraform's `-chdir=DIR` is taken out and returned: as in Terraform, it switches to DIR before
/// anything else, so that the other paths of the command line are relative to DIR. (infra's own
/// `-C/--chdir DIR` names the configuration directory and leaves the other paths relative to where
/// infra was started.)
pub struct Rewritten {
    pub args: Vec<std::ffi::OsString>,
    pub chdir: Option<std::ffi::OsString>,
}

pub fn terraform_flags(args: impl IntoIterator<Item = std::ffi::OsString>, root: &clap::Command) -> Rewritten {
    let mut chdir = None;
    let mut chdir_next = false;
    let mut out = Vec::new();
    let mut path: Vec<&clap::Command> = vec![root];
    let mut rest = false;
    // The previous word was a flag that takes its value as the next word (`--var x=1`).
    let mut value_next = false;
    let long_of = |path: &[&clap::Command], name: &str| {
        path.iter()
            .flat_map(|c| c.get_arguments())
            .find(|a| a.get_long() == Some(name))
            .map(|a| a.get_action().takes_values() && a.get_num_args().is_none_or(|r| r.min_values() > 0))
    };
    for (i, arg) in args.into_iter().enumerate() {
        let Some(word) = arg.to_str().filter(|_| i > 0 && !rest) else {
            out.push(arg);
            continue;
        };
        if std::mem::take(&mut chdir_next) {
            chdir = Some(arg);
            continue;
        }
        if std::mem::take(&mut value_next) {
            out.push(arg);
            continue;
        }
        if word == "-chdir" {
            chdir_next = true;
            continue;
        }
        if let Some(dir) = word.strip_prefix("-chdir=") {
            chdir = Some(dir.into());
            continue;
        }
        if word == "--" {
            rest = true;
        } else if let Some(long) = word.strip_prefix("--") {
            value_next = !long.contains('=') && long_of(&path, long).unwrap_or(false);
        } else if let Some(flag) = word.strip_prefix('-').filter(|f| f.len() >= 2) {
            let name = flag.split_once('=').map_or(flag, |(n, _)| n);
            if let Some(takes) = long_of(&path, name) {
                value_next = takes && !flag.contains('=');
                out.push(format!("-{word}").into());
                continue;
            }
        } else if !word.starts_with('-')
            && let Some(sub) = path.last().and_then(|c| c.find_subcommand(word))
        {
            path.push(sub);
        }
        out.push(arg);
    }
    Rewritten { args: out, chdir }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    fn rewrite(line: &str) -> Vec<String> {
        let args = std::iter::once("infra")
            .chain(line.split(' '))
            .map(std::ffi::OsString::from);
        let r = terraform_flags(args, &Cli::command());
        let chdir = r.chdir.map(|d| format!("(chdir {})", d.into_string().unwrap()));
        chdir
            .into_iter()
            .chain(r.args.into_iter().skip(1).map(|a| a.into_string().unwrap()))
            .collect()
    }

    #[test]
    fn terraform_single_dash_flags_are_rewritten_and_parse() {
        assert_eq!(
            rewrite(
                "-chdir=plans/x apply -auto-approve -input=false -var-file=stage.tfvars -no-color -lock-timeout=30s"
            ),
            [
                "(chdir plans/x)",
                "apply",
                "--auto-approve",
                "--input=false",
                "--var-file=stage.tfvars",
                "--no-color",
                "--lock-timeout=30s"
            ]
        );
        assert_eq!(
            rewrite("plan -lock=false -out=p.tfplan -var region=x -target=aws_vpc.a -detailed-exitcode"),
            [
                "plan",
                "--lock=false",
                "--out=p.tfplan",
                "--var",
                "region=x",
                "--target=aws_vpc.a",
                "--detailed-exitcode"
            ]
        );
        let cli = Cli::try_parse_from(
            ["infra"]
                .into_iter()
                .map(Into::into)
                .chain(
                    rewrite("apply -auto-approve -input=false -var-file=a.tfvars")
                        .into_iter()
                        .map(Into::into),
                )
                .collect::<Vec<std::ffi::OsString>>(),
        )
        .unwrap();
        assert!(!cli.input);
        let Command::Apply(a) = cli.command else {
            panic!("not apply")
        };
        assert!(a.auto_approve);
        assert_eq!(a.vars.var_files, [std::path::PathBuf::from("a.tfvars")]);
    }

    #[test]
    fn short_flags_values_and_unknown_words_are_left_alone() {
        // -C is a short flag; a value that starts with a dash after a flag that takes one stays a value;
        // a word that names no flag of the command is left for clap to refuse.
        assert_eq!(rewrite("-C dir plan -var -x=1"), ["-C", "dir", "plan", "--var", "-x=1"]);
        assert_eq!(rewrite("plan -auto-approve"), ["plan", "-auto-approve"]);
        assert_eq!(rewrite("plan -compact-warnings"), ["plan", "-compact-warnings"]);
        assert_eq!(rewrite("state rm -- -lock"), ["state", "rm", "--", "-lock"]);
        // A flag whose value is optional does not take the next word.
        assert_eq!(
            rewrite("plan -refresh -target=a.b"),
            ["plan", "--refresh", "--target=a.b"]
        );
        assert_eq!(rewrite("-chdir d plan"), ["(chdir d)", "plan"]);
    }
}
