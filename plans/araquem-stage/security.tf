# Who may talk to whom. Every service gets its own group; rules name their source group, so a port is
# open only to the services that need it.

locals {
  # Ports each service listens on.
  ports = {
    api            = [8000]
    redis          = [6379]
    ollama         = [11434]
    prometheus     = [9090]
    grafana        = [3000]
    tempo          = [3200, 4317]
    otel-collector = [4317, 4318, 8888]
  }

  # Which service groups may reach which service on which port.
  service_ingress = {
    "api-from-alb"            = { service = "api", port = 8000, from = "alb" }
    "redis-from-api"          = { service = "redis", port = 6379, from = "api" }
    "ollama-from-api"         = { service = "ollama", port = 11434, from = "api" }
    "prometheus-from-grafana" = { service = "prometheus", port = 9090, from = "grafana" }
    "tempo-from-grafana"      = { service = "tempo", port = 3200, from = "grafana" }
    "tempo-from-collector"    = { service = "tempo", port = 4317, from = "otel-collector" }
    "collector-metrics"       = { service = "otel-collector", port = 8888, from = "prometheus" }
    "api-from-jobs"           = { service = "api", port = 8000, from = "jobs" }
    "ollama-from-jobs"        = { service = "ollama", port = 11434, from = "jobs" }
  }
}

resource "aws_security_group" "alb" {
  name        = "${local.name}-alb"
  description = "Load balancer: HTTP and HTTPS from anywhere"
  vpc_id      = aws_vpc.main.id

  dynamic "ingress" {
    for_each = toset([80, 443])
    content {
      description = "HTTP(S) from anywhere"
      from_port   = ingress.value
      to_port     = ingress.value
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }

  egress {
    description = "To the services"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = [var.vpc_cidr]
  }

  tags = {
    Name = "${local.name}-alb"
  }
}

resource "aws_security_group" "service" {
  for_each = local.ports

  name        = "${local.name}-${each.key}"
  description = "ECS service ${each.key}"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-${each.key}"
  }
}

# The jobs (jobs.tf): nothing reaches them; they reach the API, ollama and the collector.
resource "aws_security_group" "jobs" {
  name        = "${local.name}-jobs"
  description = "Scheduled and one-off jobs"
  vpc_id      = aws_vpc.main.id

  tags = {
    Name = "${local.name}-jobs"
  }
}

resource "aws_vpc_security_group_egress_rule" "jobs_all" {
  security_group_id = aws_security_group.jobs.id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

locals {
  group_ids = merge(
    { alb = aws_security_group.alb.id, jobs = aws_security_group.jobs.id },
    { for k, g in aws_security_group.service : k => g.id },
  )
}

resource "aws_vpc_security_group_egress_rule" "service_all" {
  for_each = local.ports

  security_group_id = aws_security_group.service[each.key].id
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
}

resource "aws_vpc_security_group_ingress_rule" "service" {
  for_each = local.service_ingress

  security_group_id            = aws_security_group.service[each.value.service].id
  referenced_security_group_id = local.group_ids[each.value.from]
  ip_protocol                  = "tcp"
  from_port                    = each.value.port
  to_port                      = each.value.port
}

# OTLP from anything inside the VPC (the API and the scheduled jobs send traces and metrics).
resource "aws_vpc_security_group_ingress_rule" "otlp_from_vpc" {
  for_each = toset(["4317", "4318"])

  security_group_id = aws_security_group.service["otel-collector"].id
  cidr_ipv4         = var.vpc_cidr
  ip_protocol       = "tcp"
  from_port         = tonumber(each.key)
  to_port           = tonumber(each.key)
}

# Grafana only from the admin networks.
resource "aws_vpc_security_group_ingress_rule" "grafana_admin" {
  for_each = toset(var.admin_cidrs)

  security_group_id = aws_security_group.service["grafana"].id
  cidr_ipv4         = each.key
  ip_protocol       = "tcp"
  from_port         = 3000
  to_port           = 3000
}

resource "aws_security_group" "db" {
  name        = "${local.name}-db"
  description = "Postgres: only from the API"
  vpc_id      = aws_vpc.main.id

  ingress {
    description     = "Postgres from the API"
    from_port       = 5432
    to_port         = 5432
    protocol        = "tcp"
    security_groups = [aws_security_group.service["api"].id]
  }

  tags = {
    Name = "${local.name}-db"
  }
}

resource "aws_security_group" "efs" {
  name        = "${local.name}-efs"
  description = "NFS from the services with persistent volumes"
  vpc_id      = aws_vpc.main.id

  ingress {
    description = "NFS from the services that mount EFS"
    from_port   = 2049
    to_port     = 2049
    protocol    = "tcp"
    security_groups = [
      aws_security_group.service["ollama"].id,
      aws_security_group.service["prometheus"].id,
      aws_security_group.service["grafana"].id,
      aws_security_group.service["tempo"].id,
    ]
  }

  tags = {
    Name = "${local.name}-efs"
  }
}
