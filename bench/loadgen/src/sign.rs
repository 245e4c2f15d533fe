//! Request signing as a merchant does it (OPEN_API.md "Signing requests", `scripts/open_api.py`):
//! HMAC-SHA256 over `METHOD\nPATH\nTIMESTAMP\nNONCE\nBODY\n`, base64, in the `Authorization` header.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;

pub struct Signer {
    app_id: String,
    key: hmac::Key,
}

impl Signer {
    pub fn new(app_id: &str, secret: &str) -> Self {
        Self { app_id: app_id.to_owned(), key: hmac::Key::new(hmac::HMAC_SHA256, secret.as_bytes()) }
    }

    /// The `Authorization` header value for one request.
    pub fn authorization(&self, method: &str, path: &str, body: &str, timestamp: i64, nonce: &str) -> String {
        let mut ctx = hmac::Context::with_key(&self.key);
        for part in [method, path, &timestamp.to_string(), nonce, body] {
            ctx.update(part.as_bytes());
            ctx.update(b"\n");
        }
        let signature = B64.encode(ctx.sign().as_ref());
        format!(
            r#"JUHE-HMAC-SHA256 app_id="{}",timestamp="{timestamp}",nonce="{nonce}",signature="{signature}""#,
            self.app_id
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_like_the_python_helper() {
        // python3: base64(hmac(b"s3cret", b'POST\n/open/v1/orders\n1700000000\nabc\n{"a":1}\n', sha256))
        let auth =
            Signer::new("app_1", "s3cret").authorization("POST", "/open/v1/orders", r#"{"a":1}"#, 1_700_000_000, "abc");
        assert_eq!(
            auth,
            r#"JUHE-HMAC-SHA256 app_id="app_1",timestamp="1700000000",nonce="abc",signature="23pBAxbS1WBV9yLmQX9+jiPzoKb0ADlU8RHZzwLi2Ug=""#
        );
    }
}
