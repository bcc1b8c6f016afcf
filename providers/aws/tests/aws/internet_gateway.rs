use crate::common::*;
use infra_provider::Value;

#[tokio::test]
async fn internet_gateway_lifecycle() {
    let w = world().await;
    let vpc1 = id(&create(
        &w,
        "aws_vpc",
        "aws_vpc.one",
        &Value::map([("cidr_block", Value::from("10.1.0.0/16"))]),
    )
    .await);
    let vpc2 = id(&create(
        &w,
        "aws_vpc",
        "aws_vpc.two",
        &Value::map([("cidr_block", Value::from("10.2.0.0/16"))]),
    )
    .await);
    let cfg = Value::map([
        ("vpc_id", Value::from(vpc1.as_str())),
        ("tags", Value::string_map([("Name", "gw")])),
    ]);
    let gw = create(&w, "aws_internet_gateway", "aws_internet_gateway.gw", &cfg).await;
    let loose = create(
        &w,
        "aws_internet_gateway",
        "aws_internet_gateway.loose",
        &Value::empty_map(),
    )
    .await;
    let gone = create(
        &w,
        "aws_internet_gateway",
        "aws_internet_gateway.gone",
        &Value::empty_map(),
    )
    .await;
    assert!(id(&gw).starts_with("igw-"));
    assert_eq!(gw.get_str("vpc_id"), Some(vpc1.as_str()));
    assert_eq!(loose.get("vpc_id"), Some(&Value::Null));
    assert!(
        gw.get_str("arn")
            .unwrap()
            .ends_with(&format!("internet-gateway/{}", id(&gw)))
    );
    assert_ownership_tags_hidden(&w, &gw, &ec2_tags(&w, &id(&gw)).await, "aws_internet_gateway.gw").await;
    assert_no_diff(&w, "aws_internet_gateway", &gw, &cfg);

    w.aws
        .ec2()
        .delete_internet_gateway()
        .internet_gateway_id(id(&gone))
        .send()
        .await
        .unwrap();
    let got = w
        .client
        .read("aws_internet_gateway", &[gone.clone(), gw.clone(), loose.clone()])
        .await;
    assert!(got[0].as_ref().unwrap().is_none());
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&gw));
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&loose));

    // Moving to another VPC is in place (detach, attach).
    let cfg2 = Value::map([
        ("vpc_id", Value::from(vpc2.as_str())),
        ("tags", Value::string_map([("Name", "gw2")])),
    ]);
    let gw2 = update(&w, "aws_internet_gateway", "aws_internet_gateway.gw", &gw, &cfg2).await;
    assert_eq!(id(&gw2), id(&gw));
    assert_eq!(gw2.get_str("vpc_id"), Some(vpc2.as_str()));
    assert_eq!(gw2.get_string_map("tags").get("Name").map(String::as_str), Some("gw2"));
    let attachments = w
        .aws
        .ec2()
        .describe_internet_gateways()
        .internet_gateway_ids(id(&gw))
        .send()
        .await
        .unwrap()
        .internet_gateways()[0]
        .attachments()
        .iter()
        .filter_map(|a| a.vpc_id().map(str::to_string))
        .collect::<Vec<_>>();
    assert_eq!(attachments, vec![vpc2.clone()]);

    let imported = w
        .client
        .import("aws_internet_gateway", &id(&gw))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.get_str("vpc_id"), Some(vpc2.as_str()));

    // Delete detaches first; then the VPC can go too.
    w.client
        .delete(&ctx("aws_internet_gateway.gw"), "aws_internet_gateway", &gw2)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_internet_gateway", &gw2).await, None);
    w.client
        .delete(&ctx("aws_internet_gateway.gw"), "aws_internet_gateway", &gw2)
        .await
        .unwrap();

    // find_created sees the gateway a lost create made.
    let (planned, _) = plan(&w, "aws_internet_gateway", None, &Value::empty_map()).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_internet_gateway.loose"), "aws_internet_gateway", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id), Some(id(&loose)));
}
