//! Trade bill download: WeChat answers a link and a SHA1 of the file; the download itself is
//! unsigned, so the hash is what proves the file is WeChat's.

use super::protocol::BillLink;
use aws_lc_rs::digest;
use juhe_domain::channels::{ChannelError, ChannelResult};
use time::Date;

/// `YYYY-MM-DD`.
pub(crate) fn date_text(date: Date) -> String {
    format!("{:04}-{:02}-{:02}", date.year(), u8::from(date.month()), date.day())
}

/// The download link must point at the account's own host: our signed request never goes to a
/// host the answer names.
pub(crate) fn relative_download_path(base_url: &str, download_url: &str) -> ChannelResult<String> {
    match download_url.strip_prefix(base_url) {
        Some(rest) if rest.starts_with('/') => Ok(rest.to_owned()),
        _ => Err(ChannelError::Unknown(format!("bill link outside {base_url}: {download_url}"))),
    }
}

pub(crate) fn check_hash(link: &BillLink, file: &[u8]) -> ChannelResult<()> {
    if !link.hash_type.eq_ignore_ascii_case("SHA1") {
        return Err(ChannelError::Unknown(format!("unsupported bill hash {}", link.hash_type)));
    }
    let actual = hex::encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, file));
    if actual.eq_ignore_ascii_case(link.hash_value.trim()) {
        Ok(())
    } else {
        Err(ChannelError::Unknown("bill file does not match its SHA1".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_links_stay_on_the_base_url() {
        let base = "http://127.0.0.1:9/sandbox/wechat";
        assert_eq!(
            relative_download_path(base, "http://127.0.0.1:9/sandbox/wechat/v3/billdownload/file?token=a").ok(),
            Some("/v3/billdownload/file?token=a".to_owned())
        );
        assert!(relative_download_path(base, "http://evil.example/v3/billdownload/file").is_err());
        assert!(relative_download_path(base, "http://127.0.0.1:9/sandbox/wechatX/v3").is_err());
        assert_eq!(date_text(time::macros::date!(2024 - 03 - 07)), "2024-03-07");
    }
}
