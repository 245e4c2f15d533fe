//! The HTTP application: routes, middleware and the server loop.

use crate::http::{body_limit::BodyLimit, fallback_errors, metrics, open_signing::OpenSigning, request_id::RequestId};
use crate::jobs::{self, JobSettings};
use crate::routes;
use crate::state::AppState;
use anyhow::Context;
use poem::endpoint::make_sync;
use poem::listener::{Acceptor, Listener, TcpAcceptor, TcpListener};
use poem::{Endpoint, EndpointExt, Route, Server, get};
use poem_openapi::OpenApiService;
use std::net::SocketAddr;
use std::sync::Arc;

const TITLE: &str = "juhe — aggregated payment API";

/// The spec of every API, as served at `/openapi.json` and printed by `juhe openapi`.
pub fn api_service(public_url: &str) -> OpenApiService<impl poem_openapi::OpenApi, ()> {
    OpenApiService::new(routes::apis(), TITLE, env!("CARGO_PKG_VERSION"))
        .description("Admin API (`/admin/v1`, bearer JWT) and merchant Open API (`/open/v1`, signed requests).")
        .server(public_url)
}

/// The spec as pretty JSON, stable across runs (the committed `openapi/openapi.json`).
pub fn spec_json() -> String {
    api_service("http://127.0.0.1:8080").spec()
}

pub fn app(state: Arc<AppState>) -> impl Endpoint {
    let service = api_service(&state.config.public_url);
    let spec = service.spec();
    let docs = service.swagger_ui();
    let prom = metrics::handle();
    let mut route = Route::new()
        .nest("/", service)
        .at("/callbacks/:channel/:account_id", poem::post(routes::callbacks::channel_callback))
        .nest("/cashier", crate::cashier::routes());
    if let Some(sandboxes) = &state.sandboxes {
        route = route
            .nest("/sandbox/wechat", sandboxes.wechat.clone().routes())
            .nest("/sandbox/alipay", sandboxes.alipay.clone().routes())
            .nest("/sandbox/unionpay", sandboxes.unionpay.clone().routes())
            .nest("/sandbox/inbox", sandboxes.inbox.clone().routes());
    }
    route
        .nest("/docs", docs)
        .at(
            "/openapi.json",
            make_sync(move |_| spec.clone())
                .with(poem::middleware::SetHeader::new().overriding("content-type", "application/json")),
        )
        .at("/metrics", get(make_sync(move |_| prom.render())))
        .with(OpenSigning { state: state.clone() })
        .with(BodyLimit(state.config.max_body_bytes))
        .data(state)
        .catch_all_error(fallback_errors::to_response)
        .with(metrics::Metrics)
        .with(RequestId)
}

/// Binds `addr` and tells the address really bound (port 0 gets its port only here).
pub async fn bind(addr: &str) -> anyhow::Result<(TcpAcceptor, SocketAddr)> {
    let acceptor = TcpListener::bind(addr.to_owned())
        .into_acceptor()
        .await
        .with_context(|| format!("key `bind`: cannot listen on {addr}"))?;
    let bound = acceptor.local_addr().iter().find_map(|a| a.as_socket_addr().copied());
    let bound = bound.with_context(|| format!("key `bind`: {addr} is not a TCP address"))?;
    Ok((acceptor, bound))
}

/// Serves on the bound acceptor until Ctrl-C / SIGTERM.
pub async fn serve(state: Arc<AppState>, acceptor: TcpAcceptor) -> anyhow::Result<()> {
    serve_on(state, acceptor, shutdown_signal()).await
}

/// Serves on an already-bound acceptor (tests bind port 0 and read the address first).
pub async fn serve_on(
    state: Arc<AppState>,
    acceptor: impl Acceptor + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let settings = job_settings(&state.config);
    serve_with_jobs(state, acceptor, shutdown, settings).await
}

/// The worker's settings from the configuration.
fn job_settings(config: &crate::config::Config) -> JobSettings {
    JobSettings {
        lease: std::time::Duration::from_secs(config.job_lease_secs),
        concurrency: config.job_concurrency,
        poll: std::time::Duration::from_millis(config.job_poll_ms),
    }
}

/// `juhe worker`: only the job worker, no HTTP, until Ctrl-C / SIGTERM (workers beside
/// stateless `serve` replicas). Jobs it was running when stopped are taken over by another
/// worker once their lease runs out.
pub async fn work(state: Arc<AppState>) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    jobs::spawn(state.clone(), job_settings(&state.config), stop_rx);
    shutdown_signal().await;
    let _ = stop_tx.send(true);
    Ok(())
}

/// Serves and, when enabled, runs the background jobs until shutdown.
pub async fn serve_with_jobs(
    state: Arc<AppState>,
    acceptor: impl Acceptor + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    settings: JobSettings,
) -> anyhow::Result<()> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    if state.config.jobs_enabled {
        jobs::spawn(state.clone(), settings, stop_rx);
    }
    let result = Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(app(state), shutdown, Some(std::time::Duration::from_secs(10)))
        .await;
    let _ = stop_tx.send(true);
    result?;
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(s) => s,
            Err(_) => return std::future::pending().await,
        };
        tokio::select! {
            _ = ctrl_c => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
    tracing::info!("shutting down");
}
