//! The one HTTP client for every request Stoa makes to other servers (OIDC discovery, token
//! and key endpoints; SMS gateways): DESIGN.md §4, "all outbound HTTP goes through one client
//! that refuses private and loopback targets unless configured".
//!
//! A tenant admin types the URLs this client fetches, so it must not become a way to reach
//! what only the server can reach (the database, a cloud metadata service, the admin port of a
//! neighbour): server-side request forgery. The guard sits where a name becomes an address:
//!
//! - a custom [`reqwest::dns::Resolve`] drops every resolved address that is not public
//!   ([`is_public`]) unless the configuration allows it, so a name that resolves (or later
//!   re-resolves: DNS rebinding) to a private address is refused when connecting;
//! - URLs naming an IP literal never reach the resolver: [`Outbound::check_url`] applies the
//!   same rule to them before a request is sent;
//! - redirects are not followed (a public server could otherwise bounce the request inward),
//!   proxies from the environment are ignored (the proxy would connect instead of us), and
//!   every request has a connect and a total timeout and a cap on the answer's size.
//!
//! `[outbound] allow_private = true` lifts the rule (a closed network where every server is
//! private); `allow_hosts` lifts it for named hosts, IP addresses or CIDR networks only (an
//! on-prem Keycloak at `keycloak.corp` or `10.1.2.3`).

use crate::{config::OutboundConfig, ops::net::Cidr, BoxError};
use futures_util::StreamExt;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::{
    net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr},
    sync::Arc,
    time::Duration,
};

/// Why an outbound request did not happen or did not finish.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error("the URL is not a valid http(s) URL")]
    BadUrl,
    #[error("{0} is not a public address and is not allowed by [outbound] allow_hosts")]
    Refused(String),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
    #[error("{0}")]
    Http(#[from] reqwest::Error),
}

/// Which targets the configuration allows besides public addresses.
#[derive(Debug, Default)]
pub struct Policy {
    allow_private: bool,
    hosts: Vec<String>,
    networks: Vec<Cidr>,
}

impl Policy {
    pub fn new(cfg: &OutboundConfig) -> Policy {
        let mut p = Policy {
            allow_private: cfg.allow_private,
            ..Policy::default()
        };
        for entry in &cfg.allow_hosts {
            match Cidr::parse(entry) {
                Some(c) => p.networks.push(c),
                None => p
                    .hosts
                    .push(entry.trim().trim_end_matches('.').to_lowercase()),
            }
        }
        p
    }

    /// Whether a connection to `ip`, reached through the name `host`, may be made.
    pub fn permits(&self, host: &str, ip: IpAddr) -> bool {
        self.allow_private
            || is_public(ip)
            || self.networks.iter().any(|n| n.contains(ip))
            || self
                .hosts
                .iter()
                .any(|h| h == &host.trim_end_matches('.').to_lowercase())
    }
}

/// Whether `ip` is a public unicast address: not unspecified, loopback, private (RFC 1918),
/// shared (CGNAT, RFC 6598), link-local, unique-local (RFC 4193), multicast, broadcast,
/// documentation or otherwise reserved. IPv4 inside IPv6 (mapped, NAT64) is judged as IPv4.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || a == 0 // "this network"
        || ip.is_loopback()
        || ip.is_private()
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || a >= 240 // reserved
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 192 && b == 0 && c == 2) // documentation
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113)
        || (a == 198 && (18..20).contains(&b))) // benchmarking
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    // NAT64 (64:ff9b::/96) reaches the IPv4 address in its last 32 bits.
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        let [a, b] = s[6].to_be_bytes();
        let [c, d] = s[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00 // unique local
        || (s[0] & 0xffc0) == 0xfe80 // link-local
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated)
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
        || s[..6] == [0, 0, 0, 0, 0, 0]) // IPv4-compatible (deprecated) and the like
}

/// The resolver that refuses what the policy does not permit.
struct Guard(Arc<Policy>);

impl Resolve for Guard {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.0.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found = tokio::net::lookup_host((host.as_str(), 0)).await?;
            let allowed: Vec<SocketAddr> =
                found.filter(|a| policy.permits(&host, a.ip())).collect();
            if allowed.is_empty() {
                return Err(Box::new(OutboundError::Refused(host)) as BoxError);
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// The outbound client. Cheap to clone.
#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    policy: Arc<Policy>,
    max_response_bytes: usize,
}

impl std::fmt::Debug for Outbound {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Outbound")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl Outbound {
    pub fn new(cfg: &OutboundConfig) -> Result<Outbound, BoxError> {
        let policy = Arc::new(Policy::new(cfg));
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .dns_resolver(Arc::new(Guard(policy.clone())))
            .connect_timeout(Duration::from_secs(cfg.connect_timeout_secs.max(1)))
            .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
            .user_agent(concat!("stoa/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Outbound {
            client,
            policy,
            max_response_bytes: cfg.max_response_bytes,
        })
    }

    /// Refuse a URL that is not http(s), or names an IP address the policy does not permit.
    /// (Names are checked when they resolve.)
    pub fn check_url(&self, url: &reqwest::Url) -> Result<(), OutboundError> {
        if !matches!(url.scheme(), "http" | "https") {
            return Err(OutboundError::BadUrl);
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
            Some(url::Host::Domain(_)) => return Ok(()),
            None => return Err(OutboundError::BadUrl),
        };
        if self.policy.permits(&ip.to_string(), ip) {
            Ok(())
        } else {
            Err(OutboundError::Refused(ip.to_string()))
        }
    }

    /// Whether the configuration names this URL's host as reachable on purpose (it is in
    /// `allow_hosts`, or `allow_private` is on): such a host may be trusted with plain HTTP, as
    /// a provider on the same machine or network is.
    pub fn named_in_config(&self, url: &reqwest::Url) -> bool {
        let p = &self.policy;
        p.allow_private
            || match url.host() {
                Some(url::Host::Domain(d)) => {
                    let d = d.trim_end_matches('.').to_lowercase();
                    p.hosts.contains(&d)
                }
                Some(url::Host::Ipv4(ip)) => p.networks.iter().any(|n| n.contains(ip.into())),
                Some(url::Host::Ipv6(ip)) => p.networks.iter().any(|n| n.contains(ip.into())),
                None => false,
            }
    }

    /// Start a request (send it with [`Outbound::execute`], which checks its URL).
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        self.client.request(method, url)
    }

    /// Send a request built with [`Outbound::request`]; no redirect is followed.
    pub async fn execute(&self, req: reqwest::Request) -> Result<reqwest::Response, OutboundError> {
        self.check_url(req.url())?;
        Ok(self.client.execute(req).await?)
    }

    /// Read an answer's body, refusing one over the configured cap.
    pub async fn body(&self, resp: reqwest::Response) -> Result<Vec<u8>, OutboundError> {
        let cap = self.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > cap as u64) {
            return Err(OutboundError::TooLarge(cap));
        }
        let mut out = Vec::new();
        let mut stream = resp.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk?;
            if out.len() + chunk.len() > cap {
                return Err(OutboundError::TooLarge(cap));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }

    /// One exchange in the `http` crate's types, for protocol libraries that bring their own
    /// request building (the OIDC client): the request goes through the same checks.
    pub async fn http(
        &self,
        req: http::Request<Vec<u8>>,
    ) -> Result<http::Response<Vec<u8>>, OutboundError> {
        let (parts, body) = req.into_parts();
        let url = reqwest::Url::parse(&parts.uri.to_string()).map_err(|_| OutboundError::BadUrl)?;
        let mut rb = self.client.request(parts.method, url).body(body);
        for (name, value) in &parts.headers {
            rb = rb.header(name, value);
        }
        let resp = self.execute(rb.build()?).await?;
        let mut out = http::Response::builder().status(resp.status());
        for (name, value) in resp.headers() {
            out = out.header(name, value);
        }
        let body = self.body(resp).await?;
        out.body(body).map_err(|_| OutboundError::BadUrl)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn addresses_are_classified() {
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "100.63.255.255",
            "100.128.0.1",
            "172.32.0.1",
            "192.169.0.1",
            "2606:4700:4700::1111",
            "2a00:1450:4001::200e",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
        ] {
            assert!(is_public(ip(public)), "{public} is public");
        }
        for private in [
            "0.0.0.0",
            "0.1.2.3",
            "127.0.0.1",
            "127.255.0.9",
            "10.0.0.1",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254", // cloud metadata
            "100.64.0.1",      // CGNAT
            "100.127.255.254",
            "224.0.0.1",
            "239.255.255.250",
            "255.255.255.255",
            "240.0.0.1",
            "192.0.2.1",
            "::",
            "::1",
            "fe80::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::7f00:1",
            "::127.0.0.1",
            "2001:db8::1",
        ] {
            assert!(!is_public(ip(private)), "{private} is not public");
        }
    }

    fn cfg(allow_private: bool, hosts: &[&str]) -> OutboundConfig {
        OutboundConfig {
            allow_private,
            allow_hosts: hosts.iter().map(|s| s.to_string()).collect(),
            ..OutboundConfig::default()
        }
    }

    #[test]
    fn the_allow_list_lifts_the_rule_for_what_it_names() {
        let none = Policy::new(&cfg(false, &[]));
        assert!(none.permits("example.com", ip("93.184.216.34")));
        assert!(!none.permits("localhost", ip("127.0.0.1")));
        assert!(!none.permits("metadata", ip("169.254.169.254")));

        let some = Policy::new(&cfg(false, &["127.0.0.1", "10.1.0.0/16", "Keycloak.Corp."]));
        assert!(some.permits("127.0.0.1", ip("127.0.0.1")));
        assert!(!some.permits("localhost", ip("127.0.0.2")));
        assert!(some.permits("anything", ip("10.1.200.3")));
        assert!(!some.permits("anything", ip("10.2.0.1")));
        assert!(some.permits("keycloak.corp", ip("10.9.9.9")));
        assert!(!some.permits("other.corp", ip("10.9.9.9")));

        let all = Policy::new(&cfg(true, &[]));
        assert!(all.permits("localhost", ip("::1")));
    }

    #[test]
    fn ip_literal_urls_are_checked_before_sending() {
        let o = Outbound::new(&cfg(false, &["127.0.0.1"])).unwrap();
        let url = |s: &str| reqwest::Url::parse(s).unwrap();
        assert!(o.check_url(&url("http://127.0.0.1:8080/x")).is_ok());
        assert!(o.check_url(&url("https://example.com/")).is_ok());
        for refused in [
            "http://127.0.0.2/",
            "http://[::1]/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::ffff:10.0.0.1]/",
            "http://0x7f000002/",
        ] {
            assert!(
                matches!(o.check_url(&url(refused)), Err(OutboundError::Refused(_))),
                "{refused}"
            );
        }
        assert!(o.named_in_config(&url("http://127.0.0.1:8080/")));
        assert!(!o.named_in_config(&url("http://id.example.com/")));
        assert!(matches!(
            o.check_url(&url("file:///etc/passwd")),
            Err(OutboundError::BadUrl)
        ));
    }

    #[tokio::test]
    async fn names_resolving_to_refused_addresses_are_not_connected() {
        let o = Outbound::new(&cfg(false, &[])).unwrap();
        let req = o
            .request(reqwest::Method::GET, "http://localhost:9/")
            .build()
            .unwrap();
        let err = o.execute(req).await.unwrap_err();
        let mut chain = String::new();
        let mut e: Option<&dyn std::error::Error> = Some(&err);
        while let Some(x) = e {
            chain.push_str(&x.to_string());
            e = x.source();
        }
        assert!(chain.contains("not a public address"), "{chain}");
    }
}
