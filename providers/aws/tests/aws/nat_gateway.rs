//! `aws_nat_gateway` against moto.

use crate::common::*;
use infra_provider::{Path, Value};

const T: &str = "aws_nat_gateway";

/// A VPC with two subnets: (vpc, subnet a, subnet b).
async fn network(w: &World) -> (String, String, String) {
    let vpc = id(&create(
        w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    let subnet = |cidr: &str| Value::map([("vpc_id", Value::from(vpc.as_str())), ("cidr_block", Value::from(cidr))]);
    let a = id(&create(w, "aws_subnet", "aws_subnet.a", &subnet("10.0.1.0/24")).await);
    let b = id(&create(w, "aws_subnet", "aws_subnet.b", &subnet("10.0.2.0/24")).await);
    (vpc, a, b)
}

async fn eip(w: &World, name: &str) -> Value {
    create(
        w,
        "aws_eip",
        &format!("aws_eip.{name}"),
        &Value::map([("domain", Value::from("vpc"))]),
    )
    .await
}

fn config(subnet: &str, alloc: &str, name: &str) -> Value {
    Value::map([
        ("subnet_id", Value::from(subnet)),
        ("allocation_id", Value::from(alloc)),
        ("tags", Value::string_map([("Name", name)])),
    ])
}

#[tokio::test]
async fn nat_gateway_lifecycle() {
    let w = world().await;
    let (_, sa, sb) = network(&w).await;
    let (e1, e2, e3) = (eip(&w, "one").await, eip(&w, "two").await, eip(&w, "three").await);
    let cfg = config(&sa, &id(&e1), "a");
    let a = create(&w, T, "aws_nat_gateway.a", &cfg).await;
    let b = create(&w, T, "aws_nat_gateway.b", &config(&sb, &id(&e2), "b")).await;
    let c = create(&w, T, "aws_nat_gateway.c", &config(&sb, &id(&e3), "c")).await;
    assert!(id(&a).starts_with("nat-"), "{a:?}");
    assert_eq!(a.get_str("connectivity_type"), Some("public"));
    assert_eq!(a.get_str("public_ip"), e1.get_str("public_ip"));
    assert!(a.get_str("network_interface_id").is_some_and(|n| n.starts_with("eni-")));
    assert!(a.get_str("private_ip").is_some());
    assert_ownership_tags_hidden(&w, &a, &ec2_tags(&w, &id(&a)).await, "aws_nat_gateway.a").await;
    assert_no_diff(&w, T, &a, &cfg);

    // Batched read: one call; a gateway deleted out of band reads as gone.
    w.aws
        .ec2()
        .delete_nat_gateway()
        .nat_gateway_id(id(&b))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[c.clone(), b.clone(), a.clone()]).await;
    let made = calls.take();
    assert_eq!(made, vec![("EC2".to_string(), "DescribeNatGateways".to_string())]);
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // Tags in place; another subnet or allocation replaces it.
    let a2 = update(&w, T, "aws_nat_gateway.a", &a, &config(&sa, &id(&e1), "renamed")).await;
    assert_eq!(
        a2.get_string_map("tags").get("Name").map(String::as_str),
        Some("renamed")
    );
    let (_, replace) = plan(&w, T, Some(&a2), &config(&sb, &id(&e1), "renamed")).unwrap();
    assert_eq!(replace, vec![Path::attr("subnet_id")]);
    // A private gateway takes no allocation.
    let private = config(&sa, &id(&e1), "p").with("connectivity_type", Value::from("private"));
    assert!(plan(&w, T, None, &private).is_err());

    let imported = w.client.import(T, &id(&c)).await.unwrap().unwrap();
    assert_eq!(imported.get_str("subnet_id"), Some(sb.as_str()));

    // Delete waits until the gateway is deleted.
    w.client.delete(&ctx("aws_nat_gateway.a"), T, &a2).await.unwrap();
    assert_eq!(read(&w, T, &a2).await, None);
    w.client.delete(&ctx("aws_nat_gateway.a"), T, &a2).await.unwrap();
}

#[tokio::test]
async fn nat_gateway_find_created() {
    let w = world().await;
    let (_, sa, _) = network(&w).await;
    let e = eip(&w, "one").await;
    let (planned, _) = plan(&w, T, None, &config(&sa, &id(&e), "x")).unwrap();
    let x = ctx("aws_nat_gateway.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert_eq!(
        w.client.find_created(&x, T, &planned).await.unwrap().as_ref(),
        Some(&made)
    );
    assert!(
        w.client
            .find_created(&ctx("aws_nat_gateway.y"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );
}
