//! Trade bill download: WeChat answers a link and a SHA1 of the file; the download itself is
//! unsigned, so the hash is what proves the file is WeChat's. We ask for `tar_type=GZIP` (bills
//! of busy days are large) and unpack it; the hash is of the unpacked file. The file is kept as
//! WeChat made it, UTF-8 with a leading BOM.

use super::protocol::BillLink;
use aws_lc_rs::digest;
use flate2::read::GzDecoder;
use juhe_domain::channels::{ChannelError, ChannelResult};
use std::io::Read;
use time::Date;

/// An unpacked bill larger than this is refused (a day of a very busy merchant stays far below;
/// the cap stops a gzip bomb from filling memory).
const MAX_BILL_BYTES: u64 = 1 << 30;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

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

/// The original file from what was downloaded: gunzipped when it is gzip.
pub(crate) fn unpack(downloaded: Vec<u8>) -> ChannelResult<Vec<u8>> {
    if !downloaded.starts_with(&GZIP_MAGIC) {
        return Ok(downloaded);
    }
    let mut file = Vec::new();
    GzDecoder::new(downloaded.as_slice())
        .take(MAX_BILL_BYTES + 1)
        .read_to_end(&mut file)
        .map_err(|e| ChannelError::Unknown(format!("bill file does not unpack: {e}")))?;
    if file.len() as u64 > MAX_BILL_BYTES {
        return Err(ChannelError::Unknown("bill file too large".into()));
    }
    Ok(file)
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

    #[test]
    fn gzip_bills_are_unpacked_and_plain_ones_kept() {
        use flate2::write::GzEncoder;
        use std::io::Write;
        let original = "\u{feff}交易时间,公众账号ID\r\n".as_bytes().to_vec();
        let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(&original).expect("write");
        let packed = encoder.finish().expect("finish");
        assert_ne!(packed, original);
        assert_eq!(unpack(packed.clone()).ok(), Some(original.clone()));
        assert_eq!(unpack(original.clone()).ok(), Some(original));
        assert!(unpack(packed[..packed.len() - 4].to_vec()).is_err(), "a truncated download is refused");
    }
}
