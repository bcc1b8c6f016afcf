//! `aws_cloudwatch_log_group`: data ingested (by log class) and archived storage (usage). The account-wide
//! free tier is not deducted.

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_cloudwatch_log_group",
    usage: &[
        UsageKey {
            key: "monthly_data_ingested_gb",
            description: "GB of log events ingested per month",
        },
        UsageKey {
            key: "storage_gb",
            description: "average GB of logs stored (archived)",
        },
    ],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let (key, class) = match p.str_or("log_group_class", "STANDARD") {
        "INFREQUENT_ACCESS" => ("logs/ingestion/infrequent-access", "Infrequent Access"),
        _ => ("logs/ingestion/standard", "Standard"),
    };
    p.usage(
        "ingestion",
        format!("Data ingested ({class})"),
        key,
        "monthly_data_ingested_gb",
        Decimal::ONE,
    );
    p.usage("storage", "Log storage", "logs/storage", "storage_gb", Decimal::ONE);
}
