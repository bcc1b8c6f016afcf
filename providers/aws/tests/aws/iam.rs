//! `aws_iam_role`, `aws_iam_role_policy_attachment`, `aws_iam_role_policy` against moto.

use crate::common::*;
use infra_provider::{Path, Value};

const ASSUME: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
/// The same document, written differently.
const ASSUME_REFORMATTED: &str = r#"{
  "Statement": [{"Action": "sts:AssumeRole", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Effect": "Allow"}],
  "Version": "2012-10-17"
}"#;
const POLICY: &str =
    r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
const POLICY2: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"*"}]}"#;

fn role(name: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("assume_role_policy", Value::from(ASSUME)),
        ("description", Value::from("task role")),
        ("tags", Value::string_map([("team", "web")])),
    ])
}

async fn managed_policy(w: &World, name: &str) -> String {
    w.aws
        .iam()
        .create_policy()
        .policy_name(name)
        .policy_document(POLICY)
        .send()
        .await
        .unwrap()
        .policy()
        .unwrap()
        .arn()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn iam_role_lifecycle() {
    let w = world().await;
    let a = create(&w, "aws_iam_role", "aws_iam_role.a", &role("app-a")).await;
    let b = create(&w, "aws_iam_role", "aws_iam_role.b", &role("app-b")).await;
    let c = create(&w, "aws_iam_role", "aws_iam_role.c", &role("app-c")).await;
    assert_eq!(id(&a), "app-a");
    assert!(a.get_str("arn").unwrap().ends_with(":role/app-a"), "{a:?}");
    assert!(a.get_str("unique_id").is_some_and(|u| !u.is_empty()));
    assert_eq!(a.get_i64("max_session_duration"), Some(3600));
    assert_eq!(a.get_str("path"), Some("/"));
    assert_eq!(a.get_str("description"), Some("task role"));
    assert_eq!(a.get_string_map("tags").get("team").map(String::as_str), Some("web"));
    let cloud = w.aws.iam().get_role().role_name("app-a").send().await.unwrap();
    let cloud_tags = cloud
        .role()
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect();
    assert_ownership_tags_hidden(&w, &a, &cloud_tags, "aws_iam_role.a").await;
    assert_no_diff(&w, "aws_iam_role", &a, &role("app-a"));
    // The same policy written differently is no change (compared by JSON meaning).
    let mut same = role("app-a");
    same.set_attr("assume_role_policy", Value::from(ASSUME_REFORMATTED));
    let (planned, _) = plan(&w, "aws_iam_role", Some(&a), &same).unwrap();
    let schema = schema_of(&w, "aws_iam_role");
    assert!(schema.block.attributes["assume_role_policy"].json);
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(planned.get_str("assume_role_policy").unwrap()).unwrap(),
        serde_json::from_str::<serde_json::Value>(a.get_str("assume_role_policy").unwrap()).unwrap()
    );

    // Batched read: two listings for all roles, one deleted out of band.
    w.aws.iam().delete_role().role_name("app-b").send().await.unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read("aws_iam_role", &[c.clone(), b.clone(), a.clone()]).await;
    let made = calls.take();
    assert!(made.len() <= 2, "{made:?}");
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&c));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a));

    // In place: description, session duration, trust policy, tags.
    let mut cfg2 = role("app-a");
    cfg2.set_attr("description", Value::from("renamed role"));
    cfg2.set_attr("max_session_duration", Value::int(7200));
    cfg2.set_attr(
        "assume_role_policy",
        Value::from(ASSUME.replace("ecs-tasks.amazonaws.com", "lambda.amazonaws.com")),
    );
    cfg2.set_attr("tags", Value::string_map([("team", "api"), ("env", "stage")]));
    let a2 = update(&w, "aws_iam_role", "aws_iam_role.a", &a, &cfg2).await;
    assert_eq!(a2.get_str("description"), Some("renamed role"));
    assert_eq!(a2.get_i64("max_session_duration"), Some(7200));
    assert!(
        a2.get_str("assume_role_policy")
            .unwrap()
            .contains("lambda.amazonaws.com")
    );
    assert_eq!(a2.get_string_map("tags").len(), 2);
    assert_no_diff(&w, "aws_iam_role", &a2, &cfg2);

    // A new name or path replaces it.
    let (_, replace) = plan(&w, "aws_iam_role", Some(&a2), &role("app-z")).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);

    let imported = w.client.import("aws_iam_role", "app-c").await.unwrap().unwrap();
    assert_eq!(imported.get_str("description"), Some("task role"));
    assert_eq!(imported.get_str("arn"), c.get_str("arn"));

    // Deleting a role with an attached policy needs force_detach_policies.
    let arn = managed_policy(&w, "reader").await;
    w.aws
        .iam()
        .attach_role_policy()
        .role_name("app-a")
        .policy_arn(&arn)
        .send()
        .await
        .unwrap();
    let e = w
        .client
        .delete(&ctx("aws_iam_role.a"), "aws_iam_role", &a2)
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("DeleteConflict"), "{e}");
    let forced = a2.clone().with("force_detach_policies", Value::Bool(true));
    w.client
        .delete(&ctx("aws_iam_role.a"), "aws_iam_role", &forced)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_iam_role", &a2).await, None);
    w.client
        .delete(&ctx("aws_iam_role.a"), "aws_iam_role", &forced)
        .await
        .unwrap();
}

#[tokio::test]
async fn iam_role_generated_names_and_find_created() {
    let w = world().await;
    let cfg = Value::map([
        ("name_prefix", Value::from("svc-")),
        ("assume_role_policy", Value::from(ASSUME)),
    ]);
    let (planned, _) = plan(&w, "aws_iam_role", None, &cfg).unwrap();
    assert!(planned.get("name").unwrap().is_unknown());
    let x = ctx("aws_iam_role.x");
    assert!(
        w.client
            .find_created(&x, "aws_iam_role", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w.client.create(&x, "aws_iam_role", &planned).await.unwrap();
    assert!(id(&made).starts_with("svc-"), "{made:?}");
    assert_eq!(made.get_str("name_prefix"), Some("svc-"));
    let found = w.client.find_created(&x, "aws_iam_role", &planned).await.unwrap();
    assert_eq!(found.as_ref(), Some(&made));
    // Another operation (another client token) does not adopt it.
    let other = ctx_with_token("aws_iam_role.x", "another-token");
    assert!(
        w.client
            .find_created(&other, "aws_iam_role", &planned)
            .await
            .unwrap()
            .is_none()
    );
    assert_no_diff(&w, "aws_iam_role", &made, &cfg);
}

#[tokio::test]
async fn iam_role_managed_and_inline_policies_in_the_role() {
    let w = world().await;
    let arn = managed_policy(&w, "reader").await;
    let cfg = role("owner")
        .with("managed_policy_arns", Value::string_set([arn.as_str()]))
        .with(
            "inline_policy",
            Value::List(vec![Value::map([
                ("name", Value::from("s3")),
                ("policy", Value::from(POLICY)),
            ])]),
        );
    let r = create(&w, "aws_iam_role", "aws_iam_role.owner", &cfg).await;
    assert_eq!(r.get_strings("managed_policy_arns"), vec![arn.clone()]);
    assert_eq!(r.get_list("inline_policy").len(), 1);
    assert_no_diff(&w, "aws_iam_role", &r, &cfg);
    let cfg2 = role("owner")
        .with("managed_policy_arns", Value::string_set::<&str>([]))
        .with(
            "inline_policy",
            Value::List(vec![Value::map([
                ("name", Value::from("s3")),
                ("policy", Value::from(POLICY2)),
            ])]),
        );
    let r2 = update(&w, "aws_iam_role", "aws_iam_role.owner", &r, &cfg2).await;
    assert!(r2.get_strings("managed_policy_arns").is_empty());
    assert!(
        r2.get_list("inline_policy")[0]
            .get_str("policy")
            .unwrap()
            .contains("s3:PutObject")
    );
}

#[tokio::test]
async fn iam_role_policy_attachment_lifecycle() {
    let w = world().await;
    create(&w, "aws_iam_role", "aws_iam_role.a", &role("app")).await;
    let p1 = managed_policy(&w, "p1").await;
    let p2 = managed_policy(&w, "p2").await;
    let cfg = |arn: &str| Value::map([("role", Value::from("app")), ("policy_arn", Value::from(arn))]);
    let t = "aws_iam_role_policy_attachment";
    let a1 = create(&w, t, "aws_iam_role_policy_attachment.a1", &cfg(&p1)).await;
    let a2 = create(&w, t, "aws_iam_role_policy_attachment.a2", &cfg(&p2)).await;
    assert!(id(&a1).starts_with("app-"), "{a1:?}");
    assert_ne!(id(&a1), id(&a2));
    let attached = w
        .aws
        .iam()
        .list_attached_role_policies()
        .role_name("app")
        .send()
        .await
        .unwrap();
    assert_eq!(attached.attached_policies().len(), 2);
    assert_no_diff(&w, t, &a1, &cfg(&p1));

    // Batched read: one listing; one detached out of band.
    w.aws
        .iam()
        .detach_role_policy()
        .role_name("app")
        .policy_arn(&p2)
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(t, &[a2.clone(), a1.clone()]).await;
    assert_eq!(calls.take().len(), 1);
    assert!(got[0].as_ref().unwrap().is_none());
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&a1));

    // Another policy replaces the attachment.
    let (_, replace) = plan(&w, t, Some(&a1), &cfg(&p2)).unwrap();
    assert_eq!(replace, vec![Path::attr("policy_arn")]);

    let imported = w.client.import(t, &format!("app/{p1}")).await.unwrap().unwrap();
    assert_eq!(imported.get_str("policy_arn"), Some(p1.as_str()));
    assert!(w.client.import(t, "app").await.is_err());
    assert!(w.client.import(t, &format!("app/{p2}")).await.unwrap().is_none());

    let x = ctx("aws_iam_role_policy_attachment.a1");
    let (planned, _) = plan(&w, t, None, &cfg(&p1)).unwrap();
    let found = w.client.find_created(&x, t, &planned).await.unwrap().unwrap();
    assert_eq!(found.get_str("policy_arn"), Some(p1.as_str()));

    w.client.delete(&x, t, &a1).await.unwrap();
    assert_eq!(read(&w, t, &a1).await, None);
    w.client.delete(&x, t, &a1).await.unwrap();
    assert!(w.client.find_created(&x, t, &planned).await.unwrap().is_none());
}

#[tokio::test]
async fn iam_role_policy_lifecycle() {
    let w = world().await;
    create(&w, "aws_iam_role", "aws_iam_role.a", &role("app")).await;
    let t = "aws_iam_role_policy";
    let cfg = |name: &str, doc: &str| {
        Value::map([
            ("name", Value::from(name)),
            ("role", Value::from("app")),
            ("policy", Value::from(doc)),
        ])
    };
    let p = create(&w, t, "aws_iam_role_policy.p", &cfg("s3", POLICY)).await;
    let q = create(&w, t, "aws_iam_role_policy.q", &cfg("logs", POLICY)).await;
    assert_eq!(id(&p), "app:s3");
    assert_no_diff(&w, t, &p, &cfg("s3", POLICY));
    assert!(schema_of(&w, t).block.attributes["policy"].json);

    w.aws
        .iam()
        .delete_role_policy()
        .role_name("app")
        .policy_name("logs")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w.client.read(t, &[q.clone(), p.clone()]).await;
    assert_eq!(calls.take().len(), 1);
    assert!(got[0].as_ref().unwrap().is_none());
    assert_eq!(got[1].as_ref().unwrap().as_ref(), Some(&p));

    let p2 = update(&w, t, "aws_iam_role_policy.p", &p, &cfg("s3", POLICY2)).await;
    assert!(p2.get_str("policy").unwrap().contains("s3:PutObject"));
    let doc = w
        .aws
        .iam()
        .get_role_policy()
        .role_name("app")
        .policy_name("s3")
        .send()
        .await
        .unwrap();
    assert!(infra_aws::iam::decode_policy(doc.policy_document()).contains("s3:PutObject"));
    let (_, replace) = plan(&w, t, Some(&p2), &cfg("other", POLICY2)).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);

    let imported = w.client.import(t, "app:s3").await.unwrap().unwrap();
    assert_eq!(imported.get_str("name"), Some("s3"));
    assert!(w.client.import(t, "app/s3").await.is_err());

    // Without a name, the name comes from the client token: a rerun finds the same policy.
    let unnamed = Value::map([("role", Value::from("app")), ("policy", Value::from(POLICY))]);
    let (planned, _) = plan(&w, t, None, &unnamed).unwrap();
    let x = ctx("aws_iam_role_policy.x");
    assert!(w.client.find_created(&x, t, &planned).await.unwrap().is_none());
    let made = w.client.create(&x, t, &planned).await.unwrap();
    assert!(made.get_str("name").unwrap().starts_with("terraform-"));
    assert_eq!(
        w.client.find_created(&x, t, &planned).await.unwrap().as_ref(),
        Some(&made)
    );

    w.client.delete(&x, t, &p2).await.unwrap();
    assert_eq!(read(&w, t, &p2).await, None);
    w.client.delete(&x, t, &p2).await.unwrap();
}
