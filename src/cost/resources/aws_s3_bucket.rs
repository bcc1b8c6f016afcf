//! `aws_s3_bucket`: S3 Standard storage (first tier) and requests (usage). Other storage classes, lifecycle
//! transitions and data transfer are not estimated.

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_s3_bucket",
    usage: &[
        UsageKey {
            key: "storage_gb",
            description: "average GB stored in S3 Standard",
        },
        UsageKey {
            key: "monthly_tier_1_requests",
            description: "PUT, COPY, POST and LIST requests per month",
        },
        UsageKey {
            key: "monthly_tier_2_requests",
            description: "GET, SELECT and other requests per month",
        },
    ],
    price,
};

fn price(p: &mut Pricer<'_>) {
    p.usage(
        "storage",
        "Storage (Standard)",
        "s3/storage/standard",
        "storage_gb",
        Decimal::ONE,
    );
    p.usage(
        "tier1-requests",
        "PUT, COPY, POST, LIST requests",
        "s3/requests/tier1",
        "monthly_tier_1_requests",
        Decimal::ONE,
    );
    p.usage(
        "tier2-requests",
        "GET, SELECT and other requests",
        "s3/requests/tier2",
        "monthly_tier_2_requests",
        Decimal::ONE,
    );
}
