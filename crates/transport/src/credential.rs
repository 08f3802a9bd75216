//! Credential providers: the trait backends sign requests with, a static provider, and a
//! single-flight cache for short-lived tokens (instance metadata, OAuth, managed identity).
//!
//! Nothing in this module prints a credential: the `Debug` impls show only whether a token
//! is cached and when it expires.

use std::fmt;
use std::sync::{Arc, Mutex as StdMutex};
use std::time::Duration;

use async_trait::async_trait;
use ostore_core::Result;
use tokio::time::Instant;

/// Something that hands out the credential a backend signs its requests with.
///
/// The call is async because refreshing a credential may take a network round trip. The
/// credential is returned behind an [`Arc`] so that the same value can be shared by many
/// in-flight requests without copying secrets around.
#[async_trait]
pub trait CredentialProvider: std::fmt::Debug + Send + Sync {
    /// The credential type, e.g. an access key pair or a bearer token.
    type Credential;

    /// Returns a credential valid for at least the next request.
    async fn get_credential(&self) -> Result<Arc<Self::Credential>>;
}

/// A [`CredentialProvider`] that always returns the same credential.
///
/// Its `Debug` output never shows the credential.
///
/// ```
/// # use std::sync::Arc;
/// # use ostore_transport::credential::{CredentialProvider, StaticCredentialProvider};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let provider = StaticCredentialProvider::new("secret".to_string());
/// let a = provider.get_credential().await.unwrap();
/// let b = provider.get_credential().await.unwrap();
/// assert!(Arc::ptr_eq(&a, &b));
/// assert!(!format!("{provider:?}").contains("secret"));
/// # });
/// ```
pub struct StaticCredentialProvider<T> {
    credential: Arc<T>,
}

impl<T> StaticCredentialProvider<T> {
    /// Wraps `credential`; every call to `get_credential` returns the same [`Arc`].
    pub fn new(credential: T) -> Self {
        Self {
            credential: Arc::new(credential),
        }
    }
}

impl<T> fmt::Debug for StaticCredentialProvider<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StaticCredentialProvider")
            .field("credential", &"<redacted>")
            .finish()
    }
}

#[async_trait]
impl<T: Send + Sync> CredentialProvider for StaticCredentialProvider<T> {
    type Credential = T;

    async fn get_credential(&self) -> Result<Arc<T>> {
        Ok(Arc::clone(&self.credential))
    }
}

/// A token together with the moment it stops being valid.
///
/// `expiry` is a [`tokio::time::Instant`] (not `std::time::Instant` as in object_store) so
/// that the cache follows tokio's clock, which tests can pause and advance. Build it with
/// `tokio::time::Instant::now() + lifetime`. `None` means the token never expires.
#[derive(Clone)]
pub struct TemporaryToken<T> {
    /// The token itself.
    pub token: T,
    /// When the token stops being valid; `None` for a token that does not expire.
    pub expiry: Option<Instant>,
}

impl<T> fmt::Debug for TemporaryToken<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TemporaryToken")
            .field("token", &"<redacted>")
            .field("expiry", &self.expiry)
            .finish()
    }
}

/// The default refresh margin of a [`TokenCache`]: a token is refreshed once it has less
/// than this long to live.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(5 * 60);

/// Caches a [`TemporaryToken`] and refreshes it before it expires.
///
/// * A cached token is served while it has more than the refresh margin (`min_ttl`, 5 min
///   by default) left to live; after that the next caller fetches a new one.
/// * Refreshes are single-flight: however many tasks ask at once, one fetch runs and the
///   others wait for its result.
/// * If a refresh fails while the old token has not actually expired yet (it is only inside
///   the margin), the old token keeps being served until its real expiry, and the error is
///   logged at `warn` level. Each later call inside the margin tries the fetch again. Once
///   the token has expired, a failed fetch returns its error.
/// * [`invalidate`](Self::invalidate) drops a token the server rejected (HTTP 401/403)
///   so the next call fetches a fresh one.
///
/// No synchronous lock is held across an `.await`: the token sits behind a short-lived
/// `std` mutex, and the fetch is serialized by a separate `tokio` mutex.
pub struct TokenCache<T> {
    cached: StdMutex<Option<TemporaryToken<T>>>,
    fetch_lock: tokio::sync::Mutex<()>,
    min_ttl: Duration,
}

impl<T> Default for TokenCache<T> {
    fn default() -> Self {
        Self {
            cached: StdMutex::new(None),
            fetch_lock: tokio::sync::Mutex::new(()),
            min_ttl: DEFAULT_MIN_TTL,
        }
    }
}

impl<T> fmt::Debug for TokenCache<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let expiry = self.lock().as_ref().map(|t| {
            t.expiry
                .map_or_else(|| "never".to_string(), |e| format!("{e:?}"))
        });
        f.debug_struct("TokenCache")
            .field("min_ttl", &self.min_ttl)
            .field("cached_token_expiry", &expiry)
            .finish()
    }
}

impl<T: Clone + Send> TokenCache<T> {
    /// Sets the refresh margin: a token with less than `min_ttl` left to live is refreshed.
    pub fn with_min_ttl(self, min_ttl: Duration) -> Self {
        Self { min_ttl, ..self }
    }

    /// Returns the cached token if it is still fresh, otherwise fetches one with `f`.
    ///
    /// See the type documentation for the refresh, single-flight and failure rules.
    pub async fn get_or_insert_with<F, Fut>(&self, f: F) -> Result<T>
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = Result<TemporaryToken<T>>> + Send,
    {
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        let _fetching = match self.fetch_lock.try_lock() {
            Ok(guard) => guard,
            Err(_) => {
                // A refresh is under way. A token that has not expired yet is still good:
                // serve it rather than queue behind the fetch (which, while the token
                // service is down, could mean waiting for one failing fetch after another).
                if let Some(token) = self.unexpired() {
                    return Ok(token);
                }
                self.fetch_lock.lock().await
            }
        };
        // Another caller may have refreshed the token while this one waited.
        if let Some(token) = self.fresh() {
            return Ok(token);
        }
        match f().await {
            Ok(new) => {
                let token = new.token.clone();
                *self.lock() = Some(new);
                Ok(token)
            }
            Err(e) => match self.unexpired() {
                Some(token) => {
                    tracing::warn!(
                        error = %e,
                        "token refresh failed; serving the cached token until it expires"
                    );
                    Ok(token)
                }
                None => Err(e),
            },
        }
    }

    /// Drops the cached token if `matches` returns true for it.
    ///
    /// The building block of [`invalidate`](Self::invalidate); use it to compare by other
    /// means than `PartialEq`, e.g. [`Arc::ptr_eq`].
    pub fn invalidate_if(&self, matches: impl FnOnce(&T) -> bool) {
        let mut cached = self.lock();
        if cached.as_ref().is_some_and(|t| matches(&t.token)) {
            *cached = None;
        }
    }

    /// The cached token, if it has not expired yet (however close it is to expiring).
    fn unexpired(&self) -> Option<T> {
        let cached = self.lock();
        let t = cached.as_ref()?;
        match t.expiry {
            Some(expiry) if expiry <= Instant::now() => None,
            _ => Some(t.token.clone()),
        }
    }

    /// The cached token, if it has more than `min_ttl` left to live (or never expires).
    fn fresh(&self) -> Option<T> {
        let cached = self.lock();
        let t = cached.as_ref()?;
        match t.expiry {
            None => Some(t.token.clone()),
            Some(expiry) => {
                let left = expiry.checked_duration_since(Instant::now())?;
                (left > self.min_ttl).then(|| t.token.clone())
            }
        }
    }
}

impl<T: Clone + Send + PartialEq> TokenCache<T> {
    /// Drops the cached token if it is still `token`.
    ///
    /// Call it after the server rejected `token` (HTTP 401/403) so that the next
    /// [`get_or_insert_with`](Self::get_or_insert_with) fetches a new one. If the cache
    /// already holds a different (newer) token, it is kept.
    pub fn invalidate(&self, token: &T) {
        self.invalidate_if(|cached| cached == token);
    }
}

impl<T> TokenCache<T> {
    /// Locks the slot, recovering from poisoning (the slot is always in a valid state).
    fn lock(&self) -> std::sync::MutexGuard<'_, Option<TemporaryToken<T>>> {
        self.cached
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A source of short-lived tokens, e.g. an instance metadata service, an OAuth token
/// endpoint or a managed identity endpoint.
///
/// Backends implement it and wrap it in a [`TokenCredentialProvider`], which adds caching
/// and single-flight refresh. The provider owns whatever it needs to fetch (an HTTP client,
/// endpoints, retry settings).
#[async_trait]
pub trait TokenProvider: std::fmt::Debug + Send + Sync {
    /// The credential the token grants.
    type Credential: Send + Sync;

    /// Fetches a new token and when it expires.
    async fn fetch_token(&self) -> Result<TemporaryToken<Arc<Self::Credential>>>;
}

/// A [`CredentialProvider`] that caches the tokens of a [`TokenProvider`] in a
/// [`TokenCache`].
pub struct TokenCredentialProvider<P: TokenProvider> {
    inner: P,
    cache: TokenCache<Arc<P::Credential>>,
}

impl<P: TokenProvider> TokenCredentialProvider<P> {
    /// Wraps `inner` with a cache using the default refresh margin ([`DEFAULT_MIN_TTL`]).
    pub fn new(inner: P) -> Self {
        Self {
            inner,
            cache: TokenCache::default(),
        }
    }

    /// Sets the refresh margin of the cache (see [`TokenCache::with_min_ttl`]).
    pub fn with_min_ttl(self, min_ttl: Duration) -> Self {
        Self {
            cache: self.cache.with_min_ttl(min_ttl),
            ..self
        }
    }

    /// Drops the cached credential if it is `credential` (compared by pointer), so the next
    /// request fetches a new token. Call it after a 401/403 response.
    pub fn invalidate(&self, credential: &Arc<P::Credential>) {
        self.cache.invalidate_if(|c| Arc::ptr_eq(c, credential));
    }
}

impl<P: TokenProvider> fmt::Debug for TokenCredentialProvider<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenCredentialProvider")
            .field("inner", &self.inner)
            .field("cache", &self.cache)
            .finish()
    }
}

#[async_trait]
impl<P: TokenProvider> CredentialProvider for TokenCredentialProvider<P> {
    type Credential = P::Credential;

    async fn get_credential(&self) -> Result<Arc<P::Credential>> {
        self.cache
            .get_or_insert_with(|| self.inner.fetch_token())
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ostore_core::Error;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::time::{advance, sleep};

    const HOUR: Duration = Duration::from_secs(3600);

    fn token(value: &str, ttl: Option<Duration>) -> TemporaryToken<String> {
        TemporaryToken {
            token: value.to_string(),
            expiry: ttl.map(|d| Instant::now() + d),
        }
    }

    async fn fetch_ok(
        cache: &TokenCache<String>,
        calls: &AtomicUsize,
        value: &str,
        ttl: Option<Duration>,
    ) -> Result<String> {
        cache
            .get_or_insert_with(|| async {
                calls.fetch_add(1, Ordering::SeqCst);
                Ok(token(value, ttl))
            })
            .await
    }

    async fn fetch_err(cache: &TokenCache<String>) -> Result<String> {
        cache
            .get_or_insert_with(|| async { Err(Error::generic("test", "token endpoint down")) })
            .await
    }

    #[tokio::test(start_paused = true)]
    async fn cached_while_valid_then_refreshed_inside_margin() {
        let cache = TokenCache::default();
        let calls = AtomicUsize::new(0);
        assert_eq!(
            fetch_ok(&cache, &calls, "a", Some(HOUR)).await.unwrap(),
            "a"
        );
        advance(Duration::from_secs(54 * 60)).await;
        // 6 minutes left: more than the 5 minute margin, still cached.
        assert_eq!(
            fetch_ok(&cache, &calls, "b", Some(HOUR)).await.unwrap(),
            "a"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        advance(Duration::from_secs(2 * 60)).await;
        // 4 minutes left: inside the margin, refreshed.
        assert_eq!(
            fetch_ok(&cache, &calls, "b", Some(HOUR)).await.unwrap(),
            "b"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn custom_min_ttl() {
        let cache = TokenCache::default().with_min_ttl(Duration::from_secs(10));
        let calls = AtomicUsize::new(0);
        fetch_ok(&cache, &calls, "a", Some(Duration::from_secs(60)))
            .await
            .unwrap();
        advance(Duration::from_secs(45)).await;
        assert_eq!(fetch_ok(&cache, &calls, "b", None).await.unwrap(), "a");
        advance(Duration::from_secs(10)).await;
        assert_eq!(fetch_ok(&cache, &calls, "b", None).await.unwrap(), "b");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_callers_trigger_one_fetch() {
        let cache = Arc::new(TokenCache::default());
        let calls = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..50)
            .map(|_| {
                let (cache, calls) = (Arc::clone(&cache), Arc::clone(&calls));
                tokio::spawn(async move {
                    cache
                        .get_or_insert_with(|| async {
                            calls.fetch_add(1, Ordering::SeqCst);
                            sleep(Duration::from_secs(1)).await;
                            Ok(token("t", Some(HOUR)))
                        })
                        .await
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap().unwrap(), "t");
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn callers_during_a_slow_refresh_get_the_old_token_at_once() {
        let cache = Arc::new(TokenCache::default());
        let calls = AtomicUsize::new(0);
        fetch_ok(&cache, &calls, "old", Some(HOUR)).await.unwrap();
        advance(HOUR - Duration::from_secs(60)).await; // inside the margin, not expired
        let refresher = {
            let cache = Arc::clone(&cache);
            tokio::spawn(async move {
                cache
                    .get_or_insert_with(|| async {
                        sleep(Duration::from_secs(30)).await;
                        Ok(token("new", Some(HOUR)))
                    })
                    .await
            })
        };
        tokio::task::yield_now().await; // let the refresh start and hold the fetch lock
        let started = tokio::time::Instant::now();
        assert_eq!(
            fetch_ok(&cache, &calls, "x", Some(HOUR)).await.unwrap(),
            "old"
        );
        assert_eq!(
            started.elapsed(),
            Duration::ZERO,
            "must not wait for the refresh"
        );
        assert_eq!(refresher.await.unwrap().unwrap(), "new");
        assert_eq!(
            fetch_ok(&cache, &calls, "x", Some(HOUR)).await.unwrap(),
            "new"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn failure_inside_margin_serves_old_token_until_expiry() {
        let cache = TokenCache::default();
        let calls = AtomicUsize::new(0);
        fetch_ok(&cache, &calls, "old", Some(HOUR)).await.unwrap();
        advance(HOUR - Duration::from_secs(60)).await;
        assert_eq!(fetch_err(&cache).await.unwrap(), "old");
        advance(Duration::from_secs(61)).await;
        let err = fetch_err(&cache).await.unwrap_err();
        assert!(err.to_string().contains("token endpoint down"), "{err}");
    }

    #[tokio::test(start_paused = true)]
    async fn failure_without_cached_token_returns_error() {
        let cache = TokenCache::default();
        assert!(matches!(
            fetch_err(&cache).await,
            Err(Error::Generic { store: "test", .. })
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn invalidate_drops_only_matching_token() {
        let cache = TokenCache::default();
        let calls = AtomicUsize::new(0);
        fetch_ok(&cache, &calls, "a", Some(HOUR)).await.unwrap();
        cache.invalidate(&"other".to_string());
        assert_eq!(
            fetch_ok(&cache, &calls, "b", Some(HOUR)).await.unwrap(),
            "a"
        );
        cache.invalidate(&"a".to_string());
        assert_eq!(
            fetch_ok(&cache, &calls, "b", Some(HOUR)).await.unwrap(),
            "b"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn token_without_expiry_is_cached_until_invalidated() {
        let cache = TokenCache::default();
        let calls = AtomicUsize::new(0);
        fetch_ok(&cache, &calls, "forever", None).await.unwrap();
        advance(Duration::from_secs(365 * 24 * 3600)).await;
        assert_eq!(
            fetch_ok(&cache, &calls, "x", None).await.unwrap(),
            "forever"
        );
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        cache.invalidate(&"forever".to_string());
        assert_eq!(fetch_ok(&cache, &calls, "x", None).await.unwrap(), "x");
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[derive(Debug, Default)]
    struct CountingProvider {
        calls: AtomicUsize,
    }

    #[async_trait]
    impl TokenProvider for CountingProvider {
        type Credential = String;

        async fn fetch_token(&self) -> Result<TemporaryToken<Arc<String>>> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            Ok(TemporaryToken {
                token: Arc::new(format!("secret-{n}")),
                expiry: Some(Instant::now() + HOUR),
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn token_credential_provider_caches_and_invalidates() {
        let provider = TokenCredentialProvider::new(CountingProvider::default());
        let a = provider.get_credential().await.unwrap();
        let b = provider.get_credential().await.unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(*a, "secret-0");
        // An equal but distinct Arc is not the cached credential.
        provider.invalidate(&Arc::new("secret-0".to_string()));
        assert!(Arc::ptr_eq(&a, &provider.get_credential().await.unwrap()));
        provider.invalidate(&a);
        assert_eq!(*provider.get_credential().await.unwrap(), "secret-1");
        assert!(!format!("{provider:?}").contains("secret-1"));
    }
}
