//! Stores of a merchant.

use super::model::*;
use super::service::{TenancyError, TenancyResult, TenancyService, require};
use crate::identity::{Caller, NodeKind, Permission};
use crate::ids::{MerchantId, StoreId};
use crate::page::{Page, PageRequest};
use crate::validate::{self, FieldError};
use serde_json::{Value, json};

#[derive(Clone, Debug)]
pub struct NewStore {
    /// `None`: the caller's own merchant (merchant users).
    pub merchant_id: Option<MerchantId>,
    pub name: String,
    pub address: String,
    pub business_category: String,
}

#[derive(Clone, Debug, Default)]
pub struct StorePatch {
    pub name: Option<String>,
    pub address: Option<String>,
    pub business_category: Option<String>,
}

impl TenancyService {
    pub async fn create_store(&self, caller: &Caller, new: NewStore) -> TenancyResult<Store> {
        require(caller, Permission::StoreWrite)?;
        let name = validate::text("name", &new.name, 64)?;
        let address = validate::text("address", &new.address, 256)?;
        let category = business_category(&new.business_category)?;
        let merchant_id = match (new.merchant_id, caller.node_kind) {
            (Some(id), _) => id,
            (None, NodeKind::Merchant) => MerchantId::parse(&caller.node_id).ok_or(TenancyError::Forbidden)?,
            (None, _) => return Err(FieldError::new("merchant_id", "required").into()),
        };
        let merchant = self
            .repo
            .get_merchant(&caller.scope, &merchant_id)
            .await?
            .ok_or_else(|| FieldError::new("merchant_id", "no such merchant in your scope"))?;
        let now = self.clock.now();
        let id = StoreId::generate();
        let store = Store {
            path: merchant.path.child(id.as_str()),
            id,
            platform_id: caller.scope.platform_id.clone(),
            merchant_id,
            name,
            address,
            business_category: category,
            status: NodeStatus::Active,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let audit =
            self.audit(caller, &store.path, "store.create", "store", store.id.as_str(), None, Some(store_view(&store)));
        self.repo.insert_store(&store, &audit).await?;
        Ok(store)
    }

    pub async fn get_store(&self, caller: &Caller, id: &StoreId) -> TenancyResult<Store> {
        require(caller, Permission::HierarchyRead)?;
        self.repo.get_store(&caller.scope, id).await?.ok_or(TenancyError::NotFound)
    }

    pub async fn list_stores(
        &self,
        caller: &Caller,
        filter: &StoreFilter,
        page: PageRequest,
    ) -> TenancyResult<Page<Store>> {
        require(caller, Permission::HierarchyRead)?;
        Ok(self.repo.list_stores(&caller.scope, filter, page).await?)
    }

    pub async fn update_store(
        &self,
        caller: &Caller,
        id: &StoreId,
        version: Option<i64>,
        patch: StorePatch,
    ) -> TenancyResult<Store> {
        require(caller, Permission::StoreWrite)?;
        let before = self.get_store(caller, id).await?;
        let mut s = before.clone();
        if let Some(name) = patch.name {
            s.name = validate::text("name", &name, 64)?;
        }
        if let Some(address) = patch.address {
            s.address = validate::text("address", &address, 256)?;
        }
        if let Some(category) = patch.business_category {
            s.business_category = business_category(&category)?;
        }
        self.save_store(caller, before, s, version, "store.update").await
    }

    pub async fn set_store_status(
        &self,
        caller: &Caller,
        id: &StoreId,
        version: Option<i64>,
        status: NodeStatus,
    ) -> TenancyResult<Store> {
        require(caller, Permission::StoreWrite)?;
        let before = self.get_store(caller, id).await?;
        let mut s = before.clone();
        s.status = status;
        let action = if status == NodeStatus::Disabled { "store.disable" } else { "store.enable" };
        self.save_store(caller, before, s, version, action).await
    }

    async fn save_store(
        &self,
        caller: &Caller,
        before: Store,
        mut s: Store,
        version: Option<i64>,
        action: &str,
    ) -> TenancyResult<Store> {
        let version = version.unwrap_or(before.version);
        s.version = version;
        s.updated_at = self.clock.now();
        let audit = self.audit(
            caller,
            &s.path,
            action,
            "store",
            s.id.as_str(),
            Some(store_view(&before)),
            Some(store_view(&s)),
        );
        self.repo.update_store(&s, &audit).await?;
        s.version = version + 1;
        Ok(s)
    }
}

/// A four-digit merchant category code.
fn business_category(raw: &str) -> Result<String, FieldError> {
    let v = raw.trim();
    if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err(FieldError::new("business_category", "a four-digit merchant category code (MCC), e.g. 5812"))
    }
}

fn store_view(s: &Store) -> Value {
    json!({"name": s.name, "address": s.address, "business_category": s.business_category, "status": s.status})
}
