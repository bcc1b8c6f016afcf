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
