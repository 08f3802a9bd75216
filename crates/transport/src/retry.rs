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
    /// The server answered with this status. 5xx (but 501 Not Implemented and 505), 429
    /// and 408 are retried; other statuses are final. `retry_after` is the server's `Retry-After`, see [`parse_retry_after`].
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
                // 501 and 505 say the server cannot do this at all: asking again is futile.
                (status.is_server_error()
                    && *status != StatusCode::NOT_IMPLEMENTED
                    && *status != StatusCode::HTTP_VERSION_NOT_SUPPORTED)
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;

    fn cfg() -> RetryConfig {
        RetryConfig::default()
    }

    #[test]
    fn defaults() {
        let c = RetryConfig::default();
        assert_eq!(c.max_retries, 10);
        assert_eq!(c.retry_timeout, Duration::from_secs(180));
        assert_eq!(c.backoff.init_backoff, Duration::from_millis(100));
        assert_eq!(c.backoff.max_backoff, Duration::from_secs(15));
        assert_eq!(c.backoff.base, 2.0);
    }

    #[test]
    fn backoff_stays_within_bounds_and_grows() {
        let config = BackoffConfig::default();
        let mut reached_half_max = false;
        for seed in 0..50 {
            let mut b = Backoff::new_with_rng(&config, StdRng::seed_from_u64(seed));
            let mut prev = config.init_backoff;
            for _ in 0..60 {
                let d = b.next();
                assert!(d >= config.init_backoff && d <= config.max_backoff, "{d:?}");
                // Each draw is at most base times the previous one (float slack of 1 µs).
                assert!(d <= prev.mul_f64(config.base) + Duration::from_micros(1));
                reached_half_max |= d >= config.max_backoff / 2;
                prev = d;
            }
        }
        assert!(reached_half_max, "the waits grow towards max_backoff");
        // The thread-local generator obeys the same bounds.
        let mut b = Backoff::new(&config);
        for _ in 0..100 {
            let d = b.next();
            assert!(d >= config.init_backoff && d <= config.max_backoff);
        }
    }

    /// A generator that always yields its largest value: the upper bound of each draw.
    struct Top;
    impl RngCore for Top {
        fn next_u32(&mut self) -> u32 {
            u32::MAX
        }
        fn next_u64(&mut self) -> u64 {
            u64::MAX
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.fill(0xff)
        }
    }

    #[test]
    fn backoff_upper_bound_is_geometric_then_capped() {
        let config = BackoffConfig {
            init_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(10),
            base: 2.0,
        };
        let mut b = Backoff::new_with_rng(&config, Top);
        let secs: Vec<u64> = (0..6)
            .map(|_| b.next().as_secs_f64().round() as u64)
            .collect();
        assert_eq!(secs, [2, 4, 8, 10, 10, 10]);
    }

    #[test]
    fn backoff_is_deterministic_with_a_seed() {
        let config = BackoffConfig::default();
        let draw = |seed| {
            let mut b = Backoff::new_with_rng(&config, StdRng::seed_from_u64(seed));
            (0..20).map(|_| b.next()).collect::<Vec<_>>()
        };
        assert_eq!(draw(7), draw(7));
        assert_ne!(draw(7), draw(8));
    }

    #[test]
    fn degenerate_backoff_configs_do_not_panic() {
        for (init, max, base) in [(5, 1, 2.0), (1, 1, 2.0), (1, 10, 0.5), (1, 10, f64::NAN)] {
            let config = BackoffConfig {
                init_backoff: Duration::from_secs(init),
                max_backoff: Duration::from_secs(max),
                base,
            };
            let mut b = Backoff::new_with_rng(&config, StdRng::seed_from_u64(1));
            for _ in 0..10 {
                let d = b.next();
                assert!(d >= Duration::from_secs(init.min(max)));
                assert!(d <= Duration::from_secs(init.max(max)));
            }
        }
    }

    #[test]
    fn idempotent_methods() {
        for m in [
            Method::GET,
            Method::HEAD,
            Method::PUT,
            Method::DELETE,
            Method::OPTIONS,
            Method::TRACE,
        ] {
            assert!(is_idempotent(&m), "{m}");
        }
        for m in [Method::POST, Method::PATCH, Method::CONNECT] {
            assert!(!is_idempotent(&m), "{m}");
        }
    }

    fn status(code: u16, retry_after: Option<u64>) -> Outcome {
        Outcome::Status {
            status: StatusCode::from_u16(code).unwrap(),
            retry_after: retry_after.map(Duration::from_secs),
        }
    }

    const MS100: Duration = Duration::from_millis(100);

    fn decide(kind: Outcome, idempotent: bool) -> Decision {
        retry_decision(kind, idempotent, 0, Duration::ZERO, MS100, &cfg())
    }

    #[test]
    fn decision_by_outcome() {
        let retry = Decision::Retry(MS100);
        for idempotent in [true, false] {
            assert_eq!(decide(Outcome::ConnectError, idempotent), retry);
            for code in [500, 502, 503, 504, 429, 408] {
                assert_eq!(decide(status(code, None), idempotent), retry, "{code}");
            }
            for code in [200, 304, 400, 401, 403, 404, 409, 412, 501, 505] {
                assert_eq!(decide(status(code, None), idempotent), Decision::GiveUp);
            }
        }
        assert_eq!(decide(Outcome::SentError, true), retry);
        assert_eq!(decide(Outcome::SentError, false), Decision::GiveUp);
    }

    #[test]
    fn retry_after_is_honoured() {
        // Longer than the backoff: wait for it.
        assert_eq!(
            decide(status(503, Some(7)), true),
            Decision::Retry(Duration::from_secs(7))
        );
        // Shorter than the backoff: the backoff wins.
        let d = retry_decision(
            status(429, Some(1)),
            true,
            0,
            Duration::ZERO,
            Duration::from_secs(3),
            &cfg(),
        );
        assert_eq!(d, Decision::Retry(Duration::from_secs(3)));
        // Beyond the remaining retry_timeout: give up now rather than wait in vain.
        let d = retry_decision(
            status(503, Some(100)),
            true,
            0,
            Duration::from_secs(81),
            MS100,
            &cfg(),
        );
        assert_eq!(d, Decision::GiveUp);
        // Ending exactly at the deadline is allowed.
        let d = retry_decision(
            status(503, Some(100)),
            true,
            0,
            Duration::from_secs(80),
            MS100,
            &cfg(),
        );
        assert_eq!(d, Decision::Retry(Duration::from_secs(100)));
        // Retry-After on a non-retryable status does not make it retryable.
        assert_eq!(decide(status(404, Some(1)), true), Decision::GiveUp);
    }

    #[test]
    fn limits() {
        let c = cfg();
        let at = |attempt, elapsed: u64| {
            retry_decision(
                Outcome::ConnectError,
                true,
                attempt,
                Duration::from_secs(elapsed),
                MS100,
                &c,
            )
        };
        assert_eq!(at(9, 0), Decision::Retry(MS100));
        assert_eq!(at(10, 0), Decision::GiveUp);
        assert_eq!(at(usize::MAX, 0), Decision::GiveUp);
        assert_eq!(at(0, 179), Decision::Retry(MS100));
        assert_eq!(at(0, 180), Decision::GiveUp);
        let none = RetryConfig {
            max_retries: 0,
            ..cfg()
        };
        let d = retry_decision(Outcome::ConnectError, true, 0, Duration::ZERO, MS100, &none);
        assert_eq!(d, Decision::GiveUp);
        let d = retry_decision(Outcome::ConnectError, true, 0, Duration::MAX, MS100, &cfg());
        assert_eq!(d, Decision::GiveUp, "no overflow on huge elapsed");
    }

    fn hv(s: &str) -> HeaderValue {
        HeaderValue::from_str(s).unwrap()
    }

    #[test]
    fn retry_after_seconds() {
        let now = SystemTime::now();
        assert_eq!(
            parse_retry_after(&hv("120"), now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(&hv(" 0 "), now), Some(Duration::ZERO));
        for bad in ["", "-1", "1.5", "12s", "99999999999999999999999", "soon"] {
            assert_eq!(parse_retry_after(&hv(bad), now), None, "{bad}");
        }
    }

    #[test]
    fn retry_after_http_date() {
        // 784111777 is Sun, 06 Nov 1994 08:49:37 GMT.
        let date = UNIX_EPOCH + Duration::from_secs(784_111_777);
        let value = hv("Sun, 06 Nov 1994 08:49:37 GMT");
        let before = date - Duration::from_secs(90);
        assert_eq!(
            parse_retry_after(&value, before),
            Some(Duration::from_secs(90))
        );
        let after = date + Duration::from_secs(5);
        assert_eq!(parse_retry_after(&value, after), Some(Duration::ZERO));

        let cases = [
            ("Thu, 01 Jan 1970 00:00:00 GMT", 0),
            ("Tue, 29 Feb 2000 23:59:59 GMT", 951_868_799),
            ("Wed, 31 Dec 2036 12:00:00 GMT", 2_114_337_600),
            ("Sat, 01 Mar 2025 00:00:01 GMT", 1_740_787_201),
        ];
        for (s, secs) in cases {
            assert_eq!(
                parse_imf_fixdate(s),
                Some(UNIX_EPOCH + Duration::from_secs(secs)),
                "{s}"
            );
        }
    }

    #[test]
    fn malformed_http_dates() {
        let now = UNIX_EPOCH;
        for bad in [
            "Mon, 06 Nov 1994 08:49:37 GMT",  // wrong weekday
            "Sun, 06 Nov 1994 08:49:37 UTC",  // not GMT
            "Sun, 6 Nov 1994 08:49:37 GMT",   // one-digit day
            "Sun, 06 Foo 1994 08:49:37 GMT",  // bad month
            "Sun, 06 Nov 1994 24:49:37 GMT",  // bad hour
            "Sun, 06 Nov 1994 08:60:37 GMT",  // bad minute
            "Fri, 29 Feb 2019 00:00:00 GMT",  // not a leap year
            "Sun, 00 Nov 1994 08:49:37 GMT",  // day zero
            "Sunday, 06-Nov-94 08:49:37 GMT", // RFC 850 form
            "Sun Nov  6 08:49:37 1994",       // asctime form
            "Sun, 06 Nov 1994 08:49:3x GMT",
            "Sun, 06 Nov 1969 08:49:37 GMT", // before the epoch... and wrong weekday
        ] {
            assert_eq!(parse_retry_after(&hv(bad), now), None, "{bad}");
        }
        let non_ascii = HeaderValue::from_bytes(b"\xff\xfe").unwrap();
        assert_eq!(parse_retry_after(&non_ascii, now), None);
    }

    #[test]
    fn pre_epoch_date_is_rejected() {
        // A real pre-epoch date with the right weekday.
        assert_eq!(parse_imf_fixdate("Wed, 31 Dec 1969 23:59:59 GMT"), None);
    }
}
