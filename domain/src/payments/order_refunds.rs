//! The refund totals of an order, decided here and only here: what a new refund may reserve,
//! and what a settled refund does to the totals and the status. The repositories persist the
//! result with a version check, so concurrent refunds re-read and decide again.

use super::order::{InvalidTransition, Order, OrderEvent, OrderStatus};
use crate::money::Money;

/// Why a refund cannot be reserved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RefundRefused {
    /// The order is not paid (or already fully refunded, or being reversed).
    NotRefundable,
    /// `refund_reserved + amount` would pass the paid amount.
    ExceedsAvailable,
}

impl Order {
    /// The order with `amount` more reserved for a new refund.
    pub fn reserve_refund(&self, amount: Money) -> Result<Order, RefundRefused> {
        if !matches!(self.status, OrderStatus::Paid | OrderStatus::PartiallyRefunded) {
            return Err(RefundRefused::NotRefundable);
        }
        if amount.0 < 1 || self.refund_reserved.0 + amount.0 > self.amount.0 {
            return Err(RefundRefused::ExceedsAvailable);
        }
        let mut next = self.clone();
        next.refund_reserved = Money(self.refund_reserved.0 + amount.0);
        Ok(next)
    }

    /// The order after a refund of `amount` ended: a success adds to `refunded_amount` and moves
    /// the status (`refunded` once everything is back); a failure releases the reservation.
    pub fn settle_refund(&self, amount: Money, succeeded: bool) -> Result<Order, InvalidTransition> {
        let mut next = self.clone();
        if succeeded {
            let refunded = self.refunded_amount.0 + amount.0;
            next.status = self.status.apply(OrderEvent::Refund { full: refunded >= self.amount.0 })?;
            next.refunded_amount = Money(refunded);
        } else {
            next.refund_reserved = Money((self.refund_reserved.0 - amount.0).max(self.refunded_amount.0));
        }
        Ok(next)
    }

    /// A paid barcode order about to be reversed (撤销): the whole amount is reserved first, so
    /// no refund can start while the channel reverses it (and a refund in flight refuses the
    /// reverse). `None` when a refund already holds part of it.
    pub fn hold_for_reverse(&self) -> Option<Order> {
        if self.status != OrderStatus::Paid || self.refund_reserved.0 != 0 {
            return None;
        }
        let mut next = self.clone();
        next.refund_reserved = self.amount;
        Some(next)
    }

    /// Gives back what `hold_for_reverse` took (the reverse failed, or the order is cancelled
    /// and nothing stays reserved on it).
    pub fn release_reverse_hold(&self) -> Order {
        let mut next = self.clone();
        next.refund_reserved = self.refunded_amount;
        next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paid(amount: i64) -> Order {
        let t = time::macros::datetime!(2026-12-01 00:00 UTC);
        Order {
            order_no: "1".into(),
            platform_id: crate::ids::PlatformId::generate(),
            merchant_id: crate::ids::MerchantId::generate(),
            merchant_no: "M".into(),
            path: crate::scope::NodePath::from_trusted("/pf/".into()),
            store_id: None,
            app_id: crate::ids::AppId::generate(),
            out_trade_no: "o".into(),
            amount: Money(amount),
            currency: "CNY".into(),
            way: super::super::way::PayWay::Barcode,
            channel: None,
            channel_account_id: None,
            binding_id: None,
            sub_merchant_id: None,
            status: OrderStatus::Paid,
            refunded_amount: Money(0),
            refund_reserved: Money(0),
            fee: Money(0),
            pay_data: None,
            channel_trade_no: None,
            subject: "s".into(),
            attach: None,
            notify_url: None,
            return_url: None,
            client_ip: None,
            payer_id: None,
            request_hash: String::new(),
            expire_at: t,
            paid_at: Some(t),
            created_at: t,
            updated_at: t,
            version: 1,
        }
    }

    #[test]
    fn reservations_never_pass_the_amount() {
        let o = paid(100);
        let o = o.reserve_refund(Money(60)).unwrap();
        assert_eq!(o.reserve_refund(Money(41)).unwrap_err(), RefundRefused::ExceedsAvailable);
        let o = o.reserve_refund(Money(40)).unwrap();
        assert_eq!(o.refund_reserved, Money(100));
    }

    #[test]
    fn settlements_move_totals_and_status() {
        let o = paid(100).reserve_refund(Money(60)).unwrap().reserve_refund(Money(40)).unwrap();
        let o = o.settle_refund(Money(60), true).unwrap();
        assert_eq!((o.status, o.refunded_amount), (OrderStatus::PartiallyRefunded, Money(60)));
        let failed = o.settle_refund(Money(40), false).unwrap();
        assert_eq!((failed.status, failed.refund_reserved), (OrderStatus::PartiallyRefunded, Money(60)));
        let full = o.settle_refund(Money(40), true).unwrap();
        assert_eq!((full.status, full.refunded_amount), (OrderStatus::Refunded, Money(100)));
    }

    #[test]
    fn a_reverse_and_a_refund_exclude_each_other() {
        let held = paid(100).hold_for_reverse().unwrap();
        assert_eq!(held.reserve_refund(Money(1)).unwrap_err(), RefundRefused::ExceedsAvailable);
        let refunding = paid(100).reserve_refund(Money(10)).unwrap();
        assert!(refunding.hold_for_reverse().is_none());
        assert_eq!(held.release_reverse_hold().refund_reserved, Money(0));
    }
}
