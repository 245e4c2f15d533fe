//! `loadgen`: signed `POST /open/v1/orders` load against a running juhe (see `bench/README.md`).
//! A benchmark tool, not a test: it only sends to the base URL it is given (loopback in
//! `bench/run.sh`) and every run is bounded in time.
//!
//! - `loadgen setup --base-url URL --demo demo.json [--wechat-credentials wechat.json
//!   --wechat-base-url URL] --out bench.json`: channel accounts and bindings over the admin API.
//! - `loadgen run --setup bench.json --channel instant|wechat (--concurrency N | --rate R)`:
//!   prints orders/s, p50/p99 latency and errors (and writes them as JSON with `--json-out`).

mod load;
mod setup;
mod sign;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand, ValueEnum};
use load::{Mode, Target, Timing};
use setup::{BenchSetup, SetupArgs};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::time::Duration;

/// Longest run accepted: the tool never loops unbounded.
const MAX_SECONDS: f64 = 600.0;

#[derive(Parser)]
#[command(name = "loadgen", about = "Signed Open API order load for juhe (a benchmark, not a test)")]
struct Cli {
    /// Runtime threads of the load generator (it shares the machine with what it measures).
    #[arg(long, global = true, default_value_t = 1)]
    threads: usize,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Channel {
    Instant,
    Wechat,
}

#[derive(Subcommand)]
enum Command {
    /// Create the bench channel accounts and bindings over the admin API of a demo-seeded server.
    Setup {
        #[arg(long)]
        base_url: String,
        /// The output of `juhe demo --json`.
        #[arg(long)]
        demo: PathBuf,
        /// `wechat.json` written by `juhe sandbox --credentials-dir`.
        #[arg(long, requires = "wechat_base_url")]
        wechat_credentials: Option<PathBuf>,
        /// Where that sandbox serves WeChat Pay, e.g. http://127.0.0.1:18091/sandbox/wechat.
        #[arg(long)]
        wechat_base_url: Option<String>,
        #[arg(long)]
        out: PathBuf,
    },
    /// Send orders and report throughput and latency.
    Run {
        /// Written by `loadgen setup`.
        #[arg(long)]
        setup: PathBuf,
        #[arg(long, value_enum)]
        channel: Channel,
        #[arg(long, default_value = "WX_NATIVE")]
        way: String,
        /// Payment code for BARCODE (any valid WeChat code pays at once on both channels).
        #[arg(long, default_value = "134567890123450000")]
        auth_code: String,
        #[arg(long, default_value_t = 100)]
        amount: i64,
        /// Closed loop: this many requests outstanding at all times (the maximum rate).
        #[arg(long, conflicts_with = "rate", required_unless_present = "rate")]
        concurrency: Option<usize>,
        /// Open loop: requests per second on a fixed schedule.
        #[arg(long)]
        rate: Option<f64>,
        /// Open loop: requests outstanding at most; beyond it a due request is dropped (an error).
        #[arg(long, default_value_t = 2000)]
        max_in_flight: usize,
        /// Seconds measured.
        #[arg(long, default_value_t = 20.0)]
        duration: f64,
        /// Seconds sent before measuring (connections, caches, JIT-free but pool warm-up).
        #[arg(long, default_value_t = 3.0)]
        warmup: f64,
        #[arg(long)]
        json_out: Option<PathBuf>,
    },
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().worker_threads(cli.threads.max(1)).enable_all().build()?;
    runtime.block_on(run(cli.command))
}

fn http_client(pool: usize) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(pool)
        .tcp_nodelay(true)
        .build()?)
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Setup { base_url, demo, wechat_credentials, wechat_base_url, out } => {
            let wechat = match (&wechat_credentials, &wechat_base_url) {
                (Some(file), Some(url)) => Some((file.as_path(), url.as_str())),
                _ => None,
            };
            let done = setup::setup(http_client(4)?, SetupArgs { base_url: &base_url, demo: &demo, wechat, out: &out })
                .await?;
            println!(
                "bench set up: instant → merchant {}, wechat sandbox → {}",
                done.instant_merchant_no,
                done.wechat_merchant_no.as_deref().unwrap_or("(not set up)")
            );
            Ok(())
        }
        Command::Run {
            setup,
            channel,
            way,
            auth_code,
            amount,
            concurrency,
            rate,
            max_in_flight,
            duration,
            warmup,
            json_out,
        } => {
            if !(duration > 0.0 && warmup >= 0.0 && duration + warmup <= MAX_SECONDS) {
                bail!("duration must be positive and duration + warmup at most {MAX_SECONDS} s");
            }
            let s = BenchSetup::load(&setup)?;
            let merchant_no = match channel {
                Channel::Instant => s.instant_merchant_no.clone(),
                Channel::Wechat => s.wechat_merchant_no.clone().context("the setup has no WeChat sandbox binding")?,
            };
            let mode = match (concurrency, rate) {
                (Some(c), _) if c > 0 => Mode::Closed { concurrency: c },
                (_, Some(r)) if r > 0.0 => Mode::Open { rate: r, max_in_flight: max_in_flight.max(1) },
                _ => bail!("give --concurrency N or --rate R (positive)"),
            };
            let pool = match mode {
                Mode::Closed { concurrency } => concurrency,
                Mode::Open { max_in_flight, .. } => max_in_flight,
            };
            let run_id = uuid::Uuid::new_v4().simple().to_string();
            let target = Arc::new(Target {
                base_url: s.base_url.clone(),
                signer: sign::Signer::new(&s.app_id, &s.app_secret),
                merchant_no,
                auth_code: (way == "BARCODE").then_some(auth_code),
                way,
                amount,
                http: http_client(pool)?,
                prefix: format!("B{}", &run_id[..10]),
                seq: AtomicU64::new(0),
            });
            let timing =
                Timing { warmup: Duration::from_secs_f64(warmup), duration: Duration::from_secs_f64(duration) };
            let report = load::run(target, mode, timing).await;
            println!("{} ({channel:?})", report.human());
            if let Some(path) = json_out {
                std::fs::write(&path, serde_json::to_vec_pretty(&report)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            Ok(())
        }
    }
}
