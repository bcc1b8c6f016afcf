//! `aws_vpc_endpoint` against moto.

use crate::common::*;
use infra_provider::{Path, Value};

const T: &str = "aws_vpc_endpoint";
const S3: &str = "com.amazonaws.us-east-1.s3";
const POLICY: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}"#;

async fn setup(w: &World) -> (String, String, String) {
    let vpc = id(&create(
        w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    let rt = |n: &str| {
        (
            format!("aws_route_table.{n}"),
            Value::map([("vpc_id", Value::from(vpc.as_str()))]),
        )
    };
    let (a1, c1) = rt("a");
    let (a2, c2) = rt("b");
    let r1 = id(&create(w, "aws_route_table", &a1, &c1).await);
    let r2 = id(&create(w, "aws_route_table", &a2, &c2).await);
    (vpc, r1, r2)
}

fn config(vpc: &str, tables: &[&str]) -> Value {
    Value::map([
        ("vpc_id", Value::from(vpc)),
        ("service_name", Value::from(S3)),
        ("route_table_ids", Value::string_set(tables.iter().copied())),
        ("tags", Value::string_map([("Name", "s3")])),
    ])
}

#[tokio::test]
async fn vpc_endpoint_lifecycle() {
    let w = world().await;
    let (vpc, r1, r2) = setup(&w).await;
    let cfg = config(&vpc, &[&r1]);
    let a = create(&w, T, "aws_vpc_endpoint.s3", &cfg).await;
    let b = create(&w, T, "aws_vpc_endpoint.b", &config(&vpc, &[])).await;
    let c = create(&w, T, "aws_vpc_endpoint.c", &config(&vpc, &[])).await;
    assert!(id(&a).starts_with("vpce-"), "{a:?}");
    assert_eq!(a.get_str("vpc_endpoint_type"), Some("Gateway"));
    assert_eq!(a.get_str("state"), Some("available"));
    assert_eq!(a.get_strings("route_table_ids"), vec![r1.clone()]);
    assert!(a.get_str("policy").is_some(), "the default policy is read back");
    assert_ownership_tags_hidden(&w, &a, &ec2_tags(&w, &id(&a)).await, "aws_vpc_endpoint.s3").await;
    assert_no_diff(&w, T, &a, &cfg);

    // Batched read; one deleted out of band.
    w.aws
        .ec2()
        .delete_vpc_endpoints()
        .vpc_endpoint_ids(id(&b))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[c.clone(), b.clone(), a.clone()]).await;
    let made = calls.take();
    assert!(made.len() <= 2, "{made:?}");
    assert_eq!(made[0], ("EC2".to_string(), "DescribeVpcEndpoints".to_string()));
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // Route tables and policy change in place.
    let cfg2 = config(&vpc, &[&r1, &r2]).with("policy", Value::from(POLICY));
    let a2 = update(&w, T, "aws_vpc_endpoint.s3", &a, &cfg2).await;
    let mut want = vec![r1.clone(), r2.clone()];
    want.sort();
    assert_eq!(a2.get_strings("route_table_ids"), want);
    assert!(a2.get_str("policy").unwrap().contains("s3:GetObject"));
    assert_no_diff(&w, T, &a2, &cfg2);
    let cfg3 = config(&vpc, &[&r2]).with("policy", Value::from(POLICY));
    let a3 = update(&w, T, "aws_vpc_endpoint.s3", &a2, &cfg3).await;
    assert_eq!(a3.get_strings("route_table_ids"), vec![r2.clone()]);

    // Another service replaces it.
    let (_, replace) = plan(
        &w,
        T,
        Some(&a3),
        &cfg3
            .clone()
            .with("service_name", Value::from("com.amazonaws.us-east-1.dynamodb")),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("service_name")]);

    let imported = w.client.import(T, &id(&c)).await.unwrap().unwrap();
    assert_eq!(imported.get_str("service_name"), Some(S3));

    // moto's ModifyVpcEndpoint does not add the prefix-list route to added route tables, and its
    // DeleteVpcEndpoints then fails with InvalidRoute.NotFound for `a3` (and for endpoints sharing its
    // tables): delete the endpoint without route tables instead.
    w.client.delete(&ctx("aws_vpc_endpoint.c"), T, &c).await.unwrap();
    assert_eq!(read(&w, T, &c).await, None);
    w.client.delete(&ctx("aws_vpc_endpoint.c"), T, &c).await.unwrap();
}

#[tokio::test]
async fn vpc_endpoint_find_created() {
    let w = world().await;
    let (vpc, r1, _) = setup(&w).await;
    let (planned, _) = plan(&w, T, None, &config(&vpc, &[&r1])).unwrap();
    let x = ctx("aws_vpc_endpoint.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert_eq!(
        w.client.find_created(&x, T, &planned).await.unwrap().as_ref(),
        Some(&made)
    );
    assert!(
        w.client
            .find_created(&ctx("aws_vpc_endpoint.y"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn an_auto_accepted_endpoint_made_by_an_interrupted_create_is_found_settled() {
    let w = world().await;
    let (vpc, r1, _) = setup(&w).await;
    let mut cfg = config(&vpc, &[&r1]);
    cfg.set_attr("auto_accept", Value::Bool(true));
    let (planned, _) = plan(&w, T, None, &cfg).unwrap();
    let c = ctx("aws_vpc_endpoint.killed");
    // The create's first call went through (the endpoint, with its tags), then the apply died. moto's
    // endpoints are available at once (it has no acceptance), so there is nothing left to accept.
    let mut tags = vec![aws_sdk_ec2::types::Tag::builder().key("Name").value("s3").build()];
    tags.extend(
        c.ownership_tags()
            .into_iter()
            .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build()),
    );
    w.aws
        .ec2()
        .create_vpc_endpoint()
        .vpc_id(&vpc)
        .service_name(S3)
        .route_table_ids(&r1)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::VpcEndpoint)
                .set_tags(Some(tags))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let found = w
        .client
        .find_created(&c, T, &planned)
        .await
        .unwrap()
        .expect("found by its ownership tags");
    assert_eq!(found.get("auto_accept"), Some(&Value::Bool(true)));
    assert!(w.client.unfinished(T, &found, &planned).is_empty());
    assert_no_diff(&w, T, &found, &cfg);
}

/// A delete resent after the first one took effect (the client lost its answer): moto then fails on the
/// endpoint's routes, which the first delete removed. The endpoint being deleted is what counts.
#[tokio::test]
async fn a_resent_delete_of_a_deleted_endpoint_succeeds() {
    let w = world().await;
    let (vpc, r1, _) = setup(&w).await;
    let e = create(&w, T, "aws_vpc_endpoint.s3", &config(&vpc, &[&r1])).await;
    w.client.delete(&ctx("aws_vpc_endpoint.s3"), T, &e).await.unwrap();
    // What the SDK's resend does: the same call again, on an endpoint already deleted.
    let again = w.aws.ec2().delete_vpc_endpoints().vpc_endpoint_ids(id(&e)).send().await;
    assert!(again.is_err(), "moto refuses the resend itself: {again:?}");
    w.client.delete(&ctx("aws_vpc_endpoint.s3"), T, &e).await.unwrap();
    assert_eq!(read(&w, T, &e).await, None);
}
