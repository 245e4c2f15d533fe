//! Crypto adapters: field encryption, blind indexes, passwords, HMAC and RSA signatures, access
//! tokens and key files.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use juhe_adapters::crypto::{
    AesFieldCipher, Argon2Hasher, AwsSigner, JwtAccessTokens, MasterKey, generate_rsa_pkcs8_pem, rsa_sign_pkcs8_pem_b64,
};
use juhe_domain::crypto::{CryptoError, FieldCipher, PasswordHasher, Signer};
use juhe_domain::identity::ports::AccessTokens;
use juhe_domain::identity::{AccessClaims, NodeKind, Role};
use juhe_domain::secret::Secret;
use std::sync::OnceLock;

fn master() -> MasterKey {
    MasterKey::generate().unwrap()
}

/// One platform signer and one merchant key pair for the whole file (RSA generation is slow).
fn signer() -> &'static AwsSigner {
    static SIGNER: OnceLock<AwsSigner> = OnceLock::new();
    SIGNER.get_or_init(|| {
        let (private_pem, _) = generate_rsa_pkcs8_pem(2048).unwrap();
        AwsSigner::new(private_pem.expose()).unwrap()
    })
}

fn merchant_key() -> &'static (Secret<String>, String) {
    static KEY: OnceLock<(Secret<String>, String)> = OnceLock::new();
    KEY.get_or_init(|| generate_rsa_pkcs8_pem(2048).unwrap())
}

// ---- master key ----

#[test]
fn master_key_base64_round_trip_and_rejects_bad_input() {
    let key = master();
    let again = MasterKey::from_base64(&format!(" {}\n", key.to_base64().expose())).unwrap();
    assert_eq!(key.derive("x"), again.derive("x"));
    assert!(MasterKey::from_base64("too short").is_err());
    assert!(MasterKey::from_base64(&STANDARD.encode([7u8; 31])).is_err());
    assert_eq!(format!("{key:?}"), "MasterKey(***)");
}

#[test]
fn derived_keys_differ_by_label_and_master() {
    let key = master();
    assert_ne!(key.derive("a"), key.derive("b"));
    assert_eq!(key.derive("a"), key.derive("a"));
    assert_ne!(key.derive("a"), master().derive("a"));
}

#[cfg(unix)]
#[test]
fn master_key_file_is_created_private_and_reloaded() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nested/keys/master.key");
    let created = MasterKey::load_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let reloaded = MasterKey::load_or_create(&path).unwrap();
    assert_eq!(created.derive("label"), reloaded.derive("label"));
    // No temporary files are left beside the key.
    let entries = std::fs::read_dir(path.parent().unwrap()).unwrap().count();
    assert_eq!(entries, 1);
}

#[test]
fn corrupt_master_key_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("master.key");
    std::fs::write(&path, "not a key").unwrap();
    let err = MasterKey::load_or_create(&path).unwrap_err();
    assert!(matches!(err, CryptoError::BadKey(_)));
}

// ---- field encryption ----

#[test]
fn field_cipher_round_trips_with_distinct_ciphertexts() {
    let cipher = AesFieldCipher::new(&master());
    let a = cipher.encrypt_str("110101199003077777");
    let b = cipher.encrypt_str("110101199003077777");
    assert!(a.starts_with("v1:"));
    assert_ne!(a, b, "a fresh nonce per value");
    assert_eq!(cipher.decrypt_str(&a).unwrap().expose(), "110101199003077777");
    assert_eq!(cipher.decrypt_str(&b).unwrap().expose(), "110101199003077777");
    assert_eq!(cipher.decrypt(&cipher.encrypt(b"")).unwrap(), b"");
}

#[test]
fn field_cipher_detects_tampering_and_wrong_keys() {
    let cipher = AesFieldCipher::new(&master());
    let sealed = cipher.encrypt_str("6222020200112233");
    let mut raw = STANDARD.decode(&sealed[3..]).unwrap();
    for index in [0, 12, raw.len() - 1] {
        raw[index] ^= 0x01;
        let tampered = format!("v1:{}", STANDARD.encode(&raw));
        assert!(matches!(cipher.decrypt(&tampered), Err(CryptoError::Tampered)));
        raw[index] ^= 0x01;
    }
    for garbage in ["", "v1:", "v1:!!!", "v2:AAAA", &sealed[3..], "v1:AAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
        assert!(matches!(cipher.decrypt(garbage), Err(CryptoError::Tampered)), "{garbage}");
    }
    let other = AesFieldCipher::new(&master());
    assert!(matches!(other.decrypt(&sealed), Err(CryptoError::Tampered)));
}

#[test]
fn blind_index_is_deterministic_and_keyed() {
    let key = master();
    let cipher = AesFieldCipher::new(&key);
    let index = cipher.blind_index("13812341234");
    assert_eq!(index, AesFieldCipher::new(&key).blind_index("13812341234"));
    assert_eq!(index.len(), 64);
    assert!(index.chars().all(|c| c.is_ascii_hexdigit()));
    assert_ne!(index, cipher.blind_index("13812341235"));
    assert_ne!(index, AesFieldCipher::new(&master()).blind_index("13812341234"));
}

// ---- passwords ----

#[tokio::test]
async fn argon2id_hashes_verify_and_deny() {
    let hasher = Argon2Hasher::fast_for_tests();
    let hash = hasher.hash(Secret::new("correct horse".into())).await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(hasher.verify(Secret::new("correct horse".into()), Some(hash.clone())).await);
    assert!(!hasher.verify(Secret::new("correct horsf".into()), Some(hash.clone())).await);
    assert!(!hasher.verify(Secret::new("correct horse".into()), Some("not a hash".into())).await);
    // Salted: the same password hashes differently.
    assert_ne!(hash, hasher.hash(Secret::new("correct horse".into())).await.unwrap());
}

#[tokio::test]
async fn unknown_user_verifies_against_a_dummy_and_fails() {
    let hasher = Argon2Hasher::fast_for_tests();
    assert!(!hasher.verify(Secret::new("anything".into()), None).await);
    assert!(!hasher.verify(Secret::new(String::new()), None).await);
}

#[tokio::test]
async fn default_parameters_are_owasp_argon2id() {
    let hash = Argon2Hasher::default().hash(Secret::new("pw".into())).await.unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
    let custom = Argon2Hasher::with_params(1024, 1, 1).unwrap();
    assert!(custom.verify(Secret::new("pw".into()), Some(hash)).await, "parameters come from the hash");
    assert!(Argon2Hasher::with_params(1, 0, 0).is_err());
    let configured = Argon2Hasher::with_memory_kib(4096).unwrap().hash(Secret::new("pw".into())).await.unwrap();
    assert!(configured.starts_with("$argon2id$v=19$m=4096,t=2,p=1$"), "{configured}");
}

// ---- HMAC ----

#[test]
fn hmac_signatures_verify_only_with_the_right_key_and_message() {
    let signer = signer();
    let signature = signer.hmac_sha256_b64(b"app-secret", b"GET\n/open/v1/orders\n1700000000\nnonce");
    assert_eq!(STANDARD.decode(&signature).unwrap().len(), 32);
    assert!(signature.ends_with('='), "standard Base64 with padding");
    assert!(signer.verify_hmac_sha256_b64(b"app-secret", b"GET\n/open/v1/orders\n1700000000\nnonce", &signature));
    assert!(!signer.verify_hmac_sha256_b64(b"app-secreT", b"GET\n/open/v1/orders\n1700000000\nnonce", &signature));
    assert!(!signer.verify_hmac_sha256_b64(b"app-secret", b"GET\n/open/v1/orders\n1700000001\nnonce", &signature));
    assert!(!signer.verify_hmac_sha256_b64(b"app-secret", b"x", "not base64!"));
    assert!(!signer.verify_hmac_sha256_b64(b"app-secret", b"x", ""));
}

#[test]
fn hmac_matches_a_known_vector() {
    // RFC 4231 test case 2.
    let signature = signer().hmac_sha256_b64(b"Jefe", b"what do ya want for nothing?");
    assert_eq!(
        hex::encode(STANDARD.decode(signature).unwrap()),
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
    );
}

// ---- RSA ----

/// Re-encodes an SPKI public key PEM as PKCS#1 (`RSA PUBLIC KEY`): the SPKI DER ends with the
/// PKCS#1 RSAPublicKey inside its BIT STRING, found here by its known 2048-bit prefix.
fn to_pkcs1_pem(spki_pem: &str) -> String {
    let der = pem::parse(spki_pem).unwrap().into_contents();
    let start = der.windows(4).position(|w| w == [0x30, 0x82, 0x01, 0x0a]).unwrap();
    pem::encode(&pem::Pem::new("RSA PUBLIC KEY", der[start..].to_vec()))
}

#[test]
fn rsa_signatures_verify_with_both_pem_forms() {
    let (private_pem, spki_pem) = merchant_key();
    assert!(spki_pem.starts_with("-----BEGIN PUBLIC KEY-----"));
    assert!(private_pem.expose().starts_with("-----BEGIN PRIVATE KEY-----"));
    let pkcs1_pem = to_pkcs1_pem(spki_pem);
    assert!(pkcs1_pem.starts_with("-----BEGIN RSA PUBLIC KEY-----"));

    let message = b"app_id=a1&out_trade_no=T1&total_amount=100";
    let signature = rsa_sign_pkcs8_pem_b64(private_pem.expose(), message).unwrap();
    let signer = signer();
    for pem in [spki_pem.as_str(), pkcs1_pem.as_str()] {
        signer.check_rsa_public_pem(pem).unwrap();
        assert!(signer.verify_rsa_sha256_b64(pem, message, &signature));
        assert!(!signer.verify_rsa_sha256_b64(pem, b"app_id=a1&out_trade_no=T1&total_amount=1000", &signature));
        assert!(!signer.verify_rsa_sha256_b64(pem, message, "garbage"));
    }
}

#[test]
fn rsa_rejects_the_wrong_key_and_bad_pems() {
    let (private_pem, _) = merchant_key();
    let signature = rsa_sign_pkcs8_pem_b64(private_pem.expose(), b"m").unwrap();
    let signer = signer();
    let other_public = signer.platform_rsa_public_pem();
    assert!(!signer.verify_rsa_sha256_b64(&other_public, b"m", &signature));
    assert!(!signer.verify_rsa_sha256_b64("not a pem", b"m", &signature));
    assert!(signer.check_rsa_public_pem("not a pem").is_err());
    // A private key is not a public key.
    assert!(signer.check_rsa_public_pem(private_pem.expose()).is_err());
    assert!(generate_rsa_pkcs8_pem(1024).is_err());
}

/// A 1024-bit key (made with OpenSSL): too weak to accept.
const WEAK_1024_SPKI: &str = "-----BEGIN PUBLIC KEY-----
MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDqzF1JlHwW/Gi0SByg80+6pKgy
gEe3euWksYixB6eTCWn2RVYhlIxFSt3myGnuPhgdiNMjYBQarqyFoI2a4jT1FX5/
JriOThQdgMuCzojv6kiLGnaCXkv+3cbTqOYY+RxCBy2doytzxdHCWomntVDaCXWp
rmaV0a1HAnnI5OsdAwIDAQAB
-----END PUBLIC KEY-----";

/// An interoperability vector made with OpenSSL (`openssl dgst -sha256 -sign`), PKCS#1 PEM.
const OPENSSL_PKCS1: &str = "-----BEGIN RSA PUBLIC KEY-----
MIIBCgKCAQEAsOnJJ/ufG24Nk5JNqp0tDHP0vGkSLuqJ5lgoHCmzm6eDDyD/U1Lp
2yuTqFYxdaRhhEa3BxyTvYmguG9a9NuOI3yPx5TiTYYjlRACR9qbj3d+RP9mPlF/
SiKimfNg5QI0LhpnS/NIgstx6sL+MTaA3EW3KV6oqsWayaANZMh6QOvyXOC0EqTe
mlMIEiXzBKQiB48b0GCOe8cpDB3EKfyPEJ6TL2v/2HEF8bd+MOpDy2NZc6FvBELq
DoWzH/0X4Q0TjiIrnCc1J02dSrV4Tz1D2C80hsZAuR3kYTSEzfwguDdtAvZ9cCG8
7xjrjbEGIPg/59qD8kmOaq/+jNgRV2nZPQIDAQAB
-----END RSA PUBLIC KEY-----";
const OPENSSL_MESSAGE: &[u8] = b"app_id=a1&total_amount=100";
const OPENSSL_SIGNATURE: &str = "YQ6EYSiRJk6YiQ84EYrz9D/oXTYKjeWhjgiBn82TuoAZd58K31r2CrdhRTh3oQuMvATRsZniiLSRKifyK4jd3Wo9exq+YPepSBLjLO3xbUmokn9eDjj+S4s6RhnqKRbz2Je4Z1KjMf6dzwEmIyDhLGz2rrlzUypP4vhk3l+R9OFmb2wxQOqjYz3OAM3JjEfAvI0eCDIhguXh2sR5IvEDqtM3jmPdV1G51PCS/w3MuMYmijaqXBj6ds6SWxPjf+oI4wfOYOVSTbrBiNVrHqwOxUzACS0GMgFcCNeYUKOPnqYK4vrer6zlB1Bp9oxkUU1mkKC0H3gLUHlK4UivgdM18A==";

#[test]
fn rsa_accepts_openssl_signatures_and_refuses_weak_keys() {
    let signer = signer();
    assert!(signer.verify_rsa_sha256_b64(OPENSSL_PKCS1, OPENSSL_MESSAGE, OPENSSL_SIGNATURE));
    assert!(!signer.verify_rsa_sha256_b64(OPENSSL_PKCS1, b"app_id=a1&total_amount=101", OPENSSL_SIGNATURE));
    let err = signer.check_rsa_public_pem(WEAK_1024_SPKI).unwrap_err();
    assert!(err.to_string().contains("1024 bits"), "{err}");
}

#[test]
fn platform_signatures_verify_with_the_published_key() {
    let signer = signer();
    let public = signer.platform_rsa_public_pem();
    assert!(public.starts_with("-----BEGIN PUBLIC KEY-----"));
    let signature = signer.platform_rsa_sign_b64(b"response body");
    assert!(signer.verify_rsa_sha256_b64(&public, b"response body", &signature));
    assert!(!signer.verify_rsa_sha256_b64(&public, b"response bodY", &signature));
    assert!(AwsSigner::new("not a pem").is_err());
}

#[cfg(unix)]
#[test]
fn platform_key_file_is_created_private_and_reloaded() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("keys/platform_rsa.pem");
    let created = AwsSigner::load_or_create(&path).unwrap();
    assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    let reloaded = AwsSigner::load_or_create(&path).unwrap();
    assert_eq!(created.platform_rsa_public_pem(), reloaded.platform_rsa_public_pem());
    let signature = reloaded.platform_rsa_sign_b64(b"m");
    assert!(created.verify_rsa_sha256_b64(&created.platform_rsa_public_pem(), b"m", &signature));
}

// ---- randomness and hashing ----

#[test]
fn random_values_and_sha256() {
    let signer = signer();
    assert_eq!(signer.random_bytes(32).len(), 32);
    assert_ne!(signer.random_bytes(32), signer.random_bytes(32));
    let token = signer.random_token(24);
    assert_eq!(token.len(), 32);
    assert_eq!(URL_SAFE_NO_PAD.decode(&token).unwrap().len(), 24);
    assert!(token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
    assert_eq!(signer.sha256_hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// ---- access tokens ----

fn claims(exp_offset: i64) -> AccessClaims {
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    AccessClaims {
        sub: "0190f0a0-0000-7000-8000-000000000001".into(),
        username: "admin".into(),
        platform_id: "0190f0a0-0000-7000-8000-000000000002".into(),
        role: Role::PlatformAdmin,
        node_kind: NodeKind::Platform,
        node_id: "0190f0a0-0000-7000-8000-000000000002".into(),
        path: "/p/".into(),
        iat: now,
        exp: now + exp_offset,
    }
}

#[test]
fn access_tokens_round_trip() {
    let tokens = JwtAccessTokens::new(&master());
    let original = claims(900);
    let token = tokens.issue(&original);
    assert_eq!(tokens.verify(&token), Some(original));
}

#[test]
fn expired_and_foreign_tokens_are_rejected() {
    let key = master();
    let tokens = JwtAccessTokens::new(&key);
    assert_eq!(tokens.verify(&tokens.issue(&claims(-30))), None);
    assert_eq!(JwtAccessTokens::new(&master()).verify(&tokens.issue(&claims(900))), None);
    assert_eq!(tokens.verify(""), None);
    assert_eq!(tokens.verify("a.b.c"), None);
}

#[test]
fn tampered_tokens_are_rejected() {
    let tokens = JwtAccessTokens::new(&master());
    let token = tokens.issue(&claims(900));
    let parts: Vec<&str> = token.split('.').collect();
    // Promote the caller by rewriting the payload and keeping the signature.
    let mut payload: serde_json::Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    payload["path"] = "/".into();
    let forged_payload = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&payload).unwrap());
    assert_eq!(tokens.verify(&format!("{}.{forged_payload}.{}", parts[0], parts[2])), None);
    // `alg: none` with no signature.
    let none_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#);
    assert_eq!(tokens.verify(&format!("{none_header}.{}.", parts[1])), None);
    // Another HMAC algorithm, even with the right key, is refused.
    let hs512_header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS512","typ":"JWT"}"#);
    assert_eq!(tokens.verify(&format!("{hs512_header}.{}.{}", parts[1], parts[2])), None);
}
