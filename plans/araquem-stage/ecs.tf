# The ECS cluster and one Fargate service per component: the API (behind the load balancer), redis, the
# LLM runtime (ollama) with its model volume, and the observability stack (prometheus, grafana, tempo, the
# OpenTelemetry collector) with their data volumes. Sizes come from var.services (per environment). Each
# service registers its tasks in Cloud Map (discovery.tf) as <name>.<internal_domain>. The services start
# in two waves (README: start order): the collector and the API only when the first wave is up.

resource "aws_ecs_cluster" "main" {
  name = local.name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

locals {
  # health: the container's own check (ECS replaces a task whose check fails). The images CI builds for
  # tempo and the collector carry busybox wget for theirs; the collector's is its health_check extension.
  containers = {
    api = {
      image       = "${aws_ecr_repository.image["api"].repository_url}:${var.image_tag}"
      port        = 8000
      volume      = null
      environment = { OTEL_EXPORTER_OTLP_ENDPOINT = local.settings.OTEL_ENDPOINT }
      health      = ["CMD-SHELL", "python -c \"import urllib.request; urllib.request.urlopen('http://localhost:8000/health', timeout=4)\""]
    }
    redis = {
      image       = "public.ecr.aws/docker/library/redis:7.4-alpine"
      port        = 6379
      volume      = null
      environment = {}
      health      = ["CMD-SHELL", "redis-cli ping | grep -q PONG"]
    }
    ollama = {
      image       = "public.ecr.aws/docker/library/ollama:0.5.7"
      port        = 11434
      volume      = { name = "ollama-models", path = "/root/.ollama" }
      environment = { OLLAMA_KEEP_ALIVE = "24h" }
      health      = ["CMD", "ollama", "list"]
    }
    prometheus = {
      image       = "public.ecr.aws/bitnami/prometheus:2.55.1"
      port        = 9090
      volume      = { name = "prometheus-data", path = "/prometheus" }
      environment = {}
      health      = ["CMD", "promtool", "check", "healthy", "--url=http://localhost:9090"]
    }
    grafana = {
      image       = "public.ecr.aws/bitnami/grafana:11.4.0"
      port        = 3000
      volume      = { name = "grafana", path = "/var/lib/grafana" }
      environment = { GF_SERVER_ROOT_URL = local.settings.GRAFANA_URL }
      health      = ["CMD-SHELL", "bash -c '</dev/tcp/127.0.0.1/3000'"]
    }
    tempo = {
      image       = "${aws_ecr_repository.image["tempo"].repository_url}:${var.image_tag}"
      port        = 3200
      volume      = { name = "tempo-data", path = "/var/tempo" }
      environment = {}
      health      = ["CMD-SHELL", "wget -q -O /dev/null http://localhost:3200/ready"]
    }
    otel-collector = {
      image       = "${aws_ecr_repository.image["otel-collector"].repository_url}:${var.image_tag}"
      port        = 4317
      volume      = null
      environment = { TEMPO_ENDPOINT = "tempo.${local.internal_domain}:4317" }
      health      = ["CMD-SHELL", "wget -q -O /dev/null http://localhost:13133/"]
    }
  }

  # Only the API gets the token and the settings, straight from Secrets Manager and Parameter Store.
  api_secrets = concat(
    [{ name = "QUALITY_OPS_TOKEN", valueFrom = aws_secretsmanager_secret.quality_ops_token.arn }],
    [for k in sort(keys(local.settings)) : { name = k, valueFrom = aws_ssm_parameter.setting[k].arn }],
  )

  # Start order: the first wave starts at once; the second — the collector, which exports to Tempo, and
  # the API, which uses redis and ollama — when the first is up.
  second_wave = ["otel-collector", "api"]

  # The services others wait for: apply waits until each is steady (every desired task running) before
  # it starts what depends on it — Tempo before the collector, redis and ollama before the API, ollama
  # before the one-off jobs, the API before the scheduled jobs (jobs.tf).
  waited_on = ["tempo", "redis", "ollama", "api"]
}

# One log group per service and per job (jobs.tf).
resource "aws_cloudwatch_log_group" "service" {
  for_each = toset(concat(keys(local.containers), keys(local.jobs)))

  name              = "/ecs/${local.name}/${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_ecs_task_definition" "service" {
  for_each = local.containers

  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.services[each.key].cpu
  memory                   = var.services[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([{
    name      = each.key
    image     = each.value.image
    essential = true
    portMappings = [{
      containerPort = each.value.port
      protocol      = "tcp"
    }]
    healthCheck = {
      command     = each.value.health
      interval    = 30
      timeout     = 5
      retries     = 3
      startPeriod = 60
    }
    environment = [for k, v in each.value.environment : { name = k, value = v }]
    secrets     = each.key == "api" ? local.api_secrets : []
    mountPoints = each.value.volume == null ? [] : [{
      sourceVolume  = each.value.volume.name
      containerPath = each.value.volume.path
      readOnly      = false
    }]
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])

  dynamic "volume" {
    for_each = each.value.volume == null ? [] : [each.value.volume]
    content {
      name = volume.value.name
      efs_volume_configuration {
        file_system_id     = aws_efs_file_system.data.id
        transit_encryption = "ENABLED"
        authorization_config {
          access_point_id = aws_efs_access_point.volume[volume.value.name].id
          iam             = "ENABLED"
        }
      }
    }
  }
}

# The first wave: redis, ollama, prometheus, grafana, tempo.
resource "aws_ecs_service" "service" {
  for_each = { for k, c in local.containers : k => c if !contains(local.second_wave, k) }

  name                   = each.key
  cluster                = aws_ecs_cluster.main.id
  task_definition        = aws_ecs_task_definition.service[each.key].arn
  desired_count          = var.services[each.key].desired_count
  launch_type            = "FARGATE"
  enable_execute_command = var.ecs_exec_enabled
  wait_for_steady_state  = var.ecs_wait_for_steady_state && contains(local.waited_on, each.key)

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.service[each.key].id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.service[each.key].arn
  }

  depends_on = [aws_iam_role_policy_attachment.execution, aws_efs_mount_target.data]
}

# The second wave: the collector and the API, once the first wave is steady (the API behind the load
# balancer, its tasks judged by the target group's /health check).
resource "aws_ecs_service" "dependent" {
  for_each = { for k, c in local.containers : k => c if contains(local.second_wave, k) }

  name                   = each.key
  cluster                = aws_ecs_cluster.main.id
  task_definition        = aws_ecs_task_definition.service[each.key].arn
  desired_count          = var.services[each.key].desired_count
  launch_type            = "FARGATE"
  enable_execute_command = var.ecs_exec_enabled
  wait_for_steady_state  = var.ecs_wait_for_steady_state && contains(local.waited_on, each.key)

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = each.key == "api" && var.api_health_check_grace_seconds > 0 ? var.api_health_check_grace_seconds : null

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = aws_subnet.private[*].id
    security_groups  = [aws_security_group.service[each.key].id]
    assign_public_ip = false
  }

  service_registries {
    registry_arn = aws_service_discovery_service.service[each.key].arn
  }

  dynamic "load_balancer" {
    for_each = each.key == "api" ? [aws_lb_target_group.api.arn] : []
    content {
      target_group_arn = load_balancer.value
      container_name   = "api"
      container_port   = 8000
    }
  }

  depends_on = [aws_ecs_service.service, aws_lb_listener.http, aws_iam_role_policy_attachment.execution]
}

# The collector and the API were in aws_ecs_service.service before the services started in waves.
moved {
  from = aws_ecs_service.service["otel-collector"]
  to   = aws_ecs_service.dependent["otel-collector"]
}

moved {
  from = aws_ecs_service.service["api"]
  to   = aws_ecs_service.dependent["api"]
}
