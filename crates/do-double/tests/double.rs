//! The double on its own (no Prism): held creates, lingering VPC members, 429 counting, settings,
//! tenant isolation of the control surface.

use do_double::{Control, DoDouble};
use serde_json::{Value, json};
use std::time::Duration;

async fn call(base: &str, token: &str, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{base}{path}"))
        .bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

fn droplet(name: &str) -> Value {
    json!({"name": name, "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_create_exists_before_its_answer() {
    let d = DoDouble::start("127.0.0.1:0").await.unwrap();
    let base = d.url();
    let control = Control::new(base.clone(), "t1");
    tokio::task::spawn_blocking({
        let c = control.clone();
        move || c.hang_next_droplet_create()
    })
    .await
    .unwrap();
    let b2 = base.clone();
    let pending = tokio::spawn(async move { call(&b2, "t1", "POST", "/v2/droplets", Some(droplet("held-1"))).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!pending.is_finished(), "the answer is held");
    let (_, list) = call(&base, "t1", "GET", "/v2/droplets", None).await;
    assert_eq!(list["droplets"][0]["name"], "held-1", "the Droplet already exists");
    tokio::task::spawn_blocking(move || control.release()).await.unwrap();
    let (st, v) = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(st, 202);
    assert_eq!(v["droplet"]["name"], "held-1");
    // Only the next create was held.
    let (st, _) = tokio::time::timeout(
        Duration::from_secs(5),
        call(&base, "t1", "POST", "/v2/droplets", Some(droplet("free-1"))),
    )
    .await
    .unwrap();
    assert_eq!(st, 202);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_members_linger_for_the_configured_attempts() {
    let d = DoDouble::start("127.0.0.1:0").await.unwrap();
    let base = d.url();
    let control = Control::new(base.clone(), "t2");
    tokio::task::spawn_blocking(move || control.settings(json!({"vpc_member_linger": 2})))
        .await
        .unwrap();
    let (_, v) = call(
        &base,
        "t2",
        "POST",
        "/v2/vpcs",
        Some(json!({"name": "l1", "region": "nyc3"})),
    )
    .await;
    let vpc = v["vpc"]["id"].as_str().unwrap().to_string();
    let mut body = droplet("in-l1");
    body["vpc_uuid"] = json!(vpc);
    let (_, d1) = call(&base, "t2", "POST", "/v2/droplets", Some(body)).await;
    let id = d1["droplet"]["id"].as_i64().unwrap();
    for _ in 0..2 {
        call(&base, "t2", "GET", &format!("/v2/droplets/{id}"), None).await;
    }
    let (st, _) = call(&base, "t2", "DELETE", &format!("/v2/droplets/{id}"), None).await;
    assert_eq!(st, 204);
    let statuses: Vec<u16> = {
        let mut out = Vec::new();
        for _ in 0..3 {
            out.push(call(&base, "t2", "DELETE", &format!("/v2/vpcs/{vpc}"), None).await.0);
        }
        out
    };
    assert_eq!(statuses, [403, 403, 204]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_count_requests_of_one_token() {
    let d = DoDouble::start("127.0.0.1:0").await.unwrap();
    let base = d.url();
    let control = Control::new(base.clone(), "t3");
    let c = control.clone();
    tokio::task::spawn_blocking(move || c.rate_limit(2, 3)).await.unwrap();
    assert_eq!(call(&base, "other", "GET", "/v2/account", None).await.0, 200);
    let (st, e) = call(&base, "t3", "GET", "/v2/account", None).await;
    assert_eq!((st, e["id"].as_str()), (429, Some("too_many_requests")));
    assert_eq!(call(&base, "t3", "GET", "/v2/regions", None).await.0, 429);
    assert_eq!(call(&base, "t3", "GET", "/v2/regions", None).await.0, 200);
    let log = tokio::task::spawn_blocking(move || control.requests()).await.unwrap();
    assert_eq!(
        log.len(),
        3,
        "the log holds this token's requests only, refused ones included: {log:?}"
    );
    assert_eq!(log[0], ("GET".to_string(), "/v2/account".to_string(), String::new()));
}

/// Storage autoscaling: absent from the cluster until configured, validated as the OpenAPI description
/// bounds it (threshold 15–95 %, increment 10–500 GiB), defaults when enabling, kept values otherwise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_storage_autoscale() {
    let d = DoDouble::start("127.0.0.1:0").await.unwrap();
    let base = d.url();
    let cluster = json!({"name": "pg-a", "engine": "pg", "version": "16", "size": "db-s-1vcpu-1gb",
        "region": "nyc3", "num_nodes": 1});
    let (st, v) = call(&base, "t4", "POST", "/v2/databases", Some(cluster)).await;
    assert_eq!(st, 201, "{v}");
    let id = v["database"]["id"].as_str().unwrap().to_string();
    assert!(v["database"].get("autoscale").is_none(), "not configured: {v}");
    let path = format!("/v2/databases/{id}/autoscale");
    let (st, v) = call(&base, "t4", "GET", &path, None).await;
    assert_eq!((st, v), (200, json!({"autoscale": {"storage": {"enabled": false}}})));

    for bad in [
        json!({}),
        json!({"storage": {"threshold_percent": 80}}),
        json!({"storage": {"enabled": true, "threshold_percent": 96}}),
        json!({"storage": {"enabled": true, "threshold_percent": 14}}),
        json!({"storage": {"enabled": true, "increment_gib": 9}}),
        json!({"storage": {"enabled": true, "increment_gib": 501}}),
    ] {
        let (st, e) = call(&base, "t4", "PUT", &path, Some(bad.clone())).await;
        assert_eq!((st, e["id"].as_str()), (422, Some("unprocessable_entity")), "{bad}");
    }
    let (st, _) = call(&base, "t4", "PUT", &path, Some(json!({"storage": {"enabled": true}}))).await;
    assert_eq!(st, 204);
    let (_, v) = call(&base, "t4", "GET", &path, None).await;
    assert_eq!(
        v["autoscale"]["storage"],
        json!({"enabled": true, "threshold_percent": 80, "increment_gib": 10})
    );
    let body = json!({"storage": {"enabled": false, "increment_gib": 40}});
    assert_eq!(call(&base, "t4", "PUT", &path, Some(body)).await.0, 204);
    let (_, v) = call(&base, "t4", "GET", &format!("/v2/databases/{id}"), None).await;
    assert_eq!(
        v["database"]["autoscale"]["storage"],
        json!({"enabled": false, "threshold_percent": 80, "increment_gib": 40})
    );
    assert_eq!(
        call(&base, "t4", "GET", "/v2/databases/nope/autoscale", None).await.0,
        404
    );

    // On create, `autoscale` in the body configures it at once.
    let cluster = json!({"name": "pg-b", "engine": "pg", "version": "16", "size": "db-s-1vcpu-1gb",
        "region": "nyc3", "num_nodes": 1, "autoscale": {"storage": {"enabled": true, "threshold_percent": 60}}});
    let (st, v) = call(&base, "t4", "POST", "/v2/databases", Some(cluster)).await;
    assert_eq!(st, 201, "{v}");
    assert_eq!(
        v["database"]["autoscale"]["storage"],
        json!({"enabled": true, "threshold_percent": 60, "increment_gib": 10})
    );
}
