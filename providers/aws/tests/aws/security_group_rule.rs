use crate::common::*;
use infra_provider::{Path, Value};

async fn group(w: &World, name: &str) -> String {
    let vpc = id(&create(
        w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    id(&create(
        w,
        "aws_security_group",
        &format!("aws_security_group.{name}"),
        &Value::map([("vpc_id", Value::from(vpc.as_str())), ("name", Value::from(name))]),
    )
    .await)
}

fn cfg(sg: &str, extra: &[(&str, Value)]) -> Value {
    let mut v = Value::map([("security_group_id", Value::from(sg))]);
    for (k, x) in extra {
        v.set_attr(k, x.clone());
    }
    v
}

#[tokio::test]
async fn ingress_and_egress_rules() {
    let w = world().await;
    let sg = group(&w, "app").await;
    let other = group(&w, "lb").await;
    let https = cfg(
        &sg,
        &[
            ("ip_protocol", Value::from("tcp")),
            ("from_port", Value::int(443)),
            ("to_port", Value::int(443)),
            ("cidr_ipv4", Value::from("10.0.0.0/8")),
            ("description", Value::from("https")),
            ("tags", Value::string_map([("Name", "https")])),
        ],
    );
    let r1 = create(
        &w,
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_ingress_rule.https",
        &https,
    )
    .await;
    assert!(id(&r1).starts_with("sgr-"));
    assert_eq!(r1.get_str("security_group_rule_id"), Some(id(&r1).as_str()));
    assert!(
        r1.get_str("arn")
            .unwrap()
            .ends_with(&format!("security-group-rule/{}", id(&r1)))
    );
    assert_eq!(r1.get_i64("from_port"), Some(443));
    assert_eq!(r1.get_string_map("tags").get("Name").map(String::as_str), Some("https"));
    assert_ownership_tags_hidden(
        &w,
        &r1,
        &ec2_tags(&w, &id(&r1)).await,
        "aws_vpc_security_group_ingress_rule.https",
    )
    .await;
    assert_no_diff(&w, "aws_vpc_security_group_ingress_rule", &r1, &https);

    let from_lb = cfg(
        &sg,
        &[
            ("ip_protocol", Value::from("6")),
            ("from_port", Value::int(8080)),
            ("to_port", Value::int(8080)),
            ("referenced_security_group_id", Value::from(other.as_str())),
        ],
    );
    let r2 = create(
        &w,
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_ingress_rule.lb",
        &from_lb,
    )
    .await;
    assert_eq!(r2.get_str("referenced_security_group_id"), Some(other.as_str()));
    assert_eq!(r2.get_str("ip_protocol"), Some("6"), "the configured spelling is kept");
    assert_no_diff(&w, "aws_vpc_security_group_ingress_rule", &r2, &from_lb);

    let all_out = cfg(
        &sg,
        &[
            ("ip_protocol", Value::from("-1")),
            ("cidr_ipv4", Value::from("0.0.0.0/0")),
        ],
    );
    let e1 = create(
        &w,
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_egress_rule.all",
        &all_out,
    )
    .await;
    assert_eq!(
        e1.get("from_port"),
        Some(&Value::Null),
        "no ports configured, none read: {e1:?}"
    );
    assert_no_diff(&w, "aws_vpc_security_group_egress_rule", &e1, &all_out);
    // An egress rule is not an ingress rule.
    assert_eq!(read(&w, "aws_vpc_security_group_ingress_rule", &e1).await, None);

    // Batched read with one revoked out of band.
    w.aws
        .ec2()
        .revoke_security_group_ingress()
        .group_id(&sg)
        .security_group_rule_ids(id(&r2))
        .send()
        .await
        .unwrap();
    let got = w
        .client
        .read("aws_vpc_security_group_ingress_rule", &[r2.clone(), r1.clone()])
        .await;
    assert!(got[0].as_ref().unwrap().is_none());
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&r1));

    // In place: ports, description, tags.
    let https2 = cfg(
        &sg,
        &[
            ("ip_protocol", Value::from("tcp")),
            ("from_port", Value::int(8443)),
            ("to_port", Value::int(8443)),
            ("cidr_ipv4", Value::from("10.0.0.0/8")),
            ("description", Value::from("alt https")),
            ("tags", Value::string_map([("Name", "alt")])),
        ],
    );
    let r1b = update(
        &w,
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_ingress_rule.https",
        &r1,
        &https2,
    )
    .await;
    assert_eq!(id(&r1b), id(&r1));
    assert_eq!(r1b.get_i64("from_port"), Some(8443));
    assert_eq!(r1b.get_str("description"), Some("alt https"));
    assert_eq!(r1b.get_string_map("tags").get("Name").map(String::as_str), Some("alt"));
    assert_eq!(
        read(&w, "aws_vpc_security_group_ingress_rule", &r1b).await.as_ref(),
        Some(&r1b)
    );

    // Another kind of source replaces the rule.
    let ipv6 = cfg(
        &sg,
        &[
            ("ip_protocol", Value::from("tcp")),
            ("from_port", Value::int(8443)),
            ("to_port", Value::int(8443)),
            ("cidr_ipv6", Value::from("::/0")),
        ],
    );
    let (_, replace) = plan(&w, "aws_vpc_security_group_ingress_rule", Some(&r1b), &ipv6).unwrap();
    assert_eq!(replace, vec![Path::attr("cidr_ipv4"), Path::attr("cidr_ipv6")]);
    // Two sources is refused at plan time.
    let two = cfg(
        &sg,
        &[
            ("ip_protocol", Value::from("tcp")),
            ("cidr_ipv4", Value::from("10.0.0.0/8")),
            ("cidr_ipv6", Value::from("::/0")),
        ],
    );
    assert!(plan(&w, "aws_vpc_security_group_ingress_rule", None, &two).is_err());

    let imported = w
        .client
        .import("aws_vpc_security_group_ingress_rule", &id(&r1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.get_str("cidr_ipv4"), Some("10.0.0.0/8"));

    // find_created by ownership tags.
    let (planned, _) = plan(&w, "aws_vpc_security_group_egress_rule", None, &all_out).unwrap();
    let found = w
        .client
        .find_created(
            &ctx("aws_vpc_security_group_egress_rule.all"),
            "aws_vpc_security_group_egress_rule",
            &planned,
        )
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&e1));
    assert!(
        w.client
            .find_created(
                &ctx("aws_vpc_security_group_egress_rule.none"),
                "aws_vpc_security_group_egress_rule",
                &planned
            )
            .await
            .unwrap()
            .is_none()
    );

    for (t, a, v) in [
        (
            "aws_vpc_security_group_ingress_rule",
            "aws_vpc_security_group_ingress_rule.https",
            &r1b,
        ),
        (
            "aws_vpc_security_group_egress_rule",
            "aws_vpc_security_group_egress_rule.all",
            &e1,
        ),
    ] {
        w.client.delete(&ctx(a), t, v).await.unwrap();
        assert_eq!(read(&w, t, v).await, None);
        w.client.delete(&ctx(a), t, v).await.unwrap();
    }
}
