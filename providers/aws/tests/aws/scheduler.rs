//! `aws_scheduler_schedule_group` and `aws_scheduler_schedule` against moto.

use crate::common::*;
use infra_provider::{Path, Value};
use std::collections::BTreeMap;

const GROUP: &str = "aws_scheduler_schedule_group";
const SCHEDULE: &str = "aws_scheduler_schedule";
const ROLE: &str = "arn:aws:iam::123456789012:role/scheduler";
const CLUSTER: &str = "arn:aws:ecs:us-east-1:123456789012:cluster/stage";
const TASK: &str = "arn:aws:ecs:us-east-1:123456789012:task-definition/cron:1";

async fn cloud_tags(w: &World, arn: &str) -> BTreeMap<String, String> {
    w.aws
        .scheduler()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

fn group_config(name: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("tags", Value::string_map([("team", "ops")])),
    ])
}

#[tokio::test]
async fn schedule_group_lifecycle() {
    let w = world().await;
    let cfg = group_config("jobs");
    let g = create(&w, GROUP, "aws_scheduler_schedule_group.jobs", &cfg).await;
    assert_eq!(id(&g), "jobs");
    let arn = g.get_str("arn").unwrap().to_string();
    assert!(arn.ends_with(":schedule-group/jobs"), "{arn}");
    assert_eq!(g.get_str("state"), Some("ACTIVE"));
    assert!(g.get_str("creation_date").is_some_and(|d| d.ends_with('Z')), "{g:?}");
    assert_ownership_tags_hidden(&w, &g, &cloud_tags(&w, &arn).await, "aws_scheduler_schedule_group.jobs").await;
    assert_no_diff(&w, GROUP, &g, &cfg);

    // Tags change in place; a new name replaces the group.
    let mut cfg2 = cfg.clone();
    cfg2.set_attr("tags", Value::string_map([("team", "web"), ("env", "stage")]));
    let g2 = update(&w, GROUP, "aws_scheduler_schedule_group.jobs", &g, &cfg2).await;
    assert_eq!(g2.get_string_map("tags").get("env").map(String::as_str), Some("stage"));
    assert_eq!(cloud_tags(&w, &arn).await.get("team").map(String::as_str), Some("web"));
    assert_no_diff(&w, GROUP, &g2, &cfg2);
    let (_, replace) = plan(&w, GROUP, Some(&g2), &group_config("other")).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);
    assert!(plan(&w, GROUP, None, &group_config("bad name")).is_err());

    // name_prefix, and find_created by name and ownership tags.
    let pcfg = Value::map([("name_prefix", Value::from("batch-"))]);
    let (planned, _) = plan(&w, GROUP, None, &pcfg).unwrap();
    let x = ctx("aws_scheduler_schedule_group.x");
    assert!(w.client.find_created(&x, GROUP, &planned).await.unwrap().is_none());
    let p = w.client.create(&x, GROUP, &planned).await.unwrap();
    assert!(id(&p).starts_with("batch-"), "{p:?}");
    assert_eq!(p.get_str("name_prefix"), Some("batch-"));
    assert_no_diff(&w, GROUP, &p, &pcfg);
    assert_eq!(
        w.client.find_created(&x, GROUP, &planned).await.unwrap().as_ref(),
        Some(&p)
    );
    assert!(
        w.client
            .find_created(&ctx("aws_scheduler_schedule_group.y"), GROUP, &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Batched read: one listing plus each group's tags; one deleted out of band reads as gone.
    let gone = create(&w, GROUP, "aws_scheduler_schedule_group.gone", &group_config("gone")).await;
    w.aws
        .scheduler()
        .delete_schedule_group()
        .name("gone")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let batch = [(GROUP.to_string(), vec![p.clone(), gone.clone(), g2.clone()])];
    let got = w.client.refresh(LINEAGE, &batch).await.pop().unwrap();
    let made: Vec<String> = calls.take().into_iter().map(|(_, op)| op).collect();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&p));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&g2));
    assert_eq!(
        made.iter().filter(|o| *o == "ListScheduleGroups").count(),
        1,
        "{made:?}"
    );
    assert!(!made.iter().any(|o| o == "GetScheduleGroup"), "{made:?}");

    let imported = w.client.import(GROUP, "jobs").await.unwrap().unwrap();
    assert_eq!(imported.get_str("arn"), Some(arn.as_str()));
    assert_no_diff(&w, GROUP, &imported, &cfg2);

    let d = ctx("aws_scheduler_schedule_group.jobs");
    w.client.delete(&d, GROUP, &g2).await.unwrap();
    assert_eq!(read(&w, GROUP, &g2).await, None);
    w.client.delete(&d, GROUP, &g2).await.unwrap();
}

fn schedule_config(name: &str, group: &str, expression: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("group_name", Value::from(group)),
        ("description", Value::from("nightly report")),
        ("schedule_expression", Value::from(expression)),
        ("start_date", Value::from("2030-01-01T00:00:00Z")),
        (
            "flexible_time_window",
            Value::List(vec![Value::map([
                ("mode", Value::from("FLEXIBLE")),
                ("maximum_window_in_minutes", Value::int(15)),
            ])]),
        ),
        (
            "target",
            Value::List(vec![Value::map([
                ("arn", Value::from(CLUSTER)),
                ("role_arn", Value::from(ROLE)),
                ("input", Value::from(r#"{"job":"report"}"#)),
                (
                    "ecs_parameters",
                    Value::List(vec![Value::map([
                        ("task_definition_arn", Value::from(TASK)),
                        ("launch_type", Value::from("FARGATE")),
                        ("task_count", Value::int(2)),
                        ("platform_version", Value::from("LATEST")),
                        (
                            "network_configuration",
                            Value::List(vec![Value::map([
                                ("subnets", Value::string_set(["subnet-1", "subnet-2"])),
                                ("security_groups", Value::string_set(["sg-1"])),
                            ])]),
                        ),
                    ])]),
                ),
                (
                    "dead_letter_config",
                    Value::List(vec![Value::map([(
                        "arn",
                        Value::from("arn:aws:sqs:us-east-1:123456789012:dlq"),
                    )])]),
                ),
            ])]),
        ),
    ])
}

#[tokio::test]
async fn schedule_lifecycle() {
    let w = world().await;
    create(&w, GROUP, "aws_scheduler_schedule_group.jobs", &group_config("jobs")).await;
    let cfg = schedule_config("report", "jobs", "cron(0 3 * * ? *)");
    let s1 = create(&w, SCHEDULE, "aws_scheduler_schedule.report", &cfg).await;
    assert_eq!(id(&s1), "jobs/report");
    assert!(s1.get_str("arn").unwrap().ends_with(":schedule/jobs/report"), "{s1:?}");
    assert_eq!(s1.get_str("state"), Some("ENABLED"));
    assert_eq!(s1.get_str("schedule_expression_timezone"), Some("UTC"));
    assert_eq!(s1.get_str("start_date"), Some("2030-01-01T00:00:00Z"));
    let t = s1.get_block("target").unwrap();
    assert_eq!(t.get_str("input"), Some(r#"{"job":"report"}"#));
    let ecs = t.get_block("ecs_parameters").unwrap();
    assert_eq!(ecs.get_i64("task_count"), Some(2));
    // Unset, as Terraform stores them: false (so a state taken over from Terraform plans no change).
    assert_eq!(ecs.get_bool("enable_ecs_managed_tags"), Some(false));
    assert_eq!(ecs.get_bool("enable_execute_command"), Some(false));
    assert_eq!(
        ecs.get_block("network_configuration").unwrap().get("subnets"),
        Some(&Value::string_set(["subnet-1", "subnet-2"]))
    );
    // No retry_policy configured: the API's defaults are read back.
    let retry = t.get_block("retry_policy").unwrap();
    assert_eq!(retry.get_i64("maximum_retry_attempts"), Some(185));
    assert_eq!(retry.get_i64("maximum_event_age_in_seconds"), Some(86400));
    assert_no_diff(&w, SCHEDULE, &s1, &cfg);

    // In place: expression, state, window, task count, retry policy.
    let mut cfg2 = schedule_config("report", "jobs", "rate(6 hours)");
    cfg2.set_attr("state", Value::from("DISABLED"));
    cfg2.set_attr(
        "flexible_time_window",
        Value::List(vec![Value::map([("mode", Value::from("OFF"))])]),
    );
    let mut target = cfg2.get_block("target").unwrap().clone();
    let mut ecs2 = target.get_block("ecs_parameters").unwrap().clone();
    ecs2.set_attr("task_count", Value::int(3));
    target.set_attr("ecs_parameters", Value::List(vec![ecs2]));
    target.set_attr(
        "retry_policy",
        Value::List(vec![Value::map([
            ("maximum_retry_attempts", Value::int(3)),
            ("maximum_event_age_in_seconds", Value::int(600)),
        ])]),
    );
    cfg2.set_attr("target", Value::List(vec![target]));
    let s2 = update(&w, SCHEDULE, "aws_scheduler_schedule.report", &s1, &cfg2).await;
    assert_eq!(s2.get_str("schedule_expression"), Some("rate(6 hours)"));
    assert_eq!(s2.get_str("state"), Some("DISABLED"));
    let t2 = s2.get_block("target").unwrap();
    assert_eq!(
        t2.get_block("retry_policy").unwrap().get_i64("maximum_retry_attempts"),
        Some(3)
    );
    assert_eq!(t2.get_block("ecs_parameters").unwrap().get_i64("task_count"), Some(3));
    let cloud = w
        .aws
        .scheduler()
        .get_schedule()
        .group_name("jobs")
        .name("report")
        .send()
        .await
        .unwrap();
    assert_eq!(cloud.state().map(|s| s.as_str()), Some("DISABLED"));
    assert_eq!(read(&w, SCHEDULE, &s2).await.as_ref(), Some(&s2));
    assert_no_diff(&w, SCHEDULE, &s2, &cfg2);

    // Name and group force a new schedule.
    for (k, v) in [("name", "report2"), ("group_name", "default")] {
        let mut c = cfg2.clone();
        c.set_attr(k, Value::from(v));
        let (_, replace) = plan(&w, SCHEDULE, Some(&s2), &c).unwrap();
        assert_eq!(replace, vec![Path::attr(k)], "{k}");
    }
    // Plan-time checks.
    let mut bad = cfg2.clone();
    bad.set_attr("start_date", Value::from("tomorrow"));
    assert!(plan(&w, SCHEDULE, None, &bad).is_err());

    // Import (GROUP/NAME) and find_created.
    let imported = w.client.import(SCHEDULE, "jobs/report").await.unwrap().unwrap();
    assert_eq!(imported, s2);
    assert!(w.client.import(SCHEDULE, "report").await.is_err());
    let (planned, _) = plan(&w, SCHEDULE, None, &cfg2).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_scheduler_schedule.report"), SCHEDULE, &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id).as_deref(), Some("jobs/report"));
    let (other, _) = plan(&w, SCHEDULE, None, &schedule_config("report", "jobs", "rate(1 day)")).unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_scheduler_schedule.report"), SCHEDULE, &other)
            .await
            .unwrap()
            .is_none()
    );

    // In the default group when none is given.
    let mut dflt = schedule_config("ping", "x", "rate(5 minutes)");
    dflt.set_attr("group_name", Value::Null);
    let p = create(&w, SCHEDULE, "aws_scheduler_schedule.ping", &dflt).await;
    assert_eq!(id(&p), "default/ping");
    assert_no_diff(&w, SCHEDULE, &p, &dflt);

    let d = ctx("aws_scheduler_schedule.report");
    w.client.delete(&d, SCHEDULE, &s2).await.unwrap();
    assert_eq!(read(&w, SCHEDULE, &s2).await, None);
    w.client.delete(&d, SCHEDULE, &s2).await.unwrap();
}
