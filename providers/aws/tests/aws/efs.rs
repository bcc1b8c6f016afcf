use crate::common::*;
use infra_provider::{Path, Value};

fn single(pairs: Vec<(&str, Value)>) -> Value {
    Value::List(vec![Value::map(pairs)])
}

#[tokio::test]
async fn efs_file_system_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage")])]).await;
    let mut data = Value::map([("encrypted", Value::Bool(true))]);
    data.set_attr("tags", Value::string_map([("Name", "data")]));
    data.set_attr(
        "lifecycle_policy",
        Value::List(vec![Value::map([("transition_to_ia", Value::from("AFTER_30_DAYS"))])]),
    );
    let f1 = create(&w, "aws_efs_file_system", "aws_efs_file_system.data", &data).await;
    assert!(id(&f1).starts_with("fs-"), "{f1:?}");
    assert_eq!(f1.get_str("name"), Some("data"));
    assert_eq!(f1.get_str("performance_mode"), Some("generalPurpose"));
    assert_eq!(f1.get_str("throughput_mode"), Some("bursting"));
    assert!(f1.get_str("dns_name").unwrap().starts_with(&id(&f1)));
    assert!(f1.get_str("arn").unwrap().contains(":file-system/fs-"));
    assert!(!f1.get_str("creation_token").unwrap().is_empty());
    assert_eq!(
        f1.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_no_diff(&w, "aws_efs_file_system", &f1, &data);

    let f2 = create(&w, "aws_efs_file_system", "aws_efs_file_system.b", &Value::empty_map()).await;
    let gone = create(
        &w,
        "aws_efs_file_system",
        "aws_efs_file_system.gone",
        &Value::empty_map(),
    )
    .await;
    w.aws
        .efs()
        .delete_file_system()
        .file_system_id(id(&gone))
        .send()
        .await
        .unwrap();
    let got = w
        .client
        .read("aws_efs_file_system", &[f2.clone(), gone.clone(), f1.clone()])
        .await;
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&f2));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&f1));

    // Lifecycle policies and tags in place. (A throughput mode change is UpdateFileSystem, which moto
    // does not implement: that call is not exercised here.)
    let mut data2 = data.clone();
    data2.set_attr(
        "lifecycle_policy",
        Value::List(vec![Value::map([("transition_to_ia", Value::from("AFTER_60_DAYS"))])]),
    );
    data2.set_attr("tags", Value::string_map([("Name", "data"), ("owner", "ops")]));
    let f1b = update(&w, "aws_efs_file_system", "aws_efs_file_system.data", &f1, &data2).await;
    assert_eq!(f1b.get_str("throughput_mode"), Some("bursting"));
    assert_eq!(f1b.get_string_map("tags").get("owner").map(String::as_str), Some("ops"));
    assert_eq!(read(&w, "aws_efs_file_system", &f1b).await.as_ref(), Some(&f1b));
    assert_no_diff(&w, "aws_efs_file_system", &f1b, &data2);
    let mut unenc = data2.clone();
    unenc.set_attr("encrypted", Value::Bool(false));
    let (_, replace) = plan(&w, "aws_efs_file_system", Some(&f1b), &unenc).unwrap();
    assert_eq!(replace, vec![Path::attr("encrypted")]);

    let imported = w.client.import("aws_efs_file_system", &id(&f2)).await.unwrap().unwrap();
    assert_eq!(imported.get_str("arn"), f2.get_str("arn"));
    let (planned, _) = plan(&w, "aws_efs_file_system", None, &Value::empty_map()).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_efs_file_system.b"), "aws_efs_file_system", &planned)
        .await
        .unwrap()
        .expect("adopted by creation token");
    assert_eq!(id(&found), id(&f2));
    assert!(
        w.client
            .find_created(&ctx("aws_efs_file_system.never"), "aws_efs_file_system", &planned)
            .await
            .unwrap()
            .is_none()
    );

    w.client
        .delete(&ctx("aws_efs_file_system.b"), "aws_efs_file_system", &f2)
        .await
        .unwrap();
    assert!(read(&w, "aws_efs_file_system", &f2).await.is_none());
    w.client
        .delete(&ctx("aws_efs_file_system.b"), "aws_efs_file_system", &f2)
        .await
        .unwrap();
}

#[tokio::test]
async fn efs_mount_target_and_access_point() {
    let w = world().await;
    let vpc = create(
        &w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await;
    let subnet = create(
        &w,
        "aws_subnet",
        "aws_subnet.a",
        &Value::map([
            ("vpc_id", Value::string(id(&vpc))),
            ("cidr_block", Value::from("10.0.1.0/24")),
            ("availability_zone", Value::from("us-east-1a")),
        ]),
    )
    .await;
    let sg = |name: &str| Value::map([("name", Value::from(name)), ("vpc_id", Value::string(id(&vpc)))]);
    let sg1 = create(&w, "aws_security_group", "aws_security_group.a", &sg("efs-a")).await;
    let sg2 = create(&w, "aws_security_group", "aws_security_group.b", &sg("efs-b")).await;
    let fs = create(&w, "aws_efs_file_system", "aws_efs_file_system.fs", &Value::empty_map()).await;

    let mt_cfg = |sg: &Value| {
        Value::map([
            ("file_system_id", Value::string(id(&fs))),
            ("subnet_id", Value::string(id(&subnet))),
            ("security_groups", Value::set(vec![Value::string(id(sg))])),
        ])
    };
    let mt = create(&w, "aws_efs_mount_target", "aws_efs_mount_target.a", &mt_cfg(&sg1)).await;
    assert!(id(&mt).starts_with("fsmt-"), "{mt:?}");
    assert!(mt.get_str("ip_address").is_some());
    assert_eq!(mt.get_str("availability_zone_name"), Some("us-east-1a"));
    assert_no_diff(&w, "aws_efs_mount_target", &mt, &mt_cfg(&sg1));
    let mt2 = update(&w, "aws_efs_mount_target", "aws_efs_mount_target.a", &mt, &mt_cfg(&sg2)).await;
    assert_eq!(
        mt2.get("security_groups"),
        Some(&Value::set(vec![Value::string(id(&sg2))]))
    );
    assert_eq!(read(&w, "aws_efs_mount_target", &mt2).await.as_ref(), Some(&mt2));
    let imported = w
        .client
        .import("aws_efs_mount_target", &id(&mt))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.get_str("subnet_id"), Some(id(&subnet).as_str()));
    let (planned, _) = plan(&w, "aws_efs_mount_target", None, &mt_cfg(&sg2)).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_efs_mount_target.a"), "aws_efs_mount_target", &planned)
        .await
        .unwrap()
        .expect("adopted");
    assert_eq!(id(&found), id(&mt));

    // Access points.
    let ap_cfg = |uid: i64| {
        Value::map([
            ("file_system_id", Value::string(id(&fs))),
            (
                "posix_user",
                single(vec![("uid", Value::from(uid)), ("gid", Value::from(1000))]),
            ),
            (
                "root_directory",
                single(vec![
                    ("path", Value::from("/app")),
                    (
                        "creation_info",
                        single(vec![
                            ("owner_uid", Value::from(uid)),
                            ("owner_gid", Value::from(1000)),
                            ("permissions", Value::from("755")),
                        ]),
                    ),
                ]),
            ),
            ("tags", Value::string_map([("Name", "app")])),
        ])
    };
    let ap = create(&w, "aws_efs_access_point", "aws_efs_access_point.app", &ap_cfg(1000)).await;
    assert!(id(&ap).starts_with("fsap-"), "{ap:?}");
    assert_no_diff(&w, "aws_efs_access_point", &ap, &ap_cfg(1000));
    let ap2 = create(&w, "aws_efs_access_point", "aws_efs_access_point.other", &ap_cfg(1001)).await;
    w.aws
        .efs()
        .delete_access_point()
        .access_point_id(id(&ap2))
        .send()
        .await
        .unwrap();
    let got = w.client.read("aws_efs_access_point", &[ap2.clone(), ap.clone()]).await;
    assert!(got[0].as_ref().unwrap().is_none());
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&ap));
    let (_, replace) = plan(&w, "aws_efs_access_point", Some(&ap), &ap_cfg(2000)).unwrap();
    assert!(!replace.is_empty(), "a new uid replaces");
    let mut retag = ap_cfg(1000);
    retag.set_attr("tags", Value::string_map([("Name", "app2")]));
    let apb = update(&w, "aws_efs_access_point", "aws_efs_access_point.app", &ap, &retag).await;
    assert_eq!(apb.get_string_map("tags").get("Name").map(String::as_str), Some("app2"));
    assert!(
        w.client
            .import("aws_efs_access_point", &id(&ap))
            .await
            .unwrap()
            .is_some()
    );
    let (planned, _) = plan(&w, "aws_efs_access_point", None, &ap_cfg(1000)).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_efs_access_point.app"), "aws_efs_access_point", &planned)
        .await
        .unwrap()
        .expect("adopted by client token");
    assert_eq!(id(&found), id(&ap));
    w.client
        .delete(&ctx("aws_efs_access_point.app"), "aws_efs_access_point", &apb)
        .await
        .unwrap();
    assert!(read(&w, "aws_efs_access_point", &apb).await.is_none());
    w.client
        .delete(&ctx("aws_efs_access_point.app"), "aws_efs_access_point", &apb)
        .await
        .unwrap();

    w.client
        .delete(&ctx("aws_efs_mount_target.a"), "aws_efs_mount_target", &mt2)
        .await
        .unwrap();
    assert!(read(&w, "aws_efs_mount_target", &mt2).await.is_none());
    w.client
        .delete(&ctx("aws_efs_mount_target.a"), "aws_efs_mount_target", &mt2)
        .await
        .unwrap();
}
