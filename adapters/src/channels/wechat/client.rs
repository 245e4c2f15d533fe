//! [`WechatChannel`]: the `PaymentChannel` port over WeChat Pay API v3, partner mode.

use super::account::{Account, AccountCache};
use super::mapping::{format_time, refund_status, trade_status};
use super::protocol::{
    Amount, AuthCodePayer, BillLink, CloseRequest, CodepayRequest, ErrorBody, H5Info, Payer, PrepayRequest,
    PrepayResponse, Refund, RefundAmountRequest, RefundCreate, ReverseRequest, SceneInfo, StoreInfo, Transaction,
};
use super::transport::{Answer, Stakes, call, download, parse, path_segment};
use super::{bill, notify, pay_data};
use juhe_domain::channels::{
    Ack, BarcodePay, ChannelCode, ChannelContext, ChannelError, ChannelNotification, ChannelResult, CreateOrder,
    Created, InboundRequest, PaymentChannel, RefundRequest, RefundState, RefundStatus, ReverseOutcome, TradeState,
    TradeStatus,
};
use juhe_domain::clock::{Clock, SystemClock};
use juhe_domain::payments::way::PayWay;
use reqwest::Method;
use serde_json::json;
use std::sync::Arc;
use time::Date;

const WAYS: [PayWay; 6] =
    [PayWay::WxJsapi, PayWay::WxNative, PayWay::WxH5, PayWay::WxApp, PayWay::WxMini, PayWay::Barcode];

const TRANSACTIONS: &str = "/v3/pay/partner/transactions";
const REFUNDS: &str = "/v3/refund/domestic/refunds";

/// The WeChat Pay channel. Holds no per-account state beyond a cache of parsed keys.
pub struct WechatChannel {
    http: reqwest::Client,
    accounts: AccountCache,
    clock: Arc<dyn Clock>,
}

impl WechatChannel {
    /// `http` decides timeouts and TLS; every request is signed here.
    pub fn new(http: reqwest::Client) -> Self {
        Self { http, accounts: AccountCache::default(), clock: Arc::new(SystemClock) }
    }

    /// Signs and checks timestamps (±300 s) with `clock` instead of the wall clock: the server
    /// passes its own, so juhe and its sandbox agree on the time when tests move it.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    fn account(&self, ctx: &ChannelContext) -> ChannelResult<Arc<Account>> {
        self.accounts.get(ctx)
    }
}

impl std::fmt::Debug for WechatChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WechatChannel").finish_non_exhaustive()
    }
}

/// The binding's `sub_appid` (the merchant's own official account / mini program), if any.
fn sub_appid(ctx: &ChannelContext) -> Option<String> {
    let binding = ctx.binding.as_ref()?;
    binding.config.get("sub_appid").and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_owned)
}

fn missing(field: &str) -> ChannelError {
    ChannelError::Declined { code: "PARAM_ERROR".into(), message: format!("{field} is required") }
}

fn order_path(order_no: &str, action: &str) -> ChannelResult<String> {
    Ok(format!("{TRANSACTIONS}/out-trade-no/{}{action}", path_segment(order_no)?))
}

#[async_trait::async_trait]
impl PaymentChannel for WechatChannel {
    fn code(&self) -> ChannelCode {
        ChannelCode::Wechat
    }

    fn ways(&self) -> &'static [PayWay] {
        &WAYS
    }

    async fn create(&self, ctx: &ChannelContext, req: &CreateOrder) -> ChannelResult<Created> {
        let account = self.account(ctx)?;
        let sub_mchid = ctx.sub_merchant_id()?.to_owned();
        let sub_appid = sub_appid(ctx);
        // JSAPI and mini-program pay use the same endpoint; the openid belongs to the sub-merchant's
        // app when the binding has one, else to the service provider's.
        let (endpoint, payer, scene_info) = match req.way {
            PayWay::WxJsapi | PayWay::WxMini => {
                let openid = req.payer_id.clone().filter(|p| !p.is_empty()).ok_or_else(|| missing("openid"))?;
                let payer = match sub_appid {
                    Some(_) => Payer { sub_openid: Some(openid), ..Payer::default() },
                    None => Payer { sp_openid: Some(openid), ..Payer::default() },
                };
                ("jsapi", Some(payer), client_scene(req, None))
            }
            PayWay::WxNative => ("native", None, client_scene(req, None)),
            PayWay::WxApp => ("app", None, client_scene(req, None)),
            PayWay::WxH5 => ("h5", None, client_scene(req, Some(H5Info { kind: "Wap".into() }))),
            _ => return Err(ChannelError::Unsupported),
        };
        let body = PrepayRequest {
            sp_appid: account.sp_appid.clone(),
            sp_mchid: account.sp_mchid.clone(),
            sub_appid: sub_appid.clone(),
            sub_mchid: sub_mchid.clone(),
            description: description(&req.subject),
            out_trade_no: path_segment(&req.order_no)?.to_owned(),
            time_expire: Some(format_time(req.expire_at)),
            attach: None,
            notify_url: ctx.notify_url.clone(),
            amount: Amount { total: req.amount.fen(), currency: Some("CNY".into()) },
            payer,
            scene_info,
        };
        let path = format!("{TRANSACTIONS}/{endpoint}");
        let prepay: PrepayResponse =
            match call(&self.http, self.clock.as_ref(), &account, Method::POST, &path, Some(&body)).await? {
                Answer::Success(raw) => parse(&raw)?,
                Answer::Failure(f) => return Err(f.into_error(Stakes::Creation)),
            };
        let broken = |field: &str| ChannelError::Unknown(format!("prepay answer without {field}"));
        let app_id = sub_appid.as_deref().unwrap_or(&account.sp_appid);
        let now = self.clock.now().unix_timestamp();
        let pay_data = match req.way {
            PayWay::WxNative => json!({ "code_url": prepay.code_url.ok_or_else(|| broken("code_url"))? }),
            PayWay::WxH5 => json!({ "h5_url": prepay.h5_url.ok_or_else(|| broken("h5_url"))? }),
            PayWay::WxApp => {
                pay_data::app(&account, app_id, &sub_mchid, &prepay.prepay_id.ok_or_else(|| broken("prepay_id"))?, now)?
            }
            _ => pay_data::jsapi(&account, app_id, &prepay.prepay_id.ok_or_else(|| broken("prepay_id"))?, now)?,
        };
        Ok(Created { pay_data, channel_trade_no: None })
    }

    async fn barcode_pay(&self, ctx: &ChannelContext, req: &BarcodePay) -> ChannelResult<TradeStatus> {
        let account = self.account(ctx)?;
        let body = CodepayRequest {
            sp_appid: account.sp_appid.clone(),
            sp_mchid: account.sp_mchid.clone(),
            sub_appid: sub_appid(ctx),
            sub_mchid: ctx.sub_merchant_id()?.to_owned(),
            description: description(&req.subject),
            out_trade_no: path_segment(&req.order_no)?.to_owned(),
            attach: None,
            amount: Amount { total: req.amount.fen(), currency: Some("CNY".into()) },
            payer: AuthCodePayer { auth_code: req.auth_code.expose().clone() },
            scene_info: req.store_id.as_ref().map(|store| SceneInfo {
                store_info: Some(StoreInfo { out_id: Some(store.clone()), id: None }),
                ..SceneInfo::default()
            }),
        };
        let path = format!("{TRANSACTIONS}/codepay");
        match call(&self.http, self.clock.as_ref(), &account, Method::POST, &path, Some(&body)).await? {
            Answer::Success(raw) => match serde_json::from_slice::<Transaction>(&raw) {
                Ok(tx) => checked_trade(tx, &body.out_trade_no, &body.sub_mchid),
                // Some answers (202) carry only `{code: USERPAYING}`: the payer is confirming.
                Err(_) => match serde_json::from_slice::<ErrorBody>(&raw) {
                    Ok(err) if err.code == "USERPAYING" => Ok(paying(err.message)),
                    _ => Err(ChannelError::Unknown("unreadable codepay answer".into())),
                },
            },
            // The payer is confirming on the phone: the same as trade_state USERPAYING; poll.
            Answer::Failure(f) if f.is_code("USERPAYING") => Ok(paying(f.message)),
            Answer::Failure(f) => Err(f.into_error(Stakes::Effectful)),
        }
    }

    async fn query(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<TradeStatus> {
        let account = self.account(ctx)?;
        let sub_mchid = path_segment(ctx.sub_merchant_id()?)?;
        let path = format!("{}?sp_mchid={}&sub_mchid={sub_mchid}", order_path(order_no, "")?, account.sp_mchid);
        match call::<()>(&self.http, self.clock.as_ref(), &account, Method::GET, &path, None).await? {
            Answer::Success(raw) => checked_trade(parse(&raw)?, order_no, sub_mchid),
            // Only WeChat's explicit code proves absence (the order service may fail over on it).
            Answer::Failure(f) if f.is_code("ORDER_NOT_EXIST") => {
                Ok(TradeStatus { message: Some(f.message), ..TradeStatus::of(TradeState::NotFound) })
            }
            Answer::Failure(f) => Err(f.into_error(Stakes::Effectful)),
        }
    }

    async fn close(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<()> {
        let account = self.account(ctx)?;
        let body = CloseRequest { sp_mchid: account.sp_mchid.clone(), sub_mchid: ctx.sub_merchant_id()?.to_owned() };
        let path = order_path(order_no, "/close")?;
        match call(&self.http, self.clock.as_ref(), &account, Method::POST, &path, Some(&body)).await? {
            Answer::Success(_) => Ok(()),
            Answer::Failure(f) => Err(f.into_error(Stakes::Effectful)),
        }
    }

    async fn reverse(&self, ctx: &ChannelContext, order_no: &str) -> ChannelResult<ReverseOutcome> {
        let account = self.account(ctx)?;
        let body = ReverseRequest {
            sp_appid: account.sp_appid.clone(),
            sp_mchid: account.sp_mchid.clone(),
            sub_appid: sub_appid(ctx),
            sub_mchid: ctx.sub_merchant_id()?.to_owned(),
        };
        let path = order_path(order_no, "/reverse")?;
        match call(&self.http, self.clock.as_ref(), &account, Method::POST, &path, Some(&body)).await? {
            Answer::Success(_) => Ok(ReverseOutcome::Reversed),
            Answer::Failure(f) => Err(f.into_error(Stakes::Effectful)),
        }
    }

    async fn refund(&self, ctx: &ChannelContext, req: &RefundRequest) -> ChannelResult<RefundStatus> {
        let account = self.account(ctx)?;
        let body = RefundCreate {
            sub_mchid: ctx.sub_merchant_id()?.to_owned(),
            transaction_id: None,
            out_trade_no: Some(path_segment(&req.order_no)?.to_owned()),
            out_refund_no: path_segment(&req.refund_no)?.to_owned(),
            reason: req.reason.clone().filter(|r| !r.is_empty()),
            notify_url: Some(ctx.notify_url.clone()),
            amount: RefundAmountRequest {
                refund: req.amount.fen(),
                total: req.order_amount.fen(),
                currency: "CNY".into(),
            },
        };
        match call(&self.http, self.clock.as_ref(), &account, Method::POST, REFUNDS, Some(&body)).await? {
            Answer::Success(raw) => Ok(refund_status(&parse::<Refund>(&raw)?)),
            Answer::Failure(f) => Err(f.into_error(Stakes::Effectful)),
        }
    }

    async fn refund_query(&self, ctx: &ChannelContext, order_no: &str, refund_no: &str) -> ChannelResult<RefundStatus> {
        let account = self.account(ctx)?;
        let sub_mchid = path_segment(ctx.sub_merchant_id()?)?;
        let path = format!("{REFUNDS}/{}?sub_mchid={sub_mchid}", path_segment(refund_no)?);
        match call::<()>(&self.http, self.clock.as_ref(), &account, Method::GET, &path, None).await? {
            Answer::Success(raw) => {
                let refund: Refund = parse(&raw)?;
                if refund.out_trade_no != order_no || refund.out_refund_no != refund_no {
                    return Err(ChannelError::Unknown(format!("refund belongs to trade {}", refund.out_trade_no)));
                }
                Ok(refund_status(&refund))
            }
            Answer::Failure(f) if f.is_code("RESOURCE_NOT_EXISTS") => Ok(RefundStatus {
                state: RefundState::NotFound,
                channel_refund_no: None,
                succeeded_at: None,
                message: Some(f.message),
            }),
            Answer::Failure(f) => Err(f.into_error(Stakes::Effectful)),
        }
    }

    async fn parse_notification(
        &self,
        ctx: &ChannelContext,
        req: &InboundRequest<'_>,
    ) -> ChannelResult<ChannelNotification> {
        let account = self.account(ctx)?;
        notify::parse(&account, req, self.clock.now().unix_timestamp())
    }

    fn ack(&self, accepted: bool) -> Ack {
        notify::ack(accepted)
    }

    fn payer_auth_url(&self, ctx: &ChannelContext, redirect_uri: &str, state: &str) -> ChannelResult<String> {
        super::oauth::authorize_url(ctx, redirect_uri, state)
    }

    async fn payer_id(&self, ctx: &ChannelContext, code: &str) -> ChannelResult<String> {
        super::oauth::openid(&self.http, ctx, code).await
    }

    async fn download_bill(&self, ctx: &ChannelContext, date: Date) -> ChannelResult<Vec<u8>> {
        let account = self.account(ctx)?;
        let mut path = format!("/v3/bill/tradebill?bill_date={}&bill_type=ALL&tar_type=GZIP", bill::date_text(date));
        if let Some(binding) = &ctx.binding {
            path.push_str(&format!("&sub_mchid={}", path_segment(&binding.sub_merchant_id)?));
        }
        let link: BillLink =
            match call::<()>(&self.http, self.clock.as_ref(), &account, Method::GET, &path, None).await? {
                Answer::Success(raw) => parse(&raw)?,
                Answer::Failure(f) => return Err(f.into_error(Stakes::Effectful)),
            };
        let file_path = bill::relative_download_path(&account.base_url, &link.download_url)?;
        let file = bill::unpack(download(&self.http, self.clock.as_ref(), &account, &file_path).await?)?;
        bill::check_hash(&link, &file)?;
        Ok(file)
    }
}

/// WeChat takes at most 127 characters of description; the subject is informational, so it is
/// shortened rather than declined.
fn description(subject: &str) -> String {
    subject.chars().take(127).collect()
}

fn paying(message: String) -> TradeStatus {
    TradeStatus { message: Some(message), ..TradeStatus::of(TradeState::Paying) }
}

/// A trade answer must be about the trade we asked for; anything else is not believable.
fn checked_trade(tx: Transaction, order_no: &str, sub_mchid: &str) -> ChannelResult<TradeStatus> {
    let other_merchant = tx.sub_mchid.as_deref().is_some_and(|s| s != sub_mchid);
    if tx.out_trade_no != order_no || other_merchant {
        return Err(ChannelError::Unknown(format!("answer is about trade {} of {:?}", tx.out_trade_no, tx.sub_mchid)));
    }
    Ok(trade_status(&tx))
}

/// Scene info from the payer's IP (H5 requires it; WeChat checks it against the payer).
fn client_scene(req: &CreateOrder, h5: Option<H5Info>) -> Option<SceneInfo> {
    if req.client_ip.is_none() && h5.is_none() {
        return None;
    }
    Some(SceneInfo { payer_client_ip: req.client_ip.clone(), h5_info: h5, ..SceneInfo::default() })
}
