use crate::db::mapping::db_time;
use juhe_domain::ids::PlatformId;
use juhe_domain::tenancy::Platform;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "platforms")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub name: String,
    pub created_at: TimeDateTimeWithTimeZone,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> Platform {
        Platform { id: PlatformId::from_trusted(self.id), name: self.name, created_at: self.created_at }
    }
}

pub fn from_domain(p: &Platform) -> ActiveModel {
    ActiveModel { id: Set(p.id.to_string()), name: Set(p.name.clone()), created_at: Set(db_time(p.created_at)) }
}
