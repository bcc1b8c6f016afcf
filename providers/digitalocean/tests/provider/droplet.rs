//! `digitalocean_droplet`: lifecycle, in-place resize, replacement rules, batch refresh, crash safety.

use crate::common::{ctx, s, setup, sset};
use infra_digitalocean::util::ownership_tag;
use infra_provider::{Path, Value};
use std::time::Duration;

fn config(name: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("name", s(name)),
        ("image", s("ubuntu-24-04-x64")),
        ("region", s("NYC3")),
        ("size", s("s-1vcpu-1gb")),
        ("tags", sset(&["web", "stage"])),
    ]
}

#[tokio::test]
async fn create_read_rename_retag_import_and_delete() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    let planned = env.plan_create(t, config("web-1"));
    assert_eq!(
        planned.get_str("region"),
        Some("nyc3"),
        "region is lower-cased at plan time"
    );
    assert!(planned.get("ipv4_address").unwrap().is_unknown());
    let c = ctx("digitalocean_droplet.web");
    let d = env.client.create(&c, t, &planned).await.expect("create");
    assert_eq!(d.get_str("status"), Some("active"));
    assert_eq!(d.get_bool("locked"), Some(false));
    assert_eq!(d.get_str("size"), Some("s-1vcpu-1gb"));
    assert_eq!(d.get_f64("price_monthly"), Some(6.0));
    assert_eq!(d.get_f64("price_hourly"), Some(0.00893));
    assert_eq!(d.get_i64("memory"), Some(1024));
    assert!(d.get_str("ipv4_address").is_some_and(|ip| ip.split('.').count() == 4));
    assert!(
        d.get_str("ipv4_address_private")
            .is_some_and(|ip| ip.starts_with("10."))
    );
    let id = d.get_str("id").unwrap().to_string();
    assert_eq!(d.get_str("urn"), Some(format!("do:droplet:{id}").as_str()));
    assert_eq!(
        d.get("tags"),
        Some(&sset(&["stage", "web"])),
        "the ownership tag is not a user tag"
    );
    // ...but it is on the Droplet.
    let (_, raw) = env.raw("GET", &format!("/v2/droplets/{id}"), None).await;
    let tag = ownership_tag("lineage-test-0001", "digitalocean_droplet.web");
    assert!(
        raw["droplet"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == tag.as_str()),
        "{raw}"
    );
    // Every attribute of the schema is present.
    for name in env.schema(t).block.attributes.keys() {
        assert!(d.get(name).is_some(), "attribute {name} missing");
    }

    let read = env
        .client
        .read(t, std::slice::from_ref(&d))
        .await
        .remove(0)
        .expect("read")
        .expect("exists");
    assert_eq!(read, d, "a read right after create shows no drift");

    let mut cfg = config("web-renamed");
    cfg[4] = ("tags", sset(&["web", "prod"]));
    let (planned, replace) = env.plan(t, Some(&d), cfg);
    assert!(replace.is_empty(), "rename and retag are in place: {replace:?}");
    let updated = env.client.update(&c, t, &d, &planned).await.expect("update");
    assert_eq!(updated.get_str("name"), Some("web-renamed"));
    assert_eq!(updated.get("tags"), Some(&sset(&["prod", "web"])));
    let (_, raw) = env.raw("GET", &format!("/v2/droplets/{id}"), None).await;
    assert!(
        raw["droplet"]["tags"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == tag.as_str()),
        "ownership tag kept: {raw}"
    );
    let log = env.requests().join("\n");
    assert!(log.contains(&format!("POST /v2/droplets/{id}/actions")), "{log}");
    assert!(log.contains("DELETE /v2/tags/stage/resources"), "{log}");
    assert!(log.contains("POST /v2/tags/prod/resources"), "{log}");

    let imported = env.client.import(t, &id).await.expect("import").expect("found");
    assert_eq!(imported.get_str("image"), Some("ubuntu-24-04-x64"));
    assert_eq!(imported.get_bool("resize_disk"), Some(true));
    assert_eq!(imported.get_str("name"), Some("web-renamed"));
    assert!(env.client.import(t, "not-a-number").await.is_err());

    env.client.delete(&c, t, &updated).await.expect("delete");
    let gone = env
        .client
        .read(t, std::slice::from_ref(&updated))
        .await
        .remove(0)
        .expect("read");
    assert!(gone.is_none());
    env.client
        .delete(&c, t, &updated)
        .await
        .expect("deleting what is gone succeeds");
}

#[tokio::test]
async fn resize_in_place_powers_off_resizes_and_powers_on() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    let c = ctx("digitalocean_droplet.app");
    let d = env
        .client
        .create(&c, t, &env.plan_create(t, config("app-1")))
        .await
        .expect("create");
    let id = d.get_str("id").unwrap().to_string();
    let mut cfg = config("app-1");
    cfg[3] = ("size", s("s-2vcpu-4gb"));
    let (planned, replace) = env.plan(t, Some(&d), cfg);
    assert!(replace.is_empty(), "a size change is in place: {replace:?}");
    assert!(planned.get("price_monthly").unwrap().is_unknown());
    let before = env.requests().len();
    let resized = env.client.update(&c, t, &d, &planned).await.expect("resize");
    assert_eq!(resized.get_str("size"), Some("s-2vcpu-4gb"));
    assert_eq!(resized.get_f64("price_monthly"), Some(24.0));
    assert_eq!(resized.get_i64("vcpus"), Some(2));
    assert_eq!(resized.get_i64("disk"), Some(80), "resize_disk defaults to true");
    assert_eq!(resized.get_str("status"), Some("active"));
    // The three actions ran, in order, each awaited before the next.
    let (_, actions) = env.raw("GET", &format!("/v2/droplets/{id}/actions"), None).await;
    let kinds: Vec<(String, String)> = actions["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["type"].as_str().unwrap().to_string(),
                a["status"].as_str().unwrap().to_string(),
            )
        })
        .filter(|(k, _)| k != "create")
        .collect();
    assert_eq!(
        kinds,
        [
            ("power_off", "completed"),
            ("resize", "completed"),
            ("power_on", "completed")
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    let log = env.requests()[before..].join("\n");
    assert!(
        log.matches("GET /v2/actions/").count() >= 3,
        "each action is polled: {log}"
    );
}

#[tokio::test]
async fn replacement_rules_follow_terraform() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    let c = ctx("digitalocean_droplet.r");
    let mut cfg = config("r-1");
    cfg.push(("ipv6", Value::Bool(true)));
    let d = env
        .client
        .create(&c, t, &env.plan_create(t, cfg.clone()))
        .await
        .expect("create");
    assert!(d.get_str("ipv6_address").is_some_and(|a| a.contains(':')));
    for (attr, value) in [
        ("image", s("debian-12-x64")),
        ("region", s("fra1")),
        ("user_data", s("#cloud-config")),
        ("monitoring", Value::Bool(true)),
        ("ssh_keys", sset(&["12345"])),
        ("vpc_uuid", s("5a4981aa-9653-4bd1-bef5-d6bff52042e4")),
    ] {
        let mut changed = cfg.clone();
        changed.push((attr, value));
        let (_, replace) = env.plan(t, Some(&d), changed);
        assert!(
            replace.contains(&Path::attr(attr)),
            "{attr} forces replacement: {replace:?}"
        );
    }
    // A region written in another case is the same region.
    let mut same = cfg.clone();
    same[2] = ("region", s("nyc3"));
    assert!(env.plan(t, Some(&d), same).1.is_empty());
    // ipv6 true → false replaces; false → true is in place and makes the address unknown.
    let mut off = cfg.clone();
    off.retain(|(k, _)| *k != "ipv6");
    off.push(("ipv6", Value::Bool(false)));
    assert!(env.plan(t, Some(&d), off.clone()).1.contains(&Path::attr("ipv6")));
    let mut without = d.clone();
    without.set_attr("ipv6", Value::Bool(false));
    without.set_attr("ipv6_address", Value::Null);
    let (planned, replace) = env.plan(t, Some(&without), cfg.clone());
    assert!(replace.is_empty());
    assert!(planned.get("ipv6_address").unwrap().is_unknown());
    // Volume attachment is refused at plan time rather than silently ignored.
    let mut vols = cfg.clone();
    vols.push(("volume_ids", sset(&["vol-1"])));
    assert!(env.plan_err(t, Some(&d), vols).contains("volume"));
    env.client.delete(&c, t, &d).await.expect("delete");
}

#[tokio::test]
async fn refresh_reads_many_droplets_with_one_listing() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    let a = env
        .client
        .create(&ctx("digitalocean_droplet.a"), t, &env.plan_create(t, config("a-1")))
        .await
        .unwrap();
    let b = env
        .client
        .create(&ctx("digitalocean_droplet.b"), t, &env.plan_create(t, config("b-1")))
        .await
        .unwrap();
    let mut ghost = b.clone();
    ghost.set_attr("id", s("999999999"));
    let before = env.requests().len();
    let got = env.client.read(t, &[a.clone(), ghost, b.clone()]).await;
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].as_ref().unwrap().as_ref().unwrap().get_str("name"), Some("a-1"));
    assert!(
        got[1].as_ref().unwrap().is_none(),
        "a Droplet that is gone reads as None"
    );
    assert_eq!(got[2].as_ref().unwrap().as_ref().unwrap().get_str("name"), Some("b-1"));
    let log = env.requests()[before..].to_vec();
    assert_eq!(log.len(), 1, "one listing call: {log:?}");
    assert!(
        log[0].starts_with("GET /v2/droplets?") && log[0].contains("per_page=200"),
        "{log:?}"
    );
}

#[tokio::test]
async fn an_interrupted_create_is_found_by_its_ownership_tag() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    let control = env.api.control();
    let c = ctx("digitalocean_droplet.crash");
    let planned = env.plan_create(t, config("crash-1"));
    assert!(
        env.client.find_created(&c, t, &planned).await.unwrap().is_none(),
        "nothing yet"
    );
    control.hang_next_droplet_create();
    let client = env.client.clone();
    let (c2, p2) = (c.clone(), planned.clone());
    let create = tokio::spawn(async move { client.create(&c2, "digitalocean_droplet", &p2).await });
    // Wait until the double received the create, then "kill" the client mid-create.
    let mut seen = false;
    for _ in 0..400 {
        if env.requests().iter().any(|r| r == "POST /v2/droplets") {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(seen, "the create request reached the double");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!create.is_finished(), "the create response is held");
    create.abort();
    // The next run finds what the interrupted create made, instead of creating a second Droplet.
    let found = env
        .client
        .find_created(&c, t, &planned)
        .await
        .expect("find_created")
        .expect("found");
    assert_eq!(found.get_str("name"), Some("crash-1"));
    assert_eq!(found.get_str("status"), Some("active"));
    assert_eq!(found.get("tags"), Some(&sset(&["stage", "web"])));
    // Another address does not adopt it.
    assert!(
        env.client
            .find_created(&ctx("digitalocean_droplet.other"), t, &planned)
            .await
            .unwrap()
            .is_none()
    );
    control.release();
    let (_, all) = env.raw("GET", "/v2/droplets", None).await;
    assert_eq!(
        all["droplets"].as_array().unwrap().len(),
        1,
        "exactly one Droplet exists"
    );
}

#[tokio::test]
async fn a_droplet_that_never_becomes_ready_is_returned_as_partial() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    env.api
        .control()
        .settings(serde_json::json!({"droplet_active_after": 1000}));
    let mut c = ctx("digitalocean_droplet.slow");
    c.timeout = Duration::from_millis(300);
    let e = env
        .client
        .create(&c, t, &env.plan_create(t, config("slow-1")))
        .await
        .expect_err("times out");
    assert_eq!(e.kind, infra_provider::ErrorKind::Timeout);
    let partial = e.partial.expect("the created Droplet is reported");
    assert!(partial.get_str("id").is_some_and(|id| id.parse::<u64>().is_ok()));
    assert_eq!(partial.get_str("status"), Some("new"));
}

#[tokio::test]
async fn backups_and_ipv6_change_in_place_and_graceful_shutdown_powers_off_first() {
    let env = setup().await;
    let t = "digitalocean_droplet";
    let c = ctx("digitalocean_droplet.feat");
    let mut cfg = config("feat-1");
    cfg.push(("graceful_shutdown", Value::Bool(true)));
    let d = env
        .client
        .create(&c, t, &env.plan_create(t, cfg.clone()))
        .await
        .expect("create");
    assert_eq!((d.get_bool("backups"), d.get_bool("ipv6")), (Some(false), Some(false)));
    assert!(d.get("ipv6_address").unwrap().is_null());
    let policy = |hour: i64| {
        Value::List(vec![Value::map([
            ("plan", s("weekly")),
            ("weekday", s("SUN")),
            ("hour", Value::int(hour)),
        ])])
    };
    let mut more = cfg.clone();
    more.push(("backups", Value::Bool(true)));
    more.push(("backup_policy", policy(4)));
    more.push(("ipv6", Value::Bool(true)));
    let (planned, replace) = env.plan(t, Some(&d), more);
    assert!(replace.is_empty(), "{replace:?}");
    let updated = env
        .client
        .update(&c, t, &d, &planned)
        .await
        .expect("enable backups and ipv6");
    assert_eq!(
        (updated.get_bool("backups"), updated.get_bool("ipv6")),
        (Some(true), Some(true))
    );
    assert!(updated.get_str("ipv6_address").is_some_and(|a| a.contains(':')));
    assert_eq!(updated.get("backup_policy"), Some(&policy(4)));
    // A policy change while backups stay on, and a policy without backups, are refused at plan time.
    let mut other = cfg.clone();
    other.push(("backups", Value::Bool(true)));
    other.push(("backup_policy", policy(8)));
    assert!(env.plan_err(t, Some(&updated), other).contains("backup_policy"));
    let mut without = cfg.clone();
    without.push(("backup_policy", policy(8)));
    without.push(("backups", Value::Bool(false)));
    assert!(env.plan_err(t, None, without).contains("backups are enabled"));
    let id = updated.get_str("id").unwrap().to_string();
    let before = env.requests().len();
    env.client.delete(&c, t, &updated).await.expect("delete");
    let (_, gone) = env.raw("GET", &format!("/v2/droplets/{id}"), None).await;
    assert_eq!(gone["id"], "not_found");
    let log = env.requests()[before..].join("\n");
    let shutdown = log
        .find(&format!("POST /v2/droplets/{id}/actions"))
        .expect("a shutdown action");
    let delete = log.find(&format!("DELETE /v2/droplets/{id}")).expect("the delete");
    assert!(shutdown < delete, "shut down before deleting: {log}");
}
