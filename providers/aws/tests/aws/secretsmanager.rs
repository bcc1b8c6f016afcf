use crate::common::*;
use infra_provider::{Path, Value};

#[tokio::test]
async fn secret_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage")])]).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"secretsmanager:GetSecretValue","Resource":"*"}]}"#;
    let cfg = Value::map([
        ("name", Value::from("app/db")),
        ("description", Value::from("database credentials")),
        ("recovery_window_in_days", Value::int(0)),
        ("policy", Value::from(policy)),
        ("tags", Value::string_map([("Name", "db")])),
    ]);
    let s1 = create(&w, "aws_secretsmanager_secret", "aws_secretsmanager_secret.db", &cfg).await;
    let arn = id(&s1);
    assert!(
        arn.starts_with("arn:aws:secretsmanager:us-east-1:") && arn.contains(":secret:app/db-"),
        "{arn}"
    );
    assert_eq!(s1.get_str("arn"), Some(arn.as_str()));
    assert_eq!(s1.get_str("name"), Some("app/db"));
    assert_eq!(s1.get_str("description"), Some("database credentials"));
    assert_eq!(s1.get_str("policy"), Some(policy));
    assert_eq!(s1.get_i64("recovery_window_in_days"), Some(0));
    assert_eq!(
        s1.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_no_diff(&w, "aws_secretsmanager_secret", &s1, &cfg);
    let cloud: std::collections::BTreeMap<String, String> = w
        .aws
        .secretsmanager()
        .describe_secret()
        .secret_id(&arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect();
    assert_ownership_tags_hidden(&w, &s1, &cloud, "aws_secretsmanager_secret.db").await;

    let prefixed = create(
        &w,
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret.p",
        &Value::map([
            ("name_prefix", Value::from("svc-")),
            ("recovery_window_in_days", Value::int(0)),
        ]),
    )
    .await;
    assert!(prefixed.get_str("name").unwrap().starts_with("svc-"));
    let gone = create(
        &w,
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret.gone",
        &Value::map([("name", Value::from("gone"))]),
    )
    .await;

    // Batched read: a secret scheduled for deletion out of band reads as gone.
    w.aws
        .secretsmanager()
        .delete_secret()
        .secret_id(id(&gone))
        .recovery_window_in_days(7)
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read(
            "aws_secretsmanager_secret",
            &[prefixed.clone(), gone.clone(), s1.clone()],
        )
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&prefixed));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&s1));
    assert_eq!(made.iter().filter(|(_, o)| o == "ListSecrets").count(), 1, "{made:?}");
    assert_eq!(
        made.iter().filter(|(_, o)| o == "DescribeSecret").count(),
        0,
        "{made:?}"
    );
    // Only the secret whose state holds a policy has its policy read.
    assert_eq!(
        made.iter().filter(|(_, o)| o == "GetResourcePolicy").count(),
        1,
        "{made:?}"
    );

    // In place: description, policy removed, tags.
    let cfg2 = Value::map([
        ("name", Value::from("app/db")),
        ("description", Value::from("rotated by hand")),
        ("recovery_window_in_days", Value::int(0)),
        ("tags", Value::string_map([("Name", "db2")])),
    ]);
    // The policy is optional+computed: leaving it out keeps it; an empty one would remove it.
    let s2 = update(
        &w,
        "aws_secretsmanager_secret",
        "aws_secretsmanager_secret.db",
        &s1,
        &cfg2,
    )
    .await;
    assert_eq!(id(&s2), arn);
    assert_eq!(s2.get_str("description"), Some("rotated by hand"));
    assert_eq!(s2.get_str("policy"), Some(policy));
    assert_eq!(s2.get_string_map("tags").get("Name").map(String::as_str), Some("db2"));
    let (_, replace) = plan(
        &w,
        "aws_secretsmanager_secret",
        Some(&s2),
        &Value::map([("name", Value::from("app/other"))]),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);
    assert!(
        plan(
            &w,
            "aws_secretsmanager_secret",
            None,
            &Value::map([("name", Value::from("x")), ("recovery_window_in_days", Value::int(3))])
        )
        .is_err()
    );

    let imported = w
        .client
        .import("aws_secretsmanager_secret", &arn)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.get_str("name"), Some("app/db"));
    assert_eq!(
        imported.get_i64("recovery_window_in_days"),
        Some(30),
        "import takes the default"
    );

    // recovery_window_in_days = 0 deletes at once: the name is free again.
    w.client
        .delete(&ctx("aws_secretsmanager_secret.db"), "aws_secretsmanager_secret", &s2)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_secretsmanager_secret", &s2).await, None);
    w.client
        .delete(&ctx("aws_secretsmanager_secret.db"), "aws_secretsmanager_secret", &s2)
        .await
        .unwrap();
    let again = create(&w, "aws_secretsmanager_secret", "aws_secretsmanager_secret.db", &cfg2).await;
    assert_eq!(again.get_str("name"), Some("app/db"));
    // With a recovery window it is only scheduled for deletion, and reads as gone.
    let mut windowed = again.clone();
    windowed.set_attr("recovery_window_in_days", Value::int(7));
    w.client
        .delete(
            &ctx("aws_secretsmanager_secret.db"),
            "aws_secretsmanager_secret",
            &windowed,
        )
        .await
        .unwrap();
    let d = w
        .aws
        .secretsmanager()
        .describe_secret()
        .secret_id(id(&again))
        .send()
        .await
        .unwrap();
    assert!(d.deleted_date().is_some(), "scheduled for deletion");
    assert_eq!(read(&w, "aws_secretsmanager_secret", &again).await, None);
}

#[tokio::test]
async fn secret_find_created() {
    let w = world().await;
    let (planned, _) = plan(
        &w,
        "aws_secretsmanager_secret",
        None,
        &Value::map([("name_prefix", Value::from("job-"))]),
    )
    .unwrap();
    let c = ctx("aws_secretsmanager_secret.job");
    assert!(
        w.client
            .find_created(&c, "aws_secretsmanager_secret", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w
        .client
        .create(&c, "aws_secretsmanager_secret", &planned)
        .await
        .unwrap();
    let found = w
        .client
        .find_created(&c, "aws_secretsmanager_secret", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&made));
    let mut other = c.clone();
    other.lineage = "someone-else".into();
    assert!(
        w.client
            .find_created(&other, "aws_secretsmanager_secret", &planned)
            .await
            .unwrap()
            .is_none()
    );
}

async fn secret(w: &World, name: &str) -> String {
    id(&create(
        w,
        "aws_secretsmanager_secret",
        &format!("aws_secretsmanager_secret.{name}"),
        &Value::map([("name", Value::from(name))]),
    )
    .await)
}

#[tokio::test]
async fn secret_version_lifecycle() {
    let w = world().await;
    let db = secret(&w, "db").await;
    let api = secret(&w, "api").await;
    let cfg = Value::map([
        ("secret_id", Value::from(db.as_str())),
        ("secret_string", Value::from(r#"{"password":"hunter2"}"#)),
    ]);
    let v1 = create(
        &w,
        "aws_secretsmanager_secret_version",
        "aws_secretsmanager_secret_version.db",
        &cfg,
    )
    .await;
    let version = v1.get_str("version_id").unwrap().to_string();
    assert_eq!(id(&v1), format!("{db}|{version}"));
    assert_eq!(v1.get_str("secret_string"), Some(r#"{"password":"hunter2"}"#));
    assert_eq!(v1.get_str("arn"), Some(db.as_str()));
    assert_eq!(v1.get_strings("version_stages"), vec!["AWSCURRENT"]);
    assert_no_diff(&w, "aws_secretsmanager_secret_version", &v1, &cfg);
    let bin = Value::map([
        ("secret_id", Value::from(api.as_str())),
        ("secret_binary", Value::from("AAECAwQ=")),
    ]);
    let v2 = create(
        &w,
        "aws_secretsmanager_secret_version",
        "aws_secretsmanager_secret_version.api",
        &bin,
    )
    .await;
    assert_eq!(v2.get_str("secret_binary"), Some("AAECAwQ="));

    // A new secret_string is a new version: the plan replaces.
    let cfg2 = Value::map([
        ("secret_id", Value::from(db.as_str())),
        ("secret_string", Value::from(r#"{"password":"correct horse"}"#)),
    ]);
    let (_, replace) = plan(&w, "aws_secretsmanager_secret_version", Some(&v1), &cfg2).unwrap();
    assert_eq!(replace, vec![Path::attr("secret_string")]);
    let v3 = w
        .client
        .create(
            &ctx_with_token("aws_secretsmanager_secret_version.db", "second-create"),
            "aws_secretsmanager_secret_version",
            &plan(&w, "aws_secretsmanager_secret_version", None, &cfg2).unwrap().0,
        )
        .await
        .unwrap();
    assert_ne!(v3.get_str("version_id"), Some(version.as_str()));
    assert_eq!(v3.get_strings("version_stages"), vec!["AWSCURRENT"]);

    // Batched read: the current versions come from one BatchGetSecretValue; the older one (now
    // AWSPREVIOUS) needs its own call.
    let calls = ApiCalls::record();
    let got = w
        .client
        .read(
            "aws_secretsmanager_secret_version",
            &[v3.clone(), v1.clone(), v2.clone()],
        )
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&v3));
    let old = got[1]
        .as_ref()
        .unwrap()
        .as_ref()
        .expect("the old version is still there");
    assert_eq!(old.get_strings("version_stages"), vec!["AWSPREVIOUS"]);
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&v2));
    assert_eq!(
        made.iter().filter(|(_, o)| o == "BatchGetSecretValue").count(),
        1,
        "{made:?}"
    );
    assert_eq!(
        made.iter().filter(|(_, o)| o == "GetSecretValue").count(),
        1,
        "{made:?}"
    );

    // Stages change in place.
    let staged_cfg = Value::map([
        ("secret_id", Value::from(db.as_str())),
        ("secret_string", Value::from(r#"{"password":"hunter2"}"#)),
        ("version_stages", Value::string_set(["AWSPREVIOUS", "blue"])),
    ]);
    let staged = update(
        &w,
        "aws_secretsmanager_secret_version",
        "aws_secretsmanager_secret_version.db",
        old,
        &staged_cfg,
    )
    .await;
    assert_eq!(staged.get_strings("version_stages"), vec!["AWSPREVIOUS", "blue"]);

    // Deleting a version removes its stages (AWSCURRENT cannot be removed); without stages it reads as gone.
    w.client
        .delete(
            &ctx("aws_secretsmanager_secret_version.db"),
            "aws_secretsmanager_secret_version",
            &staged,
        )
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_secretsmanager_secret_version", &staged).await, None);
    w.client
        .delete(
            &ctx("aws_secretsmanager_secret_version.db"),
            "aws_secretsmanager_secret_version",
            &staged,
        )
        .await
        .unwrap();
    // The secret deleted out of band: its versions read as gone.
    w.aws
        .secretsmanager()
        .delete_secret()
        .secret_id(&api)
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let got = w
        .client
        .read("aws_secretsmanager_secret_version", &[v2.clone(), v3.clone()])
        .await;
    assert!(got[0].as_ref().unwrap().is_none());
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&v3));

    let imported = w
        .client
        .import("aws_secretsmanager_secret_version", &id(&v3))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported, v3);
}

#[tokio::test]
async fn secret_version_find_created_uses_the_client_token() {
    let w = world().await;
    let db = secret(&w, "db").await;
    let cfg = Value::map([
        ("secret_id", Value::from(db.as_str())),
        ("secret_string", Value::from("s3cr3t")),
    ]);
    let (planned, _) = plan(&w, "aws_secretsmanager_secret_version", None, &cfg).unwrap();
    let c = ctx_with_token(
        "aws_secretsmanager_secret_version.v",
        "7d3f0a52-0c43-4bcb-9a57-3f6e1c2b9d10",
    );
    assert!(
        w.client
            .find_created(&c, "aws_secretsmanager_secret_version", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w
        .client
        .create(&c, "aws_secretsmanager_secret_version", &planned)
        .await
        .unwrap();
    let found = w
        .client
        .find_created(&c, "aws_secretsmanager_secret_version", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&made));
    // Rerunning the lost create is idempotent: the same version, not a second one.
    let rerun = w
        .client
        .create(&c, "aws_secretsmanager_secret_version", &planned)
        .await
        .unwrap();
    assert_eq!(rerun.get_str("version_id"), made.get_str("version_id"));
    let versions = w
        .aws
        .secretsmanager()
        .list_secret_version_ids()
        .secret_id(&db)
        .send()
        .await
        .unwrap();
    assert_eq!(versions.versions().len(), 1);
}

/// The current value of a secret, straight from the SDK.
async fn current_string(w: &World, secret: &str) -> String {
    w.aws
        .secretsmanager()
        .get_secret_value()
        .secret_id(secret)
        .send()
        .await
        .unwrap()
        .secret_string()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn secret_version_write_only_string() {
    let w = world().await;
    let t = "aws_secretsmanager_secret_version";
    let db = secret(&w, "db").await;
    let schema = schema_of(&w, t);
    let wo = &schema.block.attributes["secret_string_wo"];
    assert!(wo.write_only && wo.sensitive && !wo.force_new);
    assert_eq!(wo.conflicts_with, &["secret_binary", "secret_string"]);
    assert!(
        schema.block.attributes["secret_string_wo_version"].force_new,
        "as secret_string, a new write-only string is a new version"
    );
    let cfg = |value: &str, version: i64| {
        Value::map([
            ("secret_id", Value::from(db.as_str())),
            ("secret_string_wo", Value::from(value)),
            ("secret_string_wo_version", Value::int(version)),
        ])
    };

    // The rules: each of the pair needs the other; it conflicts with secret_string and secret_binary.
    let invalid = |c: &Value| w.provider.validate_resource(t, c);
    let only_wo = cfg("x", 1).with("secret_string_wo_version", Value::Null);
    assert_eq!(invalid(&only_wo)[0].attribute.as_deref(), Some("secret_string_wo"));
    let only_version = cfg("x", 1).with("secret_string_wo", Value::Null);
    assert_eq!(
        invalid(&only_version)[0].attribute.as_deref(),
        Some("secret_string_wo_version")
    );
    assert!(invalid(&cfg("x", 1)).is_empty());
    for bad in [
        only_wo,
        only_version,
        cfg("x", 1).with("secret_string", Value::from("y")),
        cfg("x", 1).with("secret_binary", Value::from("AAECAwQ=")),
    ] {
        let e = plan(&w, t, None, &bad).unwrap_err();
        assert_eq!(e.kind, infra_provider::ErrorKind::Invalid, "{e}");
    }

    // Create: the write-only string is the version's value, and nowhere in the object.
    let v1 = create(&w, t, "aws_secretsmanager_secret_version.db", &cfg("first-s3cr3t", 1)).await;
    assert_eq!(current_string(&w, &db).await, "first-s3cr3t");
    assert_eq!(v1.get("secret_string_wo"), Some(&Value::Null));
    assert_eq!(v1.get("secret_string"), Some(&Value::Null), "write-only: not read back");
    assert_eq!(v1.get_i64("secret_string_wo_version"), Some(1));
    assert_eq!(v1.get_strings("version_stages"), vec!["AWSCURRENT"]);
    assert!(!format!("{v1:?}").contains("first-s3cr3t"));
    // The ephemeral type reads it.
    let opened = w
        .client
        .open_ephemeral(t, &Value::map([("secret_id", Value::from(db.as_str()))]))
        .await
        .unwrap();
    assert_eq!(opened.get_str("secret_string"), Some("first-s3cr3t"));
    // A refresh keeps it so (the version is not in the API: it comes from the state) and plans nothing.
    let refreshed = read(&w, t, &v1).await.unwrap();
    assert_eq!(refreshed, v1);
    assert_no_diff_write_only(&w, t, &v1, &cfg("first-s3cr3t", 1));

    // A new version number replaces: a new version holding the new string becomes current.
    let (_, replace) = plan_as_engine(&w, t, &v1, &cfg("second-s3cr3t", 2));
    assert_eq!(replace, vec![Path::attr("secret_string_wo_version")]);
    let (planned, _) = plan(&w, t, None, &cfg("second-s3cr3t", 2)).unwrap();
    let v2 = w
        .client
        .create(
            &ctx_with_token("aws_secretsmanager_secret_version.db", "replace"),
            t,
            &planned,
        )
        .await
        .unwrap();
    assert_ne!(v2.get_str("version_id"), v1.get_str("version_id"));
    assert_eq!(current_string(&w, &db).await, "second-s3cr3t");
    assert_eq!(v2.get("secret_string_wo"), Some(&Value::Null));
    assert_eq!(v2.get("secret_string"), Some(&Value::Null));
    assert_eq!(v2.get_i64("secret_string_wo_version"), Some(2));
    let old = read(&w, t, &v1).await.unwrap();
    assert_eq!(old.get_strings("version_stages"), vec!["AWSPREVIOUS"]);
    assert_eq!(old.get("secret_string"), Some(&Value::Null));
    // The batched read (both current and not) leaves the string out too.
    let got = w.client.read(t, &[v2.clone(), v1.clone()]).await;
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&v2));
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&old));
}
