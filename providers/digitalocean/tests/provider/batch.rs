//! Refresh in batches: one listing per type for many objects, objects that are gone read as None.

use crate::common::{ctx, s, setup, sset};
use infra_provider::Value;

fn gone(v: &Value) -> Value {
    let mut g = v.clone();
    let id = v.get_str("id").unwrap();
    // Same shape as the real ID, unknown to the API.
    let fake = if id.parse::<u64>().is_ok() {
        "999999999".to_string()
    } else {
        "00000000-0000-4000-8000-000000000000".to_string()
    };
    g.set_attr("id", s(&fake));
    g
}

#[tokio::test]
async fn each_type_refreshes_with_one_listing() {
    let env = setup().await;
    let mut made: Vec<(&str, Vec<Value>)> = Vec::new();

    let t = "digitalocean_vpc";
    let mut vpcs = Vec::new();
    for n in ["b1", "b2"] {
        vpcs.push(
            env.client
                .create(
                    &ctx(&format!("{t}.{n}")),
                    t,
                    &env.plan_create(t, vec![("name", s(n)), ("region", s("ams3"))]),
                )
                .await
                .unwrap(),
        );
    }
    made.push((t, vpcs));

    let t = "digitalocean_ssh_key";
    let keys = [
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGs0nyb1bsxJrIzUh4W6GoL0K3fq4bL7Cxx8ibQ4Nm6O a",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHs0nyb1bsxJrIzUh4W6GoL0K3fq4bL7Cxx8ibQ4Nm6O b",
    ];
    let mut ks = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        ks.push(
            env.client
                .create(
                    &ctx(&format!("{t}.k{i}")),
                    t,
                    &env.plan_create(t, vec![("name", s(&format!("k{i}"))), ("public_key", s(k))]),
                )
                .await
                .unwrap(),
        );
    }
    made.push((t, ks));

    let t = "digitalocean_project";
    let mut ps = Vec::new();
    for n in ["pa", "pb"] {
        ps.push(
            env.client
                .create(&ctx(&format!("{t}.{n}")), t, &env.plan_create(t, vec![("name", s(n))]))
                .await
                .unwrap(),
        );
    }
    made.push((t, ps));

    let t = "digitalocean_firewall";
    let rule = Value::map([
        ("protocol", s("tcp")),
        ("port_range", s("22")),
        ("source_addresses", sset(&["0.0.0.0/0"])),
    ]);
    let mut fws = Vec::new();
    for n in ["fa", "fb"] {
        fws.push(
            env.client
                .create(
                    &ctx(&format!("{t}.{n}")),
                    t,
                    &env.plan_create(
                        t,
                        vec![("name", s(n)), ("inbound_rule", Value::set(vec![rule.clone()]))],
                    ),
                )
                .await
                .unwrap(),
        );
    }
    made.push((t, fws));

    let t = "digitalocean_database_cluster";
    let mut cs = Vec::new();
    for n in ["ca", "cb"] {
        let cfg = vec![
            ("name", s(n)),
            ("engine", s("pg")),
            ("version", s("16")),
            ("size", s("db-s-1vcpu-1gb")),
            ("region", s("nyc3")),
            ("node_count", Value::int(1)),
        ];
        cs.push(
            env.client
                .create(&ctx(&format!("{t}.{n}")), t, &env.plan_create(t, cfg))
                .await
                .unwrap(),
        );
    }
    made.push((t, cs));

    for (t, objects) in made {
        let priors = vec![objects[0].clone(), gone(&objects[0]), objects[1].clone()];
        let before = env.requests().len();
        let got = env.client.read(t, &priors).await;
        let calls = env.requests()[before..].to_vec();
        let read: Vec<Option<Value>> = got
            .into_iter()
            .map(|r| r.unwrap_or_else(|e| panic!("{t}: {e}")))
            .collect();
        assert_eq!(
            read[0].as_ref().and_then(|v| v.get_str("id").map(str::to_string)),
            objects[0].get_str("id").map(str::to_string),
            "{t}"
        );
        assert!(read[1].is_none(), "{t}: gone");
        assert_eq!(
            read[2].as_ref().and_then(|v| v.get_str("id").map(str::to_string)),
            objects[1].get_str("id").map(str::to_string),
            "{t}"
        );
        let lists = calls
            .iter()
            .filter(|c| c.starts_with("GET") && !c.contains("/resources"))
            .count();
        assert_eq!(lists, 1, "{t}: one listing call, got {calls:?}");
    }
}
