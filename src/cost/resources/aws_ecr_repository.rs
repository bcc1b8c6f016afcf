//! `aws_ecr_repository`: image storage (usage).

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_ecr_repository",
    usage: &[UsageKey {
        key: "storage_gb",
        description: "average GB of images stored",
    }],
    price,
};

fn price(p: &mut Pricer<'_>) {
    p.usage("storage", "Image storage", "ecr/storage", "storage_gb", Decimal::ONE);
}
