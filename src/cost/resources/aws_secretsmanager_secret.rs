//! `aws_secretsmanager_secret`: one secret-month per secret and per replica, and API requests (usage).

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_secretsmanager_secret",
    usage: &[UsageKey {
        key: "monthly_requests",
        description: "API requests per month",
    }],
    price,
};

fn price(p: &mut Pricer<'_>) {
    if let Some(replicas) = p.count("replica") {
        let name = if replicas == 0 {
            "Secret".to_string()
        } else {
            format!("Secret (with {replicas} replicas)")
        };
        p.fixed("secret", name, "secretsmanager/secret", Decimal::from(1 + replicas));
    }
    p.usage(
        "api-requests",
        "API requests",
        "secretsmanager/api-request",
        "monthly_requests",
        Decimal::ONE,
    );
}
