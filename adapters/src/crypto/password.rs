//! Password hashing with argon2id, run on the blocking pool so a login never stalls the async
//! executor.

use argon2::{Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version};
use juhe_domain::crypto::{CryptoError, PasswordHasher};
use juhe_domain::secret::Secret;
use tokio::sync::OnceCell;

/// Cheap parameters for tests only (checked at compile time).
const TEST_PARAMS: Params = match Params::new(256, 1, 1, None) {
    Ok(params) => params,
    Err(_) => panic!("invalid argon2 test parameters"),
};

/// The dummy's password is irrelevant: it is only ever compared against to spend time.
const DUMMY_PASSWORD: &[u8] = b"juhe dummy password for unknown users";

pub struct Argon2Hasher {
    params: Params,
    /// A hash with our own cost, made on first use, verified against for unknown users so that
    /// "no such user" takes as long as "wrong password".
    dummy_hash: OnceCell<String>,
}

impl Argon2Hasher {
    /// argon2id with memory `m_cost_kib` KiB, `t_cost` passes and `p_cost` lanes.
    pub fn with_params(m_cost_kib: u32, t_cost: u32, p_cost: u32) -> Result<Self, CryptoError> {
        let params = Params::new(m_cost_kib, t_cost, p_cost, None)
            .map_err(|err| CryptoError::Hash(format!("invalid argon2 parameters: {err}")))?;
        Ok(Self::from_params(params))
    }

    /// OWASP's time and parallelism (t = 2, p = 1) with a configured memory cost in KiB.
    pub fn with_memory_kib(m_cost_kib: u32) -> Result<Self, CryptoError> {
        Self::with_params(m_cost_kib, Params::DEFAULT_T_COST, Params::DEFAULT_P_COST)
    }

    /// Small parameters so that tests run fast; never use in production.
    pub fn fast_for_tests() -> Self {
        Self::from_params(TEST_PARAMS)
    }

    fn from_params(params: Params) -> Self {
        Self { params, dummy_hash: OnceCell::new() }
    }

    fn argon2(params: Params) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
    }

    async fn dummy_hash(&self) -> Result<String, CryptoError> {
        let hash =
            self.dummy_hash.get_or_try_init(|| hash_blocking(self.params.clone(), DUMMY_PASSWORD.to_vec())).await?;
        Ok(hash.clone())
    }
}

/// OWASP's recommended argon2id setting: m = 19 MiB, t = 2, p = 1.
impl Default for Argon2Hasher {
    fn default() -> Self {
        Self::from_params(Params::DEFAULT)
    }
}

async fn hash_blocking(params: Params, password: Vec<u8>) -> Result<String, CryptoError> {
    let password = Secret::new(password);
    tokio::task::spawn_blocking(move || {
        Argon2Hasher::argon2(params)
            .hash_password(password.expose())
            .map(|hash| hash.to_string())
            .map_err(|err| CryptoError::Hash(err.to_string()))
    })
    .await
    .map_err(|_| CryptoError::Hash("hashing task failed".into()))?
}

/// Verifies on the blocking pool; the parameters come from the stored hash itself.
async fn verify_blocking(password: Secret<String>, hash: String) -> bool {
    tokio::task::spawn_blocking(move || match PasswordHash::new(&hash) {
        Ok(parsed) => Argon2::default().verify_password(password.expose().as_bytes(), &parsed).is_ok(),
        Err(_) => {
            tracing::warn!("stored password hash is malformed");
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[async_trait::async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: Secret<String>) -> Result<String, CryptoError> {
        hash_blocking(self.params.clone(), password.into_inner().into_bytes()).await
    }

    async fn verify(&self, password: Secret<String>, hash: Option<String>) -> bool {
        match hash {
            Some(hash) => verify_blocking(password, hash).await,
            None => {
                match self.dummy_hash().await {
                    Ok(dummy) => {
                        let _ = verify_blocking(password, dummy).await;
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "could not build the dummy password hash")
                    }
                }
                false
            }
        }
    }
}

impl std::fmt::Debug for Argon2Hasher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Argon2Hasher")
            .field("m_cost_kib", &self.params.m_cost())
            .field("t_cost", &self.params.t_cost())
            .field("p_cost", &self.params.p_cost())
            .finish()
    }
}
