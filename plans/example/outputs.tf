output "vpc_id" {
  value = aws_vpc.main.id
}

output "public_subnet_ids" {
  value = aws_subnet.public[*].id
}

output "private_subnet_ids" {
  value = aws_subnet.private[*].id
}

output "api_security_group_id" {
  value = aws_security_group.api.id
}

output "api_token_secret_arn" {
  value = aws_secretsmanager_secret.api_token.arn
}

output "account_id" {
  value = data.aws_caller_identity.current.account_id
}
