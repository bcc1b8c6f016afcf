# One droplet runs the API and the workers as Docker containers (cloud-init installs Docker and starts them).
# infra:waive recovery-backups: the droplet is stateless (data in the managed database, uploads in S3) and is rebuilt from user_data
resource "digitalocean_droplet" "app" {
  name       = "${var.name}-app"
  region     = var.region
  size       = var.droplet_size
  image      = var.droplet_image
  vpc_uuid   = digitalocean_vpc.main.id
  ssh_keys   = var.ssh_key_fingerprints
  monitoring = true
  backups    = false
  tags       = [var.name, lower(var.environment)]

  user_data = templatefile("${path.module}/cloud-init.yaml.tftpl", {
    api_image    = var.api_image
    worker_count = var.worker_count
  })
}
