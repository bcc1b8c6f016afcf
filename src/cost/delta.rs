//! [`CostDelta`]: how a plan changes the monthly cost, for the last line of `infra plan`.
//!
//! [`delta`] compares two estimates of the same environment (prior state and planned) and keeps the totals
//! and the resources whose monthly cost changed. Its `Display` is the plan's summary line:
//! `Monthly cost will change by +$24.00 (from $15.00 to $39.00)`.

use super::estimate::{Estimate, Status};
use super::money::Money;
use std::fmt;

/// The change of the monthly cost between two estimates. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub struct CostDelta {
    pub before: Money,
    pub after: Money,
    /// `after - before`.
    pub change: Money,
    /// Resources whose monthly cost differs (added, removed or changed), in the order of `after` then the
    /// removed ones.
    pub resources: Vec<ResourceDelta>,
    /// Resources of `after` only partly priced because of values known after apply.
    pub unknown_after: usize,
}

/// One resource's monthly cost before and after (`None` when absent on that side).
#[derive(Clone, Debug, PartialEq)]
pub struct ResourceDelta {
    pub address: String,
    pub before: Option<Money>,
    pub after: Option<Money>,
}

/// Compares an estimate of the prior state with one of the plan.
pub fn delta(before: &Estimate, after: &Estimate) -> CostDelta {
    let mut resources = Vec::new();
    for r in &after.resources {
        let prior = before.resource(&r.address).map(|b| b.monthly);
        if prior != Some(r.monthly) && !(prior.is_none() && r.monthly.is_zero()) {
            resources.push(ResourceDelta {
                address: r.address.clone(),
                before: prior,
                after: Some(r.monthly),
            });
        }
    }
    for r in &before.resources {
        if after.resource(&r.address).is_none() && !r.monthly.is_zero() {
            resources.push(ResourceDelta {
                address: r.address.clone(),
                before: Some(r.monthly),
                after: None,
            });
        }
    }
    CostDelta {
        before: before.total,
        after: after.total,
        change: after.total - before.total,
        resources,
        unknown_after: after
            .resources
            .iter()
            .filter(|r| matches!(r.status, Status::Unknown(_)))
            .count(),
    }
}

impl fmt::Display for CostDelta {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.change.is_zero() {
            write!(f, "Monthly cost will not change ({})", self.after)?;
        } else {
            write!(
                f,
                "Monthly cost will change by {} (from {} to {})",
                self.change.signed(),
                self.before,
                self.after
            )?;
        }
        match self.unknown_after {
            0 => Ok(()),
            1 => write!(f, "; 1 resource is only partly priced until apply"),
            n => write!(f, "; {n} resources are only partly priced until apply"),
        }
    }
}
