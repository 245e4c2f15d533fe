//! The registry of channel adapters and the building of a call context for an account/binding.

use super::errors::{PaymentError, PaymentResult};
use crate::channels::{ChannelAccount, ChannelBinding, ChannelCode, ChannelContext, PaymentChannel};
use crate::crypto::FieldCipher;
use crate::secret::Secret;
use std::collections::HashMap;
use std::sync::Arc;

pub struct ChannelGateway {
    channels: HashMap<ChannelCode, Arc<dyn PaymentChannel>>,
    cipher: Arc<dyn FieldCipher>,
    /// Base of the callback URLs channels send notifications to.
    public_url: String,
}

impl ChannelGateway {
    pub fn new(cipher: Arc<dyn FieldCipher>, public_url: &str) -> Self {
        Self { channels: HashMap::new(), cipher, public_url: public_url.trim_end_matches('/').to_owned() }
    }

    pub fn register(&mut self, channel: Arc<dyn PaymentChannel>) {
        self.channels.insert(channel.code(), channel);
    }

    pub fn channel(&self, code: ChannelCode) -> Option<Arc<dyn PaymentChannel>> {
        self.channels.get(&code).cloned()
    }

    pub fn notify_url(&self, account: &ChannelAccount) -> String {
        format!("{}/callbacks/{}/{}", self.public_url, account.channel.as_str(), account.id)
    }

    /// Decrypts the account's secrets and assembles the context of one call.
    pub fn context(&self, account: &ChannelAccount, binding: Option<&ChannelBinding>) -> PaymentResult<ChannelContext> {
        let raw = self
            .cipher
            .decrypt_str(&account.secrets_enc)
            .map_err(|e| PaymentError::Internal(format!("channel account {} secrets: {e}", account.id)))?;
        let secrets: serde_json::Value = serde_json::from_str(raw.expose())
            .map_err(|_| PaymentError::Internal(format!("channel account {} secrets are not JSON", account.id)))?;
        Ok(ChannelContext {
            account: account.clone(),
            secrets: Secret::new(secrets),
            binding: binding.cloned(),
            notify_url: self.notify_url(account),
        })
    }

    /// Encrypts an account's secrets for storage.
    pub fn seal_secrets(&self, secrets: &serde_json::Value) -> String {
        self.cipher.encrypt_str(&secrets.to_string())
    }
}
