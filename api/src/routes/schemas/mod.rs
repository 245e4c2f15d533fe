//! The typed objects of OPEN_API.md, as they appear in the spec and, byte for byte, on the wire:
//! the order, refund and notification objects and their string enums, each built from its
//! domain struct. The domain's `order_object` / `refund_object` still build the same JSON for
//! the notification payloads; `tests` holds the two together.

mod enums;
mod notifications;
mod payments;
mod wire;

pub use enums::{ChannelDto, DeliveryStatusDto, EventTypeDto, OrderStatusDto, RefundStatusDto, WayDto};
pub use notifications::{DeliveryAttemptObject, NotificationObject};
pub use payments::{OrderObject, RefundObject};
pub use wire::{FreeForm, Nullable};

#[cfg(test)]
mod tests;
