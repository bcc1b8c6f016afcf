variable "name" {
  type = string
}

variable "vpc_cidr" {
  type = string
  validation {
    condition     = can(cidrhost(var.vpc_cidr, 0))
    error_message = "vpc_cidr must be a CIDR block, like 10.40.0.0/16."
  }
}

variable "azs" {
  description = "The availability zones to put one public subnet in each."
  type        = list(string)
}
