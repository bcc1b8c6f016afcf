# Postgres for the API, in the private subnets, reachable only from the API's security group. RDS keeps
# the master password in Secrets Manager (manage_master_user_password), so no password is in state.

resource "aws_db_subnet_group" "main" {
  name        = "${local.name}-db"
  description = "Private subnets of ${local.name}"
  subnet_ids  = aws_subnet.private[*].id

  tags = {
    Name = "${local.name}-db"
  }
}

resource "aws_db_instance" "main" {
  identifier     = "${local.name}-db"
  engine         = "postgres"
  engine_version = var.db_engine_version
  instance_class = var.db_instance_class

  allocated_storage     = var.db_allocated_storage
  max_allocated_storage = var.db_max_allocated_storage
  storage_type          = "gp3"
  storage_encrypted     = true

  db_name                     = "araquem"
  username                    = "araquem"
  manage_master_user_password = true

  db_subnet_group_name   = aws_db_subnet_group.main.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.db_multi_az

  backup_retention_period = var.db_backup_retention_days
  backup_window           = "03:00-04:00"
  maintenance_window      = "sun:04:30-sun:05:30"

  deletion_protection       = var.db_deletion_protection
  skip_final_snapshot       = var.environment != "prod"
  final_snapshot_identifier = var.environment == "prod" ? "${local.name}-db-final" : null
  apply_immediately         = var.environment != "prod"

  tags = {
    Name = "${local.name}-db"
  }

  timeouts {
    create = "60m"
    update = "80m"
  }
}
