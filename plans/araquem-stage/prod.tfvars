environment = "prod"
vpc_cidr    = "10.50.0.0/16"
admin_cidrs = ["203.0.113.0/24"]

db_instance_class        = "db.m7g.large"
db_allocated_storage     = 100
db_max_allocated_storage = 500
db_multi_az              = true
db_backup_retention_days = 30
db_deletion_protection   = true

log_retention_days = 90
ecr_keep_images    = 50

services = {
  api            = { cpu = 2048, memory = 4096, desired_count = 2 }
  redis          = { cpu = 1024, memory = 2048, desired_count = 1 }
  ollama         = { cpu = 8192, memory = 16384, desired_count = 1 }
  prometheus     = { cpu = 1024, memory = 4096, desired_count = 1 }
  grafana        = { cpu = 1024, memory = 2048, desired_count = 1 }
  tempo          = { cpu = 2048, memory = 4096, desired_count = 1 }
  otel-collector = { cpu = 1024, memory = 2048, desired_count = 2 }
}

# The one-off jobs (ollama-init, then rag-indexer) run once at this time; set a later time to run them again.
one_off_jobs_at = "2026-12-03T09:00:00Z"

alarm_api_5xx_threshold   = 5
alarm_db_free_storage_gib = 20
