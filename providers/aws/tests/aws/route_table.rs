use crate::common::*;
use infra_provider::Value;

fn route(cidr: &str, key: &str, target: &str) -> Value {
    Value::map([("cidr_block", Value::from(cidr)), (key, Value::from(target))])
}

#[tokio::test]
async fn route_table_and_associations() {
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
        "aws_internet_gateway.gw",
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .await);
    let igw2 = id(&create(
        &w,
        "aws_internet_gateway",
        "aws_internet_gateway.gw2",
        &Value::empty_map(),
    )
    .await);
    let subnet_cfg =
        |cidr: &str| Value::map([("vpc_id", Value::from(vpc.as_str())), ("cidr_block", Value::from(cidr))]);
    let subnet = id(&create(&w, "aws_subnet", "aws_subnet.a", &subnet_cfg("10.0.1.0/24")).await);

    let cfg = Value::map([
        ("vpc_id", Value::from(vpc.as_str())),
        ("route", Value::List(vec![route("0.0.0.0/0", "gateway_id", &igw)])),
        ("tags", Value::string_map([("Name", "public")])),
    ]);
    let rt = create(&w, "aws_route_table", "aws_route_table.public", &cfg).await;
    assert!(id(&rt).starts_with("rtb-"));
    let routes = rt.get_list("route");
    assert_eq!(routes.len(), 1, "the local route is not a route block: {routes:?}");
    assert_eq!(routes[0].get_str("gateway_id"), Some(igw.as_str()));
    assert_eq!(routes[0].get_str("cidr_block"), Some("0.0.0.0/0"));
    assert_ownership_tags_hidden(&w, &rt, &ec2_tags(&w, &id(&rt)).await, "aws_route_table.public").await;
    assert_no_diff(&w, "aws_route_table", &rt, &cfg);

    let private = create(
        &w,
        "aws_route_table",
        "aws_route_table.private",
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .await;
    assert_eq!(private.get_list("route").len(), 0);
    let gone = create(
        &w,
        "aws_route_table",
        "aws_route_table.gone",
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .await;
    w.aws
        .ec2()
        .delete_route_table()
        .route_table_id(id(&gone))
        .send()
        .await
        .unwrap();
    let got = w
        .client
        .read("aws_route_table", &[rt.clone(), gone.clone(), private.clone()])
        .await;
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&rt));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&private));

    // Routes change in place: one target replaced, one route added.
    let cfg2 = Value::map([
        ("vpc_id", Value::from(vpc.as_str())),
        (
            "route",
            Value::List(vec![
                route("0.0.0.0/0", "gateway_id", &igw2),
                route("192.168.0.0/16", "gateway_id", &igw),
            ]),
        ),
    ]);
    let rt2 = update(&w, "aws_route_table", "aws_route_table.public", &rt, &cfg2).await;
    assert_eq!(id(&rt2), id(&rt));
    let mut targets: Vec<(String, String)> = rt2
        .get_list("route")
        .iter()
        .map(|r| {
            (
                r.get_str("cidr_block").unwrap().to_string(),
                r.get_str("gateway_id").unwrap().to_string(),
            )
        })
        .collect();
    targets.sort();
    assert_eq!(
        targets,
        vec![
            ("0.0.0.0/0".into(), igw2.clone()),
            ("192.168.0.0/16".into(), igw.clone())
        ]
    );
    assert_eq!(rt2.get("tags"), Some(&Value::Null));
    assert_no_diff(&w, "aws_route_table", &rt2, &cfg2);
    // Removing a route.
    let cfg3 = Value::map([
        ("vpc_id", Value::from(vpc.as_str())),
        ("route", Value::List(vec![route("0.0.0.0/0", "gateway_id", &igw2)])),
    ]);
    let rt3 = update(&w, "aws_route_table", "aws_route_table.public", &rt2, &cfg3).await;
    assert_eq!(rt3.get_list("route").len(), 1);
    let imported = w.client.import("aws_route_table", &id(&rt)).await.unwrap().unwrap();
    assert_eq!(imported.get("route"), rt3.get("route"));

    // Associations: create, batch read, change the route table in place, import, delete.
    let assoc_cfg = Value::map([
        ("subnet_id", Value::from(subnet.as_str())),
        ("route_table_id", Value::from(id(&rt).as_str())),
    ]);
    let assoc = create(
        &w,
        "aws_route_table_association",
        "aws_route_table_association.a",
        &assoc_cfg,
    )
    .await;
    assert!(id(&assoc).starts_with("rtbassoc-"));
    assert_eq!(assoc.get_str("route_table_id"), Some(id(&rt).as_str()));
    let gw_assoc_cfg = Value::map([
        ("gateway_id", Value::from(igw.as_str())),
        ("route_table_id", Value::from(id(&private).as_str())),
    ]);
    let gw_assoc = create(
        &w,
        "aws_route_table_association",
        "aws_route_table_association.gw",
        &gw_assoc_cfg,
    )
    .await;
    assert_eq!(gw_assoc.get_str("gateway_id"), Some(igw.as_str()));
    let got = w
        .client
        .read("aws_route_table_association", &[gw_assoc.clone(), assoc.clone()])
        .await;
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&gw_assoc));
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&assoc));
    assert_no_diff(&w, "aws_route_table_association", &assoc, &assoc_cfg);

    // find_created: the subnet's association with that table is unique.
    let (planned, _) = plan(&w, "aws_route_table_association", None, &assoc_cfg).unwrap();
    let found = w
        .client
        .find_created(
            &ctx("aws_route_table_association.a"),
            "aws_route_table_association",
            &planned,
        )
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&assoc));

    let moved_cfg = Value::map([
        ("subnet_id", Value::from(subnet.as_str())),
        ("route_table_id", Value::from(id(&private).as_str())),
    ]);
    let moved = update(
        &w,
        "aws_route_table_association",
        "aws_route_table_association.a",
        &assoc,
        &moved_cfg,
    )
    .await;
    assert_eq!(moved.get_str("route_table_id"), Some(id(&private).as_str()));
    assert_eq!(moved.get_str("subnet_id"), Some(subnet.as_str()));
    assert_eq!(
        read(&w, "aws_route_table_association", &moved).await.as_ref(),
        Some(&moved)
    );
    // Changing the subnet replaces.
    let other = id(&create(&w, "aws_subnet", "aws_subnet.b", &subnet_cfg("10.0.2.0/24")).await);
    let (_, replace) = plan(
        &w,
        "aws_route_table_association",
        Some(&moved),
        &Value::map([
            ("subnet_id", Value::from(other.as_str())),
            ("route_table_id", Value::from(id(&private).as_str())),
        ]),
    )
    .unwrap();
    assert_eq!(replace, vec![infra_provider::Path::attr("subnet_id")]);

    let imported = w
        .client
        .import("aws_route_table_association", &format!("{subnet}/{}", id(&private)))
        .await
        .unwrap()
        .expect("imported by subnet/route table");
    assert_eq!(imported, moved);

    for (a, v) in [
        ("aws_route_table_association.a", &moved),
        ("aws_route_table_association.gw", &gw_assoc),
    ] {
        w.client
            .delete(&ctx(a), "aws_route_table_association", v)
            .await
            .unwrap();
        assert_eq!(read(&w, "aws_route_table_association", v).await, None);
        w.client
            .delete(&ctx(a), "aws_route_table_association", v)
            .await
            .unwrap();
    }
    w.client
        .delete(&ctx("aws_route_table.public"), "aws_route_table", &rt3)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_route_table", &rt3).await, None);
    w.client
        .delete(&ctx("aws_route_table.public"), "aws_route_table", &rt3)
        .await
        .unwrap();
}

#[tokio::test]
async fn route_table_find_created() {
    let w = world().await;
    let vpc = id(&create(
        &w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    let (planned, _) = plan(
        &w,
        "aws_route_table",
        None,
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_route_table.rt"), "aws_route_table", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w
        .client
        .create(&ctx("aws_route_table.rt"), "aws_route_table", &planned)
        .await
        .unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_route_table.rt"), "aws_route_table", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&made));
}
