//! `aws_route` against moto.

use crate::common::*;
use infra_provider::{Path, Value};

const T: &str = "aws_route";

async fn table(w: &World, vpc: &str, name: &str) -> String {
    id(&create(
        w,
        "aws_route_table",
        &format!("aws_route_table.{name}"),
        &Value::map([("vpc_id", Value::from(vpc))]),
    )
    .await)
}

fn config(rtb: &str, dest: &str, target: &str, target_id: &str) -> Value {
    Value::map([
        ("route_table_id", Value::from(rtb)),
        ("destination_cidr_block", Value::from(dest)),
        (target, Value::from(target_id)),
    ])
}

#[tokio::test]
async fn route_lifecycle() {
    let w = world().await;
    let vpc = id(&create(
        &w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    let igw = id(&create(
        &w,
        "aws_internet_gateway",
        "aws_internet_gateway.main",
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .await);
    let (public, private) = (table(&w, &vpc, "public").await, table(&w, &vpc, "private").await);
    let cfg = config(&public, "0.0.0.0/0", "gateway_id", &igw);
    let a = create(&w, T, "aws_route.a", &cfg).await;
    let b = create(&w, T, "aws_route.b", &config(&private, "0.0.0.0/0", "gateway_id", &igw)).await;
    let c = create(
        &w,
        T,
        "aws_route.c",
        &config(&public, "192.168.0.0/16", "gateway_id", &igw),
    )
    .await;
    assert_eq!(id(&a), format!("r-{public}1080289494"));
    assert_eq!(a.get_str("gateway_id"), Some(igw.as_str()));
    assert_eq!(a.get_str("origin"), Some("CreateRoute"));
    assert_eq!(a.get_str("state"), Some("active"));
    assert_no_diff(&w, T, &a, &cfg);

    // Batched read: one DescribeRouteTables for routes in two tables; one deleted out of band.
    w.aws
        .ec2()
        .delete_route()
        .route_table_id(&private)
        .destination_cidr_block("0.0.0.0/0")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[c.clone(), b.clone(), a.clone()]).await;
    assert_eq!(
        calls.take(),
        vec![("EC2".to_string(), "DescribeRouteTables".to_string())]
    );
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // A new target is changed in place (ReplaceRoute); a new destination replaces the route.
    let subnet = id(&create(
        &w,
        "aws_subnet",
        "aws_subnet.a",
        &Value::map([
            ("vpc_id", Value::from(vpc.as_str())),
            ("cidr_block", Value::from("10.0.1.0/24")),
        ]),
    )
    .await);
    let eip = id(&create(
        &w,
        "aws_eip",
        "aws_eip.nat",
        &Value::map([("domain", Value::from("vpc"))]),
    )
    .await);
    let nat = id(&create(
        &w,
        "aws_nat_gateway",
        "aws_nat_gateway.main",
        &Value::map([
            ("subnet_id", Value::from(subnet.as_str())),
            ("allocation_id", Value::from(eip.as_str())),
        ]),
    )
    .await);
    let cfg2 = config(&public, "0.0.0.0/0", "nat_gateway_id", &nat);
    let a2 = update(&w, T, "aws_route.a", &a, &cfg2).await;
    assert_eq!(a2.get_str("nat_gateway_id"), Some(nat.as_str()));
    assert_eq!(a2.get("gateway_id"), Some(&Value::Null));
    assert_eq!(id(&a2), id(&a));
    assert_no_diff(&w, T, &a2, &cfg2);
    let (_, replace) = plan(
        &w,
        T,
        Some(&a2),
        &config(&public, "10.1.0.0/16", "nat_gateway_id", &nat),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("destination_cidr_block")]);
    // Exactly one target.
    assert!(plan(&w, T, None, &cfg2.clone().with("gateway_id", Value::from(igw.as_str()))).is_err());

    let imported = w
        .client
        .import(T, &format!("{public}_192.168.0.0/16"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported, c);
    assert!(w.client.import(T, "0.0.0.0/0").await.is_err());

    w.client.delete(&ctx("aws_route.a"), T, &a2).await.unwrap();
    assert_eq!(read(&w, T, &a2).await, None);
    w.client.delete(&ctx("aws_route.a"), T, &a2).await.unwrap();
}

#[tokio::test]
async fn route_find_created() {
    let w = world().await;
    let vpc = id(&create(
        &w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    let igw = id(&create(
        &w,
        "aws_internet_gateway",
        "aws_internet_gateway.main",
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .await);
    let rtb = table(&w, &vpc, "public").await;
    let (planned, _) = plan(&w, T, None, &config(&rtb, "0.0.0.0/0", "gateway_id", &igw)).unwrap();
    let x = ctx("aws_route.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert_eq!(
        w.client.find_created(&x, T, &planned).await.unwrap().as_ref(),
        Some(&made)
    );
    // Creating it again reports the route that is already there.
    let e = w.client.create(&ctx("aws_route.y"), T, &planned).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("RouteAlreadyExists"), "{e}");
}
