variable "project" {
  type    = string
  default = "araquem"
}

variable "environment" {
  type        = string
  description = "stage or prod"

  validation {
    condition     = contains(["stage", "prod"], var.environment)
    error_message = "environment must be stage or prod."
  }
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "azs" {
  type        = list(string)
  description = "Two availability zones of the region"
  default     = ["us-east-1a", "us-east-1b"]
}

variable "vpc_cidr" {
  type    = string
  default = "10.40.0.0/16"
}

variable "admin_cidrs" {
  type        = list(string)
  description = "Networks allowed to reach Grafana (office, VPN)"
  default     = []
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate for HTTPS on the load balancer; empty serves HTTP only"
  default     = ""
}

variable "db_instance_class" {
  type    = string
  default = "db.t4g.micro"
}

variable "db_engine_version" {
  type    = string
  default = "16.4"
}

variable "db_allocated_storage" {
  type    = number
  default = 20
}

variable "db_max_allocated_storage" {
  type    = number
  default = 100
}

variable "db_multi_az" {
  type    = bool
  default = false
}

variable "db_backup_retention_days" {
  type    = number
  default = 7
}

variable "db_deletion_protection" {
  type    = bool
  default = false
}

variable "ecr_keep_images" {
  type        = number
  description = "How many images each ECR repository keeps"
  default     = 20
}

variable "image_tag" {
  type        = string
  description = "The image tag CI deploys (the same for every service built by CI)"
  default     = "latest"
}

variable "log_retention_days" {
  type    = number
  default = 14
}

variable "services" {
  description = "Sizing of each ECS service: CPU units, memory MiB, number of tasks"
  type = map(object({
    cpu           = number
    memory        = number
    desired_count = optional(number, 1)
  }))
  default = {
    api            = { cpu = 1024, memory = 2048 }
    redis          = { cpu = 1024, memory = 2048 }
    ollama         = { cpu = 4096, memory = 8192 }
    prometheus     = { cpu = 1024, memory = 2048 }
    grafana        = { cpu = 1024, memory = 2048 }
    tempo          = { cpu = 1024, memory = 2048 }
    otel-collector = { cpu = 512, memory = 1024 }
  }
}

variable "internal_domain" {
  type        = string
  description = "The private DNS namespace (Cloud Map) the plan makes in the VPC: every service is reachable as <name>.<domain> (e.g. prometheus.<domain>)"
  default     = "araquem.internal"
}

variable "quality_ops_token" {
  type        = string
  description = "QUALITY_OPS_TOKEN the scheduled jobs send to the API (set with TF_VAR_quality_ops_token)"
  sensitive   = true
}

variable "ecs_exec_enabled" {
  type        = bool
  description = "ECS Exec (aws ecs execute-command) into the services' containers, for debugging"
  default     = true
}

variable "api_health_check_grace_seconds" {
  type        = number
  description = "Seconds the API's ALB health checks are ignored after a task starts (0: none)"
  default     = 60
}

variable "ecs_wait_for_steady_state" {
  type        = bool
  description = "Apply waits until the services others depend on are steady (every desired task running) before starting what depends on them (the start order; see README). Off only against an API emulator whose tasks never run"
  default     = true
}

variable "jobs" {
  description = "Sizing of each job's Fargate task: CPU units, memory MiB"
  type = map(object({
    cpu    = number
    memory = number
  }))
  default = {
    quality-cron     = { cpu = 256, memory = 512 }
    rag-refresh-cron = { cpu = 512, memory = 1024 }
    ollama-init      = { cpu = 256, memory = 512 }
    rag-indexer      = { cpu = 1024, memory = 2048 }
  }
}

variable "quality_cron_schedule" {
  type        = string
  description = "When quality-cron runs: an EventBridge Scheduler cron() or rate() expression, in jobs_timezone"
  default     = "cron(0 6 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.quality_cron_schedule))
    error_message = "quality_cron_schedule must be a cron(...) or rate(...) expression."
  }
}

variable "rag_refresh_cron_schedule" {
  type        = string
  description = "When rag-refresh-cron runs: an EventBridge Scheduler cron() or rate() expression, in jobs_timezone"
  default     = "cron(30 2 * * ? *)"

  validation {
    condition     = can(regex("^(cron|rate)\\(.+\\)$", var.rag_refresh_cron_schedule))
    error_message = "rag_refresh_cron_schedule must be a cron(...) or rate(...) expression."
  }
}

variable "jobs_timezone" {
  type        = string
  description = "Time zone the job schedules are evaluated in (IANA name)"
  default     = "UTC"
}

variable "one_off_jobs_at" {
  type        = string
  description = "When the one-off jobs run (UTC, RFC 3339, e.g. 2026-12-03T09:00:00Z): ollama-init at this time, rag-indexer rag_indexer_after later. A later time runs them again (README: one-off jobs)"

  validation {
    condition     = can(regex("^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z$", var.one_off_jobs_at))
    error_message = "one_off_jobs_at must be a UTC time like 2026-12-03T09:00:00Z."
  }
}

variable "rag_indexer_after" {
  type        = string
  description = "How long after ollama-init the rag-indexer runs (a duration like 30m: time for the models to be pulled)"
  default     = "30m"
}

variable "alarm_actions" {
  type        = list(string)
  description = "Where the alarms notify (SNS topic ARNs); empty: the alarms only change state"
  default     = []
}

variable "alarm_api_5xx_threshold" {
  type        = number
  description = "The API alarm fires when its targets answer more than this many 5xx in 5 minutes"
  default     = 10
}

variable "alarm_db_cpu_percent" {
  type        = number
  description = "The database CPU alarm fires above this average CPU utilization (%) for 15 minutes"
  default     = 80
}

variable "alarm_db_free_storage_gib" {
  type        = number
  description = "The database storage alarm fires when free storage falls below this many GiB"
  default     = 5
}
