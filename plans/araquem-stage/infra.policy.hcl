# The team's settings for infra's built-in policy rules (`infra policy --env stage`, `plan --policy=error`).
# Recovery points, per the team's tiers: production can lose at most 5 minutes of data, stage a day.
environment "prod" {
  rpo = "5m"
}

environment "stage" {
  rpo = "24h"
}
