//! Projects and their resources, tags, SSH keys.

use crate::common::{ctx, s, setup, sset};
use infra_provider::{Path, Value};

async fn droplet(env: &crate::common::Env, name: &str) -> Value {
    let t = "digitalocean_droplet";
    env.client
        .create(
            &ctx(&format!("digitalocean_droplet.{name}")),
            t,
            &env.plan_create(
                t,
                vec![
                    ("name", s(name)),
                    ("image", s("ubuntu-24-04-x64")),
                    ("region", s("nyc3")),
                    ("size", s("s-1vcpu-1gb")),
                ],
            ),
        )
        .await
        .expect("droplet")
}

#[tokio::test]
async fn project_lifecycle_moves_resources() {
    let env = setup().await;
    let a = droplet(&env, "pa").await;
    let b = droplet(&env, "pb").await;
    let (ua, ub) = (
        a.get_str("urn").unwrap().to_string(),
        b.get_str("urn").unwrap().to_string(),
    );
    let t = "digitalocean_project";
    let c = ctx("digitalocean_project.stage");
    let cfg = vec![
        ("name", s("stage")),
        ("environment", s("staging")),
        ("resources", sset(&[&ua])),
    ];
    let planned = env.plan_create(t, cfg.clone());
    assert_eq!(planned.get_str("purpose"), Some("Web Application"), "default purpose");
    let p = env.client.create(&c, t, &planned).await.expect("create");
    assert_eq!(p.get_str("environment"), Some("Staging"));
    assert_eq!(p.get("resources"), Some(&sset(&[&ua])));
    assert!(p.get_str("owner_uuid").is_some());
    // The environment compares case-insensitively: no change.
    let schema = env.schema(t);
    assert!(schema.block.attributes["environment"].case_insensitive);

    let mut cfg2 = cfg.clone();
    cfg2[2] = ("resources", sset(&[&ub]));
    cfg2.push(("description", s("stage env")));
    let (planned, replace) = env.plan(t, Some(&p), cfg2);
    assert!(replace.is_empty());
    assert!(planned.get("updated_at").unwrap().is_unknown());
    let p2 = env.client.update(&c, t, &p, &planned).await.expect("update");
    assert_eq!(p2.get("resources"), Some(&sset(&[&ub])));
    assert_eq!(p2.get_str("description"), Some("stage env"));
    let (_, def) = env.raw("GET", "/v2/projects/default/resources", None).await;
    assert!(
        def["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["urn"] == ua.as_str()),
        "removed resources go back to the default project"
    );

    assert_eq!(
        env.client
            .find_created(&c, t, &planned)
            .await
            .unwrap()
            .and_then(|v| v.get_str("id").map(str::to_string)),
        p.get_str("id").map(str::to_string)
    );
    assert!(
        env.plan_err(t, None, vec![("name", s("x")), ("environment", s("qa"))])
            .contains("environment")
    );
    assert_eq!(
        env.client.import(t, p2.get_str("id").unwrap()).await.unwrap().as_ref(),
        Some(&p2),
        "import by ID"
    );

    env.client
        .delete(&c, t, &p2)
        .await
        .expect("delete moves resources out first");
    assert!(
        env.client
            .read(t, std::slice::from_ref(&p2))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );
    let (_, def) = env.raw("GET", "/v2/projects/default/resources", None).await;
    assert!(
        def["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["urn"] == ub.as_str())
    );
}

#[tokio::test]
async fn project_resources_assign_and_release() {
    let env = setup().await;
    let a = droplet(&env, "ra").await;
    let ua = a.get_str("urn").unwrap().to_string();
    let pt = "digitalocean_project";
    let p = env
        .client
        .create(
            &ctx("digitalocean_project.p"),
            pt,
            &env.plan_create(pt, vec![("name", s("apps"))]),
        )
        .await
        .unwrap();
    let pid = p.get_str("id").unwrap().to_string();
    // A project without an environment updates too (the environment is left out of the request).
    let (planned, _) = env.plan(pt, Some(&p), vec![("name", s("apps")), ("description", s("all apps"))]);
    let p = env
        .client
        .update(&ctx("digitalocean_project.p"), pt, &p, &planned)
        .await
        .expect("update");
    assert_eq!(p.get_str("description"), Some("all apps"));
    assert!(p.get("environment").unwrap().is_null());
    let t = "digitalocean_project_resources";
    let c = ctx("digitalocean_project_resources.apps");
    let planned = env.plan_create(t, vec![("project", s(&pid)), ("resources", sset(&[&ua]))]);
    let pr = env.client.create(&c, t, &planned).await.expect("assign");
    assert_eq!(pr.get_str("id"), Some(pid.as_str()));
    assert_eq!(pr.get("resources"), Some(&sset(&[&ua])));
    assert!(env.client.find_created(&c, t, &planned).await.unwrap().is_some());
    let imported = env.client.import(t, &pid).await.unwrap().unwrap();
    assert_eq!(
        imported.get("resources"),
        Some(&sset(&[&ua])),
        "an import takes what the project holds"
    );
    assert!(
        env.plan(t, Some(&pr), vec![("project", s("other")), ("resources", sset(&[&ua]))])
            .1
            .contains(&Path::attr("project"))
    );
    env.client.delete(&c, t, &pr).await.expect("release");
    let read = env
        .client
        .read(t, std::slice::from_ref(&pr))
        .await
        .remove(0)
        .unwrap()
        .unwrap();
    assert_eq!(read.get("resources"), Some(&sset(&[])), "no longer in the project");
}

#[tokio::test]
async fn tags_are_idempotent_and_count_resources() {
    let env = setup().await;
    let t = "digitalocean_tag";
    let c = ctx("digitalocean_tag.web");
    let planned = env.plan_create(t, vec![("name", s("web"))]);
    assert!(env.client.find_created(&c, t, &planned).await.unwrap().is_none());
    let tag = env.client.create(&c, t, &planned).await.expect("create");
    assert_eq!(tag.get_str("id"), Some("web"));
    assert_eq!(tag.get_i64("droplets_count"), Some(0));
    let again = env
        .client
        .create(&c, t, &planned)
        .await
        .expect("creating it again is fine");
    assert_eq!(again.get_str("id"), Some("web"));
    let dt = "digitalocean_droplet";
    env.client
        .create(
            &ctx("digitalocean_droplet.tagged"),
            dt,
            &env.plan_create(
                dt,
                vec![
                    ("name", s("tagged")),
                    ("image", s("ubuntu-24-04-x64")),
                    ("region", s("nyc3")),
                    ("size", s("s-1vcpu-1gb")),
                    ("tags", sset(&["web"])),
                ],
            ),
        )
        .await
        .unwrap();
    let read = env
        .client
        .read(t, std::slice::from_ref(&tag))
        .await
        .remove(0)
        .unwrap()
        .unwrap();
    assert_eq!(read.get_i64("droplets_count"), Some(1));
    assert_eq!(read.get_i64("total_resource_count"), Some(1));
    assert!(
        env.plan_err(t, None, vec![("name", s("has space"))])
            .contains("tags may contain")
    );
    assert_eq!(
        env.client.import(t, "web").await.unwrap().as_ref(),
        Some(&read),
        "import by name"
    );
    assert!(
        env.plan(t, Some(&read), vec![("name", s("web2"))])
            .1
            .contains(&Path::attr("name"))
    );
    env.client.delete(&c, t, &tag).await.unwrap();
    assert!(
        env.client
            .read(t, std::slice::from_ref(&tag))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );
}

const KEY: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGs0nyb1bsxJrIzUh4W6GoL0K3fq4bL7Cxx8ibQ4Nm6O deploy@example";

#[tokio::test]
async fn ssh_keys_rename_in_place_and_are_found_by_public_key() {
    let env = setup().await;
    let t = "digitalocean_ssh_key";
    let c = ctx("digitalocean_ssh_key.deploy");
    let planned = env.plan_create(t, vec![("name", s("deploy")), ("public_key", s(&format!("{KEY}\n")))]);
    let k = env.client.create(&c, t, &planned).await.expect("create");
    assert_eq!(
        k.get_str("public_key"),
        Some(format!("{KEY}\n").as_str()),
        "kept as configured"
    );
    assert_eq!(k.get_str("fingerprint").map(|f| f.split(':').count()), Some(16));
    let (planned2, replace) = env.plan(t, Some(&k), vec![("name", s("deploy-2")), ("public_key", s(KEY))]);
    assert!(
        replace.is_empty(),
        "whitespace around the key is no change: {replace:?}"
    );
    let k2 = env.client.update(&c, t, &k, &planned2).await.expect("rename");
    assert_eq!(k2.get_str("name"), Some("deploy-2"));
    let imported = env.client.import(t, k2.get_str("id").unwrap()).await.unwrap().unwrap();
    assert_eq!(
        (imported.get_str("name"), imported.get_str("fingerprint")),
        (Some("deploy-2"), k2.get_str("fingerprint"))
    );
    assert!(
        env.plan(
            t,
            Some(&k2),
            vec![
                ("name", s("deploy-2")),
                ("public_key", s("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFdd other"))
            ]
        )
        .1
        .contains(&Path::attr("public_key"))
    );
    assert_eq!(
        env.client
            .find_created(&c, t, &planned)
            .await
            .unwrap()
            .and_then(|v| v.get_str("id").map(str::to_string)),
        k.get_str("id").map(str::to_string)
    );
    // A key is usable by a Droplet by its ID.
    let dt = "digitalocean_droplet";
    let d = env
        .client
        .create(
            &ctx("digitalocean_droplet.keyed"),
            dt,
            &env.plan_create(
                dt,
                vec![
                    ("name", s("keyed")),
                    ("image", s("ubuntu-24-04-x64")),
                    ("region", s("nyc3")),
                    ("size", s("s-1vcpu-1gb")),
                    ("ssh_keys", sset(&[k.get_str("id").unwrap()])),
                ],
            ),
        )
        .await
        .expect("droplet with the key");
    assert_eq!(d.get("ssh_keys"), Some(&sset(&[k.get_str("id").unwrap()])));
    env.client.delete(&c, t, &k2).await.unwrap();
    assert!(
        env.client
            .read(t, std::slice::from_ref(&k2))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );
}
