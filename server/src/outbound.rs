//! Outbound HTTP to destinations that someone other than an admin names (an
//! agent's approval callback URL): the allow-list's host patterns, and the
//! guard on the addresses actually connected to.
//!
//! A name is checked against the allow-list when a request is made, but a
//! name can resolve anywhere (DNS rebinding, an internal name). So the HTTP
//! client for public destinations resolves names itself and keeps only
//! public addresses: the address reqwest connects to is one that passed the
//! check. A destination an admin marked `allow_private` uses a client
//! without the guard.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use model::api as json;
use reqwest::dns::{Name, Resolve, Resolving};

/// Whether `ip` is a public unicast address: not loopback, unspecified,
/// private (RFC 1918, unique local), link-local (which holds the clouds'
/// metadata service), shared (CGNAT), multicast, broadcast, documentation,
/// benchmarking or reserved. IPv6 addresses that embed an IPv4 one
/// (mapped, NAT64, 6to4) are judged by it.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_documentation()
        || ip.is_multicast()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || (a == 192 && b == 0 && c == 0)
        || (a == 198 && (b == 18 || b == 19))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let s = ip.segments();
    let embedded = |high: u16, low: u16| Ipv4Addr::from((u32::from(high) << 16) | u32::from(low));
    if s[0] == 0x64 && s[1] == 0xff9b {
        return is_public_v4(embedded(s[6], s[7]));
    }
    if s[0] == 0x2002 {
        return is_public_v4(embedded(s[1], s[2]));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || (s[0] & 0xfe00) == 0xfc00
        || (s[0] & 0xffc0) == 0xfe80
        || (s[0] & 0xffc0) == 0xfec0
        || (s[0] == 0x2001 && s[1] == 0x0db8)
        || (s[0..6] == [0; 6]))
}

/// A destination pattern as stored: an IP address in its canonical form, a
/// host name in lower case, or `*.` and a domain of at least two labels.
/// The error says what is wrong, for a 400.
pub fn normalise_pattern(text: &str) -> Result<String, String> {
    let text = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let bare = text.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ip.to_string());
    }
    let (wildcard, name) = match text.strip_prefix("*.") {
        Some(domain) => (true, domain),
        None => (false, text.as_str()),
    };
    let labels: Vec<&str> = name.split('.').collect();
    let valid_label = |label: &&str| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if name.is_empty() || name.len() > 253 || !labels.iter().all(valid_label) {
        return Err(format!(
            "host {text:?} is not a host name, an IP address, or *. and a domain"
        ));
    }
    if wildcard && labels.len() < 2 {
        return Err(format!(
            "host {text:?} would allow a whole top-level domain; name a domain under it"
        ));
    }
    Ok(text)
}

/// Whether `host` (as a URL gives it, an IPv6 address without brackets) is
/// one `pattern` allows.
pub fn host_matches(pattern: &str, host: &str) -> bool {
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let host = match host.parse::<IpAddr>() {
        Ok(ip) => ip.to_string(),
        Err(_) => host,
    };
    match pattern.strip_prefix("*.") {
        Some(domain) => host
            .strip_suffix(domain)
            .is_some_and(|head| head.len() > 1 && head.ends_with('.')),
        None => host == pattern,
    }
}

/// The host of a URL as [`host_matches`] takes it, and the IP address when
/// the URL names one (then no name is resolved).
pub fn url_host(url: &reqwest::Url) -> Option<(String, Option<IpAddr>)> {
    match url.host()? {
        url::Host::Domain(name) => Some((name.to_ascii_lowercase(), None)),
        url::Host::Ipv4(ip) => Some((ip.to_string(), Some(IpAddr::V4(ip)))),
        url::Host::Ipv6(ip) => Some((ip.to_string(), Some(IpAddr::V6(ip)))),
    }
}

/// The allowed destination `url` goes to, or why it goes nowhere allowed:
/// its host and port must match one of `allowed`, and a URL naming a
/// private or local IP address needs a destination that allows those (a
/// name is checked when it is resolved, by [`Clients::public`]).
pub fn destination<'a>(
    allowed: &'a [json::CallbackDestination],
    url: &reqwest::Url,
) -> Result<&'a json::CallbackDestination, String> {
    let (host, ip) = url_host(url).ok_or("the URL has no host")?;
    let port = url.port_or_known_default();
    let matching: Vec<&json::CallbackDestination> = allowed
        .iter()
        .filter(|d| host_matches(&d.host, &host) && d.port.is_none_or(|p| Some(p) == port))
        .collect();
    // Of several matches, one that allows private addresses decides: the
    // admin said this host may be one.
    let found = matching
        .iter()
        .find(|d| d.allow_private)
        .or(matching.first())
        .ok_or_else(|| {
            format!(
                "{host}{} is not an allowed callback destination for this agent; an admin allows \
                 destinations at /api/v1/callback-destinations",
                port.map(|p| format!(":{p}")).unwrap_or_default()
            )
        })?;
    match ip {
        Some(ip) if !found.allow_private && !is_public(ip) => Err(format!(
            "{ip} is a private or local address, which the allowed destination {} does not allow",
            found.host
        )),
        _ => Ok(found),
    }
}

/// Resolves names with the system's resolver and keeps only public
/// addresses; a name with none left fails, saying so.
#[derive(Debug, Default)]
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found.iter().copied().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let seen: Vec<String> = found.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{host} resolves only to private or local addresses ({}): refused",
                    seen.join(", ")
                )
                .into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// The two HTTP clients of outbound calls: `public` connects only to public
/// addresses, `private` anywhere (for destinations an admin marked so).
/// Neither follows redirects: a redirect would leave the allow-list.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Public addresses only.
    pub public: reqwest::Client,
    /// Any address.
    pub private: reqwest::Client,
}

impl Clients {
    /// Both clients, each request bounded by `timeout`.
    pub fn new(timeout: Duration) -> Result<Self, reqwest::Error> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(timeout)
                .connect_timeout(timeout.min(Duration::from_secs(5)))
                .user_agent(concat!("Muster/", env!("CARGO_PKG_VERSION")))
                .redirect(reqwest::redirect::Policy::none())
        };
        Ok(Self {
            public: builder().dns_resolver(Arc::new(PublicOnly)).build()?,
            private: builder().build()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_local_and_reserved_addresses_are_not_public() {
        for address in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "198.18.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2001:db8::1",
        ] {
            assert!(!is_public(address.parse().unwrap()), "{address}");
        }
        for address in ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8"] {
            assert!(is_public(address.parse().unwrap()), "{address}");
        }
    }

    #[test]
    fn patterns_are_normalised_and_match_whole_labels() {
        assert_eq!(
            normalise_pattern(" Hooks.Example.COM. ").unwrap(),
            "hooks.example.com"
        );
        assert_eq!(normalise_pattern("[::1]").unwrap(), "::1");
        assert_eq!(normalise_pattern("*.example.com").unwrap(), "*.example.com");
        for bad in [
            "",
            "*.com",
            "exa mple.com",
            "-x.com",
            "a..b",
            "*",
            "http://x.com",
            "x.com:443",
        ] {
            assert!(normalise_pattern(bad).is_err(), "{bad:?}");
        }
        assert!(host_matches("*.example.com", "a.example.com"));
        assert!(host_matches("*.example.com", "a.b.EXAMPLE.com"));
        assert!(!host_matches("*.example.com", "example.com"));
        assert!(!host_matches("*.example.com", "evilexample.com"));
        assert!(!host_matches("*.example.com", "example.com.evil.net"));
        assert!(host_matches("hooks.example.com", "HOOKS.example.com."));
        assert!(!host_matches("hooks.example.com", "hooks.example.com.evil.net"));
        assert!(host_matches("::1", "[0:0::1]"));
    }
}
