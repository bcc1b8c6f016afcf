variable "name" {
  type        = string
  description = "Prefix of every object's name"
  default     = "docs-search"
}

variable "environment" {
  type        = string
  description = "DigitalOcean project environment: Development, Staging or Production"
  default     = "Production"
}

variable "region" {
  type        = string
  description = "DigitalOcean region of the droplet, the database and the VPC"
  default     = "fra1"
}

variable "vpc_ip_range" {
  type        = string
  description = "Private range of the VPC (RFC 1918, /16 to /28, not overlapping another VPC of the account)"
  default     = "10.110.0.0/20"
}

variable "admin_cidrs" {
  type        = list(string)
  description = "Networks allowed to reach SSH (office, VPN)"

  validation {
    condition     = length(var.admin_cidrs) > 0
    error_message = "admin_cidrs must name at least one network, or nobody can log in."
  }
}

variable "ssh_key_fingerprints" {
  type        = list(string)
  description = "Fingerprints of SSH keys already in the account (Settings → Security) installed for root"
  default     = []
}

variable "droplet_size" {
  type        = string
  description = "Size of the droplet running the API and the workers"
  default     = "s-2vcpu-4gb"
}

variable "droplet_image" {
  type    = string
  default = "ubuntu-24-04-x64"
}

variable "api_image" {
  type        = string
  description = "Container image of the API and the workers"
  default     = "ghcr.io/example/docs-search:latest"
}

variable "worker_count" {
  type        = number
  description = "Worker containers next to the API"
  default     = 2
}

variable "db_size" {
  type    = string
  default = "db-s-1vcpu-1gb"
}

variable "db_version" {
  type        = string
  description = "PostgreSQL major version"
  default     = "16"
}

variable "db_node_count" {
  type    = number
  default = 1
}
