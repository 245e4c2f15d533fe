//! `/admin/v1/legal-entities`: the businesses and people behind merchant numbers.

use super::common::{Tag, page_of, parse_id};
use super::text::Text;
use crate::error::{ApiError, ApiResult, tenancy_error};
use crate::http::bearer::AdminAuth;
use crate::state::AppState;
use juhe_domain::ids::LegalEntityId;
use juhe_domain::tenancy::service::TenancyError;
use juhe_domain::tenancy::service_merchants::NewLegalEntity;
use juhe_domain::tenancy::{EntityKind, LegalEntity, LegalEntityFilter};
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, payload::Json};
use std::sync::Arc;
use time::OffsetDateTime;

pub struct LegalEntitiesApi;

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum EntityKindDto {
    Enterprise,
    IndividualBusiness,
    Individual,
    Government,
    Institution,
    Other,
}

impl From<EntityKindDto> for EntityKind {
    fn from(k: EntityKindDto) -> Self {
        match k {
            EntityKindDto::Enterprise => Self::Enterprise,
            EntityKindDto::IndividualBusiness => Self::IndividualBusiness,
            EntityKindDto::Individual => Self::Individual,
            EntityKindDto::Government => Self::Government,
            EntityKindDto::Institution => Self::Institution,
            EntityKindDto::Other => Self::Other,
        }
    }
}

impl From<EntityKind> for EntityKindDto {
    fn from(k: EntityKind) -> Self {
        match k {
            EntityKind::Enterprise => Self::Enterprise,
            EntityKind::IndividualBusiness => Self::IndividualBusiness,
            EntityKind::Individual => Self::Individual,
            EntityKind::Government => Self::Government,
            EntityKind::Institution => Self::Institution,
            EntityKind::Other => Self::Other,
        }
    }
}

#[derive(Object)]
pub struct NewLegalEntityDto {
    pub kind: EntityKindDto,
    #[oai(validator(min_length = 1, max_length = 128))]
    pub name: Text,
    /// Business licence (unified social credit code) or ID number; stored encrypted.
    #[oai(validator(min_length = 8, max_length = 40))]
    pub id_number: Text,
    /// Legal representative's name; stored encrypted.
    #[oai(validator(max_length = 32))]
    pub legal_person: Option<Text>,
}

pub fn entity_input(d: NewLegalEntityDto) -> NewLegalEntity {
    NewLegalEntity {
        kind: d.kind.into(),
        name: d.name.0,
        id_number: d.id_number.0,
        legal_person: super::text::opt(d.legal_person),
    }
}

#[derive(Object)]
pub struct LegalEntityDto {
    pub id: String,
    pub kind: EntityKindDto,
    pub name: String,
    /// Masked: only the last four characters.
    pub id_number: String,
    pub legal_person: Option<String>,
    pub created_at: OffsetDateTime,
}

impl From<LegalEntity> for LegalEntityDto {
    fn from(e: LegalEntity) -> Self {
        Self {
            id: e.id.to_string(),
            kind: e.kind.into(),
            name: e.name,
            id_number: format!("****{}", e.id_number_last4),
            legal_person: e.legal_person_masked,
            created_at: e.created_at,
        }
    }
}

page_of!(LegalEntityPage, LegalEntityDto);

#[derive(ApiResponse)]
pub enum RegisteredEntity {
    /// The entity (new, or the existing record for the same number).
    #[oai(status = 200)]
    Ok(Json<LegalEntityDto>),
}

fn err(e: TenancyError) -> ApiError {
    tenancy_error(e, "LEGAL_ENTITY_NOT_FOUND", "legal entity")
}

#[OpenApi(prefix_path = "/admin/v1/legal-entities", tag = "Tag::LegalEntities")]
impl LegalEntitiesApi {
    /// Legal entities behind the merchants in your subtree.
    #[oai(path = "/", method = "get", operation_id = "legal_entities_list")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        #[oai(validator(max_length = 64))] q: Query<Option<String>>,
        kind: Query<Option<EntityKindDto>>,
        #[oai(validator(minimum(value = "1")))] page: Query<Option<u64>>,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] page_size: Query<Option<u64>>,
    ) -> ApiResult<Json<LegalEntityPage>> {
        let filter = LegalEntityFilter { q: q.0, kind: kind.0.map(Into::into) };
        let p = state
            .tenancy
            .list_legal_entities(&auth.0, &filter, super::common::page(page.0, page_size.0))
            .await
            .map_err(err)?;
        Ok(Json(LegalEntityPage::from_page(p, LegalEntityDto::from)))
    }

    /// Register a legal entity (platform users); the same number returns the existing record.
    #[oai(path = "/", method = "post", operation_id = "legal_entities_register")]
    async fn register(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        body: Json<NewLegalEntityDto>,
    ) -> ApiResult<RegisteredEntity> {
        let e = state.tenancy.register_legal_entity(&auth.0, entity_input(body.0)).await.map_err(err)?;
        Ok(RegisteredEntity::Ok(Json(e.into())))
    }

    #[oai(path = "/:id", method = "get", operation_id = "legal_entities_get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: AdminAuth,
        id: Path<String>,
    ) -> ApiResult<Json<LegalEntityDto>> {
        let id = parse_id!(LegalEntityId, id.0, "LEGAL_ENTITY_NOT_FOUND", "legal entity");
        Ok(Json(state.tenancy.get_legal_entity(&auth.0, &id).await.map_err(err)?.into()))
    }
}
