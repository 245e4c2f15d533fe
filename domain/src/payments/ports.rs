//! Storage ports of payments. Every scoped read takes the caller's `Scope`; the unscoped ones
//! serve channel callbacks and background jobs. Writes persist what the domain decided together
//! with its effects (notifications, jobs, audit rows, exceptions) in one transaction.

use super::exception::{ExceptionKind, ExceptionStatus, PaymentException};
use super::notification::{DeliveryAttempt, DeliveryStatus, Notification};
use super::order::{Order, OrderStatus};
use super::refund::Refund;
use crate::audit::AuditEntry;
use crate::channels::{ChannelAccount, ChannelBinding, ChannelCode};
use crate::effects::Effects;
use crate::ids::{MerchantId, PlatformId};
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use crate::scope::Scope;
use time::OffsetDateTime;

#[derive(Clone, Debug, Default)]
pub struct OrderFilter {
    pub merchant_id: Option<MerchantId>,
    pub status: Option<OrderStatus>,
    pub channel: Option<ChannelCode>,
    pub out_trade_no: Option<String>,
    pub since: Option<OffsetDateTime>,
    pub until: Option<OffsetDateTime>,
}

#[async_trait::async_trait]
pub trait OrderRepo: Send + Sync {
    /// Inserts a new order (status `created`, before any channel call) with its effects (the
    /// follow-up job) in one transaction. A second order with the same (merchant,
    /// out_trade_no) is `RepoError::Conflict("orders.out_trade_no")`.
    async fn insert(&self, order: &Order, effects: &Effects) -> RepoResult<()>;
    async fn get(&self, scope: &Scope, order_no: &str) -> RepoResult<Option<Order>>;
    async fn find_by_out_trade_no(&self, merchant_id: &MerchantId, out_trade_no: &str) -> RepoResult<Option<Order>>;
    /// Unscoped: callbacks and jobs.
    async fn get_unscoped(&self, order_no: &str) -> RepoResult<Option<Order>>;
    async fn list(&self, scope: &Scope, filter: &OrderFilter, page: PageRequest) -> RepoResult<Page<Order>>;
    /// Saves what the domain decided (status, channel fields, pay data, paid_at, fee and the
    /// refund totals) if `order.version` still matches, bumping it, and writes `effects` in the
    /// same transaction. A stale version is `Conflict("version")` and writes nothing.
    async fn save(&self, order: &Order, effects: &Effects) -> RepoResult<()>;
}

#[async_trait::async_trait]
pub trait RefundRepo: Send + Sync {
    /// In one transaction: saves `order` (its raised `refund_reserved`, decided by the domain)
    /// if its version still matches, inserts the refund and writes `effects`. A stale order is
    /// `Conflict("version")` (the caller re-reads and decides again), a duplicate
    /// (merchant, out_refund_no) is `Conflict("refunds.out_refund_no")`; either writes nothing.
    async fn reserve(&self, refund: &Refund, order: &Order, effects: &Effects) -> RepoResult<()>;
    async fn get(&self, scope: &Scope, refund_no: &str) -> RepoResult<Option<Refund>>;
    async fn find_by_out_refund_no(&self, merchant_id: &MerchantId, out_refund_no: &str) -> RepoResult<Option<Refund>>;
    async fn get_unscoped(&self, refund_no: &str) -> RepoResult<Option<Refund>>;
    async fn list_for_order(&self, order_no: &str) -> RepoResult<Vec<Refund>>;
    /// Moves a processing refund to its final state (`refund.status`, `channel_refund_no`,
    /// `succeeded_at`) and saves `order` with the totals the domain computed (versioned), with
    /// `effects`, in one transaction. Only a `processing` refund changes: a second settlement is
    /// `Conflict("refund_state")`; a stale order is `Conflict("version")`; both write nothing.
    async fn settle(&self, refund: &Refund, order: &Order, effects: &Effects) -> RepoResult<()>;
}

#[async_trait::async_trait]
pub trait NotificationRepo: Send + Sync {
    /// Unscoped: the delivery job.
    async fn get_unscoped(&self, id: &str) -> RepoResult<Option<Notification>>;
    /// Records an attempt and the new delivery state (the delivery job's lease makes the
    /// worker the only one sending this notification).
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        status: DeliveryStatus,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> RepoResult<()>;
    async fn get(&self, scope: &Scope, id: &str) -> RepoResult<Option<Notification>>;
    async fn list(&self, scope: &Scope, resource_no: Option<&str>, page: PageRequest)
    -> RepoResult<Page<Notification>>;
    async fn attempts(&self, scope: &Scope, id: &str) -> RepoResult<Vec<DeliveryAttempt>>;
    /// Manual resend: due now, pending again (attempts keep counting), with `effects` (the
    /// audit row and the revived delivery job).
    async fn resend(&self, scope: &Scope, id: &str, now: OffsetDateTime, effects: &Effects) -> RepoResult<()>;
}

#[derive(Clone, Debug, Default)]
pub struct ExceptionFilter {
    pub kind: Option<ExceptionKind>,
    pub status: Option<ExceptionStatus>,
    pub order_no: Option<String>,
}

#[async_trait::async_trait]
pub trait ExceptionRepo: Send + Sync {
    async fn get(&self, scope: &Scope, id: &str) -> RepoResult<Option<PaymentException>>;
    /// Unscoped: the resolution job.
    async fn get_unscoped(&self, id: &str) -> RepoResult<Option<PaymentException>>;
    /// Newest first.
    async fn list(
        &self,
        scope: &Scope,
        filter: &ExceptionFilter,
        page: PageRequest,
    ) -> RepoResult<Page<PaymentException>>;
    /// Writes the new resolution of an open exception with `effects`, in one transaction; an
    /// exception no longer open is `Conflict("exception_state")`.
    async fn resolve(&self, exception: &PaymentException, effects: &Effects) -> RepoResult<()>;
}

#[async_trait::async_trait]
pub trait ChannelRepo: Send + Sync {
    async fn insert_account(&self, account: &ChannelAccount, audit: &AuditEntry) -> RepoResult<()>;
    /// Accounts belong to the platform; only platform scopes see them.
    async fn get_account(&self, platform_id: &PlatformId, id: &str) -> RepoResult<Option<ChannelAccount>>;
    /// Unscoped by id: channel callbacks arrive at `/callbacks/{channel}/{account_id}`.
    async fn get_account_unscoped(&self, id: &str) -> RepoResult<Option<ChannelAccount>>;
    async fn list_accounts(&self, platform_id: &PlatformId) -> RepoResult<Vec<ChannelAccount>>;
    async fn update_account(&self, account: &ChannelAccount, audit: &AuditEntry) -> RepoResult<()>;
    async fn insert_binding(&self, binding: &ChannelBinding, audit: &AuditEntry) -> RepoResult<()>;
    async fn get_binding(&self, scope: &Scope, id: &str) -> RepoResult<Option<ChannelBinding>>;
    /// Every binding of a merchant (routing), unscoped.
    async fn bindings_of(&self, merchant_id: &MerchantId) -> RepoResult<Vec<ChannelBinding>>;
    async fn list_bindings(
        &self,
        scope: &Scope,
        merchant_id: Option<&MerchantId>,
        page: PageRequest,
    ) -> RepoResult<Page<ChannelBinding>>;
    async fn update_binding(&self, binding: &ChannelBinding, audit: &AuditEntry) -> RepoResult<()>;
}
