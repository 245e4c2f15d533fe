//! The client's IP: the socket peer, or the first `X-Forwarded-For` hop behind a trusted proxy.

use poem::Request;

pub fn client_ip(req: &Request, trust_proxy_headers: bool) -> Option<String> {
    if trust_proxy_headers && let Some(first) = req.header("x-forwarded-for").and_then(|v| v.split(',').next()) {
        let ip = first.trim();
        if ip.parse::<std::net::IpAddr>().is_ok() {
            return Some(ip.to_owned());
        }
    }
    req.remote_addr().as_socket_addr().map(|a| a.ip().to_canonical().to_string())
}
