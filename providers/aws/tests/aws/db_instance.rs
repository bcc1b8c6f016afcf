//! `aws_db_instance` against moto (PostgreSQL).

use crate::common::*;
use crate::db_subnet_group::subnets;
use infra_provider::{ErrorKind, Path, Value};

const T: &str = "aws_db_instance";
const PASSWORD: &str = "s3cr3t-Passw0rd!";

async fn groups(w: &World) -> Vec<String> {
    let s = subnets(w).await;
    for name in ["db-a", "db-b"] {
        create(
            w,
            "aws_db_subnet_group",
            &format!("aws_db_subnet_group.{name}"),
            &Value::map([("name", Value::from(name)), ("subnet_ids", Value::string_set(s.iter()))]),
        )
        .await;
    }
    s
}

fn config(identifier: &str) -> Value {
    Value::map([
        ("identifier", Value::from(identifier)),
        ("engine", Value::from("postgres")),
        ("engine_version", Value::from("16.3")),
        ("instance_class", Value::from("db.t4g.micro")),
        ("allocated_storage", Value::int(20)),
        ("max_allocated_storage", Value::int(100)),
        ("storage_type", Value::from("gp3")),
        ("db_name", Value::from("app")),
        ("username", Value::from("app")),
        ("password", Value::from(PASSWORD)),
        ("db_subnet_group_name", Value::from("db-a")),
        ("backup_retention_period", Value::int(7)),
        ("backup_window", Value::from("03:00-04:00")),
        ("maintenance_window", Value::from("sun:05:00-sun:06:00")),
        ("skip_final_snapshot", Value::Bool(true)),
        ("apply_immediately", Value::Bool(true)),
        ("tags", Value::string_map([("env", "stage")])),
    ])
}

#[tokio::test]
async fn db_instance_lifecycle() {
    let w = world().await;
    groups(&w).await;
    let cfg = config("app-db");
    let a = create(&w, T, "aws_db_instance.a", &cfg).await;
    let b = create(&w, T, "aws_db_instance.b", &config("other-db")).await;
    let c = create(&w, T, "aws_db_instance.c", &config("third-db")).await;
    assert_eq!(a.get_str("identifier"), Some("app-db"));
    assert!(id(&a).starts_with("db-"), "the id is the resource ID: {a:?}");
    assert_eq!(a.get_str("resource_id"), Some(id(&a).as_str()));
    assert_eq!(a.get_str("status"), Some("available"));
    assert_eq!(a.get_i64("port"), Some(5432));
    let address = a.get_str("address").unwrap();
    assert_eq!(a.get_str("endpoint"), Some(format!("{address}:5432").as_str()));
    assert!(a.get_str("arn").unwrap().ends_with(":db:app-db"));
    assert_eq!(a.get_str("db_subnet_group_name"), Some("db-a"));
    assert_eq!(
        a.get_str("password"),
        Some(PASSWORD),
        "the password is kept from the plan"
    );
    assert_eq!(a.get_str("engine_version_actual"), Some("16.3"));
    let cloud: std::collections::BTreeMap<String, String> =
        infra_aws::rds::list_tags(&w.aws, a.get_str("arn").unwrap())
            .await
            .unwrap()
            .into_iter()
            .collect();
    assert_ownership_tags_hidden(&w, &a, &cloud, "aws_db_instance.a").await;
    assert_no_diff(&w, T, &a, &cfg);

    // Batched read: one DescribeDBInstances; one deleted out of band.
    w.aws
        .rds()
        .delete_db_instance()
        .db_instance_identifier("other-db")
        .skip_final_snapshot(true)
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[c.clone(), b.clone(), a.clone()]).await;
    assert_eq!(
        calls.take(),
        vec![("RDS".to_string(), "DescribeDBInstances".to_string())]
    );
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // Instance class, minor version, storage, backups and tags change in place.
    let cfg2 = config("app-db")
        .with("instance_class", Value::from("db.t4g.small"))
        .with("engine_version", Value::from("16.4"))
        .with("allocated_storage", Value::int(30))
        .with("backup_retention_period", Value::int(14))
        .with("deletion_protection", Value::Bool(true))
        .with("tags", Value::string_map([("env", "stage"), ("tier", "db")]));
    let a2 = update(&w, T, "aws_db_instance.a", &a, &cfg2).await;
    assert_eq!(a2.get_str("instance_class"), Some("db.t4g.small"));
    assert_eq!(a2.get_str("engine_version"), Some("16.4"));
    assert_eq!(a2.get_i64("allocated_storage"), Some(30));
    assert_eq!(a2.get_i64("backup_retention_period"), Some(14));
    assert_eq!(a2.get_bool("deletion_protection"), Some(true));
    assert_eq!(a2.get_string_map("tags").get("tier").map(String::as_str), Some("db"));
    assert_eq!(id(&a2), id(&a));
    assert_no_diff(&w, T, &a2, &cfg2);
    // A version prefix that matches what runs is no change.
    assert_no_diff(&w, T, &a2, &cfg2.clone().with("engine_version", Value::from("16")));

    // A major version needs allow_major_version_upgrade.
    let major = cfg2.clone().with("engine_version", Value::from("17.2"));
    let e = plan(&w, T, Some(&a2), &major).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Invalid);
    assert!(e.message.contains("allow_major_version_upgrade"), "{e}");
    let (_, replace) = plan(
        &w,
        T,
        Some(&a2),
        &major.with("allow_major_version_upgrade", Value::Bool(true)),
    )
    .unwrap();
    assert!(replace.is_empty());
    // Another subnet group, database name or encryption replaces it.
    let (_, replace) = plan(
        &w,
        T,
        Some(&a2),
        &cfg2.clone().with("db_subnet_group_name", Value::from("db-b")),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("db_subnet_group_name")]);
    let (_, replace) = plan(
        &w,
        T,
        Some(&a2),
        &cfg2.clone().with("storage_encrypted", Value::Bool(true)),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("storage_encrypted")]);
    // Left out, it is planned as Terraform plans it (null) and stored as read back; `false` written
    // out, or a state holding `false` (an older infra planned it by default), is the same thing.
    assert_eq!(a2.get("storage_encrypted"), Some(&Value::Null));
    assert_no_diff(&w, T, &a2, &cfg2.clone().with("storage_encrypted", Value::Bool(false)));
    assert_no_diff(&w, T, &a2.clone().with("storage_encrypted", Value::Bool(false)), &cfg2);

    // A new password is sent, and never shows in errors.
    let a3 = update(
        &w,
        T,
        "aws_db_instance.a",
        &a2,
        &cfg2.clone().with("password", Value::from("n3w-Passw0rd!")),
    )
    .await;
    assert_eq!(a3.get_str("password"), Some("n3w-Passw0rd!"));

    let imported = w.client.import(T, "third-db").await.unwrap().unwrap();
    assert_eq!(imported.get_str("db_name"), Some("app"));
    assert_eq!(imported.get("password"), Some(&Value::Null));
    assert_eq!(imported.get_bool("skip_final_snapshot"), Some(false));

    // Deletion protection refuses the delete (the AWS error), then delete waits until gone.
    let e = w.client.delete(&ctx("aws_db_instance.a"), T, &a3).await.unwrap_err();
    assert!(!e.to_string().contains(PASSWORD) && !e.to_string().contains("n3w-Passw0rd!"));
    let unprotected_cfg = cfg2
        .clone()
        .with("deletion_protection", Value::Bool(false))
        .with("password", Value::from("n3w-Passw0rd!"));
    let a4 = update(&w, T, "aws_db_instance.a", &a3, &unprotected_cfg).await;
    // Without skip_final_snapshot a final snapshot identifier is required.
    let e = w
        .client
        .delete(
            &ctx("aws_db_instance.a"),
            T,
            &a4.clone().with("skip_final_snapshot", Value::Bool(false)),
        )
        .await
        .unwrap_err();
    assert!(e.message.contains("final_snapshot_identifier"), "{e}");
    w.client.delete(&ctx("aws_db_instance.a"), T, &a4).await.unwrap();
    assert_eq!(read(&w, T, &a4).await, None);
    w.client.delete(&ctx("aws_db_instance.a"), T, &a4).await.unwrap();
}

#[tokio::test]
async fn db_instance_managed_password_and_find_created() {
    let w = world().await;
    groups(&w).await;
    let cfg = config("x")
        .with("identifier", Value::Null)
        .with("identifier_prefix", Value::from("app-"))
        .with("password", Value::Null)
        .with("manage_master_user_password", Value::Bool(true));
    let (planned, _) = plan(&w, T, None, &cfg).unwrap();
    let x = ctx("aws_db_instance.x");
    assert!(w.client.find_created(&x, T, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, T, &planned).await.unwrap();
    assert!(made.get_str("identifier").unwrap().starts_with("app-"), "{made:?}");
    assert_eq!(made.get_str("identifier_prefix"), Some("app-"));
    let secret = &made.get_list("master_user_secret")[0];
    assert!(secret.get_str("secret_arn").unwrap().contains(":secret:"), "{secret:?}");
    assert_eq!(made.get_bool("manage_master_user_password"), Some(true));
    assert_no_diff(&w, T, &made, &cfg);
    let found = w.client.find_created(&x, T, &planned).await.unwrap();
    assert_eq!(found.as_ref(), Some(&made));
    assert!(
        w.client
            .find_created(&ctx_with_token("aws_db_instance.x", "t2"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );
    // Both a password and a managed password is refused.
    assert!(plan(&w, T, None, &cfg.clone().with("password", Value::from(PASSWORD))).is_err());
}

#[tokio::test]
async fn db_instance_write_only_password() {
    let w = world().await;
    groups(&w).await;
    let schema = schema_of(&w, T);
    let wo = &schema.block.attributes["password_wo"];
    assert!(wo.write_only && wo.sensitive && !wo.force_new);
    assert_eq!(wo.conflicts_with, &["manage_master_user_password", "password"]);
    let cfg = |password: &str, version: i64| {
        config("wo-db")
            .with("password", Value::Null)
            .with("password_wo", Value::from(password))
            .with("password_wo_version", Value::int(version))
    };

    // The rules: password_wo conflicts with password and manage_master_user_password; it and its
    // version each need the other.
    let invalid = |c: &Value| w.provider.validate_resource(T, c);
    assert!(invalid(&cfg(PASSWORD, 1)).is_empty());
    let only_wo = cfg(PASSWORD, 1).with("password_wo_version", Value::Null);
    assert_eq!(invalid(&only_wo)[0].attribute.as_deref(), Some("password_wo"));
    let only_version = cfg(PASSWORD, 1).with("password_wo", Value::Null);
    assert_eq!(
        invalid(&only_version)[0].attribute.as_deref(),
        Some("password_wo_version")
    );
    for bad in [
        only_wo,
        only_version,
        cfg(PASSWORD, 1).with("password", Value::from(PASSWORD)),
        cfg(PASSWORD, 1).with("manage_master_user_password", Value::Bool(true)),
    ] {
        let e = plan(&w, T, None, &bad).unwrap_err();
        assert_eq!(e.kind, ErrorKind::Invalid, "{e}");
        assert!(!e.to_string().contains(PASSWORD), "{e}");
    }

    // Create with the write-only password (sent as MasterUserPassword; moto never reveals a password, so
    // only the call's success shows it was accepted). The object holds no password at all.
    let calls = ApiCalls::record();
    let a = create(&w, T, "aws_db_instance.wo", &cfg(PASSWORD, 1)).await;
    let made = calls.take();
    assert_eq!(
        made.iter().filter(|(_, o)| o == "CreateDBInstance").count(),
        1,
        "{made:?}"
    );
    assert_eq!(a.get_str("status"), Some("available"));
    assert_eq!(a.get("password_wo"), Some(&Value::Null));
    assert_eq!(a.get("password"), Some(&Value::Null));
    assert_eq!(a.get_i64("password_wo_version"), Some(1));
    assert!(!format!("{a:?}").contains(PASSWORD));
    // A refresh keeps the version (RDS knows nothing of it) and plans nothing.
    assert_eq!(read(&w, T, &a).await.as_ref(), Some(&a));
    assert_no_diff_write_only(&w, T, &a, &cfg(PASSWORD, 1));

    // The same version with another password changes nothing and calls nothing.
    let (_, replace) = plan_as_engine(&w, T, &a, &cfg("0ther-Passw0rd!", 1));
    assert!(replace.is_empty());
    assert_no_diff_write_only(&w, T, &a, &cfg("0ther-Passw0rd!", 1));
    // A new version sends the new password with ModifyDBInstance, in place.
    let calls = ApiCalls::record();
    let b = update(&w, T, "aws_db_instance.wo", &a, &cfg("N3w-Passw0rd!", 2)).await;
    let made = calls.take();
    assert_eq!(
        made.iter().filter(|(_, o)| o == "ModifyDBInstance").count(),
        1,
        "{made:?}"
    );
    assert_eq!(b.get("password_wo"), Some(&Value::Null));
    assert_eq!(b.get_i64("password_wo_version"), Some(2));
    assert_eq!(id(&b), id(&a));
    // Tags alone do not send the password again.
    let calls = ApiCalls::record();
    let c = update(
        &w,
        T,
        "aws_db_instance.wo",
        &b,
        &cfg("N3w-Passw0rd!", 2).with("tags", Value::string_map([("env", "prod")])),
    )
    .await;
    let made = calls.take();
    assert_eq!(
        made.iter().filter(|(_, o)| o == "ModifyDBInstance").count(),
        0,
        "{made:?}"
    );
    assert_eq!(c.get("password_wo"), Some(&Value::Null));
}
