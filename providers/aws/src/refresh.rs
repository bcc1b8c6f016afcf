//! Calls shared by the types of one refresh (see [`infra_provider::Refresh`]): when several types read
//! through the same API call — route tables, routes and route table associations through
//! `DescribeRouteTables`; security groups and their standalone rules; load balancers, target groups and
//! listeners through ELB `DescribeTags`; every IAM role type through `GetAccountAuthorizationDetails` —
//! the first type to need it makes one call for the IDs of all of them, and the others take their
//! objects from its answer.
//!
//! The rule every caller follows: an object the shared answer has is read from it; an object it lacks is
//! read with the type's own call (for those objects only). A shared answer is therefore never trusted to
//! say an object is gone, and outside a refresh (reads after a create, imports) types make their own
//! calls as before.

use crate::client::AwsClient;
use infra_provider::Result;
use std::future::Future;
use std::sync::Arc;

/// Runs `fetch` once per refresh, under `key`, for the IDs the `(type, attribute)` `sources` hold across
/// the whole refresh. `None` outside a refresh, or when no source holds an ID.
pub async fn shared<T, F, Fut>(
    c: &AwsClient,
    key: &'static str,
    sources: &[(&str, &str)],
    fetch: F,
) -> Result<Option<Arc<T>>>
where
    T: Send + Sync + 'static,
    F: FnOnce(Vec<String>) -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let Some(r) = c.refresh() else {
        return Ok(None);
    };
    let ids = r.strings(sources);
    if ids.is_empty() {
        return Ok(None);
    }
    r.once(key, || fetch(ids)).await.map(Some)
}

/// Runs `fetch` once per refresh, under `key`; `None` outside a refresh. For calls that take no IDs (an
/// account-wide listing every type of a family reads from).
pub async fn once<T, F, Fut>(c: &AwsClient, key: &'static str, fetch: F) -> Result<Option<Arc<T>>>
where
    T: Send + Sync + 'static,
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    match c.refresh() {
        Some(r) => r.once(key, fetch).await.map(Some),
        None => Ok(None),
    }
}

/// The objects with these `ids`: from the refresh's `shared` answer where it has them, the rest (all of
/// them outside a refresh) with the type's `own` call.
pub async fn pick<T, Fut>(
    shared: Option<Arc<Vec<T>>>,
    ids: &[String],
    id_of: impl Fn(&T) -> Option<&str>,
    own: impl FnOnce(Vec<String>) -> Fut,
) -> Result<Vec<T>>
where
    T: Clone,
    Fut: Future<Output = Result<Vec<T>>>,
{
    let mut out = Vec::new();
    let missing: Vec<String> = match &shared {
        Some(all) => {
            let by_id: std::collections::HashMap<&str, &T> =
                all.iter().filter_map(|t| id_of(t).map(|i| (i, t))).collect();
            ids.iter()
                .filter(|id| match by_id.get(id.as_str()) {
                    Some(t) => {
                        out.push((*t).clone());
                        false
                    }
                    None => true,
                })
                .cloned()
                .collect()
        }
        None => ids.to_vec(),
    };
    if !missing.is_empty() {
        out.extend(own(missing).await?);
    }
    Ok(out)
}
