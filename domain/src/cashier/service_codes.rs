//! Managing store QR codes (admin side): create, list, disable/enable (audited), and the
//! printable PNG / SVG of each. Codes are scoped like their store.

use super::errors::{CashierError, CashierResult};
use super::links::CashierLinks;
use super::model::{CODE_BYTES, QrCode, QrCodeFilter, QrCodeStatus, is_code};
use super::ports::{QrCodeRepo, QrImages};
use crate::audit::AuditEntry;
use crate::clock::Clock;
use crate::crypto::Signer;
use crate::identity::{Caller, Permission};
use crate::ids::StoreId;
use crate::page::{Page, PageRequest};
use crate::repo::RepoError;
use crate::tenancy::NodeStatus;
use crate::tenancy::ports::TenancyRepo;
use crate::validate::{self, FieldError};
use serde_json::{Value, json};
use std::sync::Arc;

/// Pixels per QR module in the PNG (a version-4 code is ~41 modules: ~410 px, prints sharp).
pub const PNG_SCALE: u32 = 10;

#[derive(Clone, Debug)]
pub struct NewQrCode {
    pub store_id: StoreId,
    pub name: String,
}

pub struct QrCodeService {
    pub repo: Arc<dyn QrCodeRepo>,
    pub tenancy: Arc<dyn TenancyRepo>,
    pub images: Arc<dyn QrImages>,
    pub links: Arc<CashierLinks>,
    pub signer: Arc<dyn Signer>,
    pub clock: Arc<dyn Clock>,
}

fn need(caller: &Caller, p: Permission) -> CashierResult<()> {
    caller.require(p).map_err(|_| CashierError::Forbidden)
}

impl QrCodeService {
    pub async fn create(&self, caller: &Caller, new: NewQrCode) -> CashierResult<QrCode> {
        need(caller, Permission::StoreWrite)?;
        let name = validate::text("name", &new.name, 32)?;
        let store = self.tenancy.get_store(&caller.scope, &new.store_id).await?.ok_or(CashierError::StoreNotFound)?;
        if store.status != NodeStatus::Active {
            return Err(FieldError::new("store_id", "the store is disabled").into());
        }
        let now = self.clock.now();
        let qr = QrCode {
            code: self.signer.random_token(CODE_BYTES),
            platform_id: store.platform_id.clone(),
            merchant_id: store.merchant_id.clone(),
            store_id: store.id.clone(),
            path: store.path.clone(),
            name,
            status: QrCodeStatus::Active,
            created_at: now,
            updated_at: now,
        };
        let audit = self.audit(caller, &qr, "qr_code.create", None, Some(view(&qr)));
        self.repo.insert(&qr, &audit).await.map_err(|e| match e {
            RepoError::Conflict(_) => CashierError::Internal("random QR code collided; retry".into()),
            other => other.into(),
        })?;
        Ok(qr)
    }

    pub async fn get(&self, caller: &Caller, code: &str) -> CashierResult<QrCode> {
        need(caller, Permission::HierarchyRead)?;
        if !is_code(code) {
            return Err(CashierError::NotFound);
        }
        self.repo.get(&caller.scope, code).await?.ok_or(CashierError::NotFound)
    }

    pub async fn list(&self, caller: &Caller, filter: &QrCodeFilter, page: PageRequest) -> CashierResult<Page<QrCode>> {
        need(caller, Permission::HierarchyRead)?;
        Ok(self.repo.list(&caller.scope, filter, page).await?)
    }

    /// Disables or enables a code (a no-op when it already has that status).
    pub async fn set_status(&self, caller: &Caller, code: &str, status: QrCodeStatus) -> CashierResult<QrCode> {
        need(caller, Permission::StoreWrite)?;
        let before = self.get(caller, code).await?;
        if before.status == status {
            return Ok(before);
        }
        let mut qr = before.clone();
        qr.status = status;
        qr.updated_at = self.clock.now();
        let action = if status == QrCodeStatus::Disabled { "qr_code.disable" } else { "qr_code.enable" };
        let audit = self.audit(caller, &qr, action, Some(view(&before)), Some(view(&qr)));
        self.repo.set_status(&qr, &audit).await?;
        Ok(qr)
    }

    /// The URL the code encodes.
    pub fn url(&self, qr: &QrCode) -> String {
        self.links.code_url(&qr.code)
    }

    pub async fn png(&self, caller: &Caller, code: &str) -> CashierResult<Vec<u8>> {
        let qr = self.get(caller, code).await?;
        self.images.png(&self.url(&qr), PNG_SCALE).map_err(CashierError::Internal)
    }

    /// The printable SVG: the code with the store's name and the code's label under it.
    pub async fn svg(&self, caller: &Caller, code: &str) -> CashierResult<String> {
        let qr = self.get(caller, code).await?;
        let store = self.tenancy.get_store(&caller.scope, &qr.store_id).await?;
        let caption = match store {
            Some(s) => format!("{} · {}", s.name, qr.name),
            None => qr.name.clone(),
        };
        self.images.svg(&self.url(&qr), &caption).map_err(CashierError::Internal)
    }

    fn audit(
        &self,
        caller: &Caller,
        qr: &QrCode,
        action: &str,
        before: Option<Value>,
        after: Option<Value>,
    ) -> AuditEntry {
        AuditEntry::new(
            &qr.platform_id,
            &qr.path,
            &caller.actor(),
            action,
            "qr_code",
            &qr.code,
            before,
            after,
            self.clock.now(),
        )
    }
}

fn view(qr: &QrCode) -> Value {
    json!({"store_id": qr.store_id, "name": qr.name, "status": qr.status})
}
