//! `GET /v3/bill/tradebill` and `GET /v3/billdownload/file`. WeChat answers a link and the SHA1
//! of the original file; the file is UTF-8 with a BOM (see `bill`), served gzip-compressed when
//! `tar_type=GZIP` was asked; the bill of day D exists only from 10:00 China time on D+1.

use super::super::mapping::CST;
use super::bill::{self, BillType};
use super::model::{ApiError, fail, param};
use super::{WechatSandbox, control, respond, validate};
use aws_lc_rs::digest;
use flate2::Compression;
use flate2::write::GzEncoder;
use poem::{Request, Response};
use std::collections::HashMap;
use std::io::Write;
use time::{Date, OffsetDateTime, Time};

/// WeChat generates the day's bills overnight and tells merchants to fetch them after 10:00.
const READY_AT: Time = match Time::from_hms(10, 0, 0) {
    Ok(t) => t,
    Err(_) => Time::MIDNIGHT,
};

/// A bill file waiting behind its download token.
#[derive(Clone)]
pub(crate) struct Download {
    pub token: String,
    /// As served: gzip when asked for, else the original file.
    pub bytes: Vec<u8>,
    pub gzip: bool,
}

/// When the bill of `date` becomes available.
pub(crate) fn ready_at(date: Date) -> OffsetDateTime {
    date.next_day().unwrap_or(date).with_time(READY_AT).assume_offset(CST)
}

pub(super) fn link(sb: &WechatSandbox, req: &Request, query: &HashMap<String, String>) -> Result<Response, ApiError> {
    let date =
        query.get("bill_date").and_then(|d| control::parse_date(d)).ok_or_else(|| param("bill_date 格式错误"))?;
    let kind = BillType::parse(query.get("bill_type").map(String::as_str)).ok_or_else(|| param("bill_type 错误"))?;
    let gzip = match query.get("tar_type").map(String::as_str) {
        None => false,
        Some("GZIP") => true,
        Some(_) => return Err(param("tar_type 仅支持 GZIP")),
    };
    let sub_mchid = query.get("sub_mchid").map(String::as_str).filter(|s| !s.is_empty());
    if let Some(sub) = sub_mchid {
        validate::sub_mchid(&sb.identity, sub)?;
    }
    let now = sb.now();
    if date > now.to_offset(CST).date() {
        return Err(param("bill_date 不能晚于今天"));
    }
    if now < ready_at(date) {
        return Err(fail(400, "NO_STATEMENT_EXIST", "账单尚未生成，请于次日10点后下载"));
    }
    let file = bill::render(&sb.book(), date, sub_mchid, kind)
        .ok_or_else(|| fail(400, "NO_STATEMENT_EXIST", "该日期无交易账单"))?
        .into_bytes();
    // The hash is of the original file, also when it is served compressed.
    let hash = hex::encode(digest::digest(&digest::SHA1_FOR_LEGACY_USE_ONLY, &file));
    let bytes = if gzip { compress(&file)? } else { file };
    let token = super::super::sign::nonce();
    sb.keep_bill(Download { token: token.clone(), bytes, gzip });
    let link = serde_json::json!({
        "hash_type": "SHA1",
        "hash_value": hash,
        "download_url": format!("{}/v3/billdownload/file?token={token}", external_base(req)),
    });
    Ok(respond::json(sb, 200, &link))
}

/// The download is signed by the caller but not answered signed (WeChat checks it by hash).
pub(super) fn download(sb: &WechatSandbox, token: &str) -> Result<Response, ApiError> {
    let file = sb.bill_file(token).ok_or_else(|| fail(404, "RESOURCE_NOT_EXISTS", "账单文件不存在或已过期"))?;
    let content_type = if file.gzip { "application/octet-stream" } else { "text/plain; charset=utf-8" };
    Ok(Response::builder().content_type(content_type).body(file.bytes))
}

fn compress(file: &[u8]) -> Result<Vec<u8>, ApiError> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder
        .write_all(file)
        .and_then(|()| encoder.finish())
        .map_err(|e| fail(500, "SYSTEM_ERROR", format!("系统错误: {e}")))
}

/// Where the caller reached us: scheme and host as received, plus the prefix we are nested at.
fn external_base(req: &Request) -> String {
    let scheme = req.header("X-Forwarded-Proto").unwrap_or("http");
    let host = req.header("Host").unwrap_or("127.0.0.1");
    let full = req.original_uri().path();
    let prefix = full.strip_suffix(req.uri().path()).unwrap_or("");
    format!("{scheme}://{host}{prefix}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn a_days_bill_is_ready_at_ten_the_next_morning_china_time() {
        assert_eq!(ready_at(date!(2024 - 03 - 07)), datetime!(2024-03-08 10:00 +8));
        assert_eq!(ready_at(date!(2024 - 12 - 31)), datetime!(2025-01-01 02:00 UTC));
    }
}
