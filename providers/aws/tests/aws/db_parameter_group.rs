//! `aws_db_parameter_group` against moto.

use crate::common::*;
use infra_provider::{Path, Value};

const T: &str = "aws_db_parameter_group";

fn param(name: &str, value: &str) -> Value {
    Value::map([("name", Value::from(name)), ("value", Value::from(value))])
}

fn config(name: &str, params: Vec<Value>) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("family", Value::from("postgres16")),
        ("parameter", Value::List(params)),
        ("tags", Value::string_map([("env", "stage")])),
    ])
}

#[tokio::test]
async fn db_parameter_group_lifecycle() {
    let w = world().await;
    let cfg = config(
        "pg",
        vec![param("log_min_duration_statement", "500"), param("work_mem", "8192")],
    );
    let a = create(&w, T, "aws_db_parameter_group.a", &cfg).await;
    let b = create(&w, T, "aws_db_parameter_group.b", &config("pg-b", vec![])).await;
    let c = create(
        &w,
        T,
        "aws_db_parameter_group.c",
        &config("pg-c", vec![param("work_mem", "4096")]),
    )
    .await;
    assert_eq!(id(&a), "pg");
    assert_eq!(a.get_str("family"), Some("postgres16"));
    assert!(a.get_str("arn").unwrap().ends_with(":pg:pg"), "{a:?}");
    assert_eq!(a.get_list("parameter").len(), 2);
    let cloud: std::collections::BTreeMap<String, String> =
        infra_aws::rds::list_tags(&w.aws, a.get_str("arn").unwrap())
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_ownership_tags_hidden(&w, &a, &cloud, "aws_db_parameter_group.a").await;
    assert_no_diff(&w, T, &a, &cfg);

    // Batched read: one listing; parameters and tags per group found. One deleted out of band.
    w.aws
        .rds()
        .delete_db_parameter_group()
        .db_parameter_group_name("pg-b")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[c.clone(), b.clone(), a.clone()]).await;
    let made = calls.take();
    assert_eq!(
        made.iter().filter(|(_, op)| op == "DescribeDBParameterGroups").count(),
        1,
        "{made:?}"
    );
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // Parameter values and new parameters change in place.
    let cfg2 = config(
        "pg",
        vec![
            param("log_min_duration_statement", "1000"),
            param("work_mem", "8192"),
            Value::map([
                ("name", Value::from("shared_preload_libraries")),
                ("value", Value::from("pg_stat_statements")),
                ("apply_method", Value::from("pending-reboot")),
            ]),
        ],
    );
    let a2 = update(&w, T, "aws_db_parameter_group.a", &a, &cfg2).await;
    let values: std::collections::BTreeMap<String, String> = a2
        .get_list("parameter")
        .iter()
        .map(|p| {
            (
                p.get_str("name").unwrap().to_string(),
                p.get_str("value").unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        values.get("log_min_duration_statement").map(String::as_str),
        Some("1000")
    );
    assert_eq!(values.len(), 3);
    assert_no_diff(&w, T, &a2, &cfg2);

    // Family and name replace it; a bad apply method is refused at plan time.
    let (_, replace) = plan(
        &w,
        T,
        Some(&a2),
        &cfg2.clone().with("family", Value::from("postgres17")),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("family")]);
    let bad = config(
        "pg",
        vec![Value::map([
            ("name", Value::from("work_mem")),
            ("value", Value::from("1")),
            ("apply_method", Value::from("later")),
        ])],
    );
    assert!(plan(&w, T, None, &bad).is_err());

    let imported = w.client.import(T, "pg-c").await.unwrap().unwrap();
    assert_eq!(imported.get_list("parameter").len(), 1);

    w.client.delete(&ctx("aws_db_parameter_group.a"), T, &a2).await.unwrap();
    assert_eq!(read(&w, T, &a2).await, None);
    w.client.delete(&ctx("aws_db_parameter_group.a"), T, &a2).await.unwrap();
}

#[tokio::test]
async fn db_parameter_group_find_created() {
    let w = world().await;
    let cfg = Value::map([("family", Value::from("postgres16"))]);
    let (planned, _) = plan(&w, T, None, &cfg).unwrap();
    let x = ctx("aws_db_parameter_group.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert!(id(&made).starts_with("terraform-"));
    assert_eq!(
        w.client.find_created(&x, T, &planned).await.unwrap().as_ref(),
        Some(&made)
    );
    assert!(
        w.client
            .find_created(&ctx("aws_db_parameter_group.y"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );
}
