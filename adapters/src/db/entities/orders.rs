use crate::db::mapping::{code, db_time, db_time_opt};
use juhe_domain::channels::ChannelCode;
use juhe_domain::ids::{AppId, MerchantId, PlatformId, StoreId};
use juhe_domain::money::Money;
use juhe_domain::payments::order::{Order, OrderStatus};
use juhe_domain::payments::way::PayWay;
use juhe_domain::repo::RepoResult;
use juhe_domain::scope::NodePath;
use sea_orm::ActiveValue::Set;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub order_no: String,
    pub platform_id: String,
    pub merchant_id: String,
    pub merchant_no: String,
    pub path: String,
    pub store_id: Option<String>,
    pub app_id: String,
    pub out_trade_no: String,
    pub amount: i64,
    pub currency: String,
    pub way: String,
    pub channel: Option<String>,
    pub channel_account_id: Option<String>,
    pub binding_id: Option<String>,
    pub sub_merchant_id: Option<String>,
    pub status: String,
    pub refunded_amount: i64,
    pub refund_reserved: i64,
    pub fee: i64,
    #[sea_orm(column_type = "JsonBinary", nullable)]
    pub pay_data: Option<Json>,
    pub channel_trade_no: Option<String>,
    pub subject: String,
    pub attach: Option<String>,
    pub notify_url: Option<String>,
    pub return_url: Option<String>,
    pub client_ip: Option<String>,
    pub payer_id: Option<String>,
    pub request_hash: String,
    pub expire_at: TimeDateTimeWithTimeZone,
    pub paid_at: Option<TimeDateTimeWithTimeZone>,
    pub created_at: TimeDateTimeWithTimeZone,
    pub updated_at: TimeDateTimeWithTimeZone,
    pub version: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Model {
    pub fn into_domain(self) -> RepoResult<Order> {
        let channel = self.channel.as_deref().map(|c| code("orders.channel", c, ChannelCode::parse)).transpose()?;
        Ok(Order {
            way: code("orders.way", &self.way, PayWay::parse)?,
            status: code("orders.status", &self.status, OrderStatus::parse)?,
            channel,
            order_no: self.order_no,
            platform_id: PlatformId::from_trusted(self.platform_id),
            merchant_id: MerchantId::from_trusted(self.merchant_id),
            merchant_no: self.merchant_no,
            path: NodePath::from_trusted(self.path),
            store_id: self.store_id.map(StoreId::from_trusted),
            app_id: AppId::from_trusted(self.app_id),
            out_trade_no: self.out_trade_no,
            amount: Money(self.amount),
            currency: self.currency,
            channel_account_id: self.channel_account_id,
            binding_id: self.binding_id,
            sub_merchant_id: self.sub_merchant_id,
            refunded_amount: Money(self.refunded_amount),
            refund_reserved: Money(self.refund_reserved),
            fee: Money(self.fee),
            pay_data: self.pay_data,
            channel_trade_no: self.channel_trade_no,
            subject: self.subject,
            attach: self.attach,
            notify_url: self.notify_url,
            return_url: self.return_url,
            client_ip: self.client_ip,
            payer_id: self.payer_id,
            request_hash: self.request_hash,
            expire_at: self.expire_at,
            paid_at: self.paid_at,
            created_at: self.created_at,
            updated_at: self.updated_at,
            version: self.version,
        })
    }
}

pub fn from_domain(o: &Order) -> ActiveModel {
    ActiveModel {
        order_no: Set(o.order_no.clone()),
        platform_id: Set(o.platform_id.to_string()),
        merchant_id: Set(o.merchant_id.to_string()),
        merchant_no: Set(o.merchant_no.clone()),
        path: Set(o.path.to_string()),
        store_id: Set(o.store_id.as_ref().map(ToString::to_string)),
        app_id: Set(o.app_id.to_string()),
        out_trade_no: Set(o.out_trade_no.clone()),
        amount: Set(o.amount.fen()),
        currency: Set(o.currency.clone()),
        request_hash: Set(o.request_hash.clone()),
        refunded_amount: Set(o.refunded_amount.fen()),
        refund_reserved: Set(o.refund_reserved.fen()),
        created_at: Set(db_time(o.created_at)),
        version: Set(o.version),
        ..changes(o)
    }
}

/// What a versioned save writes: the state the domain decided, refund totals included. Never
/// what identifies the order and its request: number, tenant, merchant, store, app,
/// `out_trade_no`, amount, currency, request hash.
pub fn changes(o: &Order) -> ActiveModel {
    ActiveModel {
        way: Set(o.way.as_str().to_owned()),
        channel: Set(o.channel.map(|c| c.as_str().to_owned())),
        channel_account_id: Set(o.channel_account_id.clone()),
        binding_id: Set(o.binding_id.clone()),
        sub_merchant_id: Set(o.sub_merchant_id.clone()),
        status: Set(o.status.as_str().to_owned()),
        refunded_amount: Set(o.refunded_amount.fen()),
        refund_reserved: Set(o.refund_reserved.fen()),
        fee: Set(o.fee.fen()),
        pay_data: Set(o.pay_data.clone()),
        channel_trade_no: Set(o.channel_trade_no.clone()),
        subject: Set(o.subject.clone()),
        attach: Set(o.attach.clone()),
        notify_url: Set(o.notify_url.clone()),
        return_url: Set(o.return_url.clone()),
        client_ip: Set(o.client_ip.clone()),
        payer_id: Set(o.payer_id.clone()),
        expire_at: Set(db_time(o.expire_at)),
        paid_at: Set(db_time_opt(o.paid_at)),
        updated_at: Set(db_time(o.updated_at)),
        ..Default::default()
    }
}
