resource "digitalocean_project" "main" {
  name        = "${var.name}-${lower(var.environment)}"
  description = "Document search (${var.environment})"
  purpose     = "Web Application"
  environment = var.environment
  resources = [
    digitalocean_droplet.app.urn,
    digitalocean_database_cluster.pg.urn,
  ]
}
