//! `digitalocean_droplet`: the size's monthly price (`price_monthly` of `GET /v2/sizes`), plus backups as a
//! fraction of it when `backups = true` (weekly 20%, daily 30% per `backup_policy.plan`).

use super::Model;
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "digitalocean_droplet",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let Some(size) = p.str_req("size") else { return };
    let key = format!("droplet/{size}");
    p.fixed("droplet", format!("Droplet ({size})"), &key, Decimal::ONE);
    if p.bool_or("backups", false) {
        let plan = p.str_or("backup_policy.0.plan", "weekly");
        let droplet_price = p.entry(&key).map(|e| e.price);
        if let Some(base) = droplet_price {
            p.fixed(
                "backups",
                format!("Backups ({plan}) on the {size} price"),
                &format!("droplet/backups/{plan}"),
                base,
            );
        }
    }
}
