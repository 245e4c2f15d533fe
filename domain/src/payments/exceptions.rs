//! Payment exceptions: money that arrived on a closed order (recorded, the merchant told with
//! `order.exception`, refunded by the platform's policy or held for an operator), and the
//! operators' side (list, resolve).

use super::errors::{PaymentError, PaymentResult};
use super::events::timestamp;
use super::exception::{ExceptionKind, ExceptionStatus, LatePaymentPolicy, PaymentException, Resolution};
use super::order::{Order, OrderEvent};
use super::ports::ExceptionFilter;
use super::service::PaymentService;
use crate::audit::AuditEntry;
use crate::channels::TradeStatus;
use crate::effects::Effects;
use crate::identity::{Caller, NodeKind, Permission};
use crate::jobs::{Job, JobKind, JobOutcome, NewJob};
use crate::money::Money;
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::validate;
use serde_json::json;

impl PaymentService {
    /// The channel says paid on a closed, failed or cancelled order: the payment is real. The
    /// order becomes paid, an exception records it, the merchant gets `order.exception`, and
    /// the platform's policy decides (refund at once, or hold for an operator).
    pub(super) async fn late_payment(&self, order: Order, status: &TradeStatus) -> PaymentResult<Order> {
        let now = self.clock.now();
        let policy = self.settings.late_payment_policy;
        let resolution = if policy == LatePaymentPolicy::Refund { Resolution::Refund } else { Resolution::Hold };
        let evidence = json!({
            "previous_status": order.status.as_str(),
            "channel": order.channel.map(|c| c.as_str()),
            "channel_trade_no": status.channel_trade_no,
            "amount": status.amount.map(|a| a.0),
            "paid_at": status.paid_at.map(timestamp),
        });
        let exception = PaymentException::new(
            &order.platform_id,
            &order.merchant_id,
            &order.path,
            ExceptionKind::PaidAfterClose,
            &order.order_no,
            evidence,
            resolution,
            now,
        );
        tracing::warn!(order_no = %order.order_no, exception = %exception.id, "payment on a closed order");
        let mut effects = Effects::none();
        if policy == LatePaymentPolicy::Refund {
            effects.job(NewJob::new(&order.platform_id, JobKind::ExceptionResolution, exception.id.as_str(), now));
        }
        effects.exception(exception);
        let paid_at = crate::clock::micros(status.paid_at.unwrap_or(now));
        let trade_no = status.channel_trade_no.clone();
        self.transition_with(
            &order,
            OrderEvent::LatePay,
            |o| {
                o.paid_at = Some(paid_at);
                o.channel_trade_no = trade_no.or(o.channel_trade_no.take());
            },
            effects,
        )
        .await
    }

    /// The exception resolution job (key: the exception id): the policy's automatic refund.
    pub async fn run_exception_resolution(&self, job: &Job) -> JobOutcome {
        let exception = match self.exceptions.get_unscoped(&job.key).await {
            Ok(Some(e)) => e,
            Ok(None) => return JobOutcome::Fatal(format!("exception {} does not exist", job.key)),
            Err(e) => return JobOutcome::Failed(e.to_string()),
        };
        if exception.status != ExceptionStatus::Open || exception.resolution != Resolution::Refund {
            return JobOutcome::Done;
        }
        match self.refund_exception(exception, "system", None, None).await {
            Ok(_) => JobOutcome::Done,
            Err(e) => JobOutcome::Failed(e.to_string()),
        }
    }

    /// Refunds what is left of the exception's order through the normal refund flow (its
    /// `out_refund_no` is derived from the exception, so a re-run finds the same refund) and
    /// marks the exception resolved.
    async fn refund_exception(
        &self,
        mut exception: PaymentException,
        by: &str,
        note: Option<String>,
        audit: Option<AuditEntry>,
    ) -> PaymentResult<PaymentException> {
        let order = self.orders.get_unscoped(&exception.order_no).await?.ok_or(PaymentError::OrderNotFound)?;
        let key = exception.refund_key();
        let refund = match self.refunds.find_by_out_refund_no(&order.merchant_id, &key).await? {
            Some(existing) => Some(existing),
            None if order.refundable() > Money(0) => {
                let amount = order.refundable();
                let reason = Some("payment on a closed order".to_owned());
                Some(self.refund_order(order, &key, amount, reason, None).await?.refund)
            }
            None => None,
        };
        exception.refund_no = refund.map(|r| r.refund_no);
        self.close_exception(exception, Resolution::Refund, by, note, audit).await
    }

    async fn close_exception(
        &self,
        mut exception: PaymentException,
        resolution: Resolution,
        by: &str,
        note: Option<String>,
        audit: Option<AuditEntry>,
    ) -> PaymentResult<PaymentException> {
        exception.status = ExceptionStatus::Resolved;
        exception.resolution = resolution;
        exception.resolved_by = Some(by.to_owned());
        exception.resolved_at = Some(self.clock.now());
        if note.is_some() {
            exception.note = note;
        }
        let mut effects = Effects::none();
        if let Some(entry) = audit {
            effects.audit(entry);
        }
        match self.exceptions.resolve(&exception, &effects).await {
            Ok(()) => Ok(exception),
            Err(RepoError::Conflict(c)) if c == "exception_state" => {
                Err(PaymentError::OrderState("exception already resolved"))
            }
            Err(e) => Err(e.into()),
        }
    }

    pub async fn list_exceptions(
        &self,
        caller: &Caller,
        filter: &ExceptionFilter,
        page: PageRequest,
    ) -> PaymentResult<Page<PaymentException>> {
        caller.require(Permission::PaymentRead).map_err(|_| PaymentError::Forbidden)?;
        Ok(self.exceptions.list(&caller.scope, filter, page).await?)
    }

    pub async fn get_exception(&self, caller: &Caller, id: &str) -> PaymentResult<PaymentException> {
        caller.require(Permission::PaymentRead).map_err(|_| PaymentError::Forbidden)?;
        self.exceptions.get(&caller.scope, id).await?.ok_or(PaymentError::NotFound("exception"))
    }

    /// An operator resolves an open exception: refund the payer, let the merchant keep the
    /// payment (`accept`), or `dismiss` it; with a note, audited.
    pub async fn resolve_exception(
        &self,
        caller: &Caller,
        id: &str,
        resolution: Resolution,
        note: Option<String>,
    ) -> PaymentResult<PaymentException> {
        if caller.node_kind != NodeKind::Platform || caller.require(Permission::ExceptionResolve).is_err() {
            return Err(PaymentError::Forbidden);
        }
        let note = validate::optional_text("note", note.as_deref(), 500)?;
        let exception = self.exceptions.get(&caller.scope, id).await?.ok_or(PaymentError::NotFound("exception"))?;
        if exception.status != ExceptionStatus::Open {
            return Err(PaymentError::OrderState("exception already resolved"));
        }
        let audit = AuditEntry::new(
            &exception.platform_id,
            &exception.path,
            &caller.actor(),
            "exception.resolve",
            "payment_exception",
            exception.id.as_str(),
            Some(json!({"status": exception.status.as_str(), "resolution": exception.resolution.as_str()})),
            Some(json!({"resolution": resolution.as_str(), "note": note})),
            self.clock.now(),
        );
        match resolution {
            Resolution::Refund => self.refund_exception(exception, &caller.username, note, Some(audit)).await,
            Resolution::Accept | Resolution::Dismiss => {
                self.close_exception(exception, resolution, &caller.username, note, Some(audit)).await
            }
            Resolution::Hold | Resolution::Closed => {
                Err(validate::FieldError::new("resolution", "refund, accept or dismiss").into())
            }
        }
    }
}
