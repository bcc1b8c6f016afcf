variable "project" {
  type        = string
  description = "Name prefix of every resource"
  default     = "example"
}

variable "region" {
  type    = string
  default = "us-east-1"
}

variable "vpc_cidr" {
  type    = string
  default = "10.20.0.0/16"

  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a CIDR block, like 10.20.0.0/16."
  }
}

variable "az_count" {
  type    = number
  default = 2
}

variable "api_config" {
  type        = map(string)
  description = "Plain (non-secret) settings of the API, stored in SSM Parameter Store"
  default = {
    LOG_LEVEL      = "info"
    PROMETHEUS_URL = "http://prometheus.internal:9090"
  }
}

variable "api_token" {
  type        = string
  description = "The API token (set it with TF_VAR_api_token; never commit it)"
  sensitive   = true
}
