//! The whole AWS stage stack, `plans/araquem-stage`, on moto through the binary: it applies from empty in
//! the start order the team asked for (Tempo before the collector, ollama before the one-off jobs, the API
//! before the scheduled jobs), every service is registered in the Cloud Map namespace, the schedules start
//! the right task definitions, a second plan is empty (and cheap in API calls), the changes a team makes
//! day to day are planned as Terraform would plan them, and destroy leaves nothing of ours.

use crate::support::{World, api_calls};
use serde_json::Value as Json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const ENV: &str = "stage";
const CLUSTER: &str = "araquem-stage";
const SCHEDULE_GROUP: &str = "araquem-stage-jobs";
const SERVICES: [&str; 7] = [
    "api",
    "redis",
    "ollama",
    "prometheus",
    "grafana",
    "tempo",
    "otel-collector",
];

/// A moto server of this test's own on which every ECS service runs its desired tasks
/// (`MOTO_ECS_SERVICE_RUNNING=1`: the stage runs one task per service), so the plan's
/// `wait_for_steady_state` ends as on AWS. On the moto of `World::aws` no task ever runs.
struct RunningMoto {
    child: Child,
    port: u16,
}

impl RunningMoto {
    fn start() -> RunningMoto {
        let bin = infra_testkit::tools_dir().join("venv/bin/moto_server");
        assert!(
            bin.exists(),
            "moto server not found at {}: run scripts/tools.sh first",
            bin.display()
        );
        for _ in 0..5 {
            let port = infra_testkit::free_port();
            let mut child = Command::new(&bin)
                .args(["-H", "127.0.0.1", "-p", &port.to_string()])
                .env("MOTO_IAM_LOAD_MANAGED_POLICIES", "true")
                .env("MOTO_ECS_SERVICE_RUNNING", "1")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", bin.display()));
            if infra_testkit::wait_for_port(port, Duration::from_secs(30)) {
                return RunningMoto { child, port };
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("moto server did not start");
    }

    fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .endpoint_url(self.endpoint())
            .region(aws_config::Region::new("us-east-1"))
            .credentials_provider(aws_sdk_ec2::config::Credentials::new(
                "testing", "testing", None, None, "test",
            ))
            .load()
            .await
    }

    /// One call of a moto JSON API the tests have no SDK for (Cloud Map, EventBridge Scheduler): moto
    /// takes the service from the Authorization header's credential scope and does not check signatures.
    fn call(&self, service: &str, method: &str, path: &str, target: Option<&str>, body: &str) -> (u16, Json) {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect to moto");
        let target = target.map(|t| format!("X-Amz-Target: {t}\r\n")).unwrap_or_default();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: AWS4-HMAC-SHA256 Credential=testing/20240101/us-east-1/{service}/aws4_request, SignedHeaders=host, Signature=0\r\n{target}Content-Type: application/x-amz-json-1.1\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n{body}",
            port = self.port,
            len = body.len(),
        )
        .unwrap();
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).unwrap();
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
        (status, serde_json::from_str(body).unwrap_or(Json::Null))
    }

    /// Cloud Map (`Route53AutoNaming_v20170314.OP`).
    fn cloud_map(&self, op: &str, body: &str) -> Json {
        let (status, j) = self.call(
            "servicediscovery",
            "POST",
            "/",
            Some(&format!("Route53AutoNaming_v20170314.{op}")),
            body,
        );
        assert_eq!(status, 200, "{op}: {j}");
        j
    }

    /// EventBridge Scheduler's `GetSchedule`: `None` when there is no such schedule.
    fn schedule(&self, name: &str) -> Option<Json> {
        let (status, j) = self.call(
            "scheduler",
            "GET",
            &format!("/schedules/{name}?groupName={SCHEDULE_GROUP}"),
            None,
            "",
        );
        match status {
            200 => Some(j),
            404 => None,
            _ => panic!("GetSchedule {name}: {status} {j}"),
        }
    }
}

impl Drop for RunningMoto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `plans/araquem-stage` on a [`RunningMoto`], with the variables `World::stage` sets (ECS Exec and the
/// health-check grace period off: moto's CreateService drops both).
fn stage_world(token: &str) -> (World, RunningMoto) {
    let moto = RunningMoto::start();
    let env = [
        ("AWS_ENDPOINT_URL", moto.endpoint().as_str()),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing"),
        ("AWS_REGION", "us-east-1"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
        ("TF_VAR_quality_ops_token", token),
        ("TF_VAR_ecs_exec_enabled", "false"),
        ("TF_VAR_api_health_check_grace_seconds", "0"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let w = World {
        dir: tempfile::tempdir().unwrap(),
        moto: None,
        digitalocean: None,
        env,
    };
    w.copy_plan("araquem-stage");
    (w, moto)
}

/// The line of apply's progress output where `addr` reports `event` (`Creating...`, `Creation complete`).
fn progress_line(out: &str, addr: &str, event: &str) -> usize {
    let prefix = format!("{addr}: {event}");
    out.lines()
        .position(|l| l.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in the apply output:\n{out}"))
}

/// `first` finished being created (its provider's waits included) before `then` started.
fn created_before(out: &str, first: &str, then: &str) {
    assert!(
        progress_line(out, first, "Creation complete") < progress_line(out, then, "Creating..."),
        "{first} must be up before {then} is created:\n{}",
        out.lines()
            .filter(|l| l.starts_with(first) || l.starts_with(then))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The state's attributes of one resource instance.
fn attributes(state: &Json, addr: &str) -> Json {
    state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == addr)
        .unwrap_or_else(|| panic!("{addr} not in state"))["attributes"]
        .clone()
}

fn edit(w: &World, file: &str, from: &str, to: &str) {
    let p = w.cfg().join(file);
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(text.contains(from), "{file} has no {from:?}");
    std::fs::write(&p, text.replacen(from, to, 1)).unwrap();
}

/// The header lines of a plan: `# ADDR will be created`, `# ADDR must be replaced`...
fn headers(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("# ") && (l.contains(" will be ") || l.contains(" must be ")))
        .map(str::to_string)
        .collect()
}

#[tokio::test]
async fn the_stage_stack_applies_in_order_replans_to_nothing_changes_in_place_and_destroys() {
    let (w, moto) = stage_world("qot-5ecr3t-f00d");

    // The start order is in the graph: the second wave of services after the first, the one-off jobs'
    // schedules after the first wave (ollama), the scheduled jobs' after the second (the API).
    let graph = w.infra(&["graph"]);
    let graph = graph.ok();
    for edge in [
        r#""aws_ecs_service.dependent" -> "aws_ecs_service.service""#,
        r#""aws_scheduler_schedule.once" -> "aws_ecs_service.service""#,
        r#""aws_scheduler_schedule.recurring" -> "aws_ecs_service.dependent""#,
        r#""aws_ecs_service.service" -> "aws_service_discovery_service.service""#,
    ] {
        assert!(graph.contains(edge), "{edge}\n{graph}");
    }

    let r = w.infra(&["apply", "--env", ENV, "--auto-approve"]);
    let out = r.ok();
    assert!(
        out.contains("Apply complete! Resources: 136 added, 0 changed, 0 destroyed."),
        "{out}"
    );
    assert!(!r.all().contains("qot-5ecr3t-f00d"), "the token is never printed");

    // ...and the apply follows it: each service others wait for is steady (its create waits for that)
    // before what needs it is created.
    created_before(
        out,
        r#"aws_ecs_service.service["tempo"]"#,
        r#"aws_ecs_service.dependent["otel-collector"]"#,
    );
    for first in ["redis", "ollama", "tempo"] {
        created_before(
            out,
            &format!(r#"aws_ecs_service.service["{first}"]"#),
            r#"aws_ecs_service.dependent["api"]"#,
        );
    }
    for job in ["ollama-init", "rag-indexer"] {
        created_before(
            out,
            r#"aws_ecs_service.service["ollama"]"#,
            &format!(r#"aws_scheduler_schedule.once["{job}"]"#),
        );
    }
    for job in ["quality-cron", "rag-refresh-cron"] {
        created_before(
            out,
            r#"aws_ecs_service.dependent["api"]"#,
            &format!(r#"aws_scheduler_schedule.recurring["{job}"]"#),
        );
    }

    let state = w.state_json(ENV);
    let resources = state["resources"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["mode"] == "managed")
        .count();
    assert_eq!(resources, 136, "managed resource instances in state");
    let lineage = state["lineage"].as_str().unwrap().to_string();
    assert!(
        state["outputs"]["alb_dns_name"]["value"].is_string(),
        "{}",
        state["outputs"]
    );

    // Every service is registered in the namespace: a Cloud Map service of its name in
    // araquem.internal (an A record, health reported by ECS), and the ECS service's registry is it.
    let namespaces = moto.cloud_map("ListNamespaces", "{}");
    let ns = namespaces["Namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["Name"] == "araquem.internal")
        .unwrap_or_else(|| panic!("no araquem.internal namespace: {namespaces}"));
    assert_eq!(ns["Type"], "DNS_PRIVATE", "{ns}");
    let ns_id = ns["Id"].as_str().unwrap();
    let listed = moto.cloud_map("ListServices", "{}");
    let registry = |name: &str| -> String {
        let s = listed["Services"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["Name"] == name && s["DnsConfig"]["NamespaceId"] == ns_id)
            .unwrap_or_else(|| panic!("no Cloud Map service {name} in {ns_id}: {listed}"));
        assert_eq!(s["DnsConfig"]["DnsRecords"][0]["Type"], "A", "{s}");
        assert!(s["HealthCheckCustomConfig"].is_object(), "{s}");
        s["Arn"].as_str().unwrap().to_string()
    };
    let ecs = aws_sdk_ecs::Client::new(&moto.sdk_config().await);
    let described = ecs
        .describe_services()
        .cluster(CLUSTER)
        .set_services(Some(SERVICES.iter().map(|s| s.to_string()).collect()))
        .send()
        .await
        .unwrap();
    assert_eq!(described.services().len(), SERVICES.len(), "{described:?}");
    for svc in described.services() {
        let name = svc.service_name().unwrap();
        let arns: Vec<&str> = svc
            .service_registries()
            .iter()
            .filter_map(|r| r.registry_arn())
            .collect();
        assert_eq!(
            arns,
            [registry(name).as_str()],
            "ECS service {name} registers in Cloud Map"
        );
    }

    // The schedules exist and start the right task definitions: the jobs' own, on Fargate in the private
    // subnets with the jobs' security group and no public IP, as the scheduler's role.
    let sg_jobs = attributes(&state, "aws_security_group.jobs")["id"]
        .as_str()
        .unwrap()
        .to_string();
    let role = attributes(&state, "aws_iam_role.scheduler")["arn"]
        .as_str()
        .unwrap()
        .to_string();
    let private: Vec<String> = (0..2)
        .map(|i| {
            attributes(&state, &format!("aws_subnet.private[{i}]"))["id"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    for (job, expression) in [
        ("quality-cron", "cron(0 6 * * ? *)"),
        ("rag-refresh-cron", "cron(30 2 * * ? *)"),
        ("ollama-init", "at(2026-12-03T09:00:00)"),
        ("rag-indexer", "at(2026-12-03T09:30:00)"),
    ] {
        let s = moto.schedule(job).unwrap_or_else(|| panic!("no schedule {job}"));
        assert_eq!(s["ScheduleExpression"], expression, "{s}");
        let td_arn = attributes(&state, &format!(r#"aws_ecs_task_definition.job["{job}"]"#))["arn"].clone();
        let target = &s["Target"];
        assert_eq!(target["EcsParameters"]["TaskDefinitionArn"], td_arn, "{job}: {s}");
        assert!(
            td_arn
                .as_str()
                .unwrap()
                .contains(&format!(":task-definition/araquem-stage-{job}:")),
            "{td_arn}"
        );
        assert_eq!(target["RoleArn"], role.as_str(), "{s}");
        assert_eq!(target["EcsParameters"]["LaunchType"], "FARGATE", "{s}");
        let vpc = &target["EcsParameters"]["NetworkConfiguration"]["awsvpcConfiguration"];
        assert_eq!(vpc["AssignPublicIp"], "DISABLED", "{s}");
        assert_eq!(vpc["SecurityGroups"], serde_json::json!([sg_jobs]), "{s}");
        let mut subnets: Vec<String> = vpc["Subnets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        subnets.sort();
        let mut want = private.clone();
        want.sort();
        assert_eq!(subnets, want, "{s}");

        // The job's container: its image, awslogs, and the token only as a secret.
        let td = ecs
            .describe_task_definition()
            .task_definition(td_arn.as_str().unwrap())
            .send()
            .await
            .unwrap();
        let c = &td.task_definition().unwrap().container_definitions()[0];
        assert!(c.image().unwrap().ends_with(&format!("araquem/{job}:latest")), "{c:?}");
        let logs = c.log_configuration().unwrap();
        assert_eq!(logs.log_driver().as_str(), "awslogs");
        assert_eq!(
            logs.options().unwrap().get("awslogs-group").map(String::as_str),
            Some(format!("/ecs/araquem-stage/{job}").as_str())
        );
        // The services by their internal names.
        let env = |name: &str| {
            c.environment()
                .iter()
                .find(|e| e.name() == Some(name))
                .and_then(|e| e.value())
        };
        if job == "ollama-init" {
            assert_eq!(
                env("OLLAMA_HOST"),
                Some("http://ollama.araquem.internal:11434"),
                "{c:?}"
            );
        } else {
            assert_eq!(env("API_URL"), Some("http://api.araquem.internal:8000"), "{c:?}");
        }
        assert!(
            !c.environment().iter().any(|e| e.name() == Some("QUALITY_OPS_TOKEN")),
            "{c:?}"
        );
        let secret = attributes(&state, "aws_secretsmanager_secret.quality_ops_token")["arn"].clone();
        let token_from: Vec<&str> = c
            .secrets()
            .iter()
            .filter(|s| s.name() == "QUALITY_OPS_TOKEN")
            .map(|s| s.value_from())
            .collect();
        if job.ends_with("-cron") {
            assert_eq!(token_from, [secret.as_str().unwrap()], "{c:?}");
        } else {
            assert!(token_from.is_empty(), "{c:?}");
        }
    }

    // A second plan changes nothing, and reads in batches.
    let r = w.infra_env(
        &["plan", "--env", ENV, "--detailed-exitcode"],
        &[("INFRA_LOG", "infra::api=debug")],
    );
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(r.stdout.contains("No changes."), "{}", r.stdout);
    let calls = api_calls(&r.stderr);
    let per_resource = calls as f64 / resources as f64;
    eprintln!(
        "no-op plan of the stage stack: {calls} API calls for {resources} resources = {per_resource:.2} per resource"
    );
    // On moto: 57 calls for 105 resources (0.54) before service discovery, the jobs and the alarms, 76
    // for 136 (0.56) with them. A regression in batching or in the calls a refresh shares across types
    // shows up here.
    assert!(
        per_resource < 0.6,
        "{calls} calls for {resources} resources:\n{}",
        r.stderr
    );

    // One service's desired count: an in-place update of exactly that service.
    edit(
        &w,
        "stage.tfvars",
        "api            = { cpu = 1024, memory = 2048, desired_count = 1 }",
        "api            = { cpu = 1024, memory = 2048, desired_count = 2 }",
    );
    let r = w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert_eq!(
        headers(&r.stdout),
        vec![r#"# aws_ecs_service.dependent["api"] will be updated in-place"#.to_string()],
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy."),
        "{}",
        r.stdout
    );
    let r = w.infra(&["apply", "--env", ENV, "--auto-approve"]);
    assert!(
        r.ok()
            .contains("Apply complete! Resources: 0 added, 1 changed, 0 destroyed."),
        "{}",
        r.stdout
    );
    assert_eq!(w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]).code, 0);

    // One task's image: a new revision of that task definition (Terraform replaces it) and its service
    // updated in place to use it; nothing else.
    edit(&w, "ecs.tf", "redis:7.4-alpine", "redis:7.4.2-alpine");
    let r = w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    let h = headers(&r.stdout);
    assert_eq!(h.len(), 2, "{h:?}\n{}", r.stdout);
    assert!(
        h.contains(&r#"# aws_ecs_task_definition.service["redis"] must be replaced"#.to_string()),
        "{h:?}"
    );
    assert!(
        h.contains(&r#"# aws_ecs_service.service["redis"] will be updated in-place"#.to_string()),
        "{h:?}"
    );
    // The multi-line `container_definitions = jsonencode(...)` ends with the replacement's reason.
    assert!(
        r.stdout.contains("~ container_definitions = jsonencode("),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.lines().any(|l| l.trim() == ") # forces replacement"),
        "{}",
        r.stdout
    );
    let r = w.infra(&["apply", "--env", ENV, "--auto-approve"]);
    assert!(r.ok().contains("Apply complete!"), "{}", r.stdout);
    assert_eq!(w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]).code, 0);

    // The engine version and the instance class: the update RDS allows, in place.
    let r = w.infra(&[
        "plan",
        "--env",
        ENV,
        "--detailed-exitcode",
        "--var",
        "db_engine_version=16.8",
        "--var",
        "db_instance_class=db.t4g.small",
    ]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert_eq!(
        headers(&r.stdout),
        vec!["# aws_db_instance.main will be updated in-place".to_string()],
        "{}",
        r.stdout
    );
    assert!(
        r.stdout.contains(r#"engine_version"#) && r.stdout.contains(r#""16.8""#),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains(r#""db.t4g.small""#), "{}", r.stdout);

    // The DB subnet group's name: a replacement that names it (and of the instance, which moves).
    edit(
        &w,
        "database.tf",
        "name        = \"${local.name}-db\"",
        "name        = \"${local.name}-postgres\"",
    );
    let r = w.infra(&["plan", "--env", ENV, "--detailed-exitcode"]);
    assert_eq!(r.code, 2, "{}", r.all());
    assert!(
        headers(&r.stdout).contains(&"# aws_db_subnet_group.main must be replaced".to_string()),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .lines()
            .any(|l| l.trim_start().starts_with("~ name") && l.contains("# forces replacement")),
        "{}",
        r.stdout
    );
    edit(
        &w,
        "database.tf",
        "name        = \"${local.name}-postgres\"",
        "name        = \"${local.name}-db\"",
    );

    // Destroy leaves nothing of ours.
    let r = w.infra(&["destroy", "--env", ENV, "--auto-approve"]);
    assert!(r.ok().contains("Destroy complete!"), "{}", r.stdout);
    let left = w.state_json(ENV)["resources"].as_array().unwrap().len();
    assert_eq!(left, 0);
    assert_eq!(
        moto.cloud_map("ListNamespaces", "{}")["Namespaces"],
        serde_json::json!([])
    );
    assert_eq!(moto.cloud_map("ListServices", "{}")["Services"], serde_json::json!([]));
    for job in ["quality-cron", "rag-refresh-cron", "ollama-init", "rag-indexer"] {
        assert!(moto.schedule(job).is_none(), "schedule {job} left");
    }
    let (status, _) = moto.call(
        "scheduler",
        "GET",
        &format!("/schedule-groups/{SCHEDULE_GROUP}"),
        None,
        "",
    );
    assert_eq!(status, 404, "the schedule group is gone");
    let left = ecs
        .describe_services()
        .cluster(CLUSTER)
        .set_services(Some(SERVICES.iter().map(|s| s.to_string()).collect()))
        .send()
        .await;
    assert!(
        left.as_ref()
            .map_or(true, |d| d.services().iter().all(|s| s.status() == Some("INACTIVE"))),
        "{left:?}"
    );
    let ec2 = aws_sdk_ec2::Client::new(&moto.sdk_config().await);
    let mine = || {
        aws_sdk_ec2::types::Filter::builder()
            .name("tag:infra:lineage")
            .values(&lineage)
            .build()
    };
    assert!(
        ec2.describe_vpcs()
            .filters(mine())
            .send()
            .await
            .unwrap()
            .vpcs()
            .is_empty()
    );
    assert!(
        ec2.describe_subnets()
            .filters(mine())
            .send()
            .await
            .unwrap()
            .subnets()
            .is_empty()
    );
    assert!(
        ec2.describe_security_groups()
            .filters(mine())
            .send()
            .await
            .unwrap()
            .security_groups()
            .is_empty()
    );
    assert!(
        ec2.describe_nat_gateways()
            .filter(mine())
            .send()
            .await
            .unwrap()
            .nat_gateways()
            .iter()
            .all(|n| n.state().is_some_and(|s| s.as_str() == "deleted")),
    );
}
