//! The one API error type: every non-2xx body is `{code, message, request_id}` with a stable code.
//! Domain errors map to status and code here, in one place; internal causes are logged, never sent.

use crate::http::request_id;
use juhe_domain::apps::open_auth::OpenAuthError;
use juhe_domain::apps::service::AppError;
use juhe_domain::audit::service::AuditError;
use juhe_domain::cashier::CashierError;
use juhe_domain::identity::service::AuthError;
use juhe_domain::payments::errors::PaymentError;
use juhe_domain::tenancy::service::TenancyError;
use poem_openapi::{ApiResponse, Object, payload::Json};

#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `MERCHANT_NOT_FOUND`.
    pub code: String,
    /// Human-readable explanation (may change between versions).
    pub message: String,
    pub request_id: String,
}

#[derive(Debug, ApiResponse)]
pub enum ApiError {
    /// The request is malformed or fails validation.
    #[oai(status = 400)]
    BadRequest(Json<ErrorBody>),
    /// Missing or invalid credentials / signature.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>),
    /// Authenticated, but the role does not allow this.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
    /// Missing, or outside the caller's scope (never told apart).
    #[oai(status = 404)]
    NotFound(Json<ErrorBody>),
    /// Conflicts with the current state (duplicate, stale version).
    #[oai(status = 409)]
    Conflict(Json<ErrorBody>),
    /// Too many attempts.
    #[oai(status = 429)]
    TooManyRequests(Json<ErrorBody>),
    /// Something failed on our side; the request id finds it in the logs.
    #[oai(status = 500)]
    Internal(Json<ErrorBody>),
    /// The payment channel failed or its outcome is unknown.
    #[oai(status = 502)]
    BadGateway(Json<ErrorBody>),
    /// A dependency (database, cache) is unavailable.
    #[oai(status = 503)]
    Unavailable(Json<ErrorBody>),
}

pub type ApiResult<T> = Result<T, ApiError>;

fn body(code: &str, message: impl Into<String>) -> Json<ErrorBody> {
    Json(ErrorBody { code: code.to_owned(), message: message.into(), request_id: request_id::current() })
}

impl ApiError {
    pub fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::BadRequest(body(code, message))
    }
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::bad_request("INVALID_REQUEST", message)
    }
    pub fn unauthorized(code: &str, message: impl Into<String>) -> Self {
        Self::Unauthorized(body(code, message))
    }
    pub fn forbidden() -> Self {
        Self::Forbidden(body("FORBIDDEN", "your role does not allow this"))
    }
    pub fn not_found(code: &str, what: &str) -> Self {
        Self::NotFound(body(code, format!("{what} not found")))
    }
    pub fn conflict(code: &str, message: impl Into<String>) -> Self {
        Self::Conflict(body(code, message))
    }
    pub fn too_many(code: &str, message: impl Into<String>) -> Self {
        Self::TooManyRequests(body(code, message))
    }
    /// Logs the cause with the request id; the client sees only the code.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::Internal(body("INTERNAL", "internal error"))
    }
    pub fn unavailable(what: &str) -> Self {
        Self::Unavailable(body("UNAVAILABLE", format!("{what} unavailable")))
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadCredentials => Self::unauthorized("INVALID_CREDENTIALS", e.to_string()),
            AuthError::Throttled => Self::too_many("LOGIN_THROTTLED", "too many login attempts; try again later"),
            AuthError::UserDisabled => Self::Forbidden(body("USER_DISABLED", e.to_string())),
            AuthError::TokenInvalid => Self::unauthorized("TOKEN_INVALID", e.to_string()),
            AuthError::RefreshInvalid => Self::unauthorized("REFRESH_TOKEN_INVALID", e.to_string()),
            AuthError::RefreshReused => Self::unauthorized("REFRESH_TOKEN_REUSED", e.to_string()),
            AuthError::Forbidden => Self::forbidden(),
            AuthError::NotFound => Self::not_found("USER_NOT_FOUND", "user"),
            AuthError::UsernameTaken => Self::conflict("USERNAME_TAKEN", e.to_string()),
            AuthError::Invalid(f) => Self::invalid(f.to_string()),
            AuthError::Repo(r) => Self::internal(r),
            AuthError::Internal(m) => Self::internal(m),
        }
    }
}

/// Tenancy errors need to know which record was missing.
pub fn tenancy_error(e: TenancyError, code: &str, what: &str) -> ApiError {
    match e {
        TenancyError::NotFound => ApiError::not_found(code, what),
        TenancyError::Forbidden => ApiError::forbidden(),
        TenancyError::Invalid(f) => ApiError::invalid(f.to_string()),
        TenancyError::Conflict(c) => ApiError::conflict("CONFLICT", format!("conflict on {c}")),
        TenancyError::StaleVersion => ApiError::conflict("VERSION_CONFLICT", e.to_string()),
        TenancyError::Repo(r) => ApiError::internal(r),
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::NotFound => Self::not_found("APP_NOT_FOUND", "app"),
            AppError::Forbidden => Self::forbidden(),
            AppError::Invalid(f) => Self::invalid(f.to_string()),
            AppError::StaleVersion => Self::conflict("VERSION_CONFLICT", e.to_string()),
            AppError::Repo(r) => Self::internal(r),
        }
    }
}

impl From<AuditError> for ApiError {
    fn from(e: AuditError) -> Self {
        match e {
            AuditError::Forbidden => Self::forbidden(),
            AuditError::Repo(r) => Self::internal(r),
        }
    }
}

impl From<OpenAuthError> for ApiError {
    fn from(e: OpenAuthError) -> Self {
        let msg = e.to_string();
        match e {
            OpenAuthError::Malformed(_) => Self::unauthorized("INVALID_AUTHORIZATION", msg),
            OpenAuthError::TimestampExpired => Self::unauthorized("TIMESTAMP_EXPIRED", msg),
            OpenAuthError::AppNotFound => Self::unauthorized("APP_NOT_FOUND", msg),
            OpenAuthError::AppDisabled => Self::Forbidden(body("APP_DISABLED", msg)),
            OpenAuthError::MerchantDisabled => Self::Forbidden(body("MERCHANT_DISABLED", msg)),
            OpenAuthError::AgentDisabled => Self::Forbidden(body("AGENT_DISABLED", msg)),
            OpenAuthError::IpNotAllowed => Self::Forbidden(body("IP_NOT_ALLOWED", msg)),
            OpenAuthError::InvalidSignature => Self::unauthorized("INVALID_SIGNATURE", msg),
            OpenAuthError::NonceReused => Self::unauthorized("NONCE_REUSED", msg),
            OpenAuthError::RateLimited => Self::too_many("RATE_LIMITED", msg),
            OpenAuthError::Internal(m) => Self::internal(m),
        }
    }
}

impl From<CashierError> for ApiError {
    fn from(e: CashierError) -> Self {
        let msg = e.to_string();
        match e {
            CashierError::Invalid(f) => Self::invalid(f.to_string()),
            CashierError::Forbidden => Self::forbidden(),
            CashierError::NotFound | CashierError::UnknownCode => Self::not_found("QR_CODE_NOT_FOUND", "QR code"),
            CashierError::StoreNotFound => Self::bad_request("STORE_NOT_FOUND", msg),
            CashierError::Payment(p) => p.into(),
            CashierError::Repo(r) => Self::internal(r),
            CashierError::Internal(m) => Self::internal(m),
            // The payer-side errors are answered by the cashier pages; here only for completeness.
            CashierError::CodeDisabled
            | CashierError::StoreClosed
            | CashierError::NotActivated
            | CashierError::WalletUnavailable(_)
            | CashierError::PayerUnknown(_) => Self::conflict("CASHIER_UNAVAILABLE", msg),
            CashierError::BadToken => Self::bad_request("CASHIER_LINK_INVALID", msg),
            CashierError::RateLimited => Self::too_many("RATE_LIMITED", msg),
        }
    }
}

impl From<PaymentError> for ApiError {
    fn from(e: PaymentError) -> Self {
        let msg = e.to_string();
        match e {
            PaymentError::Invalid(f) => Self::invalid(f.to_string()),
            PaymentError::Forbidden => Self::forbidden(),
            PaymentError::NotFound(what) => {
                Self::NotFound(body(&format!("{}_NOT_FOUND", what.to_ascii_uppercase()), msg))
            }
            PaymentError::MerchantNotFound => Self::not_found("MERCHANT_NOT_FOUND", "merchant"),
            PaymentError::MerchantDisabled => Self::Forbidden(body("MERCHANT_DISABLED", msg)),
            PaymentError::StoreNotFound => Self::bad_request("STORE_NOT_FOUND", msg),
            PaymentError::WayNotEnabled(_) => Self::bad_request("WAY_NOT_ENABLED", msg),
            PaymentError::NoChannelAvailable => Self::bad_request("NO_CHANNEL_AVAILABLE", msg),
            PaymentError::RiskRejected(_) => Self::Forbidden(body("RISK_REJECTED", msg)),
            PaymentError::QuotaExceeded => Self::too_many("QUOTA_EXCEEDED", msg),
            PaymentError::OrderNotFound => Self::not_found("ORDER_NOT_FOUND", "order"),
            PaymentError::OutTradeNoConflict => Self::conflict("OUT_TRADE_NO_CONFLICT", msg),
            PaymentError::OrderState(_) => Self::conflict("ORDER_NOT_PAYABLE", msg),
            PaymentError::RefundNotFound => Self::not_found("REFUND_NOT_FOUND", "refund"),
            PaymentError::OutRefundNoConflict => Self::conflict("OUT_REFUND_NO_CONFLICT", msg),
            PaymentError::RefundExceedsAvailable => Self::conflict("REFUND_EXCEEDS_AVAILABLE", msg),
            PaymentError::StaleVersion => Self::conflict("VERSION_CONFLICT", msg),
            PaymentError::Duplicate(_) => Self::conflict("CONFLICT", msg),
            PaymentError::Channel(cause) => {
                tracing::warn!(%cause, "channel error");
                Self::BadGateway(body("CHANNEL_ERROR", "the payment channel failed; the order can be queried"))
            }
            PaymentError::Repo(r) => Self::internal(r),
            PaymentError::Internal(m) => Self::internal(m),
        }
    }
}

impl From<juhe_domain::jobs::admin::JobAdminError> for ApiError {
    fn from(e: juhe_domain::jobs::admin::JobAdminError) -> Self {
        use juhe_domain::jobs::admin::JobAdminError as E;
        match e {
            E::Forbidden => Self::forbidden(),
            E::NotFound => Self::not_found("JOB_NOT_FOUND", "job"),
            E::State(_) => Self::conflict("JOB_STATE", e.to_string()),
            E::Repo(r) => Self::internal(r),
        }
    }
}
