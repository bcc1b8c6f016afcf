use crate::common::*;
use infra_provider::{ErrorKind, Value};

#[tokio::test]
async fn data_sources_read() {
    let w = world().await;
    let zones = w
        .client
        .read_data(
            "aws_availability_zones",
            &Value::map([("state", Value::from("available"))]),
        )
        .await
        .unwrap();
    let names = zones.get_strings("names");
    assert!(names.contains(&"us-east-1a".to_string()), "{names:?}");
    assert_eq!(zones.get_strings("zone_ids").len(), names.len());
    assert_eq!(zones.get_str("id"), Some("us-east-1"));
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    let fewer = w
        .client
        .read_data(
            "aws_availability_zones",
            &Value::map([("exclude_names", Value::string_set(["us-east-1a"]))]),
        )
        .await
        .unwrap();
    assert_eq!(fewer.get_strings("names").len(), names.len() - 1);
    assert!(!fewer.get_strings("names").contains(&"us-east-1a".to_string()));

    let me = w
        .client
        .read_data("aws_caller_identity", &Value::empty_map())
        .await
        .unwrap();
    assert_eq!(me.get_str("account_id"), Some("123456789012"));
    assert_eq!(me.get_str("id"), Some("123456789012"));
    assert!(me.get_str("arn").is_some_and(|a| a.starts_with("arn:aws:")));
    assert!(me.get_str("user_id").is_some());

    let here = w.client.read_data("aws_region", &Value::empty_map()).await.unwrap();
    assert_eq!(here.get_str("name"), Some("us-east-1"));
    assert_eq!(here.get_str("region"), Some("us-east-1"));
    assert_eq!(here.get_str("description"), Some("US East (N. Virginia)"));
    assert!(
        here.get_str("endpoint").is_some_and(|e| e.contains("us-east-1")),
        "{here:?}"
    );
    let there = w
        .client
        .read_data("aws_region", &Value::map([("region", Value::from("eu-west-1"))]))
        .await
        .unwrap();
    assert_eq!(there.get_str("description"), Some("Europe (Ireland)"));
    let e = w
        .client
        .read_data("aws_region", &Value::map([("name", Value::from("xx-nowhere-9"))]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("xx-nowhere-9"), "{e}");
}

#[tokio::test]
async fn provider_schema_and_configuration_errors() {
    let w = world().await;
    let schema = w.provider.schema();
    assert_eq!(w.provider.name(), "aws");
    assert!(schema.provider.attributes["secret_key"].sensitive);
    assert!(schema.provider.attributes["token"].sensitive);
    for t in [
        "aws_vpc",
        "aws_subnet",
        "aws_internet_gateway",
        "aws_route_table",
        "aws_route_table_association",
        "aws_security_group",
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_egress_rule",
        "aws_ssm_parameter",
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret_version",
    ] {
        let s = &schema.resources[t];
        assert!(s.block.attributes.contains_key("id"), "{t} has an id");
    }
    for d in ["aws_availability_zones", "aws_caller_identity", "aws_region"] {
        assert!(schema.data_sources.contains_key(d), "{d}");
    }
    assert!(schema.resources["aws_ssm_parameter"].block.attributes["value"].sensitive);

    // Credentials are checked at configure time: an STS endpoint that does not answer is a config error.
    let closed = format!("http://127.0.0.1:{}", infra_testkit::free_port());
    let mut bad = provider_config(&w.moto, &[("max_retries", Value::int(0))]);
    let mut endpoints = bad.get_block("endpoints").unwrap().clone();
    endpoints.set_attr("sts", Value::string(&closed));
    bad.set_attr("endpoints", Value::List(vec![endpoints]));
    let e = match w.provider.configure(&bad).await {
        Err(e) => e,
        Ok(_) => panic!("configured against a closed STS endpoint"),
    };
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("validating the AWS credentials"), "{e}");
    assert!(!e.to_string().contains("testing"), "no credential in the error: {e}");
    // ... unless validation is skipped.
    bad.set_attr("skip_credentials_validation", Value::Bool(true));
    assert!(w.provider.configure(&bad).await.is_ok());
    // Half a static key pair is refused.
    let half = Value::map([
        ("region", Value::from("us-east-1")),
        ("access_key", Value::from("AKIA")),
    ]);
    assert_eq!(
        w.provider.configure(&half).await.err().map(|e| e.kind),
        Some(ErrorKind::Config)
    );
}
