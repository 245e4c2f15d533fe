//! Risk control (风控) on the order path: block lists first, then the single-order limit, then
//! daily and monthly amount and count limits reserved atomically through the cache (all or
//! nothing, like `quota`), released exactly once when the order closes, fails or is cancelled
//! unpaid, kept when it is paid (a later refund does not give it back).
//!
//! Once a merchant (or store) has a rule, all four of its totals are counted — limited or not —
//! so a limit set or tightened later applies to the whole day or month from then on. Totals
//! from before the rule existed are not known. Counters are per UTC day and month.

use super::errors::PaymentError;
use super::order::Order;
use super::risk_rules::{RiskListKind, RiskRepo, RiskRule, normalize_ip};
use crate::cache::{Cache, CacheError};
use crate::clock::Clock;
use crate::ids::StoreId;
use crate::money::Money;
use crate::repo::RepoError;
use crate::tenancy::Merchant;
use crate::tenancy::ports::TenancyRepo;
use std::sync::Arc;
use std::time::Duration;
use time::{OffsetDateTime, UtcOffset};

const DAY_TTL: Duration = Duration::from_secs(26 * 3600);
const MONTH_TTL: Duration = Duration::from_secs(32 * 24 * 3600);

pub struct RiskService {
    pub repo: Arc<dyn RiskRepo>,
    pub tenancy: Arc<dyn TenancyRepo>,
    pub cache: Arc<dyn Cache>,
    pub clock: Arc<dyn Clock>,
}

/// Why an order was refused: a stable machine code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RiskReason {
    BlockedPayer,
    BlockedIp,
    SingleLimit,
    DailyAmount,
    DailyCount,
    MonthlyAmount,
    MonthlyCount,
}

impl RiskReason {
    pub fn code(self) -> &'static str {
        match self {
            Self::BlockedPayer => "BLOCKED_PAYER",
            Self::BlockedIp => "BLOCKED_IP",
            Self::SingleLimit => "SINGLE_LIMIT",
            Self::DailyAmount => "DAILY_AMOUNT",
            Self::DailyCount => "DAILY_COUNT",
            Self::MonthlyAmount => "MONTHLY_AMOUNT",
            Self::MonthlyCount => "MONTHLY_COUNT",
        }
    }
}

/// A refused order: the machine reason and a message for the merchant.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{}: {message}", reason.code())]
pub struct RiskRejection {
    pub reason: RiskReason,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum RiskError {
    #[error(transparent)]
    Rejected(RiskRejection),
    /// Storage or counters failed: the order is refused too (fail closed), as a server error.
    #[error("risk control unavailable: {0}")]
    Unavailable(String),
}

impl From<RepoError> for RiskError {
    fn from(e: RepoError) -> Self {
        RiskError::Unavailable(e.to_string())
    }
}

impl From<CacheError> for RiskError {
    fn from(e: CacheError) -> Self {
        RiskError::Unavailable(e.to_string())
    }
}

/// `RISK_REJECTED` with the machine reason first (`"DAILY_AMOUNT: …"`).
impl From<RiskError> for PaymentError {
    fn from(e: RiskError) -> Self {
        match e {
            RiskError::Rejected(r) => PaymentError::RiskRejected(r.to_string()),
            RiskError::Unavailable(m) => PaymentError::Internal(m),
        }
    }
}

fn reject(reason: RiskReason, message: String) -> RiskError {
    RiskError::Rejected(RiskRejection { reason, message })
}

/// One counter an order takes.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Counter {
    key: String,
    by: i64,
    ttl: Duration,
}

/// What `check` reserved. Hand it to `hold` once the order has a number, or to `release`.
#[derive(Debug, Default)]
#[must_use = "a reservation is held for an order or released"]
pub struct RiskReservation {
    counters: Vec<Counter>,
}

impl RiskReservation {
    pub fn is_empty(&self) -> bool {
        self.counters.is_empty()
    }
}

/// A counter an order wants to take, with its limit (if any) and what a refusal says.
struct Wanted {
    counter: Counter,
    limit: Option<i64>,
    reason: RiskReason,
    who: &'static str,
}

/// The counters of each rule for an order of `amount`, in the order they are checked.
fn counters(rules: &[RiskRule], amount: Money, at: OffsetDateTime) -> Vec<Wanted> {
    let d = at.to_offset(UtcOffset::UTC).date();
    let day = format!("d{:04}{:02}{:02}", d.year(), u8::from(d.month()), d.day());
    let month = format!("m{:04}{:02}", d.year(), u8::from(d.month()));
    let mut out = Vec::new();
    for rule in rules {
        let l = &rule.limits;
        let (subject, who) = (rule.subject(), rule.subject_kind());
        let periods = [
            (&day, DAY_TTL, l.daily_amount_max, RiskReason::DailyAmount, l.daily_count_max, RiskReason::DailyCount),
            (
                &month,
                MONTH_TTL,
                l.monthly_amount_max,
                RiskReason::MonthlyAmount,
                l.monthly_count_max,
                RiskReason::MonthlyCount,
            ),
        ];
        for (period, ttl, amount_max, amount_reason, count_max, count_reason) in periods {
            let key = |what: &str| format!("risk:{subject}:{period}:{what}");
            out.push(Wanted {
                counter: Counter { key: key("amount"), by: amount.0, ttl },
                limit: amount_max.map(Money::fen),
                reason: amount_reason,
                who,
            });
            out.push(Wanted {
                counter: Counter { key: key("count"), by: 1, ttl },
                limit: count_max,
                reason: count_reason,
                who,
            });
        }
    }
    out
}

impl Wanted {
    fn refusal(&self) -> RiskError {
        let (who, limit) = (self.who, self.limit.unwrap_or_default());
        let message = match self.reason {
            RiskReason::DailyAmount => format!("the {who}'s daily amount limit of {limit} fen would be passed"),
            RiskReason::MonthlyAmount => format!("the {who}'s monthly amount limit of {limit} fen would be passed"),
            RiskReason::DailyCount => format!("the {who}'s daily limit of {limit} orders is reached"),
            _ => format!("the {who}'s monthly limit of {limit} orders is reached"),
        };
        reject(self.reason, message)
    }
}

fn held_key(order_no: &str) -> String {
    format!("risk:held:{order_no}")
}

fn held_counters_key(order_no: &str) -> String {
    format!("risk:held:{order_no}:counters")
}

/// `key\tby\tttl_secs` per line: what a release gives back, fixed when the order took it (a
/// rule changed in between does not change what is returned).
fn encode(counters: &[Counter]) -> String {
    counters.iter().map(|c| format!("{}\t{}\t{}\n", c.key, c.by, c.ttl.as_secs())).collect()
}

fn decode(raw: &[u8]) -> Vec<Counter> {
    let Ok(text) = std::str::from_utf8(raw) else { return Vec::new() };
    text.lines()
        .filter_map(|line| {
            let mut parts = line.split('\t');
            let key = parts.next().filter(|k| k.starts_with("risk:"))?;
            let by = parts.next()?.parse::<i64>().ok()?;
            let ttl = parts.next()?.parse::<u64>().ok()?;
            Some(Counter { key: key.to_owned(), by, ttl: Duration::from_secs(ttl) })
        })
        .collect()
}

impl RiskService {
    /// Checks an order before it is written: block lists (platform-wide and the merchant's),
    /// the single-order limit, then reserves the daily and monthly totals of the merchant's rule
    /// and the store's (all or nothing).
    pub async fn check(
        &self,
        merchant: &Merchant,
        store: Option<&StoreId>,
        amount: Money,
        payer_id: Option<&str>,
        client_ip: Option<&str>,
        now: OffsetDateTime,
    ) -> Result<RiskReservation, RiskError> {
        self.check_blocked(merchant, payer_id, client_ip).await?;
        let rules = self.repo.rules_for(&merchant.id, store).await?;
        for rule in &rules {
            if let Some(max) = rule.limits.single_max
                && amount > max
            {
                let who = rule.subject_kind();
                let message = format!("{} fen is over the {who}'s single-order limit of {} fen", amount.0, max.0);
                return Err(reject(RiskReason::SingleLimit, message));
            }
        }
        self.reserve(&rules, amount, now).await
    }

    /// The block lists alone (also for a payer who becomes known after the order was written,
    /// as on the cashier page).
    pub async fn check_blocked(
        &self,
        merchant: &Merchant,
        payer_id: Option<&str>,
        client_ip: Option<&str>,
    ) -> Result<(), RiskError> {
        let payer = payer_id.map(str::trim).filter(|p| !p.is_empty());
        let ip = client_ip.and_then(normalize_ip);
        if payer.is_none() && ip.is_none() {
            return Ok(());
        }
        let Some(entry) = self.repo.blocked(&merchant.platform_id, &merchant.id, payer, ip.as_deref()).await? else {
            return Ok(());
        };
        let list = if entry.merchant_id.is_some() { "the merchant's" } else { "the platform's" };
        tracing::info!(merchant = %merchant.id, entry = %entry.id, reason = %entry.reason, "order blocked");
        Err(match entry.kind {
            RiskListKind::PayerId => reject(RiskReason::BlockedPayer, format!("the payer is on {list} block list")),
            RiskListKind::Ip => reject(RiskReason::BlockedIp, format!("the client IP is on {list} block list")),
        })
    }

    async fn reserve(
        &self,
        rules: &[RiskRule],
        amount: Money,
        now: OffsetDateTime,
    ) -> Result<RiskReservation, RiskError> {
        let mut taken = RiskReservation::default();
        for wanted in counters(rules, amount, now) {
            let c = &wanted.counter;
            let outcome = match wanted.limit {
                Some(cap) => self.cache.incr_within(&c.key, c.by, cap, c.ttl).await,
                None => self.cache.incr(&c.key, c.by, c.ttl).await.map(Some),
            };
            match outcome {
                Ok(Some(_)) => taken.counters.push(wanted.counter),
                Ok(None) => {
                    self.release(taken).await;
                    return Err(wanted.refusal());
                }
                Err(e) => {
                    self.release(taken).await;
                    return Err(e.into());
                }
            }
        }
        Ok(taken)
    }

    /// Ties a reservation to the order `order_no` (before the order is written), so that
    /// `release_for` gives it back exactly once. On failure the reservation is released.
    pub async fn hold(&self, reservation: RiskReservation, order_no: &str) -> Result<(), RiskError> {
        if reservation.is_empty() {
            return Ok(());
        }
        let counters_key = held_counters_key(order_no);
        let stored = self.cache.set(&counters_key, encode(&reservation.counters).as_bytes(), MONTH_TTL).await;
        let marked = match stored {
            Ok(()) => self.cache.incr(&held_key(order_no), 1, MONTH_TTL).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = marked {
            self.release(reservation).await;
            let _ = self.cache.delete(&counters_key).await;
            return Err(e.into());
        }
        Ok(())
    }

    /// Gives back a reservation that no order holds.
    pub async fn release(&self, reservation: RiskReservation) {
        undo(self.cache.as_ref(), &reservation.counters).await;
    }

    /// Gives back what the order held (it closed, failed or was cancelled). Safe to call more
    /// than once, and for orders that held nothing: only the holder releases.
    pub async fn release_for(&self, order: &Order) {
        let no = &order.order_no;
        let counters = match self.cache.get(&held_counters_key(no)).await {
            Ok(Some(raw)) => decode(&raw),
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(order_no = %no, error = %e, "risk release skipped");
                return;
            }
        };
        match self.cache.incr(&held_key(no), -1, MONTH_TTL).await {
            Ok(0) => {}
            Ok(_) => return,
            Err(e) => {
                tracing::warn!(order_no = %no, error = %e, "risk release skipped");
                return;
            }
        }
        undo(self.cache.as_ref(), &counters).await;
        let _ = self.cache.delete(&held_counters_key(no)).await;
    }
}

async fn undo(cache: &dyn Cache, taken: &[Counter]) {
    for c in taken {
        if let Err(e) = cache.incr(&c.key, -c.by, c.ttl).await {
            tracing::warn!(key = %c.key, error = %e, "risk release failed; the limit frees at period end");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{MerchantId, PlatformId};
    use crate::payments::risk_rules::RiskLimits;
    use crate::scope::NodePath;
    use time::macros::datetime;

    fn rule(store: Option<StoreId>) -> RiskRule {
        RiskRule {
            id: "rr_1".into(),
            platform_id: PlatformId::generate(),
            merchant_id: MerchantId::generate(),
            store_id: store,
            path: NodePath::from_trusted("/pf/".into()),
            limits: RiskLimits { daily_count_max: Some(3), ..Default::default() },
            version: 1,
            created_at: OffsetDateTime::UNIX_EPOCH,
            updated_at: OffsetDateTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn counters_are_per_subject_utc_day_and_month() {
        let store = StoreId::generate();
        let rules = [rule(None), rule(Some(store.clone()))];
        // 07:00 in Beijing on Dec 1st is still Nov 30th in UTC.
        let c = counters(&rules, Money(500), datetime!(2026-12-01 07:00 +08:00));
        assert_eq!(c.len(), 8);
        let m = rules[0].merchant_id.as_str();
        assert_eq!(c[0].counter, Counter { key: format!("risk:{m}:d20261130:amount"), by: 500, ttl: DAY_TTL });
        assert_eq!((c[1].counter.key.clone(), c[1].counter.by), (format!("risk:{m}:d20261130:count"), 1));
        assert_eq!((c[1].limit, c[1].reason, c[1].who), (Some(3), RiskReason::DailyCount, "merchant"));
        assert_eq!((c[2].counter.key.clone(), c[2].counter.ttl), (format!("risk:{m}:m202611:amount"), MONTH_TTL));
        assert_eq!((c[3].reason, c[3].limit), (RiskReason::MonthlyCount, None));
        assert!(c[4..].iter().all(|w| w.counter.key.starts_with(&format!("risk:{store}:")) && w.who == "store"));
        let refused = c[5].refusal().to_string();
        assert_eq!(refused, "DAILY_COUNT: the store's daily limit of 3 orders is reached");
    }

    #[test]
    fn held_counters_round_trip_and_garbage_is_ignored() {
        let held = vec![
            Counter { key: "risk:mc_1:d20261101:amount".into(), by: 700, ttl: DAY_TTL },
            Counter { key: "risk:mc_1:m202611:count".into(), by: 1, ttl: MONTH_TTL },
        ];
        assert_eq!(decode(encode(&held).as_bytes()), held);
        assert!(decode(b"other:key\t1\t1\nrisk:x\tnan\t1\n\xff").is_empty());
    }

    #[test]
    fn rejections_put_the_reason_first() {
        let e = PaymentError::from(reject(RiskReason::DailyAmount, "the merchant's daily amount …".into()));
        assert!(matches!(e, PaymentError::RiskRejected(m) if m.starts_with("DAILY_AMOUNT: ")));
    }
}
