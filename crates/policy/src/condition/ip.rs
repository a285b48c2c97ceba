//! `IpAddress`/`NotIpAddress`: IPv4 and IPv6 CIDR blocks; a bare address is a /32 or /128.
//! Must never match an IPv4 address against an IPv6 block or the reverse.

use std::net::IpAddr;

use ipnet::IpNet;

pub(super) fn parse_net(text: &str) -> Option<IpNet> {
    let t = text.trim();
    t.parse::<IpNet>()
        .ok()
        .or_else(|| t.parse::<IpAddr>().ok().map(IpNet::from))
}

pub(super) fn test(policy: &IpNet, actual: &str) -> bool {
    actual
        .trim()
        .parse::<IpAddr>()
        .is_ok_and(|ip| policy.contains(&ip))
}
