//! `digitalocean_database_cluster` (PostgreSQL and MySQL): the size's monthly node price × `node_count`, and
//! storage above the size's included storage (`storage_size_mib`) per GiB-month on every node. Node prices
//! are not in `GET /v2/sizes`; the catalog takes them from DigitalOcean's pricing page.

use super::Model;
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "digitalocean_database_cluster",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let engine = p.str_req("engine");
    let size = p.str_req("size");
    let nodes = p.num_req("node_count");
    let Some(engine) = engine else { return };
    if !matches!(engine, "pg" | "mysql") {
        p.not_priced(format!(
            "engine {engine:?} has no prices in the catalog (pg and mysql have)"
        ));
        return;
    }
    let (Some(size), Some(nodes)) = (size, nodes) else {
        return;
    };
    let key = format!("database/{size}");
    let n = if nodes == Decimal::ONE {
        "1 node".to_string()
    } else {
        format!("{nodes} nodes")
    };
    p.fixed("nodes", format!("Database nodes ({n} × {size})"), &key, nodes);
    let included = p.entry(&key).and_then(|e| e.attribute_decimal("included_storage_gib"));
    if let (Some(mib), Some(included)) = (p.num_opt("storage_size_mib"), included) {
        let gib = mib / Decimal::from(1024);
        if gib > included {
            let extra = gib - included;
            p.fixed(
                "storage",
                format!(
                    "Storage above the included {included} GiB ({n} × {} GiB)",
                    extra.normalize()
                ),
                "database/storage",
                extra * nodes,
            );
        }
    }
}
