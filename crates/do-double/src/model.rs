//! The state of one tenant (one bearer token) and how each object is rendered as the API renders it.
//!
//! [`Tenant`] holds everything a token created: Droplets and their actions, database clusters, firewalls,
//! VPCs, projects, tags and SSH keys, plus the control state (injected 429s, a hung create, poll
//! counts, the request log) and the [`Settings`] that pace status transitions.

use crate::catalog;
use crate::util::{now_rfc3339, rfc3339};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

static NEXT_ID: AtomicU64 = AtomicU64::new(500_000_000);

/// A process-wide unique integer ID (Droplets, actions, SSH keys), so IDs differ across tenants.
pub fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

/// How many observations (GETs) each transition takes.
#[derive(Clone, Debug)]
pub struct Settings {
    /// A new Droplet turns `active` after this many GETs of it.
    pub droplet_active_after: u32,
    /// An action completes after this many GETs of it or of its Droplet.
    pub action_complete_after: u32,
    /// A cluster leaves `creating`/`resizing`/`migrating` after this many GETs of it.
    pub cluster_online_after: u32,
    /// A deleted Droplet or cluster stays a VPC member for this many refused VPC deletes.
    pub vpc_member_linger: u32,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            droplet_active_after: 2,
            action_complete_after: 2,
            cluster_online_after: 3,
            vpc_member_linger: 2,
        }
    }
}

#[derive(Clone, Debug)]
pub struct Droplet {
    pub id: u64,
    pub name: String,
    pub size: String,
    pub disk: u64,
    pub region: String,
    pub image: String,
    pub status: String,
    pub polls_to_active: u32,
    pub created_at: String,
    pub backups: bool,
    pub ipv6: bool,
    pub monitoring: bool,
    pub droplet_agent: bool,
    pub tags: Vec<String>,
    pub vpc_uuid: String,
    pub ipv4_public: Option<String>,
    pub ipv4_private: String,
    pub ipv6_address: Option<String>,
    pub volume_ids: Vec<String>,
}

/// What an action does when it completes.
#[derive(Clone, Debug)]
pub enum Effect {
    Create,
    PowerOff,
    PowerOn,
    Resize { size: String, disk: bool },
    Rename(String),
    EnableIpv6,
    EnableBackups,
    DisableBackups,
    None,
}

#[derive(Clone, Debug)]
pub struct Action {
    pub id: u64,
    pub kind: String,
    pub status: String,
    pub droplet_id: u64,
    pub region: String,
    pub started_at: String,
    pub completed_at: Option<String>,
    pub polls_left: u32,
    pub effect: Effect,
}

#[derive(Clone, Debug)]
pub struct DbUser {
    pub name: String,
    pub role: String,
    pub password: String,
}

#[derive(Clone, Debug)]
pub struct DbRule {
    pub uuid: String,
    pub kind: String,
    pub value: String,
    pub created_at: String,
}

/// A change a cluster applies when its `resizing`/`migrating` status ends.
#[derive(Clone, Debug)]
pub enum Pending {
    Resize {
        size: String,
        num_nodes: u64,
        storage_size_mib: u64,
    },
    Migrate {
        region: String,
    },
}

/// A cluster's storage autoscaling (`database_storage_autoscale_params`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageAutoscale {
    pub enabled: bool,
    pub threshold_percent: Option<u64>,
    pub increment_gib: Option<u64>,
}

impl StorageAutoscale {
    /// `{"storage": {...}}`, as `GET .../autoscale` and the cluster's `autoscale` carry it.
    pub fn render(&self) -> Value {
        let mut storage = json!({"enabled": self.enabled});
        if let Some(t) = self.threshold_percent {
            storage["threshold_percent"] = json!(t);
        }
        if let Some(i) = self.increment_gib {
            storage["increment_gib"] = json!(i);
        }
        json!({"storage": storage})
    }
}

#[derive(Clone, Debug)]
pub struct Cluster {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub engine: String,
    pub version: String,
    pub num_nodes: u64,
    pub size: String,
    pub region: String,
    pub status: String,
    pub polls_left: u32,
    pub pending: Option<Pending>,
    pub created_at: String,
    pub private_network_uuid: String,
    pub tags: Vec<String>,
    pub project_id: String,
    pub maintenance_day: String,
    pub maintenance_hour: String,
    pub storage_size_mib: u64,
    /// `None` until autoscaling is configured (on create or with `PUT .../autoscale`): the cluster
    /// object then has no `autoscale`.
    pub autoscale: Option<StorageAutoscale>,
    pub rules: Vec<DbRule>,
    pub dbs: Vec<String>,
    pub users: Vec<DbUser>,
}

#[derive(Clone, Debug)]
pub struct Firewall {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub created_at: String,
    pub droplet_ids: Vec<u64>,
    pub tags: Vec<String>,
    pub inbound_rules: Vec<Value>,
    pub outbound_rules: Vec<Value>,
}

#[derive(Clone, Debug)]
pub struct Vpc {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub description: String,
    pub region: String,
    pub ip_range: String,
    pub default: bool,
    pub created_at: String,
    /// Next host number handed out for a private address.
    pub next_host: u32,
}

#[derive(Clone, Debug)]
pub struct Project {
    pub id: String,
    pub seq: u64,
    pub name: String,
    pub description: String,
    pub purpose: String,
    pub environment: Option<String>,
    pub is_default: bool,
    pub created_at: String,
    pub updated_at: String,
    /// (urn, assigned_at)
    pub resources: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct SshKey {
    pub id: u64,
    pub name: String,
    pub public_key: String,
    pub fingerprint: String,
}

/// A member a deleted object leaves behind in its VPC for a while.
#[derive(Clone, Debug)]
pub struct Lingering {
    pub vpc: String,
    pub urn: String,
    pub name: String,
    pub remaining: u32,
}

/// One recorded request.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: String,
}

/// Everything one bearer token sees.
pub struct Tenant {
    pub settings: Settings,
    pub owner_uuid: String,
    pub owner_id: u64,
    pub seq: u64,
    pub droplets: BTreeMap<u64, Droplet>,
    pub actions: BTreeMap<u64, Action>,
    pub clusters: BTreeMap<String, Cluster>,
    pub firewalls: BTreeMap<String, Firewall>,
    pub vpcs: BTreeMap<String, Vpc>,
    pub projects: BTreeMap<String, Project>,
    pub tags: BTreeSet<String>,
    pub keys: BTreeMap<u64, SshKey>,
    pub lingering: Vec<Lingering>,
    /// The next this many /v2 requests are answered 429.
    pub fail_next: u32,
    pub retry_after: u64,
    /// The next this many /v2 requests are answered with `fail_status` (a server error).
    pub fail_server: u32,
    pub fail_status: u16,
    /// The next `POST /v2/droplets` response is held until released.
    pub hang_next_create: bool,
    pub release: Arc<tokio::sync::Notify>,
    pub polls: BTreeMap<String, u64>,
    pub log: Vec<Logged>,
}

impl Default for Tenant {
    fn default() -> Self {
        Tenant::new()
    }
}

impl Tenant {
    pub fn new() -> Tenant {
        let mut t = Tenant {
            settings: Settings::default(),
            owner_uuid: uuid::Uuid::new_v4().to_string(),
            owner_id: next_id(),
            seq: 0,
            droplets: BTreeMap::new(),
            actions: BTreeMap::new(),
            clusters: BTreeMap::new(),
            firewalls: BTreeMap::new(),
            vpcs: BTreeMap::new(),
            projects: BTreeMap::new(),
            tags: BTreeSet::new(),
            keys: BTreeMap::new(),
            lingering: Vec::new(),
            fail_next: 0,
            retry_after: 1,
            fail_server: 0,
            fail_status: 500,
            hang_next_create: false,
            release: Arc::new(tokio::sync::Notify::new()),
            polls: BTreeMap::new(),
            log: Vec::new(),
        };
        let now = now_rfc3339();
        let id = uuid::Uuid::new_v4().to_string();
        let seq = t.next_seq();
        t.projects.insert(
            id.clone(),
            Project {
                id,
                seq,
                name: "first-project".into(),
                description: "".into(),
                purpose: "Just trying out DigitalOcean".into(),
                environment: Some("Development".into()),
                is_default: true,
                created_at: now.clone(),
                updated_at: now,
                resources: Vec::new(),
            },
        );
        t
    }

    pub fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    pub fn count_poll(&mut self, key: String) {
        *self.polls.entry(key).or_insert(0) += 1;
    }

    pub fn default_project_id(&self) -> String {
        self.projects
            .values()
            .find(|p| p.is_default)
            .map(|p| p.id.clone())
            .unwrap_or_default()
    }

    /// Assigns `urn` to `project` (removing it from any other project).
    pub fn assign(&mut self, project: &str, urn: &str) {
        for p in self.projects.values_mut() {
            p.resources.retain(|(u, _)| u != urn);
        }
        if let Some(p) = self.projects.get_mut(project) {
            p.resources.push((urn.to_string(), now_rfc3339()));
        }
    }

    pub fn unassign_everywhere(&mut self, urn: &str) {
        for p in self.projects.values_mut() {
            p.resources.retain(|(u, _)| u != urn);
        }
    }

    /// The default VPC of a region, created on first use as the real API does.
    pub fn default_vpc(&mut self, region: &str) -> String {
        if let Some(v) = self.vpcs.values().find(|v| v.default && v.region == region) {
            return v.id.clone();
        }
        let idx = catalog::REGIONS.iter().position(|r| r.slug == region).unwrap_or(0);
        let id = uuid::Uuid::new_v4().to_string();
        let seq = self.next_seq();
        self.vpcs.insert(
            id.clone(),
            Vpc {
                id: id.clone(),
                seq,
                name: format!("default-{region}"),
                description: "".into(),
                region: region.to_string(),
                ip_range: format!("10.{}.0.0/20", 100 + idx),
                default: true,
                created_at: now_rfc3339(),
                next_host: 2,
            },
        );
        id
    }

    /// A private address in a VPC's range.
    pub fn private_ip(&mut self, vpc: &str) -> String {
        let Some(v) = self.vpcs.get_mut(vpc) else {
            return "10.0.0.2".into();
        };
        let n = v.next_host;
        v.next_host += 1;
        let base = v.ip_range.split('/').next().unwrap_or("10.0.0.0");
        let o: Vec<u32> = base.split('.').filter_map(|s| s.parse().ok()).collect();
        let ip = if o.len() == 4 {
            (o[0] << 24) | (o[1] << 16) | (o[2] << 8) | o[3]
        } else {
            0x0a00_0000
        };
        let ip = ip + n;
        format!("{}.{}.{}.{}", ip >> 24, (ip >> 16) & 255, (ip >> 8) & 255, ip & 255)
    }

    pub fn droplet_locked(&self, id: u64) -> bool {
        self.actions
            .values()
            .any(|a| a.droplet_id == id && a.status == "in-progress" && !matches!(a.effect, Effect::Create))
    }

    /// One observation of a Droplet: advances its creation and its running actions.
    pub fn tick_droplet(&mut self, id: u64) {
        if let Some(d) = self.droplets.get_mut(&id)
            && d.status == "new"
        {
            d.polls_to_active = d.polls_to_active.saturating_sub(1);
            if d.polls_to_active == 0 {
                d.status = "active".into();
            }
        }
        let running: Vec<u64> = self
            .actions
            .values()
            .filter(|a| a.droplet_id == id && a.status == "in-progress")
            .map(|a| a.id)
            .collect();
        for aid in running {
            self.tick_action(aid);
        }
    }

    /// One observation of an action.
    pub fn tick_action(&mut self, aid: u64) {
        let Some(a) = self.actions.get_mut(&aid) else { return };
        if a.status != "in-progress" {
            return;
        }
        if let Effect::Create = a.effect {
            let done = self
                .droplets
                .get(&a.droplet_id)
                .map(|d| d.status != "new")
                .unwrap_or(true);
            if done {
                a.status = "completed".into();
                a.completed_at = Some(now_rfc3339());
            }
            return;
        }
        a.polls_left = a.polls_left.saturating_sub(1);
        if a.polls_left > 0 {
            return;
        }
        a.status = "completed".into();
        a.completed_at = Some(now_rfc3339());
        let effect = a.effect.clone();
        let Some(d) = self.droplets.get_mut(&a.droplet_id) else {
            return;
        };
        match effect {
            Effect::PowerOff => d.status = "off".into(),
            Effect::PowerOn => d.status = "active".into(),
            Effect::Resize { size, disk } => {
                if disk && let Some(s) = catalog::size(&size) {
                    d.disk = s.disk;
                }
                d.size = size;
            }
            Effect::Rename(name) => d.name = name,
            Effect::EnableIpv6 => {
                d.ipv6 = true;
                d.ipv6_address = Some(format!("2604:a880:800:10::{:x}:1001", d.id % 0xffff));
            }
            Effect::EnableBackups => d.backups = true,
            Effect::DisableBackups => d.backups = false,
            Effect::Create | Effect::None => {}
        }
    }

    /// One observation of a cluster: advances `creating`/`resizing`/`migrating` towards `online`.
    pub fn tick_cluster(&mut self, id: &str) {
        let Some(c) = self.clusters.get_mut(id) else { return };
        if c.status == "online" {
            return;
        }
        c.polls_left = c.polls_left.saturating_sub(1);
        if c.polls_left > 0 {
            return;
        }
        c.status = "online".into();
        match c.pending.take() {
            Some(Pending::Resize {
                size,
                num_nodes,
                storage_size_mib,
            }) => {
                c.size = size;
                c.num_nodes = num_nodes;
                c.storage_size_mib = storage_size_mib;
            }
            Some(Pending::Migrate { region }) => c.region = region,
            None => {}
        }
    }

    /// VPC members: Droplets, clusters, and recently deleted objects that still linger.
    pub fn vpc_members(&self, vpc: &str) -> Vec<Value> {
        let mut out: Vec<Value> = Vec::new();
        for d in self.droplets.values().filter(|d| d.vpc_uuid == vpc) {
            out.push(json!({"urn": format!("do:droplet:{}", d.id), "name": d.name, "created_at": d.created_at}));
        }
        for c in self.clusters.values().filter(|c| c.private_network_uuid == vpc) {
            out.push(json!({"urn": format!("do:dbaas:{}", c.id), "name": c.name, "created_at": c.created_at}));
        }
        for l in self.lingering.iter().filter(|l| l.vpc == vpc) {
            out.push(json!({"urn": l.urn, "name": l.name, "created_at": rfc3339(0)}));
        }
        out
    }

    pub fn render_droplet(&self, d: &Droplet) -> Value {
        let size = catalog::size(&d.size).expect("droplets only have known sizes");
        let image = catalog::image(&d.image).expect("droplets only have known images");
        let mut v4 = Vec::new();
        if let Some(ip) = &d.ipv4_public {
            let gw = format!("{}.1", ip.rsplit_once('.').map(|(a, _)| a).unwrap_or("159.89.0"));
            v4.push(json!({"ip_address": ip, "netmask": "255.255.240.0", "gateway": gw, "type": "public"}));
        }
        v4.push(
            json!({"ip_address": d.ipv4_private, "netmask": "255.255.240.0", "gateway": "<nil>", "type": "private"}),
        );
        let v6: Vec<Value> = d
            .ipv6_address
            .iter()
            .map(|ip| json!({"ip_address": ip, "netmask": 64, "gateway": "2604:a880:800:10::1", "type": "public"}))
            .collect();
        let mut features = vec!["droplet_agent", "private_networking"];
        if d.backups {
            features.push("backups");
        }
        if d.ipv6 {
            features.push("ipv6");
        }
        if d.monitoring {
            features.push("monitoring");
        }
        let region = catalog::region(&d.region).expect("droplets only have known regions");
        let next_backup_window = if d.backups {
            json!({"start": "2030-01-01T00:00:00Z", "end": "2030-01-01T23:00:00Z"})
        } else {
            Value::Null
        };
        json!({
            "id": d.id,
            "name": d.name,
            "memory": size.memory,
            "vcpus": size.vcpus,
            "disk": d.disk,
            "disk_info": [{"type": "local", "size": {"amount": d.disk, "unit": "gib"}}],
            "locked": self.droplet_locked(d.id),
            "status": d.status,
            "kernel": null,
            "created_at": d.created_at,
            "features": features,
            "backup_ids": [],
            "next_backup_window": next_backup_window,
            "snapshot_ids": [],
            "image": catalog::image_json(image),
            "volume_ids": d.volume_ids,
            "size": catalog::size_json(size),
            "size_slug": d.size,
            "networks": {"v4": v4, "v6": v6},
            "region": catalog::region_json(region),
            "tags": d.tags,
            "vpc_uuid": d.vpc_uuid,
        })
    }

    pub fn render_action(&self, a: &Action) -> Value {
        let region = catalog::region(&a.region).unwrap_or(&catalog::REGIONS[0]);
        json!({
            "id": a.id,
            "status": a.status,
            "type": a.kind,
            "started_at": a.started_at,
            "completed_at": a.completed_at,
            "resource_id": a.droplet_id,
            "resource_type": "droplet",
            "region": catalog::region_json(region),
            "region_slug": a.region,
        })
    }

    pub fn render_cluster(&self, c: &Cluster) -> Value {
        let host = format!("{}-do-user-{}-0.b.db.ondigitalocean.com", c.name, self.owner_id);
        let private_host = format!("private-{host}");
        let admin = c.users.iter().find(|u| u.role == "primary").cloned().unwrap_or(DbUser {
            name: "doadmin".into(),
            role: "primary".into(),
            password: String::new(),
        });
        let (scheme, port) = match c.engine.as_str() {
            "mysql" => ("mysql", 25060),
            "valkey" | "redis" => ("rediss", 25061),
            _ => ("postgresql", 25060),
        };
        let conn = |h: &str| {
            json!({
                "uri": format!("{scheme}://{}:{}@{h}:{port}/defaultdb?sslmode=require", admin.name, admin.password),
                "database": "defaultdb",
                "host": h,
                "port": port,
                "user": admin.name,
                "password": admin.password,
                "ssl": true,
            })
        };
        let mut out = json!({
            "id": c.id,
            "name": c.name,
            "engine": c.engine,
            "version": c.version,
            "num_nodes": c.num_nodes,
            "size": c.size,
            "region": c.region,
            "status": c.status,
            "created_at": c.created_at,
            "private_network_uuid": c.private_network_uuid,
            "tags": if c.tags.is_empty() { Value::Null } else { json!(c.tags) },
            "db_names": c.dbs,
            "connection": conn(&host),
            "private_connection": conn(&private_host),
            "users": c.users.iter().map(render_db_user).collect::<Vec<_>>(),
            "maintenance_window": {
                "day": c.maintenance_day,
                "hour": c.maintenance_hour,
                "pending": false,
                "description": [],
            },
            "project_id": c.project_id,
            "rules": c.rules.iter().map(|r| render_db_rule(r, &c.id)).collect::<Vec<_>>(),
            "storage_size_mib": c.storage_size_mib,
        });
        if let Some(a) = &c.autoscale {
            out["autoscale"] = a.render();
        }
        out
    }

    pub fn render_tag(&self, name: &str) -> Value {
        let droplets: Vec<u64> = self
            .droplets
            .values()
            .filter(|d| d.tags.iter().any(|t| t == name))
            .map(|d| d.id)
            .collect();
        let dbs: Vec<&str> = self
            .clusters
            .values()
            .filter(|c| c.tags.iter().any(|t| t == name))
            .map(|c| c.id.as_str())
            .collect();
        let last_droplet = droplets
            .last()
            .map(|id| format!("https://api.digitalocean.com/v2/droplets/{id}"));
        let last_db = dbs
            .last()
            .map(|id| format!("https://api.digitalocean.com/v2/databases/{id}"));
        let count_only = |n: usize, last: &Option<String>| match last {
            Some(l) => json!({"count": n, "last_tagged_uri": l}),
            None => json!({"count": n}),
        };
        let mut resources = serde_json::Map::new();
        resources.insert("count".into(), json!(droplets.len() + dbs.len()));
        if let Some(l) = last_droplet.clone().or(last_db.clone()) {
            resources.insert("last_tagged_uri".into(), json!(l));
        }
        resources.insert("droplets".into(), count_only(droplets.len(), &last_droplet));
        resources.insert("images".into(), json!({"count": 0}));
        resources.insert("volumes".into(), json!({"count": 0}));
        resources.insert("volume_snapshots".into(), json!({"count": 0}));
        resources.insert("databases".into(), count_only(dbs.len(), &last_db));
        json!({"name": name, "resources": resources})
    }
}

pub fn render_db_user(u: &DbUser) -> Value {
    json!({"name": u.name, "role": u.role, "password": u.password})
}

pub fn render_db_rule(r: &DbRule, cluster: &str) -> Value {
    json!({"uuid": r.uuid, "cluster_uuid": cluster, "type": r.kind, "value": r.value, "created_at": r.created_at})
}

pub fn render_firewall(f: &Firewall) -> Value {
    json!({
        "id": f.id,
        "status": "succeeded",
        "created_at": f.created_at,
        "pending_changes": [],
        "name": f.name,
        "droplet_ids": f.droplet_ids,
        "tags": f.tags,
        "inbound_rules": f.inbound_rules,
        "outbound_rules": f.outbound_rules,
    })
}

pub fn render_vpc(v: &Vpc) -> Value {
    json!({
        "id": v.id,
        "urn": format!("do:vpc:{}", v.id),
        "name": v.name,
        "description": v.description,
        "region": v.region,
        "ip_range": v.ip_range,
        "default": v.default,
        "created_at": v.created_at,
    })
}

pub fn render_project(p: &Project, t: &Tenant) -> Value {
    let mut v = json!({
        "id": p.id,
        "owner_uuid": t.owner_uuid,
        "owner_id": t.owner_id,
        "name": p.name,
        "description": p.description,
        "purpose": p.purpose,
        "created_at": p.created_at,
        "updated_at": p.updated_at,
        "is_default": p.is_default,
    });
    if let Some(e) = &p.environment {
        v["environment"] = json!(e);
    }
    v
}

pub fn render_key(k: &SshKey) -> Value {
    json!({"id": k.id, "fingerprint": k.fingerprint, "public_key": k.public_key, "name": k.name})
}
