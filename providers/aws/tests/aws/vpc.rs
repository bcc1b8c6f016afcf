use crate::common::*;
use infra_provider::{ErrorKind, Value};

fn config(cidr: &str, tags: &[(&str, &str)]) -> Value {
    Value::map([
        ("cidr_block", Value::from(cidr)),
        ("tags", Value::string_map(tags.iter().copied())),
    ])
}

#[tokio::test]
async fn vpc_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage"), ("team", "core")])]).await;
    let cfg_a = config("10.1.0.0/16", &[("Name", "a"), ("team", "platform")]);
    let a = create(&w, "aws_vpc", "aws_vpc.a", &cfg_a).await;
    let b = create(&w, "aws_vpc", "aws_vpc.b", &config("10.2.0.0/16", &[])).await;
    let c = create(&w, "aws_vpc", "aws_vpc.c", &config("10.3.0.0/16", &[])).await;

    // Computed attributes come back.
    assert!(id(&a).starts_with("vpc-"));
    assert_eq!(a.get_str("cidr_block"), Some("10.1.0.0/16"));
    assert_eq!(a.get_str("instance_tenancy"), Some("default"));
    assert_eq!(a.get_bool("enable_dns_support"), Some(true));
    assert_eq!(a.get_bool("enable_dns_hostnames"), Some(false));
    for k in [
        "default_route_table_id",
        "main_route_table_id",
        "default_security_group_id",
        "default_network_acl_id",
        "owner_id",
    ] {
        assert!(a.get_str(k).is_some_and(|s| !s.is_empty()), "{k} missing: {a:?}");
    }
    assert_eq!(a.get_str("main_route_table_id"), a.get_str("default_route_table_id"));
    assert!(a.get_str("arn").unwrap().ends_with(&format!(":vpc/{}", id(&a))));

    // tags_all = default tags merged with tags (resource tags win); ownership tags stay hidden.
    assert_eq!(a.get_string_map("tags").len(), 2);
    let all = a.get_string_map("tags_all");
    assert_eq!(all.get("env").map(String::as_str), Some("stage"));
    assert_eq!(all.get("team").map(String::as_str), Some("platform"));
    assert_eq!(all.get("Name").map(String::as_str), Some("a"));
    assert_ne!(all.len(), 0);
    let cloud = ec2_tags(&w, &id(&a)).await;
    assert_ownership_tags_hidden(&w, &a, &cloud, "aws_vpc.a").await;
    assert_eq!(b.get_str("tags"), None, "no tags configured: {b:?}");
    assert_eq!(
        b.get_string_map("tags_all").get("team").map(String::as_str),
        Some("core")
    );

    // What was created plans as no change.
    assert_no_diff(&w, "aws_vpc", &a, &cfg_a);

    // Batched read of several, one deleted out of band.
    w.aws.ec2().delete_vpc().vpc_id(id(&c)).send().await.unwrap();
    let got = w.client.read("aws_vpc", &[a.clone(), c.clone(), b.clone()]).await;
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&a));
    assert!(got[1].as_ref().unwrap().is_none(), "deleted out of band reads as gone");
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&b));

    // Update in place: DNS hostnames and tags.
    let mut cfg_a2 = config("10.1.0.0/16", &[("Name", "a2")]);
    cfg_a2.set_attr("enable_dns_hostnames", Value::Bool(true));
    let a2 = update(&w, "aws_vpc", "aws_vpc.a", &a, &cfg_a2).await;
    assert_eq!(id(&a2), id(&a));
    assert_eq!(a2.get_bool("enable_dns_hostnames"), Some(true));
    assert_eq!(a2.get_string_map("tags").get("Name").map(String::as_str), Some("a2"));
    assert_eq!(
        a2.get_string_map("tags_all").get("team").map(String::as_str),
        Some("core"),
        "default tag back"
    );
    let cloud = ec2_tags(&w, &id(&a)).await;
    assert_eq!(cloud.get("Name").map(String::as_str), Some("a2"));
    assert!(
        cloud.contains_key(infra_provider::TAG_ADDRESS),
        "update keeps ownership tags"
    );
    assert_eq!(read(&w, "aws_vpc", &a2).await.as_ref(), Some(&a2));

    // A new CIDR block replaces.
    let (_, replace) = plan(&w, "aws_vpc", Some(&a2), &config("10.9.0.0/16", &[("Name", "a2")])).unwrap();
    assert_eq!(replace, vec![infra_provider::Path::attr("cidr_block")]);

    // Import by ID reads the same object (tags read as tags).
    let imported = w.client.import("aws_vpc", &id(&b)).await.unwrap().unwrap();
    assert_eq!(imported.get_str("cidr_block"), Some("10.2.0.0/16"));
    assert_eq!(
        imported.get_str("default_security_group_id"),
        b.get_str("default_security_group_id")
    );

    // Delete, read again gone, delete again is fine.
    w.client.delete(&ctx("aws_vpc.a"), "aws_vpc", &a2).await.unwrap();
    assert_eq!(read(&w, "aws_vpc", &a2).await, None);
    w.client.delete(&ctx("aws_vpc.a"), "aws_vpc", &a2).await.unwrap();
}

#[tokio::test]
async fn vpc_find_created_adopts_what_a_lost_create_made() {
    let w = world().await;
    let cfg = config("10.5.0.0/16", &[]);
    let (planned, _) = plan(&w, "aws_vpc", None, &cfg).unwrap();
    let first = w
        .client
        .create(&ctx("aws_vpc.main"), "aws_vpc", &planned)
        .await
        .unwrap();
    // The result of that create was "lost": the next run looks for it.
    let found = w
        .client
        .find_created(&ctx("aws_vpc.main"), "aws_vpc", &planned)
        .await
        .unwrap()
        .expect("found");
    assert_eq!(found, first);
    // Another address, or another lineage, finds nothing.
    assert!(
        w.client
            .find_created(&ctx("aws_vpc.other"), "aws_vpc", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let mut other_lineage = ctx("aws_vpc.main");
    other_lineage.lineage = "another-lineage".into();
    assert!(
        w.client
            .find_created(&other_lineage, "aws_vpc", &planned)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn vpc_errors_carry_the_aws_code() {
    let w = world().await;
    let (planned, _) = plan(&w, "aws_vpc", None, &config("10.0.0.0/8", &[])).unwrap();
    let e = w
        .client
        .create(&ctx("aws_vpc.bad"), "aws_vpc", &planned)
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("InvalidVpc.Range"), "{e}");
    assert_eq!(e.kind, ErrorKind::Other);
    assert!(e.message.contains("creating EC2 VPC"), "{e}");
}

#[tokio::test]
async fn vpc_ipv6_block_changes_in_place() {
    let w = world().await;
    let mut cfg = config("10.6.0.0/16", &[]);
    cfg.set_attr("assign_generated_ipv6_cidr_block", Value::Bool(true));
    let v = create(&w, "aws_vpc", "aws_vpc.v6", &cfg).await;
    assert_eq!(v.get_bool("assign_generated_ipv6_cidr_block"), Some(true));
    assert!(v.get_str("ipv6_cidr_block").is_some_and(|c| c.contains(':')), "{v:?}");
    assert!(v.get_str("ipv6_association_id").is_some());
    assert_no_diff(&w, "aws_vpc", &v, &cfg);

    // Turning it off is an update that plans the IPv6 attributes as unknown, then removes the block.
    let off = config("10.6.0.0/16", &[]);
    let (planned, replace) = plan(&w, "aws_vpc", Some(&v), &off).unwrap();
    assert!(replace.is_empty());
    assert!(planned.get("ipv6_cidr_block").unwrap().is_unknown());
    let v2 = w
        .client
        .update(&ctx("aws_vpc.v6"), "aws_vpc", &v, &planned)
        .await
        .unwrap();
    assert_eq!(v2.get("ipv6_cidr_block"), Some(&Value::Null), "{v2:?}");
    assert_eq!(v2.get("ipv6_association_id"), Some(&Value::Null));
    assert_no_diff(&w, "aws_vpc", &v2, &off);
}
