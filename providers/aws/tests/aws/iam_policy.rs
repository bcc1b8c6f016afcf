//! `aws_iam_policy` against moto.

use crate::common::*;
use infra_provider::{Path, Value};
use std::collections::BTreeMap;

const T: &str = "aws_iam_policy";

fn doc(actions: &[&str]) -> String {
    serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": actions, "Resource": "*"}]
    })
    .to_string()
}

fn config(name: &str, policy: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("path", Value::from("/app/")),
        ("description", Value::from("web tasks")),
        ("policy", Value::from(policy)),
        ("tags", Value::string_map([("team", "web")])),
    ])
}

async fn cloud_tags(w: &World, arn: &str) -> BTreeMap<String, String> {
    w.aws
        .iam()
        .list_policy_tags()
        .policy_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

async fn versions(w: &World, arn: &str) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = w
        .aws
        .iam()
        .list_policy_versions()
        .policy_arn(arn)
        .send()
        .await
        .unwrap()
        .versions()
        .iter()
        .map(|v| (v.version_id().unwrap().to_string(), v.is_default_version()))
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn iam_policy_lifecycle() {
    let w = world().await;
    let cfg = config("web", &doc(&["s3:GetObject"]));
    let p1 = create(&w, T, "aws_iam_policy.web", &cfg).await;
    let arn = id(&p1);
    assert_eq!(arn, "arn:aws:iam::123456789012:policy/app/web");
    assert_eq!(p1.get_str("arn"), Some(arn.as_str()));
    assert_eq!(p1.get_str("path"), Some("/app/"));
    assert_eq!(p1.get_str("description"), Some("web tasks"));
    assert!(p1.get_str("policy_id").is_some_and(|p| !p.is_empty()), "{p1:?}");
    assert_eq!(p1.get_i64("attachment_count"), Some(0));
    assert_ownership_tags_hidden(&w, &p1, &cloud_tags(&w, &arn).await, "aws_iam_policy.web").await;
    assert_no_diff(&w, T, &p1, &cfg);
    // The same document written differently is no change.
    let pretty = serde_json::to_string_pretty(&serde_json::json!({
        "Statement": [{"Resource": "*", "Action": ["s3:GetObject"], "Effect": "Allow"}],
        "Version": "2012-10-17"
    }))
    .unwrap();
    let read_back = read(&w, T, &p1.clone().with("policy", Value::from(pretty.as_str())))
        .await
        .unwrap();
    assert_eq!(read_back.get_str("policy"), Some(pretty.as_str()), "prior text kept");

    // A new document is a new default version, in place; with five versions the oldest
    // non-default one goes first.
    let mut cur = p1.clone();
    for i in 2..=6 {
        let actions: Vec<String> = (0..i).map(|k| format!("s3:Action{k}")).collect();
        let acts: Vec<&str> = actions.iter().map(String::as_str).collect();
        let next = config("web", &doc(&acts));
        cur = update(&w, T, "aws_iam_policy.web", &cur, &next).await;
        assert_eq!(cur.get_str("policy"), Some(doc(&acts).as_str()));
        assert_no_diff(&w, T, &cur, &next);
    }
    let v = versions(&w, &arn).await;
    assert_eq!(v.len(), 5, "{v:?}");
    assert!(!v.iter().any(|(id, _)| id == "v1"), "the oldest was pruned: {v:?}");
    assert!(v.contains(&("v6".to_string(), true)), "{v:?}");

    // Tags in place; name, path and description force a new policy.
    let mut tagged = config("web", cur.get_str("policy").unwrap());
    tagged.set_attr("tags", Value::string_map([("team", "api"), ("env", "stage")]));
    let p2 = update(&w, T, "aws_iam_policy.web", &cur, &tagged).await;
    assert_eq!(cloud_tags(&w, &arn).await.get("env").map(String::as_str), Some("stage"));
    assert_eq!(p2.get_string_map("tags").get("team").map(String::as_str), Some("api"));
    assert_no_diff(&w, T, &p2, &tagged);
    for (k, v) in [("name", "web2"), ("path", "/other/"), ("description", "changed")] {
        let mut c = tagged.clone();
        c.set_attr(k, Value::from(v));
        let (_, replace) = plan(&w, T, Some(&p2), &c).unwrap();
        assert_eq!(replace, vec![Path::attr(k)], "{k}");
    }

    // Batched read in a refresh: one authorization details listing and the tags of each; a policy
    // deleted out of band is missing from it and read with GetPolicy, which says it is gone.
    let other = create(&w, T, "aws_iam_policy.other", &config("other", &doc(&["sqs:*"]))).await;
    let gone = create(&w, T, "aws_iam_policy.gone", &config("gone", &doc(&["sns:*"]))).await;
    w.aws.iam().delete_policy().policy_arn(id(&gone)).send().await.unwrap();
    let calls = ApiCalls::record();
    let batch = [(T.to_string(), vec![other.clone(), gone.clone(), p2.clone()])];
    let got = w.client.refresh(LINEAGE, &batch).await.pop().unwrap();
    let made: Vec<String> = calls.take().into_iter().map(|(_, op)| op).collect();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&other));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&p2));
    assert_eq!(
        made.iter().filter(|o| *o == "GetAccountAuthorizationDetails").count(),
        1,
        "{made:?}"
    );
    assert_eq!(made.iter().filter(|o| *o == "GetPolicy").count(), 1, "{made:?}");
    assert!(!made.iter().any(|o| o == "GetPolicyVersion"), "{made:?}");

    // Import by ARN; find_created by ARN and ownership tags.
    let imported = w.client.import(T, &arn).await.unwrap().unwrap();
    assert_eq!(imported.get_str("name"), Some("web"));
    assert_no_diff(&w, T, &imported, &tagged);
    assert!(w.client.import(T, "web").await.is_err());
    let (planned, _) = plan(&w, T, None, &cfg).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_iam_policy.web"), T, &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id), Some(arn.clone()));
    assert!(
        w.client
            .find_created(&ctx("aws_iam_policy.x"), T, &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Delete removes the other versions first; a second delete is success.
    w.client.delete(&ctx("aws_iam_policy.web"), T, &p2).await.unwrap();
    assert_eq!(read(&w, T, &p2).await, None);
    w.client.delete(&ctx("aws_iam_policy.web"), T, &p2).await.unwrap();
}

#[tokio::test]
async fn iam_policy_name_prefix() {
    let w = world().await;
    let cfg = Value::map([
        ("name_prefix", Value::from("ci-")),
        ("policy", Value::from(doc(&["s3:ListBucket"]).as_str())),
    ]);
    let p = create(&w, T, "aws_iam_policy.ci", &cfg).await;
    assert!(p.get_str("name").unwrap().starts_with("ci-"), "{p:?}");
    assert_eq!(p.get_str("name_prefix"), Some("ci-"));
    assert_eq!(p.get_str("path"), Some("/"));
    assert_no_diff(&w, T, &p, &cfg);
}
