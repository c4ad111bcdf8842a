//! Server configuration from command-line flags and environment variables.

use std::net::{IpAddr, SocketAddr};
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Duration;

use domain::price::Price;

use crate::cross_site::PublicOrigin;
use clap::Parser;
use ipnet::IpNet;
use models::DeviceChoice;
use services::rate_limits::{Limit, RateLimits};
use tracing_subscriber::EnvFilter;

/// MixTape's web server.
#[derive(Debug, Clone, Parser)]
#[command(name = "mixtape", version, about)]
pub struct Config {
    /// Address and port to listen on.
    #[arg(long, env = "MIXTAPE_LISTEN", default_value = "127.0.0.1:3000")]
    pub listen: SocketAddr,

    /// Folder for the default SQLite database and other files the server writes.
    #[arg(long, env = "MIXTAPE_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,

    /// Database URL, `sqlite://…` or `postgres://…` [default: a SQLite file in the data directory]
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,

    /// Folder holding one trained model per instrument.
    #[arg(long, env = "MIXTAPE_MODELS_DIR", default_value = "models")]
    pub models_dir: PathBuf,

    /// SoundFont (.sf2) that renders the audio [default: Debian's FluidR3_GM, else TimGM6mb]
    #[arg(long, env = "MIXTAPE_SOUNDFONT")]
    pub soundfont: Option<PathBuf>,

    /// Where the LSTM runs: auto (a GPU when there is one, else the CPU), cpu or wgpu.
    #[arg(long, env = "MIXTAPE_DEVICE", default_value = "auto")]
    pub device: DeviceChoice,

    /// Pieces rendered at once; four times as many are composed at once, in batches [default: one per CPU core]
    #[arg(long, env = "MIXTAPE_WORKERS")]
    pub workers: Option<NonZeroUsize>,

    /// Pieces that may wait for a composer beyond those being composed; more are answered 429 [default: 8 per worker]
    #[arg(long, env = "MIXTAPE_QUEUE")]
    pub queue: Option<usize>,

    /// Failed logins allowed per address (then refused) and per account (then
    /// slowed down) in 15 minutes.
    #[arg(long, env = "MIXTAPE_LOGIN_LIMIT", default_value_t = 10)]
    pub login_limit: u32,

    /// Rendered audio kept under the data directory, in MiB; beyond it the
    /// least recently played files are deleted (they render again on demand).
    #[arg(long, env = "MIXTAPE_AUDIO_CACHE_MB", default_value_t = 4096,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub audio_cache_mb: u64,

    /// Payments an account may attempt in an hour.
    #[arg(long, env = "MIXTAPE_BUY_LIMIT", default_value_t = 30)]
    pub buy_limit: u32,

    /// Accounts that may be created per address in an hour.
    #[arg(long, env = "MIXTAPE_REGISTER_LIMIT", default_value_t = 10)]
    pub register_limit: u32,

    /// Pieces that may be asked for per address and per account in an hour.
    #[arg(long, env = "MIXTAPE_COMPOSE_LIMIT", default_value_t = 120)]
    pub compose_limit: u32,

    /// MIDI files that may be sent to be read as motifs per address and per
    /// account (or visitor) in an hour.
    #[arg(long, env = "MIXTAPE_MOTIF_LIMIT", default_value_t = 60)]
    pub motif_limit: u32,

    /// The reverse proxies or load balancers in front of the server, as
    /// addresses or networks separated by commas (`10.0.0.0/8,192.0.2.1`): a
    /// request from one of them counts for the client it names in
    /// `X-Forwarded-For`. Without them, every user behind a load balancer
    /// would share its rate limits.
    #[arg(long, env = "MIXTAPE_TRUSTED_PROXIES", value_delimiter = ',',
          value_parser = address_or_network)]
    pub trusted_proxies: Vec<IpNet>,

    /// Seconds after which an instance that stopped refreshing its generations
    /// is taken for stopped, and its unfinished pieces are taken over.
    #[arg(long, env = "MIXTAPE_INSTANCE_TIMEOUT", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(2..))]
    pub instance_timeout: u64,

    /// Seconds after which a purchase still reserved is settled: completed if
    /// its card was charged, else released (a charge takes well under a second).
    #[arg(long, env = "MIXTAPE_PURCHASE_TIMEOUT", default_value_t = 120)]
    pub purchase_timeout: u64,

    /// Seconds a stopping server waits for requests in flight before it exits
    /// without them; under the 30 s a container platform usually allows.
    #[arg(long, env = "MIXTAPE_SHUTDOWN_GRACE", default_value_t = 20)]
    pub shutdown_grace: u64,

    /// Seconds a client may take to send a request's headers, and to send
    /// each next part of its body; a slower one is cut off.
    #[arg(long, env = "MIXTAPE_READ_TIMEOUT", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub read_timeout: u64,

    /// Seconds a request may take from its headers to the first byte of its
    /// answer, reading its body included; a slower one is answered 408.
    #[arg(long, env = "MIXTAPE_REQUEST_TIMEOUT", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub request_timeout: u64,

    /// Folder with the compiled site (wasm, JavaScript, CSS, public files), as cargo-leptos builds it.
    #[arg(long, env = "LEPTOS_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Price of a piece's exclusive rights, an amount and an ISO 4217 currency code.
    #[arg(long, env = "MIXTAPE_PRICE", default_value = "250.00 INR")]
    pub price: Price,

    /// Session cookies without the Secure flag, which browsers send over
    /// HTTPS only: for a plain-HTTP run on this machine, never in production.
    #[arg(long, env = "MIXTAPE_INSECURE_COOKIES")]
    pub insecure_cookies: bool,

    /// The site's origin as browsers see it (`https://mixtape.example`): a
    /// state-changing request must come from a page there. Behind a proxy that
    /// rewrites `Host`, set it; without it the page must be on the `Host` the
    /// request names.
    #[arg(long, env = "MIXTAPE_PUBLIC_ORIGIN")]
    pub public_origin: Option<PublicOrigin>,

    /// Log filter: a level (error, warn, info, debug, trace) or per-module directives.
    #[arg(long, env = "MIXTAPE_LOG", default_value = "info")]
    pub log: String,
}

/// A setting that cannot work, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration: {setting}: {reason}")]
pub struct ConfigError {
    /// The flag and environment variable at fault.
    pub setting: &'static str,
    /// Why it is rejected.
    pub reason: String,
}

impl ConfigError {
    fn new(setting: &'static str, reason: impl Into<String>) -> Self {
        ConfigError {
            setting,
            reason: reason.into(),
        }
    }
}

impl Config {
    /// Workers per pool: the setting, else one per CPU core.
    pub fn workers(&self) -> usize {
        self.workers
            .or_else(|| std::thread::available_parallelism().ok())
            .map_or(1, NonZeroUsize::get)
    }

    /// Pieces allowed to wait for a composer: the setting, else 8 per worker.
    pub fn queue(&self) -> usize {
        self.queue.unwrap_or(self.workers() * 8)
    }

    /// The rate limits on logging in and composing.
    pub fn rate_limits(&self) -> RateLimits {
        RateLimits {
            login: Limit {
                attempts: self.login_limit,
                window: Duration::from_secs(15 * 60),
            },
            register: Limit {
                attempts: self.register_limit,
                window: Duration::from_secs(60 * 60),
            },
            buy: Limit {
                attempts: self.buy_limit,
                window: Duration::from_secs(60 * 60),
            },
            compose: Limit {
                attempts: self.compose_limit,
                window: Duration::from_secs(60 * 60),
            },
            motif: Limit {
                attempts: self.motif_limit,
                window: Duration::from_secs(60 * 60),
            },
            trusted_proxies: self.trusted_proxies.clone(),
        }
    }

    /// Checks every setting and creates the data directory if needed.
    ///
    /// Returns the log filter and the database URL to use.
    pub fn validate(&self) -> Result<(EnvFilter, String), ConfigError> {
        const LOG: &str = "--log (MIXTAPE_LOG)";
        const DATA: &str = "--data-dir (MIXTAPE_DATA_DIR)";
        const DATABASE: &str = "--database-url (DATABASE_URL)";
        const MODELS: &str = "--models-dir (MIXTAPE_MODELS_DIR)";
        const SITE: &str = "--site-root (LEPTOS_SITE_ROOT)";

        let filter = EnvFilter::try_new(&self.log).map_err(|err| {
            ConfigError::new(LOG, format!("`{}` is not a log filter: {err}", self.log))
        })?;

        std::fs::create_dir_all(&self.data_dir).map_err(|err| {
            ConfigError::new(
                DATA,
                format!("cannot create {}: {err}", self.data_dir.display()),
            )
        })?;

        let database_url = match &self.database_url {
            Some(url) => {
                check_database_url(url).map_err(|reason| ConfigError::new(DATABASE, reason))?;
                url.clone()
            }
            None => default_database_url(&self.data_dir)
                .map_err(|reason| ConfigError::new(DATA, reason))?,
        };

        require_dir(&self.models_dir).map_err(|reason| ConfigError::new(MODELS, reason))?;
        require_dir(&self.site_root).map_err(|reason| {
            ConfigError::new(
                SITE,
                format!("{reason} (build the site with `cargo leptos build`)"),
            )
        })?;

        Ok((filter, database_url))
    }
}

fn check_database_url(url: &str) -> Result<(), String> {
    let scheme = url.split_once("://").map(|(scheme, _)| scheme);
    match scheme {
        Some("sqlite" | "postgres" | "postgresql") => Ok(()),
        Some(other) => Err(format!(
            "unsupported database `{other}`; use a sqlite:// or postgres:// URL"
        )),
        None if url == "sqlite::memory:" => Ok(()),
        None => Err(format!(
            "`{url}` is not a database URL; use sqlite://PATH or postgres://USER@HOST/DB"
        )),
    }
}

/// A SQLite file in the data directory, created on first start.
fn default_database_url(data_dir: &Path) -> Result<String, String> {
    let path = data_dir.join("mixtape.db");
    let path = path
        .to_str()
        .ok_or_else(|| format!("{} is not valid UTF-8", data_dir.display()))?;
    Ok(format!("sqlite://{path}?mode=rwc"))
}

/// `10.0.0.0/8`, or one address such as `192.0.2.1` (a network of one).
fn address_or_network(value: &str) -> Result<IpNet, String> {
    let value = value.trim();
    value
        .parse::<IpNet>()
        .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
        .map_err(|_| format!("`{value}` is not an IP address or a network such as 10.0.0.0/8"))
}

fn require_dir(path: &Path) -> Result<(), String> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(format!("{} is not a directory", path.display())),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            Err(format!("{} does not exist", path.display()))
        }
        Err(err) => Err(format!("{}: {err}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(dir: &Path) -> Config {
        std::fs::create_dir_all(dir.join("models")).unwrap();
        std::fs::create_dir_all(dir.join("site")).unwrap();
        Config::parse_from([
            "mixtape",
            "--data-dir",
            dir.join("data").to_str().unwrap(),
            "--models-dir",
            dir.join("models").to_str().unwrap(),
            "--site-root",
            dir.join("site").to_str().unwrap(),
        ])
    }

    #[test]
    fn defaults_to_a_sqlite_file_in_the_data_directory() {
        let dir = tempfile::tempdir().unwrap();
        let (_, url) = config(dir.path()).validate().unwrap();
        let expected = dir.path().join("data").join("mixtape.db");
        assert_eq!(url, format!("sqlite://{}?mode=rwc", expected.display()));
        assert!(
            dir.path().join("data").is_dir(),
            "data directory is created"
        );
    }

    #[test]
    fn the_price_defaults_to_the_papers_and_a_bad_one_is_refused_with_an_example() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(config(dir.path()).price.to_string(), "250.00 INR");
        let price = Config::try_parse_from(["mixtape", "--price", "9.99 EUR"])
            .unwrap()
            .price;
        assert_eq!((price.minor, price.currency.as_str()), (999, "EUR"));
        let err = Config::try_parse_from(["mixtape", "--price", "cheap"])
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("--price") && err.contains("250.00 INR"),
            "{err}"
        );
    }

    #[test]
    fn trusted_proxies_are_addresses_or_networks_and_a_bad_one_is_named() {
        let proxies =
            Config::try_parse_from(["mixtape", "--trusted-proxies", "10.0.0.0/8, 192.0.2.1"])
                .unwrap()
                .rate_limits()
                .trusted_proxies;
        let expected: Vec<IpNet> = vec![
            "10.0.0.0/8".parse().unwrap(),
            "192.0.2.1/32".parse().unwrap(),
        ];
        assert_eq!(proxies, expected);
        let err =
            Config::try_parse_from(["mixtape", "--trusted-proxies", "10.0.0.0/8,lb.internal"])
                .unwrap_err()
                .to_string();
        assert!(
            err.contains("--trusted-proxies") && err.contains("`lb.internal` is not an IP address"),
            "{err}"
        );
    }

    #[test]
    fn rejects_an_unknown_database() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.database_url = Some("mysql://localhost/mixtape".into());
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("--database-url (DATABASE_URL)"), "{err}");
        assert!(err.contains("unsupported database `mysql`"), "{err}");

        config.database_url = Some("mixtape.db".into());
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("is not a database URL"), "{err}");
    }

    #[test]
    fn accepts_postgres_urls() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.database_url = Some("postgres://mixtape@localhost/mixtape".into());
        assert!(config.validate().is_ok());
    }

    #[test]
    fn rejects_a_missing_models_directory() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.models_dir = dir.path().join("absent");
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("invalid configuration: --models-dir (MIXTAPE_MODELS_DIR): "),
            "{err}"
        );
        assert!(err.ends_with("does not exist"), "{err}");
    }

    #[test]
    fn rejects_a_missing_site_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.site_root = dir.path().join("absent");
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("--site-root (LEPTOS_SITE_ROOT)"), "{err}");
        assert!(err.contains("cargo leptos build"), "{err}");
    }

    #[test]
    fn rejects_a_bad_log_filter() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        config.log = "loud=[".into();
        let err = config.validate().unwrap_err().to_string();
        assert!(err.contains("--log (MIXTAPE_LOG)"), "{err}");
    }

    #[test]
    fn rejects_a_data_directory_that_cannot_be_created() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = config(dir.path());
        let file = dir.path().join("file");
        std::fs::write(&file, "x").unwrap();
        config.data_dir = file.join("data");
        let err = config.validate().unwrap_err().to_string();
        assert!(
            err.contains("--data-dir (MIXTAPE_DATA_DIR): cannot create"),
            "{err}"
        );
    }

    #[test]
    fn rejects_a_malformed_listen_address() {
        let err = Config::try_parse_from(["mixtape", "--listen", "localhost"]).unwrap_err();
        assert!(err.to_string().contains("--listen"), "{err}");
    }
}
