//! `aws_ecs_service`: an ECS service. `id` is the service ARN. Desired count, task definition (a new
//! image comes as a new task definition revision), deployment settings, network configuration, load
//! balancers, service registries (Cloud Map), grace period, execute command and tag propagation change
//! in place with `UpdateService`;
//! name, cluster, launch type, scheduling strategy and IAM role force a new service, as in Terraform.
//! `capacity_provider_strategy` (a set, sent instead of a launch type) follows hashicorp/aws 5.100's
//! custom diff: a change replaces the service, unless `force_new_deployment = true` and neither the old nor
//! the new strategy is empty — then `UpdateService` changes it in place with a new deployment. Terraform does
//! not refuse a launch type next to a strategy at plan time (its documentation says they conflict); ECS
//! refuses the create. With a strategy and no launch type, `launch_type` is unknown until ECS answers
//! (none, for a service on a strategy).
//! The create passes a client token and waits for `ACTIVE` (or for a steady state with
//! `wait_for_steady_state`); the delete scales a replica service to 0, deletes it and waits until it is
//! `INACTIVE`, as Terraform does.
//!
//! Batched read: `DescribeServices` (tags included) per cluster, 10 services per call (the API's limit),
//! so N services of one cluster cost N/10 calls. A service that is missing, `DRAINING` or `INACTIVE`
//! reads as gone; so does one whose cluster is gone.
//! Import ID: `CLUSTER/SERVICE` (names), as in Terraform.

use crate::client::AwsClient;
use crate::ecs::{flatten_strategy, strategy_block, strategy_items, tag_list, tag_pairs, update_tags};
use crate::elbv2::owned;
use crate::errors::{aws_err, code_of};
use crate::tags;
use crate::values::{ReadResults, all_failed, carry, changed, complete, idempotency_token, partial_object, str_attr};
use async_trait::async_trait;
use aws_sdk_ecs::types::{
    AssignPublicIp, AwsVpcConfiguration, DeploymentCircuitBreaker, DeploymentConfiguration, DeploymentController,
    DeploymentControllerType, LaunchType, LoadBalancer, NetworkConfiguration, PropagateTags, SchedulingStrategy,
    Service, ServiceField, ServiceRegistry,
};
use infra_provider::{
    Attribute, Block, Check, NestedBlock, OpContext, Path, PlanRequest, Poll, ProviderError, ResourceType, Result,
    Schema, Timeouts, Type, Value, wait_for,
};
use std::collections::{BTreeMap, HashMap};

pub struct EcsService;

/// Most services one `DescribeServices` call takes.
const DESCRIBE_BATCH: usize = 10;

fn block() -> Block {
    Block::new()
        .id()
        .attr("name", Attribute::required(Type::String).force_new())
        .attr("cluster", Attribute::optional_computed(Type::String).force_new())
        .attr("task_definition", Attribute::optional(Type::String))
        .attr(
            "desired_count",
            Attribute::optional(Type::Number)
                .default(0)
                .check(Check::IntRange(0, i32::MAX as i64)),
        )
        .attr(
            "launch_type",
            Attribute::optional_computed(Type::String)
                .force_new()
                .one_of(crate::resources::ecs_task_definition::LAUNCH_TYPES),
        )
        .attr("platform_version", Attribute::optional_computed(Type::String))
        .attr(
            "scheduling_strategy",
            Attribute::optional(Type::String)
                .default("REPLICA")
                .force_new()
                .one_of(&["REPLICA", "DAEMON"]),
        )
        .attr("iam_role", Attribute::optional_computed(Type::String).force_new())
        .attr(
            "deployment_minimum_healthy_percent",
            Attribute::optional(Type::Number)
                .default(100)
                .check(Check::IntRange(0, 100)),
        )
        .attr(
            "deployment_maximum_percent",
            Attribute::optional(Type::Number)
                .default(200)
                .check(Check::IntRange(0, i32::MAX as i64)),
        )
        .attr(
            "health_check_grace_period_seconds",
            Attribute::optional(Type::Number).check(Check::IntRange(0, i32::MAX as i64)),
        )
        .attr("enable_execute_command", Attribute::optional(Type::Bool).default(false))
        .attr(
            "propagate_tags",
            Attribute::optional(Type::String).one_of(&["NONE", "SERVICE", "TASK_DEFINITION"]),
        )
        .attr(
            "enable_ecs_managed_tags",
            Attribute::optional(Type::Bool).default(false),
        )
        .attr("force_new_deployment", Attribute::optional(Type::Bool))
        .attr("wait_for_steady_state", Attribute::optional(Type::Bool).default(false))
        .attr("triggers", Attribute::optional_computed(Type::string_map()))
        .block(
            "network_configuration",
            NestedBlock::list(
                Block::new()
                    .attr("subnets", Attribute::required(Type::string_set()))
                    .attr("security_groups", Attribute::optional(Type::string_set()))
                    .attr("assign_public_ip", Attribute::optional(Type::Bool).default(false)),
            )
            .max(1),
        )
        .block("capacity_provider_strategy", NestedBlock::set(strategy_block()))
        .block(
            "load_balancer",
            NestedBlock::set(
                Block::new()
                    .attr("elb_name", Attribute::optional(Type::String))
                    .attr("target_group_arn", Attribute::optional(Type::String))
                    .attr("container_name", Attribute::required(Type::String))
                    .attr(
                        "container_port",
                        Attribute::required(Type::Number).check(Check::IntRange(0, 65535)),
                    ),
            ),
        )
        // In place since hashicorp/aws 4.x (UpdateService takes serviceRegistries); it used to force
        // a new service.
        .block(
            "service_registries",
            NestedBlock::list(
                Block::new()
                    .attr("registry_arn", Attribute::required(Type::String))
                    .attr(
                        "port",
                        Attribute::optional(Type::Number).check(Check::IntRange(0, 65536)),
                    )
                    .attr("container_name", Attribute::optional(Type::String))
                    .attr(
                        "container_port",
                        Attribute::optional(Type::Number).check(Check::IntRange(0, 65536)),
                    ),
            )
            .max(1),
        )
        .block(
            "deployment_circuit_breaker",
            NestedBlock::list(
                Block::new()
                    .attr("enable", Attribute::required(Type::Bool))
                    .attr("rollback", Attribute::required(Type::Bool)),
            )
            .max(1)
            .computed(),
        )
        .block(
            "deployment_controller",
            NestedBlock::list(Block::new().attr(
                "type",
                Attribute::optional(Type::String).default("ECS").force_new().one_of(&[
                    "CODE_DEPLOY",
                    "ECS",
                    "EXTERNAL",
                ]),
            ))
            .max(1)
            .computed(),
        )
        .tags()
}

/// `family:revision` of a task definition ARN.
fn family_revision(arn: &str) -> String {
    arn.rsplit_once("task-definition/")
        .map(|(_, r)| r.to_string())
        .unwrap_or_else(|| arn.to_string())
}

/// The cluster name of a cluster ARN (or the name itself).
fn cluster_name(cluster: &str) -> String {
    cluster
        .rsplit_once(":cluster/")
        .map(|(_, n)| n.to_string())
        .unwrap_or_else(|| cluster.to_string())
}

/// The cluster a prior service lives in: its `cluster`, else the one in a long-format ARN, else `default`.
fn cluster_of(prior: &Value) -> String {
    if let Some(c) = str_attr(prior, "cluster") {
        return c;
    }
    if let Some(id) = str_attr(prior, "id")
        && let Some((_, rest)) = id.split_once(":service/")
        && let Some((cluster, _)) = rest.split_once('/')
    {
        return cluster.to_string();
    }
    "default".to_string()
}

fn flatten(c: &AwsClient, s: &Service, prior: &Value) -> Value {
    // Cluster and task definition are stored the way the configuration writes them (ARN or name).
    let cluster_arn = s.cluster_arn().unwrap_or_default();
    let cluster = if prior.get_str("cluster").is_some_and(|p| p.starts_with("arn:")) {
        cluster_arn.to_string()
    } else {
        cluster_name(cluster_arn)
    };
    let task_definition = s.task_definition().map(|td| {
        if prior.get_str("task_definition").is_none_or(|p| p.starts_with("arn:")) {
            td.to_string()
        } else {
            family_revision(td)
        }
    });
    let deploy = s.deployment_configuration();
    let (min, max, breaker) = match deploy {
        Some(d) => (
            Value::opt_int(d.minimum_healthy_percent()),
            Value::opt_int(d.maximum_percent()),
            Value::List(
                d.deployment_circuit_breaker()
                    .map(|b| {
                        Value::map([
                            ("enable", Value::Bool(b.enable())),
                            ("rollback", Value::Bool(b.rollback())),
                        ])
                    })
                    .into_iter()
                    .collect(),
            ),
        ),
        // The API always reports it; an emulator may not: keep what is known.
        None => (
            carry(prior, "deployment_minimum_healthy_percent", Value::int(100)),
            carry(prior, "deployment_maximum_percent", Value::int(200)),
            prior
                .get("deployment_circuit_breaker")
                .cloned()
                .unwrap_or(Value::List(vec![])),
        ),
    };
    let network = s
        .network_configuration()
        .and_then(|n| n.awsvpc_configuration())
        .map(|a| {
            Value::map([
                ("subnets", Value::string_set(a.subnets())),
                (
                    "security_groups",
                    if a.security_groups().is_empty() {
                        Value::Null
                    } else {
                        Value::string_set(a.security_groups())
                    },
                ),
                (
                    "assign_public_ip",
                    Value::Bool(a.assign_public_ip() == Some(&AssignPublicIp::Enabled)),
                ),
            ])
        });
    let lbs: Vec<Value> = s
        .load_balancers()
        .iter()
        .map(|l| {
            Value::map([
                ("elb_name", Value::opt_string(l.load_balancer_name())),
                ("target_group_arn", Value::opt_string(l.target_group_arn())),
                ("container_name", Value::opt_string(l.container_name())),
                ("container_port", Value::opt_int(l.container_port())),
            ])
        })
        .collect();
    let registries: Vec<Value> = s
        .service_registries()
        .iter()
        .map(|r| {
            Value::map([
                ("registry_arn", Value::opt_string(r.registry_arn())),
                ("port", Value::opt_int(r.port())),
                ("container_name", Value::opt_string(r.container_name())),
                ("container_port", Value::opt_int(r.container_port())),
            ])
        })
        .collect();
    let grace = match s.health_check_grace_period_seconds() {
        Some(0)
            if prior
                .get("health_check_grace_period_seconds")
                .is_none_or(Value::is_null) =>
        {
            Value::Null
        }
        other => Value::opt_int(other),
    };
    let propagate = match s.propagate_tags().map(|p| p.as_str()) {
        Some("NONE") | None if prior.get_str("propagate_tags") != Some("NONE") => Value::Null,
        other => Value::opt_string(other),
    };
    let role = s.role_arn().map(|r| {
        if prior.get_str("iam_role").is_some_and(|p| !p.starts_with("arn:")) {
            r.rsplit('/').next().unwrap_or(r).to_string()
        } else {
            r.to_string()
        }
    });
    let mut obj = Value::map([
        ("id", Value::opt_string(s.service_arn())),
        ("name", Value::opt_string(s.service_name())),
        ("cluster", Value::string(cluster)),
        ("task_definition", Value::opt_string(task_definition)),
        ("desired_count", Value::int(s.desired_count() as i64)),
        ("launch_type", Value::opt_string(s.launch_type().map(|l| l.as_str()))),
        (
            "platform_version",
            Value::opt_string(s.platform_version()).pipe_or(|| carry(prior, "platform_version", Value::Null)),
        ),
        (
            "scheduling_strategy",
            Value::string(s.scheduling_strategy().map(|x| x.as_str()).unwrap_or("REPLICA")),
        ),
        ("iam_role", Value::opt_string(role)),
        ("deployment_minimum_healthy_percent", min),
        ("deployment_maximum_percent", max),
        ("deployment_circuit_breaker", breaker),
        ("health_check_grace_period_seconds", grace),
        ("enable_execute_command", Value::Bool(s.enable_execute_command())),
        ("propagate_tags", propagate),
        ("enable_ecs_managed_tags", Value::Bool(s.enable_ecs_managed_tags())),
        (
            "force_new_deployment",
            carry(prior, "force_new_deployment", Value::Null),
        ),
        (
            "wait_for_steady_state",
            carry(prior, "wait_for_steady_state", Value::Bool(false)),
        ),
        ("triggers", carry(prior, "triggers", Value::Null)),
        ("network_configuration", Value::List(network.into_iter().collect())),
        ("load_balancer", Value::set(lbs)),
        (
            "capacity_provider_strategy",
            flatten_strategy(s.capacity_provider_strategy()),
        ),
        ("service_registries", Value::List(registries)),
        (
            "deployment_controller",
            Value::List(vec![Value::map([(
                "type",
                Value::string(s.deployment_controller().map(|d| d.r#type().as_str()).unwrap_or("ECS")),
            )])]),
        ),
    ]);
    tags::set_read_tags(c, &mut obj, prior, tag_pairs(s.tags()));
    complete(&block(), obj)
}

/// A value, or `f()` when it is null.
trait PipeOr {
    fn pipe_or(self, f: impl FnOnce() -> Value) -> Value;
}

impl PipeOr for Value {
    fn pipe_or(self, f: impl FnOnce() -> Value) -> Value {
        if self.is_null() { f() } else { self }
    }
}

/// `DescribeServices` of some services of one cluster: the active ones.
async fn describe(c: &AwsClient, cluster: &str, services: &[String]) -> Result<Vec<Service>> {
    let mut out = Vec::new();
    for chunk in services.chunks(DESCRIBE_BATCH) {
        let got = match c
            .ecs()
            .describe_services()
            .cluster(cluster)
            .set_services(Some(chunk.to_vec()))
            .include(ServiceField::Tags)
            .send()
            .await
        {
            Ok(got) => got,
            Err(e) => {
                let e = aws_err(format!("reading ECS services of cluster {cluster}"))(e);
                // The cluster is gone, and its services with it.
                if e.is_not_found() || code_of(&e) == "ClusterNotFoundException" {
                    return Ok(Vec::new());
                }
                return Err(e);
            }
        };
        out.extend(
            got.services
                .unwrap_or_default()
                .into_iter()
                .filter(|s| s.status() == Some("ACTIVE")),
        );
    }
    Ok(out)
}

async fn read_services(c: &AwsClient, priors: &[Value]) -> Result<ReadResults> {
    let mut by_cluster: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in priors {
        if let Some(id) = str_attr(p, "id") {
            let ids = by_cluster.entry(cluster_of(p)).or_default();
            if !ids.contains(&id) {
                ids.push(id);
            }
        }
    }
    let described = futures::future::join_all(by_cluster.iter().map(|(cl, ids)| describe(c, cl, ids))).await;
    let priors_by_id: HashMap<String, &Value> = priors
        .iter()
        .filter_map(|p| str_attr(p, "id").map(|id| (id, p)))
        .collect();
    let mut results = ReadResults::new();
    for services in described {
        for s in services? {
            let arn = s.service_arn().unwrap_or_default().to_string();
            let prior = priors_by_id.get(&arn).copied().unwrap_or(&Value::Null);
            results.insert(arn, flatten(c, &s, prior));
        }
    }
    Ok(results)
}

async fn read_one(c: &AwsClient, arn: &str, prior: &Value) -> Result<Option<Value>> {
    let prior = crate::values::prior_for(prior, arn);
    crate::values::single(
        read_services(c, std::slice::from_ref(&prior))
            .await?
            .answer(&[prior], |p| str_attr(p, "id")),
    )
}

fn network(planned: &Value) -> Result<Option<NetworkConfiguration>> {
    let Some(n) = planned.get_block("network_configuration") else {
        return Ok(None);
    };
    let sgs = n.get_strings("security_groups");
    let vpc = AwsVpcConfiguration::builder()
        .set_subnets(Some(n.get_strings("subnets")))
        .set_security_groups((!sgs.is_empty()).then_some(sgs))
        .assign_public_ip(if n.get_bool("assign_public_ip") == Some(true) {
            AssignPublicIp::Enabled
        } else {
            AssignPublicIp::Disabled
        })
        .build()
        .map_err(|e| ProviderError::invalid(format!("network_configuration: {e}")))?;
    Ok(Some(NetworkConfiguration::builder().awsvpc_configuration(vpc).build()))
}

fn load_balancers(planned: &Value) -> Vec<LoadBalancer> {
    planned
        .get_list("load_balancer")
        .iter()
        .map(|l| {
            LoadBalancer::builder()
                .set_load_balancer_name(str_attr(l, "elb_name"))
                .set_target_group_arn(str_attr(l, "target_group_arn"))
                .set_container_name(str_attr(l, "container_name"))
                .set_container_port(l.get_i64("container_port").map(|p| p as i32))
                .build()
        })
        .collect()
}

fn service_registries(planned: &Value) -> Vec<ServiceRegistry> {
    planned
        .get_list("service_registries")
        .iter()
        .map(|r| {
            ServiceRegistry::builder()
                .set_registry_arn(str_attr(r, "registry_arn"))
                .set_port(r.get_i64("port").map(|p| p as i32))
                .set_container_name(str_attr(r, "container_name"))
                .set_container_port(r.get_i64("container_port").map(|p| p as i32))
                .build()
        })
        .collect()
}

fn deployment(planned: &Value, with_breaker: bool) -> DeploymentConfiguration {
    let replica = planned.get_str("scheduling_strategy") != Some("DAEMON");
    let breaker = planned.get_block("deployment_circuit_breaker").map(|b| {
        DeploymentCircuitBreaker::builder()
            .enable(b.get_bool("enable").unwrap_or(false))
            .rollback(b.get_bool("rollback").unwrap_or(false))
            .build()
    });
    DeploymentConfiguration::builder()
        .set_minimum_healthy_percent(planned.get_i64("deployment_minimum_healthy_percent").map(|n| n as i32))
        .set_maximum_percent(
            planned
                .get_i64("deployment_maximum_percent")
                .filter(|_| replica)
                .map(|n| n as i32),
        )
        .set_deployment_circuit_breaker(if with_breaker {
            // An empty breaker removes an existing one.
            Some(breaker.unwrap_or_else(|| {
                DeploymentCircuitBreaker::builder()
                    .enable(false)
                    .rollback(false)
                    .build()
            }))
        } else {
            breaker
        })
        .build()
}

/// Waits until the service is `ACTIVE`, or steady (one deployment, all desired tasks running) when the
/// configuration asks for it.
async fn wait_ready(c: &AwsClient, ctx: &OpContext, cluster: &str, arn: &str, steady: bool) -> Result<()> {
    let what = if steady {
        "service steady state"
    } else {
        "service active"
    };
    wait_for(ctx, what, || async {
        let got = c
            .ecs()
            .describe_services()
            .cluster(cluster)
            .services(arn)
            .send()
            .await
            .map_err(aws_err(format!("reading ECS service {arn}")))?;
        let Some(s) = got.services().first() else {
            return Ok(Poll::Pending("not visible yet".into()));
        };
        let status = s.status().unwrap_or_default();
        if status != "ACTIVE" {
            return Ok(Poll::Pending(status.to_string()));
        }
        if !steady {
            return Ok(Poll::Ready(()));
        }
        Ok(
            if s.deployments().len() <= 1 && s.running_count() == s.desired_count() {
                Poll::Ready(())
            } else {
                Poll::Pending(format!(
                    "{} deployments, {} of {} tasks running",
                    s.deployments().len(),
                    s.running_count(),
                    s.desired_count()
                ))
            },
        )
    })
    .await
}

/// The items of a strategy, sorted; `None` while unknown.
fn strategy_of(v: &Value) -> Option<Vec<Value>> {
    match v.get("capacity_provider_strategy") {
        None | Some(Value::Null) => Some(Vec::new()),
        Some(Value::Unknown) => None,
        Some(x) => x.as_list().map(|items| {
            let mut items = items.to_vec();
            items.sort();
            items
        }),
    }
}

/// hashicorp/aws 5.100's `capacityProviderStrategyCustomizeDiff` (internal/service/ecs/service.go): a
/// changed strategy forces a new service unless `force_new_deployment` is true and the strategy is not
/// added or removed (neither the old nor the new set is empty). A strategy not known yet counts as possibly
/// empty.
fn strategy_forces_new(prior: &Value, planned: &Value) -> bool {
    let (old, new) = (strategy_of(prior), strategy_of(planned));
    if old.is_some() && old == new {
        return false;
    }
    if planned.get_bool("force_new_deployment") != Some(true) {
        return true;
    }
    match (old, new) {
        (Some(old), Some(new)) => old.is_empty() != new.is_empty(),
        _ => true,
    }
}

fn planned_cluster(planned: &Value) -> String {
    str_attr(planned, "cluster").unwrap_or_else(|| "default".to_string())
}

#[async_trait]
impl ResourceType<AwsClient> for EcsService {
    fn name(&self) -> &'static str {
        "aws_ecs_service"
    }

    fn schema(&self) -> Schema {
        Schema::new(block())
            .timeouts(Timeouts::minutes(20, 20, 20))
            .terraform_version(1)
    }

    fn plan(&self, c: &AwsClient, req: &mut PlanRequest<'_>) -> Result<()> {
        tags::plan_tags_all(c, req);
        if let Some(prior) = req.prior {
            let path = Path::attr("capacity_provider_strategy");
            if strategy_forces_new(prior, req.planned) && !req.requires_replace.contains(&path) {
                req.requires_replace.push(path);
            }
            // As Terraform: a DAEMON service has no desired count to change.
            if req.planned.get_str("scheduling_strategy") == Some("DAEMON") {
                for k in ["desired_count", "deployment_maximum_percent"] {
                    req.planned.set_attr(k, prior.get(k).cloned().unwrap_or(Value::Null));
                }
            }
            // Terraform ignores NONE vs unset.
            if prior.get_str("propagate_tags") == Some("NONE")
                && req.config.get("propagate_tags").is_none_or(Value::is_null)
            {
                req.planned.set_attr("propagate_tags", Value::string("NONE"));
            }
        }
        Ok(())
    }

    async fn read(&self, c: &AwsClient, prior: &Value) -> Result<Option<Value>> {
        read_one(c, &crate::values::id_of(prior)?, prior).await
    }

    async fn read_many(&self, c: &AwsClient, priors: &[Value]) -> Vec<Result<Option<Value>>> {
        match read_services(c, priors).await {
            Ok(r) => r.answer(priors, |p| str_attr(p, "id")),
            Err(e) => all_failed(priors.len(), e),
        }
    }

    async fn create(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Value> {
        let name = str_attr(planned, "name").ok_or_else(|| ProviderError::invalid("name is required"))?;
        let cluster = planned_cluster(planned);
        let tags = tags::for_create(c, ctx, planned);
        let replica = planned.get_str("scheduling_strategy") != Some("DAEMON");
        let lbs = load_balancers(planned);
        let registries = service_registries(planned);
        let strategy = strategy_items(planned.get_list("capacity_provider_strategy"))?;
        let controller = planned.get_block("deployment_controller").and_then(|d| {
            DeploymentController::builder()
                .r#type(DeploymentControllerType::from(d.get_str("type").unwrap_or("ECS")))
                .build()
                .ok()
        });
        let out = c
            .ecs()
            .create_service()
            .cluster(&cluster)
            .service_name(&name)
            .client_token(idempotency_token(&ctx.client_token, 32, 36))
            .set_task_definition(str_attr(planned, "task_definition"))
            .set_desired_count(replica.then(|| planned.get_i64("desired_count").unwrap_or(0) as i32))
            .set_launch_type(str_attr(planned, "launch_type").map(|l| LaunchType::from(l.as_str())))
            .set_capacity_provider_strategy((!strategy.is_empty()).then_some(strategy))
            .set_platform_version(str_attr(planned, "platform_version"))
            .scheduling_strategy(SchedulingStrategy::from(
                planned.get_str("scheduling_strategy").unwrap_or("REPLICA"),
            ))
            .set_role(str_attr(planned, "iam_role"))
            .deployment_configuration(deployment(planned, false))
            .set_deployment_controller(controller)
            .set_network_configuration(network(planned)?)
            .set_load_balancers((!lbs.is_empty()).then_some(lbs))
            .set_service_registries((!registries.is_empty()).then_some(registries))
            .set_health_check_grace_period_seconds(
                planned.get_i64("health_check_grace_period_seconds").map(|n| n as i32),
            )
            .enable_execute_command(planned.get_bool("enable_execute_command").unwrap_or(false))
            .enable_ecs_managed_tags(planned.get_bool("enable_ecs_managed_tags").unwrap_or(false))
            .set_propagate_tags(str_attr(planned, "propagate_tags").map(|p| PropagateTags::from(p.as_str())))
            .set_tags(Some(tag_list(&tags)))
            .send()
            .await
            .map_err(aws_err(format!("creating ECS service {name}")))?;
        let arn = out
            .service()
            .and_then(|s| s.service_arn())
            .ok_or_else(|| ProviderError::new("CreateService returned no service"))?
            .to_string();
        let steady = planned.get_bool("wait_for_steady_state") == Some(true);
        let rest = async {
            wait_ready(c, ctx, &cluster, &arn, steady).await?;
            read_one(c, &arn, planned)
                .await?
                .ok_or_else(|| ProviderError::new(format!("ECS service {name} vanished after create")))
        };
        let partial = planned.clone().with("cluster", Value::string(&cluster));
        rest.await
            .map_err(|e| e.with_partial(partial_object(&block(), &partial, &arn)))
    }

    async fn update(&self, c: &AwsClient, ctx: &OpContext, prior: &Value, planned: &Value) -> Result<Value> {
        let arn = crate::values::id_of(prior)?;
        let cluster = cluster_of(prior);
        let settings = [
            "desired_count",
            "task_definition",
            "platform_version",
            "deployment_minimum_healthy_percent",
            "deployment_maximum_percent",
            "deployment_circuit_breaker",
            "network_configuration",
            "load_balancer",
            "service_registries",
            "health_check_grace_period_seconds",
            "enable_execute_command",
            "enable_ecs_managed_tags",
            "propagate_tags",
            "force_new_deployment",
            "triggers",
        ];
        let force = planned.get_bool("force_new_deployment") == Some(true);
        // Null and empty are the same strategy (none).
        let strategy_changed = strategy_of(prior) != strategy_of(planned);
        if strategy_changed || settings.iter().any(|k| changed(prior, planned, k)) {
            let mut req = c
                .ecs()
                .update_service()
                .cluster(&cluster)
                .service(&arn)
                .force_new_deployment(force);
            let ch = |k: &str| changed(prior, planned, k);
            if ch("desired_count") && planned.get_str("scheduling_strategy") != Some("DAEMON") {
                req = req.set_desired_count(planned.get_i64("desired_count").map(|n| n as i32));
            }
            if ch("task_definition") {
                req = req.set_task_definition(str_attr(planned, "task_definition"));
            }
            if ch("platform_version") {
                req = req.set_platform_version(str_attr(planned, "platform_version"));
            }
            if ch("deployment_minimum_healthy_percent")
                || ch("deployment_maximum_percent")
                || ch("deployment_circuit_breaker")
            {
                req = req.deployment_configuration(deployment(planned, ch("deployment_circuit_breaker")));
            }
            if ch("network_configuration") {
                req = req.set_network_configuration(network(planned)?);
            }
            if ch("load_balancer") {
                req = req.set_load_balancers(Some(load_balancers(planned)));
            }
            if strategy_changed {
                // In place only with force_new_deployment (see `strategy_forces_new`), which the call carries.
                req = req.set_capacity_provider_strategy(Some(strategy_items(
                    planned.get_list("capacity_provider_strategy"),
                )?));
            }
            if ch("service_registries") {
                // An empty list removes the registry.
                req = req.set_service_registries(Some(service_registries(planned)));
            }
            if ch("health_check_grace_period_seconds") {
                req = req.health_check_grace_period_seconds(
                    planned.get_i64("health_check_grace_period_seconds").unwrap_or(0) as i32,
                );
            }
            if ch("enable_execute_command") {
                req = req.enable_execute_command(planned.get_bool("enable_execute_command").unwrap_or(false));
            }
            if ch("enable_ecs_managed_tags") {
                req = req.enable_ecs_managed_tags(planned.get_bool("enable_ecs_managed_tags").unwrap_or(false));
            }
            if ch("propagate_tags") {
                req = req.propagate_tags(PropagateTags::from(planned.get_str("propagate_tags").unwrap_or("NONE")));
            }
            req.send()
                .await
                .map_err(aws_err(format!("updating ECS service {arn}")))?;
            wait_ready(
                c,
                ctx,
                &cluster,
                &arn,
                planned.get_bool("wait_for_steady_state") == Some(true),
            )
            .await?;
        }
        update_tags(c, &arn, &tags::changes(c, prior, planned)).await?;
        read_one(c, &arn, planned)
            .await?
            .ok_or_else(|| ProviderError::not_found(format!("ECS service {arn} not found")))
    }

    async fn delete(&self, c: &AwsClient, ctx: &OpContext, prior: &Value) -> Result<()> {
        let arn = crate::values::id_of(prior)?;
        let cluster = cluster_of(prior);
        let Some(s) = describe(c, &cluster, std::slice::from_ref(&arn))
            .await?
            .into_iter()
            .next()
        else {
            return Ok(());
        };
        let gone = |e: &ProviderError| {
            e.is_not_found()
                || [
                    "ServiceNotActiveException",
                    "ServiceNotFoundException",
                    "ClusterNotFoundException",
                ]
                .contains(&code_of(e))
        };
        if s.scheduling_strategy() != Some(&SchedulingStrategy::Daemon) && s.desired_count() > 0 {
            ctx.set_status("scaling to 0");
            if let Err(e) = c
                .ecs()
                .update_service()
                .cluster(&cluster)
                .service(&arn)
                .desired_count(0)
                .send()
                .await
            {
                let e = aws_err(format!("scaling ECS service {arn} to 0"))(e);
                return if gone(&e) { Ok(()) } else { Err(e) };
            }
        }
        if let Err(e) = c.ecs().delete_service().cluster(&cluster).service(&arn).send().await {
            let e = aws_err(format!("deleting ECS service {arn}"))(e);
            return if gone(&e) { Ok(()) } else { Err(e) };
        }
        wait_for(ctx, "service inactive", || async {
            let got = c
                .ecs()
                .describe_services()
                .cluster(&cluster)
                .services(&arn)
                .send()
                .await;
            let got = match got {
                Ok(g) => g,
                Err(e) => {
                    let e = aws_err(format!("reading ECS service {arn}"))(e);
                    return if gone(&e) { Ok(Poll::Ready(())) } else { Err(e) };
                }
            };
            Ok(match got.services().first().and_then(|s| s.status()) {
                None | Some("INACTIVE") => Poll::Ready(()),
                Some(s) => Poll::Pending(s.to_string()),
            })
        })
        .await
    }

    /// `CLUSTER/SERVICE`.
    async fn import(&self, c: &AwsClient, id: &str) -> Result<Option<Value>> {
        let (cluster, service) = id
            .split_once('/')
            .ok_or_else(|| ProviderError::invalid(format!("expected an import ID like CLUSTER/SERVICE, got {id:?}")))?;
        let Some(s) = describe(c, cluster, &[service.to_string()]).await?.into_iter().next() else {
            return Ok(None);
        };
        Ok(Some(flatten(c, &s, &Value::map([("cluster", Value::string(cluster))]))))
    }

    /// Service names are unique in a cluster (and the create passes a client token): an active service
    /// of that name carrying this operation's ownership tags is what an interrupted create made.
    async fn find_created(&self, c: &AwsClient, ctx: &OpContext, planned: &Value) -> Result<Option<Value>> {
        let Some(name) = str_attr(planned, "name") else {
            return Ok(None);
        };
        let cluster = planned_cluster(planned);
        let Some(s) = describe(c, &cluster, &[name]).await?.into_iter().next() else {
            return Ok(None);
        };
        if !owned(&tag_pairs(s.tags()), ctx) {
            return Ok(None);
        }
        let arn = s.service_arn().unwrap_or_default().to_string();
        let steady = planned.get_bool("wait_for_steady_state") == Some(true);
        wait_ready(c, ctx, &cluster, &arn, steady).await?;
        read_one(c, &arn, planned).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strategy_changes_as_terraform_decides() {
        let item = |p: &str, w: i64| {
            Value::map([
                ("capacity_provider", Value::from(p)),
                ("weight", Value::int(w)),
                ("base", Value::int(0)),
            ])
        };
        let obj = |items: Value, fnd: Option<bool>| {
            Value::map([
                ("capacity_provider_strategy", items),
                ("force_new_deployment", fnd.map(Value::Bool).unwrap_or(Value::Null)),
            ])
        };
        let one = Value::set(vec![item("FARGATE", 1)]);
        let two = Value::set(vec![item("FARGATE", 1), item("FARGATE_SPOT", 3)]);
        // Unchanged (null and empty are both none): no replacement, whatever force_new_deployment says.
        assert!(!strategy_forces_new(&obj(one.clone(), None), &obj(one.clone(), None)));
        assert!(!strategy_forces_new(
            &obj(Value::Null, None),
            &obj(Value::Set(vec![]), None)
        ));
        // Changed: replaced, unless force_new_deployment and non-empty on both sides.
        assert!(strategy_forces_new(&obj(one.clone(), None), &obj(two.clone(), None)));
        assert!(strategy_forces_new(
            &obj(one.clone(), None),
            &obj(two.clone(), Some(false))
        ));
        assert!(!strategy_forces_new(
            &obj(one.clone(), None),
            &obj(two.clone(), Some(true))
        ));
        assert!(strategy_forces_new(
            &obj(Value::Set(vec![]), None),
            &obj(two.clone(), Some(true))
        ));
        assert!(strategy_forces_new(
            &obj(two.clone(), None),
            &obj(Value::Null, Some(true))
        ));
        // Not known yet: it may turn out empty.
        assert!(strategy_forces_new(
            &obj(two.clone(), None),
            &obj(Value::Unknown, Some(true))
        ));
        // Known length, unknown provider: in place with force_new_deployment, as in Terraform.
        let unknown_item = Value::set(vec![Value::map([
            ("capacity_provider", Value::Unknown),
            ("weight", Value::int(1)),
            ("base", Value::int(0)),
        ])]);
        assert!(!strategy_forces_new(&obj(two, None), &obj(unknown_item, Some(true))));
    }

    #[test]
    fn names_out_of_arns() {
        assert_eq!(
            family_revision("arn:aws:ecs:us-east-1:1:task-definition/web:3"),
            "web:3"
        );
        assert_eq!(cluster_name("arn:aws:ecs:us-east-1:1:cluster/stage"), "stage");
        assert_eq!(
            cluster_of(&Value::map([(
                "id",
                Value::from("arn:aws:ecs:us-east-1:1:service/stage/web")
            )])),
            "stage"
        );
        assert_eq!(
            cluster_of(&Value::map([(
                "id",
                Value::from("arn:aws:ecs:us-east-1:1:service/web")
            )])),
            "default"
        );
    }
}
