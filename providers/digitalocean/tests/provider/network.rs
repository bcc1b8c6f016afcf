//! Firewalls and VPCs.

use crate::common::{ctx, s, setup, sset};
use infra_provider::{Path, Value};

fn inbound(protocol: &str, ports: Option<&str>, addresses: &[&str]) -> Value {
    let mut v = Value::map([("protocol", s(protocol)), ("source_addresses", sset(addresses))]);
    v.set_attr("port_range", ports.map(s).unwrap_or(Value::Null));
    for k in [
        "source_droplet_ids",
        "source_load_balancer_uids",
        "source_kubernetes_ids",
        "source_tags",
    ] {
        v.set_attr(k, Value::Null);
    }
    v
}

fn outbound(protocol: &str, ports: Option<&str>) -> Value {
    let mut v = Value::map([
        ("protocol", s(protocol)),
        ("destination_addresses", sset(&["0.0.0.0/0", "::/0"])),
    ]);
    v.set_attr("port_range", ports.map(s).unwrap_or(Value::Null));
    for k in [
        "destination_droplet_ids",
        "destination_load_balancer_uids",
        "destination_kubernetes_ids",
        "destination_tags",
    ] {
        v.set_attr(k, Value::Null);
    }
    v
}

#[tokio::test]
async fn firewall_lifecycle_with_full_updates() {
    let env = setup().await;
    let t = "digitalocean_firewall";
    let d = env
        .client
        .create(
            &ctx("digitalocean_droplet.fw"),
            "digitalocean_droplet",
            &env.plan_create(
                "digitalocean_droplet",
                vec![
                    ("name", s("fw-target")),
                    ("image", s("ubuntu-24-04-x64")),
                    ("region", s("nyc3")),
                    ("size", s("s-1vcpu-1gb")),
                ],
            ),
        )
        .await
        .unwrap();
    let droplet_id: i64 = d.get_str("id").unwrap().parse().unwrap();
    let cfg = vec![
        ("name", s("web-fw")),
        ("droplet_ids", Value::set(vec![Value::int(droplet_id)])),
        ("tags", sset(&["web"])),
        (
            "inbound_rule",
            Value::set(vec![
                inbound("tcp", Some("22"), &["192.0.2.0/24"]),
                inbound("icmp", None, &["0.0.0.0/0"]),
            ]),
        ),
        (
            "outbound_rule",
            Value::set(vec![outbound("tcp", Some("all")), outbound("icmp", None)]),
        ),
    ];
    let c = ctx("digitalocean_firewall.web");
    let planned = env.plan_create(t, cfg.clone());
    let fw = env.client.create(&c, t, &planned).await.expect("create");
    assert_eq!(fw.get_str("status"), Some("succeeded"));
    assert_eq!(
        fw.get("inbound_rule"),
        planned.get("inbound_rule"),
        "rules read back as configured"
    );
    assert_eq!(
        fw.get("outbound_rule"),
        planned.get("outbound_rule"),
        "port 0 reads back as all / no ports for ICMP"
    );
    assert_eq!(fw.get("droplet_ids"), planned.get("droplet_ids"));
    let read = env
        .client
        .read(t, std::slice::from_ref(&fw))
        .await
        .remove(0)
        .unwrap()
        .unwrap();
    assert_eq!(read, fw);

    let mut changed = cfg.clone();
    changed[0] = ("name", s("web-fw-2"));
    changed[3] = (
        "inbound_rule",
        Value::set(vec![inbound("tcp", Some("443"), &["0.0.0.0/0"])]),
    );
    let (planned, replace) = env.plan(t, Some(&fw), changed);
    assert!(replace.is_empty());
    let updated = env.client.update(&c, t, &fw, &planned).await.expect("update");
    assert_eq!(updated.get_str("name"), Some("web-fw-2"));
    assert_eq!(updated.get_list("inbound_rule").len(), 1);
    assert_eq!(updated.get_list("inbound_rule")[0].get_str("port_range"), Some("443"));
    let log = env.requests();
    assert!(
        log.iter()
            .any(|r| r == &format!("PUT /v2/firewalls/{}", fw.get_str("id").unwrap())),
        "{log:?}"
    );

    // An interrupted create is adopted only when one firewall matches the plan exactly.
    assert_eq!(
        env.client
            .find_created(&c, t, &planned)
            .await
            .unwrap()
            .and_then(|f| f.get_str("id").map(str::to_string)),
        fw.get_str("id").map(str::to_string)
    );
    let (other, _) = env.plan(t, None, cfg.clone());
    assert!(env.client.find_created(&c, t, &other).await.unwrap().is_none());

    assert!(
        env.plan_err(t, None, vec![("name", s("empty"))])
            .contains("at least one rule")
    );
    assert!(
        env.plan_err(
            t,
            None,
            vec![
                ("name", s("x")),
                ("inbound_rule", Value::set(vec![inbound("tcp", None, &["1.2.3.4"])]))
            ]
        )
        .contains("port_range")
    );
    assert!(
        env.client
            .import(t, updated.get_str("id").unwrap())
            .await
            .unwrap()
            .is_some()
    );
    env.client.delete(&c, t, &updated).await.expect("delete");
    assert!(
        env.client
            .read(t, std::slice::from_ref(&updated))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn vpc_lifecycle_and_delete_waits_for_members() {
    let env = setup().await;
    env.api.control().settings(serde_json::json!({"vpc_member_linger": 3}));
    let t = "digitalocean_vpc";
    let c = ctx("digitalocean_vpc.main");
    let cfg = vec![
        ("name", s("stage-net")),
        ("region", s("nyc3")),
        ("ip_range", s("10.10.10.0/24")),
    ];
    let planned = env.plan_create(t, cfg.clone());
    assert!(env.client.find_created(&c, t, &planned).await.unwrap().is_none());
    let vpc = env.client.create(&c, t, &planned).await.expect("create");
    let id = vpc.get_str("id").unwrap().to_string();
    assert_eq!(vpc.get_str("urn"), Some(format!("do:vpc:{id}").as_str()));
    assert_eq!(vpc.get_bool("default"), Some(false));
    assert_eq!(
        env.client.find_created(&c, t, &planned).await.unwrap().as_ref(),
        Some(&vpc),
        "found by its unique name"
    );

    let mut described = cfg.clone();
    described.push(("description", s("stage network")));
    described[0] = ("name", s("stage-net-2"));
    let (planned, replace) = env.plan(t, Some(&vpc), described);
    assert!(replace.is_empty());
    let updated = env.client.update(&c, t, &vpc, &planned).await.expect("update");
    assert_eq!(
        env.client.import(t, &id).await.unwrap().as_ref(),
        Some(&updated),
        "import by ID"
    );
    assert_eq!(
        (updated.get_str("name"), updated.get_str("description")),
        (Some("stage-net-2"), Some("stage network"))
    );
    let mut moved = cfg.clone();
    moved[2] = ("ip_range", s("10.10.20.0/24"));
    assert!(env.plan(t, Some(&updated), moved).1.contains(&Path::attr("ip_range")));
    let mut region = cfg.clone();
    region[1] = ("region", s("fra1"));
    assert!(env.plan(t, Some(&updated), region).1.contains(&Path::attr("region")));

    // A Droplet in the VPC; once it is deleted it lingers as a member for a while.
    let dt = "digitalocean_droplet";
    let dc = ctx("digitalocean_droplet.in_vpc");
    let d = env
        .client
        .create(
            &dc,
            dt,
            &env.plan_create(
                dt,
                vec![
                    ("name", s("in-vpc")),
                    ("image", s("ubuntu-24-04-x64")),
                    ("region", s("nyc3")),
                    ("size", s("s-1vcpu-1gb")),
                    ("vpc_uuid", s(&id)),
                ],
            ),
        )
        .await
        .unwrap();
    assert_eq!(d.get_str("vpc_uuid"), Some(id.as_str()));
    assert!(d.get_str("ipv4_address_private").unwrap().starts_with("10.10.10."));
    env.client.delete(&dc, dt, &d).await.unwrap();
    env.client
        .delete(&c, t, &updated)
        .await
        .expect("delete waits for the members to go");
    let deletes = env
        .requests()
        .iter()
        .filter(|r| **r == format!("DELETE /v2/vpcs/{id}"))
        .count();
    assert_eq!(deletes, 4, "three refusals, then success");
    assert!(
        env.client
            .read(t, std::slice::from_ref(&updated))
            .await
            .remove(0)
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn vpc_delete_gives_up_at_the_timeout() {
    let env = setup().await;
    let t = "digitalocean_vpc";
    let vpc = env
        .client
        .create(
            &ctx("digitalocean_vpc.busy"),
            t,
            &env.plan_create(t, vec![("name", s("busy")), ("region", s("sfo3"))]),
        )
        .await
        .unwrap();
    let dt = "digitalocean_droplet";
    env.client
        .create(
            &ctx("digitalocean_droplet.busy"),
            dt,
            &env.plan_create(
                dt,
                vec![
                    ("name", s("busy-1")),
                    ("image", s("ubuntu-24-04-x64")),
                    ("region", s("sfo3")),
                    ("size", s("s-1vcpu-1gb")),
                    ("vpc_uuid", s(vpc.get_str("id").unwrap())),
                ],
            ),
        )
        .await
        .unwrap();
    let mut c = ctx("digitalocean_vpc.busy");
    c.timeout = std::time::Duration::from_millis(300);
    let e = env.client.delete(&c, t, &vpc).await.expect_err("members remain");
    assert_eq!(e.kind, infra_provider::ErrorKind::Timeout);
    assert!(e.message.contains("members"), "{e}");
}
