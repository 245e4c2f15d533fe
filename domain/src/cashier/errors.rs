//! What can go wrong in one-code pay, for the admin API (status codes) and the cashier pages
//! (which page the payer sees).

use crate::payments::errors::PaymentError;
use crate::payments::way::Wallet;
use crate::repo::RepoError;
use crate::validate::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum CashierError {
    #[error(transparent)]
    Invalid(#[from] FieldError),
    #[error("not allowed")]
    Forbidden,
    /// Admin side: the code or store is missing or outside the caller's scope.
    #[error("QR code not found")]
    NotFound,
    #[error("store not found")]
    StoreNotFound,
    /// Payer side: the printed code was never issued.
    #[error("no such code")]
    UnknownCode,
    #[error("this code has been disabled")]
    CodeDisabled,
    #[error("the store or merchant is closed")]
    StoreClosed,
    /// The merchant has no active Open API app with a usable key: orders need one.
    #[error("the merchant is not activated for one-code pay")]
    NotActivated,
    /// The merchant cannot take this wallet through the cashier.
    #[error("the merchant does not take {0:?} here")]
    WalletUnavailable(Wallet),
    /// A cashier link, OAuth state or form token that is forged, altered or expired.
    #[error("the link or form has expired or was altered")]
    BadToken,
    #[error("too many attempts; wait a minute")]
    RateLimited,
    /// The wallet's OAuth step failed (the payer can try again).
    #[error("the wallet did not confirm the payer: {0}")]
    PayerUnknown(String),
    #[error(transparent)]
    Payment(#[from] PaymentError),
    #[error("storage: {0}")]
    Repo(RepoError),
    #[error("internal: {0}")]
    Internal(String),
}

impl From<RepoError> for CashierError {
    fn from(e: RepoError) -> Self {
        CashierError::Repo(e)
    }
}

pub type CashierResult<T> = Result<T, CashierError>;
