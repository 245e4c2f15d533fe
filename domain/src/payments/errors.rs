//! What can go wrong in payments, for the API to map to status codes and stable codes.

use crate::channels::ChannelError;
use crate::repo::RepoError;
use crate::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("not allowed")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("merchant not found")]
    MerchantNotFound,
    #[error("merchant is disabled")]
    MerchantDisabled,
    #[error("store not found")]
    StoreNotFound,
    #[error("pay way {0} is not enabled for this app or merchant")]
    WayNotEnabled(String),
    #[error("no channel can take this order")]
    NoChannelAvailable,
    #[error("rejected by risk control: {0}")]
    RiskRejected(String),
    #[error("channel quota exceeded")]
    QuotaExceeded,
    #[error("order not found")]
    OrderNotFound,
    #[error("out_trade_no already used with a different request")]
    OutTradeNoConflict,
    #[error("order is {0}; this action needs another state")]
    OrderState(&'static str),
    #[error("refund not found")]
    RefundNotFound,
    #[error("out_refund_no already used with a different request")]
    OutRefundNoConflict,
    #[error("refund amount exceeds what may still be refunded")]
    RefundExceedsAvailable,
    #[error("changed by someone else; reload and try again")]
    StaleVersion,
    #[error("{0} already exists")]
    Duplicate(&'static str),
    #[error("channel error: {0}")]
    Channel(String),
    #[error("storage: {0}")]
    Repo(RepoError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<RepoError> for PaymentError {
    fn from(e: RepoError) -> Self {
        PaymentError::Repo(e)
    }
}

impl From<ChannelError> for PaymentError {
    fn from(e: ChannelError) -> Self {
        PaymentError::Channel(e.to_string())
    }
}

pub type PaymentResult<T> = Result<T, PaymentError>;
