output "vpc_id" {
  value = module.network.vpc_id
}

output "subnet_ids" {
  value = module.network.subnet_ids
}

output "repository_urls" {
  description = "Each service's image repository."
  value       = { for name, s in module.service : name => s.repository_url }
}

output "config_parameters" {
  value = { for name, s in module.service : name => s.config_parameter }
}
