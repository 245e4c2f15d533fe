//! Storage ports of payments. Every scoped read takes the caller's `Scope`; the unscoped ones
//! serve channel callbacks and background jobs. Writes that change an order's state carry the
//! notifications they cause and store them in the same transaction (outbox).

use super::notification::{DeliveryAttempt, DeliveryStatus, Notification};
use super::order::{Order, OrderStatus};
use super::refund::Refund;
use crate::audit::AuditEntry;
use crate::channels::{ChannelAccount, ChannelBinding, ChannelCode};
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

/// Why a refund could not be reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReserveRefused {
    /// The order is not paid (or already fully refunded).
    NotRefundable,
    /// `refund_reserved + amount` would pass the paid amount.
    ExceedsAvailable,
}

#[async_trait::async_trait]
pub trait OrderRepo: Send + Sync {
    /// Inserts a new order (status `created`, before any channel call). A second order with the
    /// same (merchant, out_trade_no) is `RepoError::Conflict("orders.out_trade_no")`.
    async fn insert(&self, order: &Order) -> RepoResult<()>;
    async fn get(&self, scope: &Scope, order_no: &str) -> RepoResult<Option<Order>>;
    async fn find_by_out_trade_no(&self, merchant_id: &MerchantId, out_trade_no: &str) -> RepoResult<Option<Order>>;
    /// Unscoped: callbacks and jobs.
    async fn get_unscoped(&self, order_no: &str) -> RepoResult<Option<Order>>;
    async fn list(&self, scope: &Scope, filter: &OrderFilter, page: PageRequest) -> RepoResult<Page<Order>>;
    /// Saves the order (channel fields, pay data, status, paid_at, fee — never the refund totals,
    /// which only the refund repository changes) if `order.version` still matches, bumping it,
    /// and inserts `outbox` in the same transaction. A stale version is `Conflict("version")`.
    async fn save(&self, order: &Order, outbox: &[Notification]) -> RepoResult<()>;
    /// Unpaid orders (`created`/`paying`) whose `expire_at` has passed.
    async fn expired(&self, now: OffsetDateTime, limit: u64) -> RepoResult<Vec<Order>>;
    /// Unpaid orders created before `before` that still wait for an outcome (re-query job).
    async fn pending_before(&self, before: OffsetDateTime, limit: u64) -> RepoResult<Vec<Order>>;
}

#[async_trait::async_trait]
pub trait RefundRepo: Send + Sync {
    /// In one transaction: raises the order's reserved refund total by `refund.amount` only if
    /// the order is paid and the total stays within its amount (a conditional update, so
    /// concurrent refunds can never over-refund), then inserts the refund. A duplicate
    /// (merchant, out_refund_no) is `Conflict("refunds.out_refund_no")`.
    async fn reserve(&self, refund: &Refund) -> RepoResult<Result<(), ReserveRefused>>;
    async fn get(&self, scope: &Scope, refund_no: &str) -> RepoResult<Option<Refund>>;
    async fn find_by_out_refund_no(&self, merchant_id: &MerchantId, out_refund_no: &str) -> RepoResult<Option<Refund>>;
    async fn get_unscoped(&self, refund_no: &str) -> RepoResult<Option<Refund>>;
    async fn list_for_order(&self, order_no: &str) -> RepoResult<Vec<Refund>>;
    /// Moves a processing refund to its final state (`refund.status`, `channel_refund_no`,
    /// `succeeded_at`) and, in the same transaction: on success adds the amount to the order's
    /// `refunded_amount` and sets its status to `refunded` when that reaches the amount, else
    /// `partially_refunded` (computed in SQL, so concurrent settlements add up); on failure or
    /// close releases the reservation; inserts `outbox`. Only a `processing` refund changes: a
    /// second settlement is `Conflict("refund_state")` and writes nothing.
    async fn settle(&self, refund: &Refund, outbox: &[Notification]) -> RepoResult<()>;
    /// Refunds still processing, created before `before` (refund polling job).
    async fn processing_before(&self, before: OffsetDateTime, limit: u64) -> RepoResult<Vec<Refund>>;
}

#[async_trait::async_trait]
pub trait NotificationRepo: Send + Sync {
    /// Claims up to `limit` due pending notifications for `lease` (no other worker, in this or
    /// another process, gets them until the lease ends): `FOR UPDATE SKIP LOCKED` on PostgreSQL.
    async fn claim_due(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        worker: &str,
        limit: u64,
    ) -> RepoResult<Vec<Notification>>;
    /// Records an attempt and the new delivery state, only while `worker` holds the claim
    /// (false: the claim was lost and nothing was written).
    async fn record_attempt(
        &self,
        attempt: &DeliveryAttempt,
        worker: &str,
        status: DeliveryStatus,
        next_attempt_at: Option<OffsetDateTime>,
    ) -> RepoResult<bool>;
    async fn get(&self, scope: &Scope, id: &str) -> RepoResult<Option<Notification>>;
    async fn list(&self, scope: &Scope, resource_no: Option<&str>, page: PageRequest)
    -> RepoResult<Page<Notification>>;
    async fn attempts(&self, scope: &Scope, id: &str) -> RepoResult<Vec<DeliveryAttempt>>;
    /// Manual resend: due now, pending again (attempts keep counting), audited.
    async fn resend(&self, scope: &Scope, id: &str, now: OffsetDateTime, audit: &AuditEntry) -> RepoResult<()>;
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
