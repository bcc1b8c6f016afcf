output "droplet_ipv4" {
  description = "Public IPv4 address of the droplet (point the DNS record here)"
  value       = digitalocean_droplet.app.ipv4_address
}

output "database_uri" {
  description = "Connection URI of the database (private network), for /etc/docs-search/env"
  value       = digitalocean_database_cluster.pg.private_uri
  sensitive   = true
}
