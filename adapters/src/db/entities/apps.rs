use crate::db::mapping::{code, db_time, json_list, list_from_json};
use juhe_domain::apps::{App, AppStatus};
use juhe_domain::identity::NodeKind;
use juhe_domain::ids::{AppId, PlatformId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "apps")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub platform_id: String,
    pub owner_kind: String,
    pub owner_id: String,
    pub path: String,
    pub name: String,
    pub status: String,
    #[sea_orm(column_type = "JsonBinary")]
    pub ip_allow_list: Json,
    #[sea_orm(column_type = "JsonBinary")]
    pub allowed_ways: Json,
    pub notify_url: Option<String>,
    pub version: i64,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<App> {
        Ok(App {
            owner_kind: code("apps.owner_kind", &self.owner_kind, NodeKind::parse)?,
            status: code("apps.status", &self.status, AppStatus::parse)?,
            ip_allow_list: list_from_json("apps.ip_allow_list", self.ip_allow_list)?,
            allowed_ways: list_from_json("apps.allowed_ways", self.allowed_ways)?,
            id: AppId::from_trusted(self.id),
            platform_id: PlatformId::from_trusted(self.platform_id),
            owner_id: self.owner_id,
            path: NodePath::from_trusted(self.path),
            name: self.name,
            notify_url: self.notify_url,
            version: self.version,
            created_at: self.created_at,
            updated_at: self.updated_at,
        })
    }
}

pub fn from_domain(a: &App) -> ActiveModel {
    ActiveModel {
        id: Set(a.id.to_string()),
        platform_id: Set(a.platform_id.to_string()),
        owner_kind: Set(a.owner_kind.as_str().to_owned()),
        owner_id: Set(a.owner_id.clone()),
        path: Set(a.path.to_string()),
        version: Set(a.version),
        created_at: Set(db_time(a.created_at)),
        ..changes(a)
    }
}

/// What an update writes. The owner and the path never change here.
pub fn changes(a: &App) -> ActiveModel {
    ActiveModel {
        name: Set(a.name.clone()),
        status: Set(a.status.as_str().to_owned()),
        ip_allow_list: Set(json_list(&a.ip_allow_list)),
        allowed_ways: Set(json_list(&a.allowed_ways)),
        notify_url: Set(a.notify_url.clone()),
        updated_at: Set(db_time(a.updated_at)),
        ..Default::default()
    }
}
