use crate::db::mapping::{code, db_time};
use juhe_domain::ids::{AgentId, PlatformId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use juhe_domain::tenancy::{Agent, NodeStatus};
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "agents")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub parent_id: Option<String>,
    pub path: String,
    pub level: i32,
    pub name: String,
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
    pub fn into_domain(self) -> RepoResult<Agent> {
        Ok(Agent {
            status: code("agents.status", &self.status, NodeStatus::parse)?,
            id: AgentId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            parent_id: self.parent_id.map(AgentId::from_trusted),
            path: NodePath::from_trusted(self.path),
            level: self.level,
            name: self.name,
            contact_name: self.contact_name,
            contact_phone_enc: self.contact_phone_enc,
            contact_phone_masked: self.contact_phone_masked,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(a: &Agent) -> ActiveModel {
    ActiveModel {
        id: Set(a.id.to_string()),
        platform_id: Set(a.platform_id.to_string()),
        parent_id: Set(a.parent_id.as_ref().map(ToString::to_string)),
        path: Set(a.path.to_string()),
        level: Set(a.level),
        version: Set(a.version),
        created_at: Set(db_time(a.created_at)),
        ..changes(a)
    }
}

/// What an update writes. The position in the tree (parent, path, level) never changes here.
pub fn changes(a: &Agent) -> ActiveModel {
    ActiveModel {
        name: Set(a.name.clone()),
        contact_name: Set(a.contact_name.clone()),
        contact_phone_enc: Set(a.contact_phone_enc.clone()),
        contact_phone_masked: Set(a.contact_phone_masked.clone()),
        status: Set(a.status.as_str().to_owned()),
        updated_at: Set(db_time(a.updated_at)),
        ..Default::default()
    }
}
