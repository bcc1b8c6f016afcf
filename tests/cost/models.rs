//! One test per priced resource type: components against figures computed by hand from the catalog
//! (`prices/aws/us-east-1.json`, `prices/digitalocean.json`), plus the free / not priced / unknown cases.

use crate::{aws, block, dio, est, estimate_with, line, lines, n, obj, one, s, usage};
use infra::cost::{Catalog, CostError, PricedResource, Status, Usage, estimate};
use infra_provider::Value;

fn rds(pairs: &[(&str, Value)]) -> PricedResource {
    let mut attrs = vec![
        ("engine", s("postgres")),
        ("instance_class", s("db.t4g.micro")),
        ("allocated_storage", n(20.0)),
    ];
    for (k, v) in pairs {
        attrs.retain(|(a, _)| a != k);
        attrs.push((k, v.clone()));
    }
    aws("aws_db_instance.main", obj(&attrs))
}

#[test]
fn db_instance_single_az_gp3() {
    // 730 h × $0.016 = $11.68; 20 GB × $0.115 = $2.30.
    let r = one(rds(&[("storage_type", s("gp3")), ("multi_az", Value::Bool(false))]));
    assert_eq!(r.status, Status::Priced);
    assert_eq!(
        lines(&r),
        vec![
            line("Database instance (db.t4g.micro, PostgreSQL, Single-AZ)", "11.68"),
            line("Storage (gp3, Single-AZ)", "2.30"),
            line("Backup storage beyond the free allocation", "usage?"),
        ]
    );
    assert_eq!(r.monthly.to_plain_string(), "13.98");
    let c = &r.components[0];
    assert_eq!(c.quantity.unwrap().to_string(), "730");
    assert_eq!(c.price.key, "rds/instance/postgres/db.t4g.micro/single-az");
    assert_eq!(c.price.file, "prices/aws/us-east-1.json");
    assert!(c.price.source.contains("AmazonRDS"), "{}", c.price.source);
}

#[test]
fn db_instance_multi_az_gp3_above_baseline_with_backup_usage() {
    // db.m6g.xlarge Multi-AZ: 730 × $0.636 = $464.28. 500 GB (≥ 400 GB: baseline 12,000 IOPS, 500 MB/s):
    // 500 × $0.23 = $115.00; (15,000 − 12,000) × $0.04 = $120.00; (600 − 500) × $0.16 = $16.00.
    // Backup: 50 GB × $0.095 = $4.75.
    let u = usage("version: 0.1\nresource_usage:\n  aws_db_instance.main:\n    additional_backup_storage_gb: 50\n");
    let e = estimate_with(
        &u,
        &[rds(&[
            ("instance_class", s("db.m6g.xlarge")),
            ("multi_az", Value::Bool(true)),
            ("allocated_storage", n(500.0)),
            ("storage_type", s("gp3")),
            ("iops", n(15000.0)),
            ("storage_throughput", n(600.0)),
        ])],
    );
    let r = &e.resources[0];
    assert_eq!(
        lines(r),
        vec![
            line("Database instance (db.m6g.xlarge, PostgreSQL, Multi-AZ)", "464.28"),
            line("Storage (gp3, Multi-AZ)", "115.00"),
            line("Provisioned IOPS above the 12000 baseline (Multi-AZ)", "120.00"),
            line("Provisioned throughput above the 500 MB/s baseline (Multi-AZ)", "16.00"),
            line("Backup storage beyond the free allocation", "4.75"),
        ]
    );
    assert_eq!(r.monthly.to_plain_string(), "720.03");
}

#[test]
fn db_instance_io1_and_default_storage_type() {
    // io1 Single-AZ: 100 GB × $0.125 = $12.50; 1,000 IOPS × $0.10 = $100.00.
    let r = one(rds(&[
        ("allocated_storage", n(100.0)),
        ("storage_type", s("io1")),
        ("iops", n(1000.0)),
    ]));
    assert_eq!(
        lines(&r)[1..3],
        [
            line("Storage (io1, Single-AZ)", "12.50"),
            line("Provisioned IOPS (io1, Single-AZ)", "100.00")
        ]
    );
    // storage_type unknown at plan time (optional + computed, not configured): the documented default gp2.
    let r = one(rds(&[("storage_type", Value::Unknown), ("multi_az", Value::Unknown)]));
    assert_eq!(r.status, Status::Priced);
    assert_eq!(lines(&r)[1], line("Storage (gp2, Single-AZ)", "2.30"));
    assert!(
        r.notes
            .iter()
            .any(|n| n.contains("storage_type is known only after apply; priced as the default gp2")),
        "{:?}",
        r.notes
    );
}

#[test]
fn db_instance_unknown_class_is_unknown_not_zero() {
    let r = one(rds(&[("instance_class", Value::Unknown), ("storage_type", s("gp3"))]));
    assert_eq!(
        r.status,
        Status::Unknown("instance_class known only after apply".into())
    );
    // What is known is still priced and counted.
    assert_eq!(lines(&r)[0], line("Storage (gp3, Single-AZ)", "2.30"));
    assert_eq!(r.monthly.to_plain_string(), "2.30");
}

#[test]
fn db_instance_without_catalog_price_is_not_priced_with_the_reason() {
    let r = one(rds(&[("instance_class", s("db.x2g.16xlarge"))]));
    assert_eq!(
        r.status,
        Status::NotPriced(
            "prices/aws/us-east-1.json has no price for rds/instance/postgres/db.x2g.16xlarge/single-az".into()
        )
    );
    assert!(r.components.is_empty() && r.monthly.is_zero());
    let r = one(rds(&[("engine", s("mysql"))]));
    assert!(
        matches!(&r.status, Status::NotPriced(m) if m.contains("engine \"mysql\"")),
        "{:?}",
        r.status
    );
}

fn service(
    desired: Value,
    cpu: &str,
    memory: &str,
    extra_td: &[(&str, Value)],
    extra: &[(&str, Value)],
) -> PricedResource {
    let mut td = vec![
        ("cpu", s(cpu)),
        ("memory", s(memory)),
        ("requires_compatibilities", Value::string_set(["FARGATE"])),
    ];
    td.extend(extra_td.iter().cloned());
    let mut attrs = vec![
        ("launch_type", s("FARGATE")),
        ("desired_count", desired),
        ("task_definition_resolved", obj(&td)),
    ];
    for (k, v) in extra {
        attrs.retain(|(a, _)| a != k);
        attrs.push((k, v.clone()));
    }
    aws("aws_ecs_service.web", obj(&attrs))
}

#[test]
fn ecs_service_fargate_x86() {
    // 2 tasks × 0.25 vCPU × 730 h = 365 vCPU-h × $0.04048 = $14.7752 → $14.78;
    // 2 × 0.5 GB × 730 h = 730 GB-h × $0.004445 = $3.24485 → $3.24.
    let r = one(service(n(2.0), "256", "512", &[], &[]));
    assert_eq!(
        lines(&r),
        vec![
            line("Fargate vCPU (2 tasks × 0.25 vCPU, Linux/x86_64)", "14.78"),
            line("Fargate memory (2 tasks × 0.5 GB)", "3.24"),
        ]
    );
    assert_eq!(r.components[0].quantity.unwrap().to_string(), "365");
    assert_eq!(r.monthly.to_plain_string(), "18.02");
}

#[test]
fn ecs_service_fargate_arm_with_ephemeral_storage_and_public_ip() {
    // 1 × 1 vCPU × 730 × $0.03238 = $23.6374 → $23.64; 1 × 2 GB × 730 × $0.00356 = $5.1976 → $5.20;
    // (50 − 20) GB × 730 × $0.000111 = $2.4309 → $2.43; 1 address × 730 × $0.005 = $3.65.
    let r = one(service(
        n(1.0),
        "1024",
        "2048",
        &[
            (
                "runtime_platform",
                block(&[
                    ("cpu_architecture", s("ARM64")),
                    ("operating_system_family", s("LINUX")),
                ]),
            ),
            ("ephemeral_storage", block(&[("size_in_gib", n(50.0))])),
        ],
        &[(
            "network_configuration",
            block(&[
                ("assign_public_ip", Value::Bool(true)),
                ("subnets", Value::string_set(["a"])),
            ]),
        )],
    ));
    assert_eq!(
        lines(&r),
        vec![
            line("Fargate vCPU (1 task × 1 vCPU, Linux/arm64)", "23.64"),
            line("Fargate memory (1 task × 2 GB)", "5.20"),
            line("Fargate ephemeral storage above 20 GB (1 task × 30 GB)", "2.43"),
            line("Public IPv4 addresses (1 task, one each)", "3.65"),
        ]
    );
    assert_eq!(r.monthly.to_plain_string(), "34.92");
}

#[test]
fn ecs_service_launch_types_and_unknowns() {
    let r = one(service(n(2.0), "256", "512", &[], &[("launch_type", s("EC2"))]));
    assert_eq!(r.status, Status::Free);
    let r = one(service(
        n(2.0),
        "256",
        "512",
        &[],
        &[
            ("launch_type", Value::Null),
            (
                "capacity_provider_strategy",
                Value::List(vec![obj(&[("capacity_provider", s("FARGATE_SPOT"))])]),
            ),
        ],
    ));
    assert!(
        matches!(&r.status, Status::NotPriced(m) if m.contains("Fargate Spot")),
        "{:?}",
        r.status
    );
    // No launch type, but the task definition requires FARGATE: priced as Fargate, with a note.
    let r = one(service(n(2.0), "256", "512", &[], &[("launch_type", Value::Null)]));
    assert_eq!(r.monthly.to_plain_string(), "18.02");
    assert!(r.notes[0].contains("requires FARGATE"));
    let r = one(service(Value::Unknown, "256", "512", &[], &[]));
    assert_eq!(r.status, Status::Unknown("desired_count known only after apply".into()));
    assert!(r.components.is_empty());
    let r = one(aws(
        "aws_ecs_service.web",
        obj(&[("launch_type", s("FARGATE")), ("desired_count", n(1.0))]),
    ));
    assert!(
        matches!(&r.status, Status::Unknown(m) if m.contains("task_definition_resolved")),
        "{:?}",
        r.status
    );
    let r = one(service(n(1.0), "256", "512", &[("cpu", Value::Unknown)], &[]));
    assert_eq!(
        r.status,
        Status::Unknown("task_definition_resolved.cpu known only after apply".into())
    );
}

#[test]
fn nat_gateway_hours_and_data() {
    // 730 × $0.045 = $32.85; 100 GB × $0.045 = $4.50.
    let u =
        usage("version: 0.1\nresource_type_default_usage:\n  aws_nat_gateway:\n    monthly_data_processed_gb: 100\n");
    let e = estimate_with(
        &u,
        &[aws("aws_nat_gateway.main", obj(&[("connectivity_type", s("public"))]))],
    );
    assert_eq!(
        lines(&e.resources[0]),
        vec![line("NAT gateway", "32.85"), line("Data processed", "4.50")]
    );
    assert_eq!(e.total.to_plain_string(), "37.35");
}

#[test]
fn application_load_balancer() {
    // 730 × $0.0225 = $16.425 → $16.43; 1.5 LCU × 730 h × $0.008 = $8.76; 2 addresses × 730 × $0.005 = $7.30.
    let u = usage("version: 0.1\nresource_usage:\n  aws_lb.app:\n    capacity_units: 1.5\n");
    let lb = aws(
        "aws_lb.app",
        obj(&[
            ("load_balancer_type", s("application")),
            ("internal", Value::Bool(false)),
            ("subnets", Value::string_set(["a", "b"])),
        ]),
    );
    let e = estimate_with(&u, std::slice::from_ref(&lb));
    assert_eq!(
        lines(&e.resources[0]),
        vec![
            line("Application load balancer", "16.43"),
            line("Load balancer capacity units (LCU)", "8.76"),
            line("Public IPv4 addresses (2, one per Availability Zone)", "7.30"),
        ]
    );
    assert_eq!(e.total.to_plain_string(), "32.49");
    // Internal, no usage: only the hours count; the LCU line waits for a usage figure.
    let r = one(aws("aws_lb.app", obj(&[("internal", Value::Bool(true))])));
    assert_eq!(
        lines(&r),
        vec![
            line("Application load balancer", "16.43"),
            line("Load balancer capacity units (LCU)", "usage?")
        ]
    );
    let r = one(aws("aws_lb.gw", obj(&[("load_balancer_type", s("gateway"))])));
    assert!(matches!(r.status, Status::NotPriced(_)));
}

#[test]
fn eip_and_byoip() {
    assert_eq!(
        lines(&one(aws("aws_eip.nat", obj(&[("domain", s("vpc"))])))),
        vec![line("Public IPv4 address", "3.65")]
    );
    let r = one(aws("aws_eip.nat", obj(&[("public_ipv4_pool", s("ipv4pool-ec2-123"))])));
    assert_eq!(r.status, Status::Free);
    // Planned with the pool unknown: the default Amazon pool is assumed.
    let r = one(aws("aws_eip.nat", obj(&[("public_ipv4_pool", Value::Unknown)])));
    assert_eq!(r.monthly.to_plain_string(), "3.65");
}

#[test]
fn ebs_volumes() {
    // gp3 200 GB × $0.08 = $16.00; 1,000 IOPS × $0.005 = $5.00; 125 MB/s × $0.04 = $5.00.
    let r = one(aws(
        "aws_ebs_volume.data",
        obj(&[
            ("type", s("gp3")),
            ("size", n(200.0)),
            ("iops", n(4000.0)),
            ("throughput", n(250.0)),
        ]),
    ));
    assert_eq!(
        lines(&r),
        vec![
            line("Storage (gp3, 200 GB)", "16.00"),
            line("Provisioned IOPS above 3,000", "5.00"),
            line("Provisioned throughput above 125 MB/s", "5.00"),
        ]
    );
    // Default type gp2: 100 GB × $0.10.
    assert_eq!(
        lines(&one(aws("aws_ebs_volume.data", obj(&[("size", n(100.0))])))),
        vec![line("Storage (gp2, 100 GB)", "10.00")]
    );
    let r = one(aws(
        "aws_ebs_volume.data",
        obj(&[("type", s("io2")), ("size", n(100.0))]),
    ));
    assert!(matches!(r.status, Status::NotPriced(_)));
    let r = one(aws(
        "aws_ebs_volume.data",
        obj(&[("type", s("gp3")), ("size", Value::Unknown)]),
    ));
    assert_eq!(r.status, Status::Unknown("size known only after apply".into()));
}

#[test]
fn efs_file_system() {
    // 10 GB × $0.30 = $3.00; 100 GB IA × $0.016 = $1.60; provisioned 10 MB/s × $6.00 = $60.00.
    let u = usage(
        "version: 0.1\nresource_usage:\n  aws_efs_file_system.shared:\n    storage_gb: 10\n    infrequent_access_storage_gb: 100\n",
    );
    let fs = aws(
        "aws_efs_file_system.shared",
        obj(&[
            ("throughput_mode", s("provisioned")),
            ("provisioned_throughput_in_mibps", n(10.0)),
        ]),
    );
    let e = estimate_with(&u, &[fs]);
    assert_eq!(
        lines(&e.resources[0]),
        vec![
            line("Storage (Standard)", "3.00"),
            line("Storage (Standard-Infrequent Access)", "1.60"),
            line("Provisioned throughput (10 MB/s)", "60.00"),
        ]
    );
    // One Zone: 10 GB × $0.16 = $1.60.
    let e = estimate_with(
        &u,
        &[aws(
            "aws_efs_file_system.shared",
            obj(&[("availability_zone_name", s("us-east-1a"))]),
        )],
    );
    assert_eq!(lines(&e.resources[0])[0], line("Storage (One Zone)", "1.60"));
}

#[test]
fn secrets_ecr_logs_s3() {
    let u = usage(
        "version: 0.1\nresource_usage:\n  aws_secretsmanager_secret.db:\n    monthly_requests: 100000\n  aws_ecr_repository.app:\n    storage_gb: 25\n  aws_cloudwatch_log_group.app:\n    monthly_data_ingested_gb: 20\n    storage_gb: 50\n  aws_s3_bucket.assets:\n    storage_gb: 87\n    monthly_tier_1_requests: 10000\n    monthly_tier_2_requests: 100000\n",
    );
    let e = estimate_with(
        &u,
        &[
            aws(
                "aws_secretsmanager_secret.db",
                obj(&[("replica", Value::List(vec![obj(&[("region", s("us-west-2"))])]))]),
            ),
            aws("aws_ecr_repository.app", obj(&[])),
            aws("aws_cloudwatch_log_group.app", obj(&[("retention_in_days", n(30.0))])),
            aws("aws_s3_bucket.assets", obj(&[("bucket", s("assets"))])),
        ],
    );
    // 2 secrets × $0.40; 100,000 × $0.000005 = $0.50.
    assert_eq!(
        lines(&e.resources[0]),
        vec![line("Secret (with 1 replicas)", "0.80"), line("API requests", "0.50")]
    );
    // 25 GB × $0.10.
    assert_eq!(lines(&e.resources[1]), vec![line("Image storage", "2.50")]);
    // 20 GB × $0.50; 50 GB × $0.03.
    assert_eq!(
        lines(&e.resources[2]),
        vec![line("Data ingested (Standard)", "10.00"), line("Log storage", "1.50")]
    );
    // 87 GB × $0.023 = $2.001 → $2.00; 10,000 × $0.000005 = $0.05; 100,000 × $0.0000004 = $0.04.
    assert_eq!(
        lines(&e.resources[3]),
        vec![
            line("Storage (Standard)", "2.00"),
            line("PUT, COPY, POST, LIST requests", "0.05"),
            line("GET, SELECT and other requests", "0.04"),
        ]
    );
    assert_eq!(e.total.to_plain_string(), "17.39");
}

#[test]
fn ssm_parameters_and_vpc_endpoints() {
    assert_eq!(
        one(aws("aws_ssm_parameter.a", obj(&[("tier", s("Standard"))]))).status,
        Status::Free
    );
    assert_eq!(
        lines(&one(aws("aws_ssm_parameter.a", obj(&[("tier", s("Advanced"))])))),
        vec![line("Advanced parameter", "0.05")]
    );
    let big = "x".repeat(5000);
    let r = one(aws(
        "aws_ssm_parameter.a",
        obj(&[("tier", s("Intelligent-Tiering")), ("value", s(&big).mark())]),
    ));
    assert_eq!(r.monthly.to_plain_string(), "0.05");
    let r = one(aws(
        "aws_ssm_parameter.a",
        obj(&[("tier", s("Intelligent-Tiering")), ("value", Value::Unknown.mark())]),
    ));
    assert!(
        matches!(&r.status, Status::Unknown(m) if m.contains("value")),
        "{:?}",
        r.status
    );

    assert_eq!(
        one(aws("aws_vpc_endpoint.s3", obj(&[("vpc_endpoint_type", s("Gateway"))]))).status,
        Status::Free
    );
    // 2 AZs × 730 × $0.01 = $14.60.
    let r = one(aws(
        "aws_vpc_endpoint.ecr",
        obj(&[
            ("vpc_endpoint_type", s("Interface")),
            ("subnet_ids", Value::string_set(["a", "b"])),
        ]),
    ));
    assert_eq!(
        lines(&r),
        vec![
            line("Interface endpoint (2 Availability Zones)", "14.60"),
            line("Data processed", "usage?")
        ]
    );
}

#[test]
fn droplets_with_and_without_backups() {
    let r = one(dio(
        "digitalocean_droplet.web",
        obj(&[("size", s("s-2vcpu-4gb")), ("region", s("nyc3"))]),
    ));
    assert_eq!(lines(&r), vec![line("Droplet (s-2vcpu-4gb)", "24.00")]);
    assert_eq!(r.components[0].price.key, "droplet/s-2vcpu-4gb");
    assert_eq!(r.components[0].price.file, "prices/digitalocean.json");
    assert!(r.components[0].price.source.contains("GET /v2/sizes slug=s-2vcpu-4gb"));
    // Weekly backups: 20% of $24.00 = $4.80; daily: 30% = $7.20.
    let r = one(dio(
        "digitalocean_droplet.web",
        obj(&[("size", s("s-2vcpu-4gb")), ("backups", Value::Bool(true))]),
    ));
    assert_eq!(lines(&r)[1], line("Backups (weekly) on the s-2vcpu-4gb price", "4.80"));
    let r = one(dio(
        "digitalocean_droplet.web",
        obj(&[
            ("size", s("s-4vcpu-8gb")),
            ("backups", Value::Bool(true)),
            ("backup_policy", block(&[("plan", s("daily"))])),
        ]),
    ));
    assert_eq!(
        lines(&r),
        vec![
            line("Droplet (s-4vcpu-8gb)", "48.00"),
            line("Backups (daily) on the s-4vcpu-8gb price", "14.40")
        ]
    );
    let r = one(dio("digitalocean_droplet.web", obj(&[("size", s("s-99vcpu-1tb"))])));
    assert!(
        matches!(&r.status, Status::NotPriced(m) if m.contains("droplet/s-99vcpu-1tb")),
        "{:?}",
        r.status
    );
}

#[test]
fn database_clusters() {
    let r = one(dio(
        "digitalocean_database_cluster.pg",
        obj(&[
            ("engine", s("pg")),
            ("size", s("db-s-1vcpu-1gb")),
            ("node_count", n(1.0)),
            ("storage_size_mib", Value::Unknown),
        ]),
    ));
    assert_eq!(
        lines(&r),
        vec![line("Database nodes (1 node × db-s-1vcpu-1gb)", "15.00")]
    );
    // 2 × $60.00; 60 GiB − 38 GiB included = 22 GiB × 2 nodes × $0.21 = $9.24.
    let r = one(dio(
        "digitalocean_database_cluster.pg",
        obj(&[
            ("engine", s("pg")),
            ("size", s("db-s-2vcpu-4gb")),
            ("node_count", n(2.0)),
            ("storage_size_mib", n(61440.0)),
        ]),
    ));
    assert_eq!(
        lines(&r),
        vec![
            line("Database nodes (2 nodes × db-s-2vcpu-4gb)", "120.00"),
            line("Storage above the included 38 GiB (2 nodes × 22 GiB)", "9.24"),
        ]
    );
    let r = one(dio(
        "digitalocean_database_cluster.kv",
        obj(&[
            ("engine", s("valkey")),
            ("size", s("db-s-1vcpu-1gb")),
            ("node_count", n(1.0)),
        ]),
    ));
    assert!(matches!(r.status, Status::NotPriced(_)));
}

#[test]
fn free_not_priced_and_foreign_resources_are_listed_never_dropped() {
    let e = est(&[
        aws("aws_vpc.main", obj(&[("cidr_block", s("10.0.0.0/16"))])),
        aws("aws_iam_role.task", obj(&[])),
        aws("aws_s3_bucket_versioning.assets", obj(&[])),
        aws("aws_dynamodb_table.locks", obj(&[])),
        dio("digitalocean_firewall.web", obj(&[])),
        PricedResource {
            address: "google_storage_bucket.x".into(),
            type_name: "google_storage_bucket".into(),
            provider: "google".into(),
            region: None,
            attrs: obj(&[]),
        },
    ]);
    let statuses: Vec<String> = e.resources.iter().map(|r| r.status.to_string()).collect();
    assert_eq!(
        statuses,
        vec![
            "free",
            "free",
            "free",
            "not priced: aws_dynamodb_table has no price model",
            "free",
            "not priced: google_storage_bucket has no price model",
        ]
    );
    assert!(e.total.is_zero());
    assert_eq!(e.not_priced_count(), 2);
}

#[test]
fn unknown_region_is_an_error_naming_resource_and_region() {
    let r = PricedResource::aws("aws_nat_gateway.main", "eu-west-1", obj(&[]));
    let err = estimate(&Catalog::bundled(), &Usage::empty(), &[r]).unwrap_err();
    assert!(
        matches!(&err, CostError::UnknownRegion { address, region, .. } if address == "aws_nat_gateway.main" && region == "eu-west-1")
    );
    assert_eq!(
        err.to_string(),
        "aws_nat_gateway.main: no price catalog for AWS region \"eu-west-1\" (the catalog has: sa-east-1, us-east-1)"
    );
    let mut r = PricedResource::aws("aws_eip.a", "us-east-1", obj(&[]));
    r.region = None;
    let err = estimate(&Catalog::bundled(), &Usage::empty(), &[r]).unwrap_err();
    assert_eq!(
        err.to_string(),
        "aws_eip.a: the AWS provider region is not known, so the resource cannot be priced"
    );
    // A free resource needs no regional prices.
    let e = estimate(
        &Catalog::bundled(),
        &Usage::empty(),
        &[PricedResource::aws("aws_vpc.a", "eu-west-1", obj(&[]))],
    )
    .unwrap();
    assert_eq!(e.resources[0].status, Status::Free);
}

#[test]
fn sa_east_1_prices_come_from_its_own_file() {
    // 730 × $0.093 = $67.89; 1 task × 0.5 vCPU × 730 × $0.0696 = $25.404 → $25.40; 1 GB × 730 × $0.0076 = $5.548 → $5.55.
    let e = estimate(
        &Catalog::bundled(),
        &Usage::empty(),
        &[
            PricedResource::aws("aws_nat_gateway.main", "sa-east-1", obj(&[])),
            PricedResource::aws(
                "aws_ecs_service.web",
                "sa-east-1",
                obj(&[
                    ("launch_type", s("FARGATE")),
                    ("desired_count", n(1.0)),
                    (
                        "task_definition_resolved",
                        obj(&[("cpu", s("512")), ("memory", s("1024"))]),
                    ),
                ]),
            ),
        ],
    )
    .unwrap();
    assert_eq!(lines(&e.resources[0])[0], line("NAT gateway", "67.89"));
    assert_eq!(e.resources[0].components[0].price.file, "prices/aws/sa-east-1.json");
    assert_eq!(
        lines(&e.resources[1]),
        vec![
            line("Fargate vCPU (1 task × 0.5 vCPU, Linux/x86_64)", "25.40"),
            line("Fargate memory (1 task × 1 GB)", "5.55")
        ]
    );
}

#[test]
fn sensitive_attributes_are_read_but_never_shown() {
    let r = one(aws(
        "aws_db_instance.main",
        obj(&[
            ("engine", s("postgres")),
            ("instance_class", s("db.t4g.micro")),
            ("allocated_storage", n(20.0)),
            ("password", s("hunter2-secret").mark()),
        ]),
    ));
    let shown = format!("{r:?}");
    assert!(!shown.contains("hunter2"), "{shown}");
}

#[test]
fn computed_attributes_unknown_at_plan_time_take_their_defaults() {
    // A plan holds every attribute; computed ones the configuration leaves unset are unknown on create.
    let lb = one(aws(
        "aws_lb.app",
        obj(&[
            ("internal", Value::Unknown),
            ("load_balancer_type", Value::Unknown),
            ("subnets", Value::Unknown),
            (
                "subnet_mapping",
                Value::List(vec![
                    obj(&[("subnet_id", Value::Unknown)]),
                    obj(&[("subnet_id", Value::Unknown)]),
                ]),
            ),
        ]),
    ));
    assert_eq!(lb.status, Status::Priced);
    assert_eq!(
        lines(&lb)[2],
        line("Public IPv4 addresses (2, one per Availability Zone)", "7.30")
    );
    let lb = one(aws(
        "aws_lb.app",
        obj(&[("subnets", Value::Unknown), ("subnet_mapping", Value::Unknown)]),
    ));
    assert_eq!(lb.status, Status::Unknown("subnets known only after apply".into()));
    assert_eq!(lb.monthly.to_plain_string(), "16.43");

    let fargate_strategy = Value::List(vec![obj(&[("capacity_provider", s("FARGATE")), ("weight", n(1.0))])]);
    let r = one(service(
        n(2.0),
        "256",
        "512",
        &[],
        &[
            ("launch_type", Value::Unknown),
            ("capacity_provider_strategy", fargate_strategy),
        ],
    ));
    assert_eq!(r.monthly.to_plain_string(), "18.02");
    let r = one(service(n(2.0), "256", "512", &[], &[("launch_type", Value::Unknown)]));
    assert_eq!(r.monthly.to_plain_string(), "18.02");

    let u = usage("version: 0.1\nresource_usage:\n  aws_efs_file_system.shared:\n    storage_gb: 10\n");
    let e = estimate_with(
        &u,
        &[aws(
            "aws_efs_file_system.shared",
            obj(&[("availability_zone_name", Value::Unknown)]),
        )],
    );
    assert_eq!(lines(&e.resources[0])[0], line("Storage (Standard)", "3.00"));
    assert!(e.resources[0].notes.is_empty());
}
