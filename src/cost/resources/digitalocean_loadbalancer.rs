//! `digitalocean_loadbalancer` (regional): a monthly price per node. Nodes come from `size_unit`, or from the
//! legacy `size` (`lb-small` 1, `lb-medium` 3, `lb-large` 6), else 1. Global and network load balancers are
//! not priced.

use super::Model;
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "digitalocean_loadbalancer",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let kind = p.str_or("type", "REGIONAL");
    if kind != "REGIONAL" {
        p.not_priced(format!("load balancer type {kind} has no prices in the catalog"));
        return;
    }
    let nodes = match (p.num_opt("size_unit"), p.get("size")) {
        (Some(n), _) => n,
        (None, Attr::Known(v)) => match v.as_str() {
            Some("lb-medium") => Decimal::from(3),
            Some("lb-large") => Decimal::from(6),
            _ => Decimal::ONE,
        },
        (None, _) => {
            if matches!(p.get("size_unit"), Attr::Unknown) {
                p.note("size_unit is known only after apply; priced as the default 1 node");
            }
            Decimal::ONE
        }
    };
    p.fixed(
        "nodes",
        format!("Load balancer nodes ({})", nodes.normalize()),
        "loadbalancer/node",
        nodes,
    );
}
