//! `aws_efs_file_system`: storage by class (usage: GB in Standard and in Infrequent Access; One Zone prices
//! when `availability_zone_name` is set; unknown counts as unset) and provisioned throughput (`throughput_mode = "provisioned"`,
//! charged in full: the part the stored data would include for free is not deducted).

use super::{Model, UsageKey};
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_efs_file_system",
    usage: &[
        UsageKey {
            key: "storage_gb",
            description: "average GB stored in the Standard (or One Zone) class",
        },
        UsageKey {
            key: "infrequent_access_storage_gb",
            description: "average GB stored in Infrequent Access",
        },
    ],
    price,
};

fn price(p: &mut Pricer<'_>) {
    // Unknown on create when not configured (it is computed): Regional, like an unset one.
    let one_zone = matches!(p.get("availability_zone_name"), Attr::Known(_));
    let (std_key, ia_key, class) = if one_zone {
        ("efs/storage/one-zone", "efs/storage/one-zone-ia", "One Zone")
    } else {
        ("efs/storage/standard", "efs/storage/ia", "Standard")
    };
    p.usage(
        "storage",
        format!("Storage ({class})"),
        std_key,
        "storage_gb",
        Decimal::ONE,
    );
    p.usage(
        "ia-storage",
        format!("Storage ({class}-Infrequent Access)"),
        ia_key,
        "infrequent_access_storage_gb",
        Decimal::ONE,
    );
    if p.str_or("throughput_mode", "bursting") == "provisioned"
        && let Some(mbps) = p.num_req("provisioned_throughput_in_mibps")
    {
        p.fixed(
            "throughput",
            format!("Provisioned throughput ({} MB/s)", mbps.normalize()),
            "efs/provisioned-throughput",
            mbps,
        );
    }
}
