//! An adaptive concurrency limit per cloud endpoint.
//!
//! The engine runs every operation whose dependencies are done (no fixed worker count); what bounds the
//! requests in flight is one [`AdaptiveLimit`] per provider endpoint (an AWS service client, the
//! DigitalOcean API). It is additive-increase/multiplicative-decrease, as TCP's congestion window:
//!
//! - every request holds a [`Permit`] while it is on the wire; a request waits while the endpoint has
//!   `limit` requests in flight;
//! - an answer that says the endpoint is overloaded (throttling, 429, 5xx) halves the limit — once per
//!   *generation*: answers to requests sent before the last decrease do not decrease it again, so a burst
//!   of throttled answers to one window of requests counts once;
//! - a successful answer grows the limit: by one per answer until the first overload signal ("slow
//!   start", doubling per round trip), then by `1/limit` per answer (one per round trip);
//! - a transport error (timeout, reset) is no signal either way.
//!
//! The limit stays between `min` and `max`. A permit that is dropped without a signal only frees its
//! place: callers release the permit before they sleep for a retry, so waiting never holds a place.

use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// A concurrency limit that adapts to the endpoint's answers. Cheap to clone (shared).
#[derive(Clone)]
pub struct AdaptiveLimit {
    inner: Arc<Inner>,
}

struct Inner {
    name: String,
    min: f64,
    max: f64,
    state: Mutex<LimitState>,
    freed: Notify,
}

#[derive(Debug)]
struct LimitState {
    limit: f64,
    in_flight: usize,
    /// Bumped by every decrease.
    generation: u64,
    /// False until the first overload signal.
    congested: bool,
    /// The most requests that were ever in flight at once.
    peak: usize,
}

impl std::fmt::Debug for AdaptiveLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.lock();
        f.debug_struct("AdaptiveLimit")
            .field("name", &self.inner.name)
            .field("limit", &s.limit)
            .field("in_flight", &s.in_flight)
            .finish()
    }
}

/// The defaults of a cloud endpoint: start at 16 requests in flight, never below 1, never above 256.
pub const DEFAULT_INITIAL: usize = 16;
pub const DEFAULT_MAX: usize = 256;

impl AdaptiveLimit {
    /// A limit named after its endpoint (the name appears in debug logs when the limit changes).
    pub fn new(name: impl Into<String>, initial: usize, min: usize, max: usize) -> AdaptiveLimit {
        let min = min.max(1);
        let max = max.max(min);
        AdaptiveLimit {
            inner: Arc::new(Inner {
                name: name.into(),
                min: min as f64,
                max: max as f64,
                state: Mutex::new(LimitState {
                    limit: initial.clamp(min, max) as f64,
                    in_flight: 0,
                    generation: 0,
                    congested: false,
                    peak: 0,
                }),
                freed: Notify::new(),
            }),
        }
    }

    /// [`new`](Self::new) with [`DEFAULT_INITIAL`] and [`DEFAULT_MAX`].
    pub fn for_endpoint(name: impl Into<String>) -> AdaptiveLimit {
        AdaptiveLimit::new(name, DEFAULT_INITIAL, 1, DEFAULT_MAX)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LimitState> {
        self.inner.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for a place and takes it.
    pub async fn acquire(&self) -> Permit {
        loop {
            let notified = self.inner.freed.notified();
            tokio::pin!(notified);
            // Registered before the check, so a release between the check and the await is not missed.
            notified.as_mut().enable();
            {
                let mut s = self.lock();
                if (s.in_flight as f64) < s.limit.floor().max(1.0) {
                    s.in_flight += 1;
                    s.peak = s.peak.max(s.in_flight);
                    return Permit {
                        limit: self.clone(),
                        generation: s.generation,
                        done: false,
                    };
                }
            }
            notified.await;
        }
    }

    /// The current limit (whole requests).
    pub fn limit(&self) -> usize {
        self.lock().limit.floor() as usize
    }

    /// Requests in flight now.
    pub fn in_flight(&self) -> usize {
        self.lock().in_flight
    }

    /// The most requests that were in flight at once since the limit was made.
    pub fn peak(&self) -> usize {
        self.lock().peak
    }

    fn release(&self, generation: u64, signal: Signal) {
        let mut s = self.lock();
        s.in_flight = s.in_flight.saturating_sub(1);
        let before = s.limit;
        match signal {
            Signal::None => {}
            Signal::Success => {
                let step = if s.congested { 1.0 / s.limit } else { 1.0 };
                s.limit = (s.limit + step).min(self.inner.max);
            }
            Signal::Overloaded => {
                if generation == s.generation {
                    s.limit = (s.limit / 2.0).max(self.inner.min);
                    s.generation += 1;
                    s.congested = true;
                }
            }
        }
        let (after, in_flight) = (s.limit, s.in_flight);
        drop(s);
        if after.floor() != before.floor() {
            tracing::debug!(target: "infra::limit", endpoint = %self.inner.name, limit = after.floor() as u64, in_flight, "concurrency limit");
        }
        // Every waiter re-checks: a grown limit may admit several.
        self.inner.freed.notify_waiters();
    }
}

#[derive(Clone, Copy)]
enum Signal {
    None,
    Success,
    Overloaded,
}

/// A place in flight. Say how the request ended with [`success`](Self::success) or
/// [`overloaded`](Self::overloaded); dropping it says nothing.
pub struct Permit {
    limit: AdaptiveLimit,
    generation: u64,
    done: bool,
}

impl Permit {
    /// The endpoint answered normally (any answer that is not an overload signal, errors included).
    pub fn success(mut self) {
        self.done = true;
        self.limit.release(self.generation, Signal::Success);
    }

    /// The endpoint said it is overloaded: throttling, 429, or 5xx.
    pub fn overloaded(mut self) {
        self.done = true;
        self.limit.release(self.generation, Signal::Overloaded);
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        if !self.done {
            self.limit.release(self.generation, Signal::None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test]
    async fn at_most_limit_in_flight_and_a_release_admits_the_next() {
        let l = AdaptiveLimit::new("t", 2, 1, 8);
        let a = l.acquire().await;
        let _b = l.acquire().await;
        assert_eq!(l.in_flight(), 2);
        let l2 = l.clone();
        let waiter = tokio::spawn(async move { l2.acquire().await });
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(
            !waiter.is_finished(),
            "a third request must wait while two are in flight"
        );
        drop(a);
        let c = tokio::time::timeout(Duration::from_secs(1), waiter)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(l.in_flight(), 2);
        drop(c);
        assert_eq!(l.peak(), 2);
    }

    #[tokio::test]
    async fn slow_start_doubles_then_additive_increase_after_an_overload() {
        let l = AdaptiveLimit::new("t", 4, 1, 1000);
        // One round trip of 4 successes: 4 -> 8.
        let ps: Vec<_> = futures::future::join_all((0..4).map(|_| l.acquire())).await;
        ps.into_iter().for_each(Permit::success);
        assert_eq!(l.limit(), 8);
        // An overload halves it and ends slow start.
        l.acquire().await.overloaded();
        assert_eq!(l.limit(), 4);
        // Now 4 successes (one round trip) add about one.
        for _ in 0..4 {
            l.acquire().await.success();
        }
        assert_eq!(l.limit(), 4, "a round trip adds less than two after congestion");
        for _ in 0..6 {
            l.acquire().await.success();
        }
        assert!(l.limit() >= 5, "limit {} after more successes", l.limit());
    }

    #[tokio::test]
    async fn a_burst_of_overloads_from_one_window_halves_once() {
        let l = AdaptiveLimit::new("t", 16, 1, 64);
        let ps: Vec<_> = futures::future::join_all((0..16).map(|_| l.acquire())).await;
        ps.into_iter().for_each(Permit::overloaded);
        assert_eq!(l.limit(), 8, "sixteen throttled answers to one window are one signal");
        // A request sent after the decrease is a new window.
        l.acquire().await.overloaded();
        assert_eq!(l.limit(), 4);
    }

    #[tokio::test]
    async fn the_limit_stays_between_min_and_max_and_a_drop_is_no_signal() {
        let l = AdaptiveLimit::new("t", 2, 2, 3);
        for _ in 0..5 {
            l.acquire().await.overloaded();
        }
        assert_eq!(l.limit(), 2);
        for _ in 0..10 {
            l.acquire().await.success();
        }
        assert_eq!(l.limit(), 3);
        drop(l.acquire().await);
        assert_eq!(l.limit(), 3);
        assert_eq!(l.in_flight(), 0);
    }
}
