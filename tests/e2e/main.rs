//! End-to-end tests of the `infra` binary, against the AWS API emulator (moto server) and the
//! DigitalOcean test double behind Prism. One test binary (link time matters); one module per area.

mod support;

mod bad_input;
mod ci_recipe;
mod cost;
mod cost_refresh;
mod crash;
mod differential;
mod digitalocean;
mod ephemeral;
mod faults;
mod foundation;
mod json_plan;
mod locking;
mod migration;
mod modules;
mod policy;
mod remote_state;
mod saved_plans;
mod stage;
mod terraform_state;
