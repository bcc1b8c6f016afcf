environment  = "Production"
region       = "fra1"
vpc_ip_range = "10.110.0.0/20"

# Office and VPN; the only networks that reach SSH.
admin_cidrs = ["203.0.113.0/24", "198.51.100.7/32"]

# Keys installed for root (fingerprints of keys already in the account).
ssh_key_fingerprints = []

droplet_size  = "s-2vcpu-4gb"
droplet_image = "ubuntu-24-04-x64"
api_image     = "ghcr.io/example/docs-search:1.0.0"
worker_count  = 2

db_size       = "db-s-1vcpu-1gb"
db_version    = "16"
db_node_count = 1
