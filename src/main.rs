//! The `infra` binary: the command line plus the providers built into it.

use infra::backend_set::BackendSet;
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

/// The state backends and key providers built in besides the engine's own (`local`, `pbkdf2`).
#[allow(clippy::vec_init_then_push)]
fn backends() -> BackendSet {
    #[allow(unused_mut)]
    let mut list: Vec<std::sync::Arc<dyn infra_backend::BackendType>> = Vec::new();
    #[allow(unused_mut)]
    let mut keys: Vec<std::sync::Arc<dyn infra_backend::KeyProviderType>> = Vec::new();
    #[cfg(feature = "aws")]
    {
        list.push(infra_aws::s3_backend());
        keys.push(infra_aws::kms_key_provider());
    }
    #[cfg(feature = "pg")]
    list.push(infra_backend_pg::backend());
    BackendSet::new(list, keys)
}

fn main() {
    std::process::exit(infra::cli::main(providers(), backends()));
}
