use crate::db::mapping::{code, db_time};
use juhe_domain::ids::{AgentId, LegalEntityId, MerchantId, PlatformId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use juhe_domain::tenancy::{BusinessScene, Merchant, NodeStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "merchants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub merchant_no: String,
    pub agent_id: Option<String>,
    pub parent_id: Option<String>,
    pub legal_entity_id: String,
    pub path: String,
    pub name: String,
    pub short_name: String,
    pub business_scene: String,
    pub settle_to_parent: bool,
    pub contact_name: Option<String>,
    pub contact_phone_enc: Option<String>,
    pub contact_phone_masked: Option<String>,
    pub status: String,
    pub version: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<Merchant> {
        Ok(Merchant {
            business_scene: code("merchants.business_scene", &self.business_scene, BusinessScene::parse)?,
            status: code("merchants.status", &self.status, NodeStatus::parse)?,
            id: MerchantId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_no: self.merchant_no,
            agent_id: self.agent_id.map(AgentId::from_trusted),
            parent_id: self.parent_id.map(MerchantId::from_trusted),
            legal_entity_id: LegalEntityId::from_trusted(self.legal_entity_id),
            path: NodePath::from_trusted(self.path),
            name: self.name,
            short_name: self.short_name,
            settle_to_parent: self.settle_to_parent,
            contact_name: self.contact_name,
            contact_phone_enc: self.contact_phone_enc,
            contact_phone_masked: self.contact_phone_masked,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(m: &Merchant) -> ActiveModel {
    ActiveModel {
        id: Set(m.id.to_string()),
        platform_id: Set(m.platform_id.to_string()),
        merchant_no: Set(m.merchant_no.clone()),
        agent_id: Set(m.agent_id.as_ref().map(ToString::to_string)),
        parent_id: Set(m.parent_id.as_ref().map(ToString::to_string)),
        legal_entity_id: Set(m.legal_entity_id.to_string()),
        path: Set(m.path.to_string()),
        version: Set(m.version),
        created_at: Set(db_time(m.created_at)),
        ..changes(m)
    }
}

/// What an update writes. The merchant number, the legal entity and the position in the tree
/// (agent, parent, path) never change here; moving is `move_merchant`.
pub fn changes(m: &Merchant) -> ActiveModel {
    ActiveModel {
        name: Set(m.name.clone()),
        short_name: Set(m.short_name.clone()),
        business_scene: Set(m.business_scene.as_str().to_owned()),
        settle_to_parent: Set(m.settle_to_parent),
        contact_name: Set(m.contact_name.clone()),
        contact_phone_enc: Set(m.contact_phone_enc.clone()),
        contact_phone_masked: Set(m.contact_phone_masked.clone()),
        status: Set(m.status.as_str().to_owned()),
        updated_at: Set(db_time(m.updated_at)),
        ..Default::default()
    }
}
