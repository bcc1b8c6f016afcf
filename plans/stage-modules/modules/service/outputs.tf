output "repository_url" {
  value = aws_ecr_repository.this.repository_url
}

output "config_parameter" {
  value = aws_ssm_parameter.config.name
}

output "security_group_id" {
  value = aws_security_group.this.id
}
