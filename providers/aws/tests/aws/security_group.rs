use crate::common::*;
use infra_provider::{Path, Value};

fn rule(from: i64, to: i64, protocol: &str, cidrs: &[&str], description: Option<&str>) -> Value {
    Value::map([
        ("from_port", Value::int(from)),
        ("to_port", Value::int(to)),
        ("protocol", Value::from(protocol)),
        ("cidr_blocks", Value::string_list(cidrs)),
        ("description", Value::opt_string(description)),
    ])
}

async fn vpc(w: &World) -> String {
    id(&create(
        w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await)
}

/// The rules EC2 has for a group, as (protocol, from, to, cidr) sorted.
async fn cloud_rules(w: &World, group: &str, egress: bool) -> Vec<(String, i32, i32, String)> {
    let out = w
        .aws
        .ec2()
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .unwrap();
    let g = &out.security_groups()[0];
    let perms = if egress {
        g.ip_permissions_egress()
    } else {
        g.ip_permissions()
    };
    let mut rules: Vec<_> = perms
        .iter()
        .flat_map(|p| {
            p.ip_ranges().iter().map(move |r| {
                (
                    p.ip_protocol().unwrap_or_default().to_string(),
                    p.from_port().unwrap_or(0),
                    p.to_port().unwrap_or(0),
                    r.cidr_ip().unwrap_or_default().to_string(),
                )
            })
        })
        .collect();
    rules.sort();
    rules
}

#[tokio::test]
async fn security_group_lifecycle() {
    let w = world().await;
    let vpc = vpc(&w).await;
    let cfg = Value::map([
        ("name", Value::from("web")),
        ("description", Value::from("web servers")),
        ("vpc_id", Value::from(vpc.as_str())),
        (
            "ingress",
            Value::List(vec![
                rule(443, 443, "tcp", &["10.0.0.0/8", "192.168.0.0/16"], Some("https")),
                rule(22, 22, "6", &["10.1.0.0/16"], None),
            ]),
        ),
        ("egress", Value::List(vec![rule(0, 0, "-1", &["0.0.0.0/0"], None)])),
        ("tags", Value::string_map([("Name", "web")])),
    ]);
    let sg = create(&w, "aws_security_group", "aws_security_group.web", &cfg).await;
    assert!(id(&sg).starts_with("sg-"));
    assert_eq!(sg.get_str("name"), Some("web"));
    assert_eq!(sg.get_str("vpc_id"), Some(vpc.as_str()));
    assert_eq!(
        sg.get_list("ingress").len(),
        2,
        "rules keep their shape: {:?}",
        sg.get("ingress")
    );
    assert!(
        sg.get_list("ingress")
            .iter()
            .any(|r| r.get_str("protocol") == Some("tcp") && r.get_i64("from_port") == Some(22))
    );
    assert_eq!(
        cloud_rules(&w, &id(&sg), false).await,
        vec![
            ("tcp".into(), 22, 22, "10.1.0.0/16".into()),
            ("tcp".into(), 443, 443, "10.0.0.0/8".into()),
            ("tcp".into(), 443, 443, "192.168.0.0/16".into())
        ]
    );
    assert_ownership_tags_hidden(&w, &sg, &ec2_tags(&w, &id(&sg)).await, "aws_security_group.web").await;
    // "6" and "tcp" are the same: no diff.
    assert_no_diff(&w, "aws_security_group", &sg, &cfg);

    // Without egress rules in the configuration, the default "allow all" egress is removed (as Terraform).
    let bare = create(
        &w,
        "aws_security_group",
        "aws_security_group.bare",
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .await;
    assert_eq!(bare.get_list("egress").len(), 0, "{bare:?}");
    assert!(cloud_rules(&w, &id(&bare), true).await.is_empty());
    assert!(
        bare.get_str("name").unwrap().starts_with("terraform-"),
        "generated name: {:?}",
        bare.get("name")
    );
    assert_eq!(bare.get_str("description"), Some("Managed by Terraform"));
    let prefixed = create(
        &w,
        "aws_security_group",
        "aws_security_group.p",
        &Value::map([
            ("vpc_id", Value::from(vpc.as_str())),
            ("name_prefix", Value::from("app-")),
        ]),
    )
    .await;
    assert!(prefixed.get_str("name").unwrap().starts_with("app-"));
    assert_eq!(prefixed.get_str("name_prefix"), Some("app-"));

    // Batch read with one deleted out of band.
    w.aws
        .ec2()
        .delete_security_group()
        .group_id(id(&prefixed))
        .send()
        .await
        .unwrap();
    let got = w
        .client
        .read("aws_security_group", &[sg.clone(), prefixed.clone(), bare.clone()])
        .await;
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&sg));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&bare));

    // Rules change in place: one CIDR dropped, a description changed, a self rule added, egress removed.
    let cfg2 = Value::map([
        ("name", Value::from("web")),
        ("description", Value::from("web servers")),
        ("vpc_id", Value::from(vpc.as_str())),
        (
            "ingress",
            Value::List(vec![
                rule(443, 443, "tcp", &["10.0.0.0/8"], Some("https")),
                rule(22, 22, "tcp", &["10.1.0.0/16"], Some("ssh")),
                Value::map([
                    ("from_port", Value::int(0)),
                    ("to_port", Value::int(65535)),
                    ("protocol", Value::from("tcp")),
                    ("self", Value::Bool(true)),
                ]),
            ]),
        ),
        ("egress", Value::List(vec![])),
        ("tags", Value::string_map([("Name", "web")])),
    ]);
    let sg2 = update(&w, "aws_security_group", "aws_security_group.web", &sg, &cfg2).await;
    assert_eq!(id(&sg2), id(&sg));
    assert_eq!(
        cloud_rules(&w, &id(&sg), false).await,
        vec![
            ("tcp".into(), 22, 22, "10.1.0.0/16".into()),
            ("tcp".into(), 443, 443, "10.0.0.0/8".into())
        ]
    );
    assert!(cloud_rules(&w, &id(&sg), true).await.is_empty());
    let ingress = sg2.get_list("ingress");
    assert_eq!(ingress.len(), 3, "{ingress:?}");
    assert!(
        ingress
            .iter()
            .any(|r| r.get_bool("self") == Some(true) && r.get_i64("to_port") == Some(65535))
    );
    assert!(ingress.iter().any(|r| r.get_str("description") == Some("ssh")));
    assert_no_diff(&w, "aws_security_group", &sg2, &cfg2);

    // A new name or VPC replaces.
    let mut renamed = cfg2.clone();
    renamed.set_attr("name", Value::from("web2"));
    let (_, replace) = plan(&w, "aws_security_group", Some(&sg2), &renamed).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);

    // Import groups the rules by protocol, ports and description.
    let imported = w.client.import("aws_security_group", &id(&sg)).await.unwrap().unwrap();
    assert_eq!(imported.get_list("ingress").len(), 3);
    assert_eq!(imported.get_bool("revoke_rules_on_delete"), Some(false));

    // revoke_rules_on_delete lets a group that another group references go.
    let mut cfg_ref = Value::map([
        ("vpc_id", Value::from(vpc.as_str())),
        ("name", Value::from("referrer")),
        ("revoke_rules_on_delete", Value::Bool(true)),
    ]);
    cfg_ref.set_attr(
        "ingress",
        Value::List(vec![Value::map([
            ("from_port", Value::int(5432)),
            ("to_port", Value::int(5432)),
            ("protocol", Value::from("tcp")),
            ("security_groups", Value::string_set([id(&sg)])),
        ])]),
    );
    let referrer = create(&w, "aws_security_group", "aws_security_group.referrer", &cfg_ref).await;
    assert_eq!(
        referrer.get_list("ingress")[0].get_strings("security_groups"),
        vec![id(&sg)]
    );
    assert_no_diff(&w, "aws_security_group", &referrer, &cfg_ref);
    w.client
        .delete(&ctx("aws_security_group.referrer"), "aws_security_group", &referrer)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_security_group", &referrer).await, None);

    w.client
        .delete(&ctx("aws_security_group.web"), "aws_security_group", &sg2)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_security_group", &sg2).await, None);
    w.client
        .delete(&ctx("aws_security_group.web"), "aws_security_group", &sg2)
        .await
        .unwrap();
}

#[tokio::test]
async fn security_group_find_created_with_a_generated_name() {
    let w = world().await;
    let vpc = vpc(&w).await;
    let (planned, _) = plan(
        &w,
        "aws_security_group",
        None,
        &Value::map([("vpc_id", Value::from(vpc.as_str()))]),
    )
    .unwrap();
    assert!(planned.get("name").unwrap().is_unknown());
    let c = ctx("aws_security_group.x");
    assert!(
        w.client
            .find_created(&c, "aws_security_group", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w.client.create(&c, "aws_security_group", &planned).await.unwrap();
    let found = w.client.find_created(&c, "aws_security_group", &planned).await.unwrap();
    assert_eq!(found.as_ref(), Some(&made));
    // A rerun of the lost create would ask for the same generated name, which now exists.
    let again = w.client.create(&c, "aws_security_group", &planned).await.unwrap_err();
    assert_eq!(again.code.as_deref(), Some("InvalidGroup.Duplicate"), "{again}");
}

#[tokio::test]
async fn a_create_that_fails_after_making_the_group_reports_it_as_partial() {
    let w = world().await;
    let vpc = vpc(&w).await;
    let cfg = Value::map([
        ("name", Value::from("half")),
        ("vpc_id", Value::from(vpc.as_str())),
        (
            "ingress",
            Value::List(vec![Value::map([
                ("from_port", Value::int(80)),
                ("to_port", Value::int(80)),
                ("protocol", Value::from("tcp")),
                ("security_groups", Value::string_set(["sg-0000000000000dead"])),
            ])]),
        ),
    ]);
    let (planned, _) = plan(&w, "aws_security_group", None, &cfg).unwrap();
    let e = w
        .client
        .create(&ctx("aws_security_group.half"), "aws_security_group", &planned)
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("InvalidGroup.NotFound"), "{e}");
    let partial = e.partial.as_ref().expect("the group exists: the error carries it");
    let group = partial.get_str("id").expect("with its id");
    assert!(group.starts_with("sg-"));
    assert!(
        partial.is_wholly_known(),
        "no unknowns in a partial object: {partial:?}"
    );
    // It is really there, so that the engine can keep it (tainted) and delete it later.
    let found = w
        .aws
        .ec2()
        .describe_security_groups()
        .group_ids(group)
        .send()
        .await
        .unwrap();
    assert_eq!(found.security_groups()[0].group_name(), Some("half"));
    w.client
        .delete(&ctx("aws_security_group.half"), "aws_security_group", partial)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_group_made_but_not_finished_is_finished_on_adoption() {
    let w = world().await;
    let vpc = vpc(&w).await;
    let cfg = Value::map([
        ("name", Value::from("killed")),
        ("vpc_id", Value::from(vpc.as_str())),
        (
            "ingress",
            Value::List(vec![rule(443, 443, "tcp", &["10.0.0.0/8"], None)]),
        ),
    ]);
    let (planned, _) = plan(&w, "aws_security_group", None, &cfg).unwrap();
    let c = ctx("aws_security_group.killed");
    // The create's first call went through (the group, with its ownership tags), then the apply died:
    // EC2's default allow-all egress rule is still there, the ingress rule is not.
    let tags: Vec<_> = c
        .ownership_tags()
        .into_iter()
        .map(|(k, v)| aws_sdk_ec2::types::Tag::builder().key(k).value(v).build())
        .collect();
    let made = w
        .aws
        .ec2()
        .create_security_group()
        .group_name("killed")
        .description("Managed by Terraform")
        .vpc_id(&vpc)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::SecurityGroup)
                .set_tags(Some(tags))
                .build(),
        )
        .send()
        .await
        .unwrap();
    let group = made.group_id().unwrap().to_string();
    assert_eq!(cloud_rules(&w, &group, true).await.len(), 1, "the default egress rule");

    let found = w
        .client
        .find_created(&c, "aws_security_group", &planned)
        .await
        .unwrap()
        .expect("found by its ownership tags");
    let steps = w.client.unfinished("aws_security_group", &found, &planned);
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].contains("egress"), "{steps:?}");

    let finished = w
        .client
        .finish_create(&c, "aws_security_group", &found, &planned)
        .await
        .unwrap();
    assert!(
        cloud_rules(&w, &group, true).await.is_empty(),
        "the default egress rule is revoked"
    );
    assert_eq!(
        cloud_rules(&w, &group, false).await,
        vec![("tcp".to_string(), 443, 443, "10.0.0.0/8".to_string())]
    );
    assert!(
        w.client
            .unfinished("aws_security_group", &finished, &planned)
            .is_empty()
    );
    assert_no_diff(&w, "aws_security_group", &finished, &cfg);

    // A group that asks for the allow-all egress rule is finished with it.
    let mut open = cfg.clone();
    open.set_attr("egress", Value::List(vec![rule(0, 0, "-1", &["0.0.0.0/0"], None)]));
    let (planned_open, _) = plan(&w, "aws_security_group", None, &open).unwrap();
    assert!(
        w.client
            .unfinished("aws_security_group", &found, &planned_open)
            .is_empty()
    );
}
