# Managed PostgreSQL in the VPC. pgvector is enabled with SQL once the cluster is online (see README.md).
resource "digitalocean_database_cluster" "pg" {
  name                 = "${var.name}-pg"
  engine               = "pg"
  version              = var.db_version
  size                 = var.db_size
  region               = var.region
  node_count           = var.db_node_count
  private_network_uuid = digitalocean_vpc.main.id
  tags                 = [var.name, lower(var.environment)]

  maintenance_window {
    day  = "sunday"
    hour = "03:00:00"
  }

  # Production's recovery point is 5 minutes (infra.policy.hcl): point-in-time recovery meets it, but
  # deleting the cluster deletes its backups, and DigitalOcean has no deletion protection setting.
  lifecycle {
    prevent_destroy = true
  }
}

# Only the droplet may connect to the database.
resource "digitalocean_database_firewall" "pg" {
  cluster_id = digitalocean_database_cluster.pg.id

  rule {
    type  = "droplet"
    value = digitalocean_droplet.app.id
  }
}
