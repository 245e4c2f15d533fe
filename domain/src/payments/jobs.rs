//! Order lifecycle jobs: expire unpaid orders, resolve orders whose outcome is unknown, reverse
//! barcode payments left waiting past the polling window, poll processing refunds. Each run
//! handles a batch and returns how many records it touched.

use super::order::OrderStatus;
use super::service::PaymentService;
use super::way::PayWay;

const BATCH: u64 = 100;

impl PaymentService {
    /// Closes orders past `expire_at` (at the channel, then locally); a paid one is marked paid.
    pub async fn expire_due(&self) -> usize {
        let now = self.clock.now();
        let Ok(orders) = self.orders.expired(now, BATCH).await else { return 0 };
        let mut done = 0;
        for order in orders {
            let order_no = order.order_no.clone();
            let synced = match self.sync_with_channel(order).await {
                Ok(o) => o,
                Err(e) => {
                    tracing::warn!(%order_no, error = %e, "expiry: query failed");
                    continue;
                }
            };
            if matches!(synced.status, OrderStatus::Created | OrderStatus::Paying) {
                match self.close(synced).await {
                    Ok(_) => done += 1,
                    Err(e) => tracing::warn!(%order_no, error = %e, "expiry: close failed; will retry"),
                }
            } else {
                done += 1;
            }
        }
        done
    }

    /// Re-queries unpaid orders older than `min_age_secs`; reverses barcode orders still
    /// `paying` after the polling window.
    pub async fn resolve_pending(&self, min_age_secs: i64) -> usize {
        let now = self.clock.now();
        let Ok(orders) = self.orders.pending_before(now - time::Duration::seconds(min_age_secs), BATCH).await else {
            return 0;
        };
        let window = time::Duration::try_from(self.settings.barcode_poll_window).unwrap_or(time::Duration::MINUTE);
        let mut done = 0;
        for order in orders {
            let order_no = order.order_no.clone();
            let Ok(synced) = self.sync_with_channel(order).await else { continue };
            let stale_barcode = synced.way == PayWay::Barcode
                && synced.status == OrderStatus::Paying
                && now - synced.created_at >= window;
            if stale_barcode {
                match self.reverse(synced).await {
                    Ok(_) => done += 1,
                    Err(e) => tracing::warn!(%order_no, error = %e, "barcode reverse failed; will retry"),
                }
            } else if synced.status != OrderStatus::Created {
                done += 1;
            }
        }
        done
    }

    /// Polls refunds still processing after `min_age_secs`.
    pub async fn poll_refunds(&self, min_age_secs: i64) -> usize {
        let now = self.clock.now();
        let Ok(refunds) = self.refunds.processing_before(now - time::Duration::seconds(min_age_secs), BATCH).await
        else {
            return 0;
        };
        let mut done = 0;
        for refund in refunds {
            if let Ok(r) = self.sync_refund(refund).await
                && r.status != super::refund::RefundStatus::Processing
            {
                done += 1;
            }
        }
        done
    }
}
