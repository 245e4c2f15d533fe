//! The tenancy tree: platforms, agents, legal entities, merchants, stores.

use crate::columns::*;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::{boolean, integer, string_len, string_len_null, text, text_null};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(Table::create().table("platforms").col(id()).col(text("name")).col(ts("created_at")).take())
            .await?;

        manager
            .create_table(
                Table::create()
                    .table("agents")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(id_ref_null("parent_id"))
                    .col(path())
                    .col(integer("level"))
                    .col(text("name"))
                    .col(text_null("contact_name"))
                    .col(text_null("contact_phone_enc"))
                    .col(string_len_null("contact_phone_masked", 32))
                    .col(code("status"))
                    .col(version())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("agents"))
                    .foreign_key(&mut fk("agents", "parent_id", "agents"))
                    .take(),
            )
            .await?;
        path_index(manager, "agents").await?;
        index(manager, "agents", &["parent_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("legal_entities")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(code("kind"))
                    .col(text("name"))
                    .col(text("id_number_enc"))
                    .col(string_len("id_number_hash", 128))
                    .col(string_len("id_number_last4", 8))
                    .col(text_null("legal_person_enc"))
                    .col(text_null("legal_person_masked"))
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("legal_entities"))
                    .take(),
            )
            .await?;
        unique(manager, "legal_entities", &["platform_id", "id_number_hash"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("merchants")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(string_len("merchant_no", 32))
                    .col(id_ref_null("agent_id"))
                    .col(id_ref_null("parent_id"))
                    .col(id_ref("legal_entity_id"))
                    .col(path())
                    .col(text("name"))
                    .col(text("short_name"))
                    .col(code("business_scene"))
                    .col(boolean("settle_to_parent"))
                    .col(text_null("contact_name"))
                    .col(text_null("contact_phone_enc"))
                    .col(string_len_null("contact_phone_masked", 32))
                    .col(code("status"))
                    .col(version())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("merchants"))
                    .foreign_key(&mut fk("merchants", "agent_id", "agents"))
                    .foreign_key(&mut fk("merchants", "parent_id", "merchants"))
                    .foreign_key(&mut fk("merchants", "legal_entity_id", "legal_entities"))
                    .take(),
            )
            .await?;
        unique(manager, "merchants", &["merchant_no"]).await?;
        path_index(manager, "merchants").await?;
        index(manager, "merchants", &["agent_id"]).await?;
        index(manager, "merchants", &["parent_id"]).await?;
        index(manager, "merchants", &["legal_entity_id"]).await?;

        manager
            .create_table(
                Table::create()
                    .table("stores")
                    .col(id())
                    .col(id_ref("platform_id"))
                    .col(id_ref("merchant_id"))
                    .col(path())
                    .col(text("name"))
                    .col(text("address"))
                    .col(string_len("business_category", 8))
                    .col(code("status"))
                    .col(version())
                    .col(ts("created_at"))
                    .col(ts("updated_at"))
                    .foreign_key(&mut platform_fk("stores"))
                    .foreign_key(&mut fk("stores", "merchant_id", "merchants"))
                    .take(),
            )
            .await?;
        path_index(manager, "stores").await?;
        index(manager, "stores", &["merchant_id"]).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        drop_tables(manager, &["stores", "merchants", "legal_entities", "agents", "platforms"]).await
    }
}
