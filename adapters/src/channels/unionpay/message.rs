//! A UnionPay message: form-encoded key/value fields, at most one value per key, kept sorted by
//! key (byte order), which is also the order they are signed in.

use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Message {
    fields: BTreeMap<String, String>,
}

impl Message {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets a field; an empty value removes it (empty fields are neither sent nor signed).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let value = value.into();
        if value.is_empty() {
            self.fields.remove(key);
        } else {
            self.fields.insert(key.to_owned(), value);
        }
    }

    pub fn with(mut self, key: &str, value: impl Into<String>) -> Self {
        self.set(key, value);
        self
    }

    /// A field's value (`None` when absent or empty).
    pub fn get(&self, key: &str) -> Option<&str> {
        self.fields.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn remove(&mut self, key: &str) -> Option<String> {
        self.fields.remove(key)
    }

    /// Reads an `application/x-www-form-urlencoded` body. `None` when a key repeats: what is
    /// verified must be exactly what is read.
    pub fn parse_form(body: &[u8]) -> Option<Message> {
        let mut fields = BTreeMap::new();
        for (key, value) in form_urlencoded::parse(body) {
            if fields.insert(key.into_owned(), value.into_owned()).is_some() {
                return None;
            }
        }
        Some(Message { fields })
    }

    pub fn to_form(&self) -> String {
        form_urlencoded::Serializer::new(String::new()).extend_pairs(&self.fields).finish()
    }

    /// What is signed: every field but `signature`, sorted by key, joined `k=v&…` with raw
    /// (not URL-encoded) values.
    pub fn content_to_sign(&self) -> String {
        let mut out = String::new();
        for (key, value) in self.fields.iter().filter(|(k, _)| k.as_str() != super::protocol::field::SIGNATURE) {
            if !out.is_empty() {
                out.push('&');
            }
            out.push_str(key);
            out.push('=');
            out.push_str(value);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_signed_content_and_strict_forms() {
        let msg = Message::new().with("orderNo", "A1").with("certId", "9").with("signature", "x").with("empty", "");
        assert_eq!(msg.content_to_sign(), "certId=9&orderNo=A1");
        let round = Message::parse_form(msg.to_form().as_bytes()).expect("parses");
        assert_eq!(round, msg);
        assert!(Message::parse_form(b"a=1&a=2").is_none());
        let spaced = Message::parse_form(b"respMsg=%E6%88%90%E5%8A%9F+ok").expect("parses");
        assert_eq!(spaced.get("respMsg"), Some("成功 ok"));
    }
}
