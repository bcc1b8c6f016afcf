//! `aws_ecs_service` on Fargate: vCPU-hours and GB-hours of its tasks × `desired_count`, ephemeral storage
//! above the included 20 GB, and one public IPv4 address per task when `assign_public_ip` is set.
//!
//! A service's size lives in its task definition, another resource. The engine passes the referenced
//! `aws_ecs_task_definition`'s attributes under the extra key `task_definition_resolved` (an object with
//! Terraform's attribute names: `cpu` and `memory` as strings such as `"1024"`, `runtime_platform` as a
//! one-element list with `cpu_architecture` `X86_64`/`ARM64` and `operating_system_family`,
//! `ephemeral_storage` as a one-element list with `size_in_gib`, `requires_compatibilities`). Without it the
//! service is "unknown". The task definition itself is free: it is priced here.
//!
//! The launch type decides: `FARGATE` (or a capacity provider strategy of only `FARGATE`) is priced; `EC2` and
//! `EXTERNAL` are free here (their instances are priced as such); `FARGATE_SPOT` is not priced (spot prices
//! move); with neither set, a task definition that requires `FARGATE` is priced as Fargate.

use super::Model;
use crate::cost::estimate::{Attr, Pricer};
use rust_decimal::Decimal;

pub(super) static MODEL: Model = Model {
    type_name: "aws_ecs_service",
    usage: &[],
    price,
};

fn price(p: &mut Pricer<'_>) {
    let providers: Option<Vec<String>> = match p.get("capacity_provider_strategy") {
        Attr::Unknown => {
            p.unknown("capacity_provider_strategy");
            return;
        }
        Attr::Null => Some(Vec::new()),
        Attr::Known(v) => Some(
            v.as_list()
                .unwrap_or(&[])
                .iter()
                .map(|s| s.get_str("capacity_provider").unwrap_or("?").to_string())
                .collect(),
        ),
    };
    let providers = providers.unwrap_or_default();
    // `launch_type` is computed: unknown on create when not configured, so unknown counts as unset.
    let launch = match p.get("launch_type") {
        Attr::Known(v) => v.as_str(),
        Attr::Null | Attr::Unknown => None,
    };
    match launch {
        Some("FARGATE") => {}
        Some(other) => {
            p.free(format!(
                "launch type {other}: the tasks run on instances priced as their own resources"
            ));
            return;
        }
        None if !providers.is_empty() => {
            if providers.iter().any(|c| c == "FARGATE_SPOT") {
                p.not_priced("Fargate Spot prices change with spare capacity and are not in the catalog");
                return;
            }
            if !providers.iter().all(|c| c == "FARGATE") {
                p.free("capacity providers: the tasks run on instances priced as their own resources");
                return;
            }
        }
        None => {
            let requires: Vec<String> = match p.get("task_definition_resolved.requires_compatibilities") {
                Attr::Known(v) => v
                    .as_list()
                    .unwrap_or(&[])
                    .iter()
                    .filter_map(|c| c.as_str())
                    .map(str::to_string)
                    .collect(),
                _ => Vec::new(),
            };
            if requires.iter().any(|c| c == "FARGATE") {
                p.note("no launch type set; the task definition requires FARGATE, so priced as Fargate");
            } else if matches!(p.get("task_definition_resolved"), Attr::Known(_)) {
                p.not_priced(
                    "no launch type or capacity provider strategy, and the task definition does not require FARGATE",
                );
                return;
            }
        }
    }

    let desired = p.num_or_unknown("desired_count", Decimal::ZERO);
    match p.get("task_definition_resolved") {
        Attr::Known(_) => {}
        Attr::Unknown | Attr::Null => {
            p.unknown("task_definition_resolved (the task definition's cpu and memory)");
            return;
        }
    }
    let cpu = p.num_req("task_definition_resolved.cpu");
    let memory = p.num_req("task_definition_resolved.memory");
    let os = p.str_or(
        "task_definition_resolved.runtime_platform.0.operating_system_family",
        "LINUX",
    );
    if os != "LINUX" {
        p.not_priced(format!("operating system family {os} is not in the catalog (Linux is)"));
        return;
    }
    let arch = match p.str_or("task_definition_resolved.runtime_platform.0.cpu_architecture", "X86_64") {
        "ARM64" => "arm64",
        _ => "x86_64",
    };
    let (Some(desired), Some(cpu), Some(memory)) = (desired, cpu, memory) else {
        return;
    };
    let vcpu = cpu / Decimal::from(1024);
    let gb = memory / Decimal::from(1024);
    let tasks = if desired == Decimal::ONE {
        "1 task".to_string()
    } else {
        format!("{desired} tasks")
    };
    p.hourly(
        "vcpu",
        format!("Fargate vCPU ({tasks} × {} vCPU, Linux/{arch})", vcpu.normalize()),
        &format!("fargate/vcpu/linux/{arch}"),
        desired * vcpu,
    );
    p.hourly(
        "memory",
        format!("Fargate memory ({tasks} × {} GB)", gb.normalize()),
        &format!("fargate/memory/linux/{arch}"),
        desired * gb,
    );
    if let Some(size) = p.num_opt("task_definition_resolved.ephemeral_storage.0.size_in_gib")
        && size > Decimal::from(20)
    {
        let extra = size - Decimal::from(20);
        p.hourly(
            "ephemeral-storage",
            format!("Fargate ephemeral storage above 20 GB ({tasks} × {extra} GB)"),
            "fargate/ephemeral-storage",
            desired * extra,
        );
    }
    if p.bool_or("network_configuration.0.assign_public_ip", false) {
        p.hourly(
            "public-ipv4",
            format!("Public IPv4 addresses ({tasks}, one each)"),
            "vpc/public-ipv4/in-use",
            desired,
        );
    }
}
