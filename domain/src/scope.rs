//! The tenancy tree as paths. Every node (platform, agent, merchant, store) stores its path, e.g.
//! `/pf_…/ag_…/ag_…/mc_…/st_…/`; a subtree is one indexed prefix match. A caller's `Scope` is the
//! path of the node its user belongs to: it sees that node and everything below it, nothing else.

use crate::ids::PlatformId;
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct NodePath(String);

impl NodePath {
    /// The root path of a platform.
    pub fn platform_root(platform: &PlatformId) -> Self {
        Self(format!("/{platform}/"))
    }

    /// The path of a child node below this one.
    pub fn child(&self, id: &str) -> Self {
        Self(format!("{}{id}/", self.0))
    }

    pub fn from_trusted(raw: String) -> Self {
        Self(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when `self` is `ancestor` or lies below it.
    pub fn is_within(&self, ancestor: &NodePath) -> bool {
        self.0.starts_with(&ancestor.0)
    }

    /// Rewrites the `old` prefix to `new` (for moving a subtree).
    pub fn rebase(&self, old: &NodePath, new: &NodePath) -> Option<NodePath> {
        self.0.strip_prefix(&old.0).map(|rest| NodePath(format!("{}{rest}", new.0)))
    }

    /// Number of nodes on the path (platform root = 1).
    pub fn depth(&self) -> usize {
        self.0.split('/').filter(|s| !s.is_empty()).count()
    }
}

impl fmt::Display for NodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for NodePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a caller may see: its platform and the subtree below its node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scope {
    pub platform_id: PlatformId,
    pub path: NodePath,
}

impl Scope {
    pub fn new(platform_id: PlatformId, path: NodePath) -> Self {
        Self { platform_id, path }
    }

    /// The whole platform (platform users, CLI, demo seeding).
    pub fn platform(platform_id: PlatformId) -> Self {
        let path = NodePath::platform_root(&platform_id);
        Self { platform_id, path }
    }

    pub fn contains(&self, path: &NodePath) -> bool {
        path.is_within(&self.path)
    }

    /// The `LIKE` pattern for a subtree query. Ids never contain `%` or `_`-wildcards that
    /// matter: `_` only appears at fixed positions inside ids, so it is escaped anyway.
    pub fn like_pattern(&self) -> String {
        format!("{}%", escape_like(self.path.as_str()))
    }
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern.
pub fn escape_like(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 8);
    for c in raw.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subtree_membership_is_by_whole_segments() {
        let pf = PlatformId::generate();
        let root = NodePath::platform_root(&pf);
        let a = root.child("ag_1");
        let a12 = root.child("ag_12");
        let m = a.child("mc_1");
        assert!(m.is_within(&a));
        assert!(m.is_within(&root));
        assert!(!a12.is_within(&a));
        assert!(!a.is_within(&m));
        assert_eq!(m.depth(), 3);
        let moved = m.rebase(&a, &a12).unwrap();
        assert_eq!(moved, a12.child("mc_1"));
    }

    #[test]
    fn like_pattern_escapes_wildcards() {
        let scope = Scope::new(PlatformId::generate(), NodePath::from_trusted("/p_1/a%/".into()));
        assert_eq!(scope.like_pattern(), "/p\\_1/a\\%/%");
    }
}
