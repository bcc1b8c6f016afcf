# The stage's network and its services, written as a Terraform code base usually is: a network module
# called once, and a service module called once per service (for_each), each service getting its image
# repository, log group, configuration parameter and security group.

terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
}

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Project     = var.project
      Environment = terraform.workspace
      ManagedBy   = "infra"
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

locals {
  name = "${var.project}-${terraform.workspace}"
}

module "network" {
  source = "./modules/network"

  name     = local.name
  vpc_cidr = var.vpc_cidr
  azs      = slice(data.aws_availability_zones.available.names, 0, var.az_count)
}

module "service" {
  source   = "./modules/service"
  for_each = var.services

  name           = "${local.name}-${each.key}"
  vpc_id         = module.network.vpc_id
  port           = each.value.port
  log_retention  = each.value.log_retention
  allowed_cidrs  = [var.vpc_cidr]
  config         = each.value.config
  scan_on_push   = var.scan_images
  immutable_tags = each.key == "api"
}
