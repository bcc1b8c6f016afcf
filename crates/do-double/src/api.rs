//! The `/v2` endpoints: routing by method and path segments, request validation the real API performs,
//! and the state changes each call makes on the caller's [`Tenant`].

use crate::catalog;
use crate::model::*;
use crate::util::{Query, Reply, now_rfc3339, paginate, str_field, strings_field};
use serde_json::{Value, json};

/// One API request, parsed.
pub struct Req {
    pub method: String,
    /// Path segments after `/v2`.
    pub segs: Vec<String>,
    pub query: Query,
    pub body: Value,
    /// `http://host:port` as the client addressed it, for links.
    pub base_url: String,
}

impl Req {
    fn page(&self, key: &str, items: Vec<Value>) -> Reply {
        let path = format!("/v2/{}", self.segs.join("/"));
        paginate(key, items, &self.query, &self.base_url, &path)
    }
}

/// Answers one `/v2` request.
pub fn handle(t: &mut Tenant, r: &Req) -> Reply {
    let segs: Vec<&str> = r.segs.iter().map(String::as_str).collect();
    match (r.method.as_str(), segs.as_slice()) {
        ("GET", ["account"]) => account(t),
        ("GET", ["regions"]) => r.page("regions", catalog::REGIONS.iter().map(catalog::region_json).collect()),
        ("GET", ["sizes"]) => r.page("sizes", catalog::SIZES.iter().map(catalog::size_json).collect()),

        ("GET", ["account", "keys"]) => r.page("ssh_keys", t.keys.values().map(render_key).collect()),
        ("POST", ["account", "keys"]) => create_key(t, r),
        ("GET", ["account", "keys", k]) => match find_key(t, k) {
            Some(id) => Reply::ok(json!({"ssh_key": render_key(&t.keys[&id])})),
            None => Reply::not_found(),
        },
        ("PUT", ["account", "keys", k]) => match find_key(t, k) {
            Some(id) => {
                let key = t.keys.get_mut(&id).expect("found");
                if let Some(n) = str_field(&r.body, "name") {
                    key.name = n.to_string();
                }
                Reply::ok(json!({"ssh_key": render_key(key)}))
            }
            None => Reply::not_found(),
        },
        ("DELETE", ["account", "keys", k]) => match find_key(t, k) {
            Some(id) => {
                t.keys.remove(&id);
                Reply::no_content()
            }
            None => Reply::not_found(),
        },

        ("GET", ["droplets"]) => list_droplets(t, r),
        ("POST", ["droplets"]) => create_droplet(t, r),
        ("DELETE", ["droplets"]) => match r.query.get("tag_name") {
            Some(tag) => {
                let ids: Vec<u64> = t
                    .droplets
                    .values()
                    .filter(|d| d.tags.contains(tag))
                    .map(|d| d.id)
                    .collect();
                for id in ids {
                    remove_droplet(t, id);
                }
                Reply::no_content()
            }
            None => Reply::unprocessable("tag_name is required"),
        },
        ("GET", ["droplets", id]) => match droplet_id(t, id) {
            Some(id) => {
                t.count_poll(format!("droplet:{id}"));
                t.tick_droplet(id);
                Reply::ok(json!({"droplet": t.render_droplet(&t.droplets[&id])}))
            }
            None => Reply::not_found(),
        },
        ("DELETE", ["droplets", id]) => match droplet_id(t, id) {
            Some(id) if t.droplet_locked(id) => Reply::unprocessable("Droplet already has a pending event."),
            Some(id) => {
                remove_droplet(t, id);
                Reply::no_content()
            }
            None => Reply::not_found(),
        },
        ("POST", ["droplets", id, "actions"]) => match droplet_id(t, id) {
            Some(id) => droplet_action(t, id, &r.body),
            None => Reply::not_found(),
        },
        ("GET", ["droplets", id, "actions"]) => match droplet_id(t, id) {
            Some(id) => {
                let items = t
                    .actions
                    .values()
                    .filter(|a| a.droplet_id == id)
                    .map(|a| t.render_action(a))
                    .collect();
                r.page("actions", items)
            }
            None => Reply::not_found(),
        },
        ("GET", ["droplets", id, "actions", aid]) => {
            match (
                droplet_id(t, id),
                aid.parse::<u64>().ok().filter(|a| t.actions.contains_key(a)),
            ) {
                (Some(d), Some(a)) if t.actions[&a].droplet_id == d => get_action(t, a),
                _ => Reply::not_found(),
            }
        }
        ("GET", ["actions"]) => r.page(
            "actions",
            t.actions.values().rev().map(|a| t.render_action(a)).collect(),
        ),
        ("GET", ["actions", aid]) => match aid.parse::<u64>().ok().filter(|a| t.actions.contains_key(a)) {
            Some(a) => get_action(t, a),
            None => Reply::not_found(),
        },

        ("GET", ["databases", "options"]) => Reply::ok(catalog::db_options()),
        ("GET", ["databases"]) => {
            let ids: Vec<String> = sorted_clusters(t)
                .into_iter()
                .filter(|c| r.query.get("tag_name").is_none_or(|tag| c.tags.contains(tag)))
                .map(|c| c.id.clone())
                .collect();
            for id in &ids {
                t.count_poll(format!("database:{id}"));
                t.tick_cluster(id);
            }
            Reply::ok(json!({"databases": ids.iter().map(|id| t.render_cluster(&t.clusters[id])).collect::<Vec<_>>()}))
        }
        ("POST", ["databases"]) => create_cluster(t, &r.body),
        ("GET", ["databases", id]) => match t.clusters.contains_key(*id) {
            true => {
                t.count_poll(format!("database:{id}"));
                t.tick_cluster(id);
                Reply::ok(json!({"database": t.render_cluster(&t.clusters[*id])}))
            }
            false => Reply::not_found(),
        },
        ("DELETE", ["databases", id]) => match t.clusters.remove(*id) {
            Some(c) => {
                let urn = format!("do:dbaas:{}", c.id);
                t.unassign_everywhere(&urn);
                let linger = t.settings.vpc_member_linger;
                if linger > 0 {
                    t.lingering.push(Lingering {
                        vpc: c.private_network_uuid,
                        urn,
                        name: c.name,
                        remaining: linger,
                    });
                }
                Reply::no_content()
            }
            None => Reply::not_found(),
        },
        ("PUT", ["databases", id, "resize"]) => resize_cluster(t, id, &r.body),
        ("PUT", ["databases", id, "migrate"]) => migrate_cluster(t, id, &r.body),
        ("PUT", ["databases", id, "maintenance"]) => match t.clusters.get_mut(*id) {
            Some(c) => {
                let day = str_field(&r.body, "day").unwrap_or("").to_lowercase();
                let days = [
                    "monday",
                    "tuesday",
                    "wednesday",
                    "thursday",
                    "friday",
                    "saturday",
                    "sunday",
                ];
                if !days.contains(&day.as_str()) {
                    return Reply::unprocessable("invalid maintenance window day");
                }
                let hour = str_field(&r.body, "hour").unwrap_or("");
                c.maintenance_day = day;
                c.maintenance_hour = normalize_hour(hour);
                Reply::no_content()
            }
            None => Reply::not_found(),
        },
        ("GET", ["databases", id, "autoscale"]) => match t.clusters.get(*id) {
            Some(c) => Reply::ok(json!({"autoscale": c
                .autoscale
                .clone()
                .unwrap_or(StorageAutoscale {
                    enabled: false,
                    threshold_percent: None,
                    increment_gib: None,
                })
                .render()})),
            None => Reply::not_found(),
        },
        ("PUT", ["databases", id, "autoscale"]) => match t.clusters.get_mut(*id) {
            Some(c) => match storage_autoscale(&r.body, c.autoscale.as_ref()) {
                Ok(a) => {
                    c.autoscale = Some(a);
                    Reply::no_content()
                }
                Err(e) => e,
            },
            None => Reply::not_found(),
        },
        ("GET", ["databases", id, "firewall"]) => match t.clusters.get(*id) {
            Some(c) => {
                Reply::ok(json!({"rules": c.rules.iter().map(|x| render_db_rule(x, &c.id)).collect::<Vec<_>>()}))
            }
            None => Reply::not_found(),
        },
        ("PUT", ["databases", id, "firewall"]) => put_db_firewall(t, id, &r.body),
        ("GET", ["databases", id, "dbs"]) => match t.clusters.get(*id) {
            Some(c) => Reply::ok(json!({"dbs": c.dbs.iter().map(|n| json!({"name": n})).collect::<Vec<_>>()})),
            None => Reply::not_found(),
        },
        ("POST", ["databases", id, "dbs"]) => match t.clusters.get_mut(*id) {
            Some(c) => {
                let Some(name) = str_field(&r.body, "name").filter(|n| !n.is_empty()) else {
                    return Reply::unprocessable("name is required");
                };
                if c.dbs.iter().any(|d| d == name) {
                    return Reply::unprocessable(format!("database {name} already exists"));
                }
                c.dbs.push(name.to_string());
                Reply::json(201, json!({"db": {"name": name}}))
            }
            None => Reply::not_found(),
        },
        ("GET", ["databases", id, "dbs", name]) => match t.clusters.get(*id) {
            Some(c) if c.dbs.iter().any(|d| d == name) => Reply::ok(json!({"db": {"name": name}})),
            _ => Reply::not_found(),
        },
        ("DELETE", ["databases", id, "dbs", name]) => match t.clusters.get_mut(*id) {
            Some(c) if c.dbs.iter().any(|d| d == name) => {
                c.dbs.retain(|d| d != name);
                Reply::no_content()
            }
            _ => Reply::not_found(),
        },
        ("GET", ["databases", id, "users"]) => match t.clusters.get(*id) {
            Some(c) => Reply::ok(json!({"users": c.users.iter().map(render_db_user).collect::<Vec<_>>()})),
            None => Reply::not_found(),
        },
        ("POST", ["databases", id, "users"]) => match t.clusters.get_mut(*id) {
            Some(c) => {
                let Some(name) = str_field(&r.body, "name").filter(|n| !n.is_empty()) else {
                    return Reply::unprocessable("name is required");
                };
                if c.users.iter().any(|u| u.name == name) {
                    return Reply::unprocessable(format!("user {name} already exists"));
                }
                let u = DbUser {
                    name: name.to_string(),
                    role: "normal".into(),
                    password: password(),
                };
                c.users.push(u.clone());
                Reply::json(201, json!({"user": render_db_user(&u)}))
            }
            None => Reply::not_found(),
        },
        ("GET", ["databases", id, "users", name]) => match t
            .clusters
            .get(*id)
            .and_then(|c| c.users.iter().find(|u| u.name == *name))
        {
            Some(u) => Reply::ok(json!({"user": render_db_user(u)})),
            None => Reply::not_found(),
        },
        ("DELETE", ["databases", id, "users", name]) => match t.clusters.get_mut(*id) {
            Some(c) if c.users.iter().any(|u| u.name == *name && u.role == "primary") => {
                Reply::unprocessable("the primary user cannot be deleted")
            }
            Some(c) if c.users.iter().any(|u| u.name == *name) => {
                c.users.retain(|u| u.name != *name);
                Reply::no_content()
            }
            _ => Reply::not_found(),
        },

        ("GET", ["firewalls"]) => {
            let mut fws: Vec<&Firewall> = t.firewalls.values().collect();
            fws.sort_by_key(|f| f.seq);
            r.page("firewalls", fws.into_iter().map(render_firewall).collect())
        }
        ("POST", ["firewalls"]) => put_firewall(t, None, &r.body),
        ("GET", ["firewalls", id]) => match t.firewalls.get(*id) {
            Some(f) => Reply::ok(json!({"firewall": render_firewall(f)})),
            None => Reply::not_found(),
        },
        ("PUT", ["firewalls", id]) => match t.firewalls.contains_key(*id) {
            true => put_firewall(t, Some(id), &r.body),
            false => Reply::not_found(),
        },
        ("DELETE", ["firewalls", id]) => match t.firewalls.remove(*id) {
            Some(_) => Reply::no_content(),
            None => Reply::not_found(),
        },

        ("GET", ["vpcs"]) => {
            let mut vpcs: Vec<&Vpc> = t.vpcs.values().collect();
            vpcs.sort_by_key(|v| v.seq);
            r.page("vpcs", vpcs.into_iter().map(render_vpc).collect())
        }
        ("POST", ["vpcs"]) => create_vpc(t, &r.body),
        ("GET", ["vpcs", id]) => match t.vpcs.get(*id) {
            Some(v) => Reply::ok(json!({"vpc": render_vpc(v)})),
            None => Reply::not_found(),
        },
        ("PUT" | "PATCH", ["vpcs", id]) => update_vpc(t, id, &r.body, r.method == "PUT"),
        ("DELETE", ["vpcs", id]) => delete_vpc(t, id),
        ("GET", ["vpcs", id, "members"]) => match t.vpcs.contains_key(*id) {
            true => r.page("members", t.vpc_members(id)),
            false => Reply::not_found(),
        },

        ("GET", ["projects"]) => {
            let mut ps: Vec<&Project> = t.projects.values().collect();
            ps.sort_by_key(|p| p.seq);
            r.page("projects", ps.into_iter().map(|p| render_project(p, t)).collect())
        }
        ("POST", ["projects"]) => create_project(t, &r.body),
        ("GET", ["projects", id]) => match project_id(t, id) {
            Some(id) => Reply::ok(json!({"project": render_project(&t.projects[&id], t)})),
            None => Reply::not_found(),
        },
        ("PUT" | "PATCH", ["projects", id]) => match project_id(t, id) {
            Some(id) => update_project(t, &id, &r.body, r.method == "PUT"),
            None => Reply::not_found(),
        },
        ("DELETE", ["projects", id]) => match project_id(t, id) {
            Some(id) if t.projects[&id].is_default => {
                Reply::error(412, "precondition_failed", "cannot delete the default project")
            }
            Some(id) if !t.projects[&id].resources.is_empty() => Reply::error(
                412,
                "precondition_failed",
                "cannot delete a project with resources. Move or remove the resources first",
            ),
            Some(id) => {
                t.projects.remove(&id);
                Reply::no_content()
            }
            None => Reply::not_found(),
        },
        ("GET", ["projects", id, "resources"]) => match project_id(t, id) {
            Some(id) => {
                let items = t.projects[&id]
                    .resources
                    .iter()
                    .map(|(urn, at)| project_resource(r, urn, at, "ok"))
                    .collect();
                r.page("resources", items)
            }
            None => Reply::not_found(),
        },
        ("POST", ["projects", id, "resources"]) => match project_id(t, id) {
            Some(id) => assign_resources(t, r, &id),
            None => Reply::not_found(),
        },

        ("GET", ["tags"]) => r.page("tags", t.tags.iter().map(|n| t.render_tag(n)).collect()),
        ("POST", ["tags"]) => {
            let Some(name) = str_field(&r.body, "name").filter(|n| valid_tag(n)) else {
                return Reply::json(
                    400,
                    json!({"error": "invalid tag name", "messages": null, "root_causes": ["invalid tag name"]}),
                );
            };
            t.tags.insert(name.to_string());
            Reply::json(201, json!({"tag": t.render_tag(name)}))
        }
        ("GET", ["tags", name]) => match t.tags.contains(*name) {
            true => Reply::ok(json!({"tag": t.render_tag(name)})),
            false => Reply::not_found(),
        },
        ("DELETE", ["tags", name]) => match t.tags.remove(*name) {
            true => {
                for d in t.droplets.values_mut() {
                    d.tags.retain(|x| x != name);
                }
                for c in t.clusters.values_mut() {
                    c.tags.retain(|x| x != name);
                }
                Reply::no_content()
            }
            false => Reply::not_found(),
        },
        ("POST" | "DELETE", ["tags", name, "resources"]) => tag_resources(t, name, &r.body, r.method == "POST"),

        _ => Reply::not_found(),
    }
}

fn account(t: &Tenant) -> Reply {
    Reply::ok(json!({"account": {
        "droplet_limit": 25,
        "floating_ip_limit": 3,
        "email": "tester@example.com",
        "name": "Tester",
        "uuid": t.owner_uuid,
        "email_verified": true,
        "status": "active",
        "status_message": "",
    }}))
}

fn password() -> String {
    format!("AVNS_{}", uuid::Uuid::new_v4().simple())
        .chars()
        .take(26)
        .collect()
}

fn valid_tag(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 255
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == ':')
}

fn normalize_hour(h: &str) -> String {
    let parts: Vec<&str> = h.split(':').collect();
    match parts.as_slice() {
        [hh, mm] => format!("{hh:0>2}:{mm:0>2}:00"),
        [hh, mm, ss] => format!("{hh:0>2}:{mm:0>2}:{ss:0>2}"),
        _ => "00:00:00".into(),
    }
}

// ---------------------------------------------------------------------------------------------- keys

fn fingerprint(public_key: &str) -> Option<String> {
    use base64::Engine;
    use md5::Digest;
    let mut parts = public_key.split_whitespace();
    let kind = parts.next()?;
    if ![
        "ssh-rsa",
        "ssh-ed25519",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
    ]
    .contains(&kind)
    {
        return None;
    }
    let blob = base64::engine::general_purpose::STANDARD.decode(parts.next()?).ok()?;
    let digest = md5::Md5::digest(&blob);
    Some(digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":"))
}

fn create_key(t: &mut Tenant, r: &Req) -> Reply {
    let (Some(name), Some(pk)) = (str_field(&r.body, "name"), str_field(&r.body, "public_key")) else {
        return Reply::unprocessable("name and public_key are required");
    };
    let Some(fp) = fingerprint(pk) else {
        return Reply::unprocessable("Key invalid, key should be of the format `type key [comment]`");
    };
    if t.keys.values().any(|k| k.fingerprint == fp) {
        return Reply::unprocessable("SSH Key is already in use on your account");
    }
    let key = SshKey {
        id: next_id(),
        name: name.to_string(),
        public_key: pk.trim().to_string(),
        fingerprint: fp,
    };
    let out = render_key(&key);
    t.keys.insert(key.id, key);
    Reply::json(201, json!({"ssh_key": out}))
}

fn find_key(t: &Tenant, k: &str) -> Option<u64> {
    t.keys
        .values()
        .find(|key| key.id.to_string() == k || key.fingerprint == k)
        .map(|key| key.id)
}

// ------------------------------------------------------------------------------------------ droplets

fn droplet_id(t: &Tenant, s: &str) -> Option<u64> {
    s.parse::<u64>().ok().filter(|id| t.droplets.contains_key(id))
}

fn list_droplets(t: &mut Tenant, r: &Req) -> Reply {
    let ids: Vec<u64> = t
        .droplets
        .values()
        .filter(|d| r.query.get("tag_name").is_none_or(|tag| d.tags.contains(tag)))
        .filter(|d| r.query.get("name").is_none_or(|n| &d.name == n))
        .map(|d| d.id)
        .collect();
    for id in &ids {
        t.count_poll(format!("droplet:{id}"));
        t.tick_droplet(*id);
    }
    let items = ids.iter().map(|id| t.render_droplet(&t.droplets[id])).collect();
    r.page("droplets", items)
}

fn create_droplet(t: &mut Tenant, r: &Req) -> Reply {
    let b = &r.body;
    if b.get("names").is_some() {
        return Reply::unprocessable("the test double creates one Droplet per request: use `name`");
    }
    let Some(name) = str_field(b, "name").filter(|n| !n.is_empty()) else {
        return Reply::unprocessable("Name is required");
    };
    let size = str_field(b, "size").unwrap_or("");
    let Some(size) = catalog::size(size) else {
        return Reply::unprocessable("You specified an invalid size for Droplet creation.");
    };
    let image = match b.get("image") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let Some(image) = catalog::image(&image) else {
        return Reply::unprocessable("You specified an invalid image for Droplet creation.");
    };
    let region = str_field(b, "region").unwrap_or("nyc3").to_lowercase();
    if catalog::region(&region).is_none() {
        return Reply::unprocessable("You specified an invalid region for Droplet creation.");
    }
    for k in b.get("ssh_keys").and_then(Value::as_array).cloned().unwrap_or_default() {
        let k = match k {
            Value::String(s) => s,
            Value::Number(n) => n.to_string(),
            _ => String::new(),
        };
        if find_key(t, &k).is_none() {
            return Reply::unprocessable(format!("SSH key {k} was not found on your account."));
        }
    }
    let tags = strings_field(b, "tags");
    if let Some(bad) = tags.iter().find(|x| !valid_tag(x)) {
        return Reply::unprocessable(format!("invalid tag name {bad:?}"));
    }
    let vpc = match str_field(b, "vpc_uuid") {
        Some(v) => match t.vpcs.get(v) {
            Some(vpc) if vpc.region == region => v.to_string(),
            Some(_) => return Reply::unprocessable("The VPC is not in the Droplet's region."),
            None => return Reply::unprocessable("The VPC was not found."),
        },
        None => t.default_vpc(&region),
    };
    for tag in &tags {
        t.tags.insert(tag.clone());
    }
    let id = next_id();
    let ipv6 = b.get("ipv6").and_then(Value::as_bool).unwrap_or(false);
    let public = b.get("public_networking").and_then(Value::as_bool).unwrap_or(true);
    let private = t.private_ip(&vpc);
    let d = Droplet {
        id,
        name: name.to_string(),
        size: size.slug.to_string(),
        disk: size.disk,
        region: region.clone(),
        image: image.slug.to_string(),
        status: "new".into(),
        polls_to_active: t.settings.droplet_active_after.max(1),
        created_at: now_rfc3339(),
        backups: b.get("backups").and_then(Value::as_bool).unwrap_or(false),
        ipv6,
        monitoring: b.get("monitoring").and_then(Value::as_bool).unwrap_or(false),
        droplet_agent: b.get("with_droplet_agent").and_then(Value::as_bool).unwrap_or(true),
        tags,
        vpc_uuid: vpc,
        ipv4_public: public.then(|| format!("159.89.{}.{}", (id / 250) % 250, id % 250 + 2)),
        ipv4_private: private,
        ipv6_address: ipv6.then(|| format!("2604:a880:800:10::{:x}:1001", id % 0xffff)),
        volume_ids: Vec::new(),
    };
    let aid = next_id();
    t.actions.insert(
        aid,
        Action {
            id: aid,
            kind: "create".into(),
            status: "in-progress".into(),
            droplet_id: id,
            region,
            started_at: now_rfc3339(),
            completed_at: None,
            polls_left: 0,
            effect: Effect::Create,
        },
    );
    let default_project = t.default_project_id();
    t.droplets.insert(id, d);
    t.assign(&default_project, &format!("do:droplet:{id}"));
    let out = t.render_droplet(&t.droplets[&id]);
    Reply::json(
        202,
        json!({"droplet": out, "links": {"actions": [{"id": aid, "rel": "create", "href": format!("{}/v2/actions/{aid}", r.base_url)}]}}),
    )
}

fn remove_droplet(t: &mut Tenant, id: u64) {
    let Some(d) = t.droplets.remove(&id) else { return };
    let urn = format!("do:droplet:{id}");
    t.unassign_everywhere(&urn);
    for f in t.firewalls.values_mut() {
        f.droplet_ids.retain(|x| *x != id);
    }
    let linger = t.settings.vpc_member_linger;
    if linger > 0 {
        t.lingering.push(Lingering {
            vpc: d.vpc_uuid,
            urn,
            name: d.name,
            remaining: linger,
        });
    }
}

fn get_action(t: &mut Tenant, aid: u64) -> Reply {
    t.count_poll(format!("action:{aid}"));
    let droplet = t.actions[&aid].droplet_id;
    if matches!(t.actions[&aid].effect, Effect::Create) {
        t.tick_droplet(droplet);
    } else {
        t.tick_action(aid);
    }
    Reply::ok(json!({"action": t.render_action(&t.actions[&aid])}))
}

fn droplet_action(t: &mut Tenant, id: u64, body: &Value) -> Reply {
    let kind = str_field(body, "type").unwrap_or("").to_string();
    let d = &t.droplets[&id];
    if t.droplet_locked(id) {
        return Reply::unprocessable("Droplet already has a pending event.");
    }
    if d.status == "new" {
        return Reply::unprocessable("Droplet is currently being created.");
    }
    let effect = match kind.as_str() {
        "power_off" | "shutdown" if d.status == "off" => {
            return Reply::unprocessable("Droplet is already powered off.");
        }
        "power_off" | "shutdown" => Effect::PowerOff,
        "power_on" if d.status == "active" => return Reply::unprocessable("Droplet is already powered on."),
        "power_on" => Effect::PowerOn,
        "reboot" | "power_cycle" => Effect::None,
        "resize" => {
            let size = str_field(body, "size").unwrap_or("");
            let Some(s) = catalog::size(size) else {
                return Reply::unprocessable("You specified an invalid size for Droplet resize.");
            };
            if d.status != "off" {
                return Reply::unprocessable("Droplet must be powered off before it can be resized.");
            }
            if s.disk < d.disk {
                return Reply::unprocessable("This size is not available because it has a smaller disk.");
            }
            Effect::Resize {
                size: s.slug.to_string(),
                disk: body.get("disk").and_then(Value::as_bool).unwrap_or(false),
            }
        }
        "rename" => match str_field(body, "name").filter(|n| !n.is_empty()) {
            Some(n) => Effect::Rename(n.to_string()),
            None => return Reply::unprocessable("name is required"),
        },
        "enable_ipv6" => Effect::EnableIpv6,
        "enable_backups" => Effect::EnableBackups,
        "disable_backups" => Effect::DisableBackups,
        _ => return Reply::unprocessable(format!("action type {kind:?} is not supported by the test double")),
    };
    let aid = next_id();
    let a = Action {
        id: aid,
        kind,
        status: "in-progress".into(),
        droplet_id: id,
        region: d.region.clone(),
        started_at: now_rfc3339(),
        completed_at: None,
        polls_left: t.settings.action_complete_after.max(1),
        effect,
    };
    let out = t.render_action(&a);
    t.actions.insert(aid, a);
    Reply::json(201, json!({"action": out}))
}

// ------------------------------------------------------------------------------------------ databases

fn sorted_clusters(t: &Tenant) -> Vec<&Cluster> {
    let mut cs: Vec<&Cluster> = t.clusters.values().collect();
    cs.sort_by_key(|c| c.seq);
    cs
}

fn create_cluster(t: &mut Tenant, b: &Value) -> Reply {
    let Some(name) = str_field(b, "name").filter(|n| !n.is_empty()) else {
        return Reply::unprocessable("name is required");
    };
    if t.clusters.values().any(|c| c.name == name) {
        return Reply::unprocessable(format!("cluster name {name} is not available"));
    }
    let engine = str_field(b, "engine").unwrap_or("");
    let Some((_, versions)) = catalog::DB_ENGINES.iter().find(|(e, _)| *e == engine) else {
        return Reply::unprocessable(format!("invalid engine {engine:?}"));
    };
    let version = match str_field(b, "version") {
        Some(v) if versions.contains(&v) => v.to_string(),
        Some(v) => return Reply::unprocessable(format!("invalid version {v:?} for engine {engine}")),
        None => versions.last().expect("versions").to_string(),
    };
    let num_nodes = b.get("num_nodes").and_then(Value::as_u64).unwrap_or(0);
    let size = str_field(b, "size").unwrap_or("");
    if !catalog::db_sizes(num_nodes).contains(&size) {
        return Reply::unprocessable(format!("invalid size {size:?} for {num_nodes} node(s)"));
    }
    let region = str_field(b, "region").unwrap_or("").to_lowercase();
    if catalog::region(&region).is_none() {
        return Reply::unprocessable(format!("invalid region {region:?}"));
    }
    let vpc = match str_field(b, "private_network_uuid").filter(|v| !v.is_empty()) {
        Some(v) => match t.vpcs.get(v) {
            Some(vpc) if vpc.region == region => v.to_string(),
            _ => return Reply::unprocessable("private network not found in the cluster's region"),
        },
        None => t.default_vpc(&region),
    };
    let project = match str_field(b, "project_id") {
        Some(p) if t.projects.contains_key(p) => p.to_string(),
        Some(_) => return Reply::unprocessable("project not found"),
        None => t.default_project_id(),
    };
    let tags = strings_field(b, "tags");
    if let Some(bad) = tags.iter().find(|x| !valid_tag(x)) {
        return Reply::unprocessable(format!("invalid tag name {bad:?}"));
    }
    for tag in &tags {
        t.tags.insert(tag.clone());
    }
    let storage = b
        .get("storage_size_mib")
        .and_then(Value::as_u64)
        .unwrap_or_else(|| catalog::db_default_storage_mib(size));
    let autoscale = match b.get("autoscale") {
        None | Some(Value::Null) => None,
        Some(a) => match storage_autoscale(a, None) {
            Ok(a) => Some(a),
            Err(e) => return e,
        },
    };
    let id = uuid::Uuid::new_v4().to_string();
    let seq = t.next_seq();
    let c = Cluster {
        id: id.clone(),
        seq,
        name: name.to_string(),
        engine: engine.to_string(),
        version,
        num_nodes,
        size: size.to_string(),
        region,
        status: "creating".into(),
        polls_left: t.settings.cluster_online_after.max(1),
        pending: None,
        created_at: now_rfc3339(),
        private_network_uuid: vpc,
        tags,
        project_id: project.clone(),
        maintenance_day: "tuesday".into(),
        maintenance_hour: "10:00:00".into(),
        storage_size_mib: storage,
        autoscale,
        rules: Vec::new(),
        dbs: vec!["defaultdb".into()],
        users: vec![DbUser {
            name: "doadmin".into(),
            role: "primary".into(),
            password: password(),
        }],
    };
    t.clusters.insert(id.clone(), c);
    t.assign(&project, &format!("do:dbaas:{id}"));
    Reply::json(201, json!({"database": t.render_cluster(&t.clusters[&id])}))
}

/// A `database_autoscale_params` body (`{"storage": {"enabled", "threshold_percent", "increment_gib"}}`)
/// applied to the cluster's `current` autoscaling: a value left out keeps the current one, else, when
/// enabling, the platform default (80 %, 10 GiB, as doctl documents them).
fn storage_autoscale(b: &Value, current: Option<&StorageAutoscale>) -> Result<StorageAutoscale, Reply> {
    let Some(storage) = b.get("storage").filter(|s| s.is_object()) else {
        return Err(Reply::unprocessable("storage autoscale configuration is required"));
    };
    let Some(enabled) = storage.get("enabled").and_then(Value::as_bool) else {
        return Err(Reply::unprocessable("storage.enabled is required"));
    };
    let field = |key: &str, min: u64, max: u64| -> Result<Option<u64>, Reply> {
        match storage.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => match v.as_u64().filter(|n| (min..=max).contains(n)) {
                Some(n) => Ok(Some(n)),
                None => Err(Reply::unprocessable(format!(
                    "storage.{key} must be an integer from {min} to {max}"
                ))),
            },
        }
    };
    let threshold = field("threshold_percent", 15, 95)?;
    let increment = field("increment_gib", 10, 500)?;
    let default = |given: Option<u64>, kept: Option<u64>, platform: u64| given.or(kept).or(enabled.then_some(platform));
    Ok(StorageAutoscale {
        enabled,
        threshold_percent: default(threshold, current.and_then(|c| c.threshold_percent), 80),
        increment_gib: default(increment, current.and_then(|c| c.increment_gib), 10),
    })
}

fn resize_cluster(t: &mut Tenant, id: &str, b: &Value) -> Reply {
    let polls = t.settings.cluster_online_after.max(1);
    let Some(c) = t.clusters.get_mut(id) else {
        return Reply::not_found();
    };
    if c.status != "online" {
        return Reply::error(
            412,
            "precondition_failed",
            format!("cluster is {}, not online", c.status),
        );
    }
    let size = str_field(b, "size").unwrap_or("").to_string();
    let num_nodes = b.get("num_nodes").and_then(Value::as_u64).unwrap_or(0);
    if !catalog::db_sizes(num_nodes).contains(&size.as_str()) {
        return Reply::unprocessable(format!("invalid size {size:?} for {num_nodes} node(s)"));
    }
    let storage = b
        .get("storage_size_mib")
        .and_then(Value::as_u64)
        .unwrap_or(c.storage_size_mib);
    if storage < c.storage_size_mib {
        return Reply::unprocessable("storage can not be decreased");
    }
    c.status = "resizing".into();
    c.polls_left = polls;
    c.pending = Some(Pending::Resize {
        size,
        num_nodes,
        storage_size_mib: storage,
    });
    Reply::accepted()
}

fn migrate_cluster(t: &mut Tenant, id: &str, b: &Value) -> Reply {
    let polls = t.settings.cluster_online_after.max(1);
    let Some(c) = t.clusters.get_mut(id) else {
        return Reply::not_found();
    };
    let region = str_field(b, "region").unwrap_or("").to_lowercase();
    if catalog::region(&region).is_none() {
        return Reply::unprocessable(format!("invalid region {region:?}"));
    }
    if c.status != "online" {
        return Reply::error(
            412,
            "precondition_failed",
            format!("cluster is {}, not online", c.status),
        );
    }
    c.status = "migrating".into();
    c.polls_left = polls;
    c.pending = Some(Pending::Migrate { region });
    Reply::accepted()
}

fn put_db_firewall(t: &mut Tenant, id: &str, b: &Value) -> Reply {
    let Some(c) = t.clusters.get(id) else {
        return Reply::not_found();
    };
    let old = c.rules.clone();
    let mut rules = Vec::new();
    for r in b.get("rules").and_then(Value::as_array).cloned().unwrap_or_default() {
        let kind = str_field(&r, "type").unwrap_or("").to_string();
        let value = str_field(&r, "value").unwrap_or("").to_string();
        if !["droplet", "k8s", "ip_addr", "tag", "app"].contains(&kind.as_str()) || value.is_empty() {
            return Reply::unprocessable(format!("invalid firewall rule {kind}:{value}"));
        }
        if kind == "droplet"
            && value
                .parse::<u64>()
                .ok()
                .filter(|d| t.droplets.contains_key(d))
                .is_none()
        {
            return Reply::unprocessable(format!("droplet {value} not found"));
        }
        let keep = old
            .iter()
            .find(|o| str_field(&r, "uuid").is_some_and(|u| u == o.uuid) || (o.kind == kind && o.value == value));
        rules.push(DbRule {
            uuid: keep
                .map(|k| k.uuid.clone())
                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string()),
            kind,
            value,
            created_at: keep.map(|k| k.created_at.clone()).unwrap_or_else(now_rfc3339),
        });
    }
    t.clusters.get_mut(id).expect("exists").rules = rules;
    Reply::no_content()
}

// ------------------------------------------------------------------------------------------ firewalls

fn normalize_rule(rule: &Value, side: &str) -> Result<Value, Reply> {
    let protocol = str_field(rule, "protocol").unwrap_or("");
    if !["tcp", "udp", "icmp"].contains(&protocol) {
        return Err(Reply::unprocessable(format!("invalid protocol {protocol:?}")));
    }
    let ports = str_field(rule, "ports").unwrap_or("");
    // The API answers `0` for "all" ports, and for ICMP rules that have none.
    let ports = if ports.is_empty() || ports == "all" || protocol == "icmp" {
        "0".to_string()
    } else {
        ports.to_string()
    };
    let empty = json!({});
    let target = rule.get(side).unwrap_or(&empty);
    let mut t = serde_json::Map::new();
    for key in [
        "addresses",
        "droplet_ids",
        "load_balancer_uids",
        "kubernetes_ids",
        "tags",
    ] {
        if let Some(v) = target.get(key).filter(|v| v.as_array().is_some_and(|a| !a.is_empty())) {
            t.insert(key.into(), v.clone());
        }
    }
    if t.is_empty() {
        return Err(Reply::unprocessable(format!(
            "a firewall rule needs at least one of {side}"
        )));
    }
    Ok(json!({"protocol": protocol, "ports": ports, side: t}))
}

fn put_firewall(t: &mut Tenant, id: Option<&str>, b: &Value) -> Reply {
    let Some(name) = str_field(b, "name").filter(|n| !n.is_empty()) else {
        return Reply::unprocessable("name is required");
    };
    let droplet_ids: Vec<u64> = b
        .get("droplet_ids")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_u64).collect())
        .unwrap_or_default();
    if let Some(missing) = droplet_ids.iter().find(|d| !t.droplets.contains_key(d)) {
        return Reply::unprocessable(format!("droplet {missing} was not found"));
    }
    let mut inbound = Vec::new();
    for r in b
        .get("inbound_rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        match normalize_rule(&r, "sources") {
            Ok(v) => inbound.push(v),
            Err(e) => return e,
        }
    }
    let mut outbound = Vec::new();
    for r in b
        .get("outbound_rules")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
    {
        match normalize_rule(&r, "destinations") {
            Ok(v) => outbound.push(v),
            Err(e) => return e,
        }
    }
    if inbound.is_empty() && outbound.is_empty() {
        return Reply::unprocessable("a firewall needs at least one rule");
    }
    let tags = strings_field(b, "tags");
    let (id, seq, created_at, status) = match id {
        Some(id) => {
            let f = &t.firewalls[id];
            (id.to_string(), f.seq, f.created_at.clone(), 200)
        }
        None => (uuid::Uuid::new_v4().to_string(), t.next_seq(), now_rfc3339(), 202),
    };
    let f = Firewall {
        id: id.clone(),
        seq,
        name: name.to_string(),
        created_at,
        droplet_ids,
        tags,
        inbound_rules: inbound,
        outbound_rules: outbound,
    };
    let out = render_firewall(&f);
    t.firewalls.insert(id, f);
    Reply::json(status, json!({"firewall": out}))
}

// ----------------------------------------------------------------------------------------------- vpcs

fn parse_cidr(s: &str) -> Option<(u32, u32)> {
    let (ip, len) = s.split_once('/')?;
    let len: u32 = len.parse().ok()?;
    let o: Vec<u32> = ip
        .split('.')
        .map(|p| p.parse::<u32>().ok().filter(|n| *n < 256))
        .collect::<Option<_>>()?;
    if o.len() != 4 || len > 32 {
        return None;
    }
    Some(((o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3], len))
}

fn overlaps(a: (u32, u32), b: (u32, u32)) -> bool {
    let len = a.1.min(b.1);
    let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
    (a.0 & mask) == (b.0 & mask)
}

fn create_vpc(t: &mut Tenant, b: &Value) -> Reply {
    let Some(name) = str_field(b, "name").filter(|n| !n.is_empty()) else {
        return Reply::unprocessable("name is required");
    };
    if t.vpcs.values().any(|v| v.name == name) {
        return Reply::unprocessable(format!("a VPC named {name} already exists"));
    }
    let region = str_field(b, "region").unwrap_or("").to_lowercase();
    if catalog::region(&region).is_none() {
        return Reply::unprocessable(format!("invalid region {region:?}"));
    }
    let ip_range = match str_field(b, "ip_range") {
        Some(r) => {
            let Some(c) = parse_cidr(r) else {
                return Reply::unprocessable(format!("invalid ip_range {r:?}"));
            };
            if !(16..=28).contains(&c.1) {
                return Reply::unprocessable("ip_range must be between /16 and /28");
            }
            let private = (c.0 >> 24) == 10 || (c.0 >> 20) == 0xac1 || (c.0 >> 16) == 0xc0a8;
            if !private {
                return Reply::unprocessable("ip_range must be a private (RFC 1918) range");
            }
            if t.vpcs
                .values()
                .filter_map(|v| parse_cidr(&v.ip_range))
                .any(|o| overlaps(o, c))
            {
                return Reply::unprocessable("ip_range overlaps another VPC's range");
            }
            r.to_string()
        }
        None => {
            let mut k = 1;
            while t.vpcs.values().any(|v| v.ip_range == format!("10.{k}.0.0/20")) {
                k += 1;
            }
            format!("10.{k}.0.0/20")
        }
    };
    let id = uuid::Uuid::new_v4().to_string();
    let seq = t.next_seq();
    let v = Vpc {
        id: id.clone(),
        seq,
        name: name.to_string(),
        description: str_field(b, "description").unwrap_or("").to_string(),
        region,
        ip_range,
        default: false,
        created_at: now_rfc3339(),
        next_host: 2,
    };
    let out = render_vpc(&v);
    t.vpcs.insert(id, v);
    Reply::json(201, json!({"vpc": out}))
}

fn update_vpc(t: &mut Tenant, id: &str, b: &Value, put: bool) -> Reply {
    if !t.vpcs.contains_key(id) {
        return Reply::not_found();
    }
    if let Some(n) = str_field(b, "name")
        && t.vpcs.values().any(|v| v.name == n && v.id != id)
    {
        return Reply::unprocessable(format!("a VPC named {n} already exists"));
    }
    if put && str_field(b, "name").is_none() {
        return Reply::unprocessable("name is required");
    }
    let make_default = b.get("default").and_then(Value::as_bool) == Some(true);
    let region = t.vpcs[id].region.clone();
    if make_default {
        for v in t.vpcs.values_mut().filter(|v| v.region == region) {
            v.default = false;
        }
    }
    let v = t.vpcs.get_mut(id).expect("exists");
    if let Some(n) = str_field(b, "name") {
        v.name = n.to_string();
    }
    if let Some(d) = str_field(b, "description") {
        v.description = d.to_string();
    } else if put {
        v.description.clear();
    }
    if make_default {
        v.default = true;
    }
    Reply::ok(json!({"vpc": render_vpc(v)}))
}

fn delete_vpc(t: &mut Tenant, id: &str) -> Reply {
    let Some(v) = t.vpcs.get(id) else {
        return Reply::not_found();
    };
    if v.default {
        return Reply::error(403, "forbidden", "Can not delete default VPC");
    }
    if !t.vpc_members(id).is_empty() {
        // Recently deleted members detach after a few attempts, as they do on the real platform.
        for l in t.lingering.iter_mut().filter(|l| l.vpc == id) {
            l.remaining = l.remaining.saturating_sub(1);
        }
        t.lingering.retain(|l| l.remaining > 0);
        return Reply::error(403, "forbidden", "Can not delete VPC with members");
    }
    t.vpcs.remove(id);
    Reply::no_content()
}

// ------------------------------------------------------------------------------------------- projects

fn project_id(t: &Tenant, s: &str) -> Option<String> {
    if s == "default" {
        return Some(t.default_project_id()).filter(|p| !p.is_empty());
    }
    t.projects.contains_key(s).then(|| s.to_string())
}

const ENVIRONMENTS: [&str; 3] = ["Development", "Staging", "Production"];

fn environment(b: &Value) -> Result<Option<String>, Reply> {
    match str_field(b, "environment") {
        None => Ok(None),
        Some(e) => match ENVIRONMENTS.iter().find(|x| x.eq_ignore_ascii_case(e)) {
            Some(x) => Ok(Some(x.to_string())),
            None => Err(Reply::unprocessable(format!("invalid environment {e:?}"))),
        },
    }
}

fn create_project(t: &mut Tenant, b: &Value) -> Reply {
    let (Some(name), Some(purpose)) = (str_field(b, "name").filter(|n| !n.is_empty()), str_field(b, "purpose")) else {
        return Reply::unprocessable("name and purpose are required");
    };
    if t.projects.values().any(|p| p.name == name) {
        return Reply::error(409, "conflict", format!("a project named {name} already exists"));
    }
    let env = match environment(b) {
        Ok(e) => e,
        Err(e) => return e,
    };
    let id = uuid::Uuid::new_v4().to_string();
    let seq = t.next_seq();
    let now = now_rfc3339();
    let p = Project {
        id: id.clone(),
        seq,
        name: name.to_string(),
        description: str_field(b, "description").unwrap_or("").to_string(),
        purpose: purpose.to_string(),
        environment: env,
        is_default: false,
        created_at: now.clone(),
        updated_at: now,
        resources: Vec::new(),
    };
    t.projects.insert(id.clone(), p);
    Reply::json(201, json!({"project": render_project(&t.projects[&id], t)}))
}

fn update_project(t: &mut Tenant, id: &str, b: &Value, put: bool) -> Reply {
    if put {
        for k in ["name", "description", "purpose", "environment", "is_default"] {
            if b.get(k).is_none() {
                return Reply::unprocessable(format!("{k} is required"));
            }
        }
    }
    if let Some(n) = str_field(b, "name")
        && t.projects.values().any(|p| p.name == n && p.id != id)
    {
        return Reply::error(409, "conflict", format!("a project named {n} already exists"));
    }
    let env = match environment(b) {
        Ok(e) => e,
        Err(e) => return e,
    };
    if b.get("is_default").and_then(Value::as_bool) == Some(true) {
        for p in t.projects.values_mut() {
            p.is_default = false;
        }
    }
    let p = t.projects.get_mut(id).expect("exists");
    if let Some(n) = str_field(b, "name") {
        p.name = n.to_string();
    }
    if let Some(d) = str_field(b, "description") {
        p.description = d.to_string();
    }
    if let Some(d) = str_field(b, "purpose") {
        p.purpose = d.to_string();
    }
    if env.is_some() || (put && b.get("environment") == Some(&Value::Null)) {
        p.environment = env;
    }
    if b.get("is_default").and_then(Value::as_bool) == Some(true) {
        p.is_default = true;
    }
    p.updated_at = now_rfc3339();
    Reply::ok(json!({"project": render_project(&t.projects[id], t)}))
}

fn project_resource(r: &Req, urn: &str, at: &str, status: &str) -> Value {
    let (kind, id) = urn
        .strip_prefix("do:")
        .and_then(|s| s.split_once(':'))
        .unwrap_or(("", ""));
    let path = match kind {
        "droplet" => format!("droplets/{id}"),
        "dbaas" => format!("databases/{id}"),
        "vpc" => format!("vpcs/{id}"),
        other => format!("{other}s/{id}"),
    };
    json!({"urn": urn, "assigned_at": at, "links": {"self": format!("{}/v2/{path}", r.base_url)}, "status": status})
}

fn urn_exists(t: &Tenant, urn: &str) -> bool {
    match urn.strip_prefix("do:").and_then(|s| s.split_once(':')) {
        Some(("droplet", id)) => id.parse::<u64>().is_ok_and(|id| t.droplets.contains_key(&id)),
        Some(("dbaas", id)) => t.clusters.contains_key(id),
        Some(("vpc", _)) => false,
        Some((_, id)) => !id.is_empty(),
        None => false,
    }
}

fn assign_resources(t: &mut Tenant, r: &Req, project: &str) -> Reply {
    let urns = strings_field(&r.body, "resources");
    let mut out = Vec::new();
    let now = now_rfc3339();
    for urn in urns {
        if urn_exists(t, &urn) {
            t.assign(project, &urn);
            out.push(project_resource(r, &urn, &now, "assigned"));
        } else {
            out.push(project_resource(r, &urn, &now, "not_found"));
        }
    }
    Reply::ok(json!({"resources": out}))
}

// ----------------------------------------------------------------------------------------------- tags

fn tag_resources(t: &mut Tenant, name: &str, b: &Value, add: bool) -> Reply {
    if !t.tags.contains(name) {
        return Reply::not_found();
    }
    let resources = b
        .get("resources")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    // Validate everything first: the call changes all resources or none.
    for r in &resources {
        let id = str_field(r, "resource_id").unwrap_or("");
        let ok = match str_field(r, "resource_type").unwrap_or("") {
            "droplet" => id.parse::<u64>().is_ok_and(|id| t.droplets.contains_key(&id)),
            "database" => t.clusters.contains_key(id),
            other => {
                return Reply::unprocessable(format!("resource type {other:?} is not supported by the test double"));
            }
        };
        if !ok {
            return Reply::not_found();
        }
    }
    for r in &resources {
        let id = str_field(r, "resource_id").unwrap_or("");
        let tags = match str_field(r, "resource_type") {
            Some("droplet") => {
                &mut t
                    .droplets
                    .get_mut(&id.parse::<u64>().unwrap_or(0))
                    .expect("checked")
                    .tags
            }
            _ => &mut t.clusters.get_mut(id).expect("checked").tags,
        };
        tags.retain(|x| x != name);
        if add {
            tags.push(name.to_string());
        }
    }
    Reply::no_content()
}
