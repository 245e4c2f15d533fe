//! Parsed key pairs, per account. Parsing an RSA private key costs milliseconds of CPU, far more
//! than signing with it; accounts are few, so each pair is parsed once and kept. The cache key is
//! a digest of both PEMs and both certificate ids, so a rotated key is a new entry, never a stale
//! hit.

use super::sign::RsaPair;
use aws_lc_rs::digest;
use juhe_domain::channels::{ChannelError, ChannelResult};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
pub struct KeyCache {
    pairs: moka::future::Cache<Vec<u8>, Arc<RsaPair>>,
}

impl Default for KeyCache {
    fn default() -> Self {
        Self { pairs: moka::future::Cache::builder().max_capacity(256).time_to_idle(Duration::from_secs(3600)).build() }
    }
}

/// What identifies one pair of keys.
pub struct KeyIds<'a> {
    pub private_pem: &'a str,
    pub cert_id: &'a str,
    pub unionpay_public_pem: &'a str,
    pub unionpay_cert_id: &'a str,
}

impl KeyCache {
    /// The pair for (our key, UnionPay's public key), parsed on first use.
    pub async fn pair(&self, ids: KeyIds<'_>) -> ChannelResult<Arc<RsaPair>> {
        let mut ctx = digest::Context::new(&digest::SHA256);
        for part in [ids.private_pem, ids.cert_id, ids.unionpay_public_pem, ids.unionpay_cert_id] {
            ctx.update(part.as_bytes());
            ctx.update(&[0]);
        }
        let id = ctx.finish().as_ref().to_vec();
        self.pairs
            .try_get_with(id, async {
                RsaPair::new(ids.private_pem, ids.cert_id, ids.unionpay_public_pem, ids.unionpay_cert_id).map(Arc::new)
            })
            .await
            // The reason names the problem, never the key material.
            .map_err(|err| ChannelError::Config(format!("UnionPay keys: {err}")))
    }
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").field("pairs", &self.pairs.entry_count()).finish()
    }
}
