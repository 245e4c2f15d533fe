//! Start-up: connect the production or embedded parts chosen by the configuration and wire them
//! into the domain services.

use crate::config::Config;
use crate::jobs::TokioTimer;
use crate::state::{AppState, Sandboxes};
use anyhow::Context;
use juhe_adapters::cache::{memory::MemoryCache, redis::RedisCache};
use juhe_adapters::channels::alipay::{AlipayChannel, AlipaySandbox};
use juhe_adapters::channels::instant::InstantChannel;
use juhe_adapters::channels::unionpay::{UnionpayChannel, UnionpaySandbox};
use juhe_adapters::channels::wechat::{WechatChannel, WechatSandbox};
use juhe_adapters::crypto::{AesFieldCipher, Argon2Hasher, AwsSigner, JwtAccessTokens, MasterKey};
use juhe_adapters::db::{self, SqlStore};
use juhe_adapters::webhook::HttpWebhookSender;
use juhe_domain::apps::open_auth::OpenAuthService;
use juhe_domain::apps::service::AppService;
use juhe_domain::audit::service::AuditService;
use juhe_domain::cache::Cache;
use juhe_domain::clock::{Clock, SystemClock};
use juhe_domain::crypto::{FieldCipher, PasswordHasher, Signer};
use juhe_domain::identity::service::{AuthService, AuthSettings};
use juhe_domain::jobs::JobRepo;
use juhe_domain::jobs::admin::JobAdmin;
use juhe_domain::payments::admin::PaymentAdmin;
use juhe_domain::payments::delivery::DeliveryService;
use juhe_domain::payments::exception::LatePaymentPolicy;
use juhe_domain::payments::gateway::ChannelGateway;
use juhe_domain::payments::risk::RiskService;
use juhe_domain::payments::service::{PaymentService, PaymentSettings};
use juhe_domain::tenancy::service::TenancyService;
use std::sync::Arc;
use std::time::Duration;

/// Pay ways an app may be limited to (OPEN_API.md).
pub const PAY_WAYS: &[&str] = &[
    "WX_JSAPI",
    "WX_NATIVE",
    "WX_H5",
    "WX_APP",
    "WX_MINI",
    "ALI_QR",
    "ALI_JSAPI",
    "ALI_WAP",
    "ALI_APP",
    "UP_QR",
    "BARCODE",
    "CASHIER",
];

/// Connects the database (migrating first if configured) and builds the state.
pub async fn build_state(config: Config) -> anyhow::Result<Arc<AppState>> {
    let settings =
        PaymentSettings { requery_after: Duration::from_secs(config.requery_after_secs), ..PaymentSettings::default() };
    build_state_with(config, Arc::new(SystemClock), settings).await
}

/// The same with an injected clock and payment settings (tests compress time with them).
pub async fn build_state_with(
    config: Config,
    clock: Arc<dyn Clock>,
    payment_settings: PaymentSettings,
) -> anyhow::Result<Arc<AppState>> {
    let conn = db::connect(&config.database_url).await.context("connecting to the database")?;
    if config.migrate_on_start {
        db::migrate(&conn).await.context("running migrations")?;
    }
    let cache: Arc<dyn Cache> = match &config.redis_url {
        Some(url) => Arc::new(RedisCache::connect(url, &config.cache_prefix).await.context("connecting to Redis")?),
        None => Arc::new(MemoryCache::new(&config.cache_prefix)),
    };
    let master = match config.master_key_secret() {
        Some(key) => MasterKey::from_base64(key.expose()).context("key `master_key`")?,
        None => MasterKey::load_or_create(&config.master_key_file()).context("key `master_key_file`")?,
    };
    let signer: Arc<dyn Signer> =
        Arc::new(AwsSigner::load_or_create(&config.platform_key_file()).context("key `platform_key_file`")?);
    let cipher: Arc<dyn FieldCipher> = Arc::new(AesFieldCipher::new(&master));
    let hasher: Arc<dyn PasswordHasher> =
        Arc::new(Argon2Hasher::with_memory_kib(config.password_hash_memory_kib).context("password hasher")?);
    let access_tokens = Arc::new(JwtAccessTokens::new(&master));
    let store = Arc::new(SqlStore::with_lookup_cache(conn.clone(), Duration::from_millis(config.lookup_cache_ttl_ms)));

    let settings = AuthSettings {
        access_ttl: Duration::from_secs(config.access_ttl_secs),
        refresh_ttl: Duration::from_secs(config.refresh_ttl_secs),
        login_max_attempts: config.login_max_attempts,
        login_window: Duration::from_secs(config.login_window_secs),
    };
    let auth = AuthService {
        users: store.clone(),
        tokens: store.clone(),
        access: access_tokens,
        hasher,
        signer: signer.clone(),
        cache: cache.clone(),
        audit: store.clone(),
        nodes: store.clone(),
        clock: clock.clone(),
        settings,
    };
    let tenancy = TenancyService::new(store.clone(), cipher.clone(), clock.clone());
    let apps = AppService {
        repo: store.clone(),
        nodes: store.clone(),
        cipher: cipher.clone(),
        signer: signer.clone(),
        clock: clock.clone(),
        known_ways: PAY_WAYS,
    };
    let open_auth = OpenAuthService {
        apps: store.clone(),
        nodes: store.clone(),
        cache: cache.clone(),
        cipher: cipher.clone(),
        signer: signer.clone(),
        clock: clock.clone(),
        rate_limit_per_sec: config.open_rate_limit_per_sec,
    };
    let audit = AuditService::new(store.clone());

    let http = reqwest::Client::builder()
        .timeout(Duration::from_millis(config.channel_timeout_ms))
        .connect_timeout(Duration::from_secs(5))
        .build()
        .context("HTTP client for channels")?;
    let mut gateway = ChannelGateway::new(cipher.clone(), &config.public_url);
    gateway.register(Arc::new(WechatChannel::new(http.clone()).with_clock(clock.clone())));
    gateway.register(Arc::new(AlipayChannel::new(http.clone()).with_clock(clock.clone())));
    gateway.register(Arc::new(UnionpayChannel::new(http)));
    // Always registered (accounts can be set up); routing uses it only when enabled.
    gateway.register(Arc::new(InstantChannel::new()));
    let gateway = Arc::new(gateway);
    let risk = Arc::new(RiskService {
        repo: store.clone(),
        tenancy: store.clone(),
        cache: cache.clone(),
        clock: clock.clone(),
    });
    let payments = Arc::new(PaymentService {
        orders: store.clone(),
        refunds: store.clone(),
        exceptions: store.clone(),
        channels: store.clone(),
        tenancy: store.clone(),
        nodes: store.clone(),
        gateway: gateway.clone(),
        signer: signer.clone(),
        cache: cache.clone(),
        clock: clock.clone(),
        timer: Arc::new(TokioTimer),
        risk: risk.clone(),
        cashier_links: crate::wiring_cashier::links(&master, signer.clone(), &config.public_url),
        settings: PaymentSettings {
            instant_enabled: payment_settings.instant_enabled || config.instant_channel_enabled,
            late_payment_policy: LatePaymentPolicy::parse(&config.late_payment_policy).unwrap_or_default(),
            ..payment_settings
        },
    });
    let (qr_codes, cashier) = crate::wiring_cashier::services(&store, &payments, &signer, &cache, &clock);
    let payment_admin = PaymentAdmin {
        orders: store.clone(),
        refunds: store.clone(),
        notifications: store.clone(),
        channels: store.clone(),
        tenancy: store.clone(),
        gateway,
        cache: cache.clone(),
        clock: clock.clone(),
    };
    let jobs_signal = store.jobs_signal();
    let jobs: Arc<dyn JobRepo> = store.clone();
    let job_admin = JobAdmin { jobs: jobs.clone(), clock: clock.clone() };
    let delivery = Arc::new(DeliveryService {
        repo: store.clone(),
        apps: store,
        cipher: cipher.clone(),
        signer: signer.clone(),
        sender: Arc::new(HttpWebhookSender::new(Duration::from_secs(10)).map_err(anyhow::Error::msg)?),
        clock: clock.clone(),
    });
    let sandboxes = if config.sandbox_enabled {
        let dir = config.data_dir.join("sandbox");
        Some(Sandboxes {
            wechat: Arc::new(
                WechatSandbox::load_or_create(&dir)
                    .map_err(|e| anyhow::anyhow!("WeChat sandbox: {e}"))?
                    .with_clock(clock.clone()),
            ),
            alipay: Arc::new(
                AlipaySandbox::load_or_create(&dir)
                    .map_err(|e| anyhow::anyhow!("Alipay sandbox: {e}"))?
                    .with_clock(clock.clone()),
            ),
            unionpay: Arc::new(
                UnionpaySandbox::load_or_create(&dir)
                    .map_err(|e| anyhow::anyhow!("UnionPay sandbox: {e}"))?
                    .with_clock(clock.clone()),
            ),
            inbox: Arc::default(),
        })
    } else {
        None
    };
    Ok(Arc::new(AppState {
        config,
        db: conn,
        cache,
        signer,
        auth,
        tenancy,
        apps,
        open_auth,
        audit,
        payments,
        qr_codes,
        cashier,
        payment_admin,
        risk,
        delivery,
        jobs,
        job_admin,
        jobs_signal,
        sandboxes,
    }))
}
