//! `aws_ebs_volume`: storage by volume type (`gp2` by default), gp3 IOPS above 3,000 and throughput above
//! 125 MB/s, io1 provisioned IOPS. io2 (tiered IOPS) is not priced.

use super::Model;
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_ebs_volume",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let kind = p.str_or("type", "gp2");
    if !matches!(kind, "gp2" | "gp3" | "io1" | "st1" | "sc1" | "standard") {
        p.not_priced(format!("volume type {kind:?} has no prices in the catalog"));
        return;
    }
    if let Some(gb) = p.num_req("size") {
        p.fixed(
            "storage",
            format!("Storage ({kind}, {} GB)", gb.normalize()),
            &format!("ebs/storage/{kind}"),
            gb,
        );
    }
    if kind == "gp3" {
        if let Some(i) = p.num_opt("iops").filter(|i| *i > Decimal::from(3000)) {
            p.fixed(
                "iops",
                "Provisioned IOPS above 3,000",
                "ebs/iops/gp3",
                i - Decimal::from(3000),
            );
        }
        if let Some(t) = p.num_opt("throughput").filter(|t| *t > Decimal::from(125)) {
            p.fixed(
                "throughput",
                "Provisioned throughput above 125 MB/s",
                "ebs/throughput/gp3",
                t - Decimal::from(125),
            );
        }
    }
    if kind == "io1"
        && let Some(i) = p.num_req("iops")
    {
        p.fixed("iops", "Provisioned IOPS (io1)", "ebs/iops/io1", i);
    }
}
