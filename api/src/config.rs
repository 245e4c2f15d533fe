//! Configuration: defaults → optional `juhe.toml` → `JUHE_*` environment variables.
//! With nothing set, juhe runs embedded: SQLite in `data/`, in-process cache, sandboxes on.
//! An unknown key in the file is an error; an unknown `JUHE_*` variable only a warning (the
//! environment is shared with other programs and often set far from the server).

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use juhe_domain::secret::Secret;
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Address the HTTP server listens on.
    pub bind: String,
    /// How the outside world reaches this server (links, callbacks, cashier URLs). When not set:
    /// the URL of `bind` itself, see [`url_for_bind`].
    pub public_url: String,
    /// `sqlite://data/juhe.db` (embedded) or `postgres://…` (production).
    pub database_url: String,
    /// `redis://…` for the production cache; unset = in-process cache.
    pub redis_url: Option<String>,
    /// Prefix for every cache key (several deployments or test runs can share one Redis).
    pub cache_prefix: String,
    /// Where embedded files live (SQLite database, generated keys, mail outbox).
    pub data_dir: PathBuf,
    /// Base64 32-byte master key; unset = read or create `master_key_file`.
    pub master_key: Option<String>,
    pub master_key_file: Option<PathBuf>,
    /// PKCS#8 PEM of the platform's RSA key (signs responses to RSA apps); created if missing.
    pub platform_key_file: Option<PathBuf>,
    pub migrate_on_start: bool,
    pub sandbox_enabled: bool,
    /// `smtp://…` for real mail; unset = files in `<data_dir>/outbox`.
    pub smtp_url: Option<String>,
    pub access_ttl_secs: u64,
    pub refresh_ttl_secs: u64,
    pub login_max_attempts: i64,
    pub login_window_secs: u64,
    /// Use `X-Forwarded-For` for the client IP (only behind a trusted proxy).
    pub trust_proxy_headers: bool,
    /// argon2id memory cost in KiB.
    pub password_hash_memory_kib: u32,
    pub log_level: String,
    /// `text` or `json`.
    pub log_format: String,
    /// Largest accepted request body.
    pub max_body_bytes: usize,
    /// Signed Open API requests per app and second.
    pub open_rate_limit_per_sec: i64,
    /// How long a channel call may take before its outcome counts as unknown.
    pub channel_timeout_ms: u64,
    /// Run a job worker (notification delivery, order and refund follow-ups, …) in this process.
    pub jobs_enabled: bool,
    /// How long a worker's claim on a job lasts without a heartbeat (a killed worker's jobs are
    /// taken over after this).
    pub job_lease_secs: u64,
    /// Jobs one worker runs at the same time.
    pub job_concurrency: usize,
    /// How often an idle worker looks for jobs other processes wrote (its own wake it at once).
    pub job_poll_ms: u64,
    /// How long after creation an unpaid order or a processing refund is first asked about at
    /// its channel, unless a notification settled it before (then less and less often).
    pub requery_after_secs: u64,
    /// Money that arrives on a closed order: `refund` it at once, or `hold` it for an operator.
    pub late_payment_policy: String,
    /// Let routing use the in-process `instant` channel (no HTTP, no crypto): load tests only.
    pub instant_channel_enabled: bool,
    /// How long a server process may serve the order path's lookups (apps, merchants, bindings,
    /// channel accounts, risk rules) from memory; other processes' admin changes take effect
    /// within this time, this process's at once. 0 = always read the database.
    pub lookup_cache_ttl_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            public_url: "http://127.0.0.1:8080".into(),
            database_url: "sqlite://data/juhe.db".into(),
            redis_url: None,
            cache_prefix: "juhe:".into(),
            data_dir: PathBuf::from("data"),
            master_key: None,
            master_key_file: None,
            platform_key_file: None,
            migrate_on_start: true,
            sandbox_enabled: true,
            smtp_url: None,
            access_ttl_secs: 15 * 60,
            refresh_ttl_secs: 14 * 24 * 3600,
            login_max_attempts: 5,
            login_window_secs: 15 * 60,
            trust_proxy_headers: false,
            password_hash_memory_kib: 19 * 1024,
            log_level: "info".into(),
            log_format: "text".into(),
            max_body_bytes: 1024 * 1024,
            open_rate_limit_per_sec: 200,
            channel_timeout_ms: 10_000,
            jobs_enabled: true,
            job_lease_secs: 60,
            job_concurrency: 16,
            job_poll_ms: 1000,
            requery_after_secs: 30,
            late_payment_policy: "refund".into(),
            instant_channel_enabled: false,
            lookup_cache_ttl_ms: 2000,
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {0}")]
pub struct ConfigError(pub String);

/// `JUHE_*` variables read by something other than the server (the test harness, the SDK
/// conformance tests, scripts): not configuration keys, and not worth a warning either.
pub const NOT_CONFIG_ENV: [&str; 5] = [
    "JUHE_TEST_DATABASE_URL",
    "JUHE_TEST_REDIS_URL",
    "JUHE_WECHAT_SDK_PYTHON",
    "JUHE_ALIPAY_SDK_PYTHON",
    "JUHE_DEMO_FILE",
];

/// The URL a server listening on `bind` answers on: `http://{bind}`. An unspecified address
/// (`0.0.0.0`, `[::]`: every interface) is no address to send anyone to, so it becomes loopback
/// (`127.0.0.1`, `[::1]`), the one address sure to reach the server from its own machine;
/// from anywhere else, set `public_url` (the hostname or proxy the world uses).
pub fn url_for_bind(bind: SocketAddr) -> String {
    let mut addr = bind;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    format!("http://{addr}")
}

/// The configuration keys (`bind`, `public_url`, …), as the file and `JUHE_<KEY>` spell them.
fn config_keys() -> Vec<String> {
    match serde_json::to_value(Config::default()) {
        Ok(serde_json::Value::Object(map)) => map.into_iter().map(|(k, _)| k).collect(),
        _ => Vec::new(),
    }
}

/// The `JUHE_*` variables that are configuration keys.
fn env_provider() -> Env {
    let keys = config_keys();
    Env::prefixed("JUHE_").filter(move |k| keys.iter().any(|key| k == key.as_str()))
}

/// `JUHE_*` variables in the environment that are neither configuration keys nor in
/// [`NOT_CONFIG_ENV`] (most likely a typo): the server warns about each at start and goes on.
pub fn unknown_env_vars() -> Vec<String> {
    let keys = config_keys();
    let mut unknown: Vec<String> = Env::prefixed("JUHE_")
        .iter()
        .filter(|(key, _)| !keys.iter().any(|k| key == k.as_str()))
        .map(|(key, _)| format!("JUHE_{}", key.as_str().to_ascii_uppercase()))
        .filter(|name| !NOT_CONFIG_ENV.contains(&name.as_str()))
        .collect();
    unknown.sort();
    unknown
}

impl Config {
    /// Loads defaults, then `juhe.toml` (or the given file) if present, then the `JUHE_*`
    /// variables that are configuration keys (see [`unknown_env_vars`] for the others).
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let file = file.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("juhe.toml"));
        let given = Figment::from(Toml::file(file)).merge(env_provider());
        let mut config: Config = Figment::from(Serialized::defaults(Config::default()))
            .merge(given.clone())
            .extract()
            .map_err(|e| ConfigError(figment_message(e)))?;
        if !given.contains("public_url")
            && let Ok(bind) = config.bind.parse()
        {
            config.public_url = url_for_bind(bind);
        }
        config.validate()?;
        Ok(config)
    }

    /// Once the server has bound (`bind` with port 0 gets a port only then): a `public_url` that
    /// came from `bind` follows the address really bound. An explicit `public_url` stays.
    pub fn follow_bound_address(&mut self, bound: SocketAddr) {
        let from_bind = self.bind.parse().map(url_for_bind).ok();
        if from_bind.as_deref() == Some(self.public_url.as_str()) {
            self.public_url = url_for_bind(bound);
        }
    }

    /// Checks values the type system does not: each error names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let bad = |key: &str, why: &str| Err(ConfigError(format!("key `{key}`: {why}")));
        if self.bind.parse::<SocketAddr>().is_err() {
            return bad("bind", "expected host:port, e.g. 127.0.0.1:8080");
        }
        if !(self.public_url.starts_with("http://") || self.public_url.starts_with("https://")) {
            return bad("public_url", "expected an http(s) URL");
        }
        if !(self.database_url.starts_with("sqlite:")
            || self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://"))
        {
            return bad("database_url", "expected sqlite://… or postgres://…");
        }
        if let Some(url) = &self.redis_url
            && !(url.starts_with("redis://") || url.starts_with("rediss://"))
        {
            return bad("redis_url", "expected redis://…");
        }
        if self.access_ttl_secs < 60 || self.access_ttl_secs > 24 * 3600 {
            return bad("access_ttl_secs", "60..=86400");
        }
        if self.refresh_ttl_secs < self.access_ttl_secs {
            return bad("refresh_ttl_secs", "must be at least access_ttl_secs");
        }
        if self.login_max_attempts < 1 {
            return bad("login_max_attempts", "at least 1");
        }
        if !(8..=1024 * 1024).contains(&self.password_hash_memory_kib) {
            return bad("password_hash_memory_kib", "8..=1048576");
        }
        if !matches!(self.log_format.as_str(), "text" | "json") {
            return bad("log_format", "text or json");
        }
        if self.open_rate_limit_per_sec < 1 {
            return bad("open_rate_limit_per_sec", "at least 1");
        }
        if !(3..=3600).contains(&self.job_lease_secs) {
            return bad("job_lease_secs", "3..=3600");
        }
        if !(10..=60_000).contains(&self.job_poll_ms) {
            return bad("job_poll_ms", "10..=60000");
        }
        if !(1..=512).contains(&self.job_concurrency) {
            return bad("job_concurrency", "1..=512");
        }
        if !(1..=3600).contains(&self.requery_after_secs) {
            return bad("requery_after_secs", "1..=3600");
        }
        if juhe_domain::payments::exception::LatePaymentPolicy::parse(&self.late_payment_policy).is_none() {
            return bad("late_payment_policy", "refund or hold");
        }
        if !(100..=120_000).contains(&self.channel_timeout_ms) {
            return bad("channel_timeout_ms", "100..=120000");
        }
        if self.max_body_bytes < 1024 {
            return bad("max_body_bytes", "at least 1024");
        }
        Ok(())
    }

    pub fn master_key_file(&self) -> PathBuf {
        self.master_key_file.clone().unwrap_or_else(|| self.data_dir.join("master.key"))
    }

    pub fn platform_key_file(&self) -> PathBuf {
        self.platform_key_file.clone().unwrap_or_else(|| self.data_dir.join("platform_rsa.pem"))
    }

    pub fn master_key_secret(&self) -> Option<Secret<String>> {
        self.master_key.clone().map(Secret::new)
    }

    /// The effective configuration with secrets and URL passwords masked, for the start-up log.
    pub fn redacted(&self) -> serde_json::Value {
        let mut v = serde_json::to_value(self).unwrap_or_default();
        if let Some(obj) = v.as_object_mut() {
            for key in ["master_key"] {
                if obj.get(key).is_some_and(|x| !x.is_null()) {
                    obj.insert(key.into(), "***".into());
                }
            }
            for key in ["database_url", "redis_url", "smtp_url"] {
                if let Some(url) = obj.get(key).and_then(|x| x.as_str()).map(redact_url) {
                    obj.insert(key.into(), url.into());
                }
            }
        }
        v
    }
}

/// `postgres://user:pw@host/db` → `postgres://user:***@host/db`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let Some((userinfo, host)) = rest.split_once('@') else { return url.to_owned() };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => format!("{scheme}://{userinfo}@{host}"),
    }
}

fn figment_message(e: figment::Error) -> String {
    e.into_iter()
        .map(|err| {
            let key = err.path.join(".");
            if key.is_empty() { err.kind.to_string() } else { format!("key `{key}`: {}", err.kind) }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_redaction_hides_passwords() {
        let mut c = Config::default();
        c.validate().unwrap();
        c.database_url = "postgres://juhe:s3cret@db:5432/juhe".into();
        c.master_key = Some("c2VjcmV0".into());
        let shown = c.redacted().to_string();
        assert!(!shown.contains("s3cret"));
        assert!(!shown.contains("c2VjcmV0"));
        assert!(shown.contains("postgres://juhe:***@db:5432/juhe"));
    }

    #[test]
    fn public_url_defaults_to_where_bind_answers() {
        let url = |bind: &str| url_for_bind(bind.parse().unwrap());
        assert_eq!(url("127.0.0.1:9090"), "http://127.0.0.1:9090");
        assert_eq!(url("0.0.0.0:9090"), "http://127.0.0.1:9090");
        assert_eq!(url("[::]:9090"), "http://[::1]:9090");
        assert_eq!(url("192.0.2.10:80"), "http://192.0.2.10:80");
        assert_eq!(Config::default().public_url, url(&Config::default().bind));
    }

    #[test]
    fn public_url_from_bind_follows_the_bound_port_and_an_explicit_one_stays() {
        let bound: SocketAddr = "127.0.0.1:43117".parse().unwrap();
        let mut c = Config { bind: "127.0.0.1:0".into(), public_url: "http://127.0.0.1:0".into(), ..Config::default() };
        c.follow_bound_address(bound);
        assert_eq!(c.public_url, "http://127.0.0.1:43117");
        let mut c = Config { bind: "0.0.0.0:0".into(), public_url: "http://127.0.0.1:0".into(), ..Config::default() };
        c.follow_bound_address("0.0.0.0:43117".parse().unwrap());
        assert_eq!(c.public_url, "http://127.0.0.1:43117");
        let mut c =
            Config { bind: "127.0.0.1:0".into(), public_url: "https://pay.example.com".into(), ..Config::default() };
        c.follow_bound_address(bound);
        assert_eq!(c.public_url, "https://pay.example.com");
    }

    #[test]
    fn every_field_is_a_key_and_no_key_is_on_the_ignore_list() {
        let keys = config_keys();
        assert!(keys.iter().any(|k| k == "public_url") && keys.iter().any(|k| k == "lookup_cache_ttl_ms"));
        for name in NOT_CONFIG_ENV {
            let key = name.strip_prefix("JUHE_").unwrap().to_ascii_lowercase();
            assert!(!keys.contains(&key), "{name} is a configuration key");
        }
    }

    #[test]
    fn bad_values_name_their_key() {
        let c = Config { bind: "nope".into(), ..Config::default() };
        assert!(c.validate().unwrap_err().0.contains("`bind`"));
        let c = Config { log_format: "xml".into(), ..Config::default() };
        assert!(c.validate().unwrap_err().0.contains("`log_format`"));
    }
}
