//! Paging and sorting for list queries.

use serde::Serialize;

pub const MAX_PAGE_SIZE: u64 = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageRequest {
    /// 1-based page number.
    pub page: u64,
    pub page_size: u64,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self { page: 1, page_size: 20 }
    }
}

impl PageRequest {
    /// Clamps to sane bounds (page ≥ 1, 1 ≤ size ≤ MAX_PAGE_SIZE).
    pub fn new(page: Option<u64>, page_size: Option<u64>) -> Self {
        Self { page: page.unwrap_or(1).max(1), page_size: page_size.unwrap_or(20).clamp(1, MAX_PAGE_SIZE) }
    }

    pub fn offset(&self) -> u64 {
        (self.page - 1) * self.page_size
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SortDir {
    Asc,
    #[default]
    Desc,
}

#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: u64,
    pub page: u64,
    pub page_size: u64,
}

impl<T> Page<T> {
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            total: self.total,
            page: self.page,
            page_size: self.page_size,
        }
    }
}
