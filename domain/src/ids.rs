//! Typed identifiers. Every id is a prefixed, time-ordered UUIDv7 (`ag_0190…`), so ids never
//! collide across kinds, sort by creation time and can be generated before the row is written.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($name:ident, $prefix:literal) => {
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            pub const PREFIX: &'static str = $prefix;

            /// A fresh id.
            pub fn generate() -> Self {
                Self(format!("{}_{}", $prefix, uuid::Uuid::now_v7().simple()))
            }

            /// Wraps a stored or received id; `None` when it cannot be one of ours.
            pub fn parse(raw: &str) -> Option<Self> {
                let rest = raw.strip_prefix(concat!($prefix, "_"))?;
                (rest.len() == 32 && rest.bytes().all(|b| b.is_ascii_hexdigit())).then(|| Self(raw.to_owned()))
            }

            /// Wraps a value read back from our own storage.
            pub fn from_trusted(raw: String) -> Self {
                Self(raw)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

id_type!(PlatformId, "pf");
id_type!(AgentId, "ag");
id_type!(MerchantId, "mc");
id_type!(StoreId, "st");
id_type!(LegalEntityId, "le");
id_type!(UserId, "us");
id_type!(AppId, "app");
id_type!(AppKeyId, "key");
id_type!(AuditId, "au");
id_type!(RefreshTokenId, "rt");
id_type!(JobId, "job");
id_type!(ExceptionId, "exc");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_parse_back_and_foreign_ones_do_not() {
        let id = AgentId::generate();
        assert_eq!(AgentId::parse(id.as_str()), Some(id.clone()));
        assert!(MerchantId::parse(id.as_str()).is_none());
        assert!(AgentId::parse("ag_xyz").is_none());
        assert!(AgentId::parse("ag_0190abcd0190abcd0190abcd0190abcZ").is_none());
    }
}
