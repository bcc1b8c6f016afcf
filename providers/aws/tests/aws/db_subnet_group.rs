//! `aws_db_subnet_group` against moto.

use crate::common::*;
use infra_provider::{Path, Value};

const T: &str = "aws_db_subnet_group";

/// A VPC with three subnets in three zones.
pub async fn subnets(w: &World) -> Vec<String> {
    let vpc = id(&create(
        w,
        "aws_vpc",
        "aws_vpc.db",
        &Value::map([("cidr_block", Value::from("10.9.0.0/16"))]),
    )
    .await);
    let mut out = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b", "us-east-1c"].iter().enumerate() {
        let cfg = Value::map([
            ("vpc_id", Value::from(vpc.as_str())),
            ("cidr_block", Value::from(format!("10.9.{i}.0/24"))),
            ("availability_zone", Value::from(*az)),
        ]);
        out.push(id(&create(w, "aws_subnet", &format!("aws_subnet.db[{i}]"), &cfg).await));
    }
    out
}

fn config(name: &str, subnets: &[String]) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("subnet_ids", Value::string_set(subnets.iter())),
        ("tags", Value::string_map([("env", "stage")])),
    ])
}

#[tokio::test]
async fn db_subnet_group_lifecycle() {
    let w = world().await;
    let s = subnets(&w).await;
    let cfg = config("main", &s[..2]);
    let a = create(&w, T, "aws_db_subnet_group.a", &cfg).await;
    let b = create(&w, T, "aws_db_subnet_group.b", &config("other", &s[..2])).await;
    let c = create(&w, T, "aws_db_subnet_group.c", &config("third", &s[1..])).await;
    assert_eq!(id(&a), "main");
    assert!(a.get_str("arn").unwrap().ends_with(":subgrp:main"), "{a:?}");
    assert_eq!(a.get_str("description"), Some("Managed by Terraform"));
    assert!(a.get_str("vpc_id").unwrap().starts_with("vpc-"));
    let cloud: std::collections::BTreeMap<String, String> =
        infra_aws::rds::list_tags(&w.aws, a.get_str("arn").unwrap())
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_ownership_tags_hidden(&w, &a, &cloud, "aws_db_subnet_group.a").await;
    assert_no_diff(&w, T, &a, &cfg);

    // Batched read: one listing plus the tags of each group found; one deleted out of band.
    w.aws
        .rds()
        .delete_db_subnet_group()
        .db_subnet_group_name("other")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[c.clone(), b.clone(), a.clone()]).await;
    let made = calls.take();
    assert_eq!(
        made.iter().filter(|(_, op)| op == "DescribeDBSubnetGroups").count(),
        1,
        "{made:?}"
    );
    assert_eq!(made.len(), 3, "{made:?}");
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // Subnets, description and tags in place; a new name replaces it.
    let cfg2 = config("main", &s).with("description", Value::from("database subnets"));
    let a2 = update(&w, T, "aws_db_subnet_group.a", &a, &cfg2).await;
    assert_eq!(a2.get_strings("subnet_ids").len(), 3);
    assert_eq!(a2.get_str("description"), Some("database subnets"));
    // No no-diff check here: moto's ModifyDBSubnetGroup drops the group from its store (it pops it and
    // never puts it back), so its tags and the group itself are gone after a modify in moto.
    let (_, replace) = plan(&w, T, Some(&a2), &cfg2).unwrap();
    assert!(replace.is_empty());
    let (_, replace) = plan(&w, T, Some(&a2), &config("renamed", &s)).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);
    assert!(plan(&w, T, None, &config("UPPER", &s)).is_err());

    let imported = w.client.import(T, "third").await.unwrap().unwrap();
    assert_eq!(imported.get_strings("subnet_ids").len(), 2);
    assert_eq!(
        imported.get_string_map("tags").get("env").map(String::as_str),
        Some("stage")
    );

    w.client.delete(&ctx("aws_db_subnet_group.a"), T, &a2).await.unwrap();
    assert_eq!(read(&w, T, &a2).await, None);
    w.client.delete(&ctx("aws_db_subnet_group.a"), T, &a2).await.unwrap();
}

#[tokio::test]
async fn db_subnet_group_find_created() {
    let w = world().await;
    let s = subnets(&w).await;
    let cfg = Value::map([
        ("name_prefix", Value::from("db-")),
        ("subnet_ids", Value::string_set(s.iter())),
    ]);
    let (planned, _) = plan(&w, T, None, &cfg).unwrap();
    let x = ctx("aws_db_subnet_group.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert!(id(&made).starts_with("db-"));
    assert_eq!(
        w.client.find_created(&x, T, &planned).await.unwrap().as_ref(),
        Some(&made)
    );
    assert!(
        w.client
            .find_created(&ctx_with_token("aws_db_subnet_group.x", "other"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );
}
