output "alb_dns_name" {
  description = "The API's public address"
  value       = aws_lb.api.dns_name
}

output "ecr_repository_urls" {
  description = "Where CI pushes each image"
  value       = { for k, r in aws_ecr_repository.image : k => r.repository_url }
}

output "database_endpoint" {
  description = "Postgres host:port (the password is in Secrets Manager, see database_secret_arn)"
  value       = aws_db_instance.main.endpoint
}

output "database_secret_arn" {
  value = aws_db_instance.main.master_user_secret[0].secret_arn
}

output "efs_file_system_id" {
  value = aws_efs_file_system.data.id
}

output "internal_domain" {
  description = "The private DNS namespace the services are registered in (<name>.<domain>) and its ID"
  value = {
    name = aws_service_discovery_private_dns_namespace.internal.name
    id   = aws_service_discovery_private_dns_namespace.internal.id
  }
}

output "job_schedules" {
  description = "Each job's schedule (GROUP/NAME) and its expression"
  value = merge(
    { for k, s in aws_scheduler_schedule.recurring : k => { id = s.id, expression = s.schedule_expression } },
    { for k, s in aws_scheduler_schedule.once : k => { id = s.id, expression = s.schedule_expression } },
  )
}
