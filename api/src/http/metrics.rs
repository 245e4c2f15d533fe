//! Prometheus metrics: request counts and latencies by method, area and status.

use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use poem::{Endpoint, IntoResponse, Middleware, Request, Response, Result};
use std::sync::OnceLock;

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide recorder once (several servers in one test process share it).
pub fn handle() -> PrometheusHandle {
    HANDLE
        .get_or_init(|| {
            PrometheusBuilder::new()
                .install_recorder()
                .unwrap_or_else(|_| PrometheusBuilder::new().build_recorder().handle())
        })
        .clone()
}

/// `/admin/v1/merchants/mc_…` → `admin/merchants`: bounded label values.
fn area(path: &str) -> String {
    let mut parts = path.trim_start_matches('/').split('/').filter(|p| !p.is_empty());
    match (parts.next(), parts.next(), parts.next()) {
        (Some(top @ ("admin" | "open")), Some(_version), Some(resource)) => format!("{top}/{resource}"),
        (Some(top @ ("sandbox" | "callbacks" | "cashier")), _, _) => top.to_owned(),
        (Some(top @ ("healthz" | "readyz" | "metrics" | "docs" | "openapi.json")), _, _) => top.to_owned(),
        _ => "other".to_owned(),
    }
}

pub struct Metrics;

impl<E: Endpoint> Middleware<E> for Metrics {
    type Output = MetricsEndpoint<E>;

    fn transform(&self, ep: E) -> Self::Output {
        MetricsEndpoint(ep)
    }
}

pub struct MetricsEndpoint<E>(E);

impl<E: Endpoint> Endpoint for MetricsEndpoint<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let method = req.method().to_string();
        let area = area(req.uri().path());
        let started = std::time::Instant::now();
        let resp = match self.0.call(req).await {
            Ok(r) => r.into_response(),
            Err(e) => e.into_response(),
        };
        let status = resp.status().as_u16().to_string();
        let labels = [("method", method), ("area", area), ("status", status)];
        metrics::counter!("juhe_http_requests_total", &labels).increment(1);
        metrics::histogram!("juhe_http_request_duration_seconds", &labels).record(started.elapsed().as_secs_f64());
        Ok(resp)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn areas_are_bounded() {
        assert_eq!(super::area("/admin/v1/merchants/mc_1"), "admin/merchants");
        assert_eq!(super::area("/open/v1/ping"), "open/ping");
        assert_eq!(super::area("/random/thing"), "other");
    }
}
