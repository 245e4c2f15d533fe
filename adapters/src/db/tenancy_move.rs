//! Moving a merchant to another agent: its row, its child numbers, and every store, user, app,
//! risk rule, block-list entry, store QR code, channel binding, order, refund and notification
//! below it get the new path, in one transaction with the audit entry.

use super::entities::{
    apps, channel_bindings, merchants, notifications, orders, qr_codes, refunds, risk_list_entries, risk_rules, stores,
    users,
};
use super::errors::db_err;
use super::mapping::db_time;
use super::query::{Tree, update_versioned};
use super::store::{SqlStore, insert_audit};
use juhe_domain::audit::AuditEntry;
use juhe_domain::ids::PlatformId;
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::{NodePath, escape_like};
use juhe_domain::tenancy::Merchant;
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter};
use time::OffsetDateTime;

impl SqlStore {
    pub(crate) async fn move_merchant_subtree(
        &self,
        merchant: &Merchant,
        old_path: &NodePath,
        audit: &AuditEntry,
    ) -> RepoResult<()> {
        let backend = self.backend();
        let platform = &merchant.platform_id;
        let new_path = &merchant.path;
        let at = db_time(merchant.updated_at);
        let txn = self.begin().await?;

        // The merchant first: its version check decides whether the move happens at all.
        let changes = merchants::ActiveModel {
            agent_id: Set(merchant.agent_id.as_ref().map(ToString::to_string)),
            path: Set(new_path.to_string()),
            updated_at: Set(at),
            ..Default::default()
        };
        update_versioned(&txn, changes, merchant.id.as_str(), platform, merchant.version).await?;

        // Child numbers belong to their group merchant's agent.
        merchants::Entity::update_many()
            .col_expr(merchants::Column::AgentId, Expr::val(merchant.agent_id.as_ref().map(ToString::to_string)))
            .filter(merchants::Column::PlatformId.eq(platform.as_str()))
            .filter(merchants::Column::ParentId.eq(merchant.id.as_str()))
            .exec(&txn)
            .await
            .map_err(db_err)?;

        // Everything below the old path: bump versions so edits based on the old path conflict.
        use merchants::Column as M;
        use stores::Column as S;
        rebase::<merchants::Entity>(&txn, backend, platform, old_path, new_path, touched(M::Version, M::UpdatedAt, at))
            .await?;
        rebase::<stores::Entity>(&txn, backend, platform, old_path, new_path, touched(S::Version, S::UpdatedAt, at))
            .await?;
        let app_changes = touched(apps::Column::Version, apps::Column::UpdatedAt, at);
        rebase::<apps::Entity>(&txn, backend, platform, old_path, new_path, app_changes).await?;
        let user_changes = vec![(users::Column::UpdatedAt, Expr::val(at))];
        rebase::<users::Entity>(&txn, backend, platform, old_path, new_path, user_changes).await?;
        let qr_changes = vec![(qr_codes::Column::UpdatedAt, Expr::val(at))];
        rebase::<qr_codes::Entity>(&txn, backend, platform, old_path, new_path, qr_changes).await?;
        // Risk rules and block lists follow their merchant (the new agent manages them).
        let rule_changes = touched(risk_rules::Column::Version, risk_rules::Column::UpdatedAt, at);
        rebase::<risk_rules::Entity>(&txn, backend, platform, old_path, new_path, rule_changes).await?;
        rebase::<risk_list_entries::Entity>(&txn, backend, platform, old_path, new_path, Vec::new()).await?;
        // Channel openings and the payment history follow too: tenant isolation is by path, so
        // anything left behind would stay visible to the old agent and hidden from the new one.
        let binding_changes = touched(channel_bindings::Column::Version, channel_bindings::Column::UpdatedAt, at);
        rebase::<channel_bindings::Entity>(&txn, backend, platform, old_path, new_path, binding_changes).await?;
        rebase::<orders::Entity>(&txn, backend, platform, old_path, new_path, Vec::new()).await?;
        rebase::<refunds::Entity>(&txn, backend, platform, old_path, new_path, Vec::new()).await?;
        rebase::<notifications::Entity>(&txn, backend, platform, old_path, new_path, Vec::new()).await?;

        insert_audit(&txn, audit).await?;
        self.commit_audited(txn).await
    }
}

/// `version = version + 1, updated_at = at`
fn touched<C: ColumnTrait>(version: C, updated_at: C, at: OffsetDateTime) -> Vec<(C, Expr)> {
    vec![(version, Expr::col(version).add(1)), (updated_at, Expr::val(at))]
}

/// `UPDATE t SET path = <new> || substr(path, len(<old>) + 1), … WHERE platform_id = ? AND path
/// LIKE '<old>%'`.
async fn rebase<E: Tree>(
    conn: &impl ConnectionTrait,
    backend: DbBackend,
    platform: &PlatformId,
    old: &NodePath,
    new: &NodePath,
    also: Vec<(E::Column, Expr)>,
) -> RepoResult<()> {
    let keep_from = i32::try_from(old.as_str().chars().count() + 1)
        .map_err(|_| juhe_domain::repo::RepoError::Backend("path too long".into()))?;
    let rest = Func::cust("substr").arg(Expr::col(E::path())).arg(keep_from);
    // `||` works on both backends, but each spells its placeholders differently.
    let template = if backend == DbBackend::Postgres { "$1 || $2" } else { "? || ?" };
    let rebased = Expr::cust_with_exprs(template, [Expr::val(new.as_str()), rest.into()]);

    let mut update = E::update_many().col_expr(E::path(), rebased);
    for (column, value) in also {
        update = update.col_expr(column, value);
    }
    update
        .filter(E::platform().eq(platform.as_str()))
        .filter(E::path().like(LikeExpr::new(format!("{}%", escape_like(old.as_str()))).escape('\\')))
        .exec(conn)
        .await
        .map_err(db_err)?;
    Ok(())
}
