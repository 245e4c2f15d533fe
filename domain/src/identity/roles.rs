//! Roles and what they may do: the one table of permissions in the code.

use serde::{Deserialize, Serialize};

/// The kind of tenancy node a user (or record) belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    Platform,
    Agent,
    Merchant,
    Store,
}

impl NodeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Platform => "platform",
            Self::Agent => "agent",
            Self::Merchant => "merchant",
            Self::Store => "store",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "platform" => Self::Platform,
            "agent" => Self::Agent,
            "merchant" => Self::Merchant,
            "store" => Self::Store,
            _ => return None,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    PlatformAdmin,
    PlatformOperator,
    AgentAdmin,
    AgentStaff,
    MerchantAdmin,
    MerchantStaff,
    StoreClerk,
}

/// Everything a user can be allowed to do in the admin API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Read agents, merchants, legal entities and stores in scope.
    HierarchyRead,
    /// Create and edit agents below the caller.
    AgentWrite,
    /// Create and edit merchants (and their legal entities) in scope.
    MerchantWrite,
    /// Disable / enable agents and merchants, move merchants between agents.
    HierarchyControl,
    /// Create and edit stores in scope.
    StoreWrite,
    UserRead,
    UserWrite,
    AppRead,
    /// Create, rotate and disable Open API apps and keys.
    AppWrite,
    AuditRead,
    /// Read orders, refunds and notifications in scope.
    PaymentRead,
    /// Resend notifications.
    PaymentWrite,
    /// Channel accounts, merchant bindings, routing weights and caps (platform level).
    ChannelAdmin,
    /// See, retry and cancel background jobs (platform level).
    JobAdmin,
    /// Resolve payment exceptions (异常单) by hand (platform level).
    ExceptionResolve,
}

use Permission::*;

#[rustfmt::skip]
const PLATFORM_ADMIN: &[Permission] = &[
    HierarchyRead, AgentWrite, MerchantWrite, HierarchyControl, StoreWrite, UserRead, UserWrite, AppRead, AppWrite,
    AuditRead, PaymentRead, PaymentWrite, ChannelAdmin, JobAdmin, ExceptionResolve,
];
#[rustfmt::skip]
const PLATFORM_OPERATOR: &[Permission] = &[
    HierarchyRead, MerchantWrite, StoreWrite, UserRead, AppRead, AuditRead, PaymentRead, PaymentWrite, JobAdmin,
    ExceptionResolve,
];
#[rustfmt::skip]
const AGENT_ADMIN: &[Permission] = &[
    HierarchyRead, AgentWrite, MerchantWrite, HierarchyControl, StoreWrite, UserRead, UserWrite, AppRead, AppWrite,
    AuditRead, PaymentRead,
];
const AGENT_STAFF: &[Permission] = &[HierarchyRead, MerchantWrite, StoreWrite, AppRead, PaymentRead];
#[rustfmt::skip]
const MERCHANT_ADMIN: &[Permission] =
    &[HierarchyRead, StoreWrite, UserRead, UserWrite, AppRead, AppWrite, AuditRead, PaymentRead, PaymentWrite];
const MERCHANT_STAFF: &[Permission] = &[HierarchyRead, AppRead, PaymentRead];
const STORE_CLERK: &[Permission] = &[HierarchyRead, PaymentRead];

impl Role {
    pub const ALL: [Role; 7] = [
        Role::PlatformAdmin,
        Role::PlatformOperator,
        Role::AgentAdmin,
        Role::AgentStaff,
        Role::MerchantAdmin,
        Role::MerchantStaff,
        Role::StoreClerk,
    ];

    pub fn permissions(self) -> &'static [Permission] {
        match self {
            Role::PlatformAdmin => PLATFORM_ADMIN,
            Role::PlatformOperator => PLATFORM_OPERATOR,
            Role::AgentAdmin => AGENT_ADMIN,
            Role::AgentStaff => AGENT_STAFF,
            Role::MerchantAdmin => MERCHANT_ADMIN,
            Role::MerchantStaff => MERCHANT_STAFF,
            Role::StoreClerk => STORE_CLERK,
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        self.permissions().contains(&permission)
    }

    /// The node kind a user of this role belongs to.
    pub fn node_kind(self) -> NodeKind {
        match self {
            Role::PlatformAdmin | Role::PlatformOperator => NodeKind::Platform,
            Role::AgentAdmin | Role::AgentStaff => NodeKind::Agent,
            Role::MerchantAdmin | Role::MerchantStaff => NodeKind::Merchant,
            Role::StoreClerk => NodeKind::Store,
        }
    }

    /// An admin of a node may grant its own role or any role below it (never above).
    pub fn may_grant(self, other: Role) -> bool {
        self.can(UserWrite) && other.rank() >= self.rank()
    }

    fn rank(self) -> u8 {
        match self {
            Role::PlatformAdmin => 0,
            Role::PlatformOperator => 1,
            Role::AgentAdmin => 2,
            Role::AgentStaff => 3,
            Role::MerchantAdmin => 4,
            Role::MerchantStaff => 5,
            Role::StoreClerk => 6,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::PlatformAdmin => "platform_admin",
            Role::PlatformOperator => "platform_operator",
            Role::AgentAdmin => "agent_admin",
            Role::AgentStaff => "agent_staff",
            Role::MerchantAdmin => "merchant_admin",
            Role::MerchantStaff => "merchant_staff",
            Role::StoreClerk => "store_clerk",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clerks_only_read_and_admins_never_grant_upwards() {
        assert!(Role::StoreClerk.can(HierarchyRead));
        assert!(!Role::StoreClerk.can(StoreWrite));
        assert!(Role::AgentAdmin.may_grant(Role::MerchantAdmin));
        assert!(!Role::AgentAdmin.may_grant(Role::PlatformAdmin));
        assert!(!Role::AgentStaff.may_grant(Role::StoreClerk));
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
    }
}
