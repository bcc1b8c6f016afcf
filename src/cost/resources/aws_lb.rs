//! `aws_lb`: application and network load balancers: hours, capacity units (usage: the average number of
//! LCUs/NLCUs in use, × 730 hours), and for an internet-facing balancer one public IPv4 address per subnet
//! (Availability Zone). Gateway load balancers are not priced.

use super::{Model, UsageKey};
use crate::cost::estimate::{Attr, Pricer};
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
        // `subnets` is computed: with `subnet_mapping` it is unknown until apply, and the other way round.
        let len = |a: Attr<'_>| match a {
            Attr::Known(v) => Some(v.as_list().map(<[_]>::len).unwrap_or(0)),
            Attr::Null => Some(0),
            Attr::Unknown => None,
        };
        let zones = match (len(p.get("subnets")), len(p.get("subnet_mapping"))) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (Some(n), None) | (None, Some(n)) if n > 0 => Some(n),
            _ => None,
        };
        match zones {
            Some(n) => p.hourly(
                "public-ipv4",
                format!("Public IPv4 addresses ({n}, one per Availability Zone)"),
                "vpc/public-ipv4/in-use",
                Decimal::from(n),
            ),
            None => p.unknown("subnets"),
        }
    }
}
