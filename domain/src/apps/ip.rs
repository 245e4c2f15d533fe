//! IP allow lists: single addresses or CIDR blocks, IPv4 and IPv6.

use std::net::IpAddr;

/// Parses `a.b.c.d`, `a.b.c.d/n`, `::1`, `fe80::/10`; `None` if malformed.
pub fn parse_rule(rule: &str) -> Option<(IpAddr, u8)> {
    let (addr, bits) = match rule.split_once('/') {
        Some((a, b)) => (a.parse::<IpAddr>().ok()?, b.parse::<u8>().ok()?),
        None => {
            let a = rule.parse::<IpAddr>().ok()?;
            (a, if a.is_ipv4() { 32 } else { 128 })
        }
    };
    let max = if addr.is_ipv4() { 32 } else { 128 };
    (bits <= max).then_some((addr, bits))
}

/// Whether `ip` falls in any rule; an empty list allows everything.
pub fn allowed(rules: &[String], ip: Option<&str>) -> bool {
    if rules.is_empty() {
        return true;
    }
    let Some(ip) = ip.and_then(|raw| raw.parse::<IpAddr>().ok()) else {
        return false;
    };
    let ip = canonical(ip);
    rules.iter().filter_map(|r| parse_rule(r)).any(|(net, bits)| contains(canonical(net), bits, ip))
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

fn contains(net: IpAddr, bits: u8, ip: IpAddr) -> bool {
    match (net, ip) {
        (IpAddr::V4(n), IpAddr::V4(i)) => {
            prefix_eq(u128::from(u32::from(n)) << 96, u128::from(u32::from(i)) << 96, bits)
        }
        (IpAddr::V6(n), IpAddr::V6(i)) => prefix_eq(u128::from(n), u128::from(i), bits),
        _ => false,
    }
}

fn prefix_eq(a: u128, b: u128, bits: u8) -> bool {
    if bits == 0 {
        return true;
    }
    let mask = u128::MAX << (128 - u32::from(bits));
    a & mask == b & mask
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_matching() {
        let rules = vec!["10.0.0.0/8".to_string(), "192.168.1.7".to_string(), "2001:db8::/32".to_string()];
        assert!(allowed(&rules, Some("10.2.3.4")));
        assert!(allowed(&rules, Some("192.168.1.7")));
        assert!(!allowed(&rules, Some("192.168.1.8")));
        assert!(allowed(&rules, Some("2001:db8::1")));
        assert!(allowed(&rules, Some("::ffff:10.1.1.1")));
        assert!(!allowed(&rules, Some("11.0.0.1")));
        assert!(!allowed(&rules, None));
        assert!(allowed(&[], None));
        assert!(parse_rule("10.0.0.0/33").is_none());
        assert!(parse_rule("nonsense").is_none());
    }
}
