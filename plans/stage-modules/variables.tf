variable "region" {
  type    = string
  default = "us-east-1"
}

variable "project" {
  type    = string
  default = "araquem"
}

variable "vpc_cidr" {
  type    = string
  default = "10.40.0.0/16"
}

variable "az_count" {
  type    = number
  default = 2
}

variable "scan_images" {
  type    = bool
  default = true
}

variable "services" {
  description = "The stage's services: the port each listens on, how long its logs are kept, its plain configuration."
  type = map(object({
    port          = number
    log_retention = optional(number, 14)
    config        = optional(map(string), {})
  }))
  default = {
    api = {
      port   = 8000
      config = { LOG_LEVEL = "info", OTEL_EXPORTER_OTLP_ENDPOINT = "http://otel-collector:4317" }
    }
    prometheus = {
      port          = 9090
      log_retention = 7
    }
  }
}
