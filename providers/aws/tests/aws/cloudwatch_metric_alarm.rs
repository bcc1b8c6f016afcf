//! `aws_cloudwatch_metric_alarm` against moto.

use crate::common::*;
use infra_provider::{Path, Value};
use std::collections::BTreeMap;

const T: &str = "aws_cloudwatch_metric_alarm";
const TOPIC: &str = "arn:aws:sns:us-east-1:123456789012:alerts";

fn config(name: &str, threshold: i64) -> Value {
    Value::map([
        ("alarm_name", Value::from(name)),
        ("comparison_operator", Value::from("GreaterThanOrEqualToThreshold")),
        ("evaluation_periods", Value::int(2)),
        ("metric_name", Value::from("CPUUtilization")),
        ("namespace", Value::from("AWS/ECS")),
        ("period", Value::int(60)),
        ("statistic", Value::from("Average")),
        ("threshold", Value::int(threshold)),
        ("alarm_description", Value::from("CPU is high")),
        ("alarm_actions", Value::string_set([TOPIC])),
        (
            "dimensions",
            Value::string_map([("ClusterName", "stage"), ("ServiceName", "web")]),
        ),
        ("tags", Value::string_map([("team", "web")])),
    ])
}

async fn cloud_tags(w: &World, arn: &str) -> BTreeMap<String, String> {
    w.aws
        .cloudwatch()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect()
}

#[tokio::test]
async fn metric_alarm_lifecycle() {
    let w = world().await;
    let cfg = config("web-cpu", 80);
    let a = create(&w, T, "aws_cloudwatch_metric_alarm.cpu", &cfg).await;
    assert_eq!(id(&a), "web-cpu");
    let arn = a.get_str("arn").unwrap().to_string();
    assert!(arn.ends_with(":alarm:web-cpu"), "{arn}");
    assert_eq!(a.get_f64("threshold"), Some(80.0));
    assert_eq!(a.get_str("treat_missing_data"), Some("missing"));
    assert_eq!(a.get_bool("actions_enabled"), Some(true));
    assert_eq!(a.get("alarm_actions"), Some(&Value::string_set([TOPIC])));
    assert_eq!(
        a.get_string_map("dimensions").get("ServiceName").map(String::as_str),
        Some("web")
    );
    assert_ownership_tags_hidden(&w, &a, &cloud_tags(&w, &arn).await, "aws_cloudwatch_metric_alarm.cpu").await;
    assert_no_diff(&w, T, &a, &cfg);

    // In place: threshold, periods, missing data, actions, tags (the tags survive PutMetricAlarm).
    let mut cfg2 = config("web-cpu", 90);
    cfg2.set_attr("evaluation_periods", Value::int(3));
    cfg2.set_attr("datapoints_to_alarm", Value::int(2));
    cfg2.set_attr("treat_missing_data", Value::from("notBreaching"));
    cfg2.set_attr("ok_actions", Value::string_set([TOPIC]));
    cfg2.set_attr("tags", Value::string_map([("team", "web"), ("env", "stage")]));
    let a2 = update(&w, T, "aws_cloudwatch_metric_alarm.cpu", &a, &cfg2).await;
    assert_eq!(a2.get_f64("threshold"), Some(90.0));
    assert_eq!(a2.get_i64("evaluation_periods"), Some(3));
    assert_eq!(a2.get_i64("datapoints_to_alarm"), Some(2));
    assert_eq!(a2.get_str("treat_missing_data"), Some("notBreaching"));
    assert_eq!(a2.get("ok_actions"), Some(&Value::string_set([TOPIC])));
    let tags = cloud_tags(&w, &arn).await;
    assert_eq!(tags.get("env").map(String::as_str), Some("stage"));
    assert!(tags.contains_key(infra_provider::TAG_ADDRESS), "{tags:?}");
    assert_eq!(read(&w, T, &a2).await.as_ref(), Some(&a2));
    assert_no_diff(&w, T, &a2, &cfg2);

    // A new name replaces it; statistic and extended_statistic conflict; bad enums fail at plan.
    let (_, replace) = plan(&w, T, Some(&a2), &config("web-cpu-2", 90)).unwrap();
    assert_eq!(replace, vec![Path::attr("alarm_name")]);
    let mut both = cfg.clone();
    both.set_attr("extended_statistic", Value::from("p99"));
    assert!(plan(&w, T, None, &both).is_err());
    let mut bad = cfg.clone();
    bad.set_attr("comparison_operator", Value::from("Bigger"));
    assert!(plan(&w, T, None, &bad).is_err());

    // Batched read in a refresh: one DescribeAlarms for all, tags from the shared sweep; one deleted
    // out of band reads as gone.
    let b = create(&w, T, "aws_cloudwatch_metric_alarm.b", &config("b-cpu", 50)).await;
    let gone = create(&w, T, "aws_cloudwatch_metric_alarm.gone", &config("gone-cpu", 50)).await;
    w.aws
        .cloudwatch()
        .delete_alarms()
        .alarm_names("gone-cpu")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let batch = [(T.to_string(), vec![b.clone(), gone.clone(), a2.clone()])];
    let got = w.client.refresh(LINEAGE, &batch).await.pop().unwrap();
    let made: Vec<String> = calls.take().into_iter().map(|(_, op)| op).collect();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&b));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a2));
    assert_eq!(made, vec!["DescribeAlarms".to_string(), "GetResources".to_string()]);

    // Import by name; find_created by name and ownership tags.
    let imported = w.client.import(T, "web-cpu").await.unwrap().unwrap();
    assert_eq!(
        imported.get_string_map("tags").get("env").map(String::as_str),
        Some("stage")
    );
    assert_no_diff(&w, T, &imported, &cfg2);
    let (planned, _) = plan(&w, T, None, &cfg).unwrap();
    let x = ctx("aws_cloudwatch_metric_alarm.cpu");
    assert_eq!(
        w.client
            .find_created(&x, T, &planned)
            .await
            .unwrap()
            .as_ref()
            .map(id)
            .as_deref(),
        Some("web-cpu")
    );
    assert!(
        w.client
            .find_created(&ctx("aws_cloudwatch_metric_alarm.z"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );

    w.client.delete(&x, T, &a2).await.unwrap();
    assert_eq!(read(&w, T, &a2).await, None);
    w.client.delete(&x, T, &a2).await.unwrap();
}
