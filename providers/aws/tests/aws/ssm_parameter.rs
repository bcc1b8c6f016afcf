use crate::common::*;
use infra_provider::{Path, Value};

fn cfg(name: &str, ty: &str, value: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("type", Value::from(ty)),
        ("value", Value::from(value)),
    ])
}

#[tokio::test]
async fn ssm_parameter_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage")])]).await;
    let mut db = cfg("/app/db/password", "SecureString", "hunter2");
    db.set_attr("description", Value::from("database password"));
    db.set_attr("tags", Value::string_map([("Name", "db")]));
    let p1 = create(&w, "aws_ssm_parameter", "aws_ssm_parameter.db", &db).await;
    assert_eq!(id(&p1), "/app/db/password");
    assert_eq!(p1.get_str("value"), Some("hunter2"), "read back decrypted");
    assert_eq!(p1.get("insecure_value"), Some(&Value::Null));
    assert_eq!(p1.get_i64("version"), Some(1));
    assert_eq!(p1.get_str("type"), Some("SecureString"));
    assert_eq!(p1.get_str("tier"), Some("Standard"));
    assert_eq!(p1.get_str("description"), Some("database password"));
    assert!(
        p1.get_str("arn").unwrap().ends_with("parameter/app/db/password"),
        "{:?}",
        p1.get("arn")
    );
    assert_eq!(
        p1.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_no_diff(&w, "aws_ssm_parameter", &p1, &db);

    // Ownership tags are on the parameter, not in the returned tags.
    let cloud: std::collections::BTreeMap<String, String> = w
        .aws
        .ssm()
        .list_tags_for_resource()
        .resource_type(aws_sdk_ssm::types::ResourceTypeForTagging::Parameter)
        .resource_id("/app/db/password")
        .send()
        .await
        .unwrap()
        .tag_list()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert_ownership_tags_hidden(&w, &p1, &cloud, "aws_ssm_parameter.db").await;

    let mut plain = Value::map([
        ("name", Value::from("plain")),
        ("type", Value::from("String")),
        ("insecure_value", Value::from("visible")),
    ]);
    let p2 = create(&w, "aws_ssm_parameter", "aws_ssm_parameter.plain", &plain).await;
    assert_eq!(p2.get_str("insecure_value"), Some("visible"));
    assert_eq!(p2.get("value"), Some(&Value::Null));
    assert_no_diff(&w, "aws_ssm_parameter", &p2, &plain);
    let list = create(
        &w,
        "aws_ssm_parameter",
        "aws_ssm_parameter.list",
        &cfg("/app/hosts", "StringList", "a,b"),
    )
    .await;
    let gone = create(
        &w,
        "aws_ssm_parameter",
        "aws_ssm_parameter.gone",
        &cfg("/app/gone", "String", "x"),
    )
    .await;

    // Batched read: one deleted out of band; order kept.
    w.aws.ssm().delete_parameter().name("/app/gone").send().await.unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read(
            "aws_ssm_parameter",
            &[list.clone(), gone.clone(), p1.clone(), p2.clone()],
        )
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&list));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&p1));
    assert_eq!(got[3].as_ref().unwrap().as_ref(), Some(&p2));
    let count = |op: &str| made.iter().filter(|(_, o)| o == op).count();
    assert_eq!(count("GetParameters"), 1, "{made:?}");
    assert_eq!(count("DescribeParameters"), 1, "{made:?}");
    assert_eq!(count("ListTagsForResource"), 0, "{made:?}");
    assert_eq!(count("GetResources"), 1, "tags of all parameters in one call: {made:?}");

    // A new value is an in-place update that makes `version` unknown in the plan.
    let mut db2 = db.clone();
    db2.set_attr("value", Value::from("correct horse"));
    let (planned, replace) = plan(&w, "aws_ssm_parameter", Some(&p1), &db2).unwrap();
    assert!(replace.is_empty());
    assert!(planned.get("version").unwrap().is_unknown());
    // Tags alone do not touch the version.
    let mut retag = db.clone();
    retag.set_attr("tags", Value::string_map([("Name", "db"), ("owner", "ops")]));
    let (planned_tags, _) = plan(&w, "aws_ssm_parameter", Some(&p1), &retag).unwrap();
    assert_eq!(planned_tags.get_i64("version"), Some(1));
    let p1b = update(&w, "aws_ssm_parameter", "aws_ssm_parameter.db", &p1, &db2).await;
    assert_eq!(p1b.get_str("value"), Some("correct horse"));
    assert_eq!(p1b.get_i64("version"), Some(2));
    assert_eq!(read(&w, "aws_ssm_parameter", &p1b).await.as_ref(), Some(&p1b));
    let p1c = update(&w, "aws_ssm_parameter", "aws_ssm_parameter.db", &p1b, &{
        let mut c = db2.clone();
        c.set_attr("tags", Value::string_map([("owner", "ops")]));
        c
    })
    .await;
    assert_eq!(p1c.get_i64("version"), Some(2));
    assert_eq!(p1c.get_string_map("tags").keys().collect::<Vec<_>>(), vec!["owner"]);

    // Renaming replaces; Advanced → Standard replaces.
    let (_, replace) = plan(
        &w,
        "aws_ssm_parameter",
        Some(&p1c),
        &cfg("/app/db/other", "SecureString", "x"),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);
    let mut advanced = p1c.clone();
    advanced.set_attr("tier", Value::from("Advanced"));
    let mut standard = db2.clone();
    standard.set_attr("tier", Value::from("Standard"));
    let (_, replace) = plan(&w, "aws_ssm_parameter", Some(&advanced), &standard).unwrap();
    assert!(replace.contains(&Path::attr("tier")), "{replace:?}");
    // value and insecure_value together are refused.
    plain.set_attr("value", Value::from("both"));
    assert!(plan(&w, "aws_ssm_parameter", None, &plain).is_err());

    let imported = w
        .client
        .import("aws_ssm_parameter", "/app/db/password")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.get_str("value"), Some("correct horse"));
    let by_arn = w
        .client
        .import("aws_ssm_parameter", p1.get_str("arn").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_arn.get_str("name"), Some("/app/db/password"));

    w.client
        .delete(&ctx("aws_ssm_parameter.db"), "aws_ssm_parameter", &p1c)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_ssm_parameter", &p1c).await, None);
    w.client
        .delete(&ctx("aws_ssm_parameter.db"), "aws_ssm_parameter", &p1c)
        .await
        .unwrap();
}

#[tokio::test]
async fn ssm_parameter_find_created_and_errors() {
    let w = world().await;
    let c = cfg("/svc/token", "SecureString", "s3cr3t-token-value");
    let (planned, _) = plan(&w, "aws_ssm_parameter", None, &c).unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_ssm_parameter.t"), "aws_ssm_parameter", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w
        .client
        .create(&ctx("aws_ssm_parameter.t"), "aws_ssm_parameter", &planned)
        .await
        .unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_ssm_parameter.t"), "aws_ssm_parameter", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&made));
    // Someone else's parameter of that name is not adopted.
    assert!(
        w.client
            .find_created(&ctx("aws_ssm_parameter.other"), "aws_ssm_parameter", &planned)
            .await
            .unwrap()
            .is_none()
    );
    // Creating it again fails with the AWS code, and the secret value is nowhere in the error.
    let e = w
        .client
        .create(&ctx("aws_ssm_parameter.t"), "aws_ssm_parameter", &planned)
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("ParameterAlreadyExists"), "{e}");
    assert!(!e.to_string().contains("s3cr3t"), "{e}");
}

/// A parameter's value, decrypted, straight from the SDK.
async fn cloud_value(w: &World, name: &str) -> (String, i64) {
    let out = w
        .aws
        .ssm()
        .get_parameter()
        .name(name)
        .with_decryption(true)
        .send()
        .await
        .unwrap();
    let p = out.parameter().unwrap();
    (p.value().unwrap().to_string(), p.version())
}

#[tokio::test]
async fn ssm_parameter_write_only_value() {
    let w = world().await;
    let t = "aws_ssm_parameter";
    let schema = schema_of(&w, t);
    let wo = &schema.block.attributes["value_wo"];
    assert!(wo.write_only && wo.sensitive);
    assert_eq!(wo.conflicts_with, &["insecure_value", "value"]);
    assert!(
        !schema.block.attributes["value_wo_version"].force_new,
        "a new version updates in place"
    );
    let cfg = |value: &str, version: i64| {
        Value::map([
            ("name", Value::from("/app/api/key")),
            ("type", Value::from("SecureString")),
            ("value_wo", Value::from(value)),
            ("value_wo_version", Value::int(version)),
        ])
    };

    // The rules: exactly one of value, insecure_value, value_wo; value_wo and its version together.
    let invalid = |c: &Value| w.provider.validate_resource(t, c);
    assert!(invalid(&cfg("k1", 1)).is_empty());
    let only_wo = cfg("k1", 1).with("value_wo_version", Value::Null);
    assert_eq!(invalid(&only_wo)[0].attribute.as_deref(), Some("value_wo"));
    let none = cfg("k1", 1).with("value_wo", Value::Null);
    let found = invalid(&none);
    assert!(
        found
            .iter()
            .any(|i| i.attribute.is_none() && i.message.contains("value_wo")),
        "{found:?}"
    );
    assert!(
        found.iter().any(|i| i.attribute.as_deref() == Some("value_wo_version")),
        "{found:?}"
    );
    let both = cfg("k1", 1).with("value", Value::from("plain"));
    assert!(!invalid(&both).is_empty());
    for bad in [
        only_wo,
        none,
        both,
        cfg("k1", 1).with("insecure_value", Value::from("x")),
    ] {
        let e = plan(&w, t, None, &bad).unwrap_err();
        assert_eq!(e.kind, infra_provider::ErrorKind::Invalid, "{e}");
    }

    // Create: the parameter holds the write-only value; the object shows it nowhere.
    let p1 = create(&w, t, "aws_ssm_parameter.key", &cfg("k1-s3cr3t", 1)).await;
    assert_eq!(cloud_value(&w, "/app/api/key").await, ("k1-s3cr3t".to_string(), 1));
    assert_eq!(p1.get("value_wo"), Some(&Value::Null));
    assert_eq!(p1.get("value"), Some(&Value::Null), "write-only: not read back");
    assert_eq!(p1.get("insecure_value"), Some(&Value::Null));
    assert_eq!(p1.get_i64("value_wo_version"), Some(1));
    assert_eq!(p1.get_i64("version"), Some(1));
    assert!(!format!("{p1:?}").contains("k1-s3cr3t"));
    // A refresh (batched) keeps it so and plans nothing.
    let got = w.client.read(t, std::slice::from_ref(&p1)).await;
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&p1));
    assert_no_diff_write_only(&w, t, &p1, &cfg("k1-s3cr3t", 1));

    // A new version number overwrites the value in place and bumps the parameter's version.
    let (planned, replace) = plan_as_engine(&w, t, &p1, &cfg("k2-s3cr3t", 2));
    assert!(replace.is_empty(), "{replace:?}");
    assert!(planned.get("version").unwrap().is_unknown());
    assert_eq!(planned.get("value"), Some(&Value::Null));
    let p2 = update(&w, t, "aws_ssm_parameter.key", &p1, &cfg("k2-s3cr3t", 2)).await;
    assert_eq!(cloud_value(&w, "/app/api/key").await, ("k2-s3cr3t".to_string(), 2));
    assert_eq!(p2.get_i64("version"), Some(2));
    assert_eq!(p2.get_i64("value_wo_version"), Some(2));
    assert_eq!(p2.get("value_wo"), Some(&Value::Null));
    assert_eq!(p2.get("value"), Some(&Value::Null));
    // Another change that rewrites the parameter sends the write-only value again, not an empty one.
    let described = cfg("k2-s3cr3t", 2).with("description", Value::from("api key"));
    let p3 = update(&w, t, "aws_ssm_parameter.key", &p2, &described).await;
    assert_eq!(p3.get_str("description"), Some("api key"));
    assert_eq!(cloud_value(&w, "/app/api/key").await, ("k2-s3cr3t".to_string(), 3));
    assert_eq!(p3.get("value"), Some(&Value::Null));
    // The same version number with another value changes nothing: Terraform cannot see the value.
    let (_, replace) = plan_as_engine(&w, t, &p3, &described.clone().with("value_wo", Value::from("k3")));
    assert!(replace.is_empty());
    assert_no_diff_write_only(&w, t, &p3, &described.with("value_wo", Value::from("k3")));

    // The ephemeral type reads it by ARN.
    let opened = w
        .client
        .open_ephemeral(t, &Value::map([("arn", Value::from(p3.get_str("arn").unwrap()))]))
        .await
        .unwrap();
    assert_eq!(opened.get_str("value"), Some("k2-s3cr3t"));
    assert_eq!(opened.get_i64("version"), Some(3));
}
