//! `aws_lb`, `aws_lb_target_group` and `aws_lb_listener` against moto.

use crate::common::*;
use infra_provider::{Path, Value};
use std::collections::BTreeMap;

/// A VPC with two subnets in two zones and two security groups.
async fn network(w: &World) -> (String, Vec<String>, Vec<String>) {
    let vpc = id(&create(
        w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        subnets.push(id(&create(
            w,
            "aws_subnet",
            &format!("aws_subnet.public[{i}]"),
            &Value::map([
                ("vpc_id", Value::from(vpc.as_str())),
                ("cidr_block", Value::string(format!("10.0.{i}.0/24"))),
                ("availability_zone", Value::from(*az)),
            ]),
        )
        .await));
    }
    let mut sgs = Vec::new();
    for name in ["alb", "alb-extra"] {
        sgs.push(id(&create(
            w,
            "aws_security_group",
            &format!("aws_security_group.{}", name.replace('-', "_")),
            &Value::map([
                ("name", Value::from(name)),
                ("description", Value::from("load balancer")),
                ("vpc_id", Value::from(vpc.as_str())),
            ]),
        )
        .await));
    }
    (vpc, subnets, sgs)
}

async fn elb_tags(w: &World, arn: &str) -> BTreeMap<String, String> {
    let out = w.aws.elbv2().describe_tags().resource_arns(arn).send().await.unwrap();
    out.tag_descriptions()[0]
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect()
}

fn tg_config(vpc: &str, name: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("port", Value::int(8080)),
        ("protocol", Value::from("HTTP")),
        ("vpc_id", Value::from(vpc)),
        ("target_type", Value::from("ip")),
        ("deregistration_delay", Value::from("30")),
        (
            "health_check",
            Value::List(vec![Value::map([
                ("path", Value::from("/health")),
                ("matcher", Value::from("200-299")),
                ("interval", Value::int(15)),
                ("timeout", Value::int(5)),
                ("healthy_threshold", Value::int(2)),
            ])]),
        ),
        ("tags", Value::string_map([("Name", name)])),
    ])
}

#[tokio::test]
async fn target_group_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage")])]).await;
    let (vpc, _, _) = network(&w).await;
    let cfg = tg_config(&vpc, "web");
    let web = create(&w, "aws_lb_target_group", "aws_lb_target_group.web", &cfg).await;
    let arn = id(&web);
    assert!(arn.contains(":targetgroup/web/"), "{arn}");
    assert_eq!(web.get_str("arn"), Some(arn.as_str()));
    assert!(web.get_str("arn_suffix").unwrap().starts_with("targetgroup/web/"));
    assert_eq!(web.get_i64("port"), Some(8080));
    assert_eq!(web.get_str("target_type"), Some("ip"));
    assert_eq!(web.get_str("deregistration_delay"), Some("30"));
    let hc = web.get_block("health_check").unwrap();
    assert_eq!(hc.get_str("path"), Some("/health"));
    assert_eq!(hc.get_str("matcher"), Some("200-299"));
    assert_eq!(hc.get_i64("interval"), Some(15));
    assert_eq!(hc.get_i64("healthy_threshold"), Some(2));
    assert_eq!(
        hc.get_i64("unhealthy_threshold"),
        Some(3),
        "Terraform's default is sent"
    );
    assert_eq!(
        web.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_ownership_tags_hidden(&w, &web, &elb_tags(&w, &arn).await, "aws_lb_target_group.web").await;
    assert_no_diff(&w, "aws_lb_target_group", &web, &cfg);
    // Protocols compare case-insensitively, as Terraform upper-cases them.
    let mut lower = cfg.clone();
    lower.set_attr("protocol", Value::from("http"));
    assert_no_diff(&w, "aws_lb_target_group", &web, &lower);

    let prefixed = create(
        &w,
        "aws_lb_target_group",
        "aws_lb_target_group.api",
        &Value::map([
            ("name_prefix", Value::from("api-")),
            ("port", Value::int(9000)),
            ("protocol", Value::from("HTTP")),
            ("vpc_id", Value::from(vpc.as_str())),
            ("target_type", Value::from("ip")),
        ]),
    )
    .await;
    let name = prefixed.get_str("name").unwrap();
    assert!(name.starts_with("api-") && name.len() <= 32, "{name}");
    assert_eq!(prefixed.get_str("name_prefix"), Some("api-"));
    let gone = create(
        &w,
        "aws_lb_target_group",
        "aws_lb_target_group.gone",
        &tg_config(&vpc, "gone"),
    )
    .await;

    // Batched read: one deleted out of band, order kept; groups and tags in batches, attributes per group.
    w.aws
        .elbv2()
        .delete_target_group()
        .target_group_arn(id(&gone))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_lb_target_group", &[prefixed.clone(), gone.clone(), web.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&prefixed));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&web));
    let count = |op: &str| made.iter().filter(|(_, o)| o == op).count();
    assert_eq!(count("DescribeTags"), 1, "{made:?}");
    assert_eq!(count("DescribeTargetGroupAttributes"), 2, "{made:?}");
    // One call for the chunk, then halves until the deleted group is isolated: at most 1 + 2·⌈log2 3⌉.
    assert!(count("DescribeTargetGroups") <= 5, "{made:?}");
    let calls = ApiCalls::record();
    w.client
        .read("aws_lb_target_group", &[prefixed.clone(), web.clone()])
        .await;
    let made = calls.take();
    assert_eq!(
        made.iter().filter(|(_, o)| o == "DescribeTargetGroups").count(),
        1,
        "{made:?}"
    );

    // In place: health check, deregistration delay, stickiness, tags.
    let mut cfg2 = tg_config(&vpc, "web");
    cfg2.set_attr("deregistration_delay", Value::from("10"));
    cfg2.set_attr(
        "health_check",
        Value::List(vec![Value::map([
            ("path", Value::from("/ready")),
            ("matcher", Value::from("200")),
            ("interval", Value::int(20)),
            ("timeout", Value::int(5)),
        ])]),
    );
    cfg2.set_attr(
        "stickiness",
        Value::List(vec![Value::map([
            ("type", Value::from("lb_cookie")),
            ("enabled", Value::Bool(true)),
            ("cookie_duration", Value::int(600)),
        ])]),
    );
    cfg2.set_attr("tags", Value::string_map([("Name", "web"), ("tier", "front")]));
    let web2 = update(&w, "aws_lb_target_group", "aws_lb_target_group.web", &web, &cfg2).await;
    assert_eq!(id(&web2), arn);
    assert_eq!(web2.get_str("deregistration_delay"), Some("10"));
    assert_eq!(web2.get_block("health_check").unwrap().get_str("path"), Some("/ready"));
    assert_eq!(
        web2.get_block("health_check").unwrap().get_i64("healthy_threshold"),
        Some(3)
    );
    let st = web2.get_block("stickiness").unwrap();
    assert_eq!(st.get_bool("enabled"), Some(true));
    assert_eq!(st.get_i64("cookie_duration"), Some(600));
    assert_eq!(
        web2.get_string_map("tags").get("tier").map(String::as_str),
        Some("front")
    );
    assert_eq!(read(&w, "aws_lb_target_group", &web2).await.as_ref(), Some(&web2));
    assert_no_diff(&w, "aws_lb_target_group", &web2, &cfg2);

    // A new port replaces it.
    let mut other_port = cfg2.clone();
    other_port.set_attr("port", Value::int(8081));
    let (_, replace) = plan(&w, "aws_lb_target_group", Some(&web2), &other_port).unwrap();
    assert_eq!(replace, vec![Path::attr("port")]);

    let imported = w.client.import("aws_lb_target_group", &arn).await.unwrap().unwrap();
    assert_eq!(imported.get_str("name"), Some("web"));
    assert_eq!(imported.get_str("deregistration_delay"), Some("10"));

    w.client
        .delete(&ctx("aws_lb_target_group.web"), "aws_lb_target_group", &web2)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_lb_target_group", &web2).await, None);
    w.client
        .delete(&ctx("aws_lb_target_group.web"), "aws_lb_target_group", &web2)
        .await
        .unwrap();
}

#[tokio::test]
async fn target_group_find_created_and_plan_checks() {
    let w = world().await;
    let (vpc, _, _) = network(&w).await;
    // A generated name derives from the client token, so the rerun looks for the same name.
    let cfg = Value::map([
        ("port", Value::int(80)),
        ("protocol", Value::from("HTTP")),
        ("vpc_id", Value::from(vpc.as_str())),
        ("target_type", Value::from("ip")),
    ]);
    let (planned, _) = plan(&w, "aws_lb_target_group", None, &cfg).unwrap();
    let c = ctx("aws_lb_target_group.t");
    assert!(
        w.client
            .find_created(&c, "aws_lb_target_group", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w.client.create(&c, "aws_lb_target_group", &planned).await.unwrap();
    assert!(made.get_str("name").unwrap().starts_with("tf-"));
    let found = w
        .client
        .find_created(&c, "aws_lb_target_group", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&made));
    // Same name, another address: not adopted.
    let other = ctx_with_token("aws_lb_target_group.u", &c.client_token);
    assert!(
        w.client
            .find_created(&other, "aws_lb_target_group", &planned)
            .await
            .unwrap()
            .is_none()
    );

    let mut both = cfg.clone();
    both.set_attr("name", Value::from("a"));
    both.set_attr("name_prefix", Value::from("b"));
    assert!(plan(&w, "aws_lb_target_group", None, &both).is_err());
    let mut no_port = cfg.clone();
    no_port.set_attr("port", Value::Null);
    assert!(plan(&w, "aws_lb_target_group", None, &no_port).is_err());
    let mut long = cfg.clone();
    long.set_attr("name", Value::from("x".repeat(33)));
    assert!(plan(&w, "aws_lb_target_group", None, &long).is_err());
}

fn lb_config(name: &str, subnets: &[String], sgs: &[String]) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("load_balancer_type", Value::from("application")),
        ("subnets", Value::string_set(subnets)),
        ("security_groups", Value::string_set(sgs)),
        ("idle_timeout", Value::int(120)),
        ("tags", Value::string_map([("Name", name)])),
    ])
}

#[tokio::test]
async fn load_balancer_and_listeners() {
    let w = world().await;
    let (vpc, subnets, sgs) = network(&w).await;
    let cfg = lb_config("stage-web", &subnets, &sgs[..1]);
    let lb = create(&w, "aws_lb", "aws_lb.web", &cfg).await;
    let arn = id(&lb);
    assert!(arn.contains(":loadbalancer/app/stage-web/"), "{arn}");
    assert!(lb.get_str("arn_suffix").unwrap().starts_with("app/stage-web/"));
    assert!(lb.get_str("dns_name").unwrap().contains("stage-web"));
    assert!(lb.get_str("zone_id").is_some_and(|z| !z.is_empty()));
    assert_eq!(lb.get_str("vpc_id"), Some(vpc.as_str()));
    assert_eq!(lb.get_bool("internal"), Some(false));
    assert_eq!(lb.get_i64("idle_timeout"), Some(120));
    assert_eq!(lb.get_bool("enable_deletion_protection"), Some(false));
    assert_eq!(lb.get("subnets"), Some(&Value::string_set(&subnets)));
    // As Terraform: an application load balancer has no cross-zone setting to plan (always on).
    assert_eq!(lb.get("enable_cross_zone_load_balancing"), Some(&Value::Null));
    let (planned, _) = plan(&w, "aws_lb", None, &cfg).unwrap();
    assert_eq!(planned.get("enable_cross_zone_load_balancing"), Some(&Value::Null));
    // A state taken over from Terraform holds `true` there: still no change.
    let mut from_terraform = lb.clone();
    from_terraform.set_attr("enable_cross_zone_load_balancing", Value::Bool(true));
    assert_no_diff(&w, "aws_lb", &from_terraform, &cfg);
    assert_ownership_tags_hidden(&w, &lb, &elb_tags(&w, &arn).await, "aws_lb.web").await;
    assert_no_diff(&w, "aws_lb", &lb, &cfg);

    // In place: attributes, security groups, tags.
    let mut cfg2 = lb_config("stage-web", &subnets, &sgs);
    cfg2.set_attr("idle_timeout", Value::int(30));
    cfg2.set_attr("drop_invalid_header_fields", Value::Bool(true));
    cfg2.set_attr("tags", Value::string_map([("Name", "stage-web"), ("team", "web")]));
    let lb2 = update(&w, "aws_lb", "aws_lb.web", &lb, &cfg2).await;
    assert_eq!(lb2.get_i64("idle_timeout"), Some(30));
    assert_eq!(lb2.get_bool("drop_invalid_header_fields"), Some(true));
    assert_eq!(lb2.get("security_groups"), Some(&Value::string_set(&sgs)));
    assert_eq!(lb2.get_string_map("tags").get("team").map(String::as_str), Some("web"));
    assert_no_diff(&w, "aws_lb", &lb2, &cfg2);
    // Internal or another name replaces it.
    let mut internal = cfg2.clone();
    internal.set_attr("internal", Value::Bool(true));
    let (_, replace) = plan(&w, "aws_lb", Some(&lb2), &internal).unwrap();
    assert_eq!(replace, vec![Path::attr("internal")]);

    // Listeners: forward, redirect, fixed-response.
    let tg = create(
        &w,
        "aws_lb_target_group",
        "aws_lb_target_group.web",
        &tg_config(&vpc, "web"),
    )
    .await;
    let forward = Value::map([
        ("load_balancer_arn", Value::from(arn.as_str())),
        ("port", Value::int(80)),
        ("protocol", Value::from("HTTP")),
        (
            "default_action",
            Value::List(vec![Value::map([
                ("type", Value::from("forward")),
                ("target_group_arn", Value::from(id(&tg).as_str())),
            ])]),
        ),
        ("tags", Value::string_map([("Name", "http")])),
    ]);
    let http = create(&w, "aws_lb_listener", "aws_lb_listener.http", &forward).await;
    assert!(id(&http).contains(":listener/app/stage-web/"), "{}", id(&http));
    assert_eq!(http.get_i64("port"), Some(80));
    let action = &http.get_list("default_action")[0];
    assert_eq!(action.get_str("type"), Some("forward"));
    assert_eq!(action.get_str("target_group_arn"), Some(id(&tg).as_str()));
    assert_ownership_tags_hidden(&w, &http, &elb_tags(&w, &id(&http)).await, "aws_lb_listener.http").await;
    assert_no_diff(&w, "aws_lb_listener", &http, &forward);
    // The target group now reports the load balancer.
    let tg_now = read(&w, "aws_lb_target_group", &tg).await.unwrap();
    assert_eq!(
        tg_now.get("load_balancer_arns"),
        Some(&Value::string_set([arn.as_str()]))
    );

    let redirect_cfg = Value::map([
        ("load_balancer_arn", Value::from(arn.as_str())),
        ("port", Value::int(8080)),
        ("protocol", Value::from("HTTP")),
        (
            "default_action",
            Value::List(vec![Value::map([
                ("type", Value::from("redirect")),
                (
                    "redirect",
                    Value::List(vec![Value::map([
                        ("port", Value::from("443")),
                        ("protocol", Value::from("HTTPS")),
                        ("status_code", Value::from("HTTP_301")),
                    ])]),
                ),
            ])]),
        ),
    ]);
    let redirect = create(&w, "aws_lb_listener", "aws_lb_listener.redirect", &redirect_cfg).await;
    let r = redirect.get_list("default_action")[0]
        .get_block("redirect")
        .unwrap()
        .clone();
    assert_eq!(r.get_str("status_code"), Some("HTTP_301"));
    assert_eq!(r.get_str("host"), Some("#{host}"), "Terraform's default is sent");
    assert_no_diff(&w, "aws_lb_listener", &redirect, &redirect_cfg);
    let fixed = |body: &str| {
        Value::map([
            ("load_balancer_arn", Value::from(arn.as_str())),
            ("port", Value::int(81)),
            ("protocol", Value::from("HTTP")),
            (
                "default_action",
                Value::List(vec![Value::map([
                    ("type", Value::from("fixed-response")),
                    (
                        "fixed_response",
                        Value::List(vec![Value::map([
                            ("content_type", Value::from("text/plain")),
                            ("message_body", Value::from(body)),
                            ("status_code", Value::from("503")),
                        ])]),
                    ),
                ])]),
            ),
        ])
    };
    let maint = create(&w, "aws_lb_listener", "aws_lb_listener.maint", &fixed("down")).await;
    assert_no_diff(&w, "aws_lb_listener", &maint, &fixed("down"));

    // Batched read of the listeners: one DescribeListeners for the load balancer, one DescribeTags.
    w.aws
        .elbv2()
        .delete_listener()
        .listener_arn(id(&redirect))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_lb_listener", &[maint.clone(), redirect.clone(), http.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&maint));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&http));
    let count = |op: &str| made.iter().filter(|(_, o)| o == op).count();
    assert_eq!(count("DescribeListeners"), 1, "{made:?}");
    assert_eq!(count("DescribeTags"), 1, "{made:?}");

    // In place: the action changes.
    let maint2 = update(
        &w,
        "aws_lb_listener",
        "aws_lb_listener.maint",
        &maint,
        &fixed("back soon"),
    )
    .await;
    assert_eq!(id(&maint2), id(&maint));
    let body = maint2.get_list("default_action")[0]
        .get_block("fixed_response")
        .unwrap()
        .clone();
    assert_eq!(body.get_str("message_body"), Some("back soon"));
    // Another load balancer replaces a listener.
    let mut moved = fixed("x");
    moved.set_attr(
        "load_balancer_arn",
        Value::from("arn:aws:elasticloadbalancing:us-east-1:1:loadbalancer/app/o/1"),
    );
    let (_, replace) = plan(&w, "aws_lb_listener", Some(&maint2), &moved).unwrap();
    assert_eq!(replace, vec![Path::attr("load_balancer_arn")]);
    // A forward action without a target is refused at plan time.
    let mut bad = forward.clone();
    bad.set_attr(
        "default_action",
        Value::List(vec![Value::map([("type", Value::from("forward"))])]),
    );
    assert!(plan(&w, "aws_lb_listener", None, &bad).is_err());

    let imported = w.client.import("aws_lb_listener", &id(&http)).await.unwrap().unwrap();
    assert_eq!(imported.get_str("load_balancer_arn"), Some(arn.as_str()));
    let (planned, _) = plan(&w, "aws_lb_listener", None, &forward).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_lb_listener.http"), "aws_lb_listener", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id), Some(id(&http)));
    assert!(
        w.client
            .find_created(&ctx("aws_lb_listener.other"), "aws_lb_listener", &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Load balancers: batched read with one deleted out of band.
    let other = create(
        &w,
        "aws_lb",
        "aws_lb.other",
        &lb_config("stage-other", &subnets, &sgs[..1]),
    )
    .await;
    let gone = create(
        &w,
        "aws_lb",
        "aws_lb.gone",
        &lb_config("stage-gone", &subnets, &sgs[..1]),
    )
    .await;
    w.aws
        .elbv2()
        .delete_load_balancer()
        .load_balancer_arn(id(&gone))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_lb", &[other.clone(), gone.clone(), lb2.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&other));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&lb2));
    let count = |op: &str| made.iter().filter(|(_, o)| o == op).count();
    assert_eq!(count("DescribeTags"), 1, "{made:?}");
    assert_eq!(count("DescribeLoadBalancerAttributes"), 2, "{made:?}");

    let imported = w.client.import("aws_lb", &arn).await.unwrap().unwrap();
    assert_eq!(imported.get_i64("idle_timeout"), Some(30));
    let (planned, _) = plan(&w, "aws_lb", None, &cfg).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_lb.web"), "aws_lb", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id), Some(arn.clone()));
    assert!(
        w.client
            .find_created(&ctx("aws_lb.x"), "aws_lb", &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Deletes: listener, then load balancer (waits until it is gone); already gone is success.
    for l in [&http, &maint2, &redirect] {
        w.client
            .delete(&ctx("aws_lb_listener.x"), "aws_lb_listener", l)
            .await
            .unwrap();
    }
    assert_eq!(read(&w, "aws_lb_listener", &http).await, None);
    w.client.delete(&ctx("aws_lb.web"), "aws_lb", &lb2).await.unwrap();
    assert_eq!(read(&w, "aws_lb", &lb2).await, None);
    w.client.delete(&ctx("aws_lb.web"), "aws_lb", &lb2).await.unwrap();
}

#[tokio::test]
async fn a_load_balancer_made_but_not_finished_is_finished_on_adoption() {
    let w = world().await;
    let (_, subnets, sgs) = network(&w).await;
    let cfg = lb_config("killed", &subnets, &sgs[..1]);
    let (planned, _) = plan(&w, "aws_lb", None, &cfg).unwrap();
    let c = ctx("aws_lb.killed");
    // The create's first call went through (the load balancer, with its tags), then the apply died
    // before ModifyLoadBalancerAttributes: the idle timeout is still the default.
    let mut tags = vec![
        aws_sdk_elasticloadbalancingv2::types::Tag::builder()
            .key("Name")
            .value("killed")
            .build(),
    ];
    tags.extend(c.ownership_tags().into_iter().map(|(k, v)| {
        aws_sdk_elasticloadbalancingv2::types::Tag::builder()
            .key(k)
            .value(v)
            .build()
    }));
    let made = w
        .aws
        .elbv2()
        .create_load_balancer()
        .name("killed")
        .set_subnets(Some(subnets.clone()))
        .security_groups(&sgs[0])
        .set_tags(Some(tags))
        .send()
        .await
        .unwrap();
    let arn = made.load_balancers()[0].load_balancer_arn().unwrap().to_string();
    let idle = || async {
        w.aws
            .elbv2()
            .describe_load_balancer_attributes()
            .load_balancer_arn(&arn)
            .send()
            .await
            .unwrap()
            .attributes()
            .iter()
            .find(|a| a.key() == Some("idle_timeout.timeout_seconds"))
            .and_then(|a| a.value().map(str::to_string))
            .unwrap_or_else(|| "60".into())
    };
    assert_eq!(idle().await, "60");

    let found = w
        .client
        .find_created(&c, "aws_lb", &planned)
        .await
        .unwrap()
        .expect("found by its name and ownership tags");
    assert_eq!(idle().await, "60", "finding it writes nothing");
    let steps = w.client.unfinished("aws_lb", &found, &planned);
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].contains("idle_timeout"), "{steps:?}");

    let finished = w.client.finish_create(&c, "aws_lb", &found, &planned).await.unwrap();
    assert_eq!(idle().await, "120");
    assert_eq!(finished.get_i64("idle_timeout"), Some(120));
    assert!(w.client.unfinished("aws_lb", &finished, &planned).is_empty());
    assert_no_diff(&w, "aws_lb", &finished, &cfg);
}

/// `subnet_mapping` instead of `subnets`: a network load balancer given its subnets as mappings reads
/// them back as mappings (and as `subnets`) with no diff; losing a mapped subnet replaces it, as in
/// Terraform.
#[tokio::test]
async fn network_load_balancer_with_subnet_mappings() {
    let w = world().await;
    let (_, subnets, _) = network(&w).await;
    let mappings = |ids: &[String]| {
        Value::set(
            ids.iter()
                .map(|s| Value::map([("subnet_id", Value::string(s))]))
                .collect(),
        )
    };
    let cfg = Value::map([
        ("name", Value::from("stage-nlb")),
        ("load_balancer_type", Value::from("network")),
        ("subnet_mapping", mappings(&subnets)),
    ]);
    let lb = create(&w, "aws_lb", "aws_lb.nlb", &cfg).await;
    assert_eq!(lb.get("subnets"), Some(&Value::string_set(&subnets)), "{lb:?}");
    let mapped: Vec<String> = lb
        .get_list("subnet_mapping")
        .iter()
        .filter_map(|m| m.get_str("subnet_id").map(str::to_string))
        .collect();
    assert_eq!(mapped.len(), 2, "{lb:?}");
    assert_no_diff(&w, "aws_lb", &lb, &cfg);
    let mut fewer = cfg.clone();
    fewer.set_attr("subnet_mapping", mappings(&subnets[..1]));
    let (_, replace) = plan(&w, "aws_lb", Some(&lb), &fewer).unwrap();
    assert_eq!(replace, vec![Path::attr("subnet_mapping")]);
}
