//! Client addresses: the peer, or the `X-Forwarded-For` entry added by a trusted proxy.

use std::net::IpAddr;

/// An IP network, `addr/prefix` or a single address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    pub fn parse(s: &str) -> Option<Cidr> {
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = a.trim().parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match p {
            Some(p) => p.trim().parse::<u8>().ok().filter(|p| *p <= max)?,
            None => max,
        };
        Some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u32::MAX << (32 - self.prefix)
                };
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = if self.prefix == 0 {
                    0
                } else {
                    u128::MAX << (128 - self.prefix)
                };
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// IPv4-mapped IPv6 addresses compare as IPv4.
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(ip),
        v4 => v4,
    }
}

/// The network a client address counts for in rate limits: an IPv4 address itself, an IPv6
/// address's /64 (one subscriber's usual allocation, which it can rotate through freely).
pub fn network_key(ip: &str) -> String {
    match ip.parse::<IpAddr>().map(canonical) {
        Ok(IpAddr::V4(v4)) => v4.to_string(),
        Ok(IpAddr::V6(v6)) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
        Err(_) => ip.to_string(),
    }
}

/// The client address: the peer unless the peer is a trusted proxy, in which case the
/// right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
pub fn client_ip(
    peer: Option<IpAddr>,
    forwarded_for: Option<&str>,
    trusted: &[Cidr],
) -> Option<IpAddr> {
    let peer = peer.map(canonical)?;
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let Some(xff) = forwarded_for else {
        return Some(peer);
    };
    let mut chosen = peer;
    for part in xff.rsplit(',') {
        match part.trim().parse::<IpAddr>() {
            Ok(ip) => {
                chosen = canonical(ip);
                if !is_trusted(chosen) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    Some(chosen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_groups_by_64() {
        assert_eq!(
            network_key("2001:db8:1:2:aaaa::1"),
            network_key("2001:db8:1:2:ffff:1:2:3")
        );
        assert_ne!(
            network_key("2001:db8:1:2::1"),
            network_key("2001:db8:1:3::1")
        );
        assert_eq!(network_key("::ffff:10.0.0.1"), "10.0.0.1");
        assert_ne!(network_key("10.0.0.1"), network_key("10.0.0.2"));
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn cidr_matching() {
        let c = Cidr::parse("10.0.0.0/8").unwrap();
        assert!(c.contains(ip("10.1.2.3")));
        assert!(!c.contains(ip("11.0.0.1")));
        assert!(c.contains(ip("::ffff:10.0.0.1")));
        assert!(Cidr::parse("::1").unwrap().contains(ip("::1")));
        assert!(Cidr::parse("10.0.0.0/33").is_none());
        assert!(Cidr::parse("nonsense").is_none());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let trusted = vec![Cidr::parse("127.0.0.1").unwrap()];
        let spoofed = client_ip(Some(ip("203.0.113.9")), Some("1.2.3.4"), &trusted);
        assert_eq!(spoofed, Some(ip("203.0.113.9")));
        let via_proxy = client_ip(
            Some(ip("127.0.0.1")),
            Some("1.2.3.4, 198.51.100.7"),
            &trusted,
        );
        assert_eq!(via_proxy, Some(ip("198.51.100.7")));
        let garbage = client_ip(Some(ip("127.0.0.1")), Some("not-an-ip"), &trusted);
        assert_eq!(garbage, Some(ip("127.0.0.1")));
    }
}
