//! Data sources: `digitalocean_sizes` and `digitalocean_regions` (lists with Terraform's `filter` and
//! `sort` blocks, see [`filter`]) and `digitalocean_vpc` (one VPC by id, name or region default).

pub mod filter;
pub mod regions;
pub mod sizes;
pub mod vpc;
