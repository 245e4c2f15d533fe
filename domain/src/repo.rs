//! The error every repository port returns.

#[derive(Debug, thiserror::Error)]
pub enum RepoError {
    /// A unique constraint was hit; the string names it (e.g. `users.username`).
    #[error("conflict on {0}")]
    Conflict(String),
    /// The record is missing or outside the caller's scope (the two are never told apart).
    #[error("not found")]
    NotFound,
    /// The backend failed; the cause is for logs only.
    #[error("storage failure: {0}")]
    Backend(String),
}

pub type RepoResult<T> = Result<T, RepoError>;
