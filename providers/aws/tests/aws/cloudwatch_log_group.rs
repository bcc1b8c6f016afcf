//! `aws_cloudwatch_log_group` against moto.

use crate::common::*;
use infra_provider::{Path, Value};

const T: &str = "aws_cloudwatch_log_group";

fn config(name: &str, days: i64) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("retention_in_days", Value::int(days)),
        ("tags", Value::string_map([("app", "web")])),
    ])
}

async fn cloud_tags(w: &World, arn: &str) -> std::collections::BTreeMap<String, String> {
    w.aws
        .logs()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap_or_default()
        .into_iter()
        .collect()
}

#[tokio::test]
async fn log_group_lifecycle() {
    let w = world().await;
    let a = create(&w, T, "aws_cloudwatch_log_group.a", &config("/ecs/web", 14)).await;
    let b = create(&w, T, "aws_cloudwatch_log_group.b", &config("/ecs/worker", 7)).await;
    let c = create(&w, T, "aws_cloudwatch_log_group.c", &config("/ecs/cron", 30)).await;
    assert_eq!(id(&a), "/ecs/web");
    let arn = a.get_str("arn").unwrap().to_string();
    assert!(arn.ends_with(":log-group:/ecs/web"), "{arn}");
    assert_eq!(a.get_i64("retention_in_days"), Some(14));
    assert_eq!(a.get_str("log_group_class"), Some("STANDARD"));
    assert_eq!(a.get_string_map("tags").get("app").map(String::as_str), Some("web"));
    assert_ownership_tags_hidden(&w, &a, &cloud_tags(&w, &arn).await, "aws_cloudwatch_log_group.a").await;
    assert_no_diff(&w, T, &a, &config("/ecs/web", 14));

    // A refresh reads the groups and their tags in two calls; one deleted out of band.
    w.aws
        .logs()
        .delete_log_group()
        .log_group_name("/ecs/worker")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let batch = [(T.to_string(), vec![c.clone(), b.clone(), a.clone()])];
    let got = w.client.refresh(LINEAGE, &batch).await.pop().unwrap();
    let made = calls.take();
    assert_eq!(
        made,
        vec![
            ("CloudWatch Logs".to_string(), "DescribeLogGroups".to_string()),
            ("Resource Groups Tagging API".to_string(), "GetResources".to_string())
        ]
    );
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // In place: retention (set and removed) and tags.
    let mut cfg2 = config("/ecs/web", 90);
    cfg2.set_attr("tags", Value::string_map([("app", "api"), ("env", "stage")]));
    let a2 = update(&w, T, "aws_cloudwatch_log_group.a", &a, &cfg2).await;
    assert_eq!(a2.get_i64("retention_in_days"), Some(90));
    assert_eq!(a2.get_string_map("tags").get("app").map(String::as_str), Some("api"));
    assert_eq!(cloud_tags(&w, &arn).await.get("env").map(String::as_str), Some("stage"));
    assert_no_diff(&w, T, &a2, &cfg2);
    let mut cfg3 = cfg2.clone();
    cfg3.set_attr("retention_in_days", Value::Null);
    let a3 = update(&w, T, "aws_cloudwatch_log_group.a", &a2, &cfg3).await;
    assert_eq!(a3.get_i64("retention_in_days"), Some(0));

    // A new name replaces it; invalid retention is refused at plan time.
    let (_, replace) = plan(&w, T, Some(&a3), &config("/ecs/other", 0)).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);
    assert!(plan(&w, T, None, &config("/ecs/bad", 2)).is_err());

    let imported = w.client.import(T, "/ecs/cron").await.unwrap().unwrap();
    assert_eq!(imported.get_i64("retention_in_days"), Some(30));
    assert_eq!(
        imported.get_string_map("tags").get("app").map(String::as_str),
        Some("web")
    );

    w.client
        .delete(&ctx("aws_cloudwatch_log_group.a"), T, &a3)
        .await
        .unwrap();
    assert_eq!(read(&w, T, &a3).await, None);
    w.client
        .delete(&ctx("aws_cloudwatch_log_group.a"), T, &a3)
        .await
        .unwrap();

    // skip_destroy leaves the group in place.
    let kept = c.clone().with("skip_destroy", Value::Bool(true));
    w.client
        .delete(&ctx("aws_cloudwatch_log_group.c"), T, &kept)
        .await
        .unwrap();
    assert!(read(&w, T, &c).await.is_some());
}

#[tokio::test]
async fn log_group_name_prefix_and_find_created() {
    let w = world().await;
    let cfg = Value::map([("name_prefix", Value::from("/app/"))]);
    let (planned, _) = plan(&w, T, None, &cfg).unwrap();
    let x = ctx("aws_cloudwatch_log_group.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert!(id(&made).starts_with("/app/"), "{made:?}");
    assert_eq!(made.get_str("name_prefix"), Some("/app/"));
    assert_no_diff(&w, T, &made, &cfg);
    assert_eq!(
        w.client.find_created(&x, T, &planned).await.unwrap().as_ref(),
        Some(&made)
    );
    // A group of the same name that is not ours is not adopted.
    let named = config("/taken", 0);
    w.aws
        .logs()
        .create_log_group()
        .log_group_name("/taken")
        .send()
        .await
        .unwrap();
    let (planned, _) = plan(&w, T, None, &named).unwrap();
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let e = w.client.create(&x, T, &planned).await.unwrap_err();
    assert_eq!(e.code.as_deref(), Some("ResourceAlreadyExistsException"), "{e}");
}
