use crate::common::*;
use infra_provider::{Path, Value};

fn repo(name: &str) -> Value {
    Value::map([("name", Value::from(name))])
}

#[tokio::test]
async fn ecr_repository_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage")])]).await;
    let mut app = repo("app");
    app.set_attr("tags", Value::string_map([("Name", "app")]));
    app.set_attr(
        "image_scanning_configuration",
        Value::List(vec![Value::map([("scan_on_push", Value::Bool(true))])]),
    );
    let r1 = create(&w, "aws_ecr_repository", "aws_ecr_repository.app", &app).await;
    assert_eq!(id(&r1), "app");
    assert_eq!(r1.get_str("image_tag_mutability"), Some("MUTABLE"));
    assert!(r1.get_str("arn").unwrap().ends_with(":repository/app"), "{r1:?}");
    assert!(r1.get_str("repository_url").unwrap().ends_with("/app"), "{r1:?}");
    assert!(!r1.get_str("registry_id").unwrap().is_empty());
    assert_eq!(
        r1.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_no_diff(&w, "aws_ecr_repository", &r1, &app);
    let cloud: std::collections::BTreeMap<String, String> = w
        .aws
        .ecr()
        .list_tags_for_resource()
        .resource_arn(r1.get_str("arn").unwrap())
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert_ownership_tags_hidden(&w, &r1, &cloud, "aws_ecr_repository.app").await;

    let r2 = create(&w, "aws_ecr_repository", "aws_ecr_repository.worker", &repo("worker")).await;
    assert_no_diff(&w, "aws_ecr_repository", &r2, &repo("worker"));
    let gone = create(&w, "aws_ecr_repository", "aws_ecr_repository.gone", &repo("gone")).await;
    w.aws
        .ecr()
        .delete_repository()
        .repository_name("gone")
        .send()
        .await
        .unwrap();

    // Batched refresh: one deleted out of band, order kept, no per-repository describe.
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_ecr_repository", &[r2.clone(), gone.clone(), r1.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&r2));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&r1));
    // DescribeRepositories (names, and once more without the missing one: the API fails the whole call
    // for one unknown name), one Tagging API call for every tag; moto's Tagging API does not know ECR
    // repositories, so their tags fall back to ListTagsForResource — against AWS that fallback is not taken.
    assert!(made.len() <= 5, "{made:?}");

    // In place: mutability and tags. (Turning scan on push off is not checked: the SDK leaves a false
    // `scanOnPush` out of PutImageScanningConfiguration, which AWS reads as false and moto ignores.)
    let mut app2 = app.clone();
    app2.set_attr("image_tag_mutability", Value::from("IMMUTABLE"));
    app2.set_attr("tags", Value::string_map([("owner", "ops")]));
    let r1b = update(&w, "aws_ecr_repository", "aws_ecr_repository.app", &r1, &app2).await;
    assert_eq!(r1b.get_str("image_tag_mutability"), Some("IMMUTABLE"));
    assert_eq!(r1b.get_string_map("tags").keys().collect::<Vec<_>>(), vec!["owner"]);
    assert_eq!(read(&w, "aws_ecr_repository", &r1b).await.as_ref(), Some(&r1b));
    assert_no_diff(&w, "aws_ecr_repository", &r1b, &app2);

    // Renaming and a new encryption configuration replace.
    let (_, replace) = plan(&w, "aws_ecr_repository", Some(&r1b), &repo("other")).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);
    let mut kms = app2.clone();
    kms.set_attr(
        "encryption_configuration",
        Value::List(vec![Value::map([("encryption_type", Value::from("KMS"))])]),
    );
    let (_, replace) = plan(&w, "aws_ecr_repository", Some(&r1b), &kms).unwrap();
    assert!(!replace.is_empty(), "encryption change must replace");

    // Import by name; find_created by name after an interrupted create.
    let imported = w.client.import("aws_ecr_repository", "worker").await.unwrap().unwrap();
    assert_eq!(imported.get_str("arn"), r2.get_str("arn"));
    let (planned, _) = plan(&w, "aws_ecr_repository", None, &repo("worker")).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_ecr_repository.worker"), "aws_ecr_repository", &planned)
        .await
        .unwrap()
        .expect("adopted");
    assert_eq!(id(&found), "worker");
    let (planned, _) = plan(&w, "aws_ecr_repository", None, &repo("never")).unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_ecr_repository.never"), "aws_ecr_repository", &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Delete; already gone is success.
    w.client
        .delete(&ctx("aws_ecr_repository.worker"), "aws_ecr_repository", &r2)
        .await
        .unwrap();
    assert!(read(&w, "aws_ecr_repository", &r2).await.is_none());
    w.client
        .delete(&ctx("aws_ecr_repository.worker"), "aws_ecr_repository", &r2)
        .await
        .unwrap();
}

#[tokio::test]
async fn ecr_lifecycle_policy_lifecycle() {
    let w = world().await;
    let r = create(&w, "aws_ecr_repository", "aws_ecr_repository.app", &repo("app")).await;
    let policy = r#"{"rules":[{"rulePriority":1,"description":"keep 10","selection":{"tagStatus":"any","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}"#;
    let cfg = Value::map([("repository", Value::from("app")), ("policy", Value::from(policy))]);
    let p = create(&w, "aws_ecr_lifecycle_policy", "aws_ecr_lifecycle_policy.app", &cfg).await;
    assert_eq!(id(&p), "app");
    assert_eq!(p.get_str("registry_id"), r.get_str("registry_id"));
    assert_eq!(read(&w, "aws_ecr_lifecycle_policy", &p).await.as_ref(), Some(&p));

    let policy2 = policy.replace("10", "5");
    let mut cfg2 = cfg.clone();
    cfg2.set_attr("policy", Value::from(policy2.as_str()));
    let p2 = update(
        &w,
        "aws_ecr_lifecycle_policy",
        "aws_ecr_lifecycle_policy.app",
        &p,
        &cfg2,
    )
    .await;
    let text = w
        .aws
        .ecr()
        .get_lifecycle_policy()
        .repository_name("app")
        .send()
        .await
        .unwrap()
        .lifecycle_policy_text()
        .unwrap()
        .to_string();
    assert!(
        text.contains("\"countNumber\":5") || text.contains("\"countNumber\": 5"),
        "{text}"
    );
    let (_, replace) = plan(
        &w,
        "aws_ecr_lifecycle_policy",
        Some(&p2),
        &Value::map([("repository", Value::from("x")), ("policy", Value::from(policy))]),
    )
    .unwrap();
    assert_eq!(replace, vec![Path::attr("repository")]);

    let imported = w
        .client
        .import("aws_ecr_lifecycle_policy", "app")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id(&imported), "app");
    let (planned, _) = plan(&w, "aws_ecr_lifecycle_policy", None, &cfg2).unwrap();
    assert!(
        w.client
            .find_created(
                &ctx("aws_ecr_lifecycle_policy.app"),
                "aws_ecr_lifecycle_policy",
                &planned
            )
            .await
            .unwrap()
            .is_some()
    );

    w.client
        .delete(&ctx("aws_ecr_lifecycle_policy.app"), "aws_ecr_lifecycle_policy", &p2)
        .await
        .unwrap();
    assert!(read(&w, "aws_ecr_lifecycle_policy", &p2).await.is_none());
    w.client
        .delete(&ctx("aws_ecr_lifecycle_policy.app"), "aws_ecr_lifecycle_policy", &p2)
        .await
        .unwrap();
}
