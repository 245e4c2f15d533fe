//! The load itself: signed `POST /open/v1/orders`, each with a new `out_trade_no`, either from a
//! fixed number of workers that send back to back (closed loop: the maximum rate) or on a fixed
//! schedule whatever the answers do (open loop: latency at a given rate). In the open loop the
//! latency of a request counts from when it was due, not when it was sent, so a server that
//! falls behind is charged for the queue it causes (no coordinated omission).

use crate::sign::Signer;
use hdrhistogram::Histogram;
use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::Semaphore;

const PATH: &str = "/open/v1/orders";

/// What to send.
pub struct Target {
    pub base_url: String,
    pub signer: Signer,
    pub merchant_no: String,
    pub way: String,
    /// For BARCODE.
    pub auth_code: Option<String>,
    pub amount: i64,
    pub http: reqwest::Client,
    /// Makes this run's `out_trade_no`s unique across runs.
    pub prefix: String,
    pub seq: AtomicU64,
}

#[derive(Clone, Copy, Debug)]
pub enum Mode {
    Closed { concurrency: usize },
    Open { rate: f64, max_in_flight: usize },
}

#[derive(Clone, Copy, Debug)]
pub struct Timing {
    pub warmup: Duration,
    pub duration: Duration,
}

/// What a run measured (requests due or started after the warm-up).
#[derive(Debug, Serialize)]
pub struct Report {
    pub mode: &'static str,
    pub way: String,
    pub concurrency: Option<usize>,
    pub target_rate: Option<f64>,
    pub seconds: f64,
    pub ok: u64,
    pub errors: u64,
    /// Open loop: requests not sent because `max_in_flight` were outstanding (counted as errors).
    pub dropped: u64,
    pub orders_per_s: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub max_ms: f64,
    /// Error kinds (HTTP status and code, or transport failure) and their counts.
    pub error_kinds: BTreeMap<String, u64>,
    /// CPU the load generator itself used, in cores (Linux; it shares the machine).
    pub loadgen_cpu_cores: Option<f64>,
}

/// This process's CPU time so far (user + system), from `/proc/self/stat` (Linux).
fn own_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    let rest = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on every Linux this runs on.
    Some(Duration::from_millis(ticks * 10))
}

struct Stats {
    hist: Histogram<u64>,
    errors: BTreeMap<String, u64>,
    dropped: u64,
    last_done: Option<Instant>,
}

impl Stats {
    fn new() -> Self {
        Self {
            hist: Histogram::new_with_bounds(1, 120_000_000, 3).expect("histogram bounds"),
            errors: BTreeMap::new(),
            dropped: 0,
            last_done: None,
        }
    }

    fn record(&mut self, outcome: Result<(), String>, latency: Duration, done: Instant) {
        match outcome {
            Ok(()) => {
                self.hist.saturating_record(latency.as_micros().max(1) as u64);
            }
            Err(kind) => *self.errors.entry(kind).or_default() += 1,
        }
        self.last_done = Some(self.last_done.map_or(done, |t| t.max(done)));
    }
}

impl Target {
    fn body(&self) -> String {
        let n = self.seq.fetch_add(1, Ordering::Relaxed);
        let mut body = serde_json::json!({
            "merchant_no": self.merchant_no,
            "out_trade_no": format!("{}{n:010}", self.prefix),
            "amount": self.amount,
            "currency": "CNY",
            "way": self.way,
            "subject": "bench",
        });
        if let Some(code) = &self.auth_code {
            body["auth_code"] = code.as_str().into();
        }
        body.to_string()
    }

    /// One order; `Err` names what went wrong.
    async fn order(&self) -> Result<(), String> {
        let body = self.body();
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
        let nonce = uuid::Uuid::new_v4().simple().to_string();
        let auth = self.signer.authorization("POST", PATH, &body, now.as_secs() as i64, &nonce);
        let resp = self
            .http
            .post(format!("{}{PATH}", self.base_url))
            .header("authorization", auth)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(&e))?;
        let status = resp.status().as_u16();
        let raw = resp.bytes().await.map_err(|e| transport_error(&e))?;
        let json: serde_json::Value = serde_json::from_slice(&raw).unwrap_or_default();
        if status != 201 {
            return Err(format!("{status} {}", json["code"].as_str().unwrap_or("?")));
        }
        let wanted = if self.way == "BARCODE" { "paid" } else { "created" };
        match json["status"].as_str() {
            Some(s) if s == wanted => Ok(()),
            other => Err(format!("201 status {}", other.unwrap_or("?"))),
        }
    }
}

fn transport_error(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        "timeout".into()
    } else if e.is_connect() {
        "connect".into()
    } else {
        "transport".into()
    }
}

pub async fn run(target: Arc<Target>, mode: Mode, timing: Timing) -> Report {
    let stats = Arc::new(Mutex::new(Stats::new()));
    let start = Instant::now();
    let cpu_at_start = own_cpu();
    let measure_from = start + timing.warmup;
    let end = measure_from + timing.duration;
    match mode {
        Mode::Closed { concurrency } => {
            let mut workers = Vec::with_capacity(concurrency);
            for _ in 0..concurrency {
                let (target, stats) = (target.clone(), stats.clone());
                workers.push(tokio::spawn(async move {
                    loop {
                        let sent = Instant::now();
                        if sent >= end {
                            break;
                        }
                        let outcome = target.order().await;
                        let done = Instant::now();
                        if sent >= measure_from {
                            lock(&stats).record(outcome, done - sent, done);
                        }
                    }
                }));
            }
            for w in workers {
                let _ = w.await;
            }
        }
        Mode::Open { rate, max_in_flight } => {
            let in_flight = Arc::new(Semaphore::new(max_in_flight));
            let total = ((timing.warmup + timing.duration).as_secs_f64() * rate).floor() as u64;
            for i in 0..total {
                let due = start + Duration::from_secs_f64(i as f64 / rate);
                tokio::time::sleep_until(due.into()).await;
                let measured = due >= measure_from;
                let Ok(permit) = in_flight.clone().try_acquire_owned() else {
                    if measured {
                        lock(&stats).dropped += 1;
                    }
                    continue;
                };
                let (target, stats) = (target.clone(), stats.clone());
                tokio::spawn(async move {
                    let outcome = target.order().await;
                    let done = Instant::now();
                    if measured {
                        lock(&stats).record(outcome, done - due, done);
                    }
                    drop(permit);
                });
            }
            // Wait for the stragglers.
            let _ = in_flight.acquire_many(max_in_flight as u32).await;
        }
    }
    let cpu = match (cpu_at_start, own_cpu()) {
        (Some(a), Some(b)) => Some((b - a).as_secs_f64() / start.elapsed().as_secs_f64()),
        _ => None,
    };
    let stats = lock(&stats);
    Report { loadgen_cpu_cores: cpu, ..report(&stats, mode, &target.way, measure_from, timing.duration) }
}

fn lock(stats: &Mutex<Stats>) -> std::sync::MutexGuard<'_, Stats> {
    stats.lock().unwrap_or_else(|p| p.into_inner())
}

fn report(stats: &Stats, mode: Mode, way: &str, measure_from: Instant, duration: Duration) -> Report {
    let ms = |us: u64| us as f64 / 1000.0;
    let h = &stats.hist;
    let ok = h.len();
    let errors = stats.errors.values().sum::<u64>() + stats.dropped;
    // Closed loop: from the end of the warm-up to the last answer; open loop: the schedule
    // (a server that cannot keep up shows as latency and drops, not as a longer window).
    let seconds = match (mode, stats.last_done) {
        (Mode::Closed { .. }, Some(last)) => (last - measure_from).as_secs_f64().max(duration.as_secs_f64()),
        _ => duration.as_secs_f64(),
    };
    let mut error_kinds = stats.errors.clone();
    if stats.dropped > 0 {
        error_kinds.insert("dropped (max in flight)".into(), stats.dropped);
    }
    let (mode_name, concurrency, target_rate) = match mode {
        Mode::Closed { concurrency } => ("closed", Some(concurrency), None),
        Mode::Open { rate, .. } => ("open", None, Some(rate)),
    };
    Report {
        mode: mode_name,
        way: way.to_owned(),
        concurrency,
        target_rate,
        seconds,
        ok,
        errors,
        dropped: stats.dropped,
        orders_per_s: ok as f64 / seconds,
        mean_ms: if ok > 0 { h.mean() / 1000.0 } else { 0.0 },
        p50_ms: ms(h.value_at_quantile(0.50)),
        p90_ms: ms(h.value_at_quantile(0.90)),
        p99_ms: ms(h.value_at_quantile(0.99)),
        p999_ms: ms(h.value_at_quantile(0.999)),
        max_ms: ms(h.max()),
        error_kinds,
        loadgen_cpu_cores: None,
    }
}

impl Report {
    pub fn human(&self) -> String {
        let shape = match (self.concurrency, self.target_rate) {
            (Some(c), _) => format!("closed loop, concurrency {c}"),
            (_, Some(r)) => format!("open loop, {r:.0}/s scheduled"),
            _ => String::new(),
        };
        let mut out = format!(
            "{} {shape}, {:.1} s: {} ok, {} errors → {:.0} orders/s; latency ms p50 {:.2} p90 {:.2} p99 {:.2} p99.9 {:.2} max {:.2}",
            self.way,
            self.seconds,
            self.ok,
            self.errors,
            self.orders_per_s,
            self.p50_ms,
            self.p90_ms,
            self.p99_ms,
            self.p999_ms,
            self.max_ms
        );
        for (kind, n) in &self.error_kinds {
            out.push_str(&format!("\n  error {kind}: {n}"));
        }
        out
    }
}
