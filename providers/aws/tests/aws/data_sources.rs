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
    for d in [
        "aws_availability_zones",
        "aws_availability_zone",
        "aws_caller_identity",
        "aws_region",
        "aws_partition",
        "aws_service_principal",
        "aws_vpc",
        "aws_subnets",
        "aws_iam_policy_document",
    ] {
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

/// `aws_vpc`, `aws_subnets`, `aws_availability_zone`, `aws_partition`, `aws_service_principal`: what
/// configurations use to find what exists.
#[tokio::test]
async fn network_lookups_and_derived_names() {
    let w = world().await;
    let vpc = create(
        &w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([
            ("cidr_block", Value::from("10.91.0.0/16")),
            ("enable_dns_hostnames", Value::Bool(true)),
            ("tags", Value::string_map([("Name", "lookup"), ("Team", "data")])),
        ]),
    )
    .await;
    let vpc_id = id(&vpc);
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        create(
            &w,
            "aws_subnet",
            &format!("aws_subnet.s[{i}]"),
            &Value::map([
                ("vpc_id", Value::string(&vpc_id)),
                ("cidr_block", Value::string(format!("10.91.{i}.0/24"))),
                ("availability_zone", Value::from(*az)),
                ("tags", Value::string_map([("Tier", "private")])),
            ]),
        )
        .await;
    }
    let read = |t: &'static str, cfg: Value| {
        let c = &w.client;
        async move { c.read_data(t, &cfg).await }
    };

    // By tags, by ID, by CIDR: the same VPC with the resource's attributes.
    let by_tags = read(
        "aws_vpc",
        Value::map([("tags", Value::string_map([("Name", "lookup")]))]),
    )
    .await
    .unwrap();
    assert_eq!(by_tags.get_str("id"), Some(vpc_id.as_str()));
    assert_eq!(by_tags.get_str("cidr_block"), Some("10.91.0.0/16"));
    assert_eq!(by_tags.get_bool("enable_dns_hostnames"), Some(true));
    assert_eq!(by_tags.get_bool("default"), Some(false));
    assert_eq!(by_tags.get_str("state"), Some("available"));
    assert!(
        by_tags
            .get_str("main_route_table_id")
            .is_some_and(|r| r.starts_with("rtb-")),
        "{by_tags:?}"
    );
    assert!(by_tags.get_str("arn").is_some_and(|a| a.ends_with(&vpc_id)));
    assert_eq!(by_tags.get("tags").unwrap().get_str("Team"), Some("data"));
    assert!(
        by_tags.get("tags").unwrap().get("infra:address").is_none(),
        "ownership tags hidden"
    );
    assert_eq!(
        by_tags.get_list("cidr_block_associations")[0].get_str("cidr_block"),
        Some("10.91.0.0/16")
    );
    let by_id = read("aws_vpc", Value::map([("id", Value::string(&vpc_id))]))
        .await
        .unwrap();
    assert_eq!(by_id.get_str("cidr_block"), Some("10.91.0.0/16"));
    let by_filter = read(
        "aws_vpc",
        Value::map([(
            "filter",
            Value::List(vec![Value::map([
                ("name", Value::from("cidr")),
                ("values", Value::string_set(["10.91.0.0/16"])),
            ])]),
        )]),
    )
    .await
    .unwrap();
    assert_eq!(by_filter.get_str("id"), Some(vpc_id.as_str()));
    let default = read("aws_vpc", Value::map([("default", Value::Bool(true))]))
        .await
        .unwrap();
    assert_ne!(default.get_str("id"), Some(vpc_id.as_str()));
    assert_eq!(default.get_bool("default"), Some(true));
    // None or several: Terraform's errors.
    let none = read(
        "aws_vpc",
        Value::map([("tags", Value::string_map([("Name", "nothing")]))]),
    )
    .await
    .unwrap_err();
    assert!(none.to_string().contains("no matching EC2 VPC found"), "{none}");
    let many = read("aws_vpc", Value::map([("state", Value::from("available"))]))
        .await
        .unwrap_err();
    assert!(many.to_string().contains("EC2 VPCs matched"), "{many}");

    // Subnets by VPC and tag.
    let subnets = read(
        "aws_subnets",
        Value::map([
            (
                "filter",
                Value::List(vec![Value::map([
                    ("name", Value::from("vpc-id")),
                    ("values", Value::string_set([vpc_id.as_str()])),
                ])]),
            ),
            ("tags", Value::string_map([("Tier", "private")])),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(subnets.get_strings("ids").len(), 2, "{subnets:?}");
    assert!(subnets.get_strings("ids").iter().all(|s| s.starts_with("subnet-")));
    let no_subnets = read(
        "aws_subnets",
        Value::map([("tags", Value::string_map([("Tier", "none")]))]),
    )
    .await
    .unwrap();
    assert!(
        no_subnets.get_strings("ids").is_empty(),
        "no match is an empty list, as in Terraform"
    );

    // One availability zone.
    let az = read(
        "aws_availability_zone",
        Value::map([("name", Value::from("us-east-1b"))]),
    )
    .await
    .unwrap();
    assert_eq!(az.get_str("name_suffix"), Some("b"));
    assert_eq!(az.get_str("region"), Some("us-east-1"));
    assert!(az.get_str("zone_id").is_some_and(|z| z.starts_with("use1-")), "{az:?}");
    let e = read(
        "aws_availability_zone",
        Value::map([("state", Value::from("available"))]),
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("Availability Zones matched"), "{e}");

    // Derived names, without an API call.
    let p = read("aws_partition", Value::empty_map()).await.unwrap();
    assert_eq!(p.get_str("partition"), Some("aws"));
    assert_eq!(p.get_str("dns_suffix"), Some("amazonaws.com"));
    let sp = read(
        "aws_service_principal",
        Value::map([("service_name", Value::from("ecs-tasks"))]),
    )
    .await
    .unwrap();
    assert_eq!(sp.get_str("name"), Some("ecs-tasks.amazonaws.com"));
    assert_eq!(sp.get_str("id"), Some("ecs-tasks.us-east-1.amazonaws.com"));
    let doc = read(
        "aws_iam_policy_document",
        Value::map([(
            "statement",
            Value::List(vec![Value::map([
                ("actions", Value::string_set(["sts:AssumeRole"])),
                (
                    "principals",
                    Value::set(vec![Value::map([
                        ("type", Value::from("Service")),
                        ("identifiers", Value::string_set(["ecs-tasks.amazonaws.com"])),
                    ])]),
                ),
            ])]),
        )]),
    )
    .await
    .unwrap();
    assert_eq!(
        doc.get_str("id"),
        Some("1077804475"),
        "Terraform's id for this document"
    );
    assert!(
        doc.get_str("json")
            .unwrap()
            .contains("\"Service\": \"ecs-tasks.amazonaws.com\"")
    );
}

/// `data "aws_ssm_parameter"` (value sensitive, `insecure_value` only for plain types) and
/// `data "aws_secretsmanager_secret"` (by name or ARN; ownership tags hidden).
#[tokio::test]
async fn parameter_and_secret_data_sources() {
    let w = world().await;
    let schema = w.provider.schema();
    assert!(schema.data_sources["aws_ssm_parameter"].block.attributes["value"].sensitive);
    for (name, ty, value) in [
        ("/app/url", "String", "https://x"),
        ("/app/key", "SecureString", "s3cret"),
    ] {
        w.aws
            .ssm()
            .put_parameter()
            .name(name)
            .r#type(aws_sdk_ssm::types::ParameterType::from(ty))
            .value(value)
            .send()
            .await
            .unwrap();
    }
    let plain = w
        .client
        .read_data("aws_ssm_parameter", &Value::map([("name", Value::from("/app/url"))]))
        .await
        .unwrap();
    assert_eq!(plain.get_str("value"), Some("https://x"));
    assert_eq!(plain.get_str("insecure_value"), Some("https://x"));
    assert_eq!(plain.get_str("type"), Some("String"));
    assert_eq!(plain.get_i64("version"), Some(1));
    assert!(
        plain.get_str("arn").is_some_and(|a| a.ends_with(":parameter/app/url")),
        "{plain:?}"
    );
    let secure = w
        .client
        .read_data("aws_ssm_parameter", &Value::map([("name", Value::from("/app/key"))]))
        .await
        .unwrap();
    assert_eq!(secure.get_str("value"), Some("s3cret"));
    assert_eq!(secure.get("insecure_value"), Some(&Value::Null));
    let missing = w
        .client
        .read_data("aws_ssm_parameter", &Value::map([("name", Value::from("/nope"))]))
        .await
        .unwrap_err();
    assert_eq!(missing.kind, ErrorKind::NotFound, "{missing}");

    let made = w
        .aws
        .secretsmanager()
        .create_secret()
        .name("db-password")
        .description("the db")
        .secret_string("hunter2")
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key("team")
                .value("web")
                .build(),
        )
        .tags(
            aws_sdk_secretsmanager::types::Tag::builder()
                .key(infra_provider::TAG_ADDRESS)
                .value("x.y")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let arn = made.arn().unwrap().to_string();
    let by_name = w
        .client
        .read_data(
            "aws_secretsmanager_secret",
            &Value::map([("name", Value::from("db-password"))]),
        )
        .await
        .unwrap();
    assert_eq!(by_name.get_str("arn"), Some(arn.as_str()));
    assert_eq!(by_name.get_str("id"), Some(arn.as_str()));
    assert_eq!(by_name.get_str("description"), Some("the db"));
    assert_eq!(
        by_name.get_string_map("tags").into_iter().collect::<Vec<_>>(),
        vec![("team".to_string(), "web".to_string())]
    );
    assert!(by_name.get("value").is_none(), "the secret's value is not read");
    let by_arn = w
        .client
        .read_data(
            "aws_secretsmanager_secret",
            &Value::map([("arn", Value::from(arn.as_str()))]),
        )
        .await
        .unwrap();
    assert_eq!(by_arn.get_str("name"), Some("db-password"));
}

#[tokio::test]
async fn ecr_repository_data_source() {
    let w = world().await;
    w.aws
        .ecr()
        .create_repository()
        .repository_name("team/api")
        .image_tag_mutability(aws_sdk_ecr::types::ImageTagMutability::Immutable)
        .send()
        .await
        .unwrap();
    let repo = w
        .client
        .read_data("aws_ecr_repository", &Value::map([("name", Value::from("team/api"))]))
        .await
        .unwrap();
    assert_eq!(repo.get_str("name"), Some("team/api"));
    assert_eq!(repo.get_str("image_tag_mutability"), Some("IMMUTABLE"));
    assert!(
        repo.get_str("repository_url")
            .is_some_and(|u| u.ends_with(".amazonaws.com/team/api")),
        "{repo:?}"
    );
    assert_eq!(repo.get_str("registry_id"), Some("123456789012"));
    assert!(repo.get_strings("most_recent_image_tags").is_empty());
    let missing = w
        .client
        .read_data("aws_ecr_repository", &Value::map([("name", Value::from("team/nope"))]))
        .await
        .unwrap_err();
    assert!(missing.message.contains("team/nope"), "{missing:?}");
}

#[tokio::test]
async fn security_group_data_source() {
    let w = world().await;
    let vpc = w
        .aws
        .ec2()
        .create_vpc()
        .cidr_block("10.77.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().unwrap().vpc_id().unwrap().to_string();
    let made = w
        .aws
        .ec2()
        .create_security_group()
        .group_name("api")
        .description("the API")
        .vpc_id(&vpc_id)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                .tags(aws_sdk_ec2::types::Tag::builder().key("Role").value("api").build())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let id = made.group_id().unwrap().to_string();
    let by_name = w
        .client
        .read_data(
            "aws_security_group",
            &Value::map([("name", Value::from("api")), ("vpc_id", Value::string(&vpc_id))]),
        )
        .await
        .unwrap();
    assert_eq!(by_name.get_str("id"), Some(id.as_str()));
    assert_eq!(by_name.get_str("description"), Some("the API"));
    assert!(
        by_name
            .get_str("arn")
            .is_some_and(|a| a.ends_with(&format!(":security-group/{id}"))),
        "{by_name:?}"
    );
    let by_tag = w
        .client
        .read_data(
            "aws_security_group",
            &Value::map([("tags", Value::string_map([("Role", "api")]))]),
        )
        .await
        .unwrap();
    assert_eq!(by_tag.get_str("name"), Some("api"));
    // The VPC's default group and this one: more than one match is an error, as in Terraform.
    let many = w
        .client
        .read_data("aws_security_group", &Value::map([("vpc_id", Value::string(&vpc_id))]))
        .await
        .unwrap_err();
    assert!(many.message.contains("matched"), "{many:?}");
}

/// `data "aws_rds_orderable_db_instance"` against moto, which serves DescribeOrderableDBInstanceOptions
/// for `aurora-postgresql` (991 options: versions 11.9 to 15.2, classes db.r4.* to db.x2g.*) and answers
/// nothing for other engines. It filters on `Engine` and `EngineVersion` only.
#[tokio::test]
async fn rds_orderable_db_instance_data_source() {
    const T: &str = "aws_rds_orderable_db_instance";
    let w = world().await;
    let read = |cfg: Value| {
        let c = &w.client;
        async move {
            c.read_data(T, &cfg.with("engine", Value::from("aurora-postgresql")))
                .await
        }
    };
    let pick = |v: &Value| {
        (
            v.get_str("instance_class").unwrap_or_default().to_string(),
            v.get_str("engine_version").unwrap_or_default().to_string(),
        )
    };
    let want = |class: &str, version: &str| (class.to_string(), version.to_string());

    // The first preferred class is not offered: the second is chosen, although db.r5.large (third) comes
    // before it in the answer. Every attribute comes from that option.
    let calls = ApiCalls::record();
    let chosen = read(Value::map([
        ("engine_version", Value::from("13.7")),
        (
            "preferred_instance_classes",
            Value::string_list(["db.t2.micro", "db.t3.medium", "db.r5.large"]),
        ),
    ]))
    .await
    .unwrap();
    assert_eq!(
        calls.take(),
        vec![("RDS".to_string(), "DescribeOrderableDBInstanceOptions".to_string())],
        "one page of up to 1000 options"
    );
    drop(calls);
    assert_eq!(pick(&chosen), want("db.t3.medium", "13.7"));
    assert_eq!(chosen.get_str("id"), Some("db.t3.medium"));
    assert_eq!(chosen.get_str("engine"), Some("aurora-postgresql"));
    assert_eq!(chosen.get_str("license_model"), Some("postgresql-license"));
    assert_eq!(chosen.get_str("storage_type"), Some("aurora"));
    assert_eq!(
        chosen.get_strings("availability_zones"),
        ["a", "b", "c", "d", "e", "f"].map(|z| format!("us-east-1{z}"))
    );
    assert_eq!(chosen.get_bool("multi_az_capable"), Some(false));
    assert_eq!(chosen.get_bool("supports_multi_az"), Some(false));
    assert_eq!(chosen.get_bool("read_replica_capable"), Some(false));
    assert_eq!(chosen.get_bool("supports_iops"), Some(false));
    assert_eq!(chosen.get_bool("supports_performance_insights"), Some(true));
    assert_eq!(chosen.get_bool("supports_global_databases"), Some(false));
    assert_eq!(chosen.get_bool("supports_clusters"), Some(true));
    assert_eq!(chosen.get_bool("vpc"), Some(true));
    assert_eq!(chosen.get_strings("supported_engine_modes"), ["provisioned"]);
    assert_eq!(chosen.get_strings("supported_network_types"), ["IPV4", "DUAL"]);
    // moto's options carry no storage limits.
    assert_eq!(chosen.get("max_storage_size"), Some(&Value::Null));
    assert_eq!(chosen.get("min_storage_size"), Some(&Value::Null));
    assert_eq!(
        chosen.get_strings("preferred_instance_classes"),
        ["db.t2.micro", "db.t3.medium", "db.r5.large"],
        "arguments kept"
    );

    // engine_version is a filter: db.r6i.large is offered, but not in 12.8.
    let v12 = read(Value::map([
        ("engine_version", Value::from("12.8")),
        (
            "preferred_instance_classes",
            Value::string_list(["db.r6i.large", "db.r5.large"]),
        ),
    ]))
    .await
    .unwrap();
    assert_eq!(pick(&v12), want("db.r5.large", "12.8"));
    assert_eq!(
        v12.get_strings("availability_zones"),
        ["a", "b", "c", "d", "f"].map(|z| format!("us-east-1{z}"))
    );
    // With instance_class too, one option is left and no preference is needed.
    let exact = read(Value::map([
        ("engine_version", Value::from("12.8")),
        ("instance_class", Value::from("db.r5.large")),
    ]))
    .await
    .unwrap();
    assert_eq!(pick(&exact), want("db.r5.large", "12.8"));

    // Preferred versions in the order listed (13.7 comes first in the answer), the unknown one skipped.
    let by_version = read(Value::map([
        (
            "preferred_engine_versions",
            Value::string_list(["9.6.1", "14.6", "13.7"]),
        ),
        ("preferred_instance_classes", Value::string_list(["db.t3.medium"])),
    ]))
    .await
    .unwrap();
    assert_eq!(pick(&by_version), want("db.t3.medium", "14.6"));
    // engine_latest_version: the highest version compared as a version (11.13 > 11.9).
    let latest = read(Value::map([
        ("preferred_engine_versions", Value::string_list(["11.9", "11.13"])),
        ("preferred_instance_classes", Value::string_list(["db.t3.medium"])),
        ("engine_latest_version", Value::Bool(true)),
    ]))
    .await
    .unwrap();
    assert_eq!(pick(&latest), want("db.t3.medium", "11.13"));
    let latest_of_class = read(Value::map([
        ("preferred_instance_classes", Value::string_list(["db.t3.medium"])),
        ("engine_latest_version", Value::Bool(true)),
    ]))
    .await
    .unwrap();
    assert_eq!(pick(&latest_of_class), want("db.t3.medium", "15.2"));

    // Capability filters: db.t3.medium has no global databases; DUAL networking starts at 13.7.
    let global = read(Value::map([
        ("engine_version", Value::from("13.7")),
        ("supports_global_databases", Value::Bool(true)),
        (
            "preferred_instance_classes",
            Value::string_list(["db.t3.medium", "db.r5.large"]),
        ),
    ]))
    .await
    .unwrap();
    assert_eq!(pick(&global), want("db.r5.large", "13.7"));
    assert_eq!(global.get_bool("supports_global_databases"), Some(true));
    let dual = read(Value::map([
        ("supported_network_types", Value::string_list(["DUAL"])),
        ("preferred_instance_classes", Value::string_list(["db.t3.medium"])),
    ]))
    .await
    .unwrap();
    assert_eq!(pick(&dual), want("db.t3.medium", "13.7"));

    // Nothing offered: Terraform's error, naming the criteria.
    let postgres = w
        .client
        .read_data(T, &Value::map([("engine", Value::from("postgres"))]))
        .await
        .unwrap_err();
    assert!(
        postgres
            .message
            .contains("no RDS Orderable DB Instance Options found matching criteria"),
        "{postgres}"
    );
    assert!(postgres.message.contains("engine = \"postgres\""), "{postgres}");
    let iops = read(Value::map([
        ("supports_iops", Value::Bool(true)),
        ("storage_type", Value::from("aurora")),
    ]))
    .await
    .unwrap_err();
    assert!(
        iops.message.contains(
            "matching criteria (engine = \"aurora-postgresql\", storage_type = \"aurora\", supports_iops = true)"
        ),
        "{iops}"
    );
    let absent = read(Value::map([(
        "preferred_instance_classes",
        Value::string_list(["db.t2.micro", "db.m1.small"]),
    )]))
    .await
    .unwrap_err();
    assert!(
        absent.message.contains(
            "no RDS Orderable DB Instance Options found matching preferred_instance_classes [\"db.t2.micro\", \"db.m1.small\"]"
        ),
        "{absent}"
    );
    // Several options and no preference.
    let many = read(Value::map([("engine_version", Value::from("15.2"))]))
        .await
        .unwrap_err();
    assert!(
        many.message
            .contains("multiple (36) RDS DB Instance Classes match the criteria"),
        "{many}"
    );
    assert!(w.provider.schema().data_sources.contains_key(T));
}

/// `data "aws_rds_engine_version"` against `RdsEngineVersionsFake` (moto has no DescribeDBEngineVersions):
/// STS and the rest at moto, RDS at the fake. Its catalog, available unless said: postgres 15.4
/// (deprecated), 15.7, 15.8 (default of 15), 16.3, 16.4 (the default; created with 15.8); mysql 5.7.44,
/// 8.0.36, 8.0.39 (the default, created after 8.4.2), 8.4.2 (default of 8.4); oracle-ee and sqlserver-ex.
mod rds_engine_version {
    use crate::common::provider_config;
    use infra_provider::{ProviderClient, Result, Value};
    use infra_testkit::Moto;
    use infra_testkit::rds_engine_versions::RdsEngineVersionsFake;
    use std::collections::BTreeMap;
    use std::sync::Arc;

    const T: &str = "aws_rds_engine_version";

    struct Rds {
        _moto: Moto,
        fake: RdsEngineVersionsFake,
        client: Arc<dyn ProviderClient>,
    }

    impl Rds {
        async fn start(page_size: usize) -> Rds {
            let moto = Moto::start();
            let fake = RdsEngineVersionsFake::start(page_size);
            let mut config = provider_config(&moto, &[]);
            let mut endpoints = config.get_block("endpoints").unwrap().clone();
            endpoints.set_attr("rds", Value::string(fake.url()));
            config.set_attr("endpoints", Value::List(vec![endpoints]));
            let client = infra_aws::provider()
                .configure(&config)
                .await
                .expect("configure the provider");
            Rds {
                _moto: moto,
                fake,
                client,
            }
        }

        async fn read(&self, engine: &str, cfg: Value) -> Result<Value> {
            self.client.read_data(T, &cfg.with("engine", Value::from(engine))).await
        }

        async fn version(&self, engine: &str, cfg: Value) -> String {
            let v = self.read(engine, cfg).await.unwrap();
            v.get_str("version_actual").unwrap().to_string()
        }

        /// The requests since the last call.
        fn sent(&self, from: &mut usize) -> Vec<BTreeMap<String, String>> {
            let all = self.fake.requests();
            let new = all[*from..].to_vec();
            *from = all.len();
            new
        }
    }

    fn param<'a>(r: &'a BTreeMap<String, String>, k: &str) -> Option<&'a str> {
        r.get(k).map(String::as_str)
    }

    fn set(items: &[&str]) -> Value {
        Value::string_set(items)
    }

    #[tokio::test]
    async fn rds_engine_version_default_of_the_engine() {
        let rds = Rds::start(100).await;
        let mut n = 0;
        let pg = rds.read("postgres", Value::empty_map()).await.unwrap();
        // No criterion: only the default version is asked for, with character sets and time zones.
        let sent = rds.sent(&mut n);
        assert_eq!(sent.len(), 1);
        let r = &sent[0];
        assert_eq!(param(r, "Action"), Some("DescribeDBEngineVersions"));
        assert_eq!(param(r, "Engine"), Some("postgres"));
        assert_eq!(param(r, "DefaultOnly"), Some("true"));
        assert_eq!(param(r, "ListSupportedCharacterSets"), Some("true"));
        assert_eq!(param(r, "ListSupportedTimezones"), Some("true"));
        assert_eq!(param(r, "EngineVersion"), None);
        assert_eq!(param(r, "IncludeAll"), None);
        assert_eq!(pg.get_str("id"), Some("16.4"));
        assert_eq!(pg.get_str("version"), Some("16.4"));
        assert_eq!(pg.get_str("version_actual"), Some("16.4"));
        assert_eq!(pg.get_str("engine"), Some("postgres"));
        assert_eq!(pg.get_str("parameter_group_family"), Some("postgres16"));
        assert_eq!(pg.get_str("status"), Some("available"));
        assert_eq!(pg.get_str("engine_description"), Some("PostgreSQL"));
        assert_eq!(pg.get_str("version_description"), Some("PostgreSQL 16.4-R1"));
        assert_eq!(pg.get("exportable_log_types"), Some(&set(&["postgresql", "upgrade"])));
        assert_eq!(
            pg.get("supported_feature_names"),
            Some(&set(&["Lambda", "s3Export", "s3Import"]))
        );
        assert_eq!(pg.get("supported_modes"), Some(&set(&["provisioned"])));
        assert_eq!(pg.get("valid_upgrade_targets"), Some(&set(&[])));
        assert_eq!(pg.get("default_character_set"), Some(&Value::Null));
        assert_eq!(pg.get("supported_character_sets"), Some(&set(&[])));
        assert_eq!(pg.get_bool("supports_read_replica"), Some(true));
        assert_eq!(pg.get_bool("supports_log_exports_to_cloudwatch"), Some(true));
        assert_eq!(pg.get_bool("supports_certificate_rotation_without_restart"), Some(true));
        assert_eq!(pg.get_bool("supports_local_write_forwarding"), Some(false));
        assert_eq!(pg.get_bool("supports_global_databases"), Some(false));
        assert_eq!(pg.get_bool("supports_parallel_query"), Some(false));
        assert_eq!(pg.get_bool("supports_limitless_database"), Some(false));
        assert_eq!(pg.get_bool("supports_integrations"), Some(false));

        let my = rds.read("mysql", Value::empty_map()).await.unwrap();
        assert_eq!(my.get_str("version"), Some("8.0.39"));
        assert_eq!(my.get_str("parameter_group_family"), Some("mysql8.0"));
        assert_eq!(my.get("valid_upgrade_targets"), Some(&set(&["8.4.2"])));
        assert_eq!(my.get("valid_major_targets"), Some(&set(&["8.4.2"])));
        assert_eq!(my.get("valid_minor_targets"), Some(&set(&[])));
        assert_eq!(
            my.get_bool("supports_local_write_forwarding"),
            None,
            "not in the answer"
        );
        assert_eq!(my.get_bool("supports_integrations"), Some(true));

        // Character sets and time zones come because they were asked for.
        let oracle = rds.read("oracle-ee", Value::empty_map()).await.unwrap();
        assert_eq!(oracle.get_str("default_character_set"), Some("AL32UTF8"));
        assert_eq!(
            oracle.get("supported_character_sets"),
            Some(&set(&["AL32UTF8", "WE8ISO8859P1", "WE8MSWIN1252"]))
        );
        let sql = rds.read("sqlserver-ex", Value::empty_map()).await.unwrap();
        assert_eq!(
            sql.get("supported_timezones"),
            Some(&set(&[
                "Central European Standard Time",
                "Pacific Standard Time",
                "UTC"
            ]))
        );

        // parameter_group_family is not a criterion: still the default, of that family's major version.
        let pg15 = rds
            .read(
                "postgres",
                Value::map([("parameter_group_family", Value::from("postgres15"))]),
            )
            .await
            .unwrap();
        assert_eq!(pg15.get_str("version"), Some("15.8"));
        let r = rds.sent(&mut n).pop().unwrap();
        assert_eq!(param(&r, "DBParameterGroupFamily"), Some("postgres15"));
        assert_eq!(param(&r, "DefaultOnly"), Some("true"));
    }

    #[tokio::test]
    async fn rds_engine_version_partial_version() {
        let rds = Rds::start(100).await;
        let mut n = 0;
        // A partial version matches every 16.x: more than one is an error without `latest`.
        let many = rds
            .read("postgres", Value::map([("version", Value::from("16"))]))
            .await
            .unwrap_err();
        assert_eq!(
            many.message,
            "multiple RDS engine versions (16.3, 16.4) match the criteria: engine = \"postgres\", version = \"16\""
        );
        let r = rds.sent(&mut n).pop().unwrap();
        assert_eq!(param(&r, "EngineVersion"), Some("16"));
        assert_eq!(param(&r, "DefaultOnly"), None, "version is a criterion");
        let latest = rds
            .read(
                "postgres",
                Value::map([("version", Value::from("16")), ("latest", Value::Bool(true))]),
            )
            .await
            .unwrap();
        assert_eq!(latest.get_str("version"), Some("16.4"));
        assert_eq!(latest.get_str("version_actual"), Some("16.4"));
        assert_eq!(latest.get("valid_upgrade_targets"), Some(&set(&[])));
        // The newest 15.x, deprecated ones included.
        let v15 = Value::map([
            ("version", Value::from("15")),
            ("latest", Value::Bool(true)),
            ("include_all", Value::Bool(true)),
        ]);
        assert_eq!(rds.version("postgres", v15).await, "15.8");
        assert_eq!(param(&rds.sent(&mut n).pop().unwrap(), "IncludeAll"), Some("true"));
        let exact = rds
            .read("postgres", Value::map([("version", Value::from("16.3"))]))
            .await
            .unwrap();
        assert_eq!(exact.get_str("version"), Some("16.3"));
        assert_eq!(exact.get("valid_minor_targets"), Some(&set(&["16.4"])));
        assert_eq!(exact.get("valid_major_targets"), Some(&set(&[])));
    }

    #[tokio::test]
    async fn rds_engine_version_preferred_versions_in_order() {
        let rds = Rds::start(100).await;
        let mut n = 0;
        // The first one listed that is offered, not the default nor the newest.
        let pv = |l: &[&str]| Value::map([("preferred_versions", Value::string_list(l))]);
        assert_eq!(rds.version("postgres", pv(&["17.2", "15.7", "16.4"])).await, "15.7");
        let r = rds.sent(&mut n).pop().unwrap();
        assert_eq!(param(&r, "DefaultOnly"), None);
        assert_eq!(param(&r, "EngineVersion"), None);
        // 15.4 is deprecated: listed only with include_all.
        assert_eq!(rds.version("postgres", pv(&["15.4", "16.3"])).await, "16.3");
        let all = rds
            .read("postgres", pv(&["15.4", "16.3"]).with("include_all", Value::Bool(true)))
            .await
            .unwrap();
        assert_eq!(all.get_str("version"), Some("15.4"));
        assert_eq!(all.get_str("status"), Some("deprecated"));
        assert_eq!(all.get("valid_major_targets"), Some(&set(&["16.3", "16.4"])));
        assert_eq!(all.get("valid_minor_targets"), Some(&set(&["15.7", "15.8"])));
        assert_eq!(
            all.get_strings("preferred_versions"),
            ["15.4", "16.3"],
            "arguments kept"
        );
        let none = rds.read("postgres", pv(&["17.1", "14.12"])).await.unwrap_err();
        assert_eq!(
            none.message,
            "no RDS engine versions match the criteria and preferred versions [\"17.1\", \"14.12\"]: engine = \"postgres\""
        );
    }

    #[tokio::test]
    async fn rds_engine_version_latest() {
        let rds = Rds::start(100).await;
        let mut n = 0;
        let latest = || Value::map([("latest", Value::Bool(true))]);
        // By creation time first, as Terraform: 8.0.39 was created after 8.4.2.
        assert_eq!(rds.version("mysql", latest()).await, "8.0.39");
        let r = rds.sent(&mut n).pop().unwrap();
        assert_eq!(param(&r, "DefaultOnly"), None, "latest is a criterion");
        // 15.8 and 16.4 were created together: the version decides.
        assert_eq!(rds.version("postgres", latest()).await, "16.4");
        // latest among preferred versions.
        let among = latest().with("preferred_versions", Value::string_list(["15.7", "16.3", "15.8"]));
        assert_eq!(rds.version("postgres", among).await, "15.8");
        // latest with default_only: the defaults of every major version.
        let defaults = latest()
            .with("default_only", Value::Bool(true))
            .with("version", Value::from("8"));
        assert_eq!(rds.version("mysql", defaults).await, "8.0.39");
        assert_eq!(param(&rds.sent(&mut n).pop().unwrap(), "DefaultOnly"), Some("true"));
    }

    #[tokio::test]
    async fn rds_engine_version_default_only() {
        let rds = Rds::start(100).await;
        let mut n = 0;
        let only = |version: &str| Value::map([("default_only", Value::Bool(true)), ("version", Value::from(version))]);
        assert_eq!(rds.version("postgres", only("15")).await, "15.8");
        let r = rds.sent(&mut n).pop().unwrap();
        assert_eq!(param(&r, "DefaultOnly"), Some("true"));
        assert_eq!(param(&r, "EngineVersion"), Some("15"));
        // mysql 8 has two defaults (8.0 and 8.4): default_only does not prevent the error.
        let two = rds.read("mysql", only("8")).await.unwrap_err();
        assert_eq!(
            two.message,
            "multiple RDS engine versions (8.0.39, 8.4.2) match the criteria: engine = \"mysql\", version = \"8\", default_only = true"
        );
        // default_only = false is not a criterion either: the default is still asked for.
        let f = rds
            .read("postgres", Value::map([("default_only", Value::Bool(false))]))
            .await
            .unwrap();
        assert_eq!(f.get_str("version"), Some("16.4"));
        assert_eq!(param(&rds.sent(&mut n).pop().unwrap(), "DefaultOnly"), Some("true"));
    }

    #[tokio::test]
    async fn rds_engine_version_filters_are_sent() {
        let rds = Rds::start(100).await;
        let mut n = 0;
        let filter = |name: &str, values: &[&str]| {
            Value::set(vec![Value::map([
                ("name", Value::from(name)),
                ("values", Value::string_set(values)),
            ])])
        };
        let family = Value::map([
            ("filter", filter("db-parameter-group-family", &["postgres15"])),
            ("latest", Value::Bool(true)),
        ]);
        let v = rds.read("postgres", family).await.unwrap();
        assert_eq!(v.get_str("version"), Some("15.8"));
        assert_eq!(v.get_list("filter").len(), 1, "arguments kept");
        let r = rds.sent(&mut n).pop().unwrap();
        assert_eq!(param(&r, "Filters.Filter.1.Name"), Some("db-parameter-group-family"));
        assert_eq!(param(&r, "Filters.Filter.1.Values.Value.1"), Some("postgres15"));
        assert_eq!(param(&r, "DefaultOnly"), None, "a filter is a criterion");
        // Two values: either matches.
        let two = rds
            .read(
                "mysql",
                Value::map([
                    ("filter", filter("engine-version", &["5.7.44", "8.4.2"])),
                    ("latest", Value::Bool(true)),
                ]),
            )
            .await
            .unwrap();
        assert_eq!(two.get_str("version"), Some("8.4.2"));
        let r = rds.sent(&mut n).pop().unwrap();
        let mut values = [
            param(&r, "Filters.Filter.1.Values.Value.1").unwrap(),
            param(&r, "Filters.Filter.1.Values.Value.2").unwrap(),
        ];
        values.sort();
        assert_eq!(values, ["5.7.44", "8.4.2"]);
        let none = rds
            .read(
                "postgres",
                Value::map([("filter", filter("engine-mode", &["serverless"]))]),
            )
            .await
            .unwrap_err();
        assert_eq!(
            none.message,
            "no RDS engine versions found: engine = \"postgres\", filter \"engine-mode\" = [\"serverless\"]"
        );
    }

    #[tokio::test]
    async fn rds_engine_version_upgrade_targets() {
        let rds = Rds::start(100).await;
        let yes = Value::Bool(true);
        // 15.7 and 15.8 have a major target: two, so an error without a preference or latest.
        let major = rds
            .read("postgres", Value::map([("has_major_target", yes.clone())]))
            .await
            .unwrap_err();
        assert!(
            major
                .message
                .starts_with("multiple RDS engine versions (15.7, 15.8) match the criteria: engine = \"postgres\""),
            "{major}"
        );
        let latest = Value::map([("has_major_target", yes.clone()), ("latest", yes.clone())]);
        assert_eq!(rds.version("postgres", latest).await, "15.8");
        // Both kinds of target: 15.7 only.
        let both = Value::map([("has_major_target", yes.clone()), ("has_minor_target", yes.clone())]);
        assert_eq!(rds.version("postgres", both).await, "15.7");
        // Preferred upgrade targets: the versions that can upgrade to one, the first of the answer.
        let ut = |l: &[&str]| Value::map([("preferred_upgrade_targets", Value::string_list(l))]);
        assert_eq!(rds.version("postgres", ut(&["16.3"])).await, "15.7");
        assert_eq!(rds.version("postgres", ut(&["17.0", "16.4"])).await, "15.7");
        // With latest: the newest of 15.7, 15.8 and 16.3 by creation time.
        assert_eq!(
            rds.version("postgres", ut(&["16.4"]).with("latest", yes.clone())).await,
            "15.8"
        );
        // Preferred major targets: only major upgrades count (16.3 -> 16.4 is minor).
        let mt = |l: &[&str]| Value::map([("preferred_major_targets", Value::string_list(l))]);
        assert_eq!(rds.version("postgres", mt(&["16.4"])).await, "15.7");
        let my = rds.read("mysql", mt(&["8.4.2"])).await.unwrap();
        assert_eq!(my.get_str("version"), Some("8.0.36"));
        assert_eq!(my.get("valid_major_targets"), Some(&set(&["8.4.2"])));
        assert_eq!(my.get("valid_minor_targets"), Some(&set(&["8.0.39"])));
        let narrowed = mt(&["16.4"]).with("preferred_versions", Value::string_list(["16.3"]));
        let e = rds.read("postgres", narrowed).await.unwrap_err();
        assert_eq!(
            e.message,
            "no RDS engine versions match the criteria and preferred major targets [\"16.4\"]: engine = \"postgres\""
        );
        let e = rds.read("postgres", ut(&["17.0"])).await.unwrap_err();
        assert!(
            e.message
                .contains("no RDS engine versions match the criteria and preferred upgrade targets [\"17.0\"]"),
            "{e}"
        );
    }

    #[tokio::test]
    async fn rds_engine_version_nothing_matches() {
        let rds = Rds::start(100).await;
        let none = rds
            .read("postgres", Value::map([("version", Value::from("17"))]))
            .await
            .unwrap_err();
        assert_eq!(
            none.message,
            "no RDS engine versions found: engine = \"postgres\", version = \"17\""
        );
        let engine = rds.read("aurora-postgresql", Value::empty_map()).await.unwrap_err();
        assert_eq!(
            engine.message,
            "no RDS engine versions found: engine = \"aurora-postgresql\", default_only = true"
        );
        let minor = rds
            .read(
                "postgres",
                Value::map([
                    ("version", Value::from("16.4")),
                    ("has_minor_target", Value::Bool(true)),
                ]),
            )
            .await
            .unwrap_err();
        assert_eq!(
            minor.message,
            "no RDS engine versions match the criteria and have a minor target: engine = \"postgres\", version = \"16.4\""
        );
        let family = rds
            .read(
                "mysql",
                Value::map([
                    ("parameter_group_family", Value::from("mysql8.0")),
                    ("version", Value::from("5.7")),
                ]),
            )
            .await
            .unwrap_err();
        assert_eq!(
            family.message,
            "no RDS engine versions found: engine = \"mysql\", version = \"5.7\", parameter_group_family = \"mysql8.0\""
        );
    }

    #[tokio::test]
    async fn rds_engine_version_follows_pages() {
        // Two versions a page: postgres with deprecated versions is five, in three pages.
        let rds = Rds::start(2).await;
        let mut n = 0;
        let all = Value::map([("include_all", Value::Bool(true)), ("latest", Value::Bool(true))]);
        assert_eq!(rds.version("postgres", all).await, "16.4");
        let sent = rds.sent(&mut n);
        let markers: Vec<Option<&str>> = sent.iter().map(|r| param(r, "Marker")).collect();
        assert_eq!(markers, [None, Some("marker-2"), Some("marker-4")]);
        assert!(
            sent.iter()
                .all(|r| param(r, "Engine") == Some("postgres") && param(r, "IncludeAll") == Some("true"))
        );
        // The oldest version is on the first page: a preference for it is found; one on the last page too.
        let pv = Value::map([
            ("include_all", Value::Bool(true)),
            ("preferred_versions", Value::string_list(["16.4", "15.4"])),
        ]);
        assert_eq!(rds.version("postgres", pv).await, "16.4");
        assert_eq!(rds.sent(&mut n).len(), 3);
    }
}
