//! The ephemeral resource types, opened through the `ProviderClient` against moto.

use crate::common::*;
use infra_provider::{Schema, Value};

fn ephemeral_schema(w: &World, type_name: &str) -> Schema {
    w.provider
        .schema()
        .ephemeral_resources
        .get(type_name)
        .unwrap_or_else(|| panic!("no ephemeral schema for {type_name}"))
        .clone()
}

async fn open(w: &World, type_name: &str, config: &Value) -> infra_provider::Result<Value> {
    w.client.open_ephemeral(type_name, config).await
}

#[tokio::test]
async fn ephemeral_schemas_follow_terraform() {
    let w = world().await;
    let names: Vec<&String> = w.provider.schema().ephemeral_resources.keys().collect();
    assert_eq!(
        names,
        vec![
            "aws_secretsmanager_random_password",
            "aws_secretsmanager_secret_version",
            "aws_ssm_parameter"
        ]
    );
    let keys = |t: &str| -> Vec<String> { ephemeral_schema(&w, t).block.attributes.keys().cloned().collect() };
    assert_eq!(
        keys("aws_secretsmanager_random_password"),
        vec![
            "exclude_characters",
            "exclude_lowercase",
            "exclude_numbers",
            "exclude_punctuation",
            "exclude_uppercase",
            "include_space",
            "password_length",
            "random_password",
            "require_each_included_type"
        ]
    );
    assert_eq!(
        keys("aws_secretsmanager_secret_version"),
        vec![
            "arn",
            "created_date",
            "secret_binary",
            "secret_id",
            "secret_string",
            "version_id",
            "version_stage",
            "version_stages"
        ]
    );
    assert_eq!(
        keys("aws_ssm_parameter"),
        vec!["arn", "name", "type", "value", "version", "with_decryption"]
    );
    let rp = ephemeral_schema(&w, "aws_secretsmanager_random_password");
    assert!(rp.block.attributes["random_password"].sensitive);
    assert!(rp.block.attributes["random_password"].computed);
    assert_eq!(
        rp.block.attributes["exclude_characters"].ty(),
        &infra_provider::Type::String,
        "a string of characters, not a switch"
    );
    let sv = ephemeral_schema(&w, "aws_secretsmanager_secret_version");
    assert!(sv.block.attributes["secret_id"].required);
    assert!(sv.block.attributes["secret_string"].sensitive);
    assert!(sv.block.attributes["secret_binary"].sensitive);
    let ssm = ephemeral_schema(&w, "aws_ssm_parameter");
    assert!(ssm.block.attributes["arn"].required);
    assert!(ssm.block.attributes["value"].sensitive);
    let arn_check = ssm.block.attributes["arn"].check.unwrap();
    assert!(arn_check.check(&Value::from("/app/db/password")).is_err());
    assert!(
        arn_check
            .check(&Value::from(
                "arn:aws:ssm:us-east-1:123456789012:parameter/app/db/password"
            ))
            .is_ok()
    );
    // A type that is not there is refused by name.
    let e = open(&w, "aws_nope", &Value::empty_map()).await.unwrap_err();
    assert!(e.to_string().contains("aws_nope"), "{e}");
}

#[tokio::test]
async fn ephemeral_random_password() {
    let w = world().await;
    let t = "aws_secretsmanager_random_password";
    let cfg = Value::map([
        ("password_length", Value::int(40)),
        ("exclude_punctuation", Value::Bool(true)),
        ("exclude_uppercase", Value::Bool(true)),
        ("exclude_characters", Value::from("abc0")),
        ("require_each_included_type", Value::Bool(true)),
    ]);
    let got = open(&w, t, &cfg).await.unwrap();
    let p = got.get_str("random_password").unwrap().to_string();
    assert_eq!(p.chars().count(), 40, "{p}");
    assert!(p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{p}");
    assert!(!p.contains(['a', 'b', 'c', '0']), "excluded characters: {p}");
    assert!(p.chars().any(|c| c.is_ascii_lowercase()), "{p}");
    assert!(p.chars().any(|c| c.is_ascii_digit()), "{p}");
    // The arguments come back as given.
    assert_eq!(got.get_i64("password_length"), Some(40));
    assert_eq!(got.get_str("exclude_characters"), Some("abc0"));
    assert_eq!(got.get("include_space"), Some(&Value::Null));
    // Each opening is a new password.
    let again = open(&w, t, &cfg).await.unwrap();
    assert_ne!(again.get_str("random_password"), Some(p.as_str()));
    // Defaults: 32 characters.
    let d = open(&w, t, &Value::empty_map()).await.unwrap();
    assert_eq!(d.get_str("random_password").unwrap().chars().count(), 32);
    // Only digits.
    let digits = open(
        &w,
        t,
        &Value::map([
            ("password_length", Value::int(12)),
            ("exclude_lowercase", Value::Bool(true)),
            ("exclude_uppercase", Value::Bool(true)),
            ("exclude_punctuation", Value::Bool(true)),
        ]),
    )
    .await
    .unwrap();
    let s = digits.get_str("random_password").unwrap();
    assert!(s.len() == 12 && s.chars().all(|c| c.is_ascii_digit()), "{s}");
}

#[tokio::test]
async fn ephemeral_secret_version() {
    let w = world().await;
    let t = "aws_secretsmanager_secret_version";
    let sm = w.aws.secretsmanager();
    let created = sm
        .create_secret()
        .name("app/db")
        .secret_string("first")
        .send()
        .await
        .unwrap();
    let arn = created.arn().unwrap().to_string();
    let first = created.version_id().unwrap().to_string();
    let second = sm
        .put_secret_value()
        .secret_id("app/db")
        .secret_string("second")
        .send()
        .await
        .unwrap()
        .version_id()
        .unwrap()
        .to_string();
    sm.put_secret_value()
        .secret_id("app/db")
        .secret_string("staged")
        .version_stages("NEXT")
        .send()
        .await
        .unwrap();

    // By name, the current version (AWSCURRENT).
    let cur = open(&w, t, &Value::map([("secret_id", Value::from("app/db"))]))
        .await
        .unwrap();
    assert_eq!(cur.get_str("secret_string"), Some("second"));
    assert_eq!(cur.get_str("version_id"), Some(second.as_str()));
    assert_eq!(cur.get_strings("version_stages"), vec!["AWSCURRENT"]);
    assert_eq!(cur.get_str("arn"), Some(arn.as_str()));
    assert_eq!(cur.get_str("secret_id"), Some("app/db"), "the argument as given");
    assert_eq!(cur.get("version_stage"), Some(&Value::Null));
    assert_eq!(cur.get("secret_binary"), Some(&Value::Null));
    let created_date = cur.get_str("created_date").unwrap();
    assert!(
        created_date.len() == 20 && created_date.ends_with('Z') && created_date.contains('T'),
        "RFC 3339: {created_date}"
    );
    assert!(cur.get("id").is_none(), "hashicorp/aws has no id here");
    // By ARN and stage.
    let prev = open(
        &w,
        t,
        &Value::map([
            ("secret_id", Value::from(arn.as_str())),
            ("version_stage", Value::from("AWSPREVIOUS")),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(prev.get_str("secret_string"), Some("first"));
    assert_eq!(prev.get_str("version_id"), Some(first.as_str()));
    assert_eq!(prev.get_str("version_stage"), Some("AWSPREVIOUS"));
    let next = open(
        &w,
        t,
        &Value::map([
            ("secret_id", Value::from("app/db")),
            ("version_stage", Value::from("NEXT")),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(next.get_str("secret_string"), Some("staged"));
    // By version ID.
    let by_id = open(
        &w,
        t,
        &Value::map([
            ("secret_id", Value::from("app/db")),
            ("version_id", Value::from(first.as_str())),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(by_id.get_str("secret_string"), Some("first"));
    // A binary secret: its bytes as a string.
    sm.create_secret()
        .name("app/bin")
        .secret_binary(aws_sdk_secretsmanager::primitives::Blob::new(b"raw-bytes".to_vec()))
        .send()
        .await
        .unwrap();
    let bin = open(&w, t, &Value::map([("secret_id", Value::from("app/bin"))]))
        .await
        .unwrap();
    assert_eq!(bin.get_str("secret_binary"), Some("raw-bytes"));
    assert_eq!(bin.get("secret_string"), Some(&Value::Null));

    // Not found: an error that names the secret (and the stage asked for).
    let e = open(&w, t, &Value::map([("secret_id", Value::from("app/missing"))]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("app/missing"), "{e}");
    assert!(e.is_not_found(), "{e:?}");
    let e = open(
        &w,
        t,
        &Value::map([
            ("secret_id", Value::from("app/db")),
            ("version_stage", Value::from("NOPE")),
        ]),
    )
    .await
    .unwrap_err();
    assert!(
        e.to_string().contains("app/db") && e.to_string().contains("NOPE"),
        "{e}"
    );
    // And the secret's value is nowhere in it.
    assert!(!e.to_string().contains("second"), "{e}");
}

#[tokio::test]
async fn ephemeral_ssm_parameter() {
    let w = world().await;
    let t = "aws_ssm_parameter";
    w.aws
        .ssm()
        .put_parameter()
        .name("/app/db/password")
        .r#type(aws_sdk_ssm::types::ParameterType::SecureString)
        .value("hunter2")
        .send()
        .await
        .unwrap();
    let arn = w
        .aws
        .ssm()
        .get_parameter()
        .name("/app/db/password")
        .send()
        .await
        .unwrap()
        .parameter()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let got = open(&w, t, &Value::map([("arn", Value::from(arn.as_str()))]))
        .await
        .unwrap();
    assert_eq!(got.get_str("value"), Some("hunter2"), "decrypted by default");
    assert_eq!(got.get_bool("with_decryption"), Some(true));
    assert_eq!(got.get_str("name"), Some("/app/db/password"));
    assert_eq!(got.get_str("type"), Some("SecureString"));
    assert_eq!(got.get_i64("version"), Some(1));
    assert_eq!(got.get_str("arn"), Some(arn.as_str()));
    // Not decrypted when asked so.
    let raw = open(
        &w,
        t,
        &Value::map([
            ("arn", Value::from(arn.as_str())),
            ("with_decryption", Value::Bool(false)),
        ]),
    )
    .await
    .unwrap();
    assert_eq!(raw.get_bool("with_decryption"), Some(false));
    assert_ne!(raw.get_str("value"), Some("hunter2"));
    // Not found: an error naming the parameter.
    let missing = arn.replace("/app/db/password", "/app/db/missing");
    let e = open(&w, t, &Value::map([("arn", Value::from(missing.as_str()))]))
        .await
        .unwrap_err();
    assert!(e.to_string().contains(&missing), "{e}");
    assert!(e.is_not_found(), "{e:?}");
}
