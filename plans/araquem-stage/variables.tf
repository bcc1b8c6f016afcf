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
  description = "Private DNS zone the services are reachable under (e.g. prometheus.<domain>)"
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
