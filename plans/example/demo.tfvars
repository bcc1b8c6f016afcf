project  = "example"
vpc_cidr = "10.20.0.0/16"
api_config = {
  LOG_LEVEL      = "debug"
  PROMETHEUS_URL = "http://prometheus.internal:9090"
  GRAFANA_URL    = "http://grafana.internal:3000"
}
