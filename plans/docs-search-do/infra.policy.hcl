# The team's policy settings for infra's built-in rules (`infra policy --env production`).
# Production promises a recovery point of 5 minutes.
environment "production" {
  rpo = "5m"
}
