//! Retry policy of the transport: how long to back off between attempts ([`Backoff`]) and
//! whether a failed attempt may be retried at all ([`retry_decision`]).

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::{HeaderValue, Method, StatusCode};
use rand::{Rng, RngCore};

/// Shape of the exponential backoff between retries.
#[derive(Debug, Clone, PartialEq)]
pub struct BackoffConfig {
    /// The first (and smallest) wait. Default 100 ms.
    pub init_backoff: Duration,
    /// The largest wait. Default 15 s.
    pub max_backoff: Duration,
    /// How fast the upper bound of the wait grows per attempt. Default 2.0.
    pub base: f64,
}

impl Default for BackoffConfig {
    fn default() -> Self {
        Self {
            init_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_secs(15),
            base: 2.0,
        }
    }
}

/// When and how often a failed request is retried.
///
/// A request is retried at most `max_retries` times, and never once `retry_timeout` has
/// passed since the first attempt (a wait that would end past it is not started).
#[derive(Debug, Clone, PartialEq)]
pub struct RetryConfig {
    /// The waits between attempts.
    pub backoff: BackoffConfig,
    /// The most retries after the first attempt. Default 10.
    pub max_retries: usize,
    /// The longest time, from the first attempt, during which retries are made. Default 3 min.
    pub retry_timeout: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        Self {
            backoff: BackoffConfig::default(),
            max_retries: 10,
            retry_timeout: Duration::from_secs(180),
        }
    }
}

/// A sequence of waits following "decorrelated jitter".
///
/// Each wait is drawn uniformly from `[init, prev × base]` and capped at `max`, where `prev`
/// is the previous wait (initially `init`). The upper bound thus grows geometrically while
/// the randomness spreads out clients that failed together.
pub struct Backoff {
    init: f64,
    max: f64,
    base: f64,
    prev: f64,
    rng: Option<Box<dyn RngCore + Send + Sync>>,
}

impl fmt::Debug for Backoff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Backoff")
            .field("init", &self.init)
            .field("max", &self.max)
            .field("base", &self.base)
            .field("prev", &self.prev)
            .finish_non_exhaustive()
    }
}

impl Backoff {
    /// A backoff drawing from the thread-local random generator.
    pub fn new(config: &BackoffConfig) -> Self {
        Self::build(config, None)
    }

    /// A backoff drawing from `rng`; with a seeded generator the sequence is reproducible.
    pub fn new_with_rng(config: &BackoffConfig, rng: impl RngCore + Send + Sync + 'static) -> Self {
        Self::build(config, Some(Box::new(rng)))
    }

    fn build(config: &BackoffConfig, rng: Option<Box<dyn RngCore + Send + Sync>>) -> Self {
        let init = config.init_backoff.as_secs_f64();
        // A max below init would make the range empty: treat it as init.
        let max = config.max_backoff.as_secs_f64().max(init);
        // A non-finite or shrinking base would never grow the bound: treat it as 1.
        let base = if config.base.is_finite() && config.base >= 1.0 {
            config.base
        } else {
            1.0
        };
        Self {
            init,
            max,
            base,
            prev: init,
            rng,
        }
    }

    /// The next wait: uniform in `[init, prev × base]`, capped at `max_backoff`.
    #[allow(clippy::should_implement_trait)] // endless sequence: an Option would be noise
    pub fn next(&mut self) -> Duration {
        let hi = (self.prev * self.base).min(self.max);
        let unit: f64 = match &mut self.rng {
            Some(rng) => rng.random(),
            None => rand::rng().random(),
        };
        let next = (self.init + unit * (hi - self.init)).clamp(self.init, self.max);
        self.prev = next;
        Duration::from_secs_f64(next)
    }
}

/// Whether a request with this method can be sent twice with the effect of sending it once
/// (RFC 9110 §9.2.2): GET, HEAD, PUT, DELETE, OPTIONS and TRACE are; POST, PATCH are not.
pub fn is_idempotent(method: &Method) -> bool {
    [
        Method::GET,
        Method::HEAD,
        Method::PUT,
        Method::DELETE,
        Method::OPTIONS,
        Method::TRACE,
    ]
    .contains(method)
}

/// How an attempt failed, as far as retrying is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// No connection was made (DNS, refused, TLS handshake): nothing reached the server,
    /// so a retry is always safe.
    ConnectError,
    /// The request was (perhaps partly) sent, then timed out or the connection was reset:
    /// the server may have acted on it, so only idempotent requests are retried.
    SentError,
    /// The server answered with this status. 5xx, 429 and 408 are retried; other statuses
    /// are final. `retry_after` is the server's `Retry-After`, see [`parse_retry_after`].
    Status {
        /// The response status.
        status: StatusCode,
        /// The wait the server asked for, if any.
        retry_after: Option<Duration>,
    },
}

impl Outcome {
    fn is_retryable(&self, idempotent: bool) -> bool {
        match self {
            Self::ConnectError => true,
            Self::SentError => idempotent,
            Self::Status { status, .. } => {
                status.is_server_error()
                    || *status == StatusCode::TOO_MANY_REQUESTS
                    || *status == StatusCode::REQUEST_TIMEOUT
            }
        }
    }
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then send the request again.
    Retry(Duration),
    /// Return the failure to the caller.
    GiveUp,
}

/// Decides whether to retry after a failed attempt.
///
/// `attempt` is the number of retries already made (0 after the first attempt fails),
/// `elapsed` the time since the first attempt started, and `backoff` the caller's next
/// [`Backoff::next`] draw. The wait is `max(backoff, retry_after)`. Gives up when the
/// failure is not retryable (see [`Outcome`]), when `max_retries` retries were made, or
/// when the wait would end after `retry_timeout`.
pub fn retry_decision(
    kind: Outcome,
    idempotent: bool,
    attempt: usize,
    elapsed: Duration,
    backoff: Duration,
    cfg: &RetryConfig,
) -> Decision {
    if !kind.is_retryable(idempotent) || attempt >= cfg.max_retries {
        return Decision::GiveUp;
    }
    let wait = match kind {
        Outcome::Status {
            retry_after: Some(ra),
            ..
        } => backoff.max(ra),
        _ => backoff,
    };
    match elapsed.checked_add(wait) {
        Some(end) if end <= cfg.retry_timeout => Decision::Retry(wait),
        _ => Decision::GiveUp,
    }
}

/// Reads a `Retry-After` header: either delay seconds (`120`) or an IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), which is turned into the time left after `now`
/// (zero for a date in the past). The obsolete RFC 850 and asctime date forms are not
/// accepted. `None` when the value is malformed.
pub fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let s = value.to_str().ok()?.trim();
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse().ok().map(Duration::from_secs);
    }
    let at = parse_imf_fixdate(s)?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12; // March = 0
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

/// Parses `Sun, 06 Nov 1994 08:49:37 GMT` (RFC 9110 §5.6.7), checking the weekday.
fn parse_imf_fixdate(s: &str) -> Option<SystemTime> {
    const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let b = s.as_bytes();
    if b.len() != 29 || &b[3..5] != b", " || &b[25..] != b" GMT" {
        return None;
    }
    if b[7] != b' ' || b[11] != b' ' || b[16] != b' ' || b[19] != b':' || b[22] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let part = &b[r];
        part.iter().all(u8::is_ascii_digit).then(|| {
            part.iter()
                .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'))
        })
    };
    let weekday = DAYS.iter().position(|d| d.as_bytes() == &b[..3])? as i64;
    let day = num(5..7)?;
    let month = MONTHS.iter().position(|m| m.as_bytes() == &b[8..11])? as i64 + 1;
    let year = num(12..16)?;
    let (hour, min, sec) = (num(17..19)?, num(20..22)?, num(23..25)?);
    const MONTH_LEN: [i64; 12] = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    let month_len = MONTH_LEN[month as usize - 1] + i64::from(month == 2 && is_leap(year));
    // 60 seconds admits a leap second, read as the next second's start.
    if day < 1 || day > month_len || hour > 23 || min > 59 || sec > 60 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    // 1970-01-01 was a Thursday (index 4 with Sunday = 0).
    if (days + 4).rem_euclid(7) != weekday {
        return None;
    }
    let secs = days * 86_400 + hour * 3_600 + min * 60 + sec;
    let secs = u64::try_from(secs).ok()?;
    UNIX_EPOCH.checked_add(Duration::from_secs(secs))
}
