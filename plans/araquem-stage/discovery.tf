# Service discovery with AWS Cloud Map: a private DNS zone, var.internal_domain, in the VPC, and one
# discovery service per ECS service. ECS registers the private IP of each running task (an A record) and
# removes it when the task stops, so `prometheus.araquem.internal`, `tempo.araquem.internal`,
# `api.araquem.internal`... resolve inside the VPC to the tasks that are up. Cloud Map rather than ECS
# Service Connect: plain DNS works for every client (the jobs, redis clients, the collector's exporters)
# without an Envoy sidecar in each task, and the names are the ones the team's config already uses.

resource "aws_service_discovery_private_dns_namespace" "internal" {
  name        = var.internal_domain
  description = "Internal names of the ${local.name} services"
  vpc         = aws_vpc.main.id
}

locals {
  # Every service is registered: the others reach prometheus, tempo, redis, ollama, the collector and the
  # API by name; grafana's name is its root URL (GRAFANA_URL), for the admin networks.
  internal_domain = aws_service_discovery_private_dns_namespace.internal.name
}

resource "aws_service_discovery_service" "service" {
  for_each = local.ports

  name        = each.key
  description = "The ${each.key} tasks of ${local.name}"

  dns_config {
    namespace_id   = aws_service_discovery_private_dns_namespace.internal.id
    routing_policy = "MULTIVALUE"

    dns_records {
      ttl  = 10
      type = "A"
    }
  }

  # ECS reports the health of each task it registers (a task that fails its health checks is removed).
  # Cloud Map takes 1 whatever is given; it is written out so that a read matches the configuration.
  health_check_custom_config {
    failure_threshold = 1
  }

  # The instances are ECS's (one per task); deleting the discovery service takes any that are left.
  force_destroy = true
}
