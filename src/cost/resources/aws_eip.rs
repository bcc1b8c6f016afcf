//! `aws_eip`: a public IPv4 address, charged per hour whether attached or idle. Addresses from a BYOIP pool
//! (`public_ipv4_pool` other than `amazon`) are free.

use super::Model;
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_eip",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    if let Attr::Known(v) = p.get("public_ipv4_pool")
        && let Some(pool) = v.as_str()
        && pool != "amazon"
    {
        p.free(format!("address from the BYOIP pool {pool}"));
        return;
    }
    p.hourly("ipv4", "Public IPv4 address", "vpc/public-ipv4/in-use", Decimal::ONE);
}
