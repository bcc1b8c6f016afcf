//! `aws_lb`: application and network load balancers: hours, capacity units (usage: the average number of
//! LCUs/NLCUs in use, × 730 hours), and for an internet-facing balancer one public IPv4 address per subnet
//! (Availability Zone). Gateway load balancers are not priced.

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_lb",
    usage: &[UsageKey {
        key: "capacity_units",
        description: "average load balancer capacity units (LCU, or NLCU for a network load balancer) in use per hour",
    }],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let hours = Decimal::from(crate::cost::estimate::HOURS_PER_MONTH);
    match p.str_or("load_balancer_type", "application") {
        "application" => {
            p.hourly(
                "hours",
                "Application load balancer",
                "elb/application/hours",
                Decimal::ONE,
            );
            p.usage(
                "capacity-units",
                "Load balancer capacity units (LCU)",
                "elb/application/lcu",
                "capacity_units",
                hours,
            );
        }
        "network" => {
            p.hourly("hours", "Network load balancer", "elb/network/hours", Decimal::ONE);
            p.usage(
                "capacity-units",
                "Network load balancer capacity units (NLCU)",
                "elb/network/nlcu",
                "capacity_units",
                hours,
            );
        }
        other => {
            p.not_priced(format!("load_balancer_type {other:?} has no prices in the catalog"));
            return;
        }
    }
    if !p.bool_or("internal", false) {
        let subnets = p.count("subnets").zip(p.count("subnet_mapping")).map(|(a, b)| a.max(b));
        if let Some(n) = subnets {
            p.hourly(
                "public-ipv4",
                format!("Public IPv4 addresses ({n}, one per Availability Zone)"),
                "vpc/public-ipv4/in-use",
                Decimal::from(n),
            );
        }
    }
}
