//! Input rules shared by services (the API layer also validates shapes before calling in).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason: impl Into<String>) -> Self {
        Self { field, reason: reason.into() }
    }
}

/// Trimmed, non-empty, at most `max` characters.
pub fn text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if v.chars().count() > max {
        return Err(FieldError::new(field, format!("at most {max} characters")));
    }
    if v.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    Ok(v.to_owned())
}

pub fn optional_text(field: &'static str, value: Option<&str>, max: usize) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

/// Usernames: 3–32 of `[a-z0-9_.-]`, starting with a letter or digit.
pub fn username(value: &str) -> Result<String, FieldError> {
    let v = value.trim().to_ascii_lowercase();
    let ok = (3..=32).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
        && v.as_bytes()[0].is_ascii_alphanumeric();
    if ok { Ok(v) } else { Err(FieldError::new("username", "3-32 of a-z 0-9 _ . - starting with a letter or digit")) }
}

/// Passwords: 10–128 characters with at least one letter and one digit.
pub fn password(field: &'static str, value: &str) -> Result<(), FieldError> {
    let n = value.chars().count();
    if !(10..=128).contains(&n) {
        return Err(FieldError::new(field, "10-128 characters"));
    }
    if !value.chars().any(char::is_alphabetic) || !value.chars().any(|c| c.is_ascii_digit()) {
        return Err(FieldError::new(field, "needs at least one letter and one digit"));
    }
    Ok(())
}

/// Mainland mobile numbers: 11 digits starting with 1.
pub fn phone(field: &'static str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.len() == 11 && v.starts_with('1') && v.bytes().all(|b| b.is_ascii_digit()) {
        Ok(v.to_owned())
    } else {
        Err(FieldError::new(field, "11-digit mobile number starting with 1"))
    }
}

/// An http(s) URL without spaces, at most 512 characters.
pub fn url(field: &'static str, value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    let ok = (v.starts_with("https://") || v.starts_with("http://"))
        && v.len() <= 512
        && v.len() > 8
        && !v.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok { Ok(v.to_owned()) } else { Err(FieldError::new(field, "an http(s) URL of at most 512 characters")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(text("name", "  a  ", 3).unwrap(), "a");
        assert!(text("name", "   ", 3).is_err());
        assert!(text("name", "abcd", 3).is_err());
        assert!(text("name", "a\u{0}b", 3).is_err());
        assert_eq!(username("Alice_1").unwrap(), "alice_1");
        assert!(username("_x").is_err());
        assert!(password("password", "short1").is_err());
        assert!(password("password", "longenoughbutnodigit").is_err());
        assert!(password("password", "longenough123").is_ok());
        assert!(phone("phone", "13812341234").is_ok());
        assert!(phone("phone", "23812341234").is_err());
        assert!(url("notify_url", "https://example.com/n").is_ok());
        assert!(url("notify_url", "ftp://x").is_err());
    }
}
