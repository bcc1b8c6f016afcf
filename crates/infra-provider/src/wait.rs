//! Readiness waits: poll with backoff until a condition holds or the operation's timeout passes, sleeping
//! through [`OpContext::sleep`] so that a waiting operation holds no parallelism slot.

use crate::provider::{OpContext, ProviderError, Result};
use std::future::Future;
use std::time::{Duration, Instant};

/// What one poll saw.
pub enum Poll<T> {
    /// The wait is over.
    Ready(T),
    /// Not yet; the string is the current status, shown in progress lines and in the timeout error.
    Pending(String),
}

/// Polls `check` until it returns [`Poll::Ready`], an error, or `ctx.timeout` passes. Intervals start at
/// `ctx.poll_interval` and grow by half each time up to 30 s.
pub async fn wait_for<T, F, Fut>(ctx: &OpContext, what: &str, mut check: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<Poll<T>>>,
{
    let started = Instant::now();
    let mut interval = ctx.poll_interval;
    let max = Duration::from_secs(30).max(ctx.poll_interval);
    loop {
        match check().await? {
            Poll::Ready(t) => return Ok(t),
            Poll::Pending(status) => {
                ctx.set_status(format!("{what}: {status}"));
                if started.elapsed() >= ctx.timeout {
                    return Err(ProviderError::timeout(format!(
                        "timed out after {}s waiting for {what} (last status: {status})",
                        started.elapsed().as_secs()
                    )));
                }
            }
        }
        let left = ctx.timeout.saturating_sub(started.elapsed());
        ctx.sleep(interval.min(left).max(Duration::from_millis(1))).await;
        interval = (interval.mul_f64(1.5)).min(max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waits_until_ready() {
        let mut ctx = OpContext::new("x.y", "l", "t", Duration::from_secs(5));
        ctx.poll_interval = Duration::from_millis(1);
        let mut n = 0;
        let got = wait_for(&ctx, "available", || {
            n += 1;
            let k = n;
            async move {
                Ok(if k >= 3 {
                    Poll::Ready(k)
                } else {
                    Poll::Pending("creating".into())
                })
            }
        })
        .await
        .unwrap();
        assert_eq!(got, 3);
    }

    #[tokio::test]
    async fn times_out_with_the_last_status() {
        let mut ctx = OpContext::new("x.y", "l", "t", Duration::from_millis(20));
        ctx.poll_interval = Duration::from_millis(5);
        let e = wait_for(&ctx, "available", || async {
            Ok(Poll::<()>::Pending("modifying".into()))
        })
        .await
        .unwrap_err();
        assert_eq!(e.kind, crate::provider::ErrorKind::Timeout);
        assert!(e.message.contains("modifying"), "{e}");
    }
}
