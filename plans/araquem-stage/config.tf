# Secrets in Secrets Manager (injected into the API task as environment variables), plain settings in
# SSM Parameter Store.

resource "aws_secretsmanager_secret" "quality_ops_token" {
  name                    = "${local.name}/QUALITY_OPS_TOKEN"
  description             = "Token the scheduled quality jobs send to the API"
  recovery_window_in_days = var.environment == "prod" ? 30 : 0
}

resource "aws_secretsmanager_secret_version" "quality_ops_token" {
  secret_id     = aws_secretsmanager_secret.quality_ops_token.id
  secret_string = var.quality_ops_token
}

locals {
  settings = {
    PROMETHEUS_URL  = "http://prometheus.${local.internal_domain}:9090"
    GRAFANA_URL     = "http://grafana.${local.internal_domain}:3000"
    OLLAMA_BASE_URL = "http://ollama.${local.internal_domain}:11434"
    TEMPO_URL       = "http://tempo.${local.internal_domain}:3200"
    OTEL_ENDPOINT   = "http://otel-collector.${local.internal_domain}:4317"
    REDIS_URL       = "redis://redis.${local.internal_domain}:6379/0"
    RAG_INDEX_PATH  = "/data/rag-index"
  }
}

resource "aws_ssm_parameter" "setting" {
  for_each = local.settings

  name  = "/${var.project}/${var.environment}/${each.key}"
  type  = "String"
  value = each.value
}
