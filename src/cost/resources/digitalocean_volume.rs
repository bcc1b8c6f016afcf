//! `digitalocean_volume`: block storage per GiB-month.

use super::Model;
use crate::cost::estimate::Pricer;

pub(super) static MODEL: Model = Model {
    type_name: "digitalocean_volume",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    if let Some(gib) = p.num_req("size") {
        p.fixed(
            "storage",
            format!("Block storage ({} GiB)", gib.normalize()),
            "volume/storage",
            gib,
        );
    }
}
