//! `aws_db_instance` (RDS): instance hours by class × engine × Multi-AZ, storage by type, provisioned IOPS
//! and throughput above the gp3 baseline, and backup storage beyond the free allocation (usage).
//!
//! Defaults follow the provider: `storage_type` is `io1` when `iops` is set, else `gp2`; `multi_az` is false.
//! The gp3 baseline is 3,000 IOPS and 125 MB/s below 400 GB of storage, 12,000 IOPS and 500 MB/s from 400 GB
//! (PostgreSQL, MySQL, MariaDB); only what is provisioned above it is charged. Multi-AZ doubles instance and
//! storage prices (the catalog holds both). Only the PostgreSQL engine has instance prices in the catalog.

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_db_instance",
    usage: &[UsageKey {
        key: "additional_backup_storage_gb",
        description: "GB-months of backup storage beyond the free allocation (100% of allocated storage)",
    }],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let engine = p.str_req("engine");
    let class = p.str_req("instance_class");
    let multi_az = p.bool_or("multi_az", false);
    let (dep, dep_name) = if multi_az {
        ("multi-az", "Multi-AZ")
    } else {
        ("single-az", "Single-AZ")
    };
    if let (Some(engine), Some(class)) = (engine, class) {
        match engine {
            "postgres" => p.hourly(
                "instance",
                format!("Database instance ({class}, PostgreSQL, {dep_name})"),
                &format!("rds/instance/postgres/{class}/{dep}"),
                Decimal::ONE,
            ),
            other => p.not_priced(format!(
                "engine {other:?} has no instance prices in the catalog (postgres has)"
            )),
        }
    }

    let iops = p.num_opt("iops");
    let storage_type = p.str_or_noted("storage_type", if iops.is_some() { "io1" } else { "gp2" });
    if let Some(gb) = p.num_req("allocated_storage") {
        match storage_type {
            "gp2" | "gp3" | "io1" => p.fixed(
                "storage",
                format!("Storage ({storage_type}, {dep_name})"),
                &format!("rds/storage/{storage_type}/{dep}"),
                gb,
            ),
            other => p.not_priced(format!(
                "storage_type {other:?} has no prices in the catalog (gp2, gp3, io1 have)"
            )),
        }
        if storage_type == "gp3" {
            let large = gb >= Decimal::from(400);
            let (base_iops, base_mbps) = if large { (12_000, 500) } else { (3_000, 125) };
            if let Some(i) = iops.filter(|i| *i > Decimal::from(base_iops)) {
                p.fixed(
                    "iops",
                    format!("Provisioned IOPS above the {base_iops} baseline ({dep_name})"),
                    &format!("rds/iops/gp3/{dep}"),
                    i - Decimal::from(base_iops),
                );
            }
            if let Some(t) = p
                .num_opt("storage_throughput")
                .filter(|t| *t > Decimal::from(base_mbps))
            {
                p.fixed(
                    "throughput",
                    format!("Provisioned throughput above the {base_mbps} MB/s baseline ({dep_name})"),
                    &format!("rds/throughput/gp3/{dep}"),
                    t - Decimal::from(base_mbps),
                );
            }
        }
        if storage_type == "io1"
            && let Some(i) = p.num_req("iops")
        {
            p.fixed(
                "iops",
                format!("Provisioned IOPS (io1, {dep_name})"),
                &format!("rds/iops/io1/{dep}"),
                i,
            );
        }
    }
    p.usage(
        "backup",
        "Backup storage beyond the free allocation",
        "rds/backup-storage",
        "additional_backup_storage_gb",
        Decimal::ONE,
    );
}
