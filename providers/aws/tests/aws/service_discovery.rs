//! `aws_service_discovery_private_dns_namespace` and `aws_service_discovery_service` against moto.

use crate::common::*;
use infra_provider::{Path, Value};
use std::collections::BTreeMap;

const NS: &str = "aws_service_discovery_private_dns_namespace";
const SVC: &str = "aws_service_discovery_service";

fn ns_config(name: &str, vpc: &str, description: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("vpc", Value::from(vpc)),
        ("description", Value::from(description)),
        ("tags", Value::string_map([("team", "platform")])),
    ])
}

async fn cloud_tags(w: &World, arn: &str) -> BTreeMap<String, String> {
    w.aws
        .servicediscovery()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap()
        .tags()
        .iter()
        .map(|t| (t.key().to_string(), t.value().to_string()))
        .collect()
}

#[tokio::test]
async fn private_dns_namespace_lifecycle() {
    let w = world().await;
    let cfg = ns_config("stage.local", "vpc-0a1", "stage services");
    let a = create(&w, NS, "aws_service_discovery_private_dns_namespace.a", &cfg).await;
    let ns_id = id(&a);
    assert!(ns_id.starts_with("ns-"), "{a:?}");
    let arn = a.get_str("arn").unwrap().to_string();
    assert!(arn.ends_with(&format!(":namespace/{ns_id}")), "{arn}");
    assert_eq!(a.get_str("name"), Some("stage.local"));
    assert_eq!(a.get_str("vpc"), Some("vpc-0a1"));
    assert_eq!(a.get_str("description"), Some("stage services"));
    assert!(a.get_str("hosted_zone").is_some_and(|z| !z.is_empty()), "{a:?}");
    assert_eq!(
        a.get_string_map("tags").get("team").map(String::as_str),
        Some("platform")
    );
    assert_ownership_tags_hidden(
        &w,
        &a,
        &cloud_tags(&w, &arn).await,
        "aws_service_discovery_private_dns_namespace.a",
    )
    .await;
    assert_no_diff(&w, NS, &a, &cfg);

    // In place: description and tags.
    let mut cfg2 = ns_config("stage.local", "vpc-0a1", "stage, renamed");
    cfg2.set_attr("tags", Value::string_map([("team", "web"), ("env", "stage")]));
    let a2 = update(&w, NS, "aws_service_discovery_private_dns_namespace.a", &a, &cfg2).await;
    assert_eq!(id(&a2), ns_id);
    assert_eq!(a2.get_str("description"), Some("stage, renamed"));
    assert_eq!(cloud_tags(&w, &arn).await.get("env").map(String::as_str), Some("stage"));
    assert_eq!(read(&w, NS, &a2).await.as_ref(), Some(&a2));
    assert_no_diff(&w, NS, &a2, &cfg2);

    // Name and VPC force a new namespace.
    for (k, v) in [("name", "prod.local"), ("vpc", "vpc-0b2")] {
        let mut c = cfg2.clone();
        c.set_attr(k, Value::from(v));
        let (_, replace) = plan(&w, NS, Some(&a2), &c).unwrap();
        assert_eq!(replace, vec![Path::attr(k)], "{k}");
    }

    // Batched read: one listing plus the tags of each; one deleted out of band reads as gone.
    let b = create(
        &w,
        NS,
        "aws_service_discovery_private_dns_namespace.b",
        &ns_config("b.local", "vpc-0b2", "b"),
    )
    .await;
    let gone = create(
        &w,
        NS,
        "aws_service_discovery_private_dns_namespace.gone",
        &ns_config("gone.local", "vpc-0c3", "gone"),
    )
    .await;
    w.aws
        .servicediscovery()
        .delete_namespace()
        .id(id(&gone))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let batch = [(NS.to_string(), vec![b.clone(), gone.clone(), a2.clone()])];
    let got = w.client.refresh(LINEAGE, &batch).await.pop().unwrap();
    let made: Vec<String> = calls.take().into_iter().map(|(_, op)| op).collect();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&b));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&a2));
    assert_eq!(made.iter().filter(|o| *o == "ListNamespaces").count(), 1, "{made:?}");
    assert!(!made.iter().any(|o| o == "GetNamespace"), "{made:?}");

    // Import: NAMESPACE_ID:VPC_ID.
    let imported = w.client.import(NS, &format!("{ns_id}:vpc-0a1")).await.unwrap().unwrap();
    assert_eq!(imported.get_str("vpc"), Some("vpc-0a1"));
    assert_eq!(imported.get_str("description"), Some("stage, renamed"));
    assert_no_diff(&w, NS, &imported, &cfg2);
    assert!(w.client.import(NS, &ns_id).await.is_err());

    // An interrupted create is found by its name and request ID; another operation's is not.
    let (planned, _) = plan(&w, NS, None, &cfg).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_service_discovery_private_dns_namespace.a"), NS, &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id), Some(ns_id.clone()));
    assert!(
        w.client
            .find_created(&ctx("aws_service_discovery_private_dns_namespace.z"), NS, &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Delete waits for the operation; a second delete is success.
    let x = ctx("aws_service_discovery_private_dns_namespace.a");
    w.client.delete(&x, NS, &a2).await.unwrap();
    assert_eq!(read(&w, NS, &a2).await, None);
    w.client.delete(&x, NS, &a2).await.unwrap();
}

fn svc_config(name: &str, ns: &str, ttl: i64, description: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("description", Value::from(description)),
        (
            "dns_config",
            Value::List(vec![Value::map([
                ("namespace_id", Value::from(ns)),
                (
                    "dns_records",
                    Value::List(vec![Value::map([("ttl", Value::int(ttl)), ("type", Value::from("A"))])]),
                ),
            ])]),
        ),
        (
            "health_check_custom_config",
            Value::List(vec![Value::map([("failure_threshold", Value::int(1))])]),
        ),
        ("tags", Value::string_map([("app", name)])),
    ])
}

/// A namespace for services; returns its ID.
pub async fn namespace(w: &World) -> String {
    id(&create(
        w,
        NS,
        "aws_service_discovery_private_dns_namespace.main",
        &ns_config("svc.local", "vpc-0s1", "services"),
    )
    .await)
}

#[tokio::test]
async fn service_lifecycle() {
    let w = world().await;
    let ns = namespace(&w).await;
    let cfg = svc_config("web", &ns, 10, "web tasks");
    let s1 = create(&w, SVC, "aws_service_discovery_service.web", &cfg).await;
    let sid = id(&s1);
    assert!(sid.starts_with("srv-"), "{s1:?}");
    let arn = s1.get_str("arn").unwrap().to_string();
    assert!(arn.ends_with(&format!(":service/{sid}")), "{arn}");
    assert_eq!(s1.get_str("namespace_id"), Some(ns.as_str()));
    let dns = s1.get_block("dns_config").unwrap();
    assert_eq!(dns.get_str("namespace_id"), Some(ns.as_str()));
    assert_eq!(dns.get_str("routing_policy"), Some("MULTIVALUE"));
    assert_eq!(dns.get_list("dns_records")[0].get_i64("ttl"), Some(10));
    assert_eq!(
        s1.get_block("health_check_custom_config")
            .and_then(|h| h.get_i64("failure_threshold")),
        Some(1)
    );
    assert_eq!(s1.get_bool("force_destroy"), Some(false));
    assert_ownership_tags_hidden(
        &w,
        &s1,
        &cloud_tags(&w, &arn).await,
        "aws_service_discovery_service.web",
    )
    .await;
    assert_no_diff(&w, SVC, &s1, &cfg);

    // In place: the records' TTL, the description and tags (UpdateService, then tag calls).
    let mut cfg2 = svc_config("web", &ns, 60, "web tasks v2");
    cfg2.set_attr("tags", Value::string_map([("app", "web"), ("release", "2")]));
    let (planned, _) = plan(&w, SVC, Some(&s1), &cfg2).unwrap();
    let calls = ApiCalls::record();
    let s2 = w
        .client
        .update(&ctx("aws_service_discovery_service.web"), SVC, &s1, &planned)
        .await
        .unwrap();
    let made: Vec<String> = calls.take().into_iter().map(|(_, op)| op).collect();
    assert!(made.contains(&"UpdateService".to_string()), "{made:?}");
    assert!(made.contains(&"GetOperation".to_string()), "{made:?}");
    assert_eq!(id(&s2), sid);
    assert_eq!(
        s2.get_block("dns_config").unwrap().get_list("dns_records")[0].get_i64("ttl"),
        Some(60)
    );
    assert_eq!(s2.get_str("description"), Some("web tasks v2"));
    assert_eq!(cloud_tags(&w, &arn).await.get("release").map(String::as_str), Some("2"));
    assert_eq!(read(&w, SVC, &s2).await.as_ref(), Some(&s2));
    assert_no_diff(&w, SVC, &s2, &cfg2);

    // The name and the custom health check force a new service; so do the record type and routing
    // policy (force-new attributes inside dns_config).
    let mut renamed = cfg2.clone();
    renamed.set_attr("name", Value::from("api"));
    assert_eq!(plan(&w, SVC, Some(&s2), &renamed).unwrap().1, vec![Path::attr("name")]);
    let mut no_custom = cfg2.clone();
    no_custom.set_attr("health_check_custom_config", Value::Null);
    assert_eq!(
        plan(&w, SVC, Some(&s2), &no_custom).unwrap().1,
        vec![Path::attr("health_check_custom_config")]
    );
    let schema = schema_of(&w, SVC);
    let dns_block = &schema.block.blocks["dns_config"].block;
    assert!(dns_block.attributes["namespace_id"].force_new);
    assert!(dns_block.attributes["routing_policy"].force_new);
    let records = &dns_block.blocks["dns_records"].block;
    assert!(records.attributes["type"].force_new);
    assert!(!records.attributes["ttl"].force_new);
    assert!(!schema.block.attributes["description"].force_new);

    // Batched read: one listing; one deleted out of band reads as gone.
    let api = create(
        &w,
        SVC,
        "aws_service_discovery_service.api",
        &svc_config("api", &ns, 5, "api"),
    )
    .await;
    let gone = create(
        &w,
        SVC,
        "aws_service_discovery_service.gone",
        &svc_config("gone", &ns, 5, "x"),
    )
    .await;
    w.aws
        .servicediscovery()
        .delete_service()
        .id(id(&gone))
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let batch = [(SVC.to_string(), vec![api.clone(), gone.clone(), s2.clone()])];
    let got = w.client.refresh(LINEAGE, &batch).await.pop().unwrap();
    let made: Vec<String> = calls.take().into_iter().map(|(_, op)| op).collect();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&api));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&s2));
    assert_eq!(made.iter().filter(|o| *o == "ListServices").count(), 1, "{made:?}");
    assert!(!made.iter().any(|o| o == "GetService"), "{made:?}");

    // Import by ID; find_created by name and request ID.
    let imported = w.client.import(SVC, &sid).await.unwrap().unwrap();
    assert_eq!(imported.get_str("namespace_id"), Some(ns.as_str()));
    assert_no_diff(&w, SVC, &imported, &cfg2);
    let (planned, _) = plan(&w, SVC, None, &cfg).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_service_discovery_service.web"), SVC, &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id), Some(sid.clone()));
    assert!(
        w.client
            .find_created(&ctx("aws_service_discovery_service.other"), SVC, &planned)
            .await
            .unwrap()
            .is_none()
    );

    // force_destroy deregisters the instances first; a second delete is success.
    w.aws
        .servicediscovery()
        .register_instance()
        .service_id(&sid)
        .instance_id("i-1")
        .attributes("AWS_INSTANCE_IPV4", "10.0.0.5")
        .send()
        .await
        .unwrap();
    let doomed = s2.clone().with("force_destroy", Value::Bool(true));
    let calls = ApiCalls::record();
    w.client
        .delete(&ctx("aws_service_discovery_service.web"), SVC, &doomed)
        .await
        .unwrap();
    let made: Vec<String> = calls.take().into_iter().map(|(_, op)| op).collect();
    let dereg = made
        .iter()
        .position(|o| o == "DeregisterInstance")
        .expect("deregistered");
    let del = made.iter().position(|o| o == "DeleteService").unwrap();
    assert!(dereg < del, "{made:?}");
    assert_eq!(read(&w, SVC, &s2).await, None);
    w.client
        .delete(&ctx("aws_service_discovery_service.web"), SVC, &doomed)
        .await
        .unwrap();
}
