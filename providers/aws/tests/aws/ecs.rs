//! `aws_ecs_cluster`, `aws_ecs_cluster_capacity_providers`, `aws_ecs_task_definition` and `aws_ecs_service`
//! against moto.

use crate::common::*;
use infra_provider::{Path, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

async fn ecs_tags(w: &World, arn: &str) -> BTreeMap<String, String> {
    let out = w
        .aws
        .ecs()
        .list_tags_for_resource()
        .resource_arn(arn)
        .send()
        .await
        .unwrap();
    out.tags()
        .iter()
        .map(|t| (t.key().unwrap().to_string(), t.value().unwrap().to_string()))
        .collect()
}

fn cluster_config(name: &str, insights: &str) -> Value {
    Value::map([
        ("name", Value::from(name)),
        (
            "setting",
            Value::List(vec![Value::map([
                ("name", Value::from("containerInsights")),
                ("value", Value::from(insights)),
            ])]),
        ),
        ("tags", Value::string_map([("Name", name)])),
    ])
}

#[tokio::test]
async fn cluster_lifecycle() {
    let w = world_with(&[default_tags(&[("env", "stage")])]).await;
    let cfg = cluster_config("stage", "enabled");
    let c1 = create(&w, "aws_ecs_cluster", "aws_ecs_cluster.main", &cfg).await;
    let arn = id(&c1);
    assert_eq!(arn, "arn:aws:ecs:us-east-1:123456789012:cluster/stage");
    assert_eq!(c1.get_str("arn"), Some(arn.as_str()));
    assert_eq!(
        c1.get_list("setting")[0].get_str("value"),
        Some("enabled"),
        "{:?}",
        c1.get("setting")
    );
    assert_eq!(
        c1.get_string_map("tags_all").get("env").map(String::as_str),
        Some("stage")
    );
    assert_ownership_tags_hidden(&w, &c1, &ecs_tags(&w, &arn).await, "aws_ecs_cluster.main").await;
    assert_no_diff(&w, "aws_ecs_cluster", &c1, &cfg);
    // Without a setting block the cluster's settings are kept (optional + computed).
    let mut bare = cfg.clone();
    bare.set_attr("setting", Value::Null);
    assert_no_diff(&w, "aws_ecs_cluster", &c1, &bare);

    // In place: setting and tags.
    let mut cfg2 = cluster_config("stage", "disabled");
    cfg2.set_attr("tags", Value::string_map([("team", "platform")]));
    let c2 = update(&w, "aws_ecs_cluster", "aws_ecs_cluster.main", &c1, &cfg2).await;
    assert_eq!(c2.get_list("setting")[0].get_str("value"), Some("disabled"));
    assert_eq!(c2.get_string_map("tags").keys().collect::<Vec<_>>(), vec!["team"]);
    assert_eq!(read(&w, "aws_ecs_cluster", &c2).await.as_ref(), Some(&c2));
    assert_no_diff(&w, "aws_ecs_cluster", &c2, &cfg2);
    // A new name replaces it.
    let (_, replace) = plan(&w, "aws_ecs_cluster", Some(&c2), &cluster_config("prod", "disabled")).unwrap();
    assert_eq!(replace, vec![Path::attr("name")]);

    // Batched read: one call for all clusters; one deleted out of band (INACTIVE) reads as gone.
    let other = create(
        &w,
        "aws_ecs_cluster",
        "aws_ecs_cluster.other",
        &cluster_config("other", "disabled"),
    )
    .await;
    let gone = create(
        &w,
        "aws_ecs_cluster",
        "aws_ecs_cluster.gone",
        &cluster_config("gone", "disabled"),
    )
    .await;
    w.aws.ecs().delete_cluster().cluster("gone").send().await.unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_ecs_cluster", &[other.clone(), gone.clone(), c2.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&other));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&c2));
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].1, "DescribeClusters");

    let imported = w.client.import("aws_ecs_cluster", "stage").await.unwrap().unwrap();
    assert_eq!(id(&imported), arn);
    assert_eq!(
        imported.get_string_map("tags").get("team").map(String::as_str),
        Some("platform")
    );

    // find_created: adopts only what this address made.
    let (planned, _) = plan(&w, "aws_ecs_cluster", None, &cluster_config("other", "disabled")).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_ecs_cluster.other"), "aws_ecs_cluster", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref(), Some(&other));
    assert!(
        w.client
            .find_created(&ctx("aws_ecs_cluster.main"), "aws_ecs_cluster", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let (fresh, _) = plan(&w, "aws_ecs_cluster", None, &cluster_config("never", "disabled")).unwrap();
    assert!(
        w.client
            .find_created(&ctx("aws_ecs_cluster.never"), "aws_ecs_cluster", &fresh)
            .await
            .unwrap()
            .is_none()
    );

    w.client
        .delete(&ctx("aws_ecs_cluster.main"), "aws_ecs_cluster", &c2)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_ecs_cluster", &c2).await, None);
    w.client
        .delete(&ctx("aws_ecs_cluster.main"), "aws_ecs_cluster", &c2)
        .await
        .unwrap();
}

/// Container definitions as a user writes them: environment out of order, defaults left out.
fn containers(image: &str) -> String {
    format!(
        r#"[
  {{
    "name": "web",
    "image": "{image}",
    "portMappings": [{{"containerPort": 8080}}],
    "environment": [{{"name": "PORT", "value": "8080"}}, {{"name": "MODE", "value": "stage"}}],
    "logConfiguration": {{"logDriver": "awslogs", "options": {{"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}}}}
  }}
]"#
    )
}

fn task_config(family: &str, image: &str) -> Value {
    Value::map([
        ("family", Value::from(family)),
        ("container_definitions", Value::string(containers(image))),
        ("cpu", Value::from("256")),
        ("memory", Value::from("512")),
        ("network_mode", Value::from("awsvpc")),
        ("requires_compatibilities", Value::string_set(["FARGATE"])),
        (
            "execution_role_arn",
            Value::from("arn:aws:iam::123456789012:role/ecs-execution"),
        ),
        ("task_role_arn", Value::from("arn:aws:iam::123456789012:role/web-task")),
        (
            "runtime_platform",
            Value::List(vec![Value::map([
                ("operating_system_family", Value::from("LINUX")),
                ("cpu_architecture", Value::from("X86_64")),
            ])]),
        ),
        (
            "volume",
            Value::List(vec![Value::map([
                ("name", Value::from("uploads")),
                (
                    "efs_volume_configuration",
                    Value::List(vec![Value::map([
                        ("file_system_id", Value::from("fs-0123456789abcdef0")),
                        ("transit_encryption", Value::from("ENABLED")),
                        (
                            "authorization_config",
                            Value::List(vec![Value::map([
                                ("access_point_id", Value::from("fsap-0123456789abcdef0")),
                                ("iam", Value::from("ENABLED")),
                            ])]),
                        ),
                    ])]),
                ),
            ])]),
        ),
        ("tags", Value::string_map([("app", family)])),
    ])
}

#[tokio::test]
async fn task_definition_lifecycle() {
    let w = world().await;
    let cfg = task_config("web", "nginx:1.27");
    let t1 = create(&w, "aws_ecs_task_definition", "aws_ecs_task_definition.web", &cfg).await;
    assert_eq!(id(&t1), "web");
    assert_eq!(
        t1.get_str("arn"),
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/web:1")
    );
    assert_eq!(
        t1.get_str("arn_without_revision"),
        Some("arn:aws:ecs:us-east-1:123456789012:task-definition/web")
    );
    assert_eq!(t1.get_i64("revision"), Some(1));
    // The document is stored as written: ECS's defaults (cpu 0, essential, empty lists, host port)
    // do not show as a change.
    assert_eq!(
        t1.get_str("container_definitions"),
        Some(containers("nginx:1.27").as_str())
    );
    assert_eq!(t1.get_str("network_mode"), Some("awsvpc"));
    assert_eq!(
        t1.get("requires_compatibilities"),
        Some(&Value::string_set(["FARGATE"]))
    );
    let vol = &t1.get_list("volume")[0];
    let efs = vol.get_block("efs_volume_configuration").unwrap();
    assert_eq!(efs.get_str("root_directory"), Some("/"), "ECS's default");
    assert_eq!(
        efs.get_block("authorization_config")
            .unwrap()
            .get_str("access_point_id"),
        Some("fsap-0123456789abcdef0")
    );
    assert_eq!(
        t1.get_block("runtime_platform").unwrap().get_str("cpu_architecture"),
        Some("X86_64")
    );
    let cloud = ecs_tags(&w, t1.get_str("arn").unwrap()).await;
    assert_ownership_tags_hidden(&w, &t1, &cloud, "aws_ecs_task_definition.web").await;
    assert_no_diff(&w, "aws_ecs_task_definition", &t1, &cfg);

    // What ECS stored is the user's document plus its defaults, every field kept.
    let described = w
        .aws
        .ecs()
        .describe_task_definition()
        .task_definition("web:1")
        .send()
        .await
        .unwrap();
    let cd = &described.task_definition().unwrap().container_definitions()[0];
    assert_eq!(cd.image(), Some("nginx:1.27"));
    assert_eq!(
        cd.log_configuration()
            .unwrap()
            .options()
            .unwrap()
            .get("awslogs-group")
            .map(String::as_str),
        Some("/ecs/web")
    );

    // The same containers written differently (order, explicit defaults) are no change, and nothing is
    // replaced: the plan keeps the stored document.
    let rewritten = r#"[{"essential": true, "name": "web", "image": "nginx:1.27",
        "environment": [{"name": "MODE", "value": "stage"}, {"name": "PORT", "value": "8080"}],
        "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}], "mountPoints": [],
        "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/web", "awslogs-region": "us-east-1", "awslogs-stream-prefix": "web"}}}]"#;
    let mut same = cfg.clone();
    same.set_attr("container_definitions", Value::from(rewritten));
    let (planned, replace) = plan(&w, "aws_ecs_task_definition", Some(&t1), &same).unwrap();
    assert!(replace.is_empty(), "{replace:?}");
    assert_eq!(planned.get("container_definitions"), t1.get("container_definitions"));
    // A new image is a new revision (replacement), with its ARN and revision unknown until apply.
    let cfg2 = task_config("web", "nginx:1.28");
    let (planned, replace) = plan(&w, "aws_ecs_task_definition", Some(&t1), &cfg2).unwrap();
    assert_eq!(replace, vec![Path::attr("container_definitions")]);
    assert!(planned.get("revision").unwrap().is_unknown());
    let mut more_cpu = cfg.clone();
    more_cpu.set_attr("cpu", Value::from("512"));
    let (_, replace) = plan(&w, "aws_ecs_task_definition", Some(&t1), &more_cpu).unwrap();
    assert_eq!(replace, vec![Path::attr("cpu")]);
    // Invalid documents are refused at plan time.
    let mut bad = cfg.clone();
    bad.set_attr("container_definitions", Value::from(r#"{"name":"web"}"#));
    assert!(plan(&w, "aws_ecs_task_definition", None, &bad).is_err());

    // Replacement as the engine runs it: register the new revision, deregister the old one.
    let (planned2, _) = plan(&w, "aws_ecs_task_definition", None, &cfg2).unwrap();
    let t2 = w
        .client
        .create(
            &ctx("aws_ecs_task_definition.web"),
            "aws_ecs_task_definition",
            &planned2,
        )
        .await
        .unwrap();
    assert_eq!(t2.get_i64("revision"), Some(2));
    w.client
        .delete(&ctx("aws_ecs_task_definition.web"), "aws_ecs_task_definition", &t1)
        .await
        .unwrap();
    assert_eq!(
        read(&w, "aws_ecs_task_definition", &t1).await,
        None,
        "deregistered reads as gone"
    );
    // Deregistering again is success.
    w.client
        .delete(&ctx("aws_ecs_task_definition.web"), "aws_ecs_task_definition", &t1)
        .await
        .unwrap();

    // Tags and skip_destroy change in place.
    let mut cfg3 = cfg2.clone();
    cfg3.set_attr("tags", Value::string_map([("app", "web"), ("release", "2")]));
    cfg3.set_attr("skip_destroy", Value::Bool(true));
    let t3 = update(&w, "aws_ecs_task_definition", "aws_ecs_task_definition.web", &t2, &cfg3).await;
    assert_eq!(t3.get_i64("revision"), Some(2));
    assert_eq!(t3.get_string_map("tags").get("release").map(String::as_str), Some("2"));
    assert_eq!(t3.get_bool("skip_destroy"), Some(true));
    assert_no_diff(&w, "aws_ecs_task_definition", &t3, &cfg3);

    // Batched refresh: one DescribeTaskDefinition per task definition (ECS has no batch form).
    let api = create(
        &w,
        "aws_ecs_task_definition",
        "aws_ecs_task_definition.api",
        &task_config("api", "api:1"),
    )
    .await;
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_ecs_task_definition", &[api.clone(), t1.clone(), t3.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&api));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&t3));
    assert_eq!(made.len(), 3, "{made:?}");

    // Import by ARN: the document comes from ECS, and the configuration plans no change against it.
    let imported = w
        .client
        .import(
            "aws_ecs_task_definition",
            "arn:aws:ecs:us-east-1:123456789012:task-definition/web:2",
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(id(&imported), "web");
    assert_eq!(imported.get_i64("revision"), Some(2));
    let mut cfg_import = cfg3.clone();
    cfg_import.set_attr("skip_destroy", Value::Null);
    let (planned, replace) = plan(&w, "aws_ecs_task_definition", Some(&imported), &cfg_import).unwrap();
    assert!(replace.is_empty(), "{replace:?}");
    assert_eq!(
        planned.get("container_definitions"),
        imported.get("container_definitions")
    );
    assert!(w.client.import("aws_ecs_task_definition", "web").await.is_err());

    // skip_destroy: the delete leaves the revision registered.
    w.client
        .delete(&ctx("aws_ecs_task_definition.web"), "aws_ecs_task_definition", &t3)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_ecs_task_definition", &t3).await.as_ref(), Some(&t3));
}

#[tokio::test]
async fn task_definition_find_created() {
    let w = world().await;
    let cfg = task_config("worker", "worker:1");
    let (planned, _) = plan(&w, "aws_ecs_task_definition", None, &cfg).unwrap();
    let c = ctx("aws_ecs_task_definition.worker");
    assert!(
        w.client
            .find_created(&c, "aws_ecs_task_definition", &planned)
            .await
            .unwrap()
            .is_none()
    );
    let made = w.client.create(&c, "aws_ecs_task_definition", &planned).await.unwrap();
    let found = w
        .client
        .find_created(&c, "aws_ecs_task_definition", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().and_then(|f| f.get_str("arn")), made.get_str("arn"));
    // Another address, or other content (an older revision of this address): not adopted.
    assert!(
        w.client
            .find_created(
                &ctx("aws_ecs_task_definition.other"),
                "aws_ecs_task_definition",
                &planned
            )
            .await
            .unwrap()
            .is_none()
    );
    let (newer, _) = plan(&w, "aws_ecs_task_definition", None, &task_config("worker", "worker:2")).unwrap();
    assert!(
        w.client
            .find_created(&c, "aws_ecs_task_definition", &newer)
            .await
            .unwrap()
            .is_none()
    );
}

/// A cluster, a task definition and a network for services.
async fn service_world() -> (World, String, String, Vec<String>, String) {
    service_world_in(world().await).await
}

/// [`service_world`] in a given world.
async fn service_world_in(w: World) -> (World, String, String, Vec<String>, String) {
    create(
        &w,
        "aws_ecs_cluster",
        "aws_ecs_cluster.main",
        &cluster_config("stage", "disabled"),
    )
    .await;
    let td = create(
        &w,
        "aws_ecs_task_definition",
        "aws_ecs_task_definition.web",
        &task_config("web", "nginx:1"),
    )
    .await;
    let vpc = id(&create(
        &w,
        "aws_vpc",
        "aws_vpc.main",
        &Value::map([("cidr_block", Value::from("10.0.0.0/16"))]),
    )
    .await);
    let mut subnets = Vec::new();
    for (i, az) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        subnets.push(id(&create(
            &w,
            "aws_subnet",
            &format!("aws_subnet.private[{i}]"),
            &Value::map([
                ("vpc_id", Value::from(vpc.as_str())),
                ("cidr_block", Value::string(format!("10.0.{i}.0/24"))),
                ("availability_zone", Value::from(*az)),
            ]),
        )
        .await));
    }
    let sg = id(&create(
        &w,
        "aws_security_group",
        "aws_security_group.app",
        &Value::map([
            ("name", Value::from("app")),
            ("description", Value::from("app")),
            ("vpc_id", Value::from(vpc.as_str())),
        ]),
    )
    .await);
    let td_arn = td.get_str("arn").unwrap().to_string();
    (w, "stage".to_string(), td_arn, subnets, sg)
}

fn service_config(name: &str, cluster: &str, td: &str, subnets: &[String], sg: &str, count: i64) -> Value {
    Value::map([
        ("name", Value::from(name)),
        ("cluster", Value::from(cluster)),
        ("task_definition", Value::from(td)),
        ("desired_count", Value::int(count)),
        ("launch_type", Value::from("FARGATE")),
        (
            "network_configuration",
            Value::List(vec![Value::map([
                ("subnets", Value::string_set(subnets)),
                ("security_groups", Value::string_set([sg])),
                ("assign_public_ip", Value::Bool(false)),
            ])]),
        ),
        ("propagate_tags", Value::from("SERVICE")),
        ("tags", Value::string_map([("Name", name)])),
    ])
}

#[tokio::test]
async fn service_lifecycle() {
    let (w, cluster, td, subnets, sg) = service_world().await;
    let cfg = service_config("web", &cluster, &td, &subnets, &sg, 1);
    let s1 = create(&w, "aws_ecs_service", "aws_ecs_service.web", &cfg).await;
    let arn = id(&s1);
    assert!(arn.starts_with("arn:aws:ecs:us-east-1:123456789012:service/"), "{arn}");
    assert_eq!(s1.get_str("cluster"), Some("stage"), "stored as written (a name)");
    assert_eq!(s1.get_str("task_definition"), Some(td.as_str()));
    assert_eq!(s1.get_i64("desired_count"), Some(1));
    assert_eq!(s1.get_str("launch_type"), Some("FARGATE"));
    assert_eq!(s1.get_str("propagate_tags"), Some("SERVICE"));
    let net = s1.get_block("network_configuration").unwrap();
    assert_eq!(net.get("subnets"), Some(&Value::string_set(&subnets)));
    assert_eq!(net.get_bool("assign_public_ip"), Some(false));
    assert_eq!(s1.get_i64("deployment_maximum_percent"), Some(200));
    assert_ownership_tags_hidden(&w, &s1, &ecs_tags(&w, &arn).await, "aws_ecs_service.web").await;
    assert_no_diff(&w, "aws_ecs_service", &s1, &cfg);

    // In place: a new image arrives as a new task definition revision; count and grace period change.
    let td2 = create(
        &w,
        "aws_ecs_task_definition",
        "aws_ecs_task_definition.web",
        &task_config("web", "nginx:2"),
    )
    .await;
    let td2_arn = td2.get_str("arn").unwrap().to_string();
    let mut cfg2 = service_config("web", &cluster, &td2_arn, &subnets, &sg, 3);
    cfg2.set_attr("health_check_grace_period_seconds", Value::int(30));
    cfg2.set_attr("deployment_minimum_healthy_percent", Value::int(50));
    cfg2.set_attr(
        "deployment_circuit_breaker",
        Value::List(vec![Value::map([
            ("enable", Value::Bool(true)),
            ("rollback", Value::Bool(true)),
        ])]),
    );
    cfg2.set_attr("tags", Value::string_map([("Name", "web"), ("release", "2")]));
    let s2 = update(&w, "aws_ecs_service", "aws_ecs_service.web", &s1, &cfg2).await;
    assert_eq!(id(&s2), arn);
    assert_eq!(s2.get_str("task_definition"), Some(td2_arn.as_str()));
    assert_eq!(s2.get_i64("desired_count"), Some(3));
    assert_eq!(s2.get_i64("health_check_grace_period_seconds"), Some(30));
    assert_eq!(s2.get_i64("deployment_minimum_healthy_percent"), Some(50));
    assert_eq!(
        s2.get_block("deployment_circuit_breaker")
            .and_then(|b| b.get_bool("rollback")),
        Some(true)
    );
    assert_eq!(s2.get_string_map("tags").get("release").map(String::as_str), Some("2"));
    assert_eq!(read(&w, "aws_ecs_service", &s2).await.as_ref(), Some(&s2));
    assert_no_diff(&w, "aws_ecs_service", &s2, &cfg2);

    // Name, cluster and launch type force a new service.
    for (k, v) in [("name", "web2"), ("cluster", "other"), ("launch_type", "EC2")] {
        let mut c = cfg2.clone();
        c.set_attr(k, Value::from(v));
        let (_, replace) = plan(&w, "aws_ecs_service", Some(&s2), &c).unwrap();
        assert_eq!(replace, vec![Path::attr(k)], "{k}");
    }

    // Batched read: one DescribeServices for the cluster; one deleted out of band reads as gone.
    let api = create(
        &w,
        "aws_ecs_service",
        "aws_ecs_service.api",
        &service_config("api", &cluster, &td, &subnets, &sg, 0),
    )
    .await;
    let gone = create(
        &w,
        "aws_ecs_service",
        "aws_ecs_service.gone",
        &service_config("gone", &cluster, &td, &subnets, &sg, 0),
    )
    .await;
    w.aws
        .ecs()
        .delete_service()
        .cluster("stage")
        .service("gone")
        .send()
        .await
        .unwrap();
    let calls = ApiCalls::record();
    let got = w
        .client
        .read("aws_ecs_service", &[api.clone(), gone.clone(), s2.clone()])
        .await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&api));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&s2));
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].1, "DescribeServices");

    // Import (CLUSTER/SERVICE) and find_created.
    let imported = w.client.import("aws_ecs_service", "stage/web").await.unwrap().unwrap();
    assert_eq!(id(&imported), arn);
    assert_eq!(imported.get_str("cluster"), Some("stage"));
    assert!(w.client.import("aws_ecs_service", "web").await.is_err());
    let (planned, _) = plan(&w, "aws_ecs_service", None, &cfg).unwrap();
    let found = w
        .client
        .find_created(&ctx("aws_ecs_service.web"), "aws_ecs_service", &planned)
        .await
        .unwrap();
    assert_eq!(found.as_ref().map(id), Some(arn.clone()));
    assert!(
        w.client
            .find_created(&ctx("aws_ecs_service.other"), "aws_ecs_service", &planned)
            .await
            .unwrap()
            .is_none()
    );

    // Delete scales to 0, deletes, waits for INACTIVE; a second delete is success.
    let calls = ApiCalls::record();
    w.client
        .delete(&ctx("aws_ecs_service.web"), "aws_ecs_service", &s2)
        .await
        .unwrap();
    let made = calls.take();
    let ops: Vec<&str> = made.iter().map(|(_, o)| o.as_str()).collect();
    let update_at = ops
        .iter()
        .position(|o| *o == "UpdateService")
        .expect("scaled down first");
    let delete_at = ops.iter().position(|o| *o == "DeleteService").unwrap();
    assert!(update_at < delete_at, "{ops:?}");
    let status = w
        .aws
        .ecs()
        .describe_services()
        .cluster("stage")
        .services(&arn)
        .send()
        .await
        .unwrap();
    assert_eq!(status.services()[0].status(), Some("INACTIVE"));
    assert_eq!(status.services()[0].desired_count(), 0);
    assert_eq!(read(&w, "aws_ecs_service", &s2).await, None);
    w.client
        .delete(&ctx("aws_ecs_service.web"), "aws_ecs_service", &s2)
        .await
        .unwrap();
}

#[tokio::test]
async fn service_waits_for_steady_state_and_reports_errors() {
    let (w, cluster, td, subnets, sg) = service_world().await;
    // moto reports no running task for a new service; with nothing desired it is steady at once.
    let mut cfg = service_config("steady", &cluster, &td, &subnets, &sg, 0);
    cfg.set_attr("wait_for_steady_state", Value::Bool(true));
    let s = create(&w, "aws_ecs_service", "aws_ecs_service.steady", &cfg).await;
    assert_eq!(s.get_bool("wait_for_steady_state"), Some(true));
    assert_no_diff(&w, "aws_ecs_service", &s, &cfg);
    // A steady-state wait that never ends times out with the last status, and the service is kept.
    let mut cfg2 = service_config("busy", &cluster, &td, &subnets, &sg, 2);
    cfg2.set_attr("wait_for_steady_state", Value::Bool(true));
    let (planned, _) = plan(&w, "aws_ecs_service", None, &cfg2).unwrap();
    let mut c = ctx("aws_ecs_service.busy");
    c.timeout = std::time::Duration::from_millis(300);
    let e = w.client.create(&c, "aws_ecs_service", &planned).await.unwrap_err();
    assert_eq!(e.kind, infra_provider::ErrorKind::Timeout, "{e}");
    assert!(e.message.contains("0 of 2 tasks running"), "{e}");
    let partial = e.partial.expect("the service exists: kept as partial");
    assert!(partial.get_str("id").unwrap().contains("busy"));

    // A missing cluster: the AWS error code comes back.
    let (planned, _) = plan(
        &w,
        "aws_ecs_service",
        None,
        &service_config("x", "nope", &td, &subnets, &sg, 0),
    )
    .unwrap();
    let e = w
        .client
        .create(&ctx("aws_ecs_service.x"), "aws_ecs_service", &planned)
        .await
        .unwrap_err();
    assert_eq!(e.code.as_deref(), Some("ClusterNotFoundException"), "{e}");
}

/// The `configuration` block (ECS Exec's KMS key and logging): created with the cluster, read back with no
/// diff, changed and removed in place.
#[tokio::test]
async fn cluster_configuration_for_ecs_exec() {
    let w = world().await;
    let exec = |logging: &str, group: &str| {
        Value::map([
            ("name", Value::from("exec")),
            (
                "configuration",
                Value::List(vec![Value::map([(
                    "execute_command_configuration",
                    Value::List(vec![Value::map([
                        ("kms_key_id", Value::from("arn:aws:kms:us-east-1:123456789012:key/exec")),
                        ("logging", Value::from(logging)),
                        (
                            "log_configuration",
                            Value::List(vec![Value::map([
                                ("cloud_watch_encryption_enabled", Value::Bool(true)),
                                ("cloud_watch_log_group_name", Value::from(group)),
                            ])]),
                        ),
                    ])]),
                )])]),
            ),
        ])
    };
    let cfg = exec("OVERRIDE", "/ecs/exec");
    let c1 = create(&w, "aws_ecs_cluster", "aws_ecs_cluster.exec", &cfg).await;
    let e = &c1.get_list("configuration")[0].get_list("execute_command_configuration")[0];
    assert_eq!(e.get_str("logging"), Some("OVERRIDE"), "{c1:?}");
    let log = &e.get_list("log_configuration")[0];
    assert_eq!(log.get_str("cloud_watch_log_group_name"), Some("/ecs/exec"));
    assert_eq!(log.get_bool("cloud_watch_encryption_enabled"), Some(true));
    assert!(
        log.get("s3_bucket_encryption_enabled").is_some_and(Value::is_null),
        "{log:?}"
    );
    assert_no_diff(&w, "aws_ecs_cluster", &c1, &cfg);
    assert_eq!(read(&w, "aws_ecs_cluster", &c1).await.as_ref(), Some(&c1));

    let cfg2 = exec("OVERRIDE", "/ecs/exec-audit");
    let c2 = update(&w, "aws_ecs_cluster", "aws_ecs_cluster.exec", &c1, &cfg2).await;
    assert_eq!(c2.get_str("arn"), c1.get_str("arn"), "changed in place");
    let log =
        &c2.get_list("configuration")[0].get_list("execute_command_configuration")[0].get_list("log_configuration")[0];
    assert_eq!(log.get_str("cloud_watch_log_group_name"), Some("/ecs/exec-audit"));
    assert_no_diff(&w, "aws_ecs_cluster", &c2, &cfg2);
}

/// `service_registries` (Cloud Map): sent on create, read back, changed and removed in place (UpdateService),
/// as hashicorp/aws does since 4.x.
#[tokio::test]
async fn service_registries_change_in_place() {
    let (w, cluster, td, subnets, sg) = service_world().await;
    let ns = crate::service_discovery::namespace(&w).await;
    let registry = |name: &str| {
        Value::map([
            ("name", Value::from(name)),
            ("namespace_id", Value::from(ns.as_str())),
            (
                "dns_config",
                Value::List(vec![Value::map([
                    ("namespace_id", Value::from(ns.as_str())),
                    (
                        "dns_records",
                        Value::List(vec![Value::map([("ttl", Value::int(10)), ("type", Value::from("A"))])]),
                    ),
                ])]),
            ),
        ])
    };
    let web = create(
        &w,
        "aws_service_discovery_service",
        "aws_service_discovery_service.web",
        &registry("web"),
    )
    .await;
    let web2 = create(
        &w,
        "aws_service_discovery_service",
        "aws_service_discovery_service.web2",
        &registry("web2"),
    )
    .await;
    let arn_of = |v: &Value| v.get_str("arn").unwrap().to_string();
    let with_registry = |arn: Option<&str>| {
        let mut c = service_config("web", &cluster, &td, &subnets, &sg, 1);
        if let Some(arn) = arn {
            c.set_attr(
                "service_registries",
                Value::List(vec![Value::map([
                    ("registry_arn", Value::from(arn)),
                    ("container_name", Value::from("web")),
                ])]),
            );
        }
        c
    };
    let cfg = with_registry(Some(&arn_of(&web)));
    let s1 = create(&w, "aws_ecs_service", "aws_ecs_service.web", &cfg).await;
    let reg = s1.get_block("service_registries").expect("registry read back");
    assert_eq!(reg.get_str("registry_arn"), Some(arn_of(&web).as_str()));
    assert_eq!(reg.get_str("container_name"), Some("web"));
    let cloud = w
        .aws
        .ecs()
        .describe_services()
        .cluster("stage")
        .services(id(&s1))
        .send()
        .await
        .unwrap();
    assert_eq!(
        cloud.services()[0].service_registries()[0].registry_arn(),
        Some(arn_of(&web).as_str())
    );
    assert_no_diff(&w, "aws_ecs_service", &s1, &cfg);

    // Another registry: in place (update() asserts that nothing is replaced).
    let cfg2 = with_registry(Some(&arn_of(&web2)));
    let s2 = update(&w, "aws_ecs_service", "aws_ecs_service.web", &s1, &cfg2).await;
    assert_eq!(id(&s2), id(&s1));
    assert_eq!(
        s2.get_block("service_registries")
            .and_then(|r| r.get_str("registry_arn")),
        Some(arn_of(&web2).as_str())
    );
    assert_no_diff(&w, "aws_ecs_service", &s2, &cfg2);
    // Removed: in place too.
    let cfg3 = with_registry(None);
    let s3 = update(&w, "aws_ecs_service", "aws_ecs_service.web", &s2, &cfg3).await;
    assert_eq!(s3.get_list("service_registries").len(), 0, "{s3:?}");
    assert_eq!(read(&w, "aws_ecs_service", &s3).await.as_ref(), Some(&s3));
    // The port is checked at plan time.
    let schema = schema_of(&w, "aws_ecs_service");
    let port = &schema.block.blocks["service_registries"].block.attributes["port"];
    assert!(port.check.as_ref().unwrap().check(&Value::int(70000)).is_err());
    assert!(!schema.block.blocks["service_registries"].force_new);
}

/// A TCP relay on loopback in front of moto that keeps every byte a client sends through it, so a test can
/// read the requests the provider made. Needed where moto drops what the real API keeps: moto's
/// `CreateService` (moto 5.1) never reads `capacityProviderStrategy`, so the created service shows none and
/// only the request can prove the strategy was sent.
struct RecordingProxy {
    port: u16,
    /// What clients sent, one buffer per connection.
    sent: Arc<Mutex<Vec<Connection>>>,
}

/// The bytes a client sent on one connection.
type Connection = Arc<Mutex<Vec<u8>>>;

impl RecordingProxy {
    fn start(upstream: u16) -> RecordingProxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        let sent: Arc<Mutex<Vec<Connection>>> = Arc::default();
        let all = sent.clone();
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut client) = conn else { continue };
                let Ok(mut server) = TcpStream::connect(("127.0.0.1", upstream)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let buf: Connection = Arc::default();
                all.lock().unwrap().push(buf.clone());
                let (mut client_w, mut server_r) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                std::thread::spawn(move || {
                    let mut chunk = [0u8; 16 * 1024];
                    loop {
                        match client.read(&mut chunk) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => {
                                buf.lock().unwrap().extend_from_slice(&chunk[..n]);
                                if server.write_all(&chunk[..n]).is_err() {
                                    break;
                                }
                            }
                        }
                    }
                    let _ = server.shutdown(Shutdown::Write);
                });
                std::thread::spawn(move || {
                    let _ = std::io::copy(&mut server_r, &mut client_w);
                    let _ = client_w.shutdown(Shutdown::Write);
                });
            }
        });
        RecordingProxy { port, sent }
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The JSON bodies of the ECS requests for `operation` (by `X-Amz-Target`), in the order sent on each
    /// connection.
    fn bodies(&self, operation: &str) -> Vec<serde_json::Value> {
        let target = format!("amazonec2containerservicev20141113.{}", operation.to_ascii_lowercase());
        let mut out = Vec::new();
        for buf in self.sent.lock().unwrap().iter() {
            let bytes = buf.lock().unwrap().clone();
            let mut rest = &bytes[..];
            while let Some(end) = rest.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&rest[..end]).to_ascii_lowercase();
                let header = |name: &str| {
                    head.lines()
                        .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
                };
                let len: usize = header("content-length:").and_then(|n| n.parse().ok()).unwrap_or(0);
                let body = &rest[end + 4..(end + 4 + len).min(rest.len())];
                if header("x-amz-target:").as_deref() == Some(target.as_str()) {
                    out.push(serde_json::from_slice(body).expect("a JSON request body"));
                }
                rest = &rest[(end + 4 + len).min(rest.len())..];
            }
        }
        out
    }
}

/// A world whose provider reaches ECS through a [`RecordingProxy`]; `w.aws` (direct calls) does not.
async fn recorded_world() -> (World, RecordingProxy) {
    let moto = infra_testkit::Moto::start();
    let proxy = RecordingProxy::start(moto.port);
    let direct = provider_config(&moto, &[]);
    let mut config = direct.clone();
    let mut endpoints = config.get_list("endpoints")[0].clone();
    endpoints.set_attr("ecs", Value::string(proxy.endpoint()));
    config.set_attr("endpoints", Value::List(vec![endpoints]));
    let provider = infra_aws::provider();
    let client = provider.configure(&config).await.expect("configure the provider");
    let aws = infra_aws::config::AwsConfig::from_value(&direct)
        .unwrap()
        .connect()
        .await
        .unwrap();
    let w = World {
        moto,
        provider,
        client,
        aws,
    };
    (w, proxy)
}

/// A strategy item as configured: `base`/`weight` left out when `None`.
fn strategy_item(provider: &str, weight: Option<i64>, base: Option<i64>) -> Value {
    let mut m = Value::map([("capacity_provider", Value::from(provider))]);
    if let Some(w) = weight {
        m.set_attr("weight", Value::int(w));
    }
    if let Some(b) = base {
        m.set_attr("base", Value::int(b));
    }
    m
}

/// A strategy as (provider, weight, base) triples, sorted: from a stored set or from an API request body
/// (where a left-out `weight`/`base` is 0, the API's default).
fn triples(v: &Value) -> Vec<(String, i64, i64)> {
    let mut out: Vec<_> = v
        .as_list()
        .unwrap_or(&[])
        .iter()
        .map(|i| {
            (
                i.get_str("capacity_provider").unwrap().to_string(),
                i.get_i64("weight").unwrap(),
                i.get_i64("base").unwrap(),
            )
        })
        .collect();
    out.sort();
    out
}

fn json_triples(v: &serde_json::Value) -> Vec<(String, i64, i64)> {
    let mut out: Vec<_> = v
        .as_array()
        .expect("a strategy array")
        .iter()
        .map(|i| {
            (
                i["capacityProvider"].as_str().unwrap().to_string(),
                i.get("weight").and_then(serde_json::Value::as_i64).unwrap_or(0),
                i.get("base").and_then(serde_json::Value::as_i64).unwrap_or(0),
            )
        })
        .collect();
    out.sort();
    out
}

fn triple(p: &str, weight: i64, base: i64) -> (String, i64, i64) {
    (p.to_string(), weight, base)
}

fn capacity_providers_config(cluster: &str, providers: &[&str], strategy: Vec<Value>) -> Value {
    Value::map([
        ("cluster_name", Value::from(cluster)),
        ("capacity_providers", Value::string_set(providers)),
        ("default_capacity_provider_strategy", Value::List(strategy)),
    ])
}

/// A cluster's capacity providers and default strategy (sorted) and its status, as ECS has them.
async fn cluster_lists(w: &World, name: &str) -> (Vec<String>, Vec<(String, i64, i64)>, String) {
    let out = w.aws.ecs().describe_clusters().clusters(name).send().await.unwrap();
    let cl = &out.clusters()[0];
    let mut providers = cl.capacity_providers().to_vec();
    providers.sort();
    let mut strategy: Vec<_> = cl
        .default_capacity_provider_strategy()
        .iter()
        .map(|i| (i.capacity_provider().to_string(), i.weight() as i64, i.base() as i64))
        .collect();
    strategy.sort();
    (providers, strategy, cl.status().unwrap_or_default().to_string())
}

/// `aws_ecs_cluster_capacity_providers`: PutClusterCapacityProviders on create and update, read back from
/// DescribeClusters (batched), imported by cluster name, adopted by find_created only when the cluster
/// holds the planned lists, and deleted by putting empty lists (the cluster stays).
#[tokio::test]
async fn cluster_capacity_providers_lifecycle() {
    let w = world().await;
    const T: &str = "aws_ecs_cluster_capacity_providers";
    for name in ["stage", "other"] {
        create(
            &w,
            "aws_ecs_cluster",
            &format!("aws_ecs_cluster.{name}"),
            &cluster_config(name, "disabled"),
        )
        .await;
    }
    let cfg = capacity_providers_config(
        "stage",
        &["FARGATE", "FARGATE_SPOT"],
        vec![strategy_item("FARGATE", Some(1), Some(1))],
    );
    let c1 = create(&w, T, "aws_ecs_cluster_capacity_providers.this", &cfg).await;
    assert_eq!(id(&c1), "stage");
    assert_eq!(c1.get_str("cluster_name"), Some("stage"));
    assert_eq!(
        c1.get("capacity_providers"),
        Some(&Value::string_set(["FARGATE", "FARGATE_SPOT"]))
    );
    assert_eq!(
        triples(c1.get("default_capacity_provider_strategy").unwrap()),
        vec![triple("FARGATE", 1, 1)]
    );
    assert_eq!(
        cluster_lists(&w, "stage").await,
        (
            vec!["FARGATE".to_string(), "FARGATE_SPOT".to_string()],
            vec![triple("FARGATE", 1, 1)],
            "ACTIVE".to_string()
        )
    );
    assert_eq!(read(&w, T, &c1).await.as_ref(), Some(&c1));
    assert_no_diff(&w, T, &c1, &cfg);

    // In place: another provider in the default strategy (its base left out: 0), a provider dropped.
    let cfg2 = capacity_providers_config(
        "stage",
        &["FARGATE_SPOT"],
        vec![strategy_item("FARGATE_SPOT", Some(3), None)],
    );
    let c2 = update(&w, T, "aws_ecs_cluster_capacity_providers.this", &c1, &cfg2).await;
    assert_eq!(id(&c2), "stage");
    assert_eq!(
        cluster_lists(&w, "stage").await,
        (
            vec!["FARGATE_SPOT".to_string()],
            vec![triple("FARGATE_SPOT", 3, 0)],
            "ACTIVE".to_string()
        )
    );
    assert_eq!(read(&w, T, &c2).await.as_ref(), Some(&c2));
    assert_no_diff(&w, T, &c2, &cfg2);
    // The same strategy with the default written out is no change.
    let explicit = capacity_providers_config(
        "stage",
        &["FARGATE_SPOT"],
        vec![strategy_item("FARGATE_SPOT", Some(3), Some(0))],
    );
    assert_no_diff(&w, T, &c2, &explicit);
    // Another cluster replaces; a cluster ARN (or any non-name) is refused at plan time; so is a weight
    // above 1000.
    let (_, replace) = plan(&w, T, Some(&c2), &capacity_providers_config("other", &[], vec![])).unwrap();
    assert_eq!(replace, vec![Path::attr("cluster_name")]);
    let schema = schema_of(&w, T);
    let name_check = schema.block.attributes["cluster_name"].check.as_ref().unwrap();
    assert!(
        name_check
            .check(&Value::from("arn:aws:ecs:us-east-1:123456789012:cluster/stage"))
            .is_err()
    );
    let strategy = &schema.block.blocks["default_capacity_provider_strategy"].block;
    assert!(
        strategy.attributes["weight"]
            .check
            .as_ref()
            .unwrap()
            .check(&Value::int(1001))
            .is_err()
    );
    assert!(strategy.attributes["capacity_provider"].required);

    // Import by cluster name; find_created adopts only a cluster already holding the planned lists.
    let imported = w.client.import(T, "stage").await.unwrap().unwrap();
    assert_eq!(imported, c2);
    let (planned2, _) = plan(&w, T, None, &cfg2).unwrap();
    let c = ctx("aws_ecs_cluster_capacity_providers.this");
    assert_eq!(
        w.client.find_created(&c, T, &planned2).await.unwrap().as_ref(),
        Some(&c2)
    );
    let (planned1, _) = plan(&w, T, None, &cfg).unwrap();
    assert!(w.client.find_created(&c, T, &planned1).await.unwrap().is_none());

    // Batched read: one DescribeClusters for all; a cluster that never existed reads as gone.
    let other = create(
        &w,
        T,
        "aws_ecs_cluster_capacity_providers.other",
        &capacity_providers_config("other", &["FARGATE"], vec![]),
    )
    .await;
    assert_eq!(other.get_list("default_capacity_provider_strategy").len(), 0);
    let nope = c2.clone().with("id", Value::from("nope"));
    let calls = ApiCalls::record();
    let got = w.client.read(T, &[other.clone(), nope.clone(), c2.clone()]).await;
    let made = calls.take();
    assert_eq!(got[0].as_ref().unwrap().as_ref(), Some(&other));
    assert!(got[1].as_ref().unwrap().is_none());
    assert_eq!(got[2].as_ref().unwrap().as_ref(), Some(&c2));
    assert_eq!(made.len(), 1, "{made:?}");
    assert_eq!(made[0].1, "DescribeClusters");

    // Delete: both lists emptied, the cluster kept; a cluster that is gone is a delete done.
    w.client
        .delete(&ctx("aws_ecs_cluster_capacity_providers.this"), T, &c2)
        .await
        .unwrap();
    assert_eq!(cluster_lists(&w, "stage").await, (vec![], vec![], "ACTIVE".to_string()));
    w.client
        .delete(&ctx("aws_ecs_cluster_capacity_providers.nope"), T, &nope)
        .await
        .unwrap();
}

/// `capacity_provider_strategy` of `aws_ecs_service`: sent on create (checked on the wire: moto's
/// CreateService drops it), read back, changed in place with `force_new_deployment`, and replaced otherwise,
/// as hashicorp/aws 5.100's custom diff decides.
#[tokio::test]
async fn service_capacity_provider_strategy() {
    let (w, proxy) = recorded_world().await;
    let (w, cluster, td, subnets, sg) = service_world_in(w).await;
    create(
        &w,
        "aws_ecs_cluster_capacity_providers",
        "aws_ecs_cluster_capacity_providers.this",
        &capacity_providers_config(
            "stage",
            &["FARGATE", "FARGATE_SPOT"],
            vec![strategy_item("FARGATE", Some(1), Some(1))],
        ),
    )
    .await;
    let with_strategy = |spot_weight: i64| {
        let mut c = service_config("api", &cluster, &td, &subnets, &sg, 2);
        c.set_attr("launch_type", Value::Null);
        c.set_attr(
            "capacity_provider_strategy",
            Value::List(vec![
                strategy_item("FARGATE_SPOT", Some(spot_weight), None),
                strategy_item("FARGATE", Some(1), Some(1)),
            ]),
        );
        c
    };
    let cfg = with_strategy(3);
    let (planned, _) = plan(&w, "aws_ecs_service", None, &cfg).unwrap();
    assert!(
        planned.get("launch_type").is_some_and(Value::is_unknown),
        "ECS decides: {:?}",
        planned.get("launch_type")
    );
    assert_eq!(
        triples(planned.get("capacity_provider_strategy").unwrap()),
        vec![triple("FARGATE", 1, 1), triple("FARGATE_SPOT", 3, 0)],
        "an unset base is 0"
    );
    let s1 = w
        .client
        .create(&ctx("aws_ecs_service.api"), "aws_ecs_service", &planned)
        .await
        .unwrap();
    let sent = proxy.bodies("CreateService");
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(
        json_triples(&sent[0]["capacityProviderStrategy"]),
        vec![triple("FARGATE", 1, 1), triple("FARGATE_SPOT", 3, 0)],
        "{}",
        sent[0]
    );
    assert!(sent[0].get("launchType").is_none(), "{}", sent[0]);

    // moto's CreateService dropped the strategy (and reports launch type EC2, its default). Give moto the
    // strategy the create sent, out of band, so it holds what ECS holds after this create.
    let arn = id(&s1);
    assert!(s1.get_list("capacity_provider_strategy").is_empty(), "moto keeps none");
    w.aws
        .ecs()
        .update_service()
        .cluster("stage")
        .service(&arn)
        .set_capacity_provider_strategy(Some(
            infra_aws::ecs::strategy_items(planned.get_list("capacity_provider_strategy")).unwrap(),
        ))
        .send()
        .await
        .unwrap();
    let s1 = read(&w, "aws_ecs_service", &s1).await.unwrap();
    assert_eq!(
        triples(s1.get("capacity_provider_strategy").unwrap()),
        vec![triple("FARGATE", 1, 1), triple("FARGATE_SPOT", 3, 0)]
    );
    assert_no_diff(&w, "aws_ecs_service", &s1, &cfg);
    // The same strategy in another order, with the default base written out: no change.
    let mut reordered = cfg.clone();
    reordered.set_attr(
        "capacity_provider_strategy",
        Value::List(vec![
            strategy_item("FARGATE", Some(1), Some(1)),
            strategy_item("FARGATE_SPOT", Some(3), Some(0)),
        ]),
    );
    assert_no_diff(&w, "aws_ecs_service", &s1, &reordered);

    // Without force_new_deployment a changed strategy replaces the service.
    let (_, replace) = plan(&w, "aws_ecs_service", Some(&s1), &with_strategy(4)).unwrap();
    assert_eq!(replace, vec![Path::attr("capacity_provider_strategy")]);
    // With it, a strategy that stays non-empty changes in place: UpdateService with the new strategy and
    // a new deployment.
    let mut cfg2 = with_strategy(4);
    cfg2.set_attr("force_new_deployment", Value::Bool(true));
    let s2 = update(&w, "aws_ecs_service", "aws_ecs_service.api", &s1, &cfg2).await;
    assert_eq!(id(&s2), arn);
    let sent = proxy.bodies("UpdateService");
    let last = sent.last().expect("an UpdateService call");
    assert_eq!(
        json_triples(&last["capacityProviderStrategy"]),
        vec![triple("FARGATE", 1, 1), triple("FARGATE_SPOT", 4, 0)],
        "{last}"
    );
    assert_eq!(last["forceNewDeployment"], serde_json::Value::Bool(true), "{last}");
    let described = w
        .aws
        .ecs()
        .describe_services()
        .cluster("stage")
        .services(&arn)
        .send()
        .await
        .unwrap();
    let spot = described.services()[0]
        .capacity_provider_strategy()
        .iter()
        .find(|i| i.capacity_provider() == "FARGATE_SPOT")
        .map(|i| i.weight());
    assert_eq!(spot, Some(4));
    assert_eq!(
        triples(s2.get("capacity_provider_strategy").unwrap()),
        vec![triple("FARGATE", 1, 1), triple("FARGATE_SPOT", 4, 0)]
    );
    assert_eq!(read(&w, "aws_ecs_service", &s2).await.as_ref(), Some(&s2));
    assert_no_diff(&w, "aws_ecs_service", &s2, &cfg2);

    // Even with force_new_deployment, adding a strategy to a service without one, or removing it,
    // replaces the service.
    let mut removed = cfg2.clone();
    removed.set_attr("capacity_provider_strategy", Value::Null);
    let (_, replace) = plan(&w, "aws_ecs_service", Some(&s2), &removed).unwrap();
    assert_eq!(replace, vec![Path::attr("capacity_provider_strategy")]);
    let without = s2.clone().with("capacity_provider_strategy", Value::Set(vec![]));
    let (_, replace) = plan(&w, "aws_ecs_service", Some(&without), &cfg2).unwrap();
    assert_eq!(replace, vec![Path::attr("capacity_provider_strategy")]);
    // A weight or base out of range is refused at plan time; the provider is required.
    let schema = schema_of(&w, "aws_ecs_service");
    let item = &schema.block.blocks["capacity_provider_strategy"];
    assert_eq!(item.nesting, infra_provider::Nesting::Set);
    assert!(!item.force_new);
    let check = |k: &str, n: i64| item.block.attributes[k].check.as_ref().unwrap().check(&Value::int(n));
    assert!(check("weight", 1001).is_err());
    assert!(check("weight", 1000).is_ok());
    assert!(check("base", 100_001).is_err());
    assert!(item.block.attributes["capacity_provider"].required);

    // Import reads the strategy; the delete works as for any service.
    let imported = w.client.import("aws_ecs_service", "stage/api").await.unwrap().unwrap();
    assert_eq!(
        triples(imported.get("capacity_provider_strategy").unwrap()),
        vec![triple("FARGATE", 1, 1), triple("FARGATE_SPOT", 4, 0)]
    );
    w.client
        .delete(&ctx("aws_ecs_service.api"), "aws_ecs_service", &s2)
        .await
        .unwrap();
    assert_eq!(read(&w, "aws_ecs_service", &s2).await, None);
}
