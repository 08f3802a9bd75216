//! Tests of `ClientOptions`, `ClientConfigKey`, the value parsers and `Certificate`.

use std::time::Duration;

use http::{HeaderMap, HeaderValue};
use ostore_core::Error;
use ostore_core::path::Path;
use ostore_transport::config::{format_duration, parse_bool, parse_duration};
use ostore_transport::{Certificate, ClientConfigKey, ClientOptions};

#[test]
fn every_key_round_trips_through_its_names() {
    for key in ClientConfigKey::ALL {
        let name = key.as_ref();
        assert_eq!(name.parse::<ClientConfigKey>().unwrap(), key, "{name}");
        assert_eq!(key.to_string(), name);
        let alias = name.replace('_', "-");
        assert_eq!(alias.parse::<ClientConfigKey>().unwrap(), key, "{alias}");
    }
    let mut names: Vec<_> = ClientConfigKey::ALL.iter().map(|k| k.as_ref()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(
        names.len(),
        ClientConfigKey::ALL.len(),
        "names are distinct"
    );
    assert_eq!(
        "connect_timeout".parse::<ClientConfigKey>().unwrap(),
        ClientConfigKey::ConnectTimeout
    );
}

#[test]
fn unknown_key_is_a_typed_error() {
    for bad in ["nope", "", "ALLOW_HTTP", "allow_http_", "allow-http_x"] {
        match bad.parse::<ClientConfigKey>() {
            Err(Error::UnknownConfigurationKey { store, key }) => {
                assert_eq!(store, "HTTP");
                assert_eq!(key, bad);
            }
            other => panic!("{bad:?}: unexpected {other:?}"),
        }
    }
}

#[test]
fn durations_parse() {
    let cases = [
        ("30s", Duration::from_secs(30)),
        ("30", Duration::from_secs(30)),
        (" 30 ", Duration::from_secs(30)),
        ("5 minutes", Duration::from_secs(300)),
        ("100ms", Duration::from_millis(100)),
        ("1h 30m", Duration::from_secs(5400)),
        ("1h30m15s", Duration::from_secs(5415)),
        ("2 days", Duration::from_secs(172_800)),
        ("1d", Duration::from_secs(86_400)),
        ("3 hr", Duration::from_secs(10_800)),
        ("7ns", Duration::from_nanos(7)),
        ("7us", Duration::from_micros(7)),
        ("7µs", Duration::from_micros(7)),
        ("1 Second", Duration::from_secs(1)),
        ("2 secs 500 millis", Duration::from_millis(2500)),
        ("0", Duration::ZERO),
    ];
    for (s, want) in cases {
        assert_eq!(parse_duration(s).unwrap(), want, "{s}");
    }
}

#[test]
fn bad_durations_are_errors_naming_the_value() {
    for s in [
        "",
        "  ",
        "s",
        "ten seconds",
        "10 fortnights",
        "1.5s",
        "-1s",
        "10s x",
        "1h,30m",
        "99999999999999999999999d",
    ] {
        match parse_duration(s) {
            Err(Error::Generic { store, source }) => {
                assert_eq!(store, "Config");
                assert!(source.to_string().contains(&format!("{s:?}")), "{source}");
            }
            other => panic!("{s:?}: unexpected {other:?}"),
        }
    }
}

#[test]
fn format_duration_reads_back() {
    for d in [
        Duration::ZERO,
        Duration::from_secs(30),
        Duration::from_millis(1500),
        Duration::from_micros(3),
        Duration::from_nanos(1_000_000_001),
    ] {
        assert_eq!(parse_duration(&format_duration(d)).unwrap(), d);
    }
    assert_eq!(format_duration(Duration::from_millis(100)), "100ms");
}

#[test]
fn bools_parse() {
    for s in ["true", "TRUE", "1", "yes", "Yes", "on", " On "] {
        assert!(parse_bool(s).unwrap(), "{s}");
    }
    for s in ["false", "False", "0", "no", "NO", "off"] {
        assert!(!parse_bool(s).unwrap(), "{s}");
    }
    for s in ["", "2", "y", "truthy", "enable"] {
        assert!(
            matches!(
                parse_bool(s),
                Err(Error::Generic {
                    store: "Config",
                    ..
                })
            ),
            "{s}"
        );
    }
}

fn sample(key: ClientConfigKey) -> &'static str {
    use ClientConfigKey as K;
    match key {
        K::AllowHttp
        | K::AllowInvalidCertificates
        | K::Http1Only
        | K::Http2KeepAliveWhileIdle
        | K::Http2Only
        | K::RandomizeAddresses
        | K::SystemRoots => "yes",
        K::ConnectTimeout
        | K::Http2KeepAliveInterval
        | K::Http2KeepAliveTimeout
        | K::PoolIdleTimeout
        | K::ReadTimeout
        | K::Timeout => "1m 30s",
        K::Http2MaxFrameSize | K::PoolMaxIdlePerHost => "16384",
        K::DefaultContentType => "text/plain",
        K::ProxyUrl => "http://proxy:8080",
        K::ProxyCaCertificate => "-----BEGIN CERTIFICATE-----",
        K::ProxyExcludes => "localhost,.internal",
        K::UserAgent => "my-agent/1.0",
        _ => unreachable!("new key without a sample"),
    }
}

fn check_getter(o: &ClientOptions, key: ClientConfigKey) -> Result<(), Error> {
    use ClientConfigKey as K;
    let d90 = Some(Duration::from_secs(90));
    match key {
        K::AllowHttp => assert!(o.allow_http()?),
        K::AllowInvalidCertificates => assert!(o.allow_invalid_certificates()?),
        K::Http1Only => assert!(o.http1_only()?),
        K::Http2KeepAliveWhileIdle => assert!(o.http2_keep_alive_while_idle()?),
        K::Http2Only => assert!(o.http2_only()?),
        K::RandomizeAddresses => assert!(o.randomize_addresses()?),
        K::SystemRoots => assert!(o.system_roots()?),
        K::ConnectTimeout => assert_eq!(o.connect_timeout()?, d90),
        K::Http2KeepAliveInterval => assert_eq!(o.http2_keep_alive_interval()?, d90),
        K::Http2KeepAliveTimeout => assert_eq!(o.http2_keep_alive_timeout()?, d90),
        K::PoolIdleTimeout => assert_eq!(o.pool_idle_timeout()?, d90),
        K::ReadTimeout => assert_eq!(o.read_timeout()?, d90),
        K::Timeout => assert_eq!(o.timeout()?, d90),
        K::Http2MaxFrameSize => assert_eq!(o.http2_max_frame_size()?, Some(16384)),
        K::PoolMaxIdlePerHost => assert_eq!(o.pool_max_idle_per_host()?, Some(16384)),
        K::DefaultContentType => {
            assert_eq!(o.get_content_type(&Path::from("a")), Some("text/plain"))
        }
        K::ProxyUrl => assert_eq!(o.proxy_url(), Some("http://proxy:8080")),
        K::ProxyCaCertificate => assert!(o.proxy_ca_certificate().is_some()),
        K::ProxyExcludes => assert_eq!(o.proxy_excludes(), Some("localhost,.internal")),
        K::UserAgent => assert_eq!(o.user_agent()?.unwrap(), "my-agent/1.0"),
        _ => unreachable!(),
    }
    Ok(())
}

#[test]
fn with_config_round_trips_every_key() {
    for key in ClientConfigKey::ALL {
        let o = ClientOptions::new().with_config(key, sample(key));
        assert_eq!(
            o.get_config_value(&key).as_deref(),
            Some(sample(key)),
            "{key}"
        );
        check_getter(&o, key).unwrap_or_else(|e| panic!("{key}: {e}"));
    }
}

#[test]
fn malformed_values_fail_at_the_getter_naming_key_and_value() {
    use ClientConfigKey as K;
    let o = ClientOptions::new()
        .with_config(K::Timeout, "soon")
        .with_config(K::AllowHttp, "perhaps")
        .with_config(K::PoolMaxIdlePerHost, "-3")
        .with_config(K::UserAgent, "bad\nagent");
    let errs = [
        o.timeout().unwrap_err(),
        o.allow_http().unwrap_err(),
        o.pool_max_idle_per_host().unwrap_err(),
        o.user_agent().unwrap_err(),
    ];
    for (e, (key, value)) in errs.iter().zip([
        ("timeout", "soon"),
        ("allow_http", "perhaps"),
        ("pool_max_idle_per_host", "-3"),
        ("user_agent", "bad\\nagent"),
    ]) {
        let msg = e.to_string();
        assert!(msg.contains(key) && msg.contains(value), "{msg}");
    }
    // The string form is kept as given.
    assert_eq!(o.get_config_value(&K::Timeout).as_deref(), Some("soon"));
}

#[test]
fn defaults_and_builders() {
    use ClientConfigKey as K;
    let o = ClientOptions::default();
    assert!(!o.allow_http().unwrap());
    assert!(!o.allow_invalid_certificates().unwrap());
    assert!(o.http1_only().unwrap() && !o.http2_only().unwrap());
    assert_eq!(o.connect_timeout().unwrap(), Some(Duration::from_secs(5)));
    assert_eq!(o.timeout().unwrap(), Some(Duration::from_secs(30)));
    assert_eq!(o.read_timeout().unwrap(), Some(Duration::from_secs(30)));
    assert_eq!(
        o.pool_idle_timeout().unwrap(),
        Some(Duration::from_secs(90))
    );
    assert_eq!(
        o.get_config_value(&K::ConnectTimeout).as_deref(),
        Some("5s")
    );
    assert_eq!(o.get_config_value(&K::ProxyUrl), None);
    assert!(o.user_agent().unwrap().is_none());

    let o = o
        .with_timeout_disabled()
        .with_connect_timeout_disabled()
        .with_read_timeout(Duration::from_millis(250))
        .with_allow_http2()
        .with_http2_keep_alive_while_idle()
        .with_http2_max_frame_size(1 << 20)
        .with_pool_max_idle_per_host(4)
        .with_allow_http(true)
        .with_user_agent(HeaderValue::from_static("ua"));
    assert_eq!(o.timeout().unwrap(), None);
    assert_eq!(o.get_config_value(&K::Timeout), None);
    assert_eq!(o.connect_timeout().unwrap(), None);
    assert_eq!(
        o.get_config_value(&K::ReadTimeout).as_deref(),
        Some("250ms")
    );
    assert!(!o.http1_only().unwrap() && !o.http2_only().unwrap());
    assert_eq!(
        o.get_config_value(&K::Http2KeepAliveWhileIdle).as_deref(),
        Some("true")
    );
    assert_eq!(
        o.get_config_value(&K::Http2MaxFrameSize).as_deref(),
        Some("1048576")
    );
    assert_eq!(
        o.get_config_value(&K::PoolMaxIdlePerHost).as_deref(),
        Some("4")
    );
    assert_eq!(o.get_config_value(&K::AllowHttp).as_deref(), Some("true"));
    assert_eq!(o.get_config_value(&K::UserAgent).as_deref(), Some("ua"));
    let o = o.with_http2_only();
    assert!(!o.http1_only().unwrap() && o.http2_only().unwrap());
    let o = o.with_http1_only();
    assert!(o.http1_only().unwrap() && !o.http2_only().unwrap());

    let mut headers = HeaderMap::new();
    headers.insert("x-a", HeaderValue::from_static("1"));
    let o = o.with_default_headers(headers.clone());
    assert_eq!(o.default_headers(), Some(&headers));
}

#[test]
fn content_type_by_suffix_else_default() {
    let o = ClientOptions::new()
        .with_content_type_for_suffix("json", "application/json")
        .with_content_type_for_suffix("parquet", "application/vnd.apache.parquet");
    assert_eq!(
        o.get_content_type(&Path::from("a/b.json")),
        Some("application/json")
    );
    assert_eq!(
        o.get_content_type(&Path::from("x.parquet")),
        Some("application/vnd.apache.parquet")
    );
    assert_eq!(o.get_content_type(&Path::from("a/b.csv")), None);
    assert_eq!(o.get_content_type(&Path::from("a/noext")), None);
    let o = o.with_default_content_type("application/octet-stream");
    assert_eq!(
        o.get_content_type(&Path::from("a/b.csv")),
        Some("application/octet-stream")
    );
    assert_eq!(
        o.get_content_type(&Path::from("b.json")),
        Some("application/json")
    );
}

#[test]
fn proxy_credentials_are_redacted_in_debug() {
    let o = ClientOptions::new().with_proxy_url("http://alice:s3cr3t@proxy.example:3128/p?q=@");
    let dbg = format!("{o:?}");
    assert!(!dbg.contains("s3cr3t") && !dbg.contains("alice"), "{dbg}");
    assert!(dbg.contains("http://***@proxy.example:3128/p?q=@"), "{dbg}");
    // The value itself is kept for the transport.
    assert_eq!(
        o.proxy_url(),
        Some("http://alice:s3cr3t@proxy.example:3128/p?q=@")
    );

    let plain = format!(
        "{:?}",
        ClientOptions::new().with_proxy_url("http://proxy:1/a@b")
    );
    assert!(plain.contains("http://proxy:1/a@b"), "{plain}");
}

// A DER SEQUENCE { INTEGER 5 }: not a real certificate, but shaped like one.
const DER: [u8; 5] = [0x30, 0x03, 0x02, 0x01, 0x05];
const DER2: [u8; 6] = [0x30, 0x04, 0x02, 0x02, 0x01, 0x00];

#[test]
fn certificates_from_pem_and_der() {
    let pem = "junk\n-----BEGIN CERTIFICATE-----\nMAMC\nAQU=\n-----END CERTIFICATE-----\n\
               -----BEGIN CERTIFICATE-----\nMAQCAgEA\n-----END CERTIFICATE-----\n";
    let one = Certificate::from_pem(pem.as_bytes()).unwrap();
    assert_eq!(one.der(), DER);
    let all = Certificate::from_pem_bundle(pem.as_bytes()).unwrap();
    assert_eq!(all.len(), 2);
    assert_eq!(all[1].der(), DER2);
    assert_eq!(Certificate::from_der(&DER).unwrap(), one);
    let o = ClientOptions::new().with_root_certificate(one.clone());
    assert_eq!(o.root_certificates(), &[one]);
}

#[test]
fn bad_certificates_are_errors() {
    let wrap =
        |body: &str| format!("-----BEGIN CERTIFICATE-----\n{body}\n-----END CERTIFICATE-----");
    for bad in [
        String::new(),
        "no pem here".to_string(),
        wrap("MAMC!QU="),
        wrap("MAMCAQU"),
        wrap("MA=CAQU="),
        wrap("AAAA"),
        "-----BEGIN CERTIFICATE-----\nMAMCAQU=\n".to_string(),
    ] {
        assert!(
            matches!(
                Certificate::from_pem(bad.as_bytes()),
                Err(Error::Generic { .. })
            ),
            "{bad:?}"
        );
    }
    assert!(Certificate::from_pem(&[0xff, 0xfe]).is_err());
    assert!(Certificate::from_der(&[]).is_err());
    assert!(Certificate::from_der(&[0x02, 0x01, 0x05]).is_err());
    assert!(Certificate::from_pem_bundle(b"nothing").unwrap().is_empty());
}
