//! `aws_instance`: Linux on-demand instance hours (shared tenancy), the root EBS volume, and a public IPv4
//! address when `associate_public_ip_address` is set. The AMI's operating system is not known offline, so
//! every instance is priced as Linux (a note says so). The root volume's size and type come from the AMI when
//! not configured, so a new instance without them is "unknown" until apply.

use super::Model;
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_instance",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    if p.str_or("tenancy", "default") != "default" {
        p.not_priced("dedicated tenancy has no prices in the catalog");
        return;
    }
    if let Some(kind) = p.str_req("instance_type") {
        p.hourly(
            "instance",
            format!("Instance ({kind}, Linux, on-demand)"),
            &format!("ec2/instance/{kind}/linux"),
            Decimal::ONE,
        );
        p.note("priced as Linux: the AMI's operating system is not known offline");
    }
    match p.get("root_block_device") {
        Attr::Unknown => p.unknown("root_block_device"),
        _ => {
            let kind = p.str_req("root_block_device.0.volume_type");
            let size = p.num_req("root_block_device.0.volume_size");
            if let (Some(kind), Some(size)) = (kind, size) {
                if matches!(kind, "gp2" | "gp3" | "st1" | "sc1" | "standard") {
                    p.fixed(
                        "root-volume",
                        format!("Root volume ({kind}, {} GB)", size.normalize()),
                        &format!("ebs/storage/{kind}"),
                        size,
                    );
                } else {
                    p.not_priced(format!("root volume type {kind:?} is not modelled"));
                }
            }
        }
    }
    if matches!(p.get("associate_public_ip_address"), Attr::Unknown) {
        p.note("associate_public_ip_address depends on the subnet; no public IPv4 address counted");
    } else if p.bool_or("associate_public_ip_address", false) {
        p.hourly(
            "public-ipv4",
            "Public IPv4 address",
            "vpc/public-ipv4/in-use",
            Decimal::ONE,
        );
    }
}
