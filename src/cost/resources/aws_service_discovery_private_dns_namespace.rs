//! `aws_service_discovery_private_dns_namespace`: Cloud Map charges nothing for the namespace itself, but it
//! creates a Route 53 private hosted zone, charged per hosted zone per month (the price of the first 25 hosted
//! zones of the account), and Route 53 charges the DNS queries answered from it (usage; the queries that
//! resolve the namespace's services, `<service>.<namespace>`, are counted here, not on the services).

use super::{Model, UsageKey};
use crate::cost::estimate::Pricer;
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_service_discovery_private_dns_namespace",
    usage: &[UsageKey {
        key: "monthly_standard_queries",
        description: "DNS queries answered from the namespace's hosted zone per month",
    }],
    price,
};

fn price(p: &mut Pricer<'_>) {
    p.fixed(
        "hosted-zone",
        "Route 53 private hosted zone",
        "route53/hosted-zone",
        Decimal::ONE,
    );
    p.usage(
        "dns-queries",
        "DNS queries",
        "route53/queries/standard",
        "monthly_standard_queries",
        Decimal::ONE,
    );
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lines, one, with_usage};
    use crate::cost::Status;
    use infra_provider::Value;

    fn namespace() -> Value {
        Value::map([
            ("name", Value::string("stage.araquem.internal")),
            ("vpc", Value::string("vpc-0abc")),
            ("hosted_zone", Value::Unknown),
        ])
    }

    #[test]
    fn a_private_namespace_costs_its_hosted_zone_and_its_queries_by_usage() {
        let r = one("aws_service_discovery_private_dns_namespace.internal", namespace());
        assert_eq!(r.status, Status::Priced);
        // 1 hosted zone × $0.50; queries without a usage figure count for nothing.
        assert_eq!(
            lines(&r),
            vec![
                ("Route 53 private hosted zone".to_string(), "0.50".to_string()),
                ("DNS queries".to_string(), "usage?".to_string()),
            ]
        );
        assert_eq!(r.monthly.to_plain_string(), "0.50");
        assert_eq!(r.components[0].price.key, "route53/hosted-zone");
        assert!(
            r.components[0].price.source.ends_with("(global service)"),
            "{}",
            r.components[0].price.source
        );
        assert_eq!(r.components[1].usage_key.as_deref(), Some("monthly_standard_queries"));

        // 10 million queries × $0.0000004 = $4.00.
        let r = with_usage(
            "version: 0.1\nresource_usage:\n  aws_service_discovery_private_dns_namespace.internal:\n    monthly_standard_queries: 10000000\n",
            "aws_service_discovery_private_dns_namespace.internal",
            namespace(),
        );
        assert_eq!(lines(&r)[1], ("DNS queries".to_string(), "4.00".to_string()));
        assert_eq!(r.monthly.to_plain_string(), "4.50");
    }
}
