//! Shapes shared by several resources: paging, sorting, status changes, tags.

use crate::error::ApiResult;
use juhe_domain::page::{PageRequest, SortDir};
use juhe_domain::tenancy::{NodeStatus, Sort, SortField};
use poem_openapi::{Enum, Tags};

#[derive(Tags)]
pub enum Tag {
    /// Login, tokens, password.
    Auth,
    /// Users of the admin console and their roles.
    Users,
    /// Agents (代理商), any depth.
    Agents,
    /// Merchants (商户) with parent/child numbers.
    Merchants,
    /// Legal entities (主体) behind merchant numbers.
    LegalEntities,
    /// Stores (门店).
    Stores,
    /// One-code pay (一码付): printable store QR codes (台牌).
    QrCodes,
    /// Open API apps and keys.
    Apps,
    /// Audit log.
    Audit,
    /// Orders, refunds and merchant notifications.
    Payments,
    /// Channel accounts and merchant bindings (routing).
    Channels,
    /// Risk control (风控): limits and block lists.
    Risk,
    /// Payment exceptions (异常单): money states off the happy path, and their resolution.
    Exceptions,
    /// Background jobs: queues, runs, errors, retry and cancel (platform operators).
    Jobs,
    /// The signed merchant-facing Open API.
    Open,
    /// Health, readiness.
    Ops,
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum Status {
    Active,
    Disabled,
}

impl From<NodeStatus> for Status {
    fn from(s: NodeStatus) -> Self {
        match s {
            NodeStatus::Active => Status::Active,
            NodeStatus::Disabled => Status::Disabled,
        }
    }
}

impl From<Status> for NodeStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Active => NodeStatus::Active,
            Status::Disabled => NodeStatus::Disabled,
        }
    }
}

#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename_all = "snake_case")]
pub enum SortBy {
    CreatedAt,
    Name,
    MerchantNo,
}

/// Sort direction. Named `SortOrder` in the spec: `Order` there is the order object.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[oai(rename = "SortOrder", rename_all = "snake_case")]
pub enum Order {
    Asc,
    Desc,
}

pub fn sort(by: Option<SortBy>, order: Option<Order>) -> Sort {
    Sort {
        field: match by {
            None | Some(SortBy::CreatedAt) => SortField::CreatedAt,
            Some(SortBy::Name) => SortField::Name,
            Some(SortBy::MerchantNo) => SortField::MerchantNo,
        },
        dir: match order {
            Some(Order::Asc) => SortDir::Asc,
            None | Some(Order::Desc) => SortDir::Desc,
        },
    }
}

pub fn page(page: Option<u64>, page_size: Option<u64>) -> PageRequest {
    PageRequest::new(page, page_size)
}

/// `{items, total, page, page_size}` for a resource's list.
macro_rules! page_of {
    ($name:ident, $item:ty) => {
        #[derive(poem_openapi::Object)]
        pub struct $name {
            pub items: Vec<$item>,
            pub total: u64,
            pub page: u64,
            pub page_size: u64,
        }

        impl $name {
            pub fn from_page<T>(p: juhe_domain::page::Page<T>, f: impl FnMut(T) -> $item) -> Self {
                let p = p.map(f);
                Self { items: p.items, total: p.total, page: p.page, page_size: p.page_size }
            }
        }
    };
}
pub(crate) use page_of;

/// Parses an id from the path; a malformed id is simply not found.
macro_rules! parse_id {
    ($ty:ty, $raw:expr, $code:literal, $what:literal) => {
        <$ty>::parse(&$raw).ok_or_else(|| crate::error::ApiError::not_found($code, $what))?
    };
}
pub(crate) use parse_id;

/// An optional query value parsed into its type; a value that does not parse is a 400 with
/// `message` (e.g. `"status: unknown"`).
pub fn parse_opt<T>(raw: Option<String>, parse: impl FnOnce(&str) -> Option<T>, message: &str) -> ApiResult<Option<T>> {
    raw.map(|r| parse(&r).ok_or_else(|| crate::error::ApiError::invalid(message))).transpose()
}
