//! `aws_service_discovery_service`: Cloud Map charges per registered resource (instance) per month and per
//! discovery API call (`DiscoverInstances`). How many instances a service holds (an ECS service registers each
//! of its tasks) and how often clients call the API are not in the configuration: both are usage, and without a
//! usage figure they are shown with their unit price and count for nothing. Clients that resolve the service
//! by DNS make no API calls; their queries are Route 53 queries of the namespace's hosted zone, priced on the
//! `aws_service_discovery_private_dns_namespace`. Route 53 health checks (`health_check_config`, public
//! namespaces only) are not priced; a custom health check (`health_check_custom_config`, which ECS uses) is free.

use super::{Model, UsageKey};
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_service_discovery_service",
    usage: &[
        UsageKey {
            key: "registered_instances",
            description: "average number of instances (e.g. ECS tasks) registered in the service over the month",
        },
        UsageKey {
            key: "monthly_api_calls",
            description: "DiscoverInstances API calls per month",
        },
    ],
    price,
};

fn price(p: &mut Pricer<'_>) {
    p.usage(
        "registered-instances",
        "Registered instances",
        "cloudmap/registered-resource",
        "registered_instances",
        Decimal::ONE,
    );
    p.usage(
        "api-calls",
        "Discovery API calls",
        "cloudmap/api-call",
        "monthly_api_calls",
        Decimal::ONE,
    );
    if let Attr::Known(v) = p.get("health_check_config")
        && v.as_list().is_some_and(|l| !l.is_empty())
    {
        p.note("the Route 53 health checks of health_check_config are charged by Route 53 and not priced here");
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{lines, one, with_usage};
    use crate::cost::Status;
    use infra_provider::Value;

    fn service(extra: &[(&str, Value)]) -> Value {
        let mut attrs = vec![
            ("name", Value::string("api")),
            ("namespace_id", Value::Unknown),
            (
                "dns_config",
                Value::List(vec![Value::map([
                    ("routing_policy", Value::string("MULTIVALUE")),
                    (
                        "dns_records",
                        Value::List(vec![Value::map([
                            ("type", Value::string("A")),
                            ("ttl", Value::int(10)),
                        ])]),
                    ),
                ])]),
            ),
        ];
        attrs.extend(extra.iter().cloned());
        Value::map(attrs)
    }

    #[test]
    fn without_usage_both_components_show_their_price_and_count_for_nothing() {
        let r = one("aws_service_discovery_service.api", service(&[]));
        assert_eq!(r.status, Status::Priced);
        assert_eq!(
            lines(&r),
            vec![
                ("Registered instances".to_string(), "usage?".to_string()),
                ("Discovery API calls".to_string(), "usage?".to_string()),
            ]
        );
        assert!(r.monthly.is_zero());
        assert_eq!(r.components[0].unit, "resource-month");
        assert_eq!(r.components[0].unit_price.to_string(), "0.10");
        assert!(r.notes.is_empty(), "{:?}", r.notes);
    }

    #[test]
    fn registered_instances_and_api_calls_come_from_the_usage_file() {
        // 2 tasks × $0.10 = $0.20; 3 million calls × $0.000001 = $3.00.
        let r = with_usage(
            "version: 0.1\nresource_usage:\n  aws_service_discovery_service.api:\n    registered_instances: 2\n    monthly_api_calls: 3000000\n",
            "aws_service_discovery_service.api",
            service(&[(
                "health_check_custom_config",
                Value::List(vec![Value::map([("failure_threshold", Value::int(1))])]),
            )]),
        );
        assert_eq!(
            lines(&r),
            vec![
                ("Registered instances".to_string(), "0.20".to_string()),
                ("Discovery API calls".to_string(), "3.00".to_string()),
            ]
        );
        assert_eq!(r.monthly.to_plain_string(), "3.20");
        assert!(r.notes.is_empty(), "a custom health check is free: {:?}", r.notes);
        let r = one(
            "aws_service_discovery_service.api",
            service(&[(
                "health_check_config",
                Value::List(vec![Value::map([("type", Value::string("HTTP"))])]),
            )]),
        );
        assert!(
            r.notes.iter().any(|n| n.contains("health_check_config")),
            "{:?}",
            r.notes
        );
    }
}
