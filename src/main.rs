//! The `infra` binary: the command line plus the providers built into it.

use infra::provider_set::ProviderSet;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

// Each push depends on a cargo feature, so a `vec![]` literal cannot hold them.
#[allow(clippy::vec_init_then_push)]
fn providers() -> ProviderSet {
    #[allow(unused_mut)]
    let mut list: Vec<std::sync::Arc<dyn infra_provider::Provider>> = Vec::new();
    #[cfg(feature = "aws")]
    list.push(infra_aws::provider());
    #[cfg(feature = "digitalocean")]
    list.push(infra_digitalocean::provider());
    ProviderSet::new(list)
}

fn main() {
    std::process::exit(infra::cli::main(providers()));
}
