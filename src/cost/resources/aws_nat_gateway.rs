//! `aws_nat_gateway`: gateway hours and data processed (usage). A public gateway's Elastic IP is priced as
//! its own `aws_eip`.

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_nat_gateway",
    usage: &[UsageKey {
        key: "monthly_data_processed_gb",
        description: "GB processed by the gateway per month",
    }],
    price,
};

fn price(p: &mut Pricer<'_>) {
    p.hourly("hours", "NAT gateway", "vpc/nat-gateway/hours", Decimal::ONE);
    p.usage(
        "data-processed",
        "Data processed",
        "vpc/nat-gateway/data-processed",
        "monthly_data_processed_gb",
        Decimal::ONE,
    );
}
