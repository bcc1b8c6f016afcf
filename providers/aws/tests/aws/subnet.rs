use crate::common::*;
use infra_provider::{ErrorKind, Path, Value};

async fn vpc(w: &World, cidr: &str) -> String {
    id(&create(
        w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from(cidr))]),
    )
    .await)
}

fn config(vpc: &str, cidr: &str, az: &str) -> Value {
    Value::map([
        ("vpc_id", Value::from(vpc)),
        ("cidr_block", Value::from(cidr)),
        ("availability_zone", Value::from(az)),
        ("tags", Value::string_map([("Name", cidr)])),
    ])
}

#[tokio::test]
async fn subnet_lifecycle() {
    let w = world().await;
    let vpc_id = vpc(&w, "10.0.0.0/16").await;
    let cfg = config(&vpc_id, "10.0.1.0/24", "us-east-1a");
    let a = create(&w, "aws_subnet", "aws_subnet.a", &cfg).await;
    let b = create(
        &w,
        "aws_subnet",
        "aws_subnet.b",
        &config(&vpc_id, "10.0.2.0/24", "us-east-1b"),
    )
    .await;
    let c = create(
        &w,
        "aws_subnet",
        "aws_subnet.c",
        &config(&vpc_id, "10.0.3.0/24", "us-east-1c"),
    )
    .await;
    assert!(id(&a).starts_with("subnet-"));
    assert_eq!(a.get_str("vpc_id"), Some(vpc_id.as_str()));
    assert_eq!(a.get_str("availability_zone"), Some("us-east-1a"));
    assert!(a.get_str("availability_zone_id").is_some_and(|z| !z.is_empty()));
    assert_eq!(a.get_bool("map_public_ip_on_launch"), Some(false));
    assert!(a.get_str("arn").unwrap().contains(&id(&a)));
    assert_ownership_tags_hidden(&w, &a, &ec2_tags(&w, &id(&a)).await, "aws_subnet.a").await;
    assert_no_diff(&w, "aws_subnet", &a, &cfg);

    // Batched read with one deleted out of band.
    w.aws.ec2().delete_subnet().subnet_id(id(&b)).send().await.unwrap();
    let got = w.client.read("aws_subnet", &[c.clone(), b.clone(), a.clone()]).await;
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // In place: public IPs on launch and tags.
    let mut cfg2 = config(&vpc_id, "10.0.1.0/24", "us-east-1a");
    cfg2.set_attr("map_public_ip_on_launch", Value::Bool(true));
    cfg2.set_attr("tags", Value::string_map([("Name", "public"), ("tier", "web")]));
    let a2 = update(&w, "aws_subnet", "aws_subnet.a", &a, &cfg2).await;
    assert_eq!(a2.get_bool("map_public_ip_on_launch"), Some(true));
    assert_eq!(a2.get_string_map("tags").get("tier").map(String::as_str), Some("web"));
    assert_eq!(read(&w, "aws_subnet", &a2).await.as_ref(), Some(&a2));
    assert_no_diff(&w, "aws_subnet", &a2, &cfg2);

    // Moving it to another zone replaces it.
    let (_, replace) = plan(
        &w,
        "aws_subnet",
        Some(&a2),
        &config(&vpc_id, "10.0.1.0/24", "us-east-1b"),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("availability_zone")]);

    let imported = w.client.import("aws_subnet", &id(&c)).await.unwrap().unwrap();
    assert_eq!(imported.get_str("cidr_block"), Some("10.0.3.0/24"));

    w.client.delete(&ctx("aws_subnet.a"), "aws_subnet", &a2).await.unwrap();
    assert_eq!(read(&w, "aws_subnet", &a2).await, None);
    w.client.delete(&ctx("aws_subnet.a"), "aws_subnet", &a2).await.unwrap();
}

#[tokio::test]
async fn subnet_in_a_missing_vpc_returns_the_aws_code() {
    let w = world().await;
    let (planned, _) = plan(
        &w,
        "aws_subnet",
        None,
        &config("vpc-0123456789abcdef0", "10.0.1.0/24", "us-east-1a"),
    )
    .unwrap();
    let e = w
        .client
        .create(&ctx("aws_subnet.orphan"), "aws_subnet", &planned)
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("InvalidVpcID.NotFound"), "{e}");
    assert_eq!(e.kind, ErrorKind::NotFound);
    assert!(e.message.contains("vpc-0123456789abcdef0"), "{e}");
    assert!(e.request_id.is_some(), "request id kept: {e:?}");
}

#[tokio::test]
async fn reading_twenty_subnets_is_one_call() {
    let w = world().await;
    let vpc_id = vpc(&w, "10.0.0.0/16").await;
    let mut subnets = Vec::new();
    for i in 0..20 {
        let cfg = config(&vpc_id, &format!("10.0.{i}.0/24"), "us-east-1a");
        subnets.push(create(&w, "aws_subnet", &format!("aws_subnet.s[{i}]"), &cfg).await);
    }
    let calls = ApiCalls::record();
    let got = w.client.read("aws_subnet", &subnets).await;
    let made = calls.take();
    assert!(
        made.len() <= 2,
        "a batched read of 20 subnets made {} calls: {made:?}",
        made.len()
    );
    assert_eq!(made[0], ("EC2".to_string(), "DescribeSubnets".to_string()));
    for (g, s) in got.iter().zip(&subnets) {
        assert_eq!(g.as_ref().unwrap().as_ref(), Some(s));
    }
}

#[tokio::test]
async fn subnet_find_created() {
    let w = world().await;
    let vpc_id = vpc(&w, "10.0.0.0/16").await;
    let (planned, _) = plan(&w, "aws_subnet", None, &config(&vpc_id, "10.0.7.0/24", "us-east-1a")).unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_subnet.x"), "aws_subnet", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w
        .client
        .create(&ctx("aws_subnet.x"), "aws_subnet", &planned)
        .await
        .unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_subnet.x"), "aws_subnet", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&made));
}
