variable "name" {
  type = string
}

variable "vpc_id" {
  type = string
}

variable "port" {
  type = number
}

variable "log_retention" {
  type    = number
  default = 14
}

variable "allowed_cidrs" {
  type    = list(string)
  default = []
}

variable "config" {
  description = "Plain configuration, stored as one JSON SSM parameter (secrets belong in Secrets Manager)."
  type        = map(string)
  default     = {}
}

variable "scan_on_push" {
  type    = bool
  default = true
}

variable "immutable_tags" {
  type    = bool
  default = false
}
