//! `NodeDirectory`: finding tree nodes by kind and id, and whether a path is switched off.

use super::entities::{agents, merchants, platforms, stores};
use super::errors::db_err;
use super::query::{Table, Tree, scoped};
use super::store::SqlStore;
use juhe_domain::identity::NodeKind;
use juhe_domain::ids::{AgentId, MerchantId};
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::{NodePath, Scope};
use juhe_domain::tenancy::NodeStatus;
use juhe_domain::tenancy::ports::NodeDirectory;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect};

#[async_trait::async_trait]
impl NodeDirectory for SqlStore {
    async fn find_node(&self, scope: &Scope, kind: NodeKind, id: &str) -> RepoResult<Option<NodePath>> {
        let conn = self.connection();
        match kind {
            NodeKind::Platform => {
                let root = NodePath::platform_root(&scope.platform_id);
                if id != scope.platform_id.as_str() || !scope.contains(&root) {
                    return Ok(None);
                }
                let exists = platforms::Entity::find_by_id(id).count(conn).await.map_err(db_err)? > 0;
                Ok(exists.then_some(root))
            }
            NodeKind::Agent => path_of::<agents::Entity>(conn, scope, id).await,
            NodeKind::Merchant => path_of::<merchants::Entity>(conn, scope, id).await,
            NodeKind::Store => path_of::<stores::Entity>(conn, scope, id).await,
        }
    }

    /// The path's segments are node ids; one query per table for the agents and merchants on it.
    async fn path_disabled(&self, path: &NodePath) -> RepoResult<bool> {
        let key = path.as_str().to_owned();
        self.lookups.get(&self.lookups.path_disabled, key, || self.path_disabled_uncached(path)).await
    }
}

impl SqlStore {
    async fn path_disabled_uncached(&self, path: &NodePath) -> RepoResult<bool> {
        let segments = || path.as_str().split('/').filter(|s| !s.is_empty());
        let agent_ids: Vec<&str> = segments().filter(|s| AgentId::parse(s).is_some()).collect();
        let merchant_ids: Vec<&str> = segments().filter(|s| MerchantId::parse(s).is_some()).collect();
        let conn = self.connection();
        if !agent_ids.is_empty() && any_disabled::<agents::Entity>(conn, &agent_ids, agents::Column::Status).await? {
            return Ok(true);
        }
        if !merchant_ids.is_empty() {
            return any_disabled::<merchants::Entity>(conn, &merchant_ids, merchants::Column::Status).await;
        }
        Ok(false)
    }
}

async fn path_of<E: Tree>(conn: &impl ConnectionTrait, scope: &Scope, id: &str) -> RepoResult<Option<NodePath>> {
    let path: Option<String> = scoped::<E>(scope)
        .select_only()
        .column(E::path())
        .filter(E::id().eq(id))
        .into_tuple()
        .one(conn)
        .await
        .map_err(db_err)?;
    Ok(path.map(NodePath::from_trusted))
}

async fn any_disabled<E: Table>(conn: &impl ConnectionTrait, ids: &[&str], status: E::Column) -> RepoResult<bool> {
    let disabled = E::find()
        .filter(E::id().is_in(ids.iter().copied()))
        .filter(status.eq(NodeStatus::Disabled.as_str()))
        .count(conn)
        .await
        .map_err(db_err)?;
    Ok(disabled > 0)
}
