use crate::db::mapping::{code, db_time};
use juhe_domain::ids::{LegalEntityId, PlatformId};
use juhe_domain::repo::RepoResult;
use juhe_domain::tenancy::{EntityKind, LegalEntity};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "legal_entities")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub kind: String,
    pub name: String,
    pub id_number_enc: String,
    pub id_number_hash: String,
    pub id_number_last4: String,
    pub legal_person_enc: Option<String>,
    pub legal_person_masked: Option<String>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<LegalEntity> {
        Ok(LegalEntity {
            kind: code("legal_entities.kind", &self.kind, EntityKind::parse)?,
            id: LegalEntityId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            name: self.name,
            id_number_enc: self.id_number_enc,
            id_number_hash: self.id_number_hash,
            id_number_last4: self.id_number_last4,
            legal_person_enc: self.legal_person_enc,
            legal_person_masked: self.legal_person_masked,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(e: &LegalEntity) -> ActiveModel {
    ActiveModel {
        id: Set(e.id.to_string()),
        platform_id: Set(e.platform_id.to_string()),
        kind: Set(e.kind.as_str().to_owned()),
        name: Set(e.name.clone()),
        id_number_enc: Set(e.id_number_enc.clone()),
        id_number_hash: Set(e.id_number_hash.clone()),
        id_number_last4: Set(e.id_number_last4.clone()),
        legal_person_enc: Set(e.legal_person_enc.clone()),
        legal_person_masked: Set(e.legal_person_masked.clone()),
        created_at: Set(db_time(e.created_at)),
        updated_at: Set(db_time(e.updated_at)),
    }
}
