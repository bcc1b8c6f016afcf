//! Managed databases: cluster lifecycle (create → online, resize, migrate, maintenance), replacement,
//! crash safety, and the cluster's firewall, databases and users.

use crate::common::{ctx, s, setup, sset};
use infra_provider::{Path, Value};

fn cluster_config(name: &str) -> Vec<(&'static str, Value)> {
    vec![
        ("name", s(name)),
        ("engine", s("pg")),
        ("version", s("16")),
        ("size", s("db-s-1vcpu-1gb")),
        ("region", s("nyc3")),
        ("node_count", Value::int(1)),
        ("tags", sset(&["db"])),
    ]
}

#[tokio::test]
async fn cluster_create_resize_migrate_and_delete() {
    let env = setup().await;
    env.api
        .control()
        .settings(serde_json::json!({"cluster_online_after": 3}));
    let t = "digitalocean_database_cluster";
    let c = ctx("digitalocean_database_cluster.main");
    let mut cfg = cluster_config("pg-main");
    cfg.push((
        "maintenance_window",
        Value::List(vec![Value::map([("day", s("monday")), ("hour", s("03:00:00"))])]),
    ));
    let planned = env.plan_create(t, cfg.clone());
    assert!(planned.get("password").unwrap().is_unknown());
    let db = env.client.create(&c, t, &planned).await.expect("create");
    let id = db.get_str("id").unwrap().to_string();
    assert!(
        env.api.control().polls()[&format!("database:{id}")] >= 3,
        "waited for online"
    );
    assert_eq!(db.get_str("urn"), Some(format!("do:dbaas:{id}").as_str()));
    assert_eq!(db.get_i64("port"), Some(25060));
    assert!(db.get_str("password").is_some_and(|p| !p.is_empty()));
    assert!(
        db.get_str("uri")
            .is_some_and(|u| u.starts_with("postgresql://doadmin:"))
    );
    assert!(db.get_str("private_host").is_some_and(|h| h.starts_with("private-")));
    assert_eq!(db.get_str("user"), Some("doadmin"));
    assert_eq!(db.get_str("database"), Some("defaultdb"));
    assert_eq!(db.get_str("storage_size_mib"), Some("10240"));
    assert_eq!(db.get("tags"), Some(&sset(&["db"])));
    assert_eq!(db.get_list("maintenance_window")[0].get_str("day"), Some("monday"));
    let schema = env.schema(t);
    for k in ["uri", "private_uri", "password"] {
        assert!(schema.block.attributes[k].sensitive, "{k} is sensitive");
    }

    // Size and node count change in place through resize.
    let mut bigger = cfg.clone();
    bigger[3] = ("size", s("db-s-1vcpu-2gb"));
    bigger[5] = ("node_count", Value::int(2));
    let (planned, replace) = env.plan(t, Some(&db), bigger.clone());
    assert!(replace.is_empty(), "{replace:?}");
    let resized = env.client.update(&c, t, &db, &planned).await.expect("resize");
    assert_eq!(resized.get_str("size"), Some("db-s-1vcpu-2gb"));
    assert_eq!(resized.get_i64("node_count"), Some(2));
    assert!(
        env.requests()
            .iter()
            .any(|r| r == &format!("PUT /v2/databases/{id}/resize"))
    );

    // Region changes in place through migrate; the maintenance window is updated too.
    let mut moved = bigger.clone();
    moved[4] = ("region", s("fra1"));
    moved[7] = (
        "maintenance_window",
        Value::List(vec![Value::map([("day", s("friday")), ("hour", s("22:00:00"))])]),
    );
    let (planned, replace) = env.plan(t, Some(&resized), moved);
    assert!(replace.is_empty(), "{replace:?}");
    assert!(planned.get("host").unwrap().is_unknown());
    let migrated = env.client.update(&c, t, &resized, &planned).await.expect("migrate");
    assert_eq!(migrated.get_str("region"), Some("fra1"));
    assert_eq!(
        migrated.get_list("maintenance_window")[0].get_str("day"),
        Some("friday")
    );
    assert_eq!(migrated.get_str("password"), db.get_str("password"));

    // Name and engine replace; a version change is refused.
    let mut renamed = bigger.clone();
    renamed[0] = ("name", s("pg-other"));
    assert!(env.plan(t, Some(&migrated), renamed).1.contains(&Path::attr("name")));
    let mut engine = bigger.clone();
    engine[1] = ("engine", s("mysql"));
    assert!(env.plan(t, Some(&migrated), engine).1.contains(&Path::attr("engine")));
    let mut version = bigger.clone();
    version[2] = ("version", s("17"));
    assert!(env.plan_err(t, Some(&migrated), version).contains("version"));
    let mut no_version = bigger.clone();
    no_version.remove(2);
    assert!(
        env.plan_err(t, Some(&migrated), no_version)
            .contains("\"version\" is required")
    );

    let imported = env.client.import(t, &id).await.expect("import").expect("found");
    assert_eq!(imported.get_str("name"), Some("pg-main"));
    env.client.delete(&c, t, &migrated).await.expect("delete");
    assert!(
        env.client
            .read(t, std::slice::from_ref(&migrated))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );
}

/// Tags of a cluster change through `POST/DELETE /v2/tags/{tag}/resources` with resource type
/// `database`, as the real API and Terraform do. DigitalOcean's OpenAPI description lists only
/// droplet, image, volume and volume_snapshot there, so Prism refuses the request: this test talks to
/// the double directly.
#[tokio::test]
async fn cluster_tags_change_in_place() {
    let env = setup().await;
    let p = infra_digitalocean::provider();
    let direct = p
        .configure(&Value::map([
            ("token", s(&env.api.token)),
            ("api_endpoint", s(&env.api.double_url)),
        ]))
        .await
        .unwrap();
    let t = "digitalocean_database_cluster";
    let c = ctx("digitalocean_database_cluster.tags");
    let db = direct
        .create(&c, t, &env.plan_create(t, cluster_config("pg-tags")))
        .await
        .expect("create");
    let mut cfg = cluster_config("pg-tags");
    cfg[6] = ("tags", sset(&["db", "prod"]));
    let (planned, replace) = env.plan(t, Some(&db), cfg);
    assert!(replace.is_empty());
    let updated = direct.update(&c, t, &db, &planned).await.expect("retag");
    assert_eq!(updated.get("tags"), Some(&sset(&["db", "prod"])));
}

#[tokio::test]
async fn an_interrupted_cluster_create_is_found_by_tag() {
    let env = setup().await;
    let t = "digitalocean_database_cluster";
    let c = ctx("digitalocean_database_cluster.crash");
    let planned = env.plan_create(t, cluster_config("pg-crash"));
    assert!(env.client.find_created(&c, t, &planned).await.unwrap().is_none());
    // The create request went out, but the process died before it recorded the answer.
    let tag = infra_digitalocean::util::ownership_tag("lineage-test-0001", "digitalocean_database_cluster.crash");
    let (st, _) = env
        .raw(
            "POST",
            "/v2/databases",
            Some(
                serde_json::json!({"name": "pg-crash", "engine": "pg", "version": "16", "size": "db-s-1vcpu-1gb",
                "region": "nyc3", "num_nodes": 1, "tags": ["db", tag]}),
            ),
        )
        .await;
    assert_eq!(st, 201);
    let found = env
        .client
        .find_created(&c, t, &planned)
        .await
        .expect("find")
        .expect("found");
    assert_eq!(found.get_str("name"), Some("pg-crash"));
    assert_eq!(found.get("tags"), Some(&sset(&["db"])));
    let log = env.requests().join("\n");
    assert!(log.contains(&format!("GET /v2/databases?tag_name={tag}")), "{log}");
}

#[tokio::test]
async fn firewall_databases_and_users_of_a_cluster() {
    let env = setup().await;
    let c = ctx("digitalocean_database_cluster.deps");
    let t = "digitalocean_database_cluster";
    let db = env
        .client
        .create(&c, t, &env.plan_create(t, cluster_config("pg-deps")))
        .await
        .expect("cluster");
    let cluster = db.get_str("id").unwrap().to_string();

    // Firewall: the whole rule set at once.
    let ft = "digitalocean_database_firewall";
    let rule = |ty: &str, v: &str| Value::map([("type", s(ty)), ("value", s(v))]);
    let fc = ctx("digitalocean_database_firewall.fw");
    let planned = env.plan_create(
        ft,
        vec![
            ("cluster_id", s(&cluster)),
            ("rule", Value::set(vec![rule("ip_addr", "192.168.1.1")])),
        ],
    );
    let fw = env.client.create(&fc, ft, &planned).await.expect("firewall");
    assert_eq!(fw.get_str("id"), Some(cluster.as_str()));
    let rules = fw.get_list("rule");
    assert_eq!(rules.len(), 1);
    assert!(rules[0].get_str("uuid").is_some_and(|u| u.len() == 36));
    let (planned, _) = env.plan(
        ft,
        Some(&fw),
        vec![
            ("cluster_id", s(&cluster)),
            (
                "rule",
                Value::set(vec![rule("ip_addr", "192.168.1.1"), rule("tag", "web")]),
            ),
        ],
    );
    let kept = planned
        .get_list("rule")
        .iter()
        .find(|r| r.get_str("value") == Some("192.168.1.1"))
        .unwrap()
        .clone();
    assert_eq!(
        kept.get("uuid"),
        rules[0].get("uuid"),
        "a rule that stays keeps its uuid at plan time"
    );
    assert!(
        planned
            .get_list("rule")
            .iter()
            .any(|r| r.get("uuid").is_some_and(Value::is_unknown))
    );
    let fw2 = env
        .client
        .update(&fc, ft, &fw, &planned)
        .await
        .expect("update firewall");
    assert_eq!(fw2.get_list("rule").len(), 2);
    assert!(
        env.plan_err(
            ft,
            None,
            vec![
                ("cluster_id", s(&cluster)),
                ("rule", Value::set(vec![rule("vpc", "x")]))
            ]
        )
        .contains("vpc")
    );
    assert!(
        env.client.find_created(&fc, ft, &planned).await.unwrap().is_some(),
        "the rules are already there"
    );
    let imported = env.client.import(ft, &cluster).await.unwrap().unwrap();
    assert_eq!(imported.get_list("rule").len(), 2);
    env.client.delete(&fc, ft, &fw2).await.expect("delete firewall");
    let (_, v) = env.raw("GET", &format!("/v2/databases/{cluster}/firewall"), None).await;
    assert_eq!(v["rules"].as_array().unwrap().len(), 0);

    // Databases.
    let dt = "digitalocean_database_db";
    let dc = ctx("digitalocean_database_db.app");
    let planned = env.plan_create(dt, vec![("cluster_id", s(&cluster)), ("name", s("app"))]);
    assert!(env.client.find_created(&dc, dt, &planned).await.unwrap().is_none());
    let app = env.client.create(&dc, dt, &planned).await.expect("db");
    assert_eq!(app.get_str("id"), Some(format!("{cluster}/database/app").as_str()));
    let other = env
        .client
        .create(
            &dc,
            dt,
            &env.plan_create(dt, vec![("cluster_id", s(&cluster)), ("name", s("jobs"))]),
        )
        .await
        .unwrap();
    let before = env.requests().len();
    let got = env.client.read(dt, &[app.clone(), other.clone()]).await;
    assert!(got.iter().all(|r| r.as_ref().unwrap().is_some()));
    assert_eq!(
        env.requests().len() - before,
        1,
        "one listing for both databases of the cluster"
    );
    assert!(env.client.find_created(&dc, dt, &planned).await.unwrap().is_some());
    assert_eq!(
        env.client.import(dt, &format!("{cluster},app")).await.unwrap().unwrap(),
        app
    );
    assert!(env.client.import(dt, "no-comma").await.is_err());
    assert!(
        env.plan(
            dt,
            Some(&app),
            vec![("cluster_id", s(&cluster)), ("name", s("renamed"))]
        )
        .1
        .contains(&Path::attr("name"))
    );
    env.client.delete(&dc, dt, &app).await.expect("delete db");
    assert!(
        env.client
            .read(dt, std::slice::from_ref(&app))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );

    // Users: the password is computed and sensitive.
    let ut = "digitalocean_database_user";
    assert!(env.schema(ut).block.attributes["password"].sensitive);
    let uc = ctx("digitalocean_database_user.app");
    let planned = env.plan_create(ut, vec![("cluster_id", s(&cluster)), ("name", s("appuser"))]);
    let user = env.client.create(&uc, ut, &planned).await.expect("user");
    assert_eq!(user.get_str("role"), Some("normal"));
    assert!(user.get_str("password").is_some_and(|p| p.len() > 10));
    let read = env
        .client
        .read(ut, std::slice::from_ref(&user))
        .await
        .remove(0)
        .unwrap()
        .unwrap();
    assert_eq!(read, user);
    assert_eq!(
        env.client
            .find_created(&uc, ut, &planned)
            .await
            .unwrap()
            .unwrap()
            .get_str("name"),
        Some("appuser")
    );
    let imported = env
        .client
        .import(ut, &format!("{cluster},appuser"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(imported.get_str("id"), user.get_str("id"));
    assert_eq!(imported.get_str("role"), Some("normal"));
    assert!(env.client.import(ut, "no-comma").await.is_err());
    let (_, replace) = env.plan(ut, Some(&user), vec![("cluster_id", s(&cluster)), ("name", s("other"))]);
    assert!(replace.contains(&Path::attr("name")));
    env.client.delete(&uc, ut, &user).await.expect("delete user");
    assert!(
        env.client
            .read(ut, std::slice::from_ref(&user))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );
}

fn autoscale(enabled: bool, threshold: Option<i64>, increment: Option<i64>) -> Value {
    let n = |x: Option<i64>| x.map(Value::int).unwrap_or(Value::Null);
    Value::List(vec![Value::map([
        ("enabled", Value::Bool(enabled)),
        ("threshold_percent", n(threshold)),
        ("increment_gib", n(increment)),
    ])])
}

/// `GET /v2/databases/{id}/autoscale` through the validating proxy: (enabled, threshold, increment).
async fn api_autoscale(env: &crate::common::Env, id: &str) -> (Option<bool>, Option<i64>, Option<i64>) {
    let (st, v) = env.raw("GET", &format!("/v2/databases/{id}/autoscale"), None).await;
    assert_eq!(st, 200, "{v}");
    let s = &v["autoscale"]["storage"];
    (
        s["enabled"].as_bool(),
        s["threshold_percent"].as_i64(),
        s["increment_gib"].as_i64(),
    )
}

/// Storage autoscaling: set on create through `PUT .../autoscale`, read back on refresh (so the next
/// plan is empty), changed in place, and a change made outside infra shows as drift and is undone.
#[tokio::test]
async fn cluster_storage_autoscale_create_update_and_drift() {
    let env = setup().await;
    let t = "digitalocean_database_cluster";
    let c = ctx("digitalocean_database_cluster.auto");
    let with = |a: Value| {
        let mut cfg = cluster_config("pg-auto");
        cfg.push(("storage_autoscale", a));
        cfg
    };
    let cfg = with(autoscale(true, Some(70), Some(20)));
    let db = env
        .client
        .create(&c, t, &env.plan_create(t, cfg.clone()))
        .await
        .expect("create");
    let id = db.get_str("id").unwrap().to_string();
    assert_eq!(db.get("storage_autoscale"), Some(&autoscale(true, Some(70), Some(20))));
    assert_eq!(api_autoscale(&env, &id).await, (Some(true), Some(70), Some(20)));
    let (_, v) = env.raw("GET", &format!("/v2/databases/{id}"), None).await;
    assert_eq!(v["database"]["autoscale"]["storage"]["threshold_percent"], 70, "{v}");
    let puts = |env: &crate::common::Env| {
        env.requests()
            .iter()
            .filter(|r| *r == &format!("PUT /v2/databases/{id}/autoscale"))
            .count()
    };
    assert_eq!(puts(&env), 1);

    // Refresh reads it back, one cluster or many (one listing); the next plan changes nothing.
    let read = env
        .client
        .read(t, std::slice::from_ref(&db))
        .await
        .remove(0)
        .unwrap()
        .expect("found");
    assert_eq!(read, db);
    let many = env.client.read(t, &[db.clone(), db.clone()]).await;
    for r in many {
        assert_eq!(
            r.unwrap().expect("found").get("storage_autoscale"),
            db.get("storage_autoscale")
        );
    }
    let (planned, replace) = env.plan(t, Some(&read), cfg.clone());
    assert!(replace.is_empty(), "{replace:?}");
    assert_eq!(planned, read, "no change after apply");

    // A new threshold and increment change in place, without a resize.
    let cfg = with(autoscale(true, Some(85), Some(30)));
    let (planned, replace) = env.plan(t, Some(&read), cfg.clone());
    assert!(replace.is_empty(), "{replace:?}");
    assert_ne!(planned, read);
    let updated = env.client.update(&c, t, &read, &planned).await.expect("update");
    assert_eq!(updated.get_str("id"), Some(id.as_str()), "the same cluster");
    assert_eq!(
        updated.get("storage_autoscale"),
        Some(&autoscale(true, Some(85), Some(30)))
    );
    assert_eq!(api_autoscale(&env, &id).await, (Some(true), Some(85), Some(30)));
    assert_eq!(puts(&env), 2);
    assert!(
        !env.requests().iter().any(|r| r.ends_with("/resize")),
        "{:?}",
        env.requests()
    );

    // Changed outside infra: the refresh shows it, the plan puts the configuration back.
    let (st, v) = env
        .raw(
            "PUT",
            &format!("/v2/databases/{id}/autoscale"),
            Some(serde_json::json!({"storage": {"enabled": false, "threshold_percent": 50, "increment_gib": 10}})),
        )
        .await;
    assert_eq!(st, 204, "{v}");
    let drifted = env
        .client
        .read(t, std::slice::from_ref(&updated))
        .await
        .remove(0)
        .unwrap()
        .expect("found");
    assert_eq!(
        drifted.get("storage_autoscale"),
        Some(&autoscale(false, Some(50), Some(10)))
    );
    let (planned, replace) = env.plan(t, Some(&drifted), cfg.clone());
    assert!(replace.is_empty(), "{replace:?}");
    assert_ne!(planned, drifted, "the drift is a change");
    assert_eq!(
        planned.get("storage_autoscale"),
        Some(&autoscale(true, Some(85), Some(30)))
    );
    let restored = env.client.update(&c, t, &drifted, &planned).await.expect("restore");
    assert_eq!(
        restored.get("storage_autoscale"),
        Some(&autoscale(true, Some(85), Some(30)))
    );
    assert_eq!(api_autoscale(&env, &id).await, (Some(true), Some(85), Some(30)));

    // Disabled with the numbers left out: they keep their values, and the next plan is empty.
    let cfg = with(autoscale(false, None, None));
    let (planned, _) = env.plan(t, Some(&restored), cfg.clone());
    let disabled = env.client.update(&c, t, &restored, &planned).await.expect("disable");
    assert_eq!(
        disabled.get("storage_autoscale"),
        Some(&autoscale(false, Some(85), Some(30)))
    );
    assert_eq!(api_autoscale(&env, &id).await, (Some(false), Some(85), Some(30)));
    let (planned, _) = env.plan(t, Some(&disabled), cfg);
    assert_eq!(planned, disabled, "no change after apply");
}

/// `storage_autoscale { enabled = true }` alone takes the platform's threshold and increment without a
/// perpetual diff; a cluster without the block does not track (or read) autoscaling at all; and a cluster
/// object without `autoscale` is read through `GET .../autoscale`.
#[tokio::test]
async fn cluster_storage_autoscale_defaults_and_untracked() {
    let env = setup().await;
    let t = "digitalocean_database_cluster";
    let c = ctx("digitalocean_database_cluster.autodefault");
    let mut cfg = cluster_config("pg-auto-default");
    cfg.push(("storage_autoscale", autoscale(true, None, None)));
    let planned = env.plan_create(t, cfg.clone());
    assert!(
        planned.get_list("storage_autoscale")[0]
            .get("threshold_percent")
            .unwrap()
            .is_unknown()
    );
    let db = env.client.create(&c, t, &planned).await.expect("create");
    let id = db.get_str("id").unwrap().to_string();
    assert_eq!(db.get("storage_autoscale"), Some(&autoscale(true, Some(80), Some(10))));
    assert_eq!(api_autoscale(&env, &id).await, (Some(true), Some(80), Some(10)));
    let (planned, _) = env.plan(t, Some(&db), cfg);
    assert_eq!(planned, db, "no change after apply");

    let c = ctx("digitalocean_database_cluster.plain");
    let plain = env
        .client
        .create(&c, t, &env.plan_create(t, cluster_config("pg-plain")))
        .await
        .expect("create");
    let pid = plain.get_str("id").unwrap().to_string();
    assert_eq!(plain.get_list("storage_autoscale"), &[] as &[Value]);
    // Autoscaling enabled outside infra is not tracked when not configured (as with Terraform).
    let (st, _) = env
        .raw(
            "PUT",
            &format!("/v2/databases/{pid}/autoscale"),
            Some(serde_json::json!({"storage": {"enabled": true}})),
        )
        .await;
    assert_eq!(st, 204);
    let read = env
        .client
        .read(t, std::slice::from_ref(&plain))
        .await
        .remove(0)
        .unwrap()
        .unwrap();
    assert_eq!(read, plain);
    assert!(
        !env.requests()
            .iter()
            .any(|r| r.starts_with("GET ") && r.ends_with(&format!("{pid}/autoscale"))),
        "{:?}",
        env.requests()
    );

    // A cluster whose object carries no `autoscale` (never configured): read with GET .../autoscale.
    let c = ctx("digitalocean_database_cluster.bare");
    let bare = env
        .client
        .create(&c, t, &env.plan_create(t, cluster_config("pg-bare")))
        .await
        .expect("create");
    let bid = bare.get_str("id").unwrap().to_string();
    let (_, v) = env.raw("GET", &format!("/v2/databases/{bid}"), None).await;
    assert!(v["database"].get("autoscale").is_none(), "{v}");
    let mut prior = bare.clone();
    prior.set_attr("storage_autoscale", autoscale(true, Some(60), Some(20)));
    let read = env
        .client
        .read(t, std::slice::from_ref(&prior))
        .await
        .remove(0)
        .unwrap()
        .unwrap();
    assert_eq!(read.get("storage_autoscale"), Some(&autoscale(false, None, None)));
    assert!(
        env.requests().contains(&format!("GET /v2/databases/{bid}/autoscale")),
        "{:?}",
        env.requests()
    );
}
