//! Ports of one-code pay: storage of the codes and the rendering of printable images.

use super::model::{QrCode, QrCodeFilter};
use crate::audit::AuditEntry;
use crate::page::{Page, PageRequest};
use crate::repo::RepoResult;
use crate::scope::Scope;

#[async_trait::async_trait]
pub trait QrCodeRepo: Send + Sync {
    /// Inserts the code and its audit entry in one transaction.
    async fn insert(&self, qr: &QrCode, audit: &AuditEntry) -> RepoResult<()>;
    /// A code the scope may see.
    async fn get(&self, scope: &Scope, code: &str) -> RepoResult<Option<QrCode>>;
    /// Unscoped: the public cashier page finds a code by the printed URL.
    async fn get_public(&self, code: &str) -> RepoResult<Option<QrCode>>;
    /// Newest first.
    async fn list(&self, scope: &Scope, filter: &QrCodeFilter, page: PageRequest) -> RepoResult<Page<QrCode>>;
    /// Writes `status` and `updated_at` with the audit entry, in one transaction.
    async fn set_status(&self, qr: &QrCode, audit: &AuditEntry) -> RepoResult<()>;
}

/// Printable images of a QR code.
pub trait QrImages: Send + Sync {
    /// A PNG of the QR code of `text`, `scale` pixels per module, with the quiet zone.
    fn png(&self, text: &str, scale: u32) -> Result<Vec<u8>, String>;
    /// An SVG of the QR code of `text` with `caption` (escaped) printed under it.
    fn svg(&self, text: &str, caption: &str) -> Result<String, String>;
}
