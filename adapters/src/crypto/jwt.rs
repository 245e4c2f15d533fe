//! Admin access tokens: HS256 JWTs with a key derived from the master key, short-lived and
//! checked for expiry. Only HS256 is accepted, so `alg: none` or an algorithm switch fails.

use super::master_key::{JWT_LABEL, MasterKey};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use juhe_domain::identity::AccessClaims;
use juhe_domain::identity::ports::AccessTokens;

/// Clock skew tolerated between replicas when checking `exp`.
const LEEWAY_SECS: u64 = 5;

pub struct JwtAccessTokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
}

impl JwtAccessTokens {
    pub fn new(master: &MasterKey) -> Self {
        let key = master.derive(JWT_LABEL);
        let mut validation = Validation::new(Algorithm::HS256);
        validation.leeway = LEEWAY_SECS;
        validation.validate_exp = true;
        validation.set_required_spec_claims(&["exp"]);
        // Our tokens carry no audience; the platform is in the claims and checked by `Caller`.
        validation.validate_aud = false;
        Self { encoding: EncodingKey::from_secret(&key), decoding: DecodingKey::from_secret(&key), validation }
    }
}

impl AccessTokens for JwtAccessTokens {
    fn issue(&self, claims: &AccessClaims) -> String {
        // The claims are plain strings and integers (always serialisable) and HS256 signing with
        // an in-memory key has no failure mode.
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), claims, &self.encoding)
            .expect("HS256 signing of access claims cannot fail")
    }

    fn verify(&self, token: &str) -> Option<AccessClaims> {
        jsonwebtoken::decode::<AccessClaims>(token, &self.decoding, &self.validation).ok().map(|data| data.claims)
    }
}

impl std::fmt::Debug for JwtAccessTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtAccessTokens(***)")
    }
}
