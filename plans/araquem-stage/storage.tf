# EFS for the persistent volumes: models, metrics, dashboards, traces. One access point per volume, each
# rooted in its own directory and owned by the user the container runs as.

locals {
  volumes = {
    ollama-models   = { service = "ollama", path = "/ollama", uid = 0 }
    prometheus-data = { service = "prometheus", path = "/prometheus", uid = 65534 }
    grafana         = { service = "grafana", path = "/grafana", uid = 472 }
    tempo-data      = { service = "tempo", path = "/tempo", uid = 10001 }
  }
}

resource "aws_efs_file_system" "data" {
  creation_token   = "${local.name}-data"
  encrypted        = true
  performance_mode = "generalPurpose"
  throughput_mode  = "elastic"

  lifecycle_policy {
    transition_to_ia = "AFTER_30_DAYS"
  }

  tags = {
    Name = "${local.name}-data"
  }
}

resource "aws_efs_mount_target" "data" {
  count           = length(var.azs)
  file_system_id  = aws_efs_file_system.data.id
  subnet_id       = aws_subnet.private[count.index].id
  security_groups = [aws_security_group.efs.id]
}

resource "aws_efs_access_point" "volume" {
  for_each = local.volumes

  file_system_id = aws_efs_file_system.data.id

  posix_user {
    uid = each.value.uid
    gid = each.value.uid
  }

  root_directory {
    path = each.value.path
    creation_info {
      owner_uid   = each.value.uid
      owner_gid   = each.value.uid
      permissions = "0755"
    }
  }

  tags = {
    Name = "${local.name}-${each.key}"
  }
}
