//! The test double itself: status transitions, actions and locks, pagination, error bodies, tenants,
//! 429 injection, catalogue prices. Calls go through Prism (when available) unless noted.

use crate::common::{raw, setup};
use serde_json::json;

#[tokio::test]
async fn droplets_turn_active_after_the_configured_polls_and_actions_lock_them() {
    let env = setup().await;
    env.api
        .control()
        .settings(json!({"droplet_active_after": 3, "action_complete_after": 2}));
    let (st, v) = env
        .raw(
            "POST",
            "/v2/droplets",
            Some(json!({"name": "t-1", "region": "ams3", "size": "s-1vcpu-2gb", "image": "debian-12-x64"})),
        )
        .await;
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["droplet"]["status"], "new");
    assert_eq!(v["links"]["actions"][0]["rel"], "create");
    let id = v["droplet"]["id"].as_i64().unwrap();
    let mut seen = Vec::new();
    for _ in 0..3 {
        let (_, d) = env.raw("GET", &format!("/v2/droplets/{id}"), None).await;
        seen.push(d["droplet"]["status"].as_str().unwrap().to_string());
    }
    assert_eq!(seen, ["new", "new", "active"]);
    assert_eq!(env.api.control().polls()[&format!("droplet:{id}")], 3);

    let (st, a) = env
        .raw(
            "POST",
            &format!("/v2/droplets/{id}/actions"),
            Some(json!({"type": "power_off"})),
        )
        .await;
    assert_eq!(st, 201, "{a}");
    assert_eq!(a["action"]["status"], "in-progress");
    let aid = a["action"]["id"].as_i64().unwrap();
    let (_, d) = env.raw("GET", &format!("/v2/droplets/{id}"), None).await;
    assert_eq!(d["droplet"]["locked"], true, "locked while the action runs");
    let (st, busy) = env
        .raw(
            "POST",
            &format!("/v2/droplets/{id}/actions"),
            Some(json!({"type": "power_on"})),
        )
        .await;
    assert_eq!((st, busy["id"].as_str()), (422, Some("unprocessable_entity")), "{busy}");
    let (_, a) = env.raw("GET", &format!("/v2/actions/{aid}"), None).await;
    assert_eq!(a["action"]["status"], "completed");
    let (_, d) = env.raw("GET", &format!("/v2/droplets/{id}"), None).await;
    assert_eq!(
        (d["droplet"]["status"].as_str(), d["droplet"]["locked"].as_bool()),
        (Some("off"), Some(false))
    );
    // Resizing needs the Droplet off; it is, so it works.
    let (st, _) = env
        .raw(
            "POST",
            &format!("/v2/droplets/{id}/actions"),
            Some(json!({"type": "resize", "size": "s-2vcpu-4gb", "disk": true})),
        )
        .await;
    assert_eq!(st, 201);
}

#[tokio::test]
async fn clusters_go_through_creating_resizing_and_migrating() {
    let env = setup().await;
    env.api.control().settings(json!({"cluster_online_after": 2}));
    let (st, v) = env
        .raw(
            "POST",
            "/v2/databases",
            Some(json!({"name": "pg-t", "engine": "pg", "version": "16", "size": "db-s-1vcpu-1gb", "region": "nyc3", "num_nodes": 1})),
        )
        .await;
    assert_eq!(st, 201, "{v}");
    let id = v["database"]["id"].as_str().unwrap().to_string();
    let status = |v: &serde_json::Value| v["database"]["status"].as_str().unwrap().to_string();
    let (_, a) = env.raw("GET", &format!("/v2/databases/{id}"), None).await;
    let (_, b) = env.raw("GET", &format!("/v2/databases/{id}"), None).await;
    assert_eq!((status(&a), status(&b)), ("creating".to_string(), "online".to_string()));
    let (st, _) = env
        .raw(
            "PUT",
            &format!("/v2/databases/{id}/resize"),
            Some(json!({"size": "db-s-1vcpu-2gb", "num_nodes": 2})),
        )
        .await;
    assert_eq!(st, 202);
    let (_, a) = env.raw("GET", &format!("/v2/databases/{id}"), None).await;
    let (_, b) = env.raw("GET", &format!("/v2/databases/{id}"), None).await;
    assert_eq!((status(&a), status(&b)), ("resizing".to_string(), "online".to_string()));
    assert_eq!(
        (b["database"]["size"].as_str(), b["database"]["num_nodes"].as_i64()),
        (Some("db-s-1vcpu-2gb"), Some(2))
    );
    let (st, _) = env
        .raw(
            "PUT",
            &format!("/v2/databases/{id}/migrate"),
            Some(json!({"region": "fra1"})),
        )
        .await;
    assert_eq!(st, 202);
    let (_, a) = env.raw("GET", &format!("/v2/databases/{id}"), None).await;
    assert_eq!(status(&a), "migrating");
    let (_, b) = env.raw("GET", &format!("/v2/databases/{id}"), None).await;
    assert_eq!(
        (status(&b).as_str(), b["database"]["region"].as_str()),
        ("online", Some("fra1"))
    );
}

#[tokio::test]
async fn lists_paginate_with_links_and_meta() {
    let env = setup().await;
    for i in 0..5 {
        let (st, _) = env
            .raw("POST", "/v2/tags", Some(json!({"name": format!("p{i}")})))
            .await;
        assert_eq!(st, 201);
    }
    let (_, p1) = env.raw("GET", "/v2/tags?per_page=2", None).await;
    assert_eq!(p1["tags"].as_array().unwrap().len(), 2);
    assert_eq!(p1["meta"]["total"], 5);
    assert!(p1["links"]["pages"]["next"].as_str().unwrap().contains("page=2"));
    assert!(p1["links"]["pages"]["last"].as_str().unwrap().contains("page=3"));
    assert!(p1["links"]["pages"].get("prev").is_none());
    let (_, p3) = env.raw("GET", "/v2/tags?per_page=2&page=3", None).await;
    assert_eq!(p3["tags"].as_array().unwrap().len(), 1);
    assert_eq!(p3["tags"][0]["name"], "p4");
    assert!(p3["links"]["pages"].get("next").is_none());
    assert!(p3["links"]["pages"]["prev"].as_str().unwrap().contains("page=2"));
    // per_page is at most 200: the double refuses more itself (Prism would refuse it first).
    let (st, e) = raw(
        &env.api.double_url,
        &env.api.token,
        "GET",
        "/v2/tags?per_page=201",
        None,
    )
    .await;
    assert_eq!(st, 422);
    assert_eq!(e["id"], "unprocessable_entity");
}

#[tokio::test]
async fn errors_have_the_api_shape() {
    let env = setup().await;
    let (st, e) = env.raw("GET", "/v2/droplets/123", None).await;
    assert_eq!(st, 404);
    assert_eq!(e["id"], "not_found");
    assert!(e["message"].as_str().unwrap().contains("could not be found"));
    assert_eq!(e["request_id"].as_str().unwrap().len(), 36);
    let (st, e) = env
        .raw(
            "POST",
            "/v2/droplets",
            Some(json!({"name": "x-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "no-such-image"})),
        )
        .await;
    assert_eq!(st, 422);
    assert_eq!(e["id"], "unprocessable_entity");
    assert!(e["message"].as_str().unwrap().contains("invalid image"));
    // No token: 401.
    let (st, e) = raw(&env.api.api_endpoint, "", "GET", "/v2/account", None).await;
    assert_eq!(st, 401, "{e}");
}

#[tokio::test]
async fn tenants_are_separate_and_429s_come_with_retry_headers() {
    let env = setup().await;
    let other = setup().await;
    let (st, _) = env.raw("POST", "/v2/tags", Some(json!({"name": "mine"}))).await;
    assert_eq!(st, 201);
    let (st, _) = other.raw("GET", "/v2/tags/mine", None).await;
    assert_eq!(st, 404, "another token does not see it");
    env.api.control().rate_limit(1, 7);
    let resp = reqwest::Client::new()
        .get(format!("{}/v2/account", env.api.api_endpoint))
        .bearer_auth(&env.api.token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    assert_eq!(resp.headers()["retry-after"], "7");
    assert!(resp.headers().contains_key("ratelimit-reset"));
    let (st, _) = other.raw("GET", "/v2/account", None).await;
    assert_eq!(st, 200, "the other tenant is not rate limited");
    let (st, _) = env.raw("GET", "/v2/account", None).await;
    assert_eq!(st, 200, "only the next request was refused");
}

#[tokio::test]
async fn sizes_carry_list_prices_and_database_sizes_live_in_options() {
    let env = setup().await;
    let (_, v) = env.raw("GET", "/v2/sizes?per_page=200", None).await;
    let sizes = v["sizes"].as_array().unwrap();
    let price = |slug: &str| {
        let s = sizes
            .iter()
            .find(|s| s["slug"] == slug)
            .unwrap_or_else(|| panic!("{slug} missing"));
        (
            s["price_monthly"].as_f64().unwrap(),
            s["price_hourly"].as_f64().unwrap(),
        )
    };
    assert_eq!(price("s-1vcpu-1gb"), (6.0, 0.00893));
    assert_eq!(price("s-1vcpu-2gb"), (12.0, 0.01786));
    assert_eq!(price("s-2vcpu-2gb"), (18.0, 0.02679));
    assert_eq!(price("s-2vcpu-4gb"), (24.0, 0.03571));
    assert_eq!(price("s-4vcpu-8gb"), (48.0, 0.07143));
    assert!(!sizes.iter().any(|s| s["slug"].as_str().unwrap().starts_with("db-")));
    let (_, o) = env.raw("GET", "/v2/databases/options", None).await;
    let layouts = o["options"]["pg"]["layouts"].as_array().unwrap();
    assert!(
        layouts
            .iter()
            .any(|l| l["sizes"].as_array().unwrap().iter().any(|s| s == "db-s-1vcpu-1gb"))
    );
}

#[tokio::test]
async fn vpcs_with_members_cannot_be_deleted() {
    let env = setup().await;
    let (_, v) = env
        .raw(
            "POST",
            "/v2/vpcs",
            Some(json!({"name": "members-1", "region": "nyc3", "ip_range": "10.77.0.0/24"})),
        )
        .await;
    let vpc = v["vpc"]["id"].as_str().unwrap().to_string();
    let (_, d) = env
        .raw(
            "POST",
            "/v2/droplets",
            Some(json!({"name": "m-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-22-04-x64", "vpc_uuid": vpc})),
        )
        .await;
    assert!(
        d["droplet"]["networks"]["v4"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["ip_address"].as_str().unwrap().starts_with("10.77.0."))
    );
    let (_, m) = env.raw("GET", &format!("/v2/vpcs/{vpc}/members"), None).await;
    assert_eq!(m["meta"]["total"], 1);
    let (st, e) = env.raw("DELETE", &format!("/v2/vpcs/{vpc}"), None).await;
    assert_eq!((st, e["id"].as_str()), (403, Some("forbidden")), "{e}");
}

#[tokio::test]
async fn requests_go_through_the_validating_proxy() {
    let env = setup().await;
    if !infra_testkit::digitalocean::openapi_path().exists() {
        eprintln!("the OpenAPI description is absent: nothing to validate against");
        assert!(!env.api.validated);
        return;
    }
    assert!(env.api.validated, "Prism is in front of the double");
    assert_ne!(env.api.api_endpoint, env.api.double_url);
    // A Droplet name with an underscore breaks the description's pattern: Prism answers 422 itself.
    let (st, e) = env
        .raw_unchecked(
            "POST",
            "/v2/droplets",
            Some(json!({"name": "bad_name", "region": "nyc3", "size": "s-1vcpu-1gb", "image": "ubuntu-24-04-x64"})),
        )
        .await;
    assert_eq!(st, 422);
    assert!(e["validation"].as_array().is_some_and(|v| !v.is_empty()), "{e}");
    assert!(
        env.requests().is_empty(),
        "the invalid request never reached the double"
    );
    // The provider reports such an answer with the violations, never as a DigitalOcean error.
    let t = "digitalocean_droplet";
    let planned = env.plan_create(
        t,
        vec![
            ("name", infra_provider::Value::string("bad_name")),
            ("image", infra_provider::Value::string("ubuntu-24-04-x64")),
            ("size", infra_provider::Value::string("s-1vcpu-1gb")),
        ],
    );
    let err = env
        .client
        .create(&crate::common::ctx("digitalocean_droplet.bad"), t, &planned)
        .await
        .expect_err("refused");
    assert_eq!(err.code.as_deref(), Some("openapi_violation"));
    assert!(
        err.message.contains("body.name") && err.message.contains("pattern"),
        "{err}"
    );
}

#[tokio::test]
async fn less_used_endpoints_conform_too() {
    let env = setup().await;
    let (st, v) = env
        .raw(
            "POST",
            "/v2/droplets",
            Some(
                json!({"name": "x-1", "region": "nyc3", "size": "s-1vcpu-1gb", "image": 160000001, "tags": ["batch"]}),
            ),
        )
        .await;
    assert_eq!(st, 202, "an image by numeric ID: {v}");
    let id = v["droplet"]["id"].as_i64().unwrap();
    let aid = v["links"]["actions"][0]["id"].as_i64().unwrap();
    let (st, a) = env.raw("GET", &format!("/v2/droplets/{id}/actions/{aid}"), None).await;
    assert_eq!((st, a["action"]["type"].as_str()), (200, Some("create")));
    let (st, list) = env.raw("GET", "/v2/actions?per_page=5", None).await;
    assert_eq!(st, 200);
    assert!(list["meta"]["total"].as_i64().unwrap() >= 1);
    let (st, _) = env.raw("DELETE", "/v2/droplets?tag_name=batch", None).await;
    assert_eq!(st, 204);
    let (st, _) = env.raw("GET", &format!("/v2/droplets/{id}"), None).await;
    assert_eq!(st, 404);

    let (_, v) = env
        .raw("POST", "/v2/vpcs", Some(json!({"name": "put-me", "region": "tor1"})))
        .await;
    let vpc = v["vpc"]["id"].as_str().unwrap().to_string();
    let (st, v) = env
        .raw(
            "PUT",
            &format!("/v2/vpcs/{vpc}"),
            Some(json!({"name": "put-me-2", "description": "d"})),
        )
        .await;
    assert_eq!((st, v["vpc"]["name"].as_str()), (200, Some("put-me-2")));
    let (st, _) = env.raw("DELETE", &format!("/v2/vpcs/{vpc}"), None).await;
    assert_eq!(st, 204);

    let (_, p) = env
        .raw(
            "POST",
            "/v2/projects",
            Some(json!({"name": "pp", "purpose": "Service or API"})),
        )
        .await;
    let pid = p["project"]["id"].as_str().unwrap().to_string();
    let (st, p) = env
        .raw(
            "PATCH",
            &format!("/v2/projects/{pid}"),
            Some(json!({"description": "patched"})),
        )
        .await;
    assert_eq!((st, p["project"]["description"].as_str()), (200, Some("patched")));
    let (st, p) = env.raw("GET", "/v2/projects/default", None).await;
    assert_eq!((st, p["project"]["is_default"].as_bool()), (200, Some(true)));

    let key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGs0nyb1bsxJrIzUh4W6GoL0K3fq4bL7Cxx8ibQ4Nm6O x";
    let (_, k) = env
        .raw(
            "POST",
            "/v2/account/keys",
            Some(json!({"name": "k", "public_key": key})),
        )
        .await;
    let fp = k["ssh_key"]["fingerprint"].as_str().unwrap().to_string();
    let (st, by_fp) = env.raw("GET", &format!("/v2/account/keys/{fp}"), None).await;
    assert_eq!((st, by_fp["ssh_key"]["id"].clone()), (200, k["ssh_key"]["id"].clone()));
    let (st, e) = env
        .raw(
            "POST",
            "/v2/account/keys",
            Some(json!({"name": "again", "public_key": key})),
        )
        .await;
    assert_eq!(
        (st, e["id"].as_str()),
        (422, Some("unprocessable_entity")),
        "a key registers once"
    );

    env.api.control().reset();
    let (_, keys) = env.raw("GET", "/v2/account/keys", None).await;
    assert_eq!(keys["meta"]["total"], 0, "reset forgets the tenant's objects");
}
