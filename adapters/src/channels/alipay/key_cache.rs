//! Parsed key pairs, per account. Parsing an RSA private key costs milliseconds of CPU, far more
//! than signing with it; accounts are few, so each pair is parsed once and kept. The cache key
//! is a digest of both PEMs, so a rotated key is a new entry and never a stale hit.

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

impl KeyCache {
    /// The pair for (our private key, Alipay's public key), parsed on first use.
    pub async fn pair(&self, private_pem: &str, peer_public_pem: &str) -> ChannelResult<Arc<RsaPair>> {
        let mut ctx = digest::Context::new(&digest::SHA256);
        ctx.update(private_pem.as_bytes());
        ctx.update(&[0]);
        ctx.update(peer_public_pem.as_bytes());
        let id = ctx.finish().as_ref().to_vec();
        self.pairs
            .try_get_with(id, async { RsaPair::new(private_pem, peer_public_pem).map(Arc::new) })
            .await
            // The reason names the problem, never the key material.
            .map_err(|err| ChannelError::Config(format!("Alipay keys: {err}")))
    }
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache").field("pairs", &self.pairs.entry_count()).finish()
    }
}
