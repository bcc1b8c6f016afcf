use crate::common::*;
use infra_provider::{Path, Value};

fn bucket(name: &str) -> Value {
    Value::map([("bucket", Value::from(name))])
}

fn single(pairs: Vec<(&str, Value)>) -> Value {
    Value::List(vec![Value::map(pairs)])
}

#[tokio::test]
async fn s3_bucket_lifecycle() {
    let w = world_with(&[
        default_tags(&[("env", "stage")]),
        ("s3_use_path_style", Value::Bool(true)),
    ])
    .await;
    let mut logs = bucket("stage-logs");
    logs.set_attr("tags", Value::string_map([("Name", "logs")]));
    let b1 = create(&w, "aws_s3_bucket", "aws_s3_bucket.logs", &logs).await;
    assert_eq!(id(&b1), "stage-logs");
    assert_eq!(b1.get_str("arn"), Some("arn:aws:s3:::stage-logs"));
    assert_eq!(b1.get_str("region"), Some("us-east-1"));
    assert_eq!(b1.get_str("bucket_domain_name"), Some("stage-logs.s3.amazonaws.com"));
    assert!(b1.get_str("hosted_zone_id").is_some());
    assert_eq!(b1.get("object_lock_enabled"), Some(&Value::Bool(false)));
    assert_eq!(
        b1.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_no_diff(&w, "aws_s3_bucket", &b1, &logs);
    let cloud: std::collections::BTreeMap<String, String> = w
        .aws
        .s3()
        .get_bucket_tagging()
        .bucket("stage-logs")
        .send()
        .await
        .unwrap()
        .tag_set()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert_ownership_tags_hidden(&w, &b1, &cloud, "aws_s3_bucket.logs").await;

    // A prefix-named bucket: the name comes from the prefix and the client token.
    let pre = Value::map([("bucket_prefix", Value::from("assets-"))]);
    let b2 = create(&w, "aws_s3_bucket", "aws_s3_bucket.assets", &pre).await;
    assert!(id(&b2).starts_with("assets-"), "{b2:?}");
    assert_no_diff(&w, "aws_s3_bucket", &b2, &pre);
    let gone = create(&w, "aws_s3_bucket", "aws_s3_bucket.gone", &bucket("stage-gone")).await;
    w.aws.s3().delete_bucket().bucket("stage-gone").send().await.unwrap();

    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_s3_bucket", &[b2.clone(), gone.clone(), b1.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&b2));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&b1));
    assert!(made.len() <= 4, "{made:?}");

    // Tags change in place; a new name replaces.
    let mut logs2 = logs.clone();
    logs2.set_attr("tags", Value::string_map([("owner", "ops")]));
    let b1b = update(&w, "aws_s3_bucket", "aws_s3_bucket.logs", &b1, &logs2).await;
    assert_eq!(b1b.get_string_map("tags").keys().collect::<Vec<_>>(), vec!["owner"]);
    assert_eq!(read(&w, "aws_s3_bucket", &b1b).await.as_ref(), Some(&b1b));
    let (_, replace) = plan(&w, "aws_s3_bucket", Some(&b1b), &bucket("other")).unwrap();
    assert_eq!(replace, vec![Path::attr("bucket")]);

    // Import; find_created adopts the bucket of an interrupted create.
    let imported = w.client.import("aws_s3_bucket", "stage-logs").await.unwrap().unwrap();
    assert_eq!(imported.get_str("arn"), b1.get_str("arn"));
    let (planned, _) = plan(&w, "aws_s3_bucket", None, &pre).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_s3_bucket.assets"), "aws_s3_bucket", &planned)
        .await
        .unwrap()
        .expect("adopted");
    assert_eq!(id(&found), id(&b2));
    let (planned, _) = plan(&w, "aws_s3_bucket", None, &bucket("never-made")).unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_s3_bucket.never"), "aws_s3_bucket", &planned)
            .await
            .unwrap()
            .is_none()
    );

    // force_destroy empties every version first.
    w.aws
        .s3()
        .put_bucket_versioning()
        .bucket(id(&b2))
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    for body in ["one", "two"] {
        w.aws
            .s3()
            .put_object()
            .bucket(id(&b2))
            .key("k")
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap();
    }
    let mut b2f = b2.clone();
    b2f.set_attr("force_destroy", Value::Bool(true));
    w.client
        .delete(&ctx("aws_s3_bucket.assets"), "aws_s3_bucket", &b2f)
        .await
        .unwrap();
    assert!(read(&w, "aws_s3_bucket", &b2).await.is_none());
    w.client
        .delete(&ctx("aws_s3_bucket.assets"), "aws_s3_bucket", &b2f)
        .await
        .unwrap();
}

#[tokio::test]
async fn s3_bucket_configurations() {
    let w = world_with(&[("s3_use_path_style", Value::Bool(true))]).await;
    create(&w, "aws_s3_bucket", "aws_s3_bucket.b", &bucket("cfg-bucket")).await;

    // Versioning.
    let ver = Value::map([
        ("bucket", Value::from("cfg-bucket")),
        (
            "versioning_configuration",
            single(vec![("status", Value::from("Enabled"))]),
        ),
    ]);
    let v1 = create(&w, "aws_s3_bucket_versioning", "aws_s3_bucket_versioning.b", &ver).await;
    assert_eq!(id(&v1), "cfg-bucket");
    assert_eq!(
        v1.get_block("versioning_configuration")
            .and_then(|b| b.get_str("status")),
        Some("Enabled")
    );
    assert_no_diff(&w, "aws_s3_bucket_versioning", &v1, &ver);
    let mut ver2 = ver.clone();
    ver2.set_attr(
        "versioning_configuration",
        single(vec![("status", Value::from("Suspended"))]),
    );
    let v2 = update(&w, "aws_s3_bucket_versioning", "aws_s3_bucket_versioning.b", &v1, &ver2).await;
    let status = w
        .aws
        .s3()
        .get_bucket_versioning()
        .bucket("cfg-bucket")
        .send()
        .await
        .unwrap();
    assert_eq!(status.status().map(|s| s.as_str()), Some("Suspended"));
    assert_eq!(read(&w, "aws_s3_bucket_versioning", &v2).await.as_ref(), Some(&v2));
    assert!(
        w.client
            .import("aws_s3_bucket_versioning", "cfg-bucket")
            .await
            .unwrap()
            .is_some()
    );
    let (planned, _) = plan(&w, "aws_s3_bucket_versioning", None, &ver2).unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_s3_bucket_versioning.b"), "aws_s3_bucket_versioning", &planned)
            .await
            .unwrap()
            .is_some()
    );
    w.client
        .delete(&ctx("v"), "aws_s3_bucket_versioning", &v2)
        .await
        .unwrap();

    // Public access block.
    let pab = Value::map([
        ("bucket", Value::from("cfg-bucket")),
        ("block_public_acls", Value::Bool(true)),
        ("restrict_public_buckets", Value::Bool(true)),
    ]);
    let p1 = create(
        &w,
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_public_access_block.b",
        &pab,
    )
    .await;
    assert_eq!(p1.get("block_public_acls"), Some(&Value::Bool(true)));
    assert_eq!(p1.get("ignore_public_acls"), Some(&Value::Bool(false)));
    assert_no_diff(&w, "aws_s3_bucket_public_access_block", &p1, &pab);
    let mut pab2 = pab.clone();
    pab2.set_attr("ignore_public_acls", Value::Bool(true));
    let p2 = update(
        &w,
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_public_access_block.b",
        &p1,
        &pab2,
    )
    .await;
    assert_eq!(p2.get("ignore_public_acls"), Some(&Value::Bool(true)));
    assert_eq!(
        read(&w, "aws_s3_bucket_public_access_block", &p2).await.as_ref(),
        Some(&p2)
    );
    assert!(
        w.client
            .import("aws_s3_bucket_public_access_block", "cfg-bucket")
            .await
            .unwrap()
            .is_some()
    );
    w.client
        .delete(&ctx("p"), "aws_s3_bucket_public_access_block", &p2)
        .await
        .unwrap();
    assert!(read(&w, "aws_s3_bucket_public_access_block", &p2).await.is_none());
    w.client
        .delete(&ctx("p"), "aws_s3_bucket_public_access_block", &p2)
        .await
        .unwrap();

    // Lifecycle configuration.
    let rule = |days: i64| {
        Value::map([
            ("id", Value::from("logs")),
            ("status", Value::from("Enabled")),
            ("filter", single(vec![("prefix", Value::from("logs/"))])),
            ("expiration", single(vec![("days", Value::from(days))])),
            (
                "abort_incomplete_multipart_upload",
                single(vec![("days_after_initiation", Value::from(7))]),
            ),
            (
                "transition",
                Value::set(vec![Value::map([
                    ("days", Value::from(30)),
                    ("storage_class", Value::from("STANDARD_IA")),
                ])]),
            ),
        ])
    };
    let lc = Value::map([
        ("bucket", Value::from("cfg-bucket")),
        ("rule", Value::List(vec![rule(90)])),
    ]);
    let l1 = create(
        &w,
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_lifecycle_configuration.b",
        &lc,
    )
    .await;
    assert_eq!(id(&l1), "cfg-bucket");
    assert_no_diff(&w, "aws_s3_bucket_lifecycle_configuration", &l1, &lc);
    let lc2 = Value::map([
        ("bucket", Value::from("cfg-bucket")),
        ("rule", Value::List(vec![rule(30)])),
    ]);
    let l2 = update(
        &w,
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_lifecycle_configuration.b",
        &l1,
        &lc2,
    )
    .await;
    let rules = w
        .aws
        .s3()
        .get_bucket_lifecycle_configuration()
        .bucket("cfg-bucket")
        .send()
        .await
        .unwrap();
    assert_eq!(rules.rules()[0].expiration().and_then(|e| e.days()), Some(30));
    assert_eq!(
        read(&w, "aws_s3_bucket_lifecycle_configuration", &l2).await.as_ref(),
        Some(&l2)
    );
    assert_no_diff(&w, "aws_s3_bucket_lifecycle_configuration", &l2, &lc2);
    assert!(
        w.client
            .import("aws_s3_bucket_lifecycle_configuration", "cfg-bucket")
            .await
            .unwrap()
            .is_some()
    );
    w.client
        .delete(&ctx("l"), "aws_s3_bucket_lifecycle_configuration", &l2)
        .await
        .unwrap();
    assert!(read(&w, "aws_s3_bucket_lifecycle_configuration", &l2).await.is_none());
    w.client
        .delete(&ctx("l"), "aws_s3_bucket_lifecycle_configuration", &l2)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_bucket_made_but_not_tagged_is_tagged_on_adoption() {
    let w = world_with(&[("s3_use_path_style", Value::Bool(true))]).await;
    let mut cfg = bucket("killed-bucket");
    cfg.set_attr("tags", Value::string_map([("Name", "killed")]));
    let (planned, _) = plan(&w, "aws_s3_bucket", None, &cfg).unwrap();
    let c = ctx("aws_s3_bucket.killed");
    let cloud_tags = || async {
        w.aws
            .s3()
            .get_bucket_tagging()
            .bucket("killed-bucket")
            .send()
            .await
            .map(|t| {
                t.tag_set()
                    .iter()
                    .map(|t| (t.key().to_string(), t.value().to_string()))
                    .collect::<std::collections::BTreeMap<_, _>>()
            })
            .unwrap_or_default()
    };
    // CreateBucket went through, then the apply died before PutBucketTagging: no tags at all.
    w.aws.s3().create_bucket().bucket("killed-bucket").send().await.unwrap();

    let found = w
        .client
        .find_created(&c, "aws_s3_bucket", &planned)
        .await
        .unwrap()
        .expect("found by its name, untagged");
    assert!(cloud_tags().await.is_empty(), "finding it writes nothing");
    let steps = w.client.unfinished("aws_s3_bucket", &found, &planned);
    assert_eq!(steps.len(), 1, "{steps:?}");
    assert!(steps[0].contains("tag"), "{steps:?}");

    let finished = w
        .client
        .finish_create(&c, "aws_s3_bucket", &found, &planned)
        .await
        .unwrap();
    let tags = cloud_tags().await;
    assert_eq!(tags.get("Name").map(String::as_str), Some("killed"));
    for (k, v) in c.ownership_tags() {
        assert_eq!(tags.get(&k), Some(&v), "{tags:?}");
    }
    assert!(w.client.unfinished("aws_s3_bucket", &finished, &planned).is_empty());
    assert_no_diff(&w, "aws_s3_bucket", &finished, &cfg);
    // Found again, it is found by its ownership tags, finished.
    let again = w
        .client
        .find_created(&c, "aws_s3_bucket", &planned)
        .await
        .unwrap()
        .expect("found by its ownership tags");
    assert!(w.client.unfinished("aws_s3_bucket", &again, &planned).is_empty());
    // A bucket of that name with someone else's tags is not this create's.
    assert!(
        w.client
            .find_created(&ctx("aws_s3_bucket.other"), "aws_s3_bucket", &planned)
            .await
            .unwrap()
            .is_none()
    );
}

/// `acl` (deprecated by Terraform, still valid): the canned ACL is put at create and changed in place,
/// and a plan after shows no difference.
#[tokio::test]
async fn s3_bucket_canned_acl() {
    let w = world_with(&[("s3_use_path_style", Value::Bool(true))]).await;
    let cfg = |acl: &str| {
        Value::map([
            ("bucket", Value::from("infra-acl-test")),
            ("acl", Value::from(acl)),
            ("force_destroy", Value::Bool(true)),
        ])
    };
    let grants = |w: &World| {
        let s3 = w.aws.s3().clone();
        async move {
            let out = s3.get_bucket_acl().bucket("infra-acl-test").send().await.unwrap();
            out.grants()
                .iter()
                .filter_map(|g| g.grantee().and_then(|e| e.uri()).map(|u| u.to_string()))
                .collect::<Vec<_>>()
        }
    };
    let b = create(&w, "aws_s3_bucket", "aws_s3_bucket.b", &cfg("public-read")).await;
    assert_eq!(b.get_str("acl"), Some("public-read"));
    assert!(
        grants(&w).await.iter().any(|u| u.ends_with("/global/AllUsers")),
        "public-read grants AllUsers"
    );
    assert_no_diff(&w, "aws_s3_bucket", &b, &cfg("public-read"));
    let b2 = update(&w, "aws_s3_bucket", "aws_s3_bucket.b", &b, &cfg("private")).await;
    assert_eq!(b2.get_str("acl"), Some("private"));
    assert!(grants(&w).await.is_empty(), "private grants no group");
    assert_eq!(read(&w, "aws_s3_bucket", &b2).await.as_ref(), Some(&b2));
}
