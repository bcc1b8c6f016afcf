# The jobs: quality-cron and rag-refresh-cron run on their schedules; ollama-init (pulls the models into
# ollama) and rag-indexer (builds the RAG index) run once when the stage is brought up. Each is a Fargate
# task definition running the image CI builds in its ECR repository, started by EventBridge Scheduler
# (ecs:RunTask) in the private subnets with the jobs' security group and no public IP. The schedules
# are made only when what the jobs need is up: the API for the scheduled jobs, ollama for the one-off
# ones (README: start order).

locals {
  api_url = "http://api.${local.internal_domain}:8000"

  # token: QUALITY_OPS_TOKEN from Secrets Manager, for the jobs that call the API's quality endpoints.
  jobs = {
    quality-cron = {
      description = "Quality checks against the API"
      token       = true
      environment = {
        API_URL                     = local.api_url
        OTEL_EXPORTER_OTLP_ENDPOINT = local.settings.OTEL_ENDPOINT
      }
    }
    rag-refresh-cron = {
      description = "Refreshes the RAG index through the API"
      token       = true
      environment = {
        API_URL                     = local.api_url
        OLLAMA_BASE_URL             = local.settings.OLLAMA_BASE_URL
        OTEL_EXPORTER_OTLP_ENDPOINT = local.settings.OTEL_ENDPOINT
      }
    }
    ollama-init = {
      description = "Pulls the models into ollama"
      token       = false
      environment = {
        OLLAMA_HOST = local.settings.OLLAMA_BASE_URL
      }
    }
    rag-indexer = {
      description = "Builds the RAG index"
      token       = false
      environment = {
        API_URL                     = local.api_url
        OLLAMA_BASE_URL             = local.settings.OLLAMA_BASE_URL
        OTEL_EXPORTER_OTLP_ENDPOINT = local.settings.OTEL_ENDPOINT
      }
    }
  }

  # The scheduled jobs: a cron() (or rate()) expression each.
  recurring = {
    quality-cron     = var.quality_cron_schedule
    rag-refresh-cron = var.rag_refresh_cron_schedule
  }

  # The one-off jobs: when each runs (UTC); rag-indexer after ollama-init has pulled the models.
  once = {
    ollama-init = var.one_off_jobs_at
    rag-indexer = timeadd(var.one_off_jobs_at, var.rag_indexer_after)
  }
}

resource "aws_ecs_task_definition" "job" {
  for_each = local.jobs

  family                   = "${local.name}-${each.key}"
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.jobs[each.key].cpu
  memory                   = var.jobs[each.key].memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  # A short-lived job: it runs to completion and exits, and no service keeps it running, so it has no
  # healthCheck (its exit code is its result, in the task's stopped reason and its logs).
  container_definitions = jsonencode([{
    name        = each.key
    image       = "${aws_ecr_repository.image[each.key].repository_url}:${var.image_tag}"
    essential   = true
    environment = [for k, v in each.value.environment : { name = k, value = v }]
    secrets = each.value.token ? [
      { name = "QUALITY_OPS_TOKEN", valueFrom = aws_secretsmanager_secret.quality_ops_token.arn },
    ] : []
    logConfiguration = {
      logDriver = "awslogs"
      options = {
        awslogs-group         = aws_cloudwatch_log_group.service[each.key].name
        awslogs-region        = var.region
        awslogs-stream-prefix = each.key
      }
    }
  }])
}

resource "aws_scheduler_schedule_group" "jobs" {
  name = "${local.name}-jobs"
}

# quality-cron and rag-refresh-cron, once the API is steady behind the load balancer.
resource "aws_scheduler_schedule" "recurring" {
  for_each = local.recurring

  name                         = each.key
  group_name                   = aws_scheduler_schedule_group.jobs.name
  description                  = local.jobs[each.key].description
  schedule_expression          = each.value
  schedule_expression_timezone = var.jobs_timezone

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.main.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.job[each.key].arn
      launch_type         = "FARGATE"

      network_configuration {
        subnets          = aws_subnet.private[*].id
        security_groups  = [aws_security_group.jobs.id]
        assign_public_ip = false
      }
    }

    # A run that cannot start within the hour is dropped: the next one comes with the schedule.
    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }

  depends_on = [aws_ecs_service.dependent, aws_iam_role_policy_attachment.scheduler_run_jobs]
}

# ollama-init and rag-indexer: one-time schedules, made once ollama is steady. A one-time schedule stays
# after it ran (so the next plan is empty); a later one_off_jobs_at runs the jobs again (README).
resource "aws_scheduler_schedule" "once" {
  for_each = local.once

  name                         = each.key
  group_name                   = aws_scheduler_schedule_group.jobs.name
  description                  = "${local.jobs[each.key].description} (once)"
  schedule_expression          = "at(${formatdate("YYYY-MM-DD'T'hh:mm:ss", each.value)})"
  schedule_expression_timezone = "UTC"

  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_ecs_cluster.main.arn
    role_arn = aws_iam_role.scheduler.arn

    ecs_parameters {
      task_definition_arn = aws_ecs_task_definition.job[each.key].arn
      launch_type         = "FARGATE"

      network_configuration {
        subnets          = aws_subnet.private[*].id
        security_groups  = [aws_security_group.jobs.id]
        assign_public_ip = false
      }
    }

    retry_policy {
      maximum_event_age_in_seconds = 3600
      maximum_retry_attempts       = 3
    }
  }

  depends_on = [aws_ecs_service.service, aws_iam_role_policy_attachment.scheduler_run_jobs]
}
