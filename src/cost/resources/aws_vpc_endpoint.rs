//! `aws_vpc_endpoint`: gateway endpoints are free; interface endpoints cost per hour per Availability Zone
//! (one per subnet in `subnet_ids`) plus data processed (usage). Gateway Load Balancer endpoints are not
//! priced.

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_vpc_endpoint",
    usage: &[UsageKey {
        key: "monthly_data_processed_gb",
        description: "GB processed by an interface endpoint per month",
    }],
    price,
};

fn price(p: &mut Pricer<'_>) {
    match p.str_or("vpc_endpoint_type", "Gateway") {
        "Gateway" => p.free("gateway endpoints are free"),
        "Interface" => {
            let Some(zones) = p.count("subnet_ids") else { return };
            if zones == 0 {
                p.not_priced("an interface endpoint without subnet_ids: its Availability Zones are not known");
                return;
            }
            p.hourly(
                "hours",
                format!("Interface endpoint ({zones} Availability Zones)"),
                "vpc/endpoint/interface/hours",
                Decimal::from(zones),
            );
            p.usage(
                "data-processed",
                "Data processed",
                "vpc/endpoint/interface/data-processed",
                "monthly_data_processed_gb",
                Decimal::ONE,
            );
        }
        other => p.not_priced(format!("vpc_endpoint_type {other:?} has no prices in the catalog")),
    }
}
