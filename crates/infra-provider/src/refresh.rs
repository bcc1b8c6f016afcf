//! One refresh as a provider sees it: every object in state the engine reads at once, by type, so that a
//! provider can share calls across types (one tag call for the tags of several types, one route-table
//! call for route tables, routes and associations) instead of making them once per type.
//!
//! [`Refresh::once`] runs a fetch at most once per refresh and hands every caller the same answer. What a
//! shared fetch answers is read at the same moment as a type's own call would be, so sharing never makes
//! a refresh staler; a type reads whatever a shared answer lacks with its own call.

use crate::provider::{ProviderError, Result};
use crate::value::Value;
use std::any::Any;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

type Shared = std::result::Result<Arc<dyn Any + Send + Sync>, ProviderError>;

/// The objects of one refresh, by type, and the answers of the fetches shared among their reads.
pub struct Refresh {
    lineage: String,
    priors: BTreeMap<String, Vec<Value>>,
    memo: Mutex<HashMap<&'static str, Arc<OnceCell<Shared>>>>,
}

impl Refresh {
    /// A refresh of the state with this lineage, reading these priors by type.
    pub fn new(lineage: impl Into<String>, priors: BTreeMap<String, Vec<Value>>) -> Refresh {
        Refresh {
            lineage: lineage.into(),
            priors,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// The lineage of the state being refreshed (what the `infra:lineage` ownership tag holds).
    pub fn lineage(&self) -> &str {
        &self.lineage
    }

    /// The types being refreshed.
    pub fn type_names(&self) -> impl Iterator<Item = &str> {
        self.priors.keys().map(String::as_str)
    }

    /// Whether objects of this type are refreshed.
    pub fn has_type(&self, type_name: &str) -> bool {
        self.priors.get(type_name).is_some_and(|p| !p.is_empty())
    }

    /// The priors of one type (empty when the type is not refreshed).
    pub fn priors(&self, type_name: &str) -> &[Value] {
        self.priors.get(type_name).map(Vec::as_slice).unwrap_or_default()
    }

    /// The distinct, non-empty string values of attribute `attr` in the priors of the given `(type, attr)`
    /// sources, sorted: the IDs a shared fetch asks for.
    pub fn strings(&self, sources: &[(&str, &str)]) -> Vec<String> {
        let set: BTreeSet<String> = sources
            .iter()
            .flat_map(|(t, a)| {
                self.priors(t)
                    .iter()
                    .filter_map(|p| p.get_str(a).filter(|s| !s.is_empty()).map(str::to_string))
            })
            .collect();
        set.into_iter().collect()
    }

    /// Runs `fetch` at most once per refresh for `key`; every caller, concurrent or later, gets the same
    /// answer, errors included. One key always holds one type of answer.
    pub async fn once<T, F, Fut>(&self, key: &'static str, fetch: F) -> Result<Arc<T>>
    where
        T: Any + Send + Sync,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let cell = {
            let mut memo = self.memo.lock().unwrap_or_else(|e| e.into_inner());
            memo.entry(key).or_default().clone()
        };
        let shared = cell
            .get_or_init(|| async { fetch().await.map(|t| Arc::new(t) as Arc<dyn Any + Send + Sync>) })
            .await
            .clone()?;
        shared
            .downcast::<T>()
            .map_err(|_| ProviderError::new(format!("shared refresh answer {key:?} has another type")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn refresh() -> Refresh {
        Refresh::new(
            "lin",
            BTreeMap::from([
                (
                    "a".to_string(),
                    vec![
                        Value::map([("id", Value::string("x")), ("vpc", Value::string("v1"))]),
                        Value::map([("id", Value::string("y")), ("vpc", Value::string(""))]),
                    ],
                ),
                (
                    "b".to_string(),
                    vec![Value::map([("id", Value::string("z")), ("vpc", Value::string("v1"))])],
                ),
            ]),
        )
    }

    #[test]
    fn strings_are_the_distinct_non_empty_values_of_all_sources() {
        let r = refresh();
        assert_eq!(r.strings(&[("a", "vpc"), ("b", "vpc")]), vec!["v1"]);
        assert_eq!(r.strings(&[("a", "id"), ("b", "id"), ("c", "id")]), vec!["x", "y", "z"]);
        assert!(r.has_type("a") && !r.has_type("c"));
        assert_eq!(r.priors("c").len(), 0);
    }

    #[tokio::test]
    async fn a_shared_fetch_runs_once_for_concurrent_and_later_callers() {
        let r = refresh();
        let calls = AtomicUsize::new(0);
        let fetch = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            tokio::task::yield_now().await;
            Ok(vec![1, 2, 3])
        };
        let (a, b) = tokio::join!(r.once("k", fetch), r.once("k", fetch));
        let c = r.once("k", fetch).await.unwrap();
        assert_eq!(*a.unwrap(), vec![1, 2, 3]);
        assert_eq!(*b.unwrap(), vec![1, 2, 3]);
        assert_eq!(*c, vec![1, 2, 3]);
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn errors_are_shared_too_and_a_key_keeps_its_type() {
        let r = refresh();
        let e = r
            .once::<u8, _, _>("e", || async { Err(ProviderError::new("boom")) })
            .await;
        assert!(e.unwrap_err().to_string().contains("boom"));
        let again = r.once::<u8, _, _>("e", || async { Ok(1) }).await;
        assert!(again.is_err(), "the first answer stands for the whole refresh");
        r.once::<u8, _, _>("t", || async { Ok(1) }).await.unwrap();
        assert!(
            r.once::<String, _, _>("t", || async { Ok(String::new()) })
                .await
                .is_err()
        );
    }
}
