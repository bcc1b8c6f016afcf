//! The S3 backend on moto: the conformance suite, plus what is particular to S3 (lock leases, the
//! workspace key layout, refused and wrong arguments).

use infra::encryption::Encryptor;
use infra::state::StateStore;
use infra::state::conformance::{self, DeadHolder, Subject};
use infra_backend::{Backend, BackendContext, BackendError, BackendType, LockInfo, Settings};
use infra_testkit::Moto;
use std::sync::Arc;
use std::time::Duration;

async fn client(moto: &Moto) -> aws_sdk_s3::Client {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(moto.endpoint())
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_s3::config::Credentials::new(
            "testing", "testing", None, None, "test",
        ))
        .load()
        .await;
    aws_sdk_s3::Client::from_conf(aws_sdk_s3::config::Builder::from(&conf).force_path_style(true).build())
}

async fn versioned_bucket(c: &aws_sdk_s3::Client, name: &str) {
    c.create_bucket().bucket(name).send().await.unwrap();
    c.put_bucket_versioning()
        .bucket(name)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
}

fn settings(moto: &Moto, bucket: &str, extra: &[(&str, serde_json::Value)]) -> Settings {
    let mut s = Settings::new();
    for (k, v) in [
        ("bucket", bucket),
        ("key", "stack/terraform.tfstate"),
        ("region", "us-east-1"),
        ("access_key", "testing"),
        ("secret_key", "testing"),
    ] {
        s.insert(k.into(), v.into());
    }
    s.insert("use_path_style".into(), true.into());
    s.insert(
        "endpoints".into(),
        serde_json::json!({ "s3": moto.endpoint(), "sts": moto.endpoint() }),
    );
    for (k, v) in extra {
        s.insert((*k).into(), v.clone());
    }
    s
}

async fn backend(s: &Settings) -> Result<Arc<dyn Backend>, BackendError> {
    infra_aws::s3_backend().configure(s, &BackendContext::default()).await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_s3_backend_conforms() {
    let moto = Moto::start();
    let c = client(&moto).await;
    versioned_bucket(&c, "conformance").await;
    let b = backend(&settings(&moto, "conformance", &[])).await.unwrap();
    let opener = b.clone();
    let c2 = c.clone();
    let subject = Subject {
        open: Box::new(move || opener.state("default")),
        // What a killed holder leaves: its lock object, with a lease that ran out long ago.
        plant_dead_lock: Box::new(move |mut info| {
            let c = c2.clone();
            Box::pin(async move {
                info.path = "s3://conformance/stack/terraform.tfstate".into();
                info.renewed = Some("2026-01-01T00:00:00Z".into());
                info.lease_seconds = Some(60);
                c.put_object()
                    .bucket("conformance")
                    .key("stack/terraform.tfstate.tflock")
                    .body(serde_json::to_vec(&info).unwrap().into())
                    .send()
                    .await
                    .unwrap();
            })
        }),
        dead_holder: DeadHolder::ReportedStale,
        keeps_previous: true,
    };
    conformance::run(&subject).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_held_lock_is_renewed_and_a_removed_lock_stops_the_holder_writing() {
    let moto = Moto::start();
    let c = client(&moto).await;
    versioned_bucket(&c, "leases").await;
    let ty = infra_aws::backend::s3::S3BackendType {
        lease: Some(Duration::from_secs(2)),
    };
    let b = ty
        .configure(&settings(&moto, "leases", &[]), &BackendContext::default())
        .await
        .unwrap();
    let blob = b.state("stage");
    assert_eq!(blob.location(), "s3://leases/env:/stage/stack/terraform.tfstate");
    let store = StateStore::new(blob.clone(), Encryptor::none());
    let mut st = conformance::sample();
    store.persist(&mut st).await.unwrap();
    let me = LockInfo::new("apply");
    store.lock(&me, Duration::ZERO).await.unwrap();
    let first = blob.lock_holder().await.unwrap().unwrap();
    assert_eq!(first.lease_seconds, Some(2));
    // Well past the lease: renewed, so still live for everyone else.
    tokio::time::sleep(Duration::from_millis(3000)).await;
    let now = blob.lock_holder().await.unwrap().unwrap();
    assert_ne!(now.renewed, first.renewed, "the lease was renewed");
    assert!(now.expired_for().is_none());
    let other = StateStore::new(b.state("stage"), Encryptor::none());
    match other.lock(&LockInfo::new("plan"), Duration::ZERO).await {
        Err(infra::state::StateError::Locked { info, .. }) => assert_eq!(info.id, me.id),
        x => panic!("a renewed lock is live: {x:?}"),
    }
    // Someone force-unlocks it: the holder notices at its next renewal and writes no more.
    other.unlock(&me.id).await.unwrap();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    st.outputs.clear();
    match store.persist(&mut st).await {
        Err(infra::state::StateError::Backend {
            source: BackendError::LockLost(_),
            ..
        }) => {}
        x => panic!("a holder whose lock was removed must not write: {x:?}"),
    }
}

#[tokio::test]
async fn environments_follow_the_workspace_key_prefix() {
    let moto = Moto::start();
    let c = client(&moto).await;
    versioned_bucket(&c, "envs").await;
    let b = backend(&settings(&moto, "envs", &[("workspace_key_prefix", "teams/a".into())]))
        .await
        .unwrap();
    for env in ["default", "stage", "prod"] {
        b.state(env).put(b"{}").await.unwrap();
    }
    // Another stack's key in the same prefix is not an environment of this one.
    c.put_object()
        .bucket("envs")
        .key("teams/a/qa/other/terraform.tfstate")
        .body(b"{}".to_vec().into())
        .send()
        .await
        .unwrap();
    assert_eq!(b.environments().await.unwrap(), vec!["default", "prod", "stage"]);
    assert_eq!(
        b.state("prod").location(),
        "s3://envs/teams/a/prod/stack/terraform.tfstate"
    );
}

#[tokio::test]
async fn wrong_arguments_are_clear_errors() {
    let moto = Moto::start();
    let err = |e: Result<Arc<dyn Backend>, BackendError>| e.err().expect("an error").to_string();
    let e = err(backend(&settings(&moto, "b", &[("region", "mars-north-9".into())])).await);
    assert!(e.contains("Invalid AWS Region: mars-north-9"), "{e}");
    let e = err(backend(&settings(&moto, "b", &[("kms_key_id", "alias/x".into())])).await);
    assert!(e.contains("kms_key_id needs encrypt = true"), "{e}");
    let e = err(backend(&settings(&moto, "b", &[("acl", "world-writable".into())])).await);
    assert!(e.contains("not a canned ACL"), "{e}");
    let refused = infra_aws::s3_backend().arguments();
    let d = refused.iter().find(|a| a.name == "dynamodb_table").unwrap();
    assert!(d.refused.unwrap().contains("use_lockfile"));
    // A bucket that does not exist: the service's error, with the location.
    let b = backend(&settings(&moto, "no-such-bucket", &[])).await.unwrap();
    let e = b.state("default").put(b"{}").await.err().unwrap().to_string();
    assert!(
        e.contains("s3://no-such-bucket/stack/terraform.tfstate") && e.contains("NoSuchBucket"),
        "{e}"
    );
}

#[tokio::test]
async fn encrypt_and_acl_are_sent_with_every_write() {
    let moto = Moto::start();
    let c = client(&moto).await;
    versioned_bucket(&c, "sse").await;
    let b = backend(&settings(
        &moto,
        "sse",
        &[("encrypt", true.into()), ("acl", "bucket-owner-full-control".into())],
    ))
    .await
    .unwrap();
    let store = StateStore::new(b.state("default"), Encryptor::none());
    store.persist(&mut conformance::sample()).await.unwrap();
    let head = c
        .head_object()
        .bucket("sse")
        .key("stack/terraform.tfstate")
        .send()
        .await
        .unwrap();
    assert_eq!(
        head.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256)
    );
    store.lock(&LockInfo::new("apply"), Duration::ZERO).await.unwrap();
    let lock = c
        .head_object()
        .bucket("sse")
        .key("stack/terraform.tfstate.tflock")
        .send()
        .await
        .unwrap();
    assert_eq!(
        lock.server_side_encryption(),
        Some(&aws_sdk_s3::types::ServerSideEncryption::Aes256),
        "the lock object too"
    );
}
