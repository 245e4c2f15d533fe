//! `Secret<T>`: a value that never shows itself in Debug, Display or Serialize output.

use serde::{Serialize, Serializer};
use std::fmt;

#[derive(Clone, PartialEq, Eq, Default)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// The only way to the value; grep for it to audit every use.
    pub fn expose(&self) -> &T {
        &self.0
    }

    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> From<T> for Secret<T> {
    fn from(value: T) -> Self {
        Self(value)
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl<T> Serialize for Secret<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("***")
    }
}

/// Masks all but the last `keep` characters: `6222020200112233` → `************2233`.
pub fn mask_tail(value: &str, keep: usize) -> String {
    let n = value.chars().count();
    if n <= keep {
        return "*".repeat(n);
    }
    let visible: String = value.chars().skip(n - keep).collect();
    format!("{}{}", "*".repeat(n - keep), visible)
}

/// Masks a phone number as `138****1234`, anything else by `mask_tail`.
pub fn mask_phone(value: &str) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() == 11 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[7..].iter().collect();
        format!("{head}****{tail}")
    } else {
        mask_tail(value, 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_never_prints() {
        let s = Secret::new("hunter2".to_string());
        assert_eq!(format!("{s:?}"), "***");
        assert_eq!(serde_json::to_string(&s).unwrap(), "\"***\"");
        assert_eq!(s.expose(), "hunter2");
    }

    #[test]
    fn masks() {
        assert_eq!(mask_tail("6222020200112233", 4), "************2233");
        assert_eq!(mask_tail("ab", 4), "**");
        assert_eq!(mask_phone("13812341234"), "138****1234");
    }
}
