environment = "stage"
vpc_cidr    = "10.40.0.0/16"
admin_cidrs = ["203.0.113.0/24"]

db_instance_class        = "db.t4g.micro"
db_allocated_storage     = 20
db_max_allocated_storage = 100
db_multi_az              = false
db_backup_retention_days = 7
db_deletion_protection   = false

log_retention_days = 14
ecr_keep_images    = 20

services = {
  api            = { cpu = 1024, memory = 2048, desired_count = 1 }
  redis          = { cpu = 1024, memory = 2048, desired_count = 1 } # Fargate: 1 vCPU needs at least 2 GB
  ollama         = { cpu = 4096, memory = 8192, desired_count = 1 }
  prometheus     = { cpu = 1024, memory = 2048, desired_count = 1 }
  grafana        = { cpu = 1024, memory = 2048, desired_count = 1 }
  tempo          = { cpu = 1024, memory = 2048, desired_count = 1 }
  otel-collector = { cpu = 512, memory = 1024, desired_count = 1 }
}

# The one-off jobs (ollama-init, then rag-indexer) run once at this time; set a later time to run them again.
one_off_jobs_at = "2026-12-03T09:00:00Z"
