//! A refresh of many types at once (`ProviderClient::refresh`) against moto: the calls several types
//! share are made once, every object reads exactly as it does on its own, and drift and disappearance are
//! still seen through the shared answers.

use crate::common::*;
use infra_provider::Value;

const ASSUME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn task(family: &str) -> Value {
    let containers = format!(
        r#"[{{"name": "{family}", "image": "nginx:1.27", "essential": true, "portMappings": [{{"containerPort": 80}}]}}]"#
    );
    Value::map([
        ("family", Value::from(family)),
        ("container_definitions", Value::string(containers)),
        ("cpu", Value::from("256")),
        ("memory", Value::from("512")),
        ("network_mode", Value::from("awsvpc")),
        ("requires_compatibilities", Value::string_set(["FARGATE"])),
    ])
}

fn rule(sg: &str, protocol: &str, port: Option<i64>) -> Value {
    let mut v = Value::map([
        ("security_group_id", Value::from(sg)),
        ("ip_protocol", Value::from(protocol)),
        ("cidr_ipv4", Value::from("0.0.0.0/0")),
    ]);
    if let Some(p) = port {
        v.set_attr("from_port", Value::int(p));
        v.set_attr("to_port", Value::int(p));
    }
    v
}

fn count(calls: &[(String, String)], op: &str) -> usize {
    calls.iter().filter(|(_, o)| o == op).count()
}

/// The objects of a refresh, by type, in a fixed order.
struct Stack {
    batches: Vec<(String, Vec<Value>)>,
}

impl Stack {
    fn get(&self, type_name: &str, i: usize) -> &Value {
        &self.batches.iter().find(|(t, _)| t == type_name).unwrap().1[i]
    }
}

async fn build(w: &World) -> Stack {
    let obj = |t: &str, a: &str, cfg: Value| {
        let (t, a) = (t.to_string(), a.to_string());
        async move { create(w, &t, &a, &cfg).await }
    };
    let vpc = obj(
        "aws_vpc",
        "aws_vpc.main",
        Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await;
    let in_vpc = |extra: &[(&str, Value)]| {
        let mut v = Value::map([("vpc_id", Value::string(id(&vpc)))]);
        for (k, x) in extra {
            v.set_attr(k, x.clone());
        }
        v
    };
    let igw = obj("aws_internet_gateway", "aws_internet_gateway.main", in_vpc(&[])).await;
    let subnet = obj(
        "aws_subnet",
        "aws_subnet.a",
        in_vpc(&[("cidr_block", Value::from("10.0.1.0/24"))]),
    )
    .await;
    let public = obj("aws_route_table", "aws_route_table.public", in_vpc(&[])).await;
    let private = obj("aws_route_table", "aws_route_table.private", in_vpc(&[])).await;
    let route = |table: &Value, dest: &str| {
        Value::map([
            ("route_table_id", Value::string(id(table))),
            ("destination_cidr_block", Value::from(dest)),
            ("gateway_id", Value::string(id(&igw))),
        ])
    };
    let r1 = obj("aws_route", "aws_route.public", route(&public, "0.0.0.0/0")).await;
    let r2 = obj("aws_route", "aws_route.private", route(&private, "192.168.0.0/16")).await;
    let assoc = obj(
        "aws_route_table_association",
        "aws_route_table_association.a",
        Value::map([
            ("subnet_id", Value::string(id(&subnet))),
            ("route_table_id", Value::string(id(&public))),
        ]),
    )
    .await;
    let sg = obj(
        "aws_security_group",
        "aws_security_group.web",
        in_vpc(&[("name", Value::from("web"))]),
    )
    .await;
    let sg_id = id(&sg);
    let https = obj(
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_ingress_rule.https",
        rule(&sg_id, "tcp", Some(443)),
    )
    .await;
    let http = obj(
        "aws_vpc_security_group_ingress_rule",
        "aws_vpc_security_group_ingress_rule.http",
        rule(&sg_id, "tcp", Some(80)),
    )
    .await;
    let all_out = obj(
        "aws_vpc_security_group_egress_rule",
        "aws_vpc_security_group_egress_rule.all",
        rule(&sg_id, "-1", None),
    )
    .await;
    let logs_a = obj(
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_log_group.a",
        Value::map([("name", Value::from("/ecs/a")), ("retention_in_days", Value::int(7))]),
    )
    .await;
    let logs_b = obj(
        "aws_cloudwatch_log_group",
        "aws_cloudwatch_log_group.b",
        Value::map([("name", Value::from("/ecs/b"))]),
    )
    .await;
    let td_api = obj("aws_ecs_task_definition", "aws_ecs_task_definition.api", task("api")).await;
    let td_worker = obj(
        "aws_ecs_task_definition",
        "aws_ecs_task_definition.worker",
        task("worker"),
    )
    .await;
    let repo = obj(
        "aws_ecr_repository",
        "aws_ecr_repository.api",
        Value::map([("name", Value::from("api"))]),
    )
    .await;
    let param = obj(
        "aws_ssm_parameter",
        "aws_ssm_parameter.url",
        Value::map([
            ("name", Value::from("/stage/url")),
            ("type", Value::from("String")),
            ("value", Value::from("http://api")),
        ]),
    )
    .await;
    let role = obj(
        "aws_iam_role",
        "aws_iam_role.task",
        Value::map([
            ("name", Value::from("task")),
            ("assume_role_policy", Value::from(ASSUME)),
        ]),
    )
    .await;
    let inline = obj(
        "aws_iam_role_policy",
        "aws_iam_role_policy.logs",
        Value::map([
            ("role", Value::from("task")),
            ("name", Value::from("logs")),
            (
                "policy",
                Value::from(
                    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:PutLogEvents","Resource":"*"}]}"#,
                ),
            ),
        ]),
    )
    .await;
    // The VPC as it is now that its route tables and groups exist.
    let vpc = read(w, "aws_vpc", &vpc).await.unwrap();
    let batches = [
        ("aws_vpc", vec![vpc]),
        ("aws_internet_gateway", vec![igw]),
        ("aws_subnet", vec![subnet]),
        ("aws_route_table", vec![public, private]),
        ("aws_route", vec![r1, r2]),
        ("aws_route_table_association", vec![assoc]),
        ("aws_security_group", vec![sg]),
        ("aws_vpc_security_group_ingress_rule", vec![https, http]),
        ("aws_vpc_security_group_egress_rule", vec![all_out]),
        ("aws_cloudwatch_log_group", vec![logs_a, logs_b]),
        ("aws_ecs_task_definition", vec![td_api, td_worker]),
        ("aws_ecr_repository", vec![repo]),
        ("aws_ssm_parameter", vec![param]),
        ("aws_iam_role", vec![role]),
        ("aws_iam_role_policy", vec![inline]),
    ];
    Stack {
        batches: batches.into_iter().map(|(t, v)| (t.to_string(), v)).collect(),
    }
}

/// Every object read on its own (outside a refresh), in the order of the batches.
async fn alone(w: &World, s: &Stack) -> Vec<Vec<Option<Value>>> {
    let mut out = Vec::new();
    for (t, priors) in &s.batches {
        let mut got = Vec::new();
        for p in priors {
            got.push(read(w, t, p).await);
        }
        out.push(got);
    }
    out
}

async fn refresh(w: &World, s: &Stack) -> Vec<Vec<Option<Value>>> {
    w.client
        .refresh(LINEAGE, &s.batches)
        .await
        .into_iter()
        .zip(&s.batches)
        .map(|(r, (t, _))| {
            r.into_iter()
                .map(|x| x.unwrap_or_else(|e| panic!("refresh of {t}: {e}")))
                .collect()
        })
        .collect()
}

#[tokio::test]
async fn a_refresh_shares_calls_across_types_and_still_sees_drift() {
    let w = world().await;
    let s = build(&w).await;

    // Everything reads as it does alone, and the calls several types share are made once.
    let expected = alone(&w, &s).await;
    let calls = ApiCalls::record();
    let got = refresh(&w, &s).await;
    let made = calls.take();
    drop(calls);
    for ((t, _), (g, e)) in s.batches.iter().zip(got.iter().zip(&expected)) {
        assert_eq!(g, e, "{t} reads differently in a refresh");
    }
    for op in [
        "DescribeRouteTables",
        "DescribeSecurityGroups",
        "DescribeSecurityGroupRules",
        "GetAccountAuthorizationDetails",
        "ListTaskDefinitions",
    ] {
        assert_eq!(count(&made, op), 1, "{op} in {made:?}");
    }
    assert_eq!(count(&made, "DescribeTaskDefinition"), 0, "{made:?}");
    assert_eq!(count(&made, "GetCallerIdentity"), 0, "{made:?}");
    // Log groups, parameters and task definitions take their tags from one Tagging API sweep (moto pages
    // it by 100 tags); ECR repositories are not in moto's Tagging API, so each is asked directly.
    assert!(count(&made, "GetResources") <= 2, "{made:?}");
    assert_eq!(count(&made, "ListTagsForResource"), 1, "{made:?}");
    assert!(made.len() < expected.iter().map(Vec::len).sum::<usize>(), "{made:?}");

    // Changes made outside: a route and an ingress rule deleted, a revision deregistered, tags added.
    let private = s.get("aws_route_table", 1);
    w.aws
        .ec2()
        .delete_route()
        .route_table_id(id(private))
        .destination_cidr_block("192.168.0.0/16")
        .send()
        .await
        .unwrap();
    let http = s.get("aws_vpc_security_group_ingress_rule", 1);
    w.aws
        .ec2()
        .revoke_security_group_ingress()
        .group_id(http.get_str("security_group_id").unwrap())
        .security_group_rule_ids(id(http))
        .send()
        .await
        .unwrap();
    let worker = s.get("aws_ecs_task_definition", 1);
    w.aws
        .ecs()
        .deregister_task_definition()
        .task_definition(worker.get_str("arn").unwrap())
        .send()
        .await
        .unwrap();
    let api = s.get("aws_ecs_task_definition", 0);
    w.aws
        .ecs()
        .tag_resource()
        .resource_arn(api.get_str("arn").unwrap())
        .tags(aws_sdk_ecs::types::Tag::builder().key("owner").value("ops").build())
        .send()
        .await
        .unwrap();
    let logs_a = s.get("aws_cloudwatch_log_group", 0);
    w.aws
        .logs()
        .tag_resource()
        .resource_arn(logs_a.get_str("arn").unwrap())
        .tags("owner", "ops")
        .send()
        .await
        .unwrap();
    let role = s.get("aws_iam_role", 0);
    w.aws
        .iam()
        .delete_role_policy()
        .role_name(id(role))
        .policy_name("logs")
        .send()
        .await
        .unwrap();

    let got = refresh(&w, &s).await;
    let at = |t: &str, i: usize| {
        let k = s.batches.iter().position(|(x, _)| x == t).unwrap();
        got[k][i].clone()
    };
    assert_eq!(at("aws_route", 0).as_ref(), Some(s.get("aws_route", 0)));
    assert_eq!(at("aws_route", 1), None, "the deleted route is gone");
    let table = at("aws_route_table", 1).unwrap();
    assert!(table.get_list("route").is_empty(), "{table:?}");
    assert!(at("aws_vpc_security_group_ingress_rule", 0).is_some());
    assert_eq!(at("aws_vpc_security_group_ingress_rule", 1), None);
    let ports: Vec<i64> = at("aws_security_group", 0)
        .unwrap()
        .get_list("ingress")
        .iter()
        .filter_map(|r| r.get_i64("from_port"))
        .collect();
    assert_eq!(ports, vec![443]);
    assert_eq!(
        at("aws_ecs_task_definition", 1),
        None,
        "a deregistered revision is gone"
    );
    let api = at("aws_ecs_task_definition", 0).unwrap();
    assert_eq!(
        api.get_string_map("tags_all").get("owner").map(String::as_str),
        Some("ops")
    );
    let logs_a = at("aws_cloudwatch_log_group", 0).unwrap();
    assert_eq!(
        logs_a.get_string_map("tags").get("owner").map(String::as_str),
        Some("ops")
    );
    assert!(
        at("aws_cloudwatch_log_group", 1)
            .unwrap()
            .get_string_map("tags")
            .is_empty()
    );
    assert_eq!(at("aws_iam_role_policy", 0), None, "the deleted inline policy is gone");
    // And each still reads as it does alone.
    for ((t, _), (g, e)) in s.batches.iter().zip(got.iter().zip(&alone(&w, &s).await)) {
        assert_eq!(g, e, "{t} reads differently in a refresh after the changes");
    }
}
